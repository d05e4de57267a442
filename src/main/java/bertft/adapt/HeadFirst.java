package bertft.adapt;

import ai.djl.ndarray.NDArray;
import bertft.train.ParameterPolicy;
import bertft.train.Schedule;
import java.util.Map;
import java.util.Set;
import java.util.function.Predicate;

/**
 * {@code adapt}'s parameter policy: {@code head-epochs} of steps train the masked-LM head alone (the encoder frozen,
 * at the head's rate), then everything trains (the head at its rate, the encoder at learning-rate); each phase
 * has its own warm-up and decay.
 */
final class HeadFirst implements ParameterPolicy {
    private final Set<String> head;
    private final long headSteps;
    private final Schedule headOnly;
    private final Schedule schedule;
    private final double headRate;
    private final double learningRate;
    private final Predicate<String> trainable;

    HeadFirst(Set<String> head, long headSteps, long mainSteps, String schedule, double warmupRatio, double headRate,
            double learningRate, Predicate<String> trainable) {
        this.head = head;
        this.headSteps = headSteps;
        this.headOnly = new Schedule(schedule, headSteps, Math.round(headSteps * warmupRatio));
        this.schedule = new Schedule(schedule, mainSteps, Math.round(mainSteps * warmupRatio));
        this.headRate = headRate;
        this.learningRate = learningRate;
        this.trainable = trainable;
    }

    /** Only the head takes gradients (frozen: backward stops at the head) or every trainable parameter. */
    @Override
    public String apply(long step, Map<String, NDArray> params) {
        boolean frozen = step < headSteps;
        params.forEach((name, p) -> {
            boolean trains = trainable.test(name) && (!frozen || head.contains(name));
            if (trains != p.hasGradient()) {
                p.setRequiresGradient(trains);
            }
        });
        return null;
    }

    /** The masked-LM loss always runs the encoder in training mode (dropout), frozen or not. */
    @Override
    public boolean encoderTrains(long step) {
        return true;
    }

    @Override
    public double factor(long step) {
        return step < headSteps ? headOnly.factor(step) : schedule.factor(step - headSteps);
    }

    @Override
    public double lr(String name, long step, double factor) {
        return (head.contains(name) ? headRate : learningRate) * factor;
    }

    @Override
    public double rate(long step, double factor) {
        return (step < headSteps ? headRate : learningRate) * factor;
    }
}
