package bertft.train;

import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import bertft.model.Torch;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class AdamWTest {
    @BeforeAll
    static void engine() {
        Torch.init();
    }

    /** torch.optim.AdamW by hand, in double precision, for one scalar parameter. */
    static double[] reference(double p, double[] grads, double lr, double wd) {
        double m = 0;
        double v = 0;
        double[] out = new double[grads.length];
        for (int t = 1; t <= grads.length; t++) {
            double g = grads[t - 1];
            p *= 1 - lr * wd;
            m = 0.9 * m + 0.1 * g;
            v = 0.999 * v + 0.001 * g * g;
            double denom = Math.sqrt(v) / Math.sqrt(1 - Math.pow(0.999, t)) + 1e-8;
            p -= lr / (1 - Math.pow(0.9, t)) * m / denom;
            out[t - 1] = p;
        }
        return out;
    }

    @Test
    void matchesTorchAdamW() {
        double[] grads = {0.5, -1.5, 0.25, 2.0, -0.1};
        double[] want = reference(1.0, grads, 0.01, 0.1);
        AdamW adam = new AdamW();
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray p = m.create(new float[] {1f});
            for (int t = 0; t < grads.length; t++) {
                adam.update("w", p, m.create(new float[] {(float) grads[t]}), 0.01, 0.1);
                assertEquals(want[t], p.getFloat(0), 1e-6, "step " + (t + 1));
            }
            assertEquals(grads.length, adam.state("w").step());
        }
    }

    @Test
    void aNonContiguousParameterIsRefusedRatherThanUpdatedInACopy() {
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray p = m.create(new float[] {1, 2, 3, 4, 5, 6}, new ai.djl.ndarray.types.Shape(2, 3)).transpose();
            NDArray g = m.ones(p.getShape());
            IllegalStateException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalStateException.class,
                    () -> new AdamW().update("w", p, g, 0.01, 0));
            assertEquals("w is not contiguous: its update would go to a copy", e.getMessage());
            // at a rate of 0 (the first step under linear warm-up) the update changes nothing, and is still refused
            NDArray t = m.create(new float[] {1, 2, 3, 4, 5, 6}, new ai.djl.ndarray.types.Shape(2, 3)).transpose();
            IllegalStateException atZero = org.junit.jupiter.api.Assertions.assertThrows(IllegalStateException.class,
                    () -> new AdamW().update("t", t, g, 0, 0));
            assertEquals("t is not contiguous: its update would go to a copy", atZero.getMessage());
            assertEquals(1, t.getFloat(0, 0), "the parameter is left as it was");
            NDArray q = m.create(new float[] {1, 2, 3, 4, 5, 6}, new ai.djl.ndarray.types.Shape(3, 2));
            new AdamW().update("q", q, g, 0.01, 0);
            assertEquals(1 - 0.01, q.getFloat(0, 0), 1e-6, "a contiguous one is updated in place");
        }
    }

    @Test
    void aTensorUpdatedInPiecesMatchesTorchAdamWEverywhere() {
        // larger than one thread's piece, with a ragged last piece (and tile): every element, first to last, is updated
        int n = (int) (2 * AdamW.CHUNK + 6);
        java.util.Random rng = new java.util.Random(3);
        float[][] grads = new float[3][n];
        float[] p0 = new float[n];
        for (int i = 0; i < n; i++) {
            p0[i] = (float) rng.nextGaussian();
            for (float[] g : grads) {
                g[i] = (float) rng.nextGaussian();
            }
        }
        AdamW adam = new AdamW();
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray p = m.create(p0, new ai.djl.ndarray.types.Shape(n / 2, 2)); // 2-D, as weight matrices are
            for (float[] g : grads) {
                adam.update("w", p, m.create(g, p.getShape()), 0.01, 0.1, 0.5);
            }
            float[] got = p.toFloatArray();
            for (int i = 0; i < n; i++) { // every element: the pieces' and the tiles' edges and the ragged ends
                double[] scaled = {grads[0][i] * 0.5, grads[1][i] * 0.5, grads[2][i] * 0.5};
                assertEquals(reference(p0[i], scaled, 0.01, 0.1)[2], got[i], 1e-6, "element " + i);
            }
        }
    }

    @Test
    void aParameterUnfrozenLateStartsItsOwnBiasCorrection() {
        // "a" trains from step 1; "b" is unfrozen at step 1000. b's first update must be lr-sized (Adam's
        // first step is lr * sign(g)), not the 2.5x larger one a shared step count (t = 1000) would give.
        AdamW adam = new AdamW();
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray a = m.create(new float[] {0f});
            NDArray b = m.create(new float[] {0f});
            for (int t = 1; t < 1000; t++) {
                adam.update("a", a, m.create(new float[] {1f}), 1e-3, 0);
            }
            adam.update("b", b, m.create(new float[] {1f}), 1e-3, 0);
            assertEquals(-1e-3, b.getFloat(0), 1e-6);
            assertEquals(1, adam.state("b").step());
            assertEquals(999, adam.state("a").step());
        }
    }

    @Test
    void scheduleWarmsUpThenDecays() {
        Schedule s = new Schedule("linear", 100, 10);
        assertEquals(0, s.factor(0), 1e-12);
        assertEquals(0.5, s.factor(5), 1e-12);
        assertEquals(1, s.factor(10), 1e-12);
        assertEquals(0.5, s.factor(55), 1e-12);
        assertEquals(0, s.factor(100), 1e-12);
        Schedule cos = new Schedule("cosine", 100, 0);
        assertEquals(0.5, cos.factor(50), 1e-12);
        assertEquals(1, new Schedule("constant", 100, 10).factor(90), 1e-12);
        Schedule stlr = new Schedule("slanted-triangular", 100, 10);
        assertEquals(1, stlr.factor(10), 1e-12);
        assertEquals(1 / 32.0, stlr.factor(0), 1e-12);
        assertEquals(1 / 32.0, stlr.factor(100), 1e-12);
    }

    @Test
    void depthAndLayerwiseRates() {
        LayerPolicy p = new LayerPolicy(bertft.model.Family.of("bert", "test"), 6, 0.5, null);
        assertEquals(0, p.depth("classifier.weight"));
        assertEquals(0, p.depth("bert.pooler.dense.weight"));
        assertEquals(1, p.depth("bert.encoder.layer.5.output.dense.weight"));
        assertEquals(6, p.depth("bert.encoder.layer.0.attention.self.query.bias"));
        assertEquals(7, p.depth("bert.embeddings.word_embeddings.weight"));
        assertEquals(1e-4 * 0.5, p.lr("bert.encoder.layer.5.output.dense.weight", 1e-4, 1), 1e-15);
        assertEquals(1e-4 * Math.pow(0.5, 7) * 0.3, p.lr("bert.embeddings.LayerNorm.weight", 1e-4, 0.3), 1e-15);
        assertEquals(1e-3 * 0.3, new LayerPolicy(bertft.model.Family.of("bert", "test"), 6, 0.5, 1e-3).lr("classifier.bias", 1e-4, 0.3), 1e-15);
        assertEquals(false, LayerPolicy.decays("bert.encoder.layer.0.output.LayerNorm.weight"));
        assertEquals(false, LayerPolicy.decays("classifier.bias"));
        assertEquals(true, LayerPolicy.decays("classifier.weight"));
    }

    /** Tensors Java cannot write in place (on a GPU) take libtorch's ops: the same update, forced here on the CPU. */
    @Test
    void theLibtorchUpdateMatchesTheJavaLoop() {
        int n = 1000;
        java.util.Random rng = new java.util.Random(5);
        float[] p0 = new float[n];
        float[][] grads = new float[4][n];
        for (int i = 0; i < n; i++) {
            p0[i] = (float) rng.nextGaussian();
            for (float[] g : grads) {
                g[i] = (float) rng.nextGaussian();
            }
        }
        float[][] out = new float[2][];
        for (int pass = 0; pass < 2; pass++) {
            if (pass == 1) {
                System.setProperty(Torch.JAVA_LOOPS_PROPERTY, "false");
            }
            try (NDManager m = NDManager.newBaseManager()) {
                AdamW adam = new AdamW();
                NDArray p = m.create(p0);
                for (int t = 0; t < grads.length; t++) {
                    adam.update("w", p, m.create(grads[t]), 0.01 * (t + 1), 0.1, 0.5);
                }
                out[pass] = p.toFloatArray();
            } finally {
                System.clearProperty(Torch.JAVA_LOOPS_PROPERTY);
            }
        }
        org.junit.jupiter.api.Assertions.assertArrayEquals(out[0], out[1], 1e-6f);
        org.junit.jupiter.api.Assertions.assertNotEquals(p0[0], out[1][0], "the parameter moved");
    }
}
