package bertft.train;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.training.GradientCollector;
import bertft.Fault;
import bertft.UserError;
import bertft.model.Scalar;
import bertft.model.TaskModel;
import bertft.model.Torch;
import bertft.text.Batch;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.Function;

/**
 * The training loop: short and linear; policy (schedule, layer rates, unfreezing, evaluation, early stopping,
 * logging, checkpoints) lives in the small objects it calls.
 */
public final class Trainer {
    /** Evaluates the model on the validation set: metric name -> value. */
    public interface Evaluation extends Function<TaskModel, Map<String, Double>> {}

    /** Receives progress: every optimizer step, every evaluation, and the end. */
    public interface Listener {
        /** {@code groupLr}: the rate of each trainable parameter group (head, layer.N, embeddings) at this step. */
        void step(long step, long totalSteps, int epoch, double loss, double lr, Map<String, Double> groupLr,
                double gradNorm, long tokens, double seconds);

        /** Gradual unfreezing made parameter groups down to {@code group} trainable before optimizer step {@code step}. */
        default void unfrozen(long step, String group) {}

        /** Called after each evaluation; returns false to stop training (early stopping). */
        boolean evaluated(long step, int epoch, Map<String, Double> metrics);

        /** Domain-adversarial training: the step's domain loss, domain-classifier accuracy and lambda. */
        default void domain(long step, double loss, double accuracy, double lambda) {}

        /** Called at a resumable point (after each evaluation), with where training would go on from. */
        void checkpoint(Position next);
    }

    /** The numbers the loop needs (from the task's resolved settings). */
    public record Settings(int batchSize, double epochs, double learningRate, Double headLearningRate,
            double warmupRatio, String schedule, double weightDecay, double maxGradNorm, int gradientAccumulation,
            int microBatchSize, long seed, long evalEverySteps, double layerDecay, Unfreezing unfreezing, double tokenMask,
            double tokenDropout, long maskId, double emaDecay) {}

    private final TaskModel model;
    private final Objective objective;
    private final Settings s;
    private final AdamW adam = new AdamW();
    private final LayerPolicy policy;
    private NDArray classWeights;
    private int trainableDepth = -1;
    private DomainAdversary adversary;
    private final WeightAverage average;

    public Trainer(TaskModel model, Objective objective, Settings settings, float[] classWeights, NDManager m) {
        this.model = model;
        this.objective = objective;
        this.s = settings;
        this.policy = new LayerPolicy(model.family(), model.encoder().config().numHiddenLayers(), settings.layerDecay(),
                settings.headLearningRate());
        this.classWeights = classWeights == null ? null : m.create(classWeights);
        this.average = settings.emaDecay() > 0 ? new WeightAverage(settings.emaDecay()) : null;
    }

    public AdamW optimizer() {
        return adam;
    }

    /** Trains domain-adversarially against {@code a} (null: plain fine-tuning). */
    public void adversary(DomainAdversary a) {
        this.adversary = a;
    }

    public DomainAdversary adversary() {
        return adversary;
    }

    /** The moving average of the weights ({@code ema-decay}), or null when the run keeps none. */
    public WeightAverage average() {
        return average;
    }

    /** Where training stands: optimizer steps done, and the next batch of which epoch. */
    public record Position(long step, int epoch, int batch) {
        public static final Position START = new Position(0, 0, 0);
    }

    /** Optimizer steps per epoch: a last partial accumulation still makes a step. */
    public long stepsPerEpoch(int examples) {
        long batches = ((long) examples + s.batchSize() - 1) / s.batchSize();
        return (batches + s.gradientAccumulation() - 1) / s.gradientAccumulation();
    }

    /** Optimizer steps for the whole run (epochs may be fractional). */
    public long totalSteps(int examples) {
        return Math.max(1, (long) Math.ceil(stepsPerEpoch(examples) * s.epochs()));
    }

