package bertft.train;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.training.GradientCollector;
import bertft.Fault;
import bertft.UserError;
import bertft.checkpoint.SafeTensors;
import bertft.checkpoint.TensorData;
import bertft.data.Batcher;
import bertft.model.Checkpointing;
import bertft.model.Scalar;
import bertft.model.Torch;
import bertft.task.Interval;
import bertft.task.TaskSpec;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.Supplier;

/**
 * The one training loop, for every kind of training ({@code train}'s tasks, DANN, {@code adapt}'s masked LM):
 * short and linear. What is learnt is a {@link TrainingObjective}; what trains when and at what rate is a
 * {@link ParameterPolicy}; evaluation, early stopping, logging and checkpoints are the {@link Listener}'s. The
 * loop owns the seeds, batching, micro-batches, gradient accumulation, clipping, AdamW, the moving average of the
 * weights, the evaluation cadence and the resume position, once for all of them.
 */
public final class Trainer {
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

    /** Told how long each part of a step took ({@code bench}): {@link #PHASES}, in order, once each per pass. */
    public interface Timing {
        void lap(int phase);

        Timing NONE = phase -> {};
    }

    /** The parts of a training step, in order: what {@link Timing} is told of. */
    public static final List<String> PHASES = List.of("forward", "backward", "global norm", "AdamW", "zero");

    /** The numbers the loop needs, by their task-file names (see {@link #of}). */
    public record Settings(int batchSize, double epochs, double headEpochs, double learningRate,
            double warmupRatio, String schedule, double weightDecay, double maxGradNorm, int gradientAccumulation,
            int microBatchSize, long seed, Interval evalEvery, double emaDecay, boolean gradientCheckpointing) {

        /** The loop's settings of a {@code train} or {@code adapt} task (keys the task has not: their defaults). */
        public static Settings of(TaskSpec spec) {
            Map<String, TaskSpec.Origin> keys = spec.provenance();
            Integer micro = keys.containsKey("micro-batch-size") ? spec.microBatchSize() : null;
            Double ema = keys.containsKey("ema-decay") ? spec.emaDecay() : null;
            return new Settings(spec.batchSize(), spec.epochs(),
                    keys.containsKey("head-epochs") ? spec.headEpochs() : 0, spec.learningRate(), spec.warmupRatio(),
                    spec.schedule(), spec.weightDecay(), spec.maxGradNorm(), spec.gradientAccumulation(),
                    micro == null ? spec.batchSize() : micro, spec.seed(), spec.evalEvery(), ema == null ? 0 : ema,
                    spec.gradientCheckpointing());
        }
    }

    /**
     * How many optimizer steps a run takes, from its settings and its number of training examples.
     *
     * @param stepsPerEpoch optimizer steps per epoch: a last partial accumulation still makes a step
     * @param headSteps steps before the main phase ({@code adapt}'s head-epochs; 0 for {@code train})
     * @param totalSteps all optimizer steps (epochs may be fractional)
     * @param evalEvery steps between evaluations, or 0 for the end of each epoch
     */
    public record Plan(long stepsPerEpoch, long headSteps, long totalSteps, long evalEvery) {
        public static Plan of(Settings s, int examples, int layers) {
            long batches = ((long) examples + s.batchSize() - 1) / s.batchSize();
            long perEpoch = (batches + s.gradientAccumulation() - 1) / s.gradientAccumulation();
            long head = Math.round(perEpoch * s.headEpochs());
            long total = head + Math.max(1, (long) Math.ceil(perEpoch * s.epochs()));
            Interval every = s.evalEvery();
            long evalEvery = every.unit() == Interval.Unit.EPOCHS && every.amount() == 1 ? 0
                    : every.steps(perEpoch, total, layers);
            return new Plan(perEpoch, head, total, evalEvery);
        }

        /** The steps of the main phase (all of them but the head-only ones). */
        public long mainSteps() {
            return totalSteps - headSteps;
        }
    }

    /** Where training stands: optimizer steps done, and the next batch of which epoch. */
    public record Position(long step, int epoch, int batch) {
        public static final Position START = new Position(0, 0, 0);
    }

    /** Test hook: a system property naming a step after whose resume checkpoint the run dies, as if killed. */
    public static final String STOP_AFTER_STEP = "bertft.stopAfterStep";

    /** The moving average of the weights in the resume state (ema-decay): the weights there are the raw ones. */
    public static final String AVERAGE_FILE = "weight_average.safetensors";

