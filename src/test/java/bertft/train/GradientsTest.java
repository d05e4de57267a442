package bertft.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.training.GradientCollector;
import bertft.model.Torch;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Global-norm clipping as torch.nn.utils.clip_grad_norm_, and zeroing accumulated gradients. */
class GradientsTest {
    @BeforeAll
    static void engine() {
        Torch.init();
    }

    @Test
    void clipScalesAllGradientsTogetherToTheMaximumNorm() {
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray a = m.create(new float[] {3f, 4f});
            NDArray b = m.create(new float[] {12f});
            // global norm sqrt(9 + 16 + 144) = 13; one factor for all, so directions are kept
            double norm = Gradients.clipGlobalNorm(List.of(a, b), 6.5);
            assertEquals(13, norm, 1e-6);
            float scale = (float) (6.5 / (13 + 1e-6));
            assertArrayEquals(new float[] {3 * scale, 4 * scale}, a.toFloatArray(), 1e-6f);
            assertArrayEquals(new float[] {12 * scale}, b.toFloatArray(), 1e-6f);
        }
    }

    @Test
    void clipLeavesSmallGradientsAloneAndZeroMeansNoClipping() {
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray a = m.create(new float[] {3f, 4f});
            assertEquals(5, Gradients.clipGlobalNorm(List.of(a), 5.5), 1e-6);
            assertArrayEquals(new float[] {3f, 4f}, a.toFloatArray());
            NDArray big = m.create(new float[] {300f, 400f});
            assertEquals(500, Gradients.clipGlobalNorm(List.of(big), 0), 1e-3);
            assertArrayEquals(new float[] {300f, 400f}, big.toFloatArray());
            assertEquals(0, Gradients.clipGlobalNorm(List.of(), 1), 0);
        }
    }

    @Test
    void clippingReachesWhatTheOptimizerSeesAndZeroClearsTheAccumulation() {
        try (NDManager m = NDManager.newBaseManager(); NDManager scope = NDManager.newBaseManager()) {
            NDArray w = m.create(new float[] {1f, 2f});
            w.setRequiresGradient(true);
            Map<String, NDArray> params = new LinkedHashMap<>(Map.of("w", w));
            for (int k = 0; k < 2; k++) { // two backward passes add up in .grad: d/dw sum(w * 10) = 10 each
                try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                    gc.backward(w.mul(m.create(10f)).sum());
                }
            }
            Map<String, NDArray> grads = Gradients.of(params, scope);
            assertArrayEquals(new float[] {20f, 20f}, grads.get("w").toFloatArray());
            Gradients.clipGlobalNorm(grads.values(), 1);
            float[] clipped = w.getGradient().toFloatArray();
            assertEquals(1, Math.hypot(clipped[0], clipped[1]), 1e-5, "clipped in place, in the parameter's .grad");
            Gradients.zero(List.of(w));
            assertArrayEquals(new float[] {0f, 0f}, w.getGradient().toFloatArray());
            assertFalse(Gradients.of(Map.of("frozen", m.create(new float[] {1f})), scope).containsKey("frozen"));
            assertTrue(Gradients.firstNonFinite(grads).startsWith("none"));
        }
    }
}
