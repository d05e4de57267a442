package bertft.model;

import bertft.TextFiles;
import bertft.UserError;
import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * A BERT-family {@code config.json}: the architecture numbers under BERT's names, checked when read.
 *
 * <p>A family that names them differently (DistilBERT's {@code dim}, {@code n_layers}) is read and written under its
 * own names (see {@link Family#configNames}). Every key, used or not (model_type, id2label, pad_token_id, ...), is
 * kept in {@link #json()} so a saved checkpoint carries it on.
 */
public record BertConfig(
        int vocabSize,
        int hiddenSize,
        int numHiddenLayers,
        int numAttentionHeads,
        int intermediateSize,
        String hiddenAct,
        int maxPositionEmbeddings,
        int typeVocabSize,
        double layerNormEps,
        double hiddenDropoutProb,
        double attentionProbsDropoutProb,
        double initializerRange,
        JsonObject json) {

    static final List<String> ACTIVATIONS = List.of("gelu", "gelu_new", "gelu_pytorch_tanh", "relu");
    private static final Gson GSON = new GsonBuilder().setPrettyPrinting().disableHtmlEscaping().create();

    public BertConfig {
        String where = "config";
        positive(where, "vocab_size", vocabSize);
        positive(where, "hidden_size", hiddenSize);
        positive(where, "num_hidden_layers", numHiddenLayers);
        positive(where, "num_attention_heads", numAttentionHeads);
        positive(where, "intermediate_size", intermediateSize);
        positive(where, "max_position_embeddings", maxPositionEmbeddings);
        if (typeVocabSize < 0) {
            throw new UserError(where + ": type_vocab_size " + typeVocabSize + " must not be negative");
        }
        if (hiddenSize % numAttentionHeads != 0) {
            throw new UserError(where + ": hidden_size " + hiddenSize
                    + " is not a multiple of num_attention_heads " + numAttentionHeads);
        }
        if (!ACTIVATIONS.contains(hiddenAct)) {
            throw new UserError(where + ": hidden_act '" + hiddenAct + "' is not one of " + ACTIVATIONS);
        }
        if (!(layerNormEps > 0 && layerNormEps < 1)) {
            throw new UserError(where + ": layer_norm_eps " + layerNormEps + " must be in (0, 1)");
        }
        probability(where, "hidden_dropout_prob", hiddenDropoutProb);
        probability(where, "attention_probs_dropout_prob", attentionProbsDropoutProb);
        json = json == null ? new JsonObject() : json.deepCopy();
    }

    /** A config with HuggingFace's BertConfig defaults for everything but the sizes. */
    public static BertConfig of(int vocabSize, int hiddenSize, int layers, int heads, int intermediateSize,
            int maxPositions) {
        return new BertConfig(vocabSize, hiddenSize, layers, heads, intermediateSize, "gelu", maxPositions, 2,
                1e-12, 0.1, 0.1, 0.02, null);
    }

    public static BertConfig read(Path file) {
        if (!Files.exists(file)) {
            throw new UserError(file + ": missing (a checkpoint directory needs config.json)");
        }
        return fromJson(TextFiles.readJsonObject(file, TextFiles.MODEL_FILE, "a config.json"), file.toString());
    }

    static BertConfig fromJson(JsonObject o, String where) {
        Family f = Family.of(string(o, "model_type", "bert", where), where + "");
        boolean deberta = f.modelType().equals("deberta-v2"); // DebertaV2Config's defaults differ from BertConfig's
        try {
            return new BertConfig(
                    integer(o, "vocab_size", null, where),
                    integer(o, f.configName("hidden_size"), 768, where),
                    integer(o, f.configName("num_hidden_layers"), 12, where),
                    integer(o, f.configName("num_attention_heads"), 12, where),
                    integer(o, f.configName("intermediate_size"), 3072, where),
                    string(o, f.configName("hidden_act"), "gelu", where),
                    integer(o, "max_position_embeddings", 512, where),
                    integer(o, "type_vocab_size", deberta ? 0 : 2, where),
                    number(o, "layer_norm_eps", deberta ? 1e-7 : 1e-12, where),
                    number(o, f.configName("hidden_dropout_prob"), 0.1, where),
                    number(o, f.configName("attention_probs_dropout_prob"), 0.1, where),
                    number(o, "initializer_range", 0.02, where),
                    o);
        } catch (UserError e) {
            throw new UserError(e.getMessage().replaceFirst("^config:", where + ":"));
        }
    }

    /** {@code model_type}: {@code bert} when the config does not say. */
    public String modelType() {
        JsonElement e = json.get("model_type");
        return e == null || e.isJsonNull() ? "bert" : e.getAsString();
    }

    public Family family() {
        return Family.of(modelType(), "config");
    }

    /** ELECTRA's {@code embedding_size} (projected to hidden_size when different); hidden_size elsewhere. */
    public int embeddingSize() {
        return json.has("embedding_size") ? json.get("embedding_size").getAsInt() : hiddenSize;
    }

    /** {@code pad_token_id}: where RoBERTa's positions start counting (0 when the config does not say). */
    public int padTokenId() {
        JsonElement e = json.get("pad_token_id");
        return e == null || e.isJsonNull() ? 0 : e.getAsInt();
    }

    /**
     * The longest input the position embeddings allow: {@code max_position_embeddings}, less {@code pad_token_id
     * + 1} for the RoBERTa family (its positions start after the padding index: 514 - 2 = 512).
     */
    public int maxTokens() {
        return family().prefix().equals("roberta") ? maxPositionEmbeddings - padTokenId() - 1 : maxPositionEmbeddings;
    }

    /** The config as HuggingFace writes it, with extra keys (architectures, id2label, ...) merged in. */
    public JsonObject toJson() {
        Family f = family();
        JsonObject o = json.deepCopy();
        o.addProperty("model_type", f.modelType());
        o.addProperty("vocab_size", vocabSize);
        o.addProperty(f.configName("hidden_size"), hiddenSize);
        o.addProperty(f.configName("num_hidden_layers"), numHiddenLayers);
        o.addProperty(f.configName("num_attention_heads"), numAttentionHeads);
        o.addProperty(f.configName("intermediate_size"), intermediateSize);
        o.addProperty(f.configName("hidden_act"), hiddenAct);
        o.addProperty("max_position_embeddings", maxPositionEmbeddings);
        if (f.configNames().isEmpty()) {
            o.addProperty("type_vocab_size", typeVocabSize);
            o.addProperty("layer_norm_eps", layerNormEps);
        }
        o.addProperty(f.configName("hidden_dropout_prob"), hiddenDropoutProb);
        o.addProperty(f.configName("attention_probs_dropout_prob"), attentionProbsDropoutProb);
        o.addProperty("initializer_range", initializerRange);
        if (!o.has("pad_token_id")) {
            o.addProperty("pad_token_id", 0);
        }
        return o;
    }

    /** A copy whose extra JSON keys are replaced by {@code extra} (architectures, id2label, ...). */
    public BertConfig withJson(JsonObject extra) {
        return new BertConfig(vocabSize, hiddenSize, numHiddenLayers, numAttentionHeads, intermediateSize,
                hiddenAct, maxPositionEmbeddings, typeVocabSize, layerNormEps, hiddenDropoutProb,
                attentionProbsDropoutProb, initializerRange, extra);
    }

    public String toJsonString() {
        return GSON.toJson(toJson());
    }

    /**
     * Checks a token length against max_position_embeddings (and {@code min}); {@code where} names the setting
     * ({@code --max-length 1000}, {@code tasks/x.yaml:3: max-length}), {@code model} the checkpoint.
     */
    public void requireLength(String where, int length, int min, Object model) {
        int max = maxTokens(); // RoBERTa's positions start after its padding index: two fewer tokens than positions
        if (length < min || length > max) {
            String usable = max == maxPositionEmbeddings ? "" : ", " + max + " tokens: positions start after"
                    + " pad_token_id " + padTokenId();
            throw new UserError(where + ": " + model + " has " + maxPositionEmbeddings + " positions "
                    + "(max_position_embeddings" + usable + "); use " + min + " to " + max + " tokens");
        }
    }

    public int headSize() {
        return hiddenSize / numAttentionHeads;
    }

    private static void positive(String where, String key, int v) {
        if (v <= 0) {
            throw new UserError(where + ": " + key + " " + v + " must be positive");
        }
    }

    private static void probability(String where, String key, double v) {
        if (!(v >= 0 && v < 1)) {
            throw new UserError(where + ": " + key + " " + v + " must be in [0, 1)");
        }
    }

    /** {@code key} of {@code o} as an int ({@code dflt} when absent; a missing key with no default is an error). */
    static int integer(JsonObject o, String key, Integer dflt, String where) {
        JsonElement e = o.get(key);
        if (e == null || e.isJsonNull()) {
            if (dflt == null) {
                throw new UserError(where + ": " + key + " is missing");
            }
            return dflt;
        }
        try {
            double d = e.getAsDouble();
            if (d != Math.rint(d) || Math.abs(d) > Integer.MAX_VALUE) {
                throw new NumberFormatException();
            }
            return (int) d;
        } catch (RuntimeException ex) {
            throw new UserError(where + ": " + key + " " + e + " is not an integer");
        }
    }

    private static double number(JsonObject o, String key, double dflt, String where) {
        JsonElement e = o.get(key);
        if (e == null || e.isJsonNull()) {
            return dflt;
        }
        try {
            return e.getAsDouble();
        } catch (RuntimeException ex) {
            throw new UserError(where + ": " + key + " " + e + " is not a number");
        }
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
}
