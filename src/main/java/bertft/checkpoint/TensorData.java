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

    /**
     * Whether every value is a number (no NaN, no infinity). Reads the bits two floats at a time: a float is
     * non-finite when its 8 exponent bits are all ones, and adding 1 to that exponent field carries into the sign
     * bit exactly then, so one and, add and or per pair (tens of milliseconds for 22M weights, no engine call).
     */
    public boolean allFinite() {
        final long exponents = 0x7f8000007f800000L;
        final long one = 0x0080000000800000L;
        ByteBuffer b = data.duplicate().order(ByteOrder.LITTLE_ENDIAN);
        java.nio.LongBuffer pairs = b.asLongBuffer();
        long[] chunk = new long[Math.min(pairs.remaining(), 1 << 14)];
        long acc = 0;
        while (pairs.hasRemaining()) {
            int n = Math.min(chunk.length, pairs.remaining());
            pairs.get(chunk, 0, n);
            int i = 0;
            // unrolled by hand: the launcher runs C1, which neither unrolls nor vectorises
            for (; i + 4 <= n; i += 4) {
                acc |= ((chunk[i] & exponents) + one) | ((chunk[i + 1] & exponents) + one)
                        | ((chunk[i + 2] & exponents) + one) | ((chunk[i + 3] & exponents) + one);
            }
            for (; i < n; i++) {
                acc |= (chunk[i] & exponents) + one;
            }
        }
        if (numel() % 2 == 1) {
            acc |= (b.getInt(b.limit() - Float.BYTES) & 0x7f800000L) + 0x00800000L;
        }
        return (acc & 0x8000000080000000L) == 0;
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
