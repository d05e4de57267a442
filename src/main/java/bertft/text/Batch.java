package bertft.text;

import ai.djl.huggingface.tokenizers.Encoding;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.List;

/**
 * Encodings padded to the longest in the batch (dynamic padding), as (B, T) int64 arrays.
 *
 * @param inputIds token ids, 0 ([PAD]) after each sequence's end
 * @param tokenTypeIds segment ids
 * @param attentionMask 1 for real tokens, 0 for padding
 * @param realTokens the number of non-padding positions
 */
public record Batch(NDArray inputIds, NDArray tokenTypeIds, NDArray attentionMask, long realTokens) {

    /**
     * Training-time text noise against over-fitting: each real, non-special token is replaced by [MASK] with
     * probability {@code mask}, or hidden from attention with probability {@code drop} (as if deleted).
     */
    public record Noise(double mask, double drop, long maskId, java.util.Random rng) {}

    /** Pads and stacks encodings; the arrays belong to {@code manager}. */
    public static Batch of(List<Encoding> encodings, NDManager manager) {
        return of(encodings, manager, null);
    }

    /** As {@link #of(List, NDManager)}, with optional token noise. */
    public static Batch of(List<Encoding> encodings, NDManager manager, Noise noise) {
        int b = encodings.size();
        int t = encodings.stream().mapToInt(e -> e.getIds().length).max().orElse(0);
        long[] ids = new long[b * t];
        long[] types = new long[b * t];
        long[] mask = new long[b * t];
        long real = 0;
        for (int i = 0; i < b; i++) {
            Encoding e = encodings.get(i);
            long[] eIds = e.getIds();
            System.arraycopy(eIds, 0, ids, i * t, eIds.length);
            System.arraycopy(e.getTypeIds(), 0, types, i * t, eIds.length);
            long[] special = noise == null ? null : e.getSpecialTokenMask();
            for (int j = 0; j < eIds.length; j++) {
                mask[i * t + j] = 1;
                if (noise != null && special[j] == 0) {
                    double u = noise.rng().nextDouble();
                    if (u < noise.mask()) {
                        ids[i * t + j] = noise.maskId();
                    } else if (u < noise.mask() + noise.drop()) {
                        mask[i * t + j] = 0;
                    }
                }
            }
            real += eIds.length;
        }
        Shape shape = new Shape(b, t);
        return new Batch(manager.create(ids, shape), manager.create(types, shape), manager.create(mask, shape), real);
    }

    public long batchSize() {
        return inputIds.getShape().get(0);
    }

    /** Positions computed, padding included. */
    public long positions() {
        return inputIds.getShape().size();
    }
}
