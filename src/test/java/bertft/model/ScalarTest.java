package bertft.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.training.GradientCollector;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;

class ScalarTest {
    /**
     * The backward pass must still see the scalar after the garbage collector has run and the freed native
     * memory has been handed out again (DJL's {@code x.mul(3f)} fails this: its scalar lives in a direct buffer).
     */
    static float[] gradientAfterGc(UnaryOperator<NDArray> f) {
        Torch.init();
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray x = m.create(new float[] {1, 2, 3, 4});
            x.setRequiresGradient(true);
            try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                NDArray y = f.apply(x).sum();
                List<ByteBuffer> junk = new ArrayList<>();
                for (int round = 0; round < 20; round++) {
                    System.gc();
                    for (int i = 0; i < 200; i++) { // small blocks, as the scalars' were, filled with garbage
                        ByteBuffer b = ByteBuffer.allocateDirect(4).order(ByteOrder.nativeOrder());
                        b.putFloat(0, 1e30f);
                        junk.add(b);
                    }
                }
                gc.backward(y);
                return x.getGradient().toFloatArray();
            }
        }
    }

    @Test
    void scalarsSurviveGarbageCollectionUntilBackward() {
        assertArrayEquals(new float[] {3, 3, 3, 3}, gradientAfterGc(x -> Scalar.mul(x, 3)), 0f);
        assertArrayEquals(new float[] {0.5f, 0.5f, 0.5f, 0.5f}, gradientAfterGc(x -> Scalar.div(x, 2)), 0f);
    }
}
