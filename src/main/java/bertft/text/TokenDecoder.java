package bertft.text;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A tokenizer's {@code decoder} (HuggingFace {@code tokenizers}, as Transformers 4.31 pins it) applied to token
 * strings: the fast tokenizer's {@code convert_tokens_to_string}, which the token-classification pipeline uses for
 * an entity's {@code word}. WordPiece glues {@code ##} pieces on; ByteLevel (RoBERTa) maps its byte alphabet back to
 * UTF-8; Metaspace (SentencePiece) turns {@code ▁} into spaces; a Sequence applies its steps in turn. Without a
 * decoder, or with one this class does not know, tokens are joined by spaces, as {@code tokenizers} does without one.
 */
public final class TokenDecoder {
    private TokenDecoder() {}

    /** {@code tokens} decoded by {@code decoder} (tokenizer.json's "decoder"; null or JSON null: none). */
    public static String decode(JsonElement decoder, List<String> tokens) {
        return String.join("", chain(decoder, tokens));
    }

    /** {@code decode_chain}: each step maps the token list to a new one; decode joins the last. */
    private static List<String> chain(JsonElement decoder, List<String> tokens) {
        if (decoder == null || !decoder.isJsonObject()) {
            return List.of(String.join(" ", tokens));
        }
        JsonObject d = decoder.getAsJsonObject();
        String type = d.has("type") ? d.get("type").getAsString() : "";
        return switch (type) {
            case "WordPiece" -> wordPiece(tokens, string(d, "prefix", "##"), bool(d, "cleanup", true));
            case "ByteLevel" -> List.of(byteLevel(tokens));
            case "Metaspace" -> metaspace(tokens, string(d, "replacement", "\u2581"),
                    d.has("prepend_scheme") ? !"never".equals(d.get("prepend_scheme").getAsString())
                            : bool(d, "add_prefix_space", true));
            case "Replace" -> replace(tokens, d);
            case "Fuse" -> List.of(String.join("", tokens));
            case "Strip" -> strip(tokens, string(d, "content", " ").codePointAt(0), (int) number(d, "start"),
                    (int) number(d, "stop"));
            case "Sequence" -> {
                List<String> out = tokens;
                for (JsonElement step : d.getAsJsonArray("decoders")) {
                    out = chain(step, out);
                }
                yield out;
            }
            default -> List.of(String.join(" ", tokens));
        };
    }

    /** The WordPiece decoder: pieces after the first start a word with a space unless they carry the prefix. */
    public static List<String> wordPiece(List<String> tokens, String prefix, boolean cleanup) {
        List<String> out = new ArrayList<>(tokens.size());
        for (int i = 0; i < tokens.size(); i++) {
            String t = tokens.get(i);
            if (i != 0) {
                t = t.startsWith(prefix) ? t.substring(prefix.length()) : " " + t;
            }
            out.add(cleanup ? cleanup(t) : t);
        }
        return out;
    }

    /** {@code tokenizers}' clean_up_tokenization: no space before punctuation and contractions. */
    private static String cleanup(String s) {
        return s.replace(" .", ".").replace(" ?", "?").replace(" !", "!").replace(" ,", ",").replace(" ' ", "'")
                .replace(" n't", "n't").replace(" 'm", "'m").replace(" do not", " don't").replace(" 's", "'s")
                .replace(" 've", "'ve").replace(" 're", "'re");
    }

    /** GPT-2's byte alphabet read back: each character is one byte; a token with any other is taken as UTF-8. */
    private static String byteLevel(List<String> tokens) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        for (String t : tokens) {
            byte[] b = new byte[t.length()];
            boolean mapped = true;
            for (int i = 0; i < t.length() && mapped; i++) {
                Integer v = CHAR_BYTES.get(t.charAt(i));
                mapped = v != null;
                b[i] = mapped ? (byte) (int) v : 0;
            }
            bytes.writeBytes(mapped ? b : t.getBytes(StandardCharsets.UTF_8));
        }
        // from_utf8_lossy: an invalid sequence becomes U+FFFD, as Java's decoder replaces it
        return bytes.toString(StandardCharsets.UTF_8);
    }

    /** GPT-2's bytes_to_unicode, inverted: printable bytes stand for themselves, the rest for U+0100 onwards. */
    private static final Map<Character, Integer> CHAR_BYTES = new HashMap<>();

    static {
        int n = 0;
        for (int b = 0; b < 256; b++) {
            boolean printable = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
            CHAR_BYTES.put((char) (printable ? b : 256 + n++), b);
        }
    }

    /** Metaspace: the replacement becomes a space; the first token loses the space the encoder put before it. */
    private static List<String> metaspace(List<String> tokens, String replacement, boolean prefixed) {
        List<String> out = new ArrayList<>(tokens.size());
        for (int i = 0; i < tokens.size(); i++) {
            String t = tokens.get(i).replace(replacement, " ");
            out.add(i == 0 && prefixed && t.startsWith(" ") ? t.substring(1) : t);
        }
        return out;
    }

    private static List<String> replace(List<String> tokens, JsonObject d) {
        JsonObject pattern = d.getAsJsonObject("pattern");
        String content = d.get("content").getAsString();
        List<String> out = new ArrayList<>(tokens.size());
        for (String t : tokens) {
            out.add(pattern.has("String") ? t.replace(pattern.get("String").getAsString(), content)
                    : t.replaceAll(pattern.get("Regex").getAsString(), content));
        }
        return out;
    }

    /** Strip: up to {@code start} leading and {@code stop} trailing {@code content} characters off each token. */
    private static List<String> strip(List<String> tokens, int content, int start, int stop) {
        List<String> out = new ArrayList<>(tokens.size());
        for (String t : tokens) {
            int[] cps = t.codePoints().toArray();
            int from = 0;
            while (from < Math.min(start, cps.length) && cps[from] == content) {
                from++;
            }
            int to = cps.length;
            while (to > from && cps.length - to < stop && cps[to - 1] == content) {
                to--;
            }
            out.add(new String(cps, from, to - from));
        }
        return out;
    }

    private static String string(JsonObject o, String key, String dflt) {
        JsonElement e = o.get(key);
        return e == null || e.isJsonNull() ? dflt : e.getAsString();
    }

    private static boolean bool(JsonObject o, String key, boolean dflt) {
        JsonElement e = o.get(key);
        return e == null || e.isJsonNull() ? dflt : e.getAsBoolean();
    }

    private static double number(JsonObject o, String key) {
        JsonElement e = o.get(key);
        return e == null || e.isJsonNull() ? 0 : e.getAsDouble();
    }
}
