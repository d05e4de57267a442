package bertft.text;

import bertft.UserError;
import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonNull;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A SentencePiece model ({@code spm.model}, a serialized {@code ModelProto}) and the {@code tokenizer.json} that
 * HuggingFace's {@code DebertaV2Converter} builds from it, for DeBERTa-v2/v3 repositories that ship no
 * tokenizer.json.
 *
 * <p>Only the fields the conversion needs are read: the pieces (text, score, type), the trainer's model type and
 * unknown id, and the normalizer's precompiled character map, which tokenizer.json carries on as a
 * {@code Precompiled} normalizer (base64), so NFKC-style rewrites happen exactly as in SentencePiece.
 *
 * @param pieces the vocabulary in id order
 * @param modelType 1 Unigram, 2 BPE, 3 word, 4 char
 * @param unkId the id of the unknown piece
 * @param charsmap the normalizer's precompiled_charsmap, empty when the model has none
 */
public record SentencePiece(List<Piece> pieces, int modelType, int unkId, byte[] charsmap) {

    /** One vocabulary entry; {@code type} 1 normal, 2 unknown, 3 control, 4 user defined, 5 unused, 6 byte. */
    public record Piece(String piece, float score, int type) {}

    static final int UNIGRAM = 1;
    private static final String META = "\u2581"; // SentencePiece's visible space

    /** Reads an {@code spm.model} file. */
    public static SentencePiece read(Path file) {
        try {
            return parse(Files.readAllBytes(file), file.toString());
        } catch (NoSuchFileException e) {
            throw new UserError(file + ": no such file");
        } catch (IOException e) {
            throw new UserError(file + ": cannot read: " + e.getMessage());
        }
    }

    /** Parses {@code ModelProto} bytes; {@code where} names them in errors. */
    public static SentencePiece parse(byte[] bytes, String where) {
        List<Piece> pieces = new ArrayList<>();
        int modelType = UNIGRAM; // the proto defaults
        int unkId = 0;
        byte[] charsmap = new byte[0];
        try {
            Wire model = new Wire(bytes, 0, bytes.length);
            while (model.more()) {
                int tag = model.tag();
                if (tag == field(1, 2)) { // repeated SentencePiece pieces
                    Wire p = model.message();
                    String text = "";
                    float score = 0;
                    int type = 1;
                    while (p.more()) {
                        int t = p.tag();
                        if (t == field(1, 2)) {
                            text = utf8(p.bytes());
                        } else if (t == field(2, 5)) {
                            score = p.fixed32();
                        } else if (t == field(3, 0)) {
                            type = (int) p.varint();
                        } else {
                            p.skip(t);
                        }
                    }
                    pieces.add(new Piece(text, score, type));
                } else if (tag == field(2, 2)) { // TrainerSpec
                    Wire s = model.message();
                    while (s.more()) {
                        int t = s.tag();
                        if (t == field(3, 0)) {
                            modelType = (int) s.varint();
                        } else if (t == field(40, 0)) {
                            unkId = (int) s.varint();
                        } else {
                            s.skip(t);
                        }
                    }
                } else if (tag == field(3, 2)) { // NormalizerSpec
                    Wire s = model.message();
                    while (s.more()) {
                        int t = s.tag();
                        if (t == field(2, 2)) {
                            charsmap = s.bytes();
                        } else {
                            s.skip(t);
                        }
                    }
                } else {
                    model.skip(tag);
                }
            }
        } catch (IllegalArgumentException | IndexOutOfBoundsException | CharacterCodingException e) {
            throw new UserError(where + ": not a SentencePiece model (" + e.getMessage() + ")");
        }
        if (pieces.isEmpty()) {
            throw new UserError(where + ": not a SentencePiece model (no pieces)");
        }
        if (unkId < 0 || unkId >= pieces.size()) {
            throw new UserError(where + ": unk_id " + unkId + " is not one of the " + pieces.size() + " pieces");
        }
        return new SentencePiece(List.copyOf(pieces), modelType, unkId, charsmap);
    }

