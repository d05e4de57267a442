package bertft.text;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.huggingface.tokenizers.Encoding;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** RoBERTa's vocab.json + merges.txt become the byte-level BPE tokenizer RobertaTokenizerFast makes of them. */
public class ByteLevelBpeTest {
    /** A tiny vocab.json + merges.txt in {@code dir}. */
    public static Path repo(Path dir) throws IOException {
        Files.writeString(dir.resolve("vocab.json"), "{\"<s>\": 0, \"<pad>\": 1, \"</s>\": 2, \"<unk>\": 3, \"h\": 4,"
                + " \"e\": 5, \"l\": 6, \"o\": 7, \"\u0120\": 8, \"w\": 9, \"r\": 10, \"d\": 11, \"he\": 12, \"ll\": 13,"
                + " \"hell\": 14, \"hello\": 15, \"\u0120w\": 16, \"or\": 17, \"\u0120wor\": 18, \"ld\": 19,"
                + " \"\u0120world\": 20, \"<mask>\": 21}");
        Files.write(dir.resolve("merges.txt"), List.of("#version: 0.2", "h e", "l l", "he ll", "hell o",
                "\u0120 w", "o r", "\u0120w or", "l d", "\u0120wor ld"));
        return dir;
    }

    @Test
    void encodesAsRobertaDoes(@TempDir Path dir) throws IOException {
        try (BertTokenizer tok = BertTokenizer.load(repo(dir), 32)) {
            Encoding e = tok.encode("hello world");
            assertArrayEquals(new long[] {0, 15, 20, 2}, e.getIds());
            // trim_offsets: the leading space of "Ġworld" is not part of its span
            assertEquals(6, e.getCharTokenSpans()[2].getStart());
            assertEquals(11, e.getCharTokenSpans()[2].getEnd());
            assertArrayEquals(new long[] {0, 15, 2, 2, 20, 2}, tok.encode("hello", " world").getIds());
            assertArrayEquals(new long[] {0, 15, 21, 2}, tok.encode("hello <mask>").getIds(), "<mask> eats its space");
            assertEquals(21, tok.maskId());
        }
    }

    @Test
    void savedTokenizerJsonReloadsTheSame(@TempDir Path dir) throws IOException {
        Path out = Files.createDirectories(dir.resolve("out"));
        try (BertTokenizer tok = BertTokenizer.load(repo(dir), 32)) {
            tok.save(out);
        }
        assertEquals(false, Files.exists(out.resolve("vocab.txt")), "no WordPiece vocab.txt for BPE");
        try (BertTokenizer back = BertTokenizer.load(out, 32)) {
            assertArrayEquals(new long[] {0, 15, 20, 2}, back.encode("hello world").getIds());
        }
    }
}
