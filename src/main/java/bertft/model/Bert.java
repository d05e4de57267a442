package bertft.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
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
 * A BERT encoder as plain NDArray math over parameters named exactly as HuggingFace's {@code BertModel} keys; also
 * RoBERTa, XLM-RoBERTa and CamemBERT (the same layer, positions counted from {@code pad_token_id + 1} past
 * padding) and ELECTRA (embeddings of {@code embedding_size}, then {@code embeddings_project} to hidden_size).
 *
 * <p>Loading and saving are name copies; layer-wise LR and freezing read the layer index from the name.
 * Parameters live in this model's own {@link NDManager}. Every op of {@link #forward} takes an input tensor
 * as its first operand, so its results (and their autograd graph) belong to the caller's step manager and
 * die with it.
 */
public final class Bert implements Encoder {
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
        long e = c.embeddingSize();
        Map<String, long[]> s = new LinkedHashMap<>();
        s.put("embeddings.word_embeddings.weight", new long[] {c.vocabSize(), e});
        s.put("embeddings.position_embeddings.weight", new long[] {c.maxPositionEmbeddings(), e});
        s.put("embeddings.token_type_embeddings.weight", new long[] {c.typeVocabSize(), e});
        layerNorm(s, "embeddings.LayerNorm", e);
        if (e != h) {
            linear(s, "embeddings_project", h, e);
        }
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
        if (name.contains("LayerNorm.weight") || name.endsWith("layer_norm.weight")) {
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
        return Ops.build(shapes(config, withPooler), tensors, source,
                (manager, params) -> new Bert(config, manager, params));
    }

    @Override
    public BertConfig config() {
        return config;
    }

    /** The parameters by HuggingFace name, in checkpoint order. The map is live: arrays are updated in place. */
    @Override
    public Map<String, NDArray> params() {
        return params;
    }

    /** The manager that owns the parameters; optimizer state belongs here too. */
    @Override
    public NDManager manager() {
        return manager;
    }

