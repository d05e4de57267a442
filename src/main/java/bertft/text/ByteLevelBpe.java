package bertft.text;

import bertft.UserError;
import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonNull;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The {@code tokenizer.json} that HuggingFace's RobertaTokenizerFast builds from a byte-level BPE vocabulary
 * ({@code vocab.json} + {@code merges.txt}, as RoBERTa repos such as cardiffnlp's ship them): ByteLevel
 * pre-tokenizer and decoder, {@code <s> A </s>} / {@code <s> A </s></s> B </s>} (RobertaProcessing), special tokens
 * from tokenizer_config.json or RoBERTa's defaults.
 */
final class ByteLevelBpe {
    private ByteLevelBpe() {}

    static JsonObject definition(Path vocabFile, Path mergesFile, Path tokenizerConfig) {
        JsonObject vocab;
        JsonArray merges = new JsonArray();
        JsonObject config = new JsonObject();
        try {
            vocab = JsonParser.parseString(Files.readString(vocabFile, StandardCharsets.UTF_8)).getAsJsonObject();
            for (String line : Files.readAllLines(mergesFile, StandardCharsets.UTF_8)) {
                if (!line.startsWith("#version") && !line.isBlank()) {
                    merges.add(line);
                }
            }
            if (Files.exists(tokenizerConfig)) {
                config = JsonParser.parseString(Files.readString(tokenizerConfig, StandardCharsets.UTF_8))
                        .getAsJsonObject();
            }
        } catch (IOException | RuntimeException e) {
            throw new UserError(vocabFile.getParent() + ": cannot read the BPE vocabulary (vocab.json, merges.txt,"
                    + " tokenizer_config.json): " + e.getMessage());
        }
        boolean prefixSpace = config.has("add_prefix_space") && config.get("add_prefix_space").getAsBoolean();
        JsonArray added = new JsonArray();
        String[] specials = new String[5];
        String[] keys = {"bos_token", "pad_token", "eos_token", "unk_token", "mask_token"};
        String[] defaults = {"<s>", "<pad>", "</s>", "<unk>", "<mask>"};
        for (int i = 0; i < keys.length; i++) {
            specials[i] = token(config.get(keys[i]), defaults[i]);
            if (!vocab.has(specials[i])) {
                throw new UserError(vocabFile + ": special token " + specials[i] + " (" + keys[i] + ") is missing");
            }
        }
        for (int i = 0; i < specials.length; i++) {
            JsonObject a = new JsonObject();
            a.addProperty("id", vocab.get(specials[i]).getAsInt());
            a.addProperty("content", specials[i]);
            a.addProperty("single_word", false);
            a.addProperty("lstrip", keys[i].equals("mask_token")); // RoBERTa's <mask> eats the space before it
            a.addProperty("rstrip", false);
            a.addProperty("normalized", false);
            a.addProperty("special", true);
            added.add(a);
        }
        JsonObject byteLevel = new JsonObject();
        byteLevel.addProperty("type", "ByteLevel");
        byteLevel.addProperty("add_prefix_space", prefixSpace);
        byteLevel.addProperty("trim_offsets", true);
        byteLevel.addProperty("use_regex", true);
        JsonObject post = new JsonObject();
        post.addProperty("type", "RobertaProcessing");
        post.add("sep", pair(specials[2], vocab.get(specials[2]).getAsInt()));
        post.add("cls", pair(specials[0], vocab.get(specials[0]).getAsInt()));
        post.addProperty("trim_offsets", true);
        post.addProperty("add_prefix_space", prefixSpace);
        JsonObject model = new JsonObject();
        model.addProperty("type", "BPE");
        model.add("dropout", JsonNull.INSTANCE);
        model.add("unk_token", JsonNull.INSTANCE);
        model.addProperty("continuing_subword_prefix", "");
        model.addProperty("end_of_word_suffix", "");
        model.addProperty("fuse_unk", false);
        model.addProperty("byte_fallback", false);
        model.add("vocab", vocab);
        model.add("merges", merges);

        JsonObject o = new JsonObject();
        o.addProperty("version", "1.0");
        o.add("truncation", JsonNull.INSTANCE);
        o.add("padding", JsonNull.INSTANCE);
        o.add("added_tokens", added);
        o.add("normalizer", JsonNull.INSTANCE);
        o.add("pre_tokenizer", byteLevel);
        o.add("post_processor", post);
        o.add("decoder", byteLevel.deepCopy());
        o.add("model", model);
        return o;
    }

    /** A special token from tokenizer_config.json: a string or an AddedToken object ({@code content}). */
    private static String token(JsonElement e, String dflt) {
        if (e == null || e.isJsonNull()) {
            return dflt;
        }
        return e.isJsonObject() ? e.getAsJsonObject().get("content").getAsString() : e.getAsString();
    }

    private static JsonArray pair(String token, int id) {
        JsonArray a = new JsonArray();
        a.add(token);
        a.add(id);
        return a;
    }
}
