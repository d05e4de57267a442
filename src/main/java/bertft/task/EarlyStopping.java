package bertft.task;

/**
 * Stop training when a validation metric has not improved for {@code patience} evaluations.
 *
 * @param metric a metric name as the evaluation reports it, e.g. {@code accuracy} or {@code f1}
 * @param patience evaluations without improvement tolerated
 * @param mode {@code max} when higher is better, {@code min} when lower is better
 */
public record EarlyStopping(String metric, int patience, String mode) {
    /** Patience when the task file gives none. */
    public static final int DEFAULT_PATIENCE = 3;

    /** Whether {@code candidate} beats {@code best} in this direction. */
    public boolean improves(double candidate, double best) {
        return mode.equals("max") ? candidate > best : candidate < best;
    }
}
