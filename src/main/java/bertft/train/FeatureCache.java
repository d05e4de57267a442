package bertft.train;

import ai.djl.huggingface.tokenizers.Encoding;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import bertft.checkpoint.SafeTensors;
import bertft.checkpoint.TensorData;
import bertft.data.Batcher;
import bertft.data.Features;
import bertft.model.TaskModel;
import bertft.model.Torch;
import bertft.text.Batch;
import java.nio.ByteBuffer;
import java.nio.FloatBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.Map;
import java.util.TreeMap;

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
        float[][] rows = Batcher.rowsInOrder(f.lengths(), batchSize, idx -> {
            try (NDManager m = Torch.newManager()) {
                Batch b = f.batch(idx, m);
                NDArray hidden = model.encode(b, false);
                return model.features(hidden, b.attentionMask()).toFloatArray(); // (B, H)
            }
        });
        return new FeatureCache(rows);
    }

    /**
     * As {@link #compute}, kept in {@code dir} under a key of everything the features depend on: the encoder's
     * weights, the pooling and every example's tokens. Another run with the same key (a frozen trial of the same
     * tune, or one resumed at its next rung) reads them instead of running the encoder. A null {@code dir}: as
     * {@link #compute}, kept nowhere.
     *
     * @return the features, and whether they were read from {@code dir}
     */
    public static Stored computeOrRead(Path dir, TaskModel model, Features f, int batchSize) {
        if (dir == null) {
            return new Stored(compute(model, f, batchSize), false);
        }
        Path file = dir.resolve("features-" + key(model, f) + ".safetensors");
        if (Files.isRegularFile(file)) {
            TensorData t;
            try {
                t = SafeTensors.read(file).get(FEATURES);
            } catch (bertft.UserError e) {
                t = null; // damaged: computed again and written over
            }
            if (t != null && t.shape().length == 2 && t.shape()[0] == f.size()) {
                int h = (int) t.shape()[1];
                FloatBuffer all = t.data().asFloatBuffer();
                float[][] rows = new float[f.size()][h];
                for (float[] row : rows) {
                    all.get(row);
                }
                return new Stored(new FeatureCache(rows), true);
            }
        }
        FeatureCache c = compute(model, f, batchSize);
        int h = c.rows[0].length;
        float[] flat = new float[c.rows.length * h];
        for (int i = 0; i < c.rows.length; i++) {
            System.arraycopy(c.rows[i], 0, flat, i * h, h);
        }
        bertft.AtomicFiles.createDirectories(dir);
        SafeTensors.write(file, Map.of(FEATURES, TensorData.of(new long[] {c.rows.length, h}, flat)));
        return new Stored(c, false);
    }

    /** Features from {@link #computeOrRead}: {@code read} when they came from a file. */
    public record Stored(FeatureCache cache, boolean read) {}

    private static final String FEATURES = "features";

    /** SHA-256 (first 16 bytes, hex) of the encoder's weights by name, the pooling and the examples' tokens. */
    static String key(TaskModel model, Features f) {
        MessageDigest d = bertft.Sha256.digest();
        d.update((model.family().modelType() + "\n" + model.pooling() + "\n").getBytes(StandardCharsets.UTF_8));
        String prefix = model.family().prefix() + ".";
        Map<String, ai.djl.ndarray.NDArray> encoder = new TreeMap<>();
        model.params().forEach((name, p) -> {
            if (name.startsWith(prefix) && !name.startsWith(prefix + "pooler.")) {
                encoder.put(name, p);
            }
        });
        encoder.forEach((name, p) -> {
            d.update((name + p.getShape() + "\n").getBytes(StandardCharsets.UTF_8));
            if (!Torch.javaLoops(p)) {
                d.update(p.toByteBuffer()); // a copy from the device, once per run
                return;
            }
            FloatBuffer w = Torch.floats(p);
            ByteBuffer b = ByteBuffer.allocate(w.capacity() * Float.BYTES);
            b.asFloatBuffer().put(w.duplicate());
            d.update(b);
        });
        digestTokens(d, f.encodings());
        return HexFormat.of().formatHex(d.digest(), 0, 16);
    }

    /**
     * Feeds every input's token ids, type ids and attention mask (each with its length) to {@code d}: what a cache of
     * a model's outputs over those inputs is keyed by.
     */
    public static void digestTokens(java.security.MessageDigest d, java.util.List<Encoding> inputs) {
        for (Encoding e : inputs) {
            long[][] columns = {e.getIds(), e.getTypeIds(), e.getAttentionMask()};
            ByteBuffer b = ByteBuffer.allocate(Long.BYTES * (3 + 3 * columns[0].length));
            for (long[] column : columns) {
                b.putLong(column.length);
                b.asLongBuffer().put(column);
                b.position(b.position() + column.length * Long.BYTES);
            }
            d.update(b.flip());
        }
    }

    public int size() {
        return rows.length;
    }

    /** The features, one (H) row per example (shared, not copied). */
    float[][] rows() {
        return rows;
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
