package bertft.data;

import ai.djl.huggingface.tokenizers.Encoding;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import bertft.text.Batch;
import java.util.ArrayList;
import java.util.List;

/**
 * Tokenized examples with their training targets, ready to batch.
 *
 * <p>A target is a class id (single-label), a multi-hot row (multi-label) or a value (regression), stored as
 * floats; {@link #labels} and {@link #targets} turn a batch of them into the arrays the losses take.
 */
public record Features(List<Encoding> encodings, List<float[]> targets) {

    public int size() {
        return encodings.size();
    }

    /** Token counts, for length bucketing. */
    public int[] lengths() {
        return encodings.stream().mapToInt(e -> e.getIds().length).toArray();
    }

    /** The encodings of a batch of indices, padded together. */
    public Batch batch(int[] idx, NDManager m) {
        return batch(idx, m, null);
    }

    /** As {@link #batch(int[], NDManager)}, with training noise (may be null). */
    public Batch batch(int[] idx, NDManager m, Batch.Noise noise) {
        List<Encoding> list = new ArrayList<>(idx.length);
        for (int i : idx) {
            list.add(encodings.get(i));
        }
        return Batch.of(list, m, noise);
    }

    /** (B) int64 class ids of a batch. */
    public NDArray labels(int[] idx, NDManager m) {
        long[] y = new long[idx.length];
        for (int k = 0; k < idx.length; k++) {
            y[k] = (long) targets.get(idx[k])[0];
        }
        return m.create(y);
    }

    /** (B, width) float targets of a batch: multi-hot rows or regression values. */
    public NDArray targets(int[] idx, NDManager m) {
        int width = targets.get(idx[0]).length;
        float[] t = new float[idx.length * width];
        for (int k = 0; k < idx.length; k++) {
            System.arraycopy(targets.get(idx[k]), 0, t, k * width, width);
        }
        return m.create(t, new Shape(idx.length, width));
    }
}
