package bertft.onnx;

import bertft.checkpoint.TensorData;
import bertft.model.BertConfig;
import bertft.model.DebertaV2;
import java.util.List;
import java.util.function.Function;

/**
 * Each family's encoder as ONNX nodes, step by step as {@link bertft.model.Bert} and {@link bertft.model.DistilBert}
 * run it, over weights named by the family's HuggingFace keys ({@code bert.encoder.layer.0.attention.self.query}).
 */
final class EncoderGraph {
    private EncoderGraph() {}

    /** The graph inputs an encoder reads; {@code tokenTypeIds} is null where the family has no token types. */
    record Inputs(String inputIds, String tokenTypeIds, String attentionMask) {}

    /** Whether the family's ONNX graph takes {@code token_type_ids} (BERT and ELECTRA; not RoBERTa or DistilBERT). */
    static boolean hasTokenTypes(BertConfig c) {
        return !isDistilBert(c) && c.typeVocabSize() > 1;
    }

    /** Refuses, with one line, a model whose encoder bert-ft cannot write as ONNX: none at present. */
    static void checkExportable(BertConfig c, String source) {
        if (isDeberta(c)) {
            DebertaV2.Settings.of(c); // the same checks the Java model makes
        }
    }

    /**
     * The encoder's last_hidden_state (B, T, H).
     *
     * @param prefix the weights' prefix: the family's ({@code bert.}) in a task model, empty in a base model
     */
    static String lastHiddenState(Graph g, BertConfig c, String prefix, Function<String, TensorData> w, Inputs in) {
        return isDistilBert(c) ? distilBert(g, c, prefix, w, in) : isDeberta(c) ? deberta(g, c, prefix, w, in)
                : bert(g, c, prefix, w, in);
    }

    private static boolean isDistilBert(BertConfig c) {
        return c.modelType().equals("distilbert");
    }

    private static boolean isDeberta(BertConfig c) {
        return c.modelType().equals("deberta-v2");
    }

    /** BERT, RoBERTa/XLM-R/CamemBERT (positions past the padding index) and ELECTRA (embeddings_project). */
    private static String bert(Graph g, BertConfig c, String p, Function<String, TensorData> w, Inputs in) {
        g.scope("/" + p + "embeddings");
        String positions;
        if (c.family().prefix().equals("roberta")) {
            // pad + 1, pad + 2, ... over real tokens, pad on padding (create_position_ids_from_input_ids)
            String pad = g.longScalar(c.padTokenId());
            String real = g.node("Cast", List.of(g.node("Not", g.node("Equal", in.inputIds(), pad))),
                    Graph.attr("to", (long) Graph.INT64)); // (B, T)
            positions = g.node("Add", g.node("Mul", g.node("CumSum", real, g.longScalar(1)), real), pad);
        } else {
            positions = g.arange(in.inputIds()); // (T)
        }
        String x = g.embedding(in.inputIds(), weight(g, w, p + "embeddings.word_embeddings.weight")); // (B, T, E)
        x = g.node("Add", x, g.embedding(positions, weight(g, w, p + "embeddings.position_embeddings.weight")));
        // without token types every token is type 0 (RoBERTa's type_vocab_size 1), as the Java model does
        String types = in.tokenTypeIds() != null ? in.tokenTypeIds() : g.longScalar(0);
        x = g.node("Add", x, g.embedding(types, weight(g, w, p + "embeddings.token_type_embeddings.weight")));
        x = g.layerNorm(x, p + "embeddings.LayerNorm", c.layerNormEps(), w);
        if (c.embeddingSize() != c.hiddenSize()) {
            g.scope("/" + p + "embeddings_project");
            x = g.linear(x, p + "embeddings_project", w); // (B, T, E) -> (B, T, H)
        }
        String bias = g.maskBias(in.attentionMask());
        for (int i = 0; i < c.numHiddenLayers(); i++) {
            String l = p + "encoder.layer." + i + ".";
            g.scope("/" + l + "attention");
            String q = g.linear(x, l + "attention.self.query", w);
            String k = g.linear(x, l + "attention.self.key", w);
            String v = g.linear(x, l + "attention.self.value", w);
            String a = g.attention(q, k, v, bias, c.numAttentionHeads(), c.hiddenSize());
            a = g.linear(a, l + "attention.output.dense", w);
            a = g.layerNorm(g.node("Add", a, x), l + "attention.output.LayerNorm", c.layerNormEps(), w);
            g.scope("/" + l + "intermediate");
            String h = g.activation(g.linear(a, l + "intermediate.dense", w), c.hiddenAct());
            g.scope("/" + l + "output");
            h = g.linear(h, l + "output.dense", w);
            x = g.layerNorm(g.node("Add", h, a), l + "output.LayerNorm", c.layerNormEps(), w);
        }
        return x;
    }

