package bertft.task;

/**
 * How often something happens during training: every N optimizer steps, every X epochs, or {@code auto}.
 *
 * <p>Written as {@code epoch}, {@code 500} (steps), {@code 500 steps}, {@code 1 epoch}, {@code 0.5 epochs} or
 * {@code auto}; {@code auto} (unfreezing only) means total_steps / (2 (L + 2)) for an encoder of L layers, so
 * that every layer is trainable for the second half of training.
 *
 * @param amount steps or epochs; unused for {@link Unit#AUTO}
 * @param unit what {@code amount} counts
 */
public record Interval(double amount, Unit unit) {

    /** What an interval counts. */
    public enum Unit { STEPS, EPOCHS, AUTO }

    /** The interval in optimizer steps, at least 1. */
    public long steps(long stepsPerEpoch, long totalSteps, int layers) {
        double steps = switch (unit) {
            case STEPS -> amount;
            case EPOCHS -> amount * stepsPerEpoch;
            case AUTO -> (double) totalSteps / (2 * (layers + 2));
        };
        return Math.max(1, (long) steps);
    }

    /** The interval as a task file would write it. */
    @Override
    public String toString() {
        return switch (unit) {
            case AUTO -> "auto";
            case STEPS -> (long) amount + (amount == 1 ? " step" : " steps");
            case EPOCHS -> amount == 1 ? "epoch" : Values.number(amount) + " epochs";
        };
    }
}
