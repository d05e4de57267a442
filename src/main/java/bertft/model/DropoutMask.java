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

    private DropoutMask() {}

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
        Torch.forEachPiece(pieces, k -> {
            SplittableRandom r = new SplittableRandom(seeds[k]);
            int end = Math.min(n, (k + 1) * PIECE);
            for (int i = k * PIECE; i < end; i += 4) {
                long bits = r.nextLong();
                for (int j = 0; j < 4 && i + j < end; j++) {
                    f.put(i + j, (int) (bits >>> (16 * j) & 0xFFFF) < drop ? 0f : keep);
                }
            }
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
