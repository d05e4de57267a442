package bertft.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import bertft.data.Features;
import bertft.model.Scalar;
import bertft.model.TaskModel;
import bertft.text.Batch;
import java.util.List;

/**
 * Knowledge distillation (Hinton et al. 2015): the student learns the teacher's output distribution at temperature
 * T, as KL(teacher_T || student_T) * T^2 (the T^2 keeps its gradients on the scale of the hard loss), mixed with the
 * hard-label loss as {@code alpha * distill + (1 - alpha) * hard} on examples that carry a label; unlabelled
 * transfer texts learn from the teacher alone.
 *
 * <p>The teacher's outputs are computed once before training ({@link #soft}) and read per batch, so an epoch costs
 * only the student's forward and backward passes. What the targets are, per {@link Kind}:
 * <ul>
 *   <li>{@code CLASSES}: softmax(z/T) over C classes; hard loss cross-entropy.
 *   <li>{@code SIGMOID}: sigmoid(z/T) per label (multi-label), Bernoulli KL per label, mean over labels; hard loss
 *       binary cross-entropy.
 *   <li>{@code VALUE}: the teacher's value (regression), squared error, no temperature; hard loss squared error.
 *   <li>{@code SPANS}: softmax(z/T) over the window's tokens for start and for end (QA), the two KLs averaged; hard
 *       loss the start/end cross-entropy.
 *   <li>{@code TOKENS}: softmax(z/T) over C labels at every real token (token classification), mean over real
 *       tokens; hard loss {@link TokenObjective#loss} over labelled positions.
 * </ul>
 */
public final class DistillObjective implements TrainingObjective {
    /** What the head outputs, and so what the teacher's targets are. */
    public enum Kind { CLASSES, SIGMOID, VALUE, SPANS, TOKENS }

    private final TaskModel student;
    private final Kind kind;
    private final Features train;
    private final List<float[]> soft;
    private final int labelled;
    private final double temperature;
    private final double alpha;
    private HiddenMatch hidden;

    /**
     * @param train the training examples: the first {@code labelled} with their targets, the rest transfer texts
     * @param soft the teacher's targets per example ({@link #soft}), averaged over teachers
     * @param alpha the distillation loss's share where a hard label exists, in [0, 1]
     */
    public DistillObjective(TaskModel student, Kind kind, Features train, int labelled, List<float[]> soft,
            double temperature, double alpha) {
        this.student = student;
        this.kind = kind;
        this.train = train;
        this.labelled = labelled;
        this.soft = soft;
        this.temperature = temperature;
        this.alpha = alpha;
    }

    /** Adds the hidden-state loss ({@code distill-hidden}) to every batch's; returns this objective. */
    public DistillObjective hidden(HiddenMatch h) {
        this.hidden = h;
        return this;
    }

    @Override
    public int[] lengths() {
        return train.lengths();
    }

    @Override
    public Loss loss(int[] part, Pass pass, NDManager m) {
        Batch b = train.batch(part, m);
        if (hidden == null) {
            NDArray logits = student.forward(b, pass.encoderTrains(), true);
            return Loss.of(loss(logits, b.attentionMask(), part, m));
        }
        List<NDArray> layers = new java.util.ArrayList<>();
        NDArray last = student.encode(b, pass.encoderTrains(), layers);
        NDArray logits = student.head(last, b.attentionMask(), true);
        return Loss.of(loss(logits, b.attentionMask(), part, m).add(hidden.loss(layers, b, m)));
    }

    @Override
    public java.util.Map<String, NDArray> params() {
        return hidden == null ? java.util.Map.of() : hidden.params();
    }

    @Override
    public java.util.Map<String, java.util.Map<String, bertft.checkpoint.TensorData>> state() {
        return hidden == null || hidden.params().isEmpty() ? java.util.Map.of()
                : java.util.Map.of(HiddenMatch.FILE, hidden.tensors());
    }

    @Override
    public void restore(java.nio.file.Path dir) {
        if (hidden != null && !hidden.params().isEmpty()) {
            Trainer.required(dir, HiddenMatch.FILE, "distill-hidden").forEach(hidden::load);
        }
    }