    /** DistilBERT: no token types, no pooler, LayerNorm epsilon 1e-12 whatever the config says. */
    private static String distilBert(Graph g, BertConfig c, String p, Function<String, TensorData> w, Inputs in) {
        double eps = 1e-12;
        g.scope("/" + p + "embeddings");
        String x = g.embedding(in.inputIds(), weight(g, w, p + "embeddings.word_embeddings.weight")); // (B, T, H)
        x = g.node("Add", x, g.embedding(g.arange(in.inputIds()),
                weight(g, w, p + "embeddings.position_embeddings.weight"))); // + (T, H)
        x = g.layerNorm(x, p + "embeddings.LayerNorm", eps, w);
        String bias = g.maskBias(in.attentionMask());
        for (int i = 0; i < c.numHiddenLayers(); i++) {
            String l = p + "transformer.layer." + i + ".";
            g.scope("/" + l + "attention");
            String a = l + "attention.";
            String ctx = g.attention(g.linear(x, a + "q_lin", w), g.linear(x, a + "k_lin", w),
                    g.linear(x, a + "v_lin", w), bias, c.numAttentionHeads(), c.hiddenSize());
            String sa = g.layerNorm(g.node("Add", g.linear(ctx, a + "out_lin", w), x), l + "sa_layer_norm", eps, w);
            g.scope("/" + l + "ffn");
            String h = g.activation(g.linear(sa, l + "ffn.lin1", w), c.hiddenAct());
            h = g.linear(h, l + "ffn.lin2", w);
            x = g.layerNorm(g.node("Add", h, sa), l + "output_layer_norm", eps, w);
        }
        return x;
    }

    /**
     * DeBERTa-v2/v3 as {@link bertft.model.DebertaV2}: embeddings (no absolute positions unless
     * position_biased_input; embed_proj; zeroed padding), then layers whose attention adds the content-to-position and
     * position-to-content terms, gathered by relative distance, with XSoftmax masking.
     */
    private static String deberta(Graph g, BertConfig c, String p, Function<String, TensorData> w, Inputs in) {
        DebertaV2.Settings s = DebertaV2.Settings.of(c);
        g.scope("/" + p + "embeddings");
        String mask = g.node("Cast", List.of(in.attentionMask()), Graph.attr("to", (long) Graph.FLOAT)); // (B, T)
        String x = g.embedding(in.inputIds(), weight(g, w, p + "embeddings.word_embeddings.weight")); // (B, T, E)
        if (s.positionBiasedInput()) {
            x = g.node("Add", x, g.embedding(g.arange(in.inputIds()),
                    weight(g, w, p + "embeddings.position_embeddings.weight")));
        }
        if (c.typeVocabSize() > 0) {
            String types = in.tokenTypeIds() != null ? in.tokenTypeIds() : g.longScalar(0);
            x = g.node("Add", x, g.embedding(types, weight(g, w, p + "embeddings.token_type_embeddings.weight")));
        }
        if (s.embeddingSize() != c.hiddenSize()) {
            x = g.matMul(x, p + "embeddings.embed_proj", w); // (B, T, E) -> (B, T, H)
        }
        x = g.node("Mul", g.layerNorm(x, p + "embeddings.LayerNorm", c.layerNormEps(), w),
                g.node("Unsqueeze", mask, g.longs(2))); // padding zeroed, as HF does
        // (B, 1, 1, T) * (B, 1, T, 1) -> (B, 1, T, T): 1 where query and key are both real tokens
        String pairMask = g.node("Mul", g.node("Unsqueeze", mask, g.longs(1, 2)), g.node("Unsqueeze", mask,
                g.longs(1, 3)));
        String maskBias = g.node("Mul", g.node("Sub", g.scalar(1f), pairMask), g.scalar(-Float.MAX_VALUE));
        Relative rel = s.relativeAttention() ? relative(g, c, s, p, w, in.inputIds()) : null;
        int heads = c.numAttentionHeads();
        int hs = c.headSize();
        double scale = 1 / Math.sqrt(hs * (1.0 + (s.c2p() ? 1 : 0) + (s.p2c() ? 1 : 0)));
        for (int i = 0; i < c.numHiddenLayers(); i++) {
            String l = p + "encoder.layer." + i + ".";
            String a = l + "attention.self.";
            g.scope("/" + l + "attention");
            String q = g.splitHeads(g.node("Mul", g.linear(x, a + "query_proj", w), g.scalar((float) scale)), heads, hs);
            String k = g.splitHeads(g.linear(x, a + "key_proj", w), heads, hs);
            String v = g.splitHeads(g.linear(x, a + "value_proj", w), heads, hs);
            String scores = g.node("MatMul", q, g.transposeLast(k)); // (B, heads, T, T)
            if (rel != null) {
                String position = positionScores(g, s, rel, a, q, k, scores, scale, heads, hs, w);
                scores = position == null ? scores : g.node("Add", scores, position);
            }
            // XSoftmax: masked keys get no weight, and a padded query's row is all zeros
            String probs = g.node("Mul", g.node("Softmax", List.of(g.node("Add", scores, maskBias)),
                    Graph.attr("axis", -1L)), pairMask);
            String ctx = g.mergeHeads(g.node("MatMul", probs, v), c.hiddenSize()); // (B, T, H)
            String out = g.linear(ctx, l + "attention.output.dense", w);
            String att = g.layerNorm(g.node("Add", out, x), l + "attention.output.LayerNorm", c.layerNormEps(), w);
            g.scope("/" + l + "intermediate");
            String h = g.activation(g.linear(att, l + "intermediate.dense", w), c.hiddenAct());
            g.scope("/" + l + "output");
            h = g.linear(h, l + "output.dense", w);
            x = g.layerNorm(g.node("Add", h, att), l + "output.LayerNorm", c.layerNormEps(), w);
        }
        return x;
    }

