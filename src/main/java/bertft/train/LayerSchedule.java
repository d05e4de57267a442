package bertft.train;

import ai.djl.ndarray.NDArray;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Predicate;

/**
 * {@code train}'s parameter policy: the strategy's unfreezing (frozen, top-k, full, gradual) decides which depths
 * train at each step, {@link LayerPolicy} gives each depth its rate (layer-wise decay, a head rate), and one
 * {@link Schedule} over the whole run scales them.
 */
public final class LayerSchedule implements ParameterPolicy {
    private final LayerPolicy layers;
    private final Unfreezing unfreezing;
    private final Schedule schedule;
    private final double learningRate;
    private final Predicate<String> trainable;
    private int trainableDepth = -1;

    /**
     * @param layers depths and rates by parameter name
     * @param unfreezing which depths train at each step
     * @param schedule the learning-rate factor by step
     * @param learningRate the encoder's peak rate
     * @param trainable whether the model can train a parameter at all (the model's own rule)
     */
    public LayerSchedule(LayerPolicy layers, Unfreezing unfreezing, Schedule schedule, double learningRate,
            Predicate<String> trainable) {
        this.layers = layers;
        this.unfreezing = unfreezing;
        this.schedule = schedule;
        this.learningRate = learningRate;
        this.trainable = trainable;
    }

    @Override
    public void resumeAt(long step) {
        trainableDepth = step == 0 ? -1 : unfreezing.trainableDepth(step - 1, layers.maxDepth());
    }

    /** Freezes what the unfreezing schedule says is not trainable yet; unfreezes the rest. */
    @Override
    public String apply(long step, Map<String, NDArray> params) {
        int depth = unfreezing.trainableDepth(step, layers.maxDepth());
        String unfrozen = trainableDepth >= 0 && depth > trainableDepth ? layers.group(depth) : null;
        trainableDepth = depth;
        for (Map.Entry<String, NDArray> e : params.entrySet()) {
            boolean trains = layers.depth(e.getKey()) <= depth && trainable.test(e.getKey());
            if (trains != e.getValue().hasGradient()) {
                e.getValue().setRequiresGradient(trains);
            }
        }
        return unfrozen;
    }

    @Override
    public boolean encoderTrains(long step) {
        return unfreezing.trainableDepth(step, layers.maxDepth()) >= 1;
    }

    @Override
    public double factor(long step) {
        return schedule.factor(step);
    }

    @Override
    public double lr(String name, long step, double factor) {
        return layers.lr(name, learningRate, factor);
    }

    @Override
    public double rate(long step, double factor) {
        return learningRate * factor;
    }

    /** The learning rate of each parameter group that trained at this optimizer step. */
    @Override
    public Map<String, Double> groupRates(long step, double factor) {
        Map<String, Double> rates = new LinkedHashMap<>();
        for (int d = 0; d <= trainableDepth; d++) {
            rates.put(layers.group(d), layers.lrAtDepth(d, learningRate, factor));
        }
        return rates;
    }
}