    /**
     * The tokenizer.json of a DeBERTa-v2/v3 directory holding {@code spm.model}, as transformers 4.31's
     * {@code DebertaV2TokenizerFast} builds it: Unigram over the pieces and scores; normalizer [Lowercase when
     * do_lower_case], Strip, the precompiled charsmap, runs of spaces to one; pre-tokenizer [Punctuation when
     * split_by_punct], Metaspace ("▁", prefixed); {@code [CLS] A [SEP]} / {@code [CLS] A [SEP] B [SEP]}; the special
     * tokens (from tokenizer_config.json and special_tokens_map.json, DebertaV2Tokenizer's by default) as added
     * tokens, a missing one (v3's [MASK]) numbered after the pieces.
     */
    public static JsonObject debertaV2(Path dir) {
        Path file = dir.resolve("spm.model");
        SentencePiece spm = read(file);
        if (spm.modelType != UNIGRAM) {
            throw new UserError(file + ": SentencePiece model_type " + spm.modelType + " (" + (spm.modelType == 2
                    ? "BPE" : "word/char") + ") is not supported; bert-ft converts Unigram models, as DeBERTa-v3's"
                    + " are, or use a tokenizer.json");
        }
        JsonObject config = json(dir.resolve("tokenizer_config.json"));
        Map<String, String> specials = new LinkedHashMap<>(); // HuggingFace's order of special tokens
        for (String[] s : new String[][] {{"bos_token", "[CLS]"}, {"eos_token", "[SEP]"}, {"unk_token", "[UNK]"},
                {"sep_token", "[SEP]"}, {"pad_token", "[PAD]"}, {"cls_token", "[CLS]"}, {"mask_token", "[MASK]"}}) {
            specials.put(s[0], s[1]);
        }
        for (JsonObject o : List.of(config, json(dir.resolve("special_tokens_map.json")))) {
            for (String key : specials.keySet()) {
                JsonElement e = o.get(key);
                if (e != null && e.isJsonPrimitive()) {
                    specials.put(key, e.getAsString());
                } else if (e != null && e.isJsonObject() && e.getAsJsonObject().has("content")) {
                    specials.put(key, e.getAsJsonObject().get("content").getAsString());
                }
            }
        }
        return spm.toTokenizerJson(flag(config, "do_lower_case"), flag(config, "split_by_punct"),
                List.copyOf(new java.util.LinkedHashSet<>(specials.values())), file.toString());
    }

    /** The tokenizer.json definition; {@code specials} become added tokens. */
    JsonObject toTokenizerJson(boolean lowerCase, boolean splitByPunct, List<String> specials, String where) {
        Map<String, Integer> ids = new LinkedHashMap<>();
        JsonArray vocab = new JsonArray();
        for (int i = 0; i < pieces.size(); i++) {
            ids.putIfAbsent(pieces.get(i).piece(), i);
            JsonArray entry = new JsonArray();
            entry.add(pieces.get(i).piece());
            entry.add(pieces.get(i).score());
            vocab.add(entry);
        }
        for (String s : List.of("[CLS]", "[SEP]")) { // the converter names these two, whatever the config says
            if (!ids.containsKey(s)) {
                throw new UserError(where + ": no " + s + " piece, which DeBERTa's [CLS] A [SEP] template needs");
            }
        }
        JsonArray added = new JsonArray();
        int next = pieces.size();
        for (String s : specials) {
            Integer id = ids.get(s);
            added.add(BertTokenizer.addedToken(id != null ? id : next++, s));
        }

        JsonArray normalizers = new JsonArray();
        if (lowerCase) {
            normalizers.add(type("Lowercase"));
        }
        JsonObject strip = type("Strip");
        strip.addProperty("strip_left", true);
        strip.addProperty("strip_right", true);
        normalizers.add(strip);
        if (charsmap.length > 0) {
            JsonObject precompiled = type("Precompiled");
            precompiled.addProperty("precompiled_charsmap", Base64.getEncoder().encodeToString(charsmap));
            normalizers.add(precompiled);
        }
        JsonObject spaces = type("Replace");
        JsonObject regex = new JsonObject();
        regex.addProperty("Regex", " {2,}");
        spaces.add("pattern", regex);
        spaces.addProperty("content", " ");
        normalizers.add(spaces);
        JsonObject normalizer = type("Sequence");
        normalizer.add("normalizers", normalizers);

        JsonArray preTokenizers = new JsonArray();
        if (splitByPunct) {
            JsonObject punct = type("Punctuation");
            punct.addProperty("behavior", "Isolated");
            preTokenizers.add(punct);
        }
        preTokenizers.add(metaspace());
        JsonObject preTokenizer = type("Sequence");
        preTokenizer.add("pretokenizers", preTokenizers);

        JsonObject model = type("Unigram");
        model.addProperty("unk_id", unkId);
        model.add("vocab", vocab);
        model.addProperty("byte_fallback", false); // as the converter: byte pieces are not used for unknowns

        JsonObject o = new JsonObject();
        o.addProperty("version", "1.0");
        o.add("truncation", JsonNull.INSTANCE);
        o.add("padding", JsonNull.INSTANCE);
        o.add("added_tokens", added);
        o.add("normalizer", normalizer);
        o.add("pre_tokenizer", preTokenizer);
        o.add("post_processor", BertTokenizer.template(ids.get("[CLS]"), ids.get("[SEP]")));
        o.add("decoder", metaspace());
        o.add("model", model);
        return o;
    }

