package bertft.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.nio.FloatBuffer;
import java.util.SplittableRandom;

/**
 * Dropout masks drawn in Java, written straight into a libtorch tensor's storage. libtorch's CPU dropout draws its
 * Bernoulli numbers at ~60 M/s here: 27 ms for one (32, 12, 64, 64) attention map, a third of a 32x64 training
 * step over all layers, where the product with the mask takes 2 ms. A {@link SplittableRandom} per piece of 64 Ki
 * elements gives four 16-bit draws per number, and the pieces run on {@link Torch#threads()} threads.
 *
 * <p>Reproducible as torch's dropout is: each mask's seed is drawn from the engine's generator ({@link
 * Torch#seed}), and each piece's seed from that, so a mask depends on neither the thread count nor scheduling.
 */
final class DropoutMask {
    /** Elements per piece (a multiple of 4: one 64-bit draw gives four). */
    static final int PIECE = 1 << 16;

    /** Each thread's piece, reused: a new 256 KB array per piece cost more than the draws saved. */
    private static final ThreadLocal<float[]> TILE = ThreadLocal.withInitial(() -> new float[PIECE]);

    private DropoutMask() {}

    /**
     * {@code keepBits} as a float where the low 16 bits of {@code bits} are at least {@code drop}, else 0f; without a
     * branch, which mispredicted on the one draw in ten that drops (mask filling 56 -> 40 ms of CPU for 24M elements).
     */
    private static float kept(long bits, int drop, int keepBits) {
        return Float.intBitsToFloat(keepBits & ((drop - 1 - (int) (bits & 0xFFFF)) >> 31));
    }

    /**
     * A float32 mask of {@code shape} in {@code manager}: 0 with probability {@code rate} (rounded to a multiple of
     * 1/65536), else 1 / (1 - that probability), so that the mask's mean is 1.
     */
    static NDArray draw(NDManager manager, Shape shape, double rate) {
        int drop = (int) Math.round(rate * 65536);
        float keep = drop >= 65536 ? 0 : 65536f / (65536 - drop);
        long seed;
        try (NDArray s = manager.randomInteger(0, Long.MAX_VALUE, new Shape(1), DataType.INT64)) {
            seed = s.toLongArray()[0];
        }
        NDArray mask = manager.create(shape, DataType.FLOAT32); // uninitialised: every element is written below
        FloatBuffer f = Torch.floats(mask);
        int n = f.capacity();
        int pieces = (n + PIECE - 1) / PIECE;
        long[] seeds = new SplittableRandom(seed).longs(pieces).toArray();
        int keepBits = Float.floatToRawIntBits(keep);
        Torch.forEachPiece(pieces, k -> {
            SplittableRandom r = new SplittableRandom(seeds[k]);
            int start = k * PIECE;
            int len = Math.min(n, start + PIECE) - start;
            float[] piece = TILE.get(); // filled as an array, then copied in bulk: cheaper than puts one by one
            for (int i = 0; i < len; i += 4) {
                long bits = r.nextLong();
                if (i + 4 <= len) {
                    piece[i] = kept(bits, drop, keepBits);
                    piece[i + 1] = kept(bits >>> 16, drop, keepBits);
                    piece[i + 2] = kept(bits >>> 32, drop, keepBits);
                    piece[i + 3] = kept(bits >>> 48, drop, keepBits);
                } else {
                    for (int j = 0; i + j < len; j++) {
                        piece[i + j] = kept(bits >>> (16 * j), drop, keepBits);
                    }
                }
            }
            f.put(start, piece, 0, len);
        });
        return mask;
    }

    /**
     * The same distribution drawn by libtorch where the tensor lives (a GPU: Java cannot write its storage), from
     * the engine's generator: other numbers than {@link #draw}'s, the same rate and scale.
     */
    static NDArray drawOnDevice(NDManager manager, Shape shape, double rate) {
        float keep = rate >= 1 ? 0 : (float) (1 / (1 - rate));
        try (NDArray u = manager.randomUniform(0f, 1f, shape); NDArray kept = u.gte((float) rate)) {
            return kept.toType(DataType.FLOAT32, false).muli(keep);
        }
    }
}
