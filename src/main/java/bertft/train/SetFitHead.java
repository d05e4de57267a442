package bertft.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import bertft.data.Features;
import bertft.model.Objective;
import bertft.model.TaskModel;
import bertft.model.Torch;
import bertft.task.Interval;
import java.nio.FloatBuffer;
import java.util.Map;

/**
 * SetFit's second step: the classifier over the fine-tuned body's sentence embeddings of the training examples,
 * fitted into the task model's own output layer ({@code classifier}), so that the run is an ordinary classifier
 * for every consumer (classify, serve, ONNX export). {@code logistic}: {@link LogisticRegression} (C = 1, as
 * SetFit's scikit-learn head), multinomial, one-vs-rest for multilabel, one sigmoid for two classes.
 * {@code differentiable}: the layer trained by the one loop on the frozen body's cached embeddings, as SetFit's
 * differentiable head is by default (16 epochs, batch 2, rate 1e-2, AdamW).
 */
public final class SetFitHead {
    /** The head's L2 strength: scikit-learn's default C. */
    static final double C = 1.0;
    /** The largest gradient entry of the logistic objective at which the fit stops. */
    static final double TOLERANCE = 1e-5;
    static final int MAX_ITERATIONS = 100_000;

    /** What the last fit did, for the report. */
    public record Fitted(String head, int examples, int iterations, boolean converged, double seconds) {}

    private final TaskModel model;
    private final Features train;
    private final boolean multiLabel;
    private final boolean differentiable;
    private final Objective objective;
    private final double headRate;
    private final long seed;
    private final int batchSize;
    private Fitted last;

    /**
     * @param objective the task's loss (the differentiable head's)
     * @param headRate the differentiable head's peak rate
     * @param batchSize examples per encoder pass when embedding
     */
    public SetFitHead(TaskModel model, Features train, boolean multiLabel, boolean differentiable,
            Objective objective, double headRate, long seed, int batchSize) {
        this.model = model;
        this.train = train;
        this.multiLabel = multiLabel;
        this.differentiable = differentiable;
        this.objective = objective;
        this.headRate = headRate;
        this.seed = seed;
        this.batchSize = batchSize;
    }

    /** Fits the head on the body as it is now (the encoder in eval mode); returns what it did. */
    public Fitted fit() {
        long t0 = System.nanoTime();
        FeatureCache embeddings = FeatureCache.compute(model, train, batchSize);
        int iterations;
        boolean converged;
        if (differentiable) {
            iterations = trainHead(embeddings);
            converged = true;
        } else {
            LogisticRegression.Fit f = logistic(embeddings.rows());
            iterations = f.iterations();
            converged = f.converged();
        }
        last = new Fitted(differentiable ? "differentiable" : "logistic", train.size(), iterations, converged,
                (System.nanoTime() - t0) / 1e9);
        return last;
    }

    /** The last fit, or null before the first. */
    public Fitted last() {
        return last;
    }

    /** The logistic head on the embeddings {@code x}, written into the output layer. */
    private LogisticRegression.Fit logistic(float[][] x) {
        String out = TaskModel.outputLayer(model.family(), model.head());
        NDArray weight = model.params().get(out + ".weight");
        NDArray bias = model.params().get(out + ".bias");
        int classes = (int) weight.getShape().get(0);
        int h = (int) weight.getShape().get(1);
        boolean binary = !multiLabel && classes == 2;
        int k = binary ? 1 : classes;
        float[][] y = new float[x.length][k];
        for (int i = 0; i < x.length; i++) {
            float[] t = train.targets().get(i);
            if (multiLabel) {
                y[i] = t.clone();
            } else if (binary) {
                y[i][0] = t[0] == 1 ? 1 : 0;
            } else {
                y[i][(int) t[0]] = 1;
            }
        }
        LogisticRegression.Fit f = LogisticRegression.fit(x, y, multiLabel || binary
                ? LogisticRegression.Loss.SIGMOID : LogisticRegression.Loss.SOFTMAX, C, TOLERANCE, MAX_ITERATIONS);
        FloatBuffer w = Torch.floats(weight);
        FloatBuffer b = Torch.floats(bias);
        for (int o = 0; o < classes; o++) {
            // two classes: softmax of (-z/2, z/2) is the sigmoid of z
            double sign = o == 0 ? -0.5 : 0.5;
            for (int j = 0; j < h; j++) {
                w.put(o * h + j, (float) (binary ? sign * f.w()[0][j] : f.w()[o][j]));
            }
            b.put(o, (float) (binary ? sign * f.b()[0] : f.b()[o]));
        }
        return f;
    }

    /** The differentiable head: the output layer alone trained by the loop on the cached embeddings; its steps. */
    private int trainHead(FeatureCache embeddings) {
        int layers = model.encoder().config().numHiddenLayers();
        Trainer.Settings s = new Trainer.Settings(2, 16, 0, headRate, 0, "constant", 0.01, 1.0, 1, 2, seed,
                new Interval(16, Interval.Unit.EPOCHS), 0, false);
        Trainer.Plan plan = Trainer.Plan.of(s, train.size(), layers);
        try (NDManager m = Torch.newManager()) {
            SupervisedObjective goal = new SupervisedObjective(model, objective, train, null, m).cached(embeddings);
            LayerSchedule policy = new LayerSchedule(new LayerPolicy(model.family(), layers, 1, headRate),
                    new Unfreezing(0, 0), new Schedule("constant", plan.totalSteps(), 0), headRate,
                    model::trainable);
            new Trainer(s, plan, model.params(), goal, policy).fit(Trainer.Position.START, Map::of, QUIET);
        }
        return (int) plan.totalSteps();
    }

    /** The head's loop logs nothing: the run's log is the body's. */
    private static final Trainer.Listener QUIET = new Trainer.Listener() {
        @Override
        public void step(long step, long totalSteps, int epoch, double loss, double lr, Map<String, Double> groupLr,
                double gradNorm, long tokens, double seconds) {}

        @Override
        public boolean evaluated(long step, int epoch, Map<String, Double> metrics) {
            return true;
        }

        @Override
        public void checkpoint(Trainer.Position next) {}
    };
}
