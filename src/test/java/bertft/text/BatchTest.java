package bertft.text;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.ndarray.NDManager;
import bertft.Tiny;
import bertft.model.Torch;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class BatchTest {
    @BeforeAll
    static void engine() {
        Torch.init();
    }

    @Test
    void padsToTheLongestAndMasksPadding() {
        try (BertTokenizer tok = Tiny.tokenizer(64); NDManager m = NDManager.newBaseManager()) {
            Batch b = Batch.of(List.of(tok.encode("good"), tok.encode("the movie was bad")), m);
            assertArrayEquals(new long[] {2, 6}, b.inputIds().getShape().getShape());
            assertArrayEquals(new long[] {1, 1, 1, 0, 0, 0, 1, 1, 1, 1, 1, 1}, b.attentionMask().toLongArray());
            assertEquals(9, b.realTokens());
        }
    }

    @Test
    void noiseMasksOrHidesOnlyRealNonSpecialTokens() {
        try (BertTokenizer tok = Tiny.tokenizer(64); NDManager m = NDManager.newBaseManager()) {
            long maskId = tok.tokenId("[MASK]");
            var enc = List.of(tok.encode("the movie was bad"));
            long[] ids = Batch.of(enc, m, new Batch.Noise(1, 0, maskId, new Random(1))).inputIds().toLongArray();
            long[] plain = enc.get(0).getIds();
            assertEquals(plain[0], ids[0], "[CLS] stays");
            assertEquals(plain[5], ids[5], "[SEP] stays");
            for (int j = 1; j < 5; j++) {
                assertEquals(maskId, ids[j]);
            }
            long[] mask = Batch.of(enc, m, new Batch.Noise(0, 1, maskId, new Random(1))).attentionMask().toLongArray();
            assertArrayEquals(new long[] {1, 0, 0, 0, 0, 1}, mask);
        }
    }
}
