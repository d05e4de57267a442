package bertft.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.internal.NDArrayEx;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.ndarray.types.SparseFormat;
import bertft.UserError;
import bertft.checkpoint.TensorData;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * A BERT encoder as plain NDArray math over parameters named exactly as HuggingFace's {@code BertModel} keys.
 *
 * <p>Loading and saving are name copies; layer-wise LR and freezing read the layer index from the name.
 * Parameters live in this model's own {@link NDManager}. Every op of {@link #forward} takes an input tensor
 * as its first operand, so its results (and their autograd graph) belong to the caller's step manager and
 * die with it.
 */
public final class Bert implements AutoCloseable {
    static {
        Torch.init();
    }

    private final BertConfig config;
    private final NDManager manager;
    private final Map<String, NDArray> params;

    private Bert(BertConfig config, NDManager manager, Map<String, NDArray> params) {
        this.config = config;
        this.manager = manager;
        this.params = params;
    }

    /** The parameter names and shapes of an encoder with this config, in HuggingFace's order. */
    public static Map<String, long[]> shapes(BertConfig c, boolean withPooler) {
        long h = c.hiddenSize();
        Map<String, long[]> s = new LinkedHashMap<>();
        s.put("embeddings.word_embeddings.weight", new long[] {c.vocabSize(), h});
        s.put("embeddings.position_embeddings.weight", new long[] {c.maxPositionEmbeddings(), h});
        s.put("embeddings.token_type_embeddings.weight", new long[] {c.typeVocabSize(), h});
        s.put("embeddings.LayerNorm.weight", new long[] {h});
        s.put("embeddings.LayerNorm.bias", new long[] {h});
        for (int i = 0; i < c.numHiddenLayers(); i++) {
            String p = "encoder.layer." + i + ".";
            for (String qkv : List.of("query", "key", "value")) {
                linear(s, p + "attention.self." + qkv, h, h);
            }
            linear(s, p + "attention.output.dense", h, h);
            layerNorm(s, p + "attention.output.LayerNorm", h);
            linear(s, p + "intermediate.dense", c.intermediateSize(), h);
            linear(s, p + "output.dense", h, c.intermediateSize());
            layerNorm(s, p + "output.LayerNorm", h);
        }
        if (withPooler) {
            linear(s, "pooler.dense", h, h);
        }
        return s;
    }

    private static void linear(Map<String, long[]> s, String name, long out, long in) {
        s.put(name + ".weight", new long[] {out, in});
        s.put(name + ".bias", new long[] {out});
    }

    private static void layerNorm(Map<String, long[]> s, String name, long h) {
        s.put(name + ".weight", new long[] {h});
        s.put(name + ".bias", new long[] {h});
    }

    /**
     * A freshly initialised encoder, as HuggingFace initialises one: weights ~ N(0, initializer_range),
     * biases 0, LayerNorm 1 and 0. Seeded from Java's RNG, so it is the same on every engine and machine.
     */
    public static Bert random(BertConfig config, boolean withPooler, long seed) {
        Map<String, TensorData> t = new LinkedHashMap<>();
        Random rng = new Random(seed);
        for (Map.Entry<String, long[]> e : shapes(config, withPooler).entrySet()) {
            t.put(e.getKey(), init(e.getKey(), e.getValue(), config.initializerRange(), rng));
        }
        return fromTensors(config, t, "random init");
    }

    /** One tensor initialised the HuggingFace way for its name. */
    public static TensorData init(String name, long[] shape, double std, Random rng) {
        float[] v = new float[Math.toIntExact(TensorData.numel(shape))];
        if (name.contains("LayerNorm.weight")) {
            Arrays.fill(v, 1f);
        } else if (!name.endsWith(".bias")) {
            for (int i = 0; i < v.length; i++) {
                v[i] = (float) (rng.nextGaussian() * std);
            }
        }
        return TensorData.of(shape, v);
    }

