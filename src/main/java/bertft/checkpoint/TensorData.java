package bertft.checkpoint;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;

/**
 * One named tensor as float32 values, little-endian, independent of any engine.
 *
 * <p>Readers convert F16 and BF16 to F32 on the way in; every checkpoint format meets the model here.
 */
public record TensorData(long[] shape, ByteBuffer data) {

    public TensorData {
        long n = numel(shape);
        if (data.remaining() != n * Float.BYTES) {
            throw new IllegalArgumentException(
                    "shape " + Arrays.toString(shape) + " needs " + n * Float.BYTES + " bytes, got " + data.remaining());
        }
        data = data.slice().order(ByteOrder.LITTLE_ENDIAN);
    }

    /** Wraps float values; the array is copied. */
    public static TensorData of(long[] shape, float[] values) {
        ByteBuffer b = ByteBuffer.allocate(values.length * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN);
        b.asFloatBuffer().put(values);
        return new TensorData(shape, b);
    }

    public static long numel(long[] shape) {
        long n = 1;
        for (long d : shape) {
            n *= d;
        }
        return n;
    }

    public long numel() {
        return numel(shape);
    }

    public float[] toFloats() {
        float[] out = new float[Math.toIntExact(numel())];
        data.duplicate().order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(out);
        return out;
    }

    /** The 2-D transpose, for ONNX MatMul weights ([in, out]) that HuggingFace stores as [out, in]. */
    public TensorData transpose2d() {
        if (shape.length != 2) {
            throw new IllegalStateException("transpose2d needs a 2-D tensor, got " + Arrays.toString(shape));
        }
        int rows = (int) shape[0];
        int cols = (int) shape[1];
        float[] in = toFloats();
        float[] out = new float[in.length];
        for (int r = 0; r < rows; r++) {
            for (int c = 0; c < cols; c++) {
                out[c * rows + r] = in[r * cols + c];
            }
        }
        return of(new long[] {cols, rows}, out);
    }
}
