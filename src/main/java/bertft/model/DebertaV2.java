package bertft.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import bertft.UserError;
import bertft.checkpoint.TensorData;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * A DeBERTa-v2/v3 encoder as plain NDArray math over parameters named exactly as HuggingFace's
 * {@code DebertaV2Model} keys (transformers 4.31).
 *
 * <p>Unlike BERT, attention adds to the content-to-content scores a content-to-position term (c2p: queries
 * against embeddings of the relative distance to each key) and a position-to-content term (p2c: keys against
 * embeddings of the distance to each query); distances are bucketed logarithmically beyond
 * {@code position_buckets / 2}. As in {@link Bert}, every op of {@link #forward} takes an input tensor as its
 * first operand, so results belong to the caller's step manager.
 */
public final class DebertaV2 implements Encoder {
    /**
     * The DeBERTa keys of config.json beyond BERT's, with DebertaV2Config's defaults, checked when read.
     *
     * @param attSpan relative distances kept apart: {@code position_buckets} if positive, else
     *     {@code max_relative_positions} (or {@code max_position_embeddings} when that is below 1)
     */
    public record Settings(int embeddingSize, boolean positionBiasedInput, boolean relativeAttention,
            int positionBuckets, int maxRelativePositions, int attSpan, boolean c2p, boolean p2c,
            boolean shareAttKey, boolean normRelEmbeddings) {

        /** Reads and checks the DeBERTa keys of {@code c}'s config.json. */
        public static Settings of(BertConfig c) {
            JsonObject o = c.json();
            String where = "config.json";
            int embeddingSize = c.embeddingSize();
            if (embeddingSize <= 0) {
                throw new UserError(where + ": embedding_size " + embeddingSize + " must be positive");
            }
            int maxRelative = BertConfig.integer(o, "max_relative_positions", -1, where);
            if (maxRelative < 1) {
                maxRelative = c.maxPositionEmbeddings();
            }
            int buckets = BertConfig.integer(o, "position_buckets", -1, where);
            List<String> attTypes = attTypes(o.get("pos_att_type"), where);
            String norm = string(o, "norm_rel_ebd", "none", where).toLowerCase();
            List<String> norms = Arrays.stream(norm.split("\\|")).map(String::strip).toList();
            for (String n : norms) {
                if (!n.equals("none") && !n.equals("layer_norm")) {
                    throw new UserError(where + ": norm_rel_ebd '" + norm + "' is not 'none' or 'layer_norm'");
                }
            }
            int conv = BertConfig.integer(o, "conv_kernel_size", 0, where);
            if (conv > 0) {
                throw new UserError(where + ": conv_kernel_size " + conv + " (the convolution layer of"
                        + " deberta-v2-xlarge/xxlarge) is not supported; DeBERTa-v3 models have none");
            }
            int headSize = BertConfig.integer(o, "attention_head_size", c.headSize(), where);
            if (headSize != c.headSize()) {
                throw new UserError(where + ": attention_head_size " + headSize
                        + " differs from hidden_size / num_attention_heads " + c.headSize() + "; not supported");
            }
            return new Settings(embeddingSize, bool(o, "position_biased_input", true, where),
                    bool(o, "relative_attention", false, where), buckets, maxRelative,
                    buckets > 0 ? buckets : maxRelative, attTypes.contains("c2p"), attTypes.contains("p2c"),
                    bool(o, "share_att_key", false, where), norms.contains("layer_norm"));
        }

        private static List<String> attTypes(JsonElement e, String where) {
            List<String> out = new ArrayList<>();
            if (e == null || e.isJsonNull()) {
                return out;
            }
            if (e.isJsonPrimitive()) { // "p2c|c2p", as DebertaV2Config also accepts
                Arrays.stream(e.getAsString().toLowerCase().split("\\|")).map(String::strip).forEach(out::add);
            } else if (e.isJsonArray()) {
                e.getAsJsonArray().forEach(x -> out.add(x.getAsString().strip().toLowerCase()));
            } else {
                throw new UserError(where + ": pos_att_type " + e + " is not a list");
            }
            for (String t : out) {
                if (!t.equals("c2p") && !t.equals("p2c")) {
                    throw new UserError(where + ": pos_att_type '" + t + "' is not one of [c2p, p2c]");
                }
            }
            return out;
        }
    }

    private final BertConfig config;
    private final Settings settings;
    private final NDManager manager;
    private final Map<String, NDArray> params;

    private DebertaV2(BertConfig config, Settings settings, NDManager manager, Map<String, NDArray> params) {
        this.config = config;
        this.settings = settings;
        this.manager = manager;
        this.params = params;
    }

    /** The parameter names and shapes of an encoder with this config, in HuggingFace's order. */
    public static Map<String, long[]> shapes(BertConfig c) {
        Settings s = Settings.of(c);
        long h = c.hiddenSize();
        long e = s.embeddingSize();
        Map<String, long[]> m = new LinkedHashMap<>();
        m.put("embeddings.word_embeddings.weight", new long[] {c.vocabSize(), e});
        if (s.positionBiasedInput()) {
            m.put("embeddings.position_embeddings.weight", new long[] {c.maxPositionEmbeddings(), e});
        }
        if (c.typeVocabSize() > 0) {
            m.put("embeddings.token_type_embeddings.weight", new long[] {c.typeVocabSize(), e});
        }
        if (e != h) {
            m.put("embeddings.embed_proj.weight", new long[] {h, e});
        }
        vector(m, "embeddings.LayerNorm", h);
        for (int i = 0; i < c.numHiddenLayers(); i++) {
            String p = "encoder.layer." + i + ".";
            for (String qkv : List.of("query_proj", "key_proj", "value_proj")) {
                linear(m, p + "attention.self." + qkv, h, h);
            }
            if (s.relativeAttention() && !s.shareAttKey()) {
                if (s.c2p()) {
                    linear(m, p + "attention.self.pos_key_proj", h, h);
                }
                if (s.p2c()) {
                    linear(m, p + "attention.self.pos_query_proj", h, h);
                }
            }
            linear(m, p + "attention.output.dense", h, h);
            vector(m, p + "attention.output.LayerNorm", h);
            linear(m, p + "intermediate.dense", c.intermediateSize(), h);
            linear(m, p + "output.dense", h, c.intermediateSize());
            vector(m, p + "output.LayerNorm", h);
        }
        if (s.relativeAttention()) {
            m.put("encoder.rel_embeddings.weight", new long[] {2L * s.attSpan(), h});
        }
        if (s.normRelEmbeddings()) {
            vector(m, "encoder.LayerNorm", h);
        }
        return m;
    }

    private static void linear(Map<String, long[]> m, String name, long out, long in) {
        m.put(name + ".weight", new long[] {out, in});
        vector(m, name + ".bias", out);
    }

    private static void vector(Map<String, long[]> m, String name, long n) {
        if (name.endsWith(".bias")) {
            m.put(name, new long[] {n});
        } else { // a LayerNorm
            m.put(name + ".weight", new long[] {n});
            m.put(name + ".bias", new long[] {n});
        }
    }

    /** A freshly initialised encoder, as HuggingFace initialises one (see {@link Bert#init}), seeded. */
    public static DebertaV2 random(BertConfig config, long seed) {
        Map<String, TensorData> t = new LinkedHashMap<>();
        Random rng = new Random(seed);
        for (Map.Entry<String, long[]> e : shapes(config).entrySet()) {
            t.put(e.getKey(), Bert.init(e.getKey(), e.getValue(), config.initializerRange(), rng));
        }
        return fromTensors(config, t, "random init");
    }

    /**
     * Builds the encoder from named tensors ({@code DebertaV2Model} keys, without the {@code deberta.} prefix).
     * Every key of {@link #shapes} must be present with its shape; others are ignored.
     */
    public static DebertaV2 fromTensors(BertConfig config, Map<String, TensorData> tensors, String source) {
        Settings settings = Settings.of(config);
        return Ops.build(shapes(config), tensors, source,
                (manager, params) -> new DebertaV2(config, settings, manager, params));
    }

    @Override
    public BertConfig config() {
        return config;
    }

    public Settings settings() {
        return settings;
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


    /**
     * Runs the encoder.
     *
     * @param inputIds (B, T) token ids, int64; its manager owns every result
     * @param tokenTypeIds (B, T) segment ids, or null for all zeros (unused when type_vocab_size is 0)
     * @param attentionMask (B, T) 1 for real tokens, 0 for padding
     * @param training whether dropout is on
     * @return last_hidden_state (B, T, H)
     */
    @Override
    public NDArray forward(NDArray inputIds, NDArray tokenTypeIds, NDArray attentionMask, boolean training,
            java.util.List<NDArray> layers) {
        long t = inputIds.getShape().get(1);
        if (settings.positionBiasedInput() && t > config.maxPositionEmbeddings()) {
            throw new UserError("sequence of " + t + " tokens is longer than max_position_embeddings "
                    + config.maxPositionEmbeddings());
        }
        NDManager step = inputIds.getManager();
        NDArray mask = attentionMask.toType(DataType.FLOAT32, false); // (B, T)
        NDArray x = embeddings(inputIds, tokenTypeIds, mask, training);
        // (B, 1, 1, T) * (B, 1, T, 1) -> (B, 1, T, T): 1 where query and key are both real tokens
        NDArray pairMask = mask.expandDims(1).expandDims(1).mul(mask.expandDims(1).expandDims(3));
        NDArray maskBias = pairMask.neg().add(1f).mul(-Float.MAX_VALUE);
        Relative rel = settings.relativeAttention() ? relative(step, (int) t) : null;
        for (int i = 0; i < config.numHiddenLayers(); i++) {
            x = layer(x, pairMask, maskBias, rel, "encoder.layer." + i + ".", training);
            if (layers != null) {
                layers.add(x);
            }
        }
        return x;
    }

    /** The relative-position embeddings (2 * span, H) and the gather indices of c2p and p2c, (T, T) each. */
    private record Relative(NDArray embeddings, NDArray c2pIndex, NDArray p2cIndex) {}

    private Relative relative(NDManager step, int t) {
        int span = settings.attSpan();
        long[] c2p = new long[t * t];
        long[] p2c = new long[t * t];
        for (int i = 0; i < t; i++) {
            for (int j = 0; j < t; j++) {
                long r = relativePosition(i - j, settings.positionBuckets(), settings.maxRelativePositions());
                c2p[i * t + j] = Math.max(0, Math.min(2L * span - 1, r + span));
                p2c[i * t + j] = Math.max(0, Math.min(2L * span - 1, -r + span));
            }
        }
        // looked up by index rather than used as is, so the result (a step tensor) is the first operand below
        NDArray emb = embed(step.arange(0, 2 * span, 1, DataType.INT64), "encoder.rel_embeddings.weight");
        if (settings.normRelEmbeddings()) {
            emb = layerNorm(emb, "encoder.LayerNorm");
        }
        return new Relative(emb, step.create(c2p, new Shape(t, t)), step.create(p2c, new Shape(t, t)));
    }

    /**
     * HuggingFace's {@code build_relative_position} for one query/key pair: {@code q - k}, log-bucketed
     * ({@code make_log_bucket_position}) beyond half the buckets when buckets and a maximum are set. The
     * arithmetic is float32, as torch does it, so bucket edges fall where HuggingFace's fall.
     */
    public static long relativePosition(long rel, int buckets, int maxPosition) {
        if (buckets <= 0 || maxPosition <= 0) {
            return rel;
        }
        int mid = buckets / 2;
        long abs = Math.abs(rel);
        if (abs <= mid) { // inside (-mid, mid) HuggingFace substitutes mid - 1, which also lands here
            return rel;
        }
        float ratio = (float) Math.log((float) abs / (float) mid);
        float base = (float) Math.log((float) ((maxPosition - 1) / (double) mid));
        float log = (float) Math.ceil(ratio / base * (float) (mid - 1)) + mid;
        return (long) (log * Long.signum(rel));
    }

    private NDArray embeddings(NDArray ids, NDArray typeIds, NDArray mask, boolean training) {
        NDArray x = embed(ids, "embeddings.word_embeddings.weight"); // (B, T, E)
        if (settings.positionBiasedInput()) {
            NDArray positions = ids.getManager().arange(0, (int) ids.getShape().get(1), 1, DataType.INT64);
            x = x.add(embed(positions, "embeddings.position_embeddings.weight")); // + (T, E)
        }
        if (config.typeVocabSize() > 0) {
            NDArray types = typeIds != null ? typeIds : ids.zerosLike();
            x = x.add(embed(types, "embeddings.token_type_embeddings.weight"));
        }
        if (settings.embeddingSize() != config.hiddenSize()) {
            x = Ops.linear(x, p("embeddings.embed_proj.weight"), null); // (B, T, E) -> (B, T, H)
        }
        x = layerNorm(x, "embeddings.LayerNorm").mul(mask.expandDims(2)); // padding zeroed, as HF does
        return dropout(x, config.hiddenDropoutProb(), training);
    }

    private NDArray layer(NDArray x, NDArray pairMask, NDArray maskBias, Relative rel, String prefix,
            boolean training) {
        NDArray a = attention(x, pairMask, maskBias, rel, prefix + "attention.self.", training);
        a = dropout(linear(a, prefix + "attention.output.dense", training), config.hiddenDropoutProb(), training);
        a = layerNorm(a.add(x), prefix + "attention.output.LayerNorm");
        NDArray h = Ops.activation(linear(a, prefix + "intermediate.dense", training), config.hiddenAct());
        h = dropout(linear(h, prefix + "output.dense", training), config.hiddenDropoutProb(), training);
        return layerNorm(h.add(a), prefix + "output.LayerNorm");
    }

    private NDArray attention(NDArray x, NDArray pairMask, NDArray maskBias, Relative rel, String prefix,
            boolean training) {
        long b = x.getShape().get(0);
        long t = x.getShape().get(1);
        int heads = config.numAttentionHeads();
        int hs = config.headSize();
        // every score term is divided by sqrt(head size * (1 + number of position terms))
        double scale = 1 / Math.sqrt(hs * (1.0 + (settings.c2p() ? 1 : 0) + (settings.p2c() ? 1 : 0)));
        NDArray q = splitHeads(Scalar.mul(linear(x, prefix + "query_proj", training), scale), b, t, heads, hs);
        NDArray k = splitHeads(linear(x, prefix + "key_proj", training), b, t, heads, hs);
        NDArray v = splitHeads(linear(x, prefix + "value_proj", training), b, t, heads, hs);
        NDArray scores = q.matMul(k.transpose(0, 1, 3, 2)); // (B, heads, T, T)
        NDArray position = rel == null ? null : positionScores(q, k, rel, prefix, scale, training);
        if (position != null) {
            scores = scores.add(position);
        }
        // XSoftmax: masked keys get no weight, and a padded query's row is all zeros
        NDArray probs = scores.add(maskBias).softmax(-1).mul(pairMask);
        probs = dropout(probs, config.attentionProbsDropoutProb(), training);
        NDArray ctx = probs.matMul(v); // (B, heads, T, hs)
        return ctx.transpose(0, 2, 1, 3).reshape(b, t, (long) heads * hs); // (B, T, H)
    }

    /**
     * c2p + p2c (B, heads, T, T) for already scaled queries {@code q} and unscaled keys {@code k}, both
     * (B, heads, T, hs); null when pos_att_type names neither.
     */
    private NDArray positionScores(NDArray q, NDArray k, Relative rel, String prefix, double scale,
            boolean training) {
        Shape all = new Shape(q.getShape().get(0), q.getShape().get(1), q.getShape().get(2), k.getShape().get(2));
        int heads = config.numAttentionHeads();
        int hs = config.headSize();
        long span2 = rel.embeddings().getShape().get(0);
        NDArray emb = dropout(rel.embeddings(), config.hiddenDropoutProb(), training).expandDims(0); // (1, 2S, H)
        boolean shared = settings.shareAttKey();
        NDArray score = null;
        if (settings.c2p()) {
            NDArray posKey = splitHeads(linear(emb, prefix + (shared ? "key_proj" : "pos_key_proj"), training), 1,
                    span2, heads, hs); // (1, heads, 2S, hs)
            NDArray c2p = q.matMul(posKey.transpose(0, 1, 3, 2)); // (B, heads, T, 2S)
            score = c2p.gather(rel.c2pIndex().broadcast(all), 3); // [i, j] = c2p[i, bucket(i - j) + S]
        }
        if (settings.p2c()) {
            NDArray posQuery = splitHeads(
                    Scalar.mul(linear(emb, prefix + (shared ? "query_proj" : "pos_query_proj"), training), scale), 1,
                    span2, heads, hs); // (1, heads, 2S, hs)
            NDArray p2c = k.matMul(posQuery.transpose(0, 1, 3, 2)); // (B, heads, T, 2S), a row per key
            // [key j, query i] = p2c[j, -bucket(j - i) + S], then (key, query) -> (query, key)
            p2c = p2c.gather(rel.p2cIndex().broadcast(all), 3).transpose(0, 1, 3, 2);
            score = score == null ? p2c : score.add(p2c);
        }
        return score;
    }

    private static NDArray splitHeads(NDArray x, long b, long t, int heads, int hs) {
        return x.reshape(b, t, heads, hs).transpose(0, 2, 1, 3); // (B, T, H) -> (B, heads, T, hs)
    }

    private NDArray p(String name) {
        return params.get(name);
    }

    private NDArray embed(NDArray ids, String weight) {
        return Ops.embedding(ids, p(weight));
    }

    private NDArray linear(NDArray x, String name) {
        return Ops.linear(x, p(name + ".weight"), p(name + ".bias"));
    }

    private NDArray layerNorm(NDArray x, String name) {
        return Ops.layerNorm(x, p(name + ".weight"), p(name + ".bias"), config.layerNormEps());
    }

    private static NDArray dropout(NDArray x, double rate, boolean training) {
        return Ops.dropout(x, rate, training);
    }

    private static boolean bool(JsonObject o, String key, boolean dflt, String where) {
        JsonElement e = o.get(key);
        if (e == null || e.isJsonNull()) {
            return dflt;
        }
        if (!e.isJsonPrimitive() || !e.getAsJsonPrimitive().isBoolean()) {
            throw new UserError(where + ": " + key + " " + e + " is not true or false");
        }
        return e.getAsBoolean();
    }

    private static String string(JsonObject o, String key, String dflt, String where) {
        JsonElement e = o.get(key);
        if (e == null || e.isJsonNull()) {
            return dflt;
        }
        if (!e.isJsonPrimitive()) {
            throw new UserError(where + ": " + key + " " + e + " is not a string");
        }
        return e.getAsString();
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