    private final Settings s;
    private final Plan plan;
    private final Map<String, NDArray> weights;
    private final TrainingObjective objective;
    private final ParameterPolicy policy;
    private final AdamW adam = new AdamW();
    private final WeightAverage average;
    /**
     * Training stopped before an update that would have put NaN or infinity into the weights: a property of the
     * settings (too high a learning rate), which {@code tune} records as a failed trial and searches on.
     */
    public static final class Diverged extends UserError {
        private static final long serialVersionUID = 1L;

        Diverged(String message) {
            super(message);
        }
    }

    private String divergedVerb = "training";
    private Timing timing = Timing.NONE;

    /**
     * @param weights the model's parameters by name (those the policy may train; the moving average's)
     */
    public Trainer(Settings settings, Plan plan, Map<String, NDArray> weights, TrainingObjective objective,
            ParameterPolicy policy) {
        this.s = settings;
        this.plan = plan;
        this.weights = weights;
        this.objective = objective;
        this.policy = policy;
        this.average = settings.emaDecay() > 0 ? new WeightAverage(settings.emaDecay()) : null;
    }

    /** The word a divergence is reported with ({@code adapting diverged at step ...}). */
    public Trainer divergedVerb(String verb) {
        this.divergedVerb = verb;
        return this;
    }

    /** Tells {@code t} how long each part of every step takes; returns this. */
    public Trainer timing(Timing t) {
        this.timing = t == null ? Timing.NONE : t;
        return this;
    }

    public AdamW optimizer() {
        return adam;
    }

    public Plan plan() {
        return plan;
    }

    /** The moving average of the weights ({@code ema-decay}), or null when the run keeps none. */
    public WeightAverage average() {
        return average;
    }

    /** The loss, tokens, time and micro-batches that one optimizer step accumulates. */
    private static final class Accumulated {
        double loss;
        long tokens;
        int batches;
        long started;
    }

    /**
     * Trains from {@code start} (the beginning, or where a resumed run stopped) to the end or an early stop;
     * {@code eval} scores the model (with a moving average: the averaged weights).
     */
    public void fit(Position start, Supplier<Map<String, Double>> eval, Listener listener) {
        int[] lengths = objective.lengths();
        long total = plan.totalSteps();
        long step = start.step();
        int epoch = start.epoch();
        int first = start.batch();
        policy.resumeAt(step);
        while (step < total) {
            // 1) this epoch's batches: same order for the same seed and epoch, so a resumed run continues exactly
            List<int[]> batches = Batcher.training(lengths, s.batchSize(), new Random(s.seed() * 1_000_003L + epoch));
            long microStep = (long) epoch * batches.size() + first;
            // what one optimizer step covers: every batch accumulated into it (loss, tokens, time)
            Accumulated acc = new Accumulated();
            for (int bi = first; bi < batches.size() && step < total; bi++) {
                int[] idx = batches.get(bi);
                if (acc.batches == 0) {
                    acc.started = System.nanoTime();
                }
                String unfrozen = policy.apply(step, weights);
                if (unfrozen != null) {
                    listener.unfrozen(step, unfrozen);
                }
                acc.tokens += Arrays.stream(idx).map(i -> lengths[i]).sum();
                backward(idx, new TrainingObjective.Pass(step, total, epoch, bi, microStep, policy.encoderTrains(step)),
                        acc);
                microStep++;
                if ((bi + 1) % s.gradientAccumulation() != 0 && bi + 1 < batches.size()) {
                    continue;
                }
                // 4) one optimizer step: clip, AdamW with per-parameter rates, zero
                Fault.at("step");
                double factor = policy.factor(step);
                double gradNorm = update(step, factor);
                step++;
                if (average != null) {
                    average.update(weights, step);
                }
                listener.step(step, total, epoch, acc.loss / acc.batches, policy.rate(step - 1, factor),
                        policy.groupRates(step - 1, factor), gradNorm, acc.tokens,
                        (System.nanoTime() - acc.started) / 1e9);
                objective.stepped(step, listener);
                acc = new Accumulated();
                // 5) evaluate (and maybe stop) every N steps, or at the end of each epoch
                boolean endOfEpoch = bi + 1 == batches.size();
                boolean due = plan.evalEvery() > 0 ? step % plan.evalEvery() == 0 || step == total
                        : endOfEpoch || step == total;
                if (due) {
                    // with a moving average, validation and the kept model see it; training goes on from the weights
                    swapAverage();
                    boolean go = listener.evaluated(step, epoch, eval.get());
                    swapAverage();
                    listener.checkpoint(endOfEpoch ? new Position(step, epoch + 1, 0) : new Position(step, epoch, bi + 1));
                    if (Long.getLong(STOP_AFTER_STEP, -1L) == step) {
                        throw new IllegalStateException("stopped after step " + step + " (" + STOP_AFTER_STEP + ")");
                    }
                    if (!go) {
                        return;
                    }
                }
            }
            epoch++;
            first = 0;
        }
    }

