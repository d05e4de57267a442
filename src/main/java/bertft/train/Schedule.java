package bertft.train;

/**
 * The learning-rate multiplier at each optimizer step: warm-up, then decay.
 *
 * <p>{@code linear}: 0 -> 1 over the warm-up steps, then linearly to 0 at the last step (HuggingFace's
 * get_linear_schedule_with_warmup). {@code cosine}: warm-up, then half a cosine to 0. {@code constant}:
 * warm-up, then 1. {@code slanted-triangular} (ULMFiT): a short linear rise over the warm-up fraction, a long
 * linear fall, never below 1/32.
 */
public record Schedule(String kind, long totalSteps, long warmupSteps) {

    public static final java.util.List<String> KINDS = java.util.List.of("linear", "cosine", "constant",
            "slanted-triangular");

    public Schedule {
        if (!KINDS.contains(kind)) {
            throw new IllegalArgumentException("schedule " + kind + " is not one of " + KINDS);
        }
    }

    /** Multiplier for the optimizer step {@code step} (0-based). */
    public double factor(long step) {
        if (kind.equals("slanted-triangular")) {
            double ratio = 32;
            long cut = Math.max(1, warmupSteps);
            double p = step < cut ? (double) step / cut
                    : 1 - (double) (step - cut) / Math.max(1, totalSteps - cut);
            return (1 + p * (ratio - 1)) / ratio;
        }
        // 1) linear warm-up
        if (step < warmupSteps) {
            return (double) step / Math.max(1, warmupSteps);
        }
        // 2) decay over the remaining steps
        double progress = (double) (step - warmupSteps) / Math.max(1, totalSteps - warmupSteps);
        return switch (kind) {
            case "linear" -> Math.max(0, 1 - progress);
            case "cosine" -> Math.max(0, 0.5 * (1 + Math.cos(Math.PI * progress)));
            default -> 1;
        };
    }
}