    /**
     * The teacher's target of one example from its logits: (C) classes or labels, (1) value, (T, 2) start/end
     * probabilities over the example's {@code positions} tokens, (T, C) label probabilities per token; row-major.
     * Logits of spans and tokens may be padded beyond {@code positions} (a batch's length): the padding is ignored.
     *
     * @param outputs C, the head's outputs per example or per token
     */
    public static float[] soft(Kind kind, float[] logits, int positions, int outputs, double temperature) {
        return switch (kind) {
            case CLASSES -> softmax(logits, 0, logits.length, 1, temperature);
            case SIGMOID -> {
                float[] p = new float[logits.length];
                for (int i = 0; i < p.length; i++) {
                    p[i] = (float) (1 / (1 + Math.exp(-logits[i] / temperature)));
                }
                yield p;
            }
            case VALUE -> logits.clone();
            case SPANS -> {
                float[] p = new float[positions * 2];
                for (int j = 0; j < 2; j++) { // start (j = 0) and end (j = 1), each over the window's tokens
                    float[] one = softmax(logits, j, positions, 2, temperature);
                    for (int t = 0; t < positions; t++) {
                        p[t * 2 + j] = one[t];
                    }
                }
                yield p;
            }
            case TOKENS -> {
                int c = outputs;
                float[] p = new float[positions * c];
                for (int t = 0; t < positions; t++) {
                    System.arraycopy(softmax(logits, t * c, c, 1, temperature), 0, p, t * c, c);
                }
                yield p;
            }
        };
    }

    /** softmax(x/T) over {@code n} values of {@code x} from {@code offset}, {@code stride} apart. */
    private static float[] softmax(float[] x, int offset, int n, int stride, double temperature) {
        double max = Double.NEGATIVE_INFINITY;
        for (int i = 0; i < n; i++) {
            max = Math.max(max, x[offset + i * stride] / temperature);
        }
        double sum = 0;
        double[] e = new double[n];
        for (int i = 0; i < n; i++) {
            e[i] = Math.exp(x[offset + i * stride] / temperature - max);
            sum += e[i];
        }
        float[] p = new float[n];
        for (int i = 0; i < n; i++) {
            p[i] = (float) (e[i] / sum);
        }
        return p;
    }

    /** The elementwise mean of several teachers' targets of one example (an ensemble's averaged probabilities). */
    public static float[] mean(List<float[]> rows) {
        float[] out = new float[rows.get(0).length];
        for (float[] r : rows) {
            for (int i = 0; i < out.length; i++) {
                out[i] += r[i] / rows.size();
            }
        }
        return out;
    }

    /**
     * The loss of the student's {@code logits} for the examples {@code part}: per example {@code alpha * distill +
     * (1 - alpha) * hard} when it has a label, {@code distill} when not; the mean over the examples (over the real
     * tokens for {@code TOKENS}).
     *
     * @param logits (B, C), (B, 1), (B, T, 2) or (B, T, C)
     * @param mask (B, T) attention mask (spans and tokens: which positions are real)
     */
    NDArray loss(NDArray logits, NDArray mask, int[] part, NDManager m) {
        int n = part.length;
        float[] distillWeight = new float[n];
        float[] hardWeight = new float[n];
        for (int k = 0; k < n; k++) {
            boolean hasLabel = part[k] < labelled;
            distillWeight[k] = hasLabel ? (float) alpha : 1;
            hardWeight[k] = hasLabel ? (float) (1 - alpha) : 0;
        }
        if (kind == Kind.TOKENS) {
            return tokenLoss(logits, mask, part, distillWeight, hardWeight, m);
        }
        NDArray distill = switch (kind) {
            case CLASSES -> Scalar.mul(kl(logits, targets(part, (int) logits.getShape().get(1), m)), t2()); // (B)
            case SIGMOID -> Scalar.mul(bernoulliKl(logits, targets(part, (int) logits.getShape().get(1), m)), t2());
            case VALUE -> logits.reshape(-1).sub(targets(part, 1, m).reshape(-1)).square(); // (B)
            default -> spanKl(logits, mask, part, m);
        };
        NDArray hard = anyPositive(hardWeight) ? hard(logits, part, m) : null;
        NDArray rows = distill.mul(m.create(distillWeight)); // (B)
        if (hard != null) {
            rows = rows.add(hard.mul(m.create(hardWeight)));
        }
        return rows.mean();
    }

