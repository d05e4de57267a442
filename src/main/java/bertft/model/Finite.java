package bertft.model;

import bertft.UserError;

/**
 * Refuses NaN and infinity in model outputs about to be printed as JSON or probabilities (weights are checked
 * when a checkpoint is read, see {@link bertft.checkpoint.TensorData#allFinite}).
 */
public final class Finite {
    private Finite() {}

    /** Checks outputs; {@code what} says whose, e.g. {@code runs/x: scores}. */
    public static void requireOutputs(float[] values, String what) {
        for (float v : values) {
            if (!Float.isFinite(v)) {
                throw new UserError(what + " came out NaN or infinite (the weights overflow on this input; is the "
                        + "model damaged or diverged?)");
            }
        }
    }
}
