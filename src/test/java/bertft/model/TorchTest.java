package bertft.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import bertft.UserError;
import com.sun.jna.NativeLibrary;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class TorchTest {
    @AfterEach
    void clear() {
        System.clearProperty(Torch.THREADS_PROPERTY);
    }

    @Test
    void openMpThreadsWaitPassivelyInEveryProcessThatStartsTheEngine() {
        assumeTrue(System.getenv("OMP_WAIT_POLICY") == null && System.getenv("GOMP_SPINCOUNT") == null,
                "the user's own OpenMP setting is kept");
        Torch.init();
        // the C environment, which libgomp read when libtorch loaded (Java's System.getenv is a copy made at start)
        String policy = (String) NativeLibrary.getInstance("c").getFunction("getenv")
                .invoke(String.class, new Object[] {"OMP_WAIT_POLICY"});
        assertEquals("PASSIVE", policy);
    }

    @Test
    void threadsOptionWinsAndNonsenseIsAUserError() {
        System.setProperty(Torch.THREADS_PROPERTY, "3");
        assertEquals(3, Torch.threads());
        System.setProperty(Torch.THREADS_PROPERTY, "0");
        UserError e = assertThrows(UserError.class, Torch::threads);
        assertEquals("system property bertft.threads=0: not a thread count; use a whole number from 1 to 256 (or --threads N)",
                e.getMessage());
        System.setProperty(Torch.THREADS_PROPERTY, "two");
        assertThrows(UserError.class, Torch::threads);
        System.setProperty(Torch.THREADS_PROPERTY, "40000");
        assertTrue(assertThrows(UserError.class, Torch::threads).getMessage().contains("from 1 to 256"));
    }

    @Test
    void seedsUseAll64Bits() {
        try (ai.djl.ndarray.NDManager m = ai.djl.ndarray.NDManager.newBaseManager()) {
            Torch.seed(5);
            float[] a = m.randomUniform(0, 1, new ai.djl.ndarray.types.Shape(8)).toFloatArray();
            Torch.seed(5 + (1L << 32)); // the same int after truncation
            float[] b = m.randomUniform(0, 1, new ai.djl.ndarray.types.Shape(8)).toFloatArray();
            Torch.seed(5);
            float[] c = m.randomUniform(0, 1, new ai.djl.ndarray.types.Shape(8)).toFloatArray();
            org.junit.jupiter.api.Assertions.assertArrayEquals(a, c);
            org.junit.jupiter.api.Assertions.assertFalse(java.util.Arrays.equals(a, b));
        }
    }
}
