package bertft.baseline;

import java.util.Random;

/**
 * A linear model over sparse rows, trained by plain SGD with a decaying step and L2 shrinkage of the weights an
 * example touches: multinomial logistic regression (softmax), one-vs-rest logistic regression (sigmoid) or least
 * squares on standardised targets.
 */
public final class LinearModel {
    /** What the outputs mean and which loss trains them. */
    public enum Loss { SOFTMAX, SIGMOID, SQUARED }

    /** Step size, shrinkage and passes over the data. */
    public record Settings(double learningRate, double l2, int epochs, long seed) {
        public static final Settings DEFAULT = new Settings(1.0, 1e-5, 10, 42);
    }

    private final Loss loss;
    private final float[][] w; // (outputs, features)
    private final float[] b; // (outputs)
    private double mean;
    private double sd = 1;

    private LinearModel(Loss loss, int outputs, int features) {
        this.loss = loss;
        this.w = new float[outputs][features];
        this.b = new float[outputs];
    }

    /**
     * Trains on rows {@code x} with targets {@code y} (one row per example: one-hot, multi-hot, or one value).
     */
    public static LinearModel train(TfIdf.Row[] x, float[][] y, Loss loss, int features, Settings s) {
        int outputs = y[0].length;
        LinearModel m = new LinearModel(loss, outputs, features);
        float[][] target = y;
        if (loss == Loss.SQUARED) {
            // standardised targets: one step size fits any scale
            double sum = 0;
            double sq = 0;
            for (float[] t : y) {
                sum += t[0];
                sq += t[0] * t[0];
            }
            m.mean = sum / y.length;
            m.sd = Math.max(1e-9, Math.sqrt(Math.max(0, sq / y.length - m.mean * m.mean)));
            target = new float[y.length][1];
            for (int i = 0; i < y.length; i++) {
                target[i][0] = (float) ((y[i][0] - m.mean) / m.sd);
            }
        }
        int[] order = new int[x.length];
        for (int i = 0; i < order.length; i++) {
            order[i] = i;
        }
        Random r = new Random(s.seed());
        float[] g = new float[outputs];
        for (int epoch = 0; epoch < s.epochs(); epoch++) {
            shuffle(order, r);
            double lr = s.learningRate() / (1 + epoch);
            for (int i : order) {
                // 1) forward: z = W x + b, then the loss's link
                float[] p = m.link(m.logits(x[i]));
                // 2) gradient of the loss wrt z is (p - y) for all three losses
                for (int c = 0; c < outputs; c++) {
                    g[c] = p[c] - target[i][c];
                }
                // 3) update the touched weights, shrinking them towards 0
                int[] ids = x[i].ids();
                float[] v = x[i].values();
                for (int c = 0; c < outputs; c++) {
                    float[] wc = m.w[c];
                    for (int k = 0; k < ids.length; k++) {
                        wc[ids[k]] -= (float) (lr * (g[c] * v[k] + s.l2() * wc[ids[k]]));
                    }
                    m.b[c] -= (float) (lr * g[c]);
                }
            }
        }
        return m;
    }

    /** Probabilities (softmax, sigmoid) or the predicted value (squared), as the fine-tuned model scores. */
    public float[] scores(TfIdf.Row x) {
        float[] p = link(logits(x));
        if (loss == Loss.SQUARED) {
            p[0] = (float) (p[0] * sd + mean);
        }
        return p;
    }

    private float[] logits(TfIdf.Row x) {
        float[] z = b.clone();
        int[] ids = x.ids();
        float[] v = x.values();
        for (int c = 0; c < z.length; c++) {
            float[] wc = w[c];
            for (int k = 0; k < ids.length; k++) {
                z[c] += wc[ids[k]] * v[k];
            }
        }
        return z;
    }

    private float[] link(float[] z) {
        switch (loss) {
            case SOFTMAX -> {
                float max = Float.NEGATIVE_INFINITY;
                for (float v : z) {
                    max = Math.max(max, v);
                }
                double sum = 0;
                for (int c = 0; c < z.length; c++) {
                    z[c] = (float) Math.exp(z[c] - max);
                    sum += z[c];
                }
                for (int c = 0; c < z.length; c++) {
                    z[c] /= (float) sum;
                }
            }
            case SIGMOID -> {
                for (int c = 0; c < z.length; c++) {
                    z[c] = (float) (1 / (1 + Math.exp(-z[c])));
                }
            }
            case SQUARED -> { }
        }
        return z;
    }

    private static void shuffle(int[] a, Random r) {
        for (int i = a.length - 1; i > 0; i--) {
            int j = r.nextInt(i + 1);
            int t = a[i];
            a[i] = a[j];
            a[j] = t;
        }
    }
}
