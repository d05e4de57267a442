package bertft.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import bertft.data.Features;
import bertft.model.Objective;
import bertft.model.TaskModel;
import bertft.text.Batch;
import java.util.Random;

/**
 * {@code train}'s objective: a task model's head on labelled examples, with the loss of its {@link Objective}
 * (cross-entropy with optional class weights, binary cross-entropy, mean squared error, QA start/end spans);
 * optional training-time token noise ({@code augment}); with a {@link FeatureCache} of a frozen encoder's features
 * only the head runs.
 */
public final class SupervisedObjective implements TrainingObjective {
    private final TaskModel model;
    private final Objective objective;
    private final Features train;
    private final NDArray classWeights;
    private FeatureCache cache;
    private double tokenMask;
    private double tokenDropout;
    private long maskId = -1;
    private long seed;
    private long noiseStep = -1;
    private Batch.Noise noise;

    /**
     * @param classWeights a loss weight per class (single-label), or null
     * @param m holds the class weights for the run
     */
    public SupervisedObjective(TaskModel model, Objective objective, Features train, float[] classWeights, NDManager m) {
        this.model = model;
        this.objective = objective;
        this.train = train;
        this.classWeights = classWeights == null ? null : m.create(classWeights);
    }

    /** Token noise per batch ({@code augment}), drawn from {@code (seed, micro-step)}; returns this. */
    public SupervisedObjective noise(double tokenMask, double tokenDropout, long maskId, long seed) {
        this.tokenMask = tokenMask;
        this.tokenDropout = tokenDropout;
        this.maskId = maskId;
        this.seed = seed;
        return this;
    }

    /** Trains the head alone on the frozen encoder's features in {@code c} (the policy must keep it frozen). */
    public SupervisedObjective cached(FeatureCache c) {
        this.cache = c;
        return this;
    }

    public TaskModel model() {
        return model;
    }

    public Features train() {
        return train;
    }

    @Override
    public int[] lengths() {
        return train.lengths();
    }

    @Override
    public Loss loss(int[] part, Pass pass, NDManager m) {
        if (cache != null) {
            return Loss.of(taskLoss(model.headOnFeatures(cache.batch(part, m), true), part, m));
        }
        return Loss.of(taskLoss(model.forward(batch(part, pass, m), pass.encoderTrains(), true), part, m));
    }

    /** The micro-batch's inputs, with this batch's noise (one draw sequence over all its micro-batches). */
    Batch batch(int[] part, Pass pass, NDManager m) {
        if (tokenMask + tokenDropout > 0 && noiseStep != pass.microStep()) {
            noise = new Batch.Noise(tokenMask, tokenDropout, maskId, new Random(seed * 31 + pass.microStep()));
            noiseStep = pass.microStep();
        }
        return train.batch(part, m, tokenMask + tokenDropout > 0 ? noise : null);
    }

    /** The task's loss of the head's {@code logits} for the examples {@code part}. */
    NDArray taskLoss(NDArray logits, int[] part, NDManager m) {
        return objective.loss(logits, train, part, classWeights, m);
    }
}