    /**
     * Trains from {@code start} (the beginning, or where a resumed run stopped) to the end or an early stop; with
     * a {@code cache} of frozen-encoder features only the head runs (the unfreezing policy must keep the
     * encoder frozen).
     */
    public void fit(Features train, FeatureCache cache, Position start, Evaluation eval, Listener listener) {
        int[] lengths = train.lengths();
        long total = totalSteps(train.size());
        Schedule schedule = new Schedule(s.schedule(), total, Math.round(total * s.warmupRatio()));
        long step = start.step();
        int epoch = start.epoch();
        int first = start.batch();
        // a resumed run knows what was trainable before its first step, so an unfreezing right there is logged
        trainableDepth = step == 0 ? -1 : s.unfreezing().trainableDepth(step - 1, policy.maxDepth());
        while (step < total) {
            // 1) this epoch's batches: same order for the same seed and epoch, so a resumed run continues exactly
            List<int[]> batches = Batcher.training(lengths, s.batchSize(), new Random(s.seed() * 1_000_003L + epoch));
            long microStep = (long) epoch * batches.size() + first;
            // what one optimizer step covers: every micro-batch accumulated into it (loss, tokens, time)
            double stepLoss = 0;
            long stepTokens = 0;
            int micro = 0;
            long t0 = 0;
            for (int bi = first; bi < batches.size() && step < total; bi++) {
                int[] idx = batches.get(bi);
                if (micro == 0) {
                    t0 = System.nanoTime();
                }
                applyUnfreezing(step, listener);
                // 2) dropout and noise draws depend only on (seed, micro-step)
                Torch.seed(s.seed() * 7919L + microStep);
                Batch.Noise noise = s.tokenMask() + s.tokenDropout() > 0
                        ? new Batch.Noise(s.tokenMask(), s.tokenDropout(), s.maskId(), new Random(s.seed() * 31 + microStep))
                        : null;
                stepTokens += java.util.Arrays.stream(idx).map(i -> lengths[i]).sum();
                // 3) forward, loss, backward in passes of at most micro-batch-size examples, each loss weighted by
                // its share of the batch and scaled for accumulation: gradients add up in .grad
                for (int from = 0; from < idx.length; from += s.microBatchSize()) {
                    int[] part = java.util.Arrays.copyOfRange(idx, from, Math.min(idx.length, from + s.microBatchSize()));
                    double share = s.gradientAccumulation() * ((double) idx.length / part.length);
                    try (NDManager m = NDManager.newBaseManager();
                            GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                        Batch b = cache == null ? train.batch(part, m, noise) : null;
                        NDArray l;
                        if (adversary == null) {
                            NDArray logits = cache == null ? model.forward(b, encoderTrains(step), true)
                                    : model.headOnFeatures(cache.batch(part, m), true);
                            l = objective.loss(logits, train, part, classWeights, m);
                            stepLoss += l.getFloat() * part.length / idx.length;
                        } else {
                            // the task loss on the labelled source batch, plus the domain loss of source vs target
                            // (a batch is never split here: TaskFiles refuses micro-batch-size with it)
                            boolean encoder = encoderTrains(step);
                            NDArray hidden = model.encode(b, encoder); // (B, T, H)
                            NDArray task = objective.loss(model.head(hidden, b.attentionMask(), true), train, part,
                                    classWeights, m);
                            stepLoss += task.getFloat();
                            l = task.add(adversary.loss(model, model.features(hidden, b.attentionMask()), encoder,
                                    epoch, bi, (double) step / total, m));
                        }
                        gc.backward(Scalar.div(l, share));
                    }
                }
                micro++;
                microStep++;
                if ((bi + 1) % s.gradientAccumulation() != 0 && bi + 1 < batches.size()) {
                    continue;
                }
                // 4) one optimizer step: clip, AdamW with per-layer rates, zero
                Fault.at("step");
                double factor = schedule.factor(step);
                double gradNorm = optimizerStep(step, factor);
                step++;
                if (average != null) {
                    average.update(model.params(), step);
                }
                listener.step(step, total, epoch, stepLoss / micro, s.learningRate() * factor, groupRates(factor),
                        gradNorm, stepTokens, (System.nanoTime() - t0) / 1e9);
                stepLoss = 0;
                stepTokens = 0;
                micro = 0;
                if (adversary != null) {
                    double[] d = adversary.last();
                    listener.domain(step, d[0], d[1], d[2]);
                }
                // 5) evaluate (and maybe stop) every N steps, or at the end of each epoch
                boolean endOfEpoch = bi + 1 == batches.size();
                boolean due = s.evalEverySteps() > 0 ? step % s.evalEverySteps() == 0 || step == total
                        : endOfEpoch || step == total;
                if (due) {
                    // with a moving average, validation and the kept model see it; training goes on from the weights
                    swapAverage();
                    boolean go = listener.evaluated(step, epoch, eval.apply(model));
                    swapAverage();
                    listener.checkpoint(endOfEpoch ? new Position(step, epoch + 1, 0) : new Position(step, epoch, bi + 1));
                    if (!go) {
                        return;
                    }
                }
            }
            epoch++;
            first = 0;
        }
    }

    private void swapAverage() {
        if (average != null) {
            average.swap(model.params());
        }
    }

    /** The learning rate of each parameter group that trained at this optimizer step. */
    private Map<String, Double> groupRates(double factor) {
        Map<String, Double> rates = new java.util.LinkedHashMap<>();
        for (int d = 0; d <= trainableDepth; d++) {
            rates.put(policy.group(d), policy.lrAtDepth(d, s.learningRate(), factor));
        }
        return rates;
    }

    /** Freezes what the unfreezing schedule says is not trainable yet; unfreezes the rest. */
    private void applyUnfreezing(long step, Listener listener) {
        int depth = s.unfreezing().trainableDepth(step, policy.maxDepth());
        if (trainableDepth >= 0 && depth > trainableDepth) {
            listener.unfrozen(step, policy.group(depth));
        }
        trainableDepth = depth;
        for (Map.Entry<String, NDArray> e : model.params().entrySet()) {
            boolean trainable = policy.depth(e.getKey()) <= depth && model.trainable(e.getKey());
            if (trainable != e.getValue().hasGradient()) {
                e.getValue().setRequiresGradient(trainable);
            }
        }
    }

    /** Whether any encoder weight trains now (if not, the encoder runs in eval mode: no dropout). */
    public boolean encoderTrains(long step) {
        return s.unfreezing().trainableDepth(step, policy.maxDepth()) >= 1;
    }

    private double optimizerStep(long step, double factor) {
        try (NDManager scope = NDManager.newBaseManager()) {
            Map<String, NDArray> params = model.params();
            if (adversary != null) {
                params = new java.util.LinkedHashMap<>(params);
                params.putAll(adversary.params());
            }
            Map<String, NDArray> grads = Gradients.of(params, scope);
            double norm = Gradients.globalNorm(grads.values());
            if (!Double.isFinite(norm)) {
                // one NaN/inf update would poison every weight; stop before applying it
                throw new UserError("training diverged at step " + (step + 1) + ": the gradient norm is "
                        + norm + " (first in " + Gradients.firstNonFinite(grads) + "); try a lower learning-rate or a"
                        + " longer warmup-ratio");
            }
            // the clip factor is applied inside the update, not as a pass of its own over every gradient
            adam.step(params, grads, name -> policy.lr(name, s.learningRate(), factor), s.weightDecay(),
                    Gradients.clipScale(norm, s.maxGradNorm()));
            Gradients.zero(new ArrayList<>(params.values()));
            return norm;
        }
    }
}