    /**
     * Builds the encoder from named tensors (a checkpoint's {@code BertModel} keys, without the {@code bert.}
     * prefix). The pooler is optional; every other key must be present with the right shape.
     */
    public static Bert fromTensors(BertConfig config, Map<String, TensorData> tensors, String source) {
        boolean withPooler = tensors.containsKey("pooler.dense.weight");
        Map<String, long[]> expected = shapes(config, withPooler);
        List<String> missing = new ArrayList<>();
        for (String k : expected.keySet()) {
            if (!tensors.containsKey(k)) {
                missing.add(k);
            }
        }
        if (!missing.isEmpty()) {
            throw new UserError(source + ": missing " + missing.size() + " encoder weight(s): "
                    + String.join(", ", missing.subList(0, Math.min(5, missing.size())))
                    + (missing.size() > 5 ? ", ..." : ""));
        }
        NDManager manager = NDManager.newBaseManager();
        Map<String, NDArray> params = new LinkedHashMap<>();
        try {
            for (Map.Entry<String, long[]> e : expected.entrySet()) {
                TensorData t = tensors.get(e.getKey());
                if (!Arrays.equals(t.shape(), e.getValue())) {
                    throw new UserError(source + ": " + e.getKey() + " has shape " + Arrays.toString(t.shape())
                            + ", config expects " + Arrays.toString(e.getValue()));
                }
                NDArray a = manager.create(t.data().duplicate(), new Shape(t.shape()), DataType.FLOAT32);
                a.setName(e.getKey());
                params.put(e.getKey(), a);
            }
        } catch (RuntimeException e) {
            manager.close();
            throw e;
        }
        return new Bert(config, manager, params);
    }

    public BertConfig config() {
        return config;
    }

    /** The parameters by HuggingFace name, in checkpoint order. The map is live: arrays are updated in place. */
    public Map<String, NDArray> params() {
        return params;
    }

    /** The manager that owns the parameters; optimizer state belongs here too. */
    public NDManager manager() {
        return manager;
    }

    public boolean hasPooler() {
        return params.containsKey("pooler.dense.weight");
    }

    /** A copy of every parameter as engine-free tensors, for saving. */
    public Map<String, TensorData> tensors() {
        Map<String, TensorData> out = new LinkedHashMap<>();
        params.forEach((k, v) -> out.put(k, toTensorData(v)));
        return out;
    }

    public static TensorData toTensorData(NDArray a) {
        ByteBuffer b = a.toByteBuffer();
        ByteBuffer copy = ByteBuffer.allocate(b.remaining());
        copy.put(b).flip();
        return new TensorData(a.getShape().getShape(), copy);
    }

    /**
     * Runs the encoder.
     *
     * @param inputIds (B, T) token ids, int64; its manager owns every result
     * @param tokenTypeIds (B, T) segment ids, or null for all zeros
     * @param attentionMask (B, T) 1 for real tokens, 0 for padding
     * @param training whether dropout is on
     * @return last_hidden_state (B, T, H)
     */
    public NDArray forward(NDArray inputIds, NDArray tokenTypeIds, NDArray attentionMask, boolean training) {
        long t = inputIds.getShape().get(1);
        if (t > config.maxPositionEmbeddings()) {
            throw new UserError("sequence of " + t + " tokens is longer than max_position_embeddings "
                    + config.maxPositionEmbeddings());
        }
        NDManager step = inputIds.getManager();
        NDArray types = tokenTypeIds != null ? tokenTypeIds : step.zeros(inputIds.getShape(), DataType.INT64);
        NDArray x = embeddings(inputIds, types, step.arange(0, (int) t, 1, DataType.INT64), training);
        // (B, T) -> (B, 1, 1, T): 0 where attended, the most negative float where padded
        NDArray bias = attentionMask.toType(DataType.FLOAT32, false).neg().add(1f)
                .mul(-Float.MAX_VALUE).expandDims(1).expandDims(1);
        for (int i = 0; i < config.numHiddenLayers(); i++) {
            x = layer(x, bias, "encoder.layer." + i + ".", training);
        }
        return x;
    }

    private NDArray embeddings(NDArray ids, NDArray typeIds, NDArray positions, boolean training) {
        NDArray x = embed(ids, "embeddings.word_embeddings.weight"); // (B, T, H)
        x = x.add(embed(positions, "embeddings.position_embeddings.weight")); // + (T, H)
        x = x.add(embed(typeIds, "embeddings.token_type_embeddings.weight"));
        return dropout(layerNorm(x, "embeddings.LayerNorm"), config.hiddenDropoutProb(), training);
    }

