package bertft.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import bertft.UserError;
import org.junit.jupiter.api.Test;

/** Device names as {@code --device} takes them, and the libtorch fallback of the Java dropout mask. */
class DeviceChoiceTest {
    @Test
    void devicesByName() {
        assertEquals(Device.cpu(), Torch.device("cpu", "--device", 0));
        assertEquals(Device.gpu(0), Torch.device("gpu", "--device", 1));
        assertEquals(Device.gpu(1), Torch.device("GPU:1", "--device", 2));
        assertEquals("BERT_FT_DEVICE gpu:2: the engine sees 2 GPU(s), gpu:0 to gpu:1",
                assertThrows(UserError.class, () -> Torch.device("gpu:2", "BERT_FT_DEVICE", 2)).getMessage());
        assertEquals("--device cuda: not a device; use cpu, gpu or gpu:N",
                assertThrows(UserError.class, () -> Torch.device("cuda", "--device", 1)).getMessage());
        assertEquals(Device.cpu(), Torch.device(), "this machine: no GPU, nothing asked");
    }

    /** The mask libtorch draws where Java cannot write (a GPU): zeros at the rate, the rest 1 / (1 - rate). */
    @Test
    void theDeviceMaskHasTheRateAndScale() {
        try (NDManager m = Torch.newManager()) {
            Torch.seed(3);
            NDArray mask = DropoutMask.drawOnDevice(m, new Shape(200, 500), 0.1);
            float[] v = mask.toFloatArray();
            int zeros = 0;
            for (float x : v) {
                if (x == 0) {
                    zeros++;
                } else {
                    assertEquals(1 / 0.9f, x, 1e-6f);
                }
            }
            assertEquals(0.1, zeros / (double) v.length, 0.005);
        }
    }
}
