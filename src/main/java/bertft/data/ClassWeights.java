package bertft.data;

import bertft.task.TaskSpec;
import java.util.Arrays;

/** Loss weights per class, so rare classes count as much as common ones. */
public final class ClassWeights {
    private ClassWeights() {}

    /** Weights for the task's {@code class-weights} setting: all 1 for {@code none}, else {@link #balanced}. */
    public static double[] of(TaskSpec spec, LabelledData train) {
        if (spec.classWeights().equals("none")) {
            double[] ones = new double[train.labels().size()];
            Arrays.fill(ones, 1.0);
            return ones;
        }
        return balanced(train.counts(), train.size());
    }

    /**
     * scikit-learn's {@code balanced} weights: n / (k * count_c) for n examples and k classes. A class with no
     * examples gets 1 (it never occurs as a target, so its weight has no effect).
     */
    public static double[] balanced(long[] counts, long n) {
        double[] w = new double[counts.length];
        for (int c = 0; c < counts.length; c++) {
            w[c] = counts[c] == 0 ? 1.0 : (double) n / ((double) counts.length * counts[c]);
        }
        return w;
    }
}