    /** The relative-position embeddings (1, 2S, H) and the c2p and p2c gather indices, (T, T) each. */
    private record Relative(String embeddings, String c2pIndex, String p2cIndex) {}

    /**
     * The index tables depend on i - j only: they are stored once per distance over (-M, M), M = max_position_embeddings
     * (the longest input the tokenizer gives), with the Java model's own bucketing, and looked up by i - j.
     */
    private static Relative relative(Graph g, BertConfig c, DebertaV2.Settings s, String p,
            Function<String, TensorData> w, String ids) {
        g.scope("/" + p + "encoder.rel_embeddings");
        int span = s.attSpan();
        int m = c.maxPositionEmbeddings();
        long[] c2p = new long[2 * m - 1];
        long[] p2c = new long[2 * m - 1];
        for (int d = -(m - 1); d <= m - 1; d++) {
            long r = DebertaV2.relativePosition(d, s.positionBuckets(), s.maxRelativePositions());
            c2p[d + m - 1] = Math.max(0, Math.min(2L * span - 1, r + span));
            p2c[d + m - 1] = Math.max(0, Math.min(2L * span - 1, -r + span));
        }
        String positions = g.arange(ids); // (T)
        String distance = g.node("Add", g.node("Sub", g.node("Unsqueeze", positions, g.longs(1)),
                g.node("Unsqueeze", positions, g.longs(0))), g.longScalar(m - 1)); // (T, T): i - j + M - 1
        String c2pIndex = g.node("Gather", g.longTable(p + "encoder.rel_c2p_index", c2p), distance);
        String p2cIndex = g.node("Gather", g.longTable(p + "encoder.rel_p2c_index", p2c), distance);
        String table = weight(g, w, p + "encoder.rel_embeddings.weight");
        String emb = g.node("Slice", table, g.longs(0), g.longs(2L * span), g.longs(0)); // (2S, H)
        if (s.normRelEmbeddings()) {
            emb = g.layerNorm(emb, p + "encoder.LayerNorm", c.layerNormEps(), w);
        }
        return new Relative(g.node("Unsqueeze", emb, g.longs(0)), c2pIndex, p2cIndex); // (1, 2S, H)
    }

    /**
     * c2p + p2c (B, heads, T, T) for scaled queries {@code q} and unscaled keys {@code k}, (B, heads, T, hs); null
     * when pos_att_type names neither. {@code scores} (B, heads, T, T) gives the shape the indices expand to.
     */
    private static String positionScores(Graph g, DebertaV2.Settings s, Relative rel, String a, String q, String k,
            String scores, double scale, int heads, int hs, Function<String, TensorData> w) {
        String all = g.node("Shape", scores);
        String score = null;
        if (s.c2p()) {
            String posKey = g.splitHeads(g.linear(rel.embeddings(), a + (s.shareAttKey() ? "key_proj" : "pos_key_proj"),
                    w), heads, hs); // (1, heads, 2S, hs)
            String c2p = g.node("MatMul", q, g.transposeLast(posKey)); // (B, heads, T, 2S)
            // [i, j] = c2p[i, bucket(i - j) + S]
            score = g.node("GatherElements", List.of(c2p, g.node("Expand", rel.c2pIndex(), all)),
                    Graph.attr("axis", 3L));
        }
        if (s.p2c()) {
            String posQuery = g.splitHeads(g.node("Mul", g.linear(rel.embeddings(), a + (s.shareAttKey() ? "query_proj"
                    : "pos_query_proj"), w), g.scalar((float) scale)), heads, hs); // (1, heads, 2S, hs)
            String p2c = g.node("MatMul", k, g.transposeLast(posQuery)); // (B, heads, T, 2S), a row per key
            // [key j, query i] = p2c[j, -bucket(j - i) + S], then (key, query) -> (query, key)
            String byKey = g.node("GatherElements", List.of(p2c, g.node("Expand", rel.p2cIndex(), all)),
                    Graph.attr("axis", 3L));
            String p2cScore = g.transposeLast(byKey);
            score = score == null ? p2cScore : g.node("Add", score, p2cScore);
        }
        return score;
    }

    private static String weight(Graph g, Function<String, TensorData> w, String name) {
        return g.weight(name, () -> w.apply(name));
    }
}