    /** Whether any example of the batch has a hard label (else the hard loss is not computed at all). */
    private static boolean anyPositive(float[] w) {
        for (float x : w) {
            if (x > 0) {
                return true;
            }
        }
        return false;
    }

    private double t2() {
        return temperature * temperature;
    }

    /** (B, width) teacher targets of a batch. */
    private NDArray targets(int[] part, int width, NDManager m) {
        float[] t = new float[part.length * width];
        for (int k = 0; k < part.length; k++) {
            System.arraycopy(soft.get(part[k]), 0, t, k * width, width);
        }
        return m.create(t, new Shape(part.length, width));
    }

    /** KL(p || softmax(z/T)) per row: sum p (log p - log q), p log p taken as 0 where p is 0. (B, C) -> (B) */
    private NDArray kl(NDArray logits, NDArray p) {
        NDArray logQ = Scalar.div(logits, temperature).logSoftmax(-1);
        return plogp(p).sub(p.mul(logQ).sum(new int[] {1}));
    }

    /** sum over the last axis of p log p, 0 where p is 0 (a constant: no gradient). (B, C) -> (B) */
    private static NDArray plogp(NDArray p) {
        float[] v = p.toFloatArray();
        long c = p.getShape().get(p.getShape().dimension() - 1);
        float[] out = new float[(int) (v.length / c)];
        for (int i = 0; i < v.length; i++) {
            if (v[i] > 0) {
                out[(int) (i / c)] += (float) (v[i] * Math.log(v[i]));
            }
        }
        return p.getManager().create(out);
    }

    /**
     * Bernoulli KL per label between the teacher's sigmoid(z_t/T) = p and the student's sigmoid(z/T), mean over
     * labels: binary cross-entropy of x = z/T against p less p's entropy. (B, C) -> (B)
     */
    private NDArray bernoulliKl(NDArray logits, NDArray p) {
        NDArray x = Scalar.div(logits, temperature);
        // max(x, 0) - x p + log(1 + exp(-|x|)): stable for large |x|
        NDArray bce = x.maximum(Scalar.of(x, 0)).sub(x.mul(p)).add(x.abs().neg().exp().add(Scalar.of(x, 1)).log());
        float[] v = p.toFloatArray();
        float[] negEntropy = new float[v.length];
        for (int i = 0; i < v.length; i++) {
            negEntropy[i] = (float) (xlogx(v[i]) + xlogx(1 - v[i]));
        }
        NDArray h = p.getManager().create(negEntropy, p.getShape());
        return bce.add(h).mean(new int[] {1});
    }

    private static double xlogx(double x) {
        return x > 0 ? x * Math.log(x) : 0;
    }

    /**
     * QA: KL over the window's real tokens for start and for end, averaged, times T^2 (padding masked out of the
     * student's softmax, as the teacher's targets cover only real tokens). (B, T, 2) -> (B)
     */
    private NDArray spanKl(NDArray logits, NDArray mask, int[] part, NDManager m) {
        int t = (int) logits.getShape().get(1);
        float[] p = new float[part.length * t * 2];
        for (int k = 0; k < part.length; k++) {
            float[] row = soft.get(part[k]);
            System.arraycopy(row, 0, p, k * t * 2, Math.min(row.length, t * 2));
        }
        NDArray target = m.create(p, new Shape(part.length, t, 2)); // (B, T, 2)
        NDArray pad = Scalar.mul(mask.toType(DataType.FLOAT32, false).sub(Scalar.of(logits, 1)), 1e4)
                .expandDims(2); // (B, T, 1): 0 on real tokens, -1e4 on padding
        NDArray logQ = Scalar.div(logits, temperature).add(pad).logSoftmax(1); // (B, T, 2), softmax over tokens
        NDArray cross = target.mul(logQ).sum(new int[] {1, 2}); // (B)
        NDArray negEntropy = plogp(target.transpose(0, 2, 1).reshape(part.length, -1)); // (B)
        return Scalar.mul(negEntropy.sub(cross), t2() / 2);
    }

