package bertft.text;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class WordWindowsTest {
    static final List<String> VOCAB = List.of("[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "a", "b", "c", "##x");

    @Test
    void wordsArePiecesWithTheirWordAndFirstPiece() {
        try (BertTokenizer tok = BertTokenizer.of(BertTokenizer.fromVocab(VOCAB, true), 16)) {
            WordWindows w = tok.words(List.of("A", "bx", "zz"), 16, 4);
            assertEquals(1, w.windows().size());
            WordWindows.Window one = w.windows().get(0);
            assertArrayEquals(new long[] {2, 5, 6, 8, 1, 3}, one.ids()); // [CLS] a b ##x [UNK] [SEP]
            assertArrayEquals(new int[] {-1, 0, 1, 1, 2, -1}, one.words());
            assertArrayEquals(new boolean[] {false, true, true, false, true, false}, one.first());
            assertArrayEquals(new int[] {0, 4}, w.owners()[2]);
        }
    }

    @Test
    void aLongSentenceIsCutIntoOverlappingWindowsAndEachWordReadWhereItSeesMostContext() {
        List<String> words = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            words.add(i % 2 == 0 ? "a" : "c");
        }
        try (BertTokenizer tok = BertTokenizer.of(BertTokenizer.fromVocab(VOCAB, true), 16)) {
            // 8 tokens a window: 6 pieces, stride 2 -> windows start at pieces 0, 4, 8, 12, 16
            WordWindows w = tok.words(words, 8, 2);
            assertEquals(5, w.windows().size());
            for (WordWindows.Window win : w.windows()) {
                assertEquals(2, win.ids()[0]);
                assertEquals(3, win.ids()[win.length() - 1]);
            }
            assertEquals(List.of(1, 2, 3, 4, 5, 6), ids(w.windows().get(1).words(), 1, 7).stream()
                    .map(x -> x - 3).toList()); // words 4..9
            // words 0 and 3 from window 0, whose start is the sentence's own
            assertArrayEquals(new int[] {0, 1}, w.owners()[0]);
            assertArrayEquals(new int[] {0, 4}, w.owners()[3]);
            assertArrayEquals(new int[] {1, 2}, w.owners()[5]); // 1 piece before it in window 1, 0 after it in window 0
            assertArrayEquals(new int[] {4, 4}, w.owners()[19]);
            for (int i = 0; i < 20; i++) {
                int[] o = w.owners()[i];
                assertEquals(i, w.windows().get(o[0]).words()[o[1]]);
            }
        }
    }

    private static List<Integer> ids(int[] a, int from, int to) {
        List<Integer> out = new ArrayList<>();
        for (int i = from; i < to; i++) {
            out.add(a[i]);
        }
        return out;
    }
}
