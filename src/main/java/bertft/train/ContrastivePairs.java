package bertft.train;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;

/**
 * SetFit's training pairs (setfit 1.0's {@code ContrastiveDataset}, sampling strategy {@code oversampling}): every
 * unique pair of training examples, each with itself included, shuffled; a pair of one class is positive (target
 * similarity 1), of two classes negative (0). The less numerous kind is repeated in turn until both kinds have as
 * many pairs as the more numerous one, which is never repeated; the pairs alternate positive, negative.
 * {@code iterations} (SetFit's num_iterations) takes iterations x examples pairs of each kind instead, and
 * {@code max} caps the total (half of each kind).
 */
public final class ContrastivePairs {
    /** Examples {@code a} and {@code b} (indices into the training examples) and their target cosine. */
    public record Pair(int a, int b, float target) {}

    private final List<Pair> pairs;
    private final int positives;
    private final int negatives;
    private final int uniquePositives;
    private final int uniqueNegatives;

    private ContrastivePairs(List<Pair> pairs, int positives, int negatives, int uniquePositives,
            int uniqueNegatives) {
        this.pairs = pairs;
        this.positives = positives;
        this.negatives = negatives;
        this.uniquePositives = uniquePositives;
        this.uniqueNegatives = uniqueNegatives;
    }

    /**
     * The pairs of examples whose gold labels are {@code labels} (one id per example; multilabel: the ids each
     * carries, and a pair sharing any label is positive, as SetFit's multilabel pairs are).
     *
     * @param iterations pairs of each kind per example, or null for the oversampled unique pairs
     * @param max the most pairs, or null for no cap
     */
    public static ContrastivePairs of(List<int[]> labels, Integer iterations, Integer max, long seed) {
        List<Pair> pos = new ArrayList<>();
        List<Pair> neg = new ArrayList<>();
        for (int i = 0; i < labels.size(); i++) {
            for (int j = i; j < labels.size(); j++) {
                boolean same = shares(labels.get(i), labels.get(j));
                (same ? pos : neg).add(new Pair(i, j, same ? 1f : 0f));
            }
        }
        Random rng = new Random(seed);
        Collections.shuffle(pos, rng);
        Collections.shuffle(neg, rng);
        int each = iterations != null ? iterations * labels.size() : Math.max(pos.size(), neg.size());
        int nPos = each;
        int nNeg = neg.isEmpty() ? 0 : each;
        if (max != null && nPos + nNeg > max) {
            nPos = Math.min(nPos, (max + 1) / 2);
            nNeg = Math.min(nNeg, max - nPos);
        }
        List<Pair> out = new ArrayList<>(nPos + nNeg);
        for (int k = 0; k < Math.max(nPos, nNeg); k++) {
            if (k < nPos) {
                out.add(pos.get(k % pos.size()));
            }
            if (k < nNeg) {
                out.add(neg.get(k % neg.size()));
            }
        }
        return new ContrastivePairs(out, nPos, nNeg, pos.size(), neg.size());
    }

    private static boolean shares(int[] a, int[] b) {
        for (int x : a) {
            for (int y : b) {
                if (x == y) {
                    return true;
                }
            }
        }
        return false;
    }

    public List<Pair> pairs() {
        return pairs;
    }

    public int size() {
        return pairs.size();
    }

    /** Same-label pairs drawn (repeats included). */
    public int positives() {
        return positives;
    }

    /** Different-label pairs drawn (repeats included). */
    public int negatives() {
        return negatives;
    }

    /** The unique same-label pairs there are (each example with itself included). */
    public int uniquePositives() {
        return uniquePositives;
    }

    /** The unique different-label pairs there are. */
    public int uniqueNegatives() {
        return uniqueNegatives;
    }
}
