package bertft.adapt;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import bertft.data.Corpus;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** HuggingFace's masking recipe: 15% chosen, 80/10/10, specials never, whole words together, new masks per draw. */
class MaskingTest {
    static final long MASK = 4;
    static final int VOCAB = 1000;

    /** 20,000 tokens in 10-token "words" of 1-3 tokens; every 50th token special. */
    static Corpus.Sequence sequence(int n, long seed) {
        Random r = new Random(seed);
        long[] ids = new long[n];
        boolean[] special = new boolean[n];
        boolean[] start = new boolean[n];
        int left = 0;
        for (int j = 0; j < n; j++) {
            special[j] = j % 50 == 0;
            ids[j] = special[j] ? 2 : 100 + r.nextInt(VOCAB - 100);
            if (special[j] || left == 0) {
                start[j] = true;
                left = special[j] ? 0 : r.nextInt(3);
            } else {
                left--;
            }
        }
        return new Corpus.Sequence(ids, special, start);
    }

    @Test
    void fifteenPercentOfOrdinaryTokensAreChosenAndSplit80_10_10() {
        Corpus.Sequence s = sequence(20_000, 1);
        Masking.Masked m = new Masking(0.15, false, MASK, VOCAB).apply(s, new Random(7));
        int ordinary = 0;
        for (boolean sp : s.special()) {
            ordinary += sp ? 0 : 1;
        }
        int masked = 0;
        int kept = 0;
        int random = 0;
        for (int k = 0; k < m.positions().length; k++) {
            int j = m.positions()[k];
            assertFalse(s.special()[j], "special token chosen at " + j);
            assertEquals(s.ids()[j], m.labels()[k]);
            if (m.ids()[j] == MASK) {
                masked++;
            } else if (m.ids()[j] == s.ids()[j]) {
                kept++;
            } else {
                random++;
            }
        }
        int chosen = m.positions().length;
        assertEquals(0.15, (double) chosen / ordinary, 0.01);
        assertEquals(0.8, (double) masked / chosen, 0.03);
        assertEquals(0.1, (double) kept / chosen, 0.02);
        assertEquals(0.1, (double) random / chosen, 0.02);
        for (int j = 0; j < s.length(); j++) { // nothing else changes
            if (java.util.Arrays.binarySearch(m.positions(), j) < 0) {
                assertEquals(s.ids()[j], m.ids()[j]);
            }
        }
    }

    @Test
    void wholeWordMaskingChoosesEveryTokenOfAWordOrNone() {
        Corpus.Sequence s = sequence(2_000, 2);
        Masking.Masked m = new Masking(0.15, true, MASK, VOCAB).apply(s, new Random(3));
        boolean[] chosen = new boolean[s.length()];
        for (int j : m.positions()) {
            chosen[j] = true;
            assertFalse(s.special()[j]);
        }
        for (int j = 1; j < s.length(); j++) {
            if (!s.wordStart()[j]) {
                assertEquals(chosen[j - 1], chosen[j], "word split at " + j);
            }
        }
        int budget = (int) Math.round(2_000 * 0.15);
        assertTrue(m.positions().length <= budget && m.positions().length >= budget - 2, m.positions().length + "");
    }

    @Test
    void masksAreNewForEachDrawAndTheSameForTheSameSeed() {
        Corpus.Sequence s = sequence(500, 3);
        Masking masking = new Masking(0.15, false, MASK, VOCAB);
        Masking.Masked a = masking.apply(s, new Random(1));
        assertArrayEquals(a.ids(), masking.apply(s, new Random(1)).ids());
        assertFalse(java.util.Arrays.equals(a.positions(), masking.apply(s, new Random(2)).positions()));
    }
}