    /** The hard-label loss per example (0 for transfer texts, whose weight is 0). (B) */
    private NDArray hard(NDArray logits, int[] part, NDManager m) {
        int width = train.targets().get(0).length;
        float[] y = new float[part.length * width];
        for (int k = 0; k < part.length; k++) {
            if (part[k] < labelled) {
                System.arraycopy(train.targets().get(part[k]), 0, y, k * width, width);
            }
        }
        NDArray target = m.create(y, new Shape(part.length, width));
        return switch (kind) {
            case CLASSES -> nll(logits, target.get(":, 0"));
            case SIGMOID -> {
                NDArray x = logits;
                yield x.maximum(Scalar.of(x, 0)).sub(x.mul(target)).add(x.abs().neg().exp().add(Scalar.of(x, 1)).log())
                        .mean(new int[] {1});
            }
            case VALUE -> logits.reshape(-1).sub(target.reshape(-1)).square();
            default -> { // (B, T, 2) start/end logits over tokens, targets (B, 2) positions
                NDArray start = nll(logits.get(":, :, 0"), target.get(":, 0"));
                NDArray end = nll(logits.get(":, :, 1"), target.get(":, 1"));
                yield Scalar.div(start.add(end), 2);
            }
        };
    }

    /** -log softmax(z)[y] per row. (B, C), (B) float ids -> (B) */
    private static NDArray nll(NDArray logits, NDArray ids) {
        int c = (int) logits.getShape().get(1);
        NDArray oneHot = ids.toType(DataType.INT64, false).oneHot(c); // (B, C)
        return logits.logSoftmax(-1).mul(oneHot).sum(new int[] {1}).neg();
    }

    /** Token classification: mean KL over real tokens mixed with the labelled-position cross-entropy. */
    private NDArray tokenLoss(NDArray logits, NDArray mask, int[] part, float[] distillWeight, float[] hardWeight,
            NDManager m) {
        int t = (int) logits.getShape().get(1);
        int c = (int) logits.getShape().get(2);
        float[] p = new float[part.length * t * c];
        float[] w = new float[part.length * t];
        float[] real = mask.toType(DataType.FLOAT32, false).toFloatArray(); // (B * T)
        double count = 0;
        for (int k = 0; k < part.length; k++) {
            float[] row = soft.get(part[k]);
            System.arraycopy(row, 0, p, k * t * c, Math.min(row.length, t * c));
            for (int i = 0; i < t; i++) {
                w[k * t + i] = real[k * t + i] * distillWeight[k];
                count += real[k * t + i];
            }
        }
        NDArray target = m.create(p, new Shape((long) part.length * t, c)); // (B * T, C)
        NDArray logQ = Scalar.div(logits.reshape(-1, c), temperature).logSoftmax(-1); // (B, T, C) -> (B * T, C)
        NDArray kl = plogp(target).sub(target.mul(logQ).sum(new int[] {1})); // (B * T)
        NDArray distill = Scalar.mul(Scalar.div(kl.mul(m.create(w)).sum(), Math.max(count, 1)), t2());
        if (!anyPositive(hardWeight)) {
            return distill;
        }
        long[] labels = new long[part.length * t];
        java.util.Arrays.fill(labels, TokenObjective.IGNORED);
        for (int k = 0; k < part.length; k++) {
            if (part[k] < labelled) {
                float[] row = train.targets().get(part[k]);
                for (int i = 0; i < Math.min(row.length, t); i++) {
                    labels[k * t + i] = (long) row[i];
                }
            }
        }
        return distill.add(Scalar.mul(TokenObjective.loss(logits, labels, null, m), 1 - alpha));
    }
}
