package bertft.train;

/**
 * Logistic regression on dense features with an L2 penalty, fitted to convergence: SetFit's head. Minimises, as
 * scikit-learn's {@code LogisticRegression(C=c)} does, {@code c * sum_i loss_i + ||W||^2 / 2} (the intercepts not
 * penalised), where the loss is the softmax cross-entropy over all classes ({@link Loss#SOFTMAX}) or a sigmoid
 * cross-entropy per output ({@link Loss#SIGMOID}: one-vs-rest, or one output for two classes).
 *
 * <p>The objective is smooth and convex; Nesterov's accelerated gradient with a fixed step 1/L (L bounds the
 * curvature: the loss's second derivative times the squared Frobenius norm of the features with a column of ones,
 * plus the penalty's 1/c) and O'Donoghue and Candès' gradient restart reaches a gradient of {@code tol} in a few
 * hundred iterations for a few hundred examples, with no dependency beyond the JDK.
 */
public final class LogisticRegression {
    /** Softmax over the outputs (one class per example), or an independent sigmoid per output. */
    public enum Loss { SOFTMAX, SIGMOID }

    /**
     * A fitted model.
     *
     * @param w weights (outputs, features)
     * @param b intercepts (outputs)
     * @param iterations gradient steps taken
     * @param converged whether the largest gradient entry fell below the tolerance
     */
    public record Fit(double[][] w, double[] b, int iterations, boolean converged) {}

    private LogisticRegression() {}

    /**
     * Fits {@code y} (examples, outputs): one-hot rows for {@link Loss#SOFTMAX}, 0/1 targets for
     * {@link Loss#SIGMOID}, on features {@code x} (examples, features).
     *
     * @param c the inverse of the penalty's strength (scikit-learn's C)
     * @param tol the largest gradient entry at which the fit stops
     */
    public static Fit fit(float[][] x, float[][] y, Loss loss, double c, double tol, int maxIterations) {
        int n = x.length;
        int h = x[0].length;
        int k = y[0].length;
        double frobenius = n; // the column of ones
        for (float[] row : x) {
            for (float v : row) {
                frobenius += (double) v * v;
            }
        }
        double step = 1 / ((loss == Loss.SOFTMAX ? 0.5 : 0.25) * c * frobenius + 1);
        // parameters, one row per output: h weights then the intercept
        double[][] theta = new double[k][h + 1];
        double[][] ahead = new double[k][h + 1];
        double[][] g = new double[k][h + 1];
        double t = 1;
        int it = 0;
        boolean converged = false;
        while (it < maxIterations) {
            it++;
            double largest = gradient(x, y, loss, c, ahead, g);
            if (largest < tol) {
                theta = copy(ahead);
                converged = true;
                break;
            }
            // 1) a gradient step from the look-ahead point
            double[][] next = new double[k][h + 1];
            double uphill = 0;
            for (int o = 0; o < k; o++) {
                for (int j = 0; j <= h; j++) {
                    next[o][j] = ahead[o][j] - step * g[o][j];
                    uphill += g[o][j] * (next[o][j] - theta[o][j]);
                }
            }
            // 2) momentum, dropped whenever it points uphill (gradient restart)
            double tNext = (1 + Math.sqrt(1 + 4 * t * t)) / 2;
            double beta = uphill > 0 ? 0 : (t - 1) / tNext;
            t = uphill > 0 ? 1 : tNext;
            for (int o = 0; o < k; o++) {
                for (int j = 0; j <= h; j++) {
                    ahead[o][j] = next[o][j] + beta * (next[o][j] - theta[o][j]);
                }
            }
            theta = next;
        }
        double[][] w = new double[k][h];
        double[] b = new double[k];
        for (int o = 0; o < k; o++) {
            System.arraycopy(theta[o], 0, w[o], 0, h);
            b[o] = theta[o][h];
        }
        return new Fit(w, b, it, converged);
    }

    /** The objective's gradient at {@code theta} into {@code g}; returns its largest entry in magnitude. */
    static double gradient(float[][] x, float[][] y, Loss loss, double c, double[][] theta, double[][] g) {
        int k = theta.length;
        int h = theta[0].length - 1;
        for (int o = 0; o < k; o++) {
            for (int j = 0; j < h; j++) {
                g[o][j] = theta[o][j]; // the penalty's
            }
            g[o][h] = 0;
        }
        double[] z = new double[k];
        for (int i = 0; i < x.length; i++) {
            float[] xi = x[i];
            for (int o = 0; o < k; o++) {
                double s = theta[o][h];
                for (int j = 0; j < h; j++) {
                    s += theta[o][j] * xi[j];
                }
                z[o] = s;
            }
            probabilities(z, loss);
            for (int o = 0; o < k; o++) {
                double d = c * (z[o] - y[i][o]); // d loss / d logit
                for (int j = 0; j < h; j++) {
                    g[o][j] += d * xi[j];
                }
                g[o][h] += d;
            }
        }
        double largest = 0;
        for (double[] row : g) {
            for (double v : row) {
                largest = Math.max(largest, Math.abs(v));
            }
        }
        return largest;
    }

    /** Logits to probabilities in place: softmax over all, or a sigmoid each. */
    static void probabilities(double[] z, Loss loss) {
        if (loss == Loss.SIGMOID) {
            for (int o = 0; o < z.length; o++) {
                z[o] = 1 / (1 + Math.exp(-z[o]));
            }
            return;
        }
        double max = Double.NEGATIVE_INFINITY;
        for (double v : z) {
            max = Math.max(max, v);
        }
        double sum = 0;
        for (int o = 0; o < z.length; o++) {
            z[o] = Math.exp(z[o] - max);
            sum += z[o];
        }
        for (int o = 0; o < z.length; o++) {
            z[o] /= sum;
        }
    }

    private static double[][] copy(double[][] a) {
        double[][] out = new double[a.length][];
        for (int i = 0; i < a.length; i++) {
            out[i] = a[i].clone();
        }
        return out;
    }
}
