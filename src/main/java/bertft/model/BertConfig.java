package bertft.model;

import bertft.UserError;
import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;

/**
 * A BERT {@code config.json}: the architecture numbers, checked when read.
 *
 * <p>Keys the model does not use (model_type, id2label, pad_token_id, ...) are kept in {@link #json()} so a
 * saved checkpoint carries them on.
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

    static final String DEBERTA_V2 = "deberta-v2";
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
        if (typeVocabSize < 0 || typeVocabSize == 0 && !isDebertaV2(json)) { // DeBERTa may have no token types
            throw new UserError(where + ": type_vocab_size " + typeVocabSize + " must be positive");
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
        String text;
        try {
            text = Files.readString(file, StandardCharsets.UTF_8);
        } catch (NoSuchFileException e) {
            throw new UserError(file + ": missing (a checkpoint directory needs config.json)");
        } catch (IOException e) {
            throw new UserError(file + ": cannot read: " + e.getMessage());
        }
        JsonObject o;
        try {
            o = JsonParser.parseString(text).getAsJsonObject();
        } catch (JsonParseException | IllegalStateException e) {
            throw new UserError(file + ": not a JSON object: " + e.getMessage());
        }
        return fromJson(o, file.toString());
    }

    static BertConfig fromJson(JsonObject o, String where) {
        String type = string(o, "model_type", "bert", where);
        if (!List.of("bert", "roberta", "xlm-roberta", "electra", "distilbert", DEBERTA_V2).contains(type)
                && !type.isEmpty()) {
            throw new UserError(where + ": model_type '" + type + "' is not a BERT-family encoder");
        }
        if (type.equals("distilbert") || type.startsWith("roberta") || type.startsWith("xlm")
                || type.equals("electra")) {
            throw new UserError(where + ": model_type '" + type
                    + "' uses different weight names; bert-ft loads model_type 'bert' checkpoints");
        }
        boolean deberta = type.equals(DEBERTA_V2); // DebertaV2Config's defaults differ from BertConfig's
        try {
            return new BertConfig(
                    integer(o, "vocab_size", null, where),
                    integer(o, "hidden_size", 768, where),
                    integer(o, "num_hidden_layers", 12, where),
                    integer(o, "num_attention_heads", 12, where),
                    integer(o, "intermediate_size", 3072, where),
                    string(o, "hidden_act", "gelu", where),
                    integer(o, "max_position_embeddings", 512, where),
                    integer(o, "type_vocab_size", deberta ? 0 : 2, where),
                    number(o, "layer_norm_eps", deberta ? 1e-7 : 1e-12, where),
                    number(o, "hidden_dropout_prob", 0.1, where),
                    number(o, "attention_probs_dropout_prob", 0.1, where),
                    number(o, "initializer_range", 0.02, where),
                    o);
        } catch (UserError e) {
            throw new UserError(e.getMessage().replaceFirst("^config:", where + ":"));
        }
    }

    /** The config as HuggingFace writes it, with extra keys (architectures, id2label, ...) merged in. */
    public JsonObject toJson() {
        JsonObject o = json.deepCopy();
        o.addProperty("model_type", modelType());
        o.addProperty("vocab_size", vocabSize);
        o.addProperty("hidden_size", hiddenSize);
        o.addProperty("num_hidden_layers", numHiddenLayers);
        o.addProperty("num_attention_heads", numAttentionHeads);
        o.addProperty("intermediate_size", intermediateSize);
        o.addProperty("hidden_act", hiddenAct);
        o.addProperty("max_position_embeddings", maxPositionEmbeddings);
        o.addProperty("type_vocab_size", typeVocabSize);
        o.addProperty("layer_norm_eps", layerNormEps);
        o.addProperty("hidden_dropout_prob", hiddenDropoutProb);
        o.addProperty("attention_probs_dropout_prob", attentionProbsDropoutProb);
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

    /** HuggingFace's model_type: {@code bert} unless config.json names another family bert-ft runs. */
    public String modelType() {
        return isDebertaV2(json) ? DEBERTA_V2 : "bert";
    }

    private static boolean isDebertaV2(JsonObject json) {
        return json != null && json.has("model_type") && json.get("model_type").isJsonPrimitive()
                && json.get("model_type").getAsString().equals(DEBERTA_V2);
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

    private static int integer(JsonObject o, String key, Integer dflt, String where) {
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
