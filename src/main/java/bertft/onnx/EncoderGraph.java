package bertft.onnx;

import bertft.UserError;
import bertft.checkpoint.TensorData;
import bertft.model.BertConfig;
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

    /** Refuses a family bert-ft cannot export yet, with one line. */
    static void checkExportable(BertConfig c, String source) {
        if (c.modelType().equals("deberta-v2")) {
            throw new UserError(source + ": model_type deberta-v2 cannot be exported to ONNX yet (its relative"
                    + " attention is not written as ONNX nodes); run it with --runtime torch");
        }
    }

    /**
     * The encoder's last_hidden_state (B, T, H).
     *
     * @param prefix the weights' prefix: the family's ({@code bert.}) in a task model, empty in a base model
     */
    static String lastHiddenState(Graph g, BertConfig c, String prefix, Function<String, TensorData> w, Inputs in) {
        return isDistilBert(c) ? distilBert(g, c, prefix, w, in) : bert(g, c, prefix, w, in);
    }

    private static boolean isDistilBert(BertConfig c) {
        return c.modelType().equals("distilbert");
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

    private static String weight(Graph g, Function<String, TensorData> w, String name) {
        return g.weight(name, () -> w.apply(name));
    }
}
