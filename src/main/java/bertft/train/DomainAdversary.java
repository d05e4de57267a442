package bertft.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import bertft.checkpoint.TensorData;
import bertft.data.Features;
import bertft.model.Bert;
import bertft.model.Losses;
import bertft.model.Scalar;
import bertft.model.TaskModel;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.IntStream;

/**
 * Domain-adversarial training (DANN, Ganin and Lempitsky 2015): a domain classifier on the pooled features learns
 * source (0) vs target (1), and a gradient-reversal layer in front of it hands the encoder the negated,
 * lambda-scaled gradient, so the encoder learns features the classifier cannot tell apart.
 *
 * <p>Lambda ramps as {@code weight * (2 / (1 + exp(-10 p)) - 1)} over training progress p in [0, 1]. The classifier
 * is {@code domain_classifier.dense} (H -> H) + ReLU + {@code domain_classifier.out_proj} (H -> 1); it is not
 * part of the saved model.
 */
public final class DomainAdversary implements AutoCloseable {
    private final Features target;
    private final double weight;
    private final long seed;
    private final ExtraParams params;
    private double lastLoss;
    private double lastAccuracy;
    private double lastLambda;

    /**
     * @param target the unlabelled target-domain texts (targets unused)
     * @param hidden the encoder's hidden size
     * @param weight lambda at the end of the ramp
     * @param initializerRange std of the classifier's initial weights
     * @param parent the classifier's parameters live (and die) with it
     */
    public DomainAdversary(Features target, int hidden, double weight, double initializerRange, long seed,
            NDManager parent) {
        this.params = new ExtraParams(parent);
        this.target = target;
        this.weight = weight;
        this.seed = seed;
        Random rng = new Random(seed * 2_654_435_761L);
        Map<String, long[]> shapes = new LinkedHashMap<>();
        shapes.put("domain_classifier.dense.weight", new long[] {hidden, hidden});
        shapes.put("domain_classifier.dense.bias", new long[] {hidden});
        shapes.put("domain_classifier.out_proj.weight", new long[] {1, hidden});
        shapes.put("domain_classifier.out_proj.bias", new long[] {1});
        shapes.forEach((k, s) -> load(k, Bert.init(k, s, initializerRange, rng)));
    }

    /** Replaces a parameter's values (resume). */
    public void load(String name, TensorData t) {
        params.load(name, t);
    }

    /** The classifier's parameters by name. */
    public Map<String, NDArray> params() {
        return params.map();
    }

    /** A copy of the parameters for saving. */
    public Map<String, TensorData> tensors() {
        return params.tensors();
    }

    /** Ganin and Lempitsky's schedule: {@code weight * (2 / (1 + exp(-10 p)) - 1)}. */
    public static double lambda(double weight, double progress) {
        return weight * (2 / (1 + Math.exp(-10 * progress)) - 1);
    }

    /**
     * The domain loss of one step: the source features and a target batch of the same size (the
     * {@code microStep}-th slice of this epoch's seeded target order) through the reversal layer and the
     * classifier; binary cross-entropy against source 0 / target 1.
     *
     * @param sourceFeatures (B, H) pooled features of the labelled source batch
     * @param progress optimizer steps done / total, for the lambda ramp
     */
    public NDArray loss(TaskModel model, NDArray sourceFeatures, boolean trainEncoder, int epoch, int microBatch,
            double progress, NDManager m) {
        int b = (int) sourceFeatures.getShape().get(0);
        List<Integer> order = new ArrayList<>(IntStream.range(0, target.size()).boxed().toList());
        Collections.shuffle(order, new Random(seed * 1_000_003L + epoch));
        int[] idx = new int[b];
        for (int k = 0; k < b; k++) {
            idx[k] = order.get((int) (((long) microBatch * b + k) % order.size()));
        }
        var batch = target.batch(idx, m);
        NDArray targetFeatures = model.features(model.encode(batch, trainEncoder), batch.attentionMask());
        NDArray both = sourceFeatures.concat(targetFeatures, 0); // (2B, H)
        lastLambda = lambda(weight, progress);
        // gradient reversal: forward x, backward -lambda * grad (the detached part carries the value only)
        NDArray reversed = Scalar.mul(both, -lastLambda).add(Scalar.mul(both, 1 + lastLambda).stopGradient());
        NDArray h = linear(reversed, "domain_classifier.dense").getNDArrayInternal().relu();
        NDArray logits = linear(h, "domain_classifier.out_proj").reshape(-1); // (2B)
        float[] y = new float[2 * b];
        java.util.Arrays.fill(y, b, 2 * b, 1f);
        NDArray labels = m.create(y);
        NDArray loss = Losses.binaryCrossEntropy(logits, labels);
        lastLoss = loss.getFloat();
        lastAccuracy = logits.gt(0).toType(DataType.FLOAT32, false).eq(labels).toType(DataType.FLOAT32, false)
                .mean().getFloat();
        return loss;
    }

    /** The last step's domain loss, classifier accuracy (source vs target) and lambda. */
    public double[] last() {
        return new double[] {lastLoss, lastAccuracy, lastLambda};
    }

    private NDArray linear(NDArray x, String name) {
        return x.getNDArrayInternal().linear(x, params.map().get(name + ".weight"), params.map().get(name + ".bias"))
                .singletonOrThrow();
    }

    @Override
    public void close() {
        params.close();
    }
}
