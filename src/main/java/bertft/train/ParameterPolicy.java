package bertft.train;

import ai.djl.ndarray.NDArray;
import java.util.Map;

/**
 * What trains at each optimizer step of the one loop ({@link Trainer}), and at what learning rate: which model
 * parameters take gradients (layer freezing, gradual unfreezing, adapt's head-only phase), the schedule's factor,
 * and each parameter's rate. {@link LayerSchedule} is {@code train}'s (strategies, layer-wise decay, unfreezing).
 */
public interface ParameterPolicy {
    /**
     * Sets which of the model's parameters take gradients at optimizer step {@code step} (0-based), before each of
     * its batches; returns the group this made trainable below the ones before (for the log), or null.
     */
    String apply(long step, Map<String, NDArray> params);

    /** Whether any encoder weight trains at {@code step} (if not, the encoder runs in eval mode: no dropout). */
    boolean encoderTrains(long step);

    /** The learning-rate schedule's factor at {@code step}. */
    double factor(long step);

    /** Parameter {@code name}'s rate at {@code step}, whose factor is {@code factor}. */
    double lr(String name, long step, double factor);

    /** The rate logged for {@code step}. */
    double rate(long step, double factor);

    /** The rate of each trainable parameter group at {@code step}, for the log (null: none logged). */
    default Map<String, Double> groupRates(long step, double factor) {
        return null;
    }

    /** A run resumed at {@code step}: what was trainable before it (so an unfreezing right there is logged). */
    default void resumeAt(long step) {}
}
