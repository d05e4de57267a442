package bertft.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import bertft.model.Torch;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The losses against torch's definitions, worked by hand in double precision. */
class LossesTest {
    @BeforeAll
    static void engine() {
        Torch.init();
    }

    static final float[][] LOGITS = {{2f, -1f, 0.5f}, {-0.3f, 0.1f, 3f}};
    static final long[] LABELS = {0, 1};

    /** -log softmax(row)[y]. */
    static double nll(float[] row, long y) {
        double max = Double.NEGATIVE_INFINITY;
        for (float x : row) {
            max = Math.max(max, x);
        }
        double sum = 0;
        for (float x : row) {
            sum += Math.exp(x - max);
        }
        return -(row[(int) y] - max - Math.log(sum));
    }

    @Test
    void crossEntropyIsTheMeanNegativeLogLikelihood() {
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray logits = m.create(new float[] {2f, -1f, 0.5f, -0.3f, 0.1f, 3f}, new Shape(2, 3));
            double want = (nll(LOGITS[0], 0) + nll(LOGITS[1], 1)) / 2;
            assertEquals(want, Losses.crossEntropy(logits, m.create(LABELS), null).getFloat(), 1e-6);
        }
    }

    @Test
    void weightedCrossEntropyDividesByTheWeightsOfTheRowsClasses() {
        // torch.nn.CrossEntropyLoss(weight=w): sum(w_y * nll) / sum(w_y), not a plain mean of weighted terms
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray logits = m.create(new float[] {2f, -1f, 0.5f, -0.3f, 0.1f, 3f}, new Shape(2, 3));
            NDArray w = m.create(new float[] {0.5f, 3f, 1f});
            double want = (0.5 * nll(LOGITS[0], 0) + 3 * nll(LOGITS[1], 1)) / (0.5 + 3);
            assertEquals(want, Losses.crossEntropy(logits, m.create(LABELS), w).getFloat(), 1e-6);
        }
    }

    @Test
    void binaryCrossEntropyMatchesTheDefinitionAndStaysFiniteForLargeLogits() {
        float[] x = {1.5f, -2f, 0f, 0.7f};
        float[] y = {1f, 0f, 1f, 0f};
        double want = 0;
        for (int i = 0; i < x.length; i++) {
            double p = 1 / (1 + Math.exp(-x[i]));
            want -= y[i] * Math.log(p) + (1 - y[i]) * Math.log(1 - p);
        }
        want /= x.length;
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray logits = m.create(x, new Shape(2, 2));
            assertEquals(want, Losses.binaryCrossEntropy(logits, m.create(y, new Shape(2, 2))).getFloat(), 1e-6);
            // sigmoid(200) is 1 in float32: the naive -log(1 - p) would be inf; the stable form gives 200 / 2
            NDArray big = m.create(new float[] {200f, -200f}, new Shape(1, 2));
            float loss = Losses.binaryCrossEntropy(big, m.create(new float[] {0f, 1f}, new Shape(1, 2))).getFloat();
            assertTrue(Float.isFinite(loss), "finite: " + loss);
            assertEquals(200, loss, 1e-3);
        }
    }

    @Test
    void meanSquaredErrorFlattensTheHeadOutput() {
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray predictions = m.create(new float[] {1f, 2f, 4f}, new Shape(3, 1)); // (B, 1)
            NDArray targets = m.create(new float[] {1f, 0f, 1f}); // (B)
            assertEquals((0 + 4 + 9) / 3.0, Losses.meanSquaredError(predictions, targets).getFloat(), 1e-6);
        }
    }
}