    public boolean hasPooler() {
        return params.containsKey("pooler.dense.weight");
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
    @Override
    public NDArray forward(NDArray inputIds, NDArray tokenTypeIds, NDArray attentionMask, boolean training,
            java.util.List<NDArray> layers) {
        long t = inputIds.getShape().get(1);
        if (t > config.maxTokens()) {
            throw new UserError("sequence of " + t + " tokens is longer than max_position_embeddings "
                    + config.maxPositionEmbeddings() + " allows (" + config.maxTokens() + ")");
        }
        NDManager step = inputIds.getManager();
        // RoBERTa's tokenizers make no token types (type_vocab_size 1): segments all map to type 0 as in HF
        NDArray types = tokenTypeIds != null && config.typeVocabSize() > 1 ? tokenTypeIds
                : step.zeros(inputIds.getShape(), DataType.INT64);
        NDArray bias = Ops.maskBias(attentionMask);
        Checkpointing checkpointing = training ? Checkpointing.active() : null;
        if (checkpointing != null) {
            List<Checkpointing.Stage> stages = new ArrayList<>();
            stages.add(in -> embeddings(inputIds, types, positions(inputIds), true));
            int lowest = trains("embeddings") ? 0 : Integer.MAX_VALUE;
            for (int i = 0; i < config.numHiddenLayers(); i++) {
                String prefix = "encoder.layer." + i + ".";
                stages.add(in -> layer(in, bias, prefix, true));
                lowest = Math.min(lowest, trains(prefix) ? i + 1 : Integer.MAX_VALUE);
            }
            NDArray[] out = checkpointing.forward(step, stages, lowest);
            if (layers != null) {
                layers.addAll(Arrays.asList(out).subList(1, out.length));
            }
            return out[out.length - 1];
        }
        NDArray x = embeddings(inputIds, types, positions(inputIds), training);
        for (int i = 0; i < config.numHiddenLayers(); i++) {
            if (layers != null) { // each layer's output is wanted: all of them live as long as the step
                x = layer(x, bias, "encoder.layer." + i + ".", training);
                layers.add(x);
                continue;
            }
            // a layer's intermediates (and its input) die with the layer, not the step: autograd keeps its own
            try (NDManager scope = step.newSubManager()) {
                x.attach(scope);
                x = layer(x, bias, "encoder.layer." + i + ".", training);
                x.attach(step);
            }
        }
        return x;
    }

    /** Whether a parameter under {@code prefix} (the base's or the adapter's) is trained: takes a gradient. */
    private boolean trains(String prefix) {
        for (Map<String, NDArray> m : peft == null ? List.of(params) : List.of(params, peft.params())) {
            for (Map.Entry<String, NDArray> e : m.entrySet()) {
                if (e.getKey().startsWith(prefix) && e.getValue().hasGradient()) {
                    return true;
                }
            }
        }
        return false;
    }

    /**
     * Position ids: 0..T-1 for BERT and ELECTRA, (1, T); for the RoBERTa family as HuggingFace's
     * {@code create_position_ids_from_input_ids}: {@code pad + 1, pad + 2, ...} over non-padding tokens and
     * {@code pad} on padding, (B, T).
     */
    private NDArray positions(NDArray ids) {
        long t = ids.getShape().get(1);
        if (!config.family().prefix().equals("roberta")) {
            return ids.getManager().arange(0, (int) t, 1, DataType.INT64);
        }
        int pad = config.padTokenId();
        NDArray real = ids.neq(pad).toType(DataType.INT64, false); // (B, T) 1 for tokens, 0 for padding
        return real.cumSum(1).mul(real).add(pad);
    }

    private NDArray embeddings(NDArray ids, NDArray typeIds, NDArray positions, boolean training) {
        NDArray x = embed(ids, "embeddings.word_embeddings.weight"); // (B, T, E)
        x = x.add(embed(positions, "embeddings.position_embeddings.weight")); // + (T, E) or (B, T, E)
        x = x.add(embed(typeIds, "embeddings.token_type_embeddings.weight"));
        x = Ops.dropout(layerNorm(x, "embeddings.LayerNorm"), config.hiddenDropoutProb(), training);
        return params.containsKey("embeddings_project.weight") ? linear(x, "embeddings_project") : x; // (B, T, H)
    }

    private NDArray layer(NDArray x, NDArray maskBias, String prefix, boolean training) {
        NDArray a = attention(x, maskBias, prefix + "attention.self.", training);
        a = Ops.dropout(linear(a, prefix + "attention.output.dense", training), config.hiddenDropoutProb(), training);
        a = layerNorm(a.add(x), prefix + "attention.output.LayerNorm");
        NDArray h = Ops.activation(linear(a, prefix + "intermediate.dense", training), config.hiddenAct());
        h = Ops.dropout(linear(h, prefix + "output.dense", training), config.hiddenDropoutProb(), training);
        return layerNorm(h.add(a), prefix + "output.LayerNorm");
    }

    private NDArray attention(NDArray x, NDArray maskBias, String prefix, boolean training) {
        return Ops.attention(linear(x, prefix + "query", training), linear(x, prefix + "key", training),
                linear(x, prefix + "value", training), maskBias, config.numAttentionHeads(), config.attentionProbsDropoutProb(), training);
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

    /** Each row divided by its L2 norm (at least 1e-12), as sentence-transformers' Normalize: (B, H) -> (B, H). */
    public static NDArray normalize(NDArray x) {
        return x.div(x.norm(new int[] {1}, true).maximum(1e-12f)); // (B, H) / (B, 1)
    }

    private NDArray embed(NDArray ids, String weight) {
        return Ops.embedding(ids, params.get(weight));
    }

    private NDArray linear(NDArray x, String name) {
        return Ops.linear(x, params.get(name + ".weight"), params.get(name + ".bias"));
    }

    private NDArray layerNorm(NDArray x, String name) {
        return Ops.layerNorm(x, params.get(name + ".weight"), params.get(name + ".bias"), config.layerNormEps());
    }

    private Peft peft;

    @Override
    public void adapter(Peft p) {
        this.peft = p;
    }

    @Override
    public Peft adapter() {
        return peft;
    }

    /** A linear layer of a transformer layer: through the adapter when one is attached. */
    private NDArray linear(NDArray x, String name, boolean training) {
        return Peft.linear(peft, x, params, name, training);
    }
}
