package bertft.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.junit.jupiter.api.Test;

/** SetFit's logistic head: the optimum of scikit-learn's objective, checked by its gradient and by hand. */
class LogisticRegressionTest {
    @Test
    void twoPointsMeetTheFixedPointWorkedByHand() {
        // x = +1 (label 1) and -1 (label 0), C = 1: b = 0 by symmetry, and w minimises 2 log(1 + e^-w) + w^2 / 2,
        // so w = 2 sigmoid(-w) = 0.67476 (iterated by hand: 0.675 -> 0.67476)
        LogisticRegression.Fit f = LogisticRegression.fit(new float[][] {{1}, {-1}}, new float[][] {{1}, {0}},
                LogisticRegression.Loss.SIGMOID, 1.0, 1e-9, 100_000);
        assertTrue(f.converged());
        double w = f.w()[0][0];
        assertEquals(2 / (1 + Math.exp(w)), w, 1e-8);
        assertEquals(0.67476, w, 1e-4);
        assertEquals(0, f.b()[0], 1e-8);
    }

    @Test
    void softmaxAndSigmoidFitsReachAZeroGradient() {
        Random r = new Random(3);
        int n = 60;
        int h = 12;
        float[][] x = new float[n][h];
        float[][] onehot = new float[n][3];
        float[][] multi = new float[n][3];
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < h; j++) {
                x[i][j] = (float) r.nextGaussian();
            }
            int c = (x[i][0] > 0.3 ? 1 : 0) + (x[i][1] > 0 ? 1 : 0); // overlapping classes: a finite optimum
            onehot[i][r.nextInt(10) == 0 ? r.nextInt(3) : c] = 1;
            for (int o = 0; o < 3; o++) {
                multi[i][o] = r.nextBoolean() ^ x[i][o] > 0 ? 1 : 0;
            }
        }
        for (var loss : LogisticRegression.Loss.values()) {
            float[][] y = loss == LogisticRegression.Loss.SOFTMAX ? onehot : multi;
            LogisticRegression.Fit f = LogisticRegression.fit(x, y, loss, 1.0, 1e-7, 100_000);
            assertTrue(f.converged(), loss + " after " + f.iterations());
            double[][] theta = new double[3][h + 1];
            for (int o = 0; o < 3; o++) {
                System.arraycopy(f.w()[o], 0, theta[o], 0, h);
                theta[o][h] = f.b()[o];
            }
            double largest = LogisticRegression.gradient(x, y, loss, 1.0, theta, new double[3][h + 1]);
            assertTrue(largest < 1e-7, loss + ": gradient " + largest);
            // a nudge of any weight raises the objective's gradient away from 0: the point is the optimum, not a
            // place the iteration stalled at
            theta[0][0] += 1e-3;
            assertTrue(LogisticRegression.gradient(x, y, loss, 1.0, theta, new double[3][h + 1]) > 1e-5);
        }
    }
}