    private NDArray layer(NDArray x, NDArray maskBias, String prefix, boolean training) {
        NDArray a = attention(x, maskBias, prefix + "attention.self.", training);
        a = dropout(linear(a, prefix + "attention.output.dense"), config.hiddenDropoutProb(), training);
        a = layerNorm(a.add(x), prefix + "attention.output.LayerNorm");
        NDArray h = activation(linear(a, prefix + "intermediate.dense"), config.hiddenAct());
        h = dropout(linear(h, prefix + "output.dense"), config.hiddenDropoutProb(), training);
        return layerNorm(h.add(a), prefix + "output.LayerNorm");
    }

    private NDArray attention(NDArray x, NDArray maskBias, String prefix, boolean training) {
        long b = x.getShape().get(0);
        long t = x.getShape().get(1);
        int heads = config.numAttentionHeads();
        int hs = config.headSize();
        // scale q rather than the (B, heads, T, T) scores: same result, T/hs times fewer multiplies
        NDArray q = splitHeads(Scalar.mul(linear(x, prefix + "query"), 1 / Math.sqrt(hs)), b, t, heads, hs);
        NDArray k = splitHeads(linear(x, prefix + "key"), b, t, heads, hs);
        NDArray v = splitHeads(linear(x, prefix + "value"), b, t, heads, hs);
        NDArray scores = q.matMul(k.transpose(0, 1, 3, 2)).add(maskBias); // (B, heads, T, T)
        NDArray probs = dropout(scores.softmax(-1), config.attentionProbsDropoutProb(), training);
        NDArray ctx = probs.matMul(v); // (B, heads, T, hs)
        return ctx.transpose(0, 2, 1, 3).reshape(b, t, (long) heads * hs); // (B, T, H)
    }

    private static NDArray splitHeads(NDArray x, long b, long t, int heads, int hs) {
        return x.reshape(b, t, heads, hs).transpose(0, 2, 1, 3); // (B, T, H) -> (B, heads, T, hs)
    }

    /** The pooler: tanh(dense(hidden[:, 0])). */
    public NDArray pool(NDArray hidden) {
        if (!hasPooler()) {
            throw new IllegalStateException("this encoder has no pooler weights");
        }
        NDArray cls = hidden.get(":, 0, :"); // (B, T, H) -> (B, H)
        return linear(cls, "pooler.dense").tanh();
    }

    /** Mean over real tokens (mask 1), as sentence-transformers pools: (B, T, H) -> (B, H). */
    public static NDArray meanPool(NDArray hidden, NDArray attentionMask) {
        NDArray m = attentionMask.toType(DataType.FLOAT32, false).expandDims(2); // (B, T, 1)
        return hidden.mul(m).sum(new int[] {1}).div(m.sum(new int[] {1}).maximum(1e-9f));
    }

    private NDArray p(String name) {
        return params.get(name);
    }

    private NDArray embed(NDArray ids, String weight) {
        return ex(ids).embedding(ids, p(weight), SparseFormat.DENSE).singletonOrThrow();
    }

    private NDArray linear(NDArray x, String name) {
        return ex(x).linear(x, p(name + ".weight"), p(name + ".bias")).singletonOrThrow();
    }

    private NDArray layerNorm(NDArray x, String name) {
        Shape h = new Shape(config.hiddenSize());
        return ex(x).layerNorm(x, h, p(name + ".weight"), p(name + ".bias"), (float) config.layerNormEps())
                .singletonOrThrow();
    }

    /** HuggingFace's activation of that name, one of {@link BertConfig#ACTIVATIONS}. */
    static NDArray activation(NDArray x, String name) {
        switch (name) {
            case "relu":
                return x.getNDArrayInternal().relu();
            case "gelu_new":
            case "gelu_pytorch_tanh":
                // 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))
                NDArray inner = Scalar.mul(x.add(Scalar.mul(x.mul(x).mul(x), 0.044715)), Math.sqrt(2 / Math.PI));
                return Scalar.mul(x.mul(inner.tanh().add(1f)), 0.5);
            default:
                return x.getNDArrayInternal().gelu(); // exact erf form, as HuggingFace's "gelu"
        }
    }

    private static NDArray dropout(NDArray x, double rate, boolean training) {
        if (!training || rate == 0) {
            return x;
        }
        return ex(x).dropout(x, (float) rate, true).singletonOrThrow();
    }

    private static NDArrayEx ex(NDArray x) {
        return x.getNDArrayInternal();
    }

    @Override
    public void close() {
        manager.close();
    }
}
