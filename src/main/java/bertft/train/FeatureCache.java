package bertft.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import bertft.model.TaskModel;
import bertft.text.Batch;
import java.util.List;

/**
 * Encoder outputs computed once for a frozen encoder: each example's (H) vector before the trainable head.
 *
 * <p>Feature extraction then costs one encoder pass in total; every epoch after it trains only the head.
 */
public final class FeatureCache {
    private final float[][] rows;

    private FeatureCache(float[][] rows) {
        this.rows = rows;
    }

    /** Runs the encoder (eval mode) over all examples in length-sorted batches. */
    public static FeatureCache compute(TaskModel model, Features f, int batchSize) {
        float[][] rows = new float[f.size()][];
        List<int[]> batches = Batcher.inference(f.lengths(), batchSize);
        for (int[] idx : batches) {
            try (NDManager m = NDManager.newBaseManager()) {
                Batch b = f.batch(idx, m);
                NDArray hidden = model.encode(b, false);
                NDArray feats = model.features(hidden, b.attentionMask()); // (B, H)
                int h = (int) feats.getShape().get(1);
                float[] flat = feats.toFloatArray();
                for (int k = 0; k < idx.length; k++) {
                    rows[idx[k]] = java.util.Arrays.copyOfRange(flat, k * h, (k + 1) * h);
                }
            }
        }
        return new FeatureCache(rows);
    }

    public int size() {
        return rows.length;
    }

    /** (B, H) features of a batch. */
    public NDArray batch(int[] idx, NDManager m) {
        int h = rows[0].length;
        float[] flat = new float[idx.length * h];
        for (int k = 0; k < idx.length; k++) {
            System.arraycopy(rows[idx[k]], 0, flat, k * h, h);
        }
        return m.create(flat, new Shape(idx.length, h));
    }
}