    /** Metaspace: spaces become "▁" and start a piece; a "▁" is put before the text (add_prefix_space). */
    private static JsonObject metaspace() {
        JsonObject m = type("Metaspace");
        m.addProperty("replacement", META);
        m.addProperty("prepend_scheme", "always");
        m.addProperty("split", true);
        return m;
    }

    private static JsonObject type(String type) {
        JsonObject o = new JsonObject();
        o.addProperty("type", type);
        return o;
    }

    private static JsonObject json(Path file) {
        if (!Files.exists(file)) {
            return new JsonObject();
        }
        try {
            return JsonParser.parseString(Files.readString(file, StandardCharsets.UTF_8)).getAsJsonObject();
        } catch (IOException | RuntimeException e) {
            throw new UserError(file + ": not a readable JSON object: " + e.getMessage());
        }
    }

    private static boolean flag(JsonObject o, String key) {
        JsonElement e = o.get(key);
        return e != null && e.isJsonPrimitive() && e.getAsBoolean(); // DebertaV2Tokenizer's defaults are false
    }

    private static int field(int number, int wireType) {
        return number << 3 | wireType;
    }

    private static String utf8(byte[] b) throws CharacterCodingException {
        return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                .decode(ByteBuffer.wrap(b)).toString();
    }

    /** A reader of protobuf's wire format over one message's bytes. */
    private static final class Wire {
        private final byte[] b;
        private int pos;
        private final int end;

        Wire(byte[] b, int from, int to) {
            this.b = b;
            this.pos = from;
            this.end = to;
        }

        boolean more() {
            return pos < end;
        }

        int tag() {
            long t = varint();
            if (t <= 0 || t > Integer.MAX_VALUE) {
                throw new IllegalArgumentException("bad field tag " + t + " at byte " + pos);
            }
            return (int) t;
        }

        long varint() {
            long v = 0;
            for (int shift = 0; shift < 64; shift += 7) {
                if (pos >= end) {
                    throw new IllegalArgumentException("truncated number at byte " + pos);
                }
                byte x = b[pos++];
                v |= (long) (x & 0x7f) << shift;
                if (x >= 0) {
                    return v;
                }
            }
            throw new IllegalArgumentException("number longer than 10 bytes at byte " + pos);
        }

        float fixed32() {
            if (end - pos < 4) {
                throw new IllegalArgumentException("truncated float at byte " + pos);
            }
            float f = ByteBuffer.wrap(b, pos, 4).order(ByteOrder.LITTLE_ENDIAN).getFloat();
            pos += 4;
            return f;
        }

        private int length() {
            long n = varint();
            if (n < 0 || n > end - pos) {
                throw new IllegalArgumentException("length " + n + " runs past the end at byte " + pos);
            }
            return (int) n;
        }

        byte[] bytes() {
            int n = length();
            byte[] out = java.util.Arrays.copyOfRange(b, pos, pos + n);
            pos += n;
            return out;
        }

        Wire message() {
            int n = length();
            Wire w = new Wire(b, pos, pos + n);
            pos += n;
            return w;
        }

        void skip(int tag) {
            switch (tag & 7) {
                case 0 -> varint();
                case 1 -> advance(8);
                case 2 -> advance(length());
                case 5 -> advance(4);
                default -> throw new IllegalArgumentException("unsupported wire type " + (tag & 7) + " at byte " + pos);
            }
        }

        private void advance(int n) {
            if (n > end - pos) {
                throw new IllegalArgumentException("field runs past the end at byte " + pos);
            }
            pos += n;
        }
    }
}
