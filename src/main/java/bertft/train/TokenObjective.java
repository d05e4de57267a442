package bertft.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import bertft.data.Features;
import bertft.model.Scalar;
import bertft.model.TaskModel;

/**
 * Token classification's objective: cross-entropy over the positions that carry a label (each word's first piece,
 * or every piece with {@code label-all-tokens}), as torch's {@code CrossEntropyLoss(ignore_index=-100)} computes it
 * for HuggingFace's {@code *ForTokenClassification}: the (class-weighted) mean over labelled positions only.
 *
 * <p>Each training example is one window of a sentence ({@code text.WordWindows}); its target is a label id per
 * position, {@link #IGNORED} where the loss does not look (special tokens, later pieces of a word, padding).
 */
public final class TokenObjective implements TrainingObjective {
    /** A position without a label; HuggingFace writes -100. */
    public static final int IGNORED = -1;

    private final TaskModel model;
    private final Features train;
    private final float[] classWeights;

    /**
     * @param train the windows, each target a label id per position ({@link #IGNORED} for none)
     * @param classWeights a loss weight per label, or null for all 1
     */
    public TokenObjective(TaskModel model, Features train, float[] classWeights) {
        this.model = model;
        this.train = train;
        this.classWeights = classWeights;
    }

    @Override
    public int[] lengths() {
        return train.lengths();
    }

    @Override
    public Loss loss(int[] part, Pass pass, NDManager m) {
        NDArray logits = model.forward(train.batch(part, m), pass.encoderTrains(), true); // (B, T, C)
        return Loss.of(loss(logits, labels(part, (int) logits.getShape().get(1)), classWeights, m));
    }

    /** The label ids of the windows {@code part} padded to {@code t} positions, row-major (B * T). */
    long[] labels(int[] part, int t) {
        long[] y = new long[part.length * t];
        java.util.Arrays.fill(y, IGNORED);
        for (int k = 0; k < part.length; k++) {
            float[] row = train.targets().get(part[k]);
            for (int i = 0; i < row.length; i++) {
                y[k * t + i] = (long) row[i];
            }
        }
        return y;
    }

    /**
     * sum(w_y * nll) / sum(w_y) over the positions whose label is not {@link #IGNORED}, w all 1 without class
     * weights: the mean over labelled positions. A batch with none gives 0 (torch gives NaN; a window of words the
     * tokenizer dropped should not stop a run).
     *
     * @param logits (B, T, C)
     * @param labels (B * T) label ids, {@link #IGNORED} where no label is
     * @param classWeights (C) or null
     */
    public static NDArray loss(NDArray logits, long[] labels, float[] classWeights, NDManager m) {
        int c = (int) logits.getShape().get(2);
        long[] safe = new long[labels.length];
        float[] w = new float[labels.length];
        double total = 0;
        for (int i = 0; i < labels.length; i++) {
            boolean labelled = labels[i] != IGNORED;
            safe[i] = labelled ? labels[i] : 0; // one_hot refuses negative ids; the weight 0 drops the position
            w[i] = !labelled ? 0 : classWeights == null ? 1 : classWeights[(int) labels[i]];
            total += w[i];
        }
        NDArray flat = logits.reshape(-1, c); // (B, T, C) -> (B * T, C)
        NDArray oneHot = m.create(safe).oneHot(c); // (B * T, C)
        NDArray nll = flat.logSoftmax(-1).mul(oneHot).sum(new int[] {1}).neg(); // (B * T)
        return Scalar.div(nll.mul(m.create(w)).sum(), Math.max(total, 1e-12));
    }
}
