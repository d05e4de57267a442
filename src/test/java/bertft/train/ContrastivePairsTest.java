package bertft.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** SetFit's oversampled pairs, counted by hand. */
class ContrastivePairsTest {
    static List<int[]> labels(int... ids) {
        List<int[]> out = new ArrayList<>();
        for (int id : ids) {
            out.add(new int[] {id});
        }
        return out;
    }

    @Test
    void eightPerClassGivesEveryPositiveOnceAndOversamplesTheNegatives() {
        List<int[]> gold = labels(0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1);
        ContrastivePairs p = ContrastivePairs.of(gold, null, null, 7);
        // same label: 2 classes x (8 choose 2 + 8 with itself) = 72; different: 8 x 8 = 64, oversampled to 72
        assertEquals(72, p.uniquePositives());
        assertEquals(64, p.uniqueNegatives());
        assertEquals(72, p.positives());
        assertEquals(72, p.negatives());
        assertEquals(144, p.size());
        Set<String> pos = new HashSet<>();
        Set<String> neg = new HashSet<>();
        for (int k = 0; k < p.size(); k++) {
            ContrastivePairs.Pair x = p.pairs().get(k);
            boolean same = gold.get(x.a())[0] == gold.get(x.b())[0];
            assertEquals(same ? 1f : 0f, x.target());
            assertEquals(k % 2 == 0, same, "positive and negative alternate");
            (same ? pos : neg).add(x.a() + "," + x.b());
        }
        assertEquals(72, pos.size(), "no positive pair twice");
        assertEquals(64, neg.size(), "every negative pair, 8 of them twice");
        assertEquals(p.pairs(), ContrastivePairs.of(gold, null, null, 7).pairs(), "seeded");
        assertTrue(!p.pairs().equals(ContrastivePairs.of(gold, null, null, 8).pairs()));
    }

    @Test
    void iterationsAndTheCapSetTheCount() {
        List<int[]> gold = labels(0, 0, 0, 1, 1, 1, 2, 2, 2);
        ContrastivePairs it = ContrastivePairs.of(gold, 2, null, 1);
        assertEquals(18, it.positives());
        assertEquals(18, it.negatives());
        ContrastivePairs capped = ContrastivePairs.of(gold, null, 11, 1);
        assertEquals(6, capped.positives());
        assertEquals(5, capped.negatives());
        assertEquals(11, capped.size());
    }

    @Test
    void multiLabelPairsSharingALabelArePositive() {
        List<int[]> gold = List.of(new int[] {0, 2}, new int[] {2}, new int[] {1});
        ContrastivePairs p = ContrastivePairs.of(gold, null, null, 1);
        // positive: (0,0) (1,1) (2,2) (0,1); negative: (0,2) (1,2)
        assertEquals(4, p.uniquePositives());
        assertEquals(2, p.uniqueNegatives());
    }
}
