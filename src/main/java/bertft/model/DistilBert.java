package bertft.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import bertft.UserError;
import bertft.checkpoint.TensorData;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A DistilBERT encoder over parameters named as HuggingFace's {@code DistilBertModel} keys
 * ({@code transformer.layer.N.attention.q_lin}, {@code sa_layer_norm}, {@code ffn.lin1}, ...): no token types, no
 * pooler. With {@code sinusoidal_pos_embds} the position embeddings are the fixed sinusoid table (built when the
 * checkpoint has none, and never trained: see {@link #fixed}).
 */
public final class DistilBert implements Encoder {
    /** DistilBERT's LayerNorms use this epsilon whatever the config says (it has no layer_norm_eps). */
    private static final double EPS = 1e-12;

    private final BertConfig config;
    private final NDManager manager;
    private final Map<String, NDArray> params;

    private DistilBert(BertConfig config, NDManager manager, Map<String, NDArray> params) {
        this.config = config;
        this.manager = manager;
        this.params = params;
    }

    /** The parameter names and shapes of an encoder with this config, in HuggingFace's order. */
    public static Map<String, long[]> shapes(BertConfig c) {
        long h = c.hiddenSize();
        Map<String, long[]> s = new LinkedHashMap<>();
        s.put("embeddings.word_embeddings.weight", new long[] {c.vocabSize(), h});
        s.put("embeddings.position_embeddings.weight", new long[] {c.maxPositionEmbeddings(), h});
        pair(s, "embeddings.LayerNorm", new long[] {h});
        for (int i = 0; i < c.numHiddenLayers(); i++) {
            String p = "transformer.layer." + i + ".";
            for (String lin : List.of("q_lin", "k_lin", "v_lin", "out_lin")) {
                linear(s, p + "attention." + lin, h, h);
            }
            pair(s, p + "sa_layer_norm", new long[] {h});
            linear(s, p + "ffn.lin1", c.intermediateSize(), h);
            linear(s, p + "ffn.lin2", h, c.intermediateSize());
            pair(s, p + "output_layer_norm", new long[] {h});
        }
        return s;
    }

    private static void linear(Map<String, long[]> s, String name, long out, long in) {
        s.put(name + ".weight", new long[] {out, in});
        s.put(name + ".bias", new long[] {out});
    }

    private static void pair(Map<String, long[]> s, String name, long[] shape) {
        s.put(name + ".weight", shape);
        s.put(name + ".bias", shape);
    }

    /** Whether the config asks for fixed sinusoidal position embeddings. */
    public static boolean sinusoidal(BertConfig c) {
        return c.json().has("sinusoidal_pos_embds") && c.json().get("sinusoidal_pos_embds").getAsBoolean();
    }

    /** Parameters that never train: the sinusoid table under {@code sinusoidal_pos_embds} (as in HuggingFace). */
    public static boolean fixed(BertConfig c, String name) {
        return sinusoidal(c) && name.endsWith("embeddings.position_embeddings.weight");
    }

    /**
     * HuggingFace's {@code create_sinusoidal_embeddings}: even columns sin, odd columns cos of
     * {@code pos / 10000^(2 (j / 2) / dim)}.
     */
    static TensorData sinusoids(int positions, int dim) {
        float[] v = new float[positions * dim];
        for (int pos = 0; pos < positions; pos++) {
            for (int j = 0; j < dim; j++) {
                double angle = pos / Math.pow(10000, 2.0 * (j / 2) / dim);
                v[pos * dim + j] = (float) (j % 2 == 0 ? Math.sin(angle) : Math.cos(angle));
            }
        }
        return TensorData.of(new long[] {positions, dim}, v);
    }

    /** A freshly initialised encoder, as HuggingFace initialises one (see {@link Bert#init}). */
    public static DistilBert random(BertConfig config, long seed) {
        Map<String, TensorData> t = new LinkedHashMap<>();
        java.util.Random rng = new java.util.Random(seed);
        shapes(config).forEach((k, shape) -> t.put(k, Bert.init(k, shape, config.initializerRange(), rng)));
        if (sinusoidal(config)) {
            t.put("embeddings.position_embeddings.weight",
                    sinusoids(config.maxPositionEmbeddings(), config.hiddenSize()));
        }
        return fromTensors(config, t, "random init");
    }

    /** Builds the encoder from a checkpoint's {@code DistilBertModel} keys (without the {@code distilbert.} prefix). */
    public static DistilBert fromTensors(BertConfig config, Map<String, TensorData> tensors, String source) {
        Map<String, TensorData> t = tensors;
        if (sinusoidal(config) && !t.containsKey("embeddings.position_embeddings.weight")) {
            t = new LinkedHashMap<>(tensors);
            t.put("embeddings.position_embeddings.weight",
                    sinusoids(config.maxPositionEmbeddings(), config.hiddenSize()));
        }
        return Ops.build(shapes(config), t, source, (manager, params) -> new DistilBert(config, manager, params));
    }

    @Override
    public BertConfig config() {
        return config;
    }

    @Override
    public Map<String, NDArray> params() {
        return params;
    }

    @Override
    public NDManager manager() {
        return manager;
    }


    /** Runs the encoder; DistilBERT has no token types, so {@code tokenTypeIds} is ignored. */
    @Override
    public NDArray forward(NDArray inputIds, NDArray tokenTypeIds, NDArray attentionMask, boolean training,
            java.util.List<NDArray> layers) {
        long t = inputIds.getShape().get(1);
        if (t > config.maxPositionEmbeddings()) {
            throw new UserError("sequence of " + t + " tokens is longer than max_position_embeddings "
                    + config.maxPositionEmbeddings());
        }
        NDArray positions = inputIds.getManager().arange(0, (int) t, 1, DataType.INT64);
        NDArray x = Ops.embedding(inputIds, p("embeddings.word_embeddings.weight")) // (B, T, H)
                .add(Ops.embedding(positions, p("embeddings.position_embeddings.weight"))); // + (T, H)
        x = Ops.dropout(layerNorm(x, "embeddings.LayerNorm"), config.hiddenDropoutProb(), training);
        NDArray bias = Ops.maskBias(attentionMask);
        for (int i = 0; i < config.numHiddenLayers(); i++) {
            x = layer(x, bias, "transformer.layer." + i + ".", training);
            if (layers != null) {
                layers.add(x);
            }
        }
        return x;
    }

    private NDArray layer(NDArray x, NDArray maskBias, String prefix, boolean training) {
        String a = prefix + "attention.";
        NDArray ctx = Ops.attention(linear(x, a + "q_lin", training), linear(x, a + "k_lin", training),
                linear(x, a + "v_lin", training), maskBias, config.numAttentionHeads(), config.attentionProbsDropoutProb(), training);
        NDArray sa = layerNorm(linear(ctx, a + "out_lin", training).add(x), prefix + "sa_layer_norm");
        NDArray h = Ops.activation(linear(sa, prefix + "ffn.lin1", training), config.hiddenAct());
        h = Ops.dropout(linear(h, prefix + "ffn.lin2", training), config.hiddenDropoutProb(), training);
        return layerNorm(h.add(sa), prefix + "output_layer_norm");
    }

    private NDArray p(String name) {
        return params.get(name);
    }

    private NDArray linear(NDArray x, String name) {
        return Ops.linear(x, p(name + ".weight"), p(name + ".bias"));
    }

    private NDArray layerNorm(NDArray x, String name) {
        return Ops.layerNorm(x, p(name + ".weight"), p(name + ".bias"), EPS);
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
