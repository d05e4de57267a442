package bertft.eval;

/**
 * Precision, recall and F1 of one class or label.
 *
 * @param precision tp / (tp + fp), 0 when nothing was predicted
 * @param recall tp / (tp + fn), 0 when the class never occurs
 * @param f1 2 tp / (2 tp + fp + fn), their harmonic mean, 0 when undefined
 * @param support gold occurrences
 */
public record Scores(double precision, double recall, double f1, long support) {

    /** Scores from true positives, false positives and false negatives. */
    public static Scores of(long tp, long fp, long fn) {
        return new Scores(ratio(tp, tp + fp), ratio(tp, tp + fn), ratio(2 * tp, 2 * tp + fp + fn), tp + fn);
    }

    /** a / b, or 0 when b is 0. */
    static double ratio(double a, double b) {
        return b == 0 ? 0 : a / b;
    }
}
