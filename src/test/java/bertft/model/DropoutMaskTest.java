package bertft.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class DropoutMaskTest {
    @BeforeAll
    static void engine() {
        Torch.init();
    }

    /** Over several pieces with a ragged end: the drop rate, the kept value and the mean are torch dropout's. */
    @Test
    void dropsAtTheRateAndKeepsTheMeanAtOne() {
        try (NDManager m = NDManager.newBaseManager()) {
            Torch.seed(5);
            float[] mask = DropoutMask.draw(m, new Shape(3, DropoutMask.PIECE + 7), 0.1).toFloatArray();
            int dropped = 0;
            double sum = 0;
            for (float x : mask) {
                assertTrue(x == 0f || Math.abs(x - 1 / 0.9f) < 1e-4, "0 or 1/(1-p): " + x);
                dropped += x == 0f ? 1 : 0;
                sum += x;
            }
            // 196,629 draws: the drop share's standard error is 0.00068
            assertEquals(0.1, (double) dropped / mask.length, 0.003);
            assertEquals(1.0, sum / mask.length, 0.004);
            assertTrue(mask[mask.length - 1] >= 0 && mask[mask.length - 7] >= 0, "the ragged end is written");
        }
    }

    @Test
    void theEngineSeedFixesTheMaskWhateverTheThreadsAndEachCallDrawsAnew() {
        String before = System.getProperty(Torch.THREADS_PROPERTY);
        try (NDManager m = NDManager.newBaseManager()) {
            Shape shape = new Shape(4 * DropoutMask.PIECE + 3);
            Torch.seed(7);
            float[] first = DropoutMask.draw(m, shape, 0.25).toFloatArray();
            float[] second = DropoutMask.draw(m, shape, 0.25).toFloatArray();
            System.setProperty(Torch.THREADS_PROPERTY, "1");
            Torch.seed(7);
            assertArrayEquals(first, DropoutMask.draw(m, shape, 0.25).toFloatArray(), "one thread, same seed");
            assertFalse(java.util.Arrays.equals(first, second), "a second call draws a new mask");
        } finally {
            if (before == null) {
                System.clearProperty(Torch.THREADS_PROPERTY);
            } else {
                System.setProperty(Torch.THREADS_PROPERTY, before);
            }
        }
    }

    @Test
    void dropoutIsTheInputTimesTheMaskAndBackwardUsesIt() {
        try (NDManager m = NDManager.newBaseManager()) {
            Torch.seed(3);
            NDArray x = m.randomNormal(new Shape(64, 64));
            x.setRequiresGradient(true);
            try (ai.djl.training.GradientCollector gc = ai.djl.engine.Engine.getInstance().newGradientCollector()) {
                NDArray y = Ops.dropout(x, 0.5, true);
                float[] out = y.toFloatArray();
                float[] in = x.toFloatArray();
                int zeros = 0;
                for (int i = 0; i < out.length; i++) {
                    assertTrue(out[i] == 0f || Math.abs(out[i] - 2 * in[i]) < 1e-5, "element " + i);
                    zeros += out[i] == 0f ? 1 : 0;
                }
                assertTrue(zeros > 1800 && zeros < 2300, zeros + " of 4096 dropped at p = 0.5");
                gc.backward(y.sum());
                float[] grad = x.getGradient().toFloatArray();
                for (int i = 0; i < out.length; i++) {
                    assertEquals(out[i] == 0f ? 0f : 2f, grad[i], 1e-6, "gradient " + i);
                }
            }
            assertTrue(Ops.dropout(x, 0.5, false) == x && Ops.dropout(x, 0, true) == x, "off: the input itself");
        }
    }

    /**
     * The mask is, element for element, the plain rule over the same draws (0 where a 16-bit draw is under the
     * rate, else 1 / (1 - rate)), at the edges of the rate too: what the branch-free fill must keep.
     */
    @Test
    void theMaskIsThePlainRuleOverTheSameDraws() {
        try (NDManager m = NDManager.newBaseManager()) {
            int n = 2 * DropoutMask.PIECE + 7; // a ragged last piece, not a multiple of four
            for (double rate : new double[] {0, 0.1, 0.5, 1}) {
                Torch.seed(13);
                float[] got = DropoutMask.draw(m, new Shape(n), rate).toFloatArray();
                Torch.seed(13);
                long seed = m.randomInteger(0, Long.MAX_VALUE, new Shape(1), ai.djl.ndarray.types.DataType.INT64)
                        .toLongArray()[0];
                int drop = (int) Math.round(rate * 65536);
                float keep = drop >= 65536 ? 0 : 65536f / (65536 - drop);
                long[] seeds = new java.util.SplittableRandom(seed).longs(3).toArray();
                for (int k = 0; k < 3; k++) {
                    java.util.SplittableRandom r = new java.util.SplittableRandom(seeds[k]);
                    int end = Math.min(n, (k + 1) * DropoutMask.PIECE);
                    for (int i = k * DropoutMask.PIECE; i < end; i += 4) {
                        long bits = r.nextLong();
                        for (int j = 0; j < 4 && i + j < end; j++) {
                            float want = (int) (bits >>> (16 * j) & 0xFFFF) < drop ? 0f : keep;
                            assertEquals(want, got[i + j], "rate " + rate + " element " + (i + j));
                        }
                    }
                }
            }
        }
    }
}