    /**
     * One optimizer step on one batch, as {@link #fit} takes it (parameter policy, seeded dropout, forward,
     * backward, clip, AdamW, zero), for {@code bench}; returns the gradient norm.
     */
    public double step(int[] idx, long step) {
        policy.apply(step, weights);
        backward(idx, new TrainingObjective.Pass(step, plan.totalSteps(), 0, 0, step, policy.encoderTrains(step)),
                new Accumulated());
        return update(step, policy.factor(step));
    }

    /**
     * 2) and 3) of a step: seeded dropout, then forward, loss and backward in passes of at most micro-batch-size
     * examples, each loss weighted by its share of the batch and scaled for accumulation: gradients add up in .grad.
     */
    private void backward(int[] idx, TrainingObjective.Pass pass, Accumulated acc) {
        // dropout (and any noise the objective draws) depends only on (seed, micro-step)
        Torch.seed(s.seed() * 7919L + pass.microStep());
        for (int from = 0; from < idx.length; from += s.microBatchSize()) {
            int[] part = Arrays.copyOfRange(idx, from, Math.min(idx.length, from + s.microBatchSize()));
            double share = s.gradientAccumulation() * ((double) idx.length / part.length);
            try (Checkpointing checkpointing = s.gradientCheckpointing() ? Checkpointing.open() : null;
                    NDManager m = Torch.newManager();
                    GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                TrainingObjective.Loss l = objective.loss(part, pass, m);
                acc.loss += (float) l.logged() * part.length / idx.length; // in float, as the step's loss always was
                timing.lap(0);
                gc.backward(Scalar.div(l.value(), share));
                if (checkpointing != null) {
                    checkpointing.backward(); // the encoder's layers, run again from their kept inputs
                }
            }
            timing.lap(1);
        }
        acc.batches++;
    }

    private void swapAverage() {
        if (average != null) {
            average.swap(weights);
        }
    }

    /** Every parameter the optimizer updates: the model's and the objective's own. */
    private Map<String, NDArray> trained() {
        Map<String, NDArray> own = objective.params();
        if (own.isEmpty()) {
            return weights;
        }
        Map<String, NDArray> all = new LinkedHashMap<>(weights);
        all.putAll(own);
        return all;
    }

    private double update(long step, double factor) {
        try (NDManager scope = Torch.newManager()) {
            Map<String, NDArray> params = trained();
            Map<String, NDArray> grads = Gradients.of(params, scope);
            double norm = Gradients.globalNorm(grads.values());
            timing.lap(2);
            if (!Double.isFinite(norm)) {
                // one NaN/inf update would poison every weight; stop before applying it
                throw new Diverged(divergedVerb + " diverged at step " + (step + 1) + ": the gradient norm is "
                        + norm + " (first in " + Gradients.firstNonFinite(grads) + "); try a lower learning-rate or a"
                        + " longer warmup-ratio");
            }
            // the clip factor is applied inside the update, not as a pass of its own over every gradient
            adam.step(params, grads, name -> policy.lr(name, step, factor), s.weightDecay(),
                    Gradients.clipScale(norm, s.maxGradNorm()));
            timing.lap(3);
            Gradients.zero(new ArrayList<>(params.values()));
            timing.lap(4);
            return norm;
        }
    }

    /** Every parameter whose optimizer state the resume state keeps: the model's and the objective's. */
    public Map<String, NDArray> resumable() {
        return trained();
    }

    /** The resume state's files besides the model and the optimizer: the objective's, the moving average. */
    public Map<String, Map<String, TensorData>> state() {
        Map<String, Map<String, TensorData>> files = new LinkedHashMap<>(objective.state());
        if (average != null) {
            files.put(AVERAGE_FILE, average.tensors());
        }
        return files;
    }

    /** Restores {@link #state} from the resume state's directory (before the optimizer, which needs every name). */
    public void restore(Path dir) {
        objective.restore(dir);
        if (average != null) {
            try {
                required(dir, AVERAGE_FILE, "ema-decay").forEach((name, t) -> average.load(weights, name, t));
            } catch (IllegalArgumentException e) {
                throw new UserError(dir.resolve(AVERAGE_FILE) + ": " + e.getMessage() + "; start the run again");
            }
        }
    }

    /** Tensors the resume state must hold besides the model's for how this run trains, read. */
    public static Map<String, TensorData> required(Path dir, String file, String forWhat) {
        if (!Files.exists(dir.resolve(file))) {
            throw new UserError(dir + ": no " + file + " for " + forWhat + "; start the run again");
        }
        return SafeTensors.read(dir.resolve(file));
    }
}
