package bertft.text;

import ai.djl.huggingface.tokenizers.Encoding;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import bertft.TextFiles;
import bertft.UserError;
import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonNull;
import com.google.gson.JsonObject;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * Tokenization through HuggingFace's own tokenizer library (via DJL), so ids and character offsets are exactly
 * those of a Python user's fast tokenizer: WordPiece (BERT, DistilBERT, ELECTRA), byte-level BPE (RoBERTa),
 * SentencePiece Unigram (XLM-R, CamemBERT, DeBERTa-v3) or whatever {@code tokenizer.json} defines.
 *
 * <p>A checkpoint brings {@code tokenizer.json}, or only {@code vocab.txt} (+ {@code tokenizer_config.json}
 * for do_lower_case) or RoBERTa's {@code vocab.json} + {@code merges.txt}, from which the equivalent
 * {@code tokenizer.json} is built. Any truncation or padding embedded in the file is replaced: this class
 * truncates to {@code maxLength} and never pads (batches are padded dynamically by the caller).
 */
public final class BertTokenizer implements AutoCloseable {
    /** The tokenizer definition, with truncation and padding cleared; saved with checkpoints. */
    private final JsonObject definition;
    /** The checkpoint's tokenizer_config.json, saved back as it was (special tokens, class), or null. */
    private final JsonObject sourceConfig;
    private final HuggingFaceTokenizer tokenizer;
    private final int maxLength;
    private final Map<String, HuggingFaceTokenizer> windowTokenizers = new java.util.concurrent.ConcurrentHashMap<>();
    private final boolean owner; // false: a view of another's native tokenizer, which closing this leaves open

    private BertTokenizer(BertTokenizer of) {
        this.definition = of.definition;
        this.sourceConfig = of.sourceConfig;
        this.maxLength = of.maxLength;
        this.tokenizer = of.tokenizer;
        this.owner = false;
    }

    private BertTokenizer(JsonObject definition, JsonObject sourceConfig, int maxLength, String source) {
        this.owner = true;
        this.definition = definition;
        this.sourceConfig = sourceConfig;
        this.maxLength = maxLength;
        Map<String, String> options = Map.of(
                "addSpecialTokens", "true",
                "truncation", "true",
                "padding", "false",
                "maxLength", Integer.toString(maxLength),
                "modelMaxLength", Integer.toString(Math.max(maxLength, 512)));
        byte[] json = definition.toString().getBytes(StandardCharsets.UTF_8);
        try {
            this.tokenizer = HuggingFaceTokenizer.newInstance(new ByteArrayInputStream(json), options);
        } catch (IOException | RuntimeException e) {
            throw new UserError(source + ": not a tokenizer HuggingFace's tokenizers library can load: "
                    + firstLine(e), e);
        }
    }

    /**
     * Loads the tokenizer of a checkpoint directory whose embedding table has {@code vocabSize} rows (config.json's
     * vocab_size): a token id beyond it is an error now rather than an index error at the first batch.
     */
    public static BertTokenizer load(Path dir, int maxLength, int vocabSize) {
        JsonObject definition = definition(dir);
        requireIdsBelow(definition, vocabSize, dir);
        return new BertTokenizer(definition, sourceConfig(dir), maxLength, dir.toString());
    }

    /** Loads the tokenizer of a checkpoint directory, without checking it against the model's vocab_size. */
    public static BertTokenizer load(Path dir, int maxLength) {
        return new BertTokenizer(definition(dir), sourceConfig(dir), maxLength, dir.toString());
    }

    /** The checkpoint's tokenizer_config.json, or null when it has none. */
    private static JsonObject sourceConfig(Path dir) {
        Path file = dir.resolve("tokenizer_config.json");
        return Files.exists(file) ? TextFiles.readJsonObject(file, TextFiles.MODEL_FILE, "a tokenizer_config.json") : null;
    }

    /** A tokenizer from a definition, as built by {@link #definition(Path)} or {@link #fromVocab}. */
    public static BertTokenizer of(JsonObject definition, int maxLength) {
        return new BertTokenizer(definition, null, maxLength, "tokenizer");
    }

    /**
     * This tokenizer for another user (many adapters of one base share their base's): the same native tokenizer and
     * definition, about 9 MB for a 30k vocabulary, not copied; closing the view leaves them open, so this one must
     * outlive it.
     */
    public BertTokenizer view() {
        return new BertTokenizer(this);
    }

    /** The same vocabulary with another maximum length. */
    public BertTokenizer withMaxLength(int newMaxLength) {
        return new BertTokenizer(definition, sourceConfig, newMaxLength, "tokenizer");
    }

    /** Every token id (vocabulary and added tokens) must index a row of the embedding table. */
    static void requireIdsBelow(JsonObject definition, int vocabSize, Path dir) {
        String worst = null;
        long max = -1;
        JsonElement model = definition.get("model");
        JsonElement vocab = model != null && model.isJsonObject() ? model.getAsJsonObject().get("vocab") : null;
        if (vocab != null && vocab.isJsonObject()) {
            for (Map.Entry<String, JsonElement> e : vocab.getAsJsonObject().entrySet()) {
                long id = e.getValue().isJsonPrimitive() && e.getValue().getAsJsonPrimitive().isNumber()
                        ? e.getValue().getAsLong() : -1;
                if (id > max) {
                    max = id;
                    worst = e.getKey();
                }
            }
        }
        JsonElement added = definition.get("added_tokens");
        if (added != null && added.isJsonArray()) {
            for (JsonElement a : added.getAsJsonArray()) {
                JsonElement id = a.isJsonObject() ? a.getAsJsonObject().get("id") : null;
                if (id != null && id.isJsonPrimitive() && id.getAsJsonPrimitive().isNumber() && id.getAsLong() > max) {
                    max = id.getAsLong();
                    JsonElement content = a.getAsJsonObject().get("content");
                    worst = content == null ? "?" : content.getAsString();
                }
            }
        }
        if (max >= vocabSize) {
            throw new UserError(dir + ": the tokenizer has token id " + max + " ('" + worst + "'), but the model's "
                    + "embedding table has " + vocabSize + " rows (vocab_size in config.json); the tokenizer and the "
                    + "weights do not belong together");
        }
    }

    /** The first line of an exception's message, without the exception's class name. */
    private static String firstLine(Exception e) {
        String s = String.valueOf(e.getMessage());
        return s.lines().findFirst().orElse(s);
    }

    /**
     * Reads {@code tokenizer.json}, or builds it from {@code vocab.txt}, {@code vocab.json} + {@code merges.txt}
     * or DeBERTa-v2/v3's {@code spm.model}; truncation and padding are cleared.
     */
    public static JsonObject definition(Path dir) {
        Path json = dir.resolve("tokenizer.json");
        Path vocab = dir.resolve("vocab.txt");
        Path bpeVocab = dir.resolve("vocab.json");
        Path merges = dir.resolve("merges.txt");
        if (Files.exists(json)) {
            JsonObject o = TextFiles.readJsonObject(json, TextFiles.MODEL_FILE, "a tokenizer.json");
            JsonElement model = o.get("model");
            JsonElement v = model != null && model.isJsonObject() ? model.getAsJsonObject().get("vocab") : null;
            if (v == null || !(v.isJsonObject() || v.isJsonArray())) {
                throw new UserError(json + ": no 'model.vocab' (an object of token ids, or a Unigram list of pieces)");
            }
            o.add("truncation", JsonNull.INSTANCE);
            o.add("padding", JsonNull.INSTANCE);
            return o;
        }
        if (Files.exists(vocab)) {
            List<String> tokens = TextFiles.read(vocab, TextFiles.MODEL_FILE, "a vocab.txt").lines().toList();
            return fromVocab(tokens, lowerCase(dir.resolve("tokenizer_config.json")));
        }
        if (Files.exists(bpeVocab) && Files.exists(merges)) {
            return ByteLevelBpe.definition(bpeVocab, merges, dir.resolve("tokenizer_config.json"));
        }
        if (Files.exists(dir.resolve("spm.model"))) {
            return SentencePiece.debertaV2(dir);
        }
        for (String spm : List.of("sentencepiece.bpe.model", "sentencepiece.model")) {
            if (Files.exists(dir.resolve(spm))) {
                throw new UserError(dir + ": has only a SentencePiece " + spm + "; bert-ft needs its tokenizer.json"
                        + " (make one in Python: AutoTokenizer.from_pretrained(DIR).save_pretrained(DIR))");
            }
        }
        throw new UserError(dir + ": no tokenizer (needs tokenizer.json, vocab.txt, vocab.json and merges.txt,"
                + " or DeBERTa's spm.model)");
    }

    private static boolean lowerCase(Path config) {
        if (!Files.exists(config)) {
            return true; // BertTokenizer's default
        }
        JsonElement e = TextFiles.readJsonObject(config, TextFiles.MODEL_FILE, "a tokenizer_config.json")
                .get("do_lower_case");
        if (e != null && !(e.isJsonPrimitive() && e.getAsJsonPrimitive().isBoolean())) {
            throw new UserError(config + ": do_lower_case " + e + " is not true or false");
        }
        return e == null || e.getAsBoolean();
    }

    /**
     * The {@code tokenizer.json} that HuggingFace's BertTokenizerFast builds from a WordPiece vocabulary:
     * BERT normalizer and pre-tokenizer, [CLS] A [SEP] (B [SEP]) template, ## continuation.
     */
    public static JsonObject fromVocab(List<String> tokens, boolean lowerCase) {
        JsonObject vocab = new JsonObject();
        for (int i = 0; i < tokens.size(); i++) {
            String t = tokens.get(i).strip();
            if (!t.isEmpty() && !vocab.has(t)) {
                vocab.addProperty(t, i);
            }
        }
        for (String special : List.of("[PAD]", "[UNK]", "[CLS]", "[SEP]")) {
            if (!vocab.has(special)) {
                throw new UserError("vocab.txt: special token " + special + " is missing");
            }
        }
        JsonArray added = new JsonArray();
        for (String special : List.of("[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]")) {
            if (vocab.has(special)) {
                added.add(addedToken(vocab.get(special).getAsInt(), special));
            }
        }
        JsonObject normalizer = new JsonObject();
        normalizer.addProperty("type", "BertNormalizer");
        normalizer.addProperty("clean_text", true);
        normalizer.addProperty("handle_chinese_chars", true);
        normalizer.add("strip_accents", JsonNull.INSTANCE);
        normalizer.addProperty("lowercase", lowerCase);
        JsonObject preTokenizer = new JsonObject();
        preTokenizer.addProperty("type", "BertPreTokenizer");
        JsonObject post = template(vocab.get("[CLS]").getAsInt(), vocab.get("[SEP]").getAsInt());
        JsonObject decoder = new JsonObject();
        decoder.addProperty("type", "WordPiece");
        decoder.addProperty("prefix", "##");
        decoder.addProperty("cleanup", true);
        JsonObject model = new JsonObject();
        model.addProperty("type", "WordPiece");
        model.addProperty("unk_token", "[UNK]");
        model.addProperty("continuing_subword_prefix", "##");
        model.addProperty("max_input_chars_per_word", 100);
        model.add("vocab", vocab);

        JsonObject o = new JsonObject();
        o.addProperty("version", "1.0");
        o.add("truncation", JsonNull.INSTANCE);
        o.add("padding", JsonNull.INSTANCE);
        o.add("added_tokens", added);
        o.add("normalizer", normalizer);
        o.add("pre_tokenizer", preTokenizer);
        o.add("post_processor", post);
        o.add("decoder", decoder);
        o.add("model", model);
        return o;
    }

    /** A special token that is matched before normalization and never split. */
    static JsonObject addedToken(int id, String content) {
        JsonObject a = new JsonObject();
        a.addProperty("id", id);
        a.addProperty("content", content);
        a.addProperty("single_word", false);
        a.addProperty("lstrip", false);
        a.addProperty("rstrip", false);
        a.addProperty("normalized", false);
        a.addProperty("special", true);
        return a;
    }

    /** The post-processor {@code [CLS] A [SEP]} and {@code [CLS] A [SEP] B [SEP]} (B with token type 1). */
    static JsonObject template(int clsId, int sepId) {
        JsonObject post = new JsonObject();
        post.addProperty("type", "TemplateProcessing");
        post.add("single", template(false));
        post.add("pair", template(true));
        JsonObject specials = new JsonObject();
        for (String s : List.of("[CLS]", "[SEP]")) {
            JsonObject o = new JsonObject();
            o.addProperty("id", s);
            JsonArray ids = new JsonArray();
            ids.add(s.equals("[CLS]") ? clsId : sepId);
            o.add("ids", ids);
            JsonArray toks = new JsonArray();
            toks.add(s);
            o.add("tokens", toks);
            specials.add(s, o);
        }
        post.add("special_tokens", specials);
        return post;
    }

    private static JsonArray template(boolean pair) {
        JsonArray a = new JsonArray();
        a.add(piece("SpecialToken", "[CLS]", 0));
        a.add(piece("Sequence", "A", 0));
        a.add(piece("SpecialToken", "[SEP]", 0));
        if (pair) {
            a.add(piece("Sequence", "B", 1));
            a.add(piece("SpecialToken", "[SEP]", 1));
        }
        return a;
    }

    private static JsonObject piece(String kind, String id, int typeId) {
        JsonObject inner = new JsonObject();
        inner.addProperty("id", id);
        inner.addProperty("type_id", typeId);
        JsonObject o = new JsonObject();
        o.add(kind, inner);
        return o;
    }

    /** Whether the normalizer lower-cases: HuggingFace's do_lower_case. */
    public boolean lowerCase() {
        JsonElement n = definition.get("normalizer");
        return n != null && n.isJsonObject() && n.getAsJsonObject().has("lowercase")
                && n.getAsJsonObject().get("lowercase").getAsBoolean();
    }

    public int maxLength() {
        return maxLength;
    }

    /** The id of a vocabulary or added token, or -1. */
    public long tokenId(String token) {
        JsonElement added = definition.get("added_tokens");
        if (added != null && added.isJsonArray()) {
            for (JsonElement a : added.getAsJsonArray()) {
                if (token.equals(a.getAsJsonObject().get("content").getAsString())) {
                    return a.getAsJsonObject().get("id").getAsLong();
                }
            }
        }
        JsonElement vocab = definition.getAsJsonObject("model").get("vocab");
        if (vocab.isJsonObject()) {
            JsonElement id = vocab.getAsJsonObject().get(token);
            return id == null ? -1 : id.getAsLong();
        }
        JsonArray pieces = vocab.getAsJsonArray(); // Unigram: [[piece, score], ...]
        for (int i = 0; i < pieces.size(); i++) {
            if (token.equals(pieces.get(i).getAsJsonArray().get(0).getAsString())) {
                return i;
            }
        }
        return -1;
    }

    /** The mask token's id ({@code [MASK]} or {@code <mask>}), or -1. */
    public long maskId() {
        long id = tokenId("[MASK]");
        return id >= 0 ? id : tokenId("<mask>");
    }

    /** The unknown token's id ({@code [UNK]}, {@code <unk>}: the model's unk_token), or -1. */
    public long unkId() {
        JsonElement unk = definition.getAsJsonObject("model").get("unk_token");
        return unk == null || unk.isJsonNull() ? -1 : tokenId(unk.getAsString());
    }

    /** Whether this is a WordPiece vocabulary (which save() also writes as vocab.txt). */
    public boolean wordPiece() {
        return "WordPiece".equals(definition.getAsJsonObject("model").get("type").getAsString());
    }

    /**
     * Token strings back to text by this tokenizer's decoder, as the fast tokenizer's
     * {@code convert_tokens_to_string} does ({@link TokenDecoder}).
     */
    public String tokensToString(List<String> tokens) {
        return TokenDecoder.decode(definition.get("decoder"), tokens);
    }

    /** [CLS] text [SEP], truncated to {@code maxLength}. */
    public Encoding encode(String text) {
        return tokenizer.encode(text);
    }

    /** [CLS] a [SEP] b [SEP], truncated longest-first to {@code maxLength}. */
    public Encoding encode(String a, String b) {
        return tokenizer.encode(a, b);
    }

    /** How many tokens {@code text} has, untruncated and without special tokens (for messages that give a length). */
    public int length(String text) {
        HuggingFaceTokenizer whole = windowTokenizers.computeIfAbsent("untruncated", k -> {
            Map<String, String> options = Map.of("addSpecialTokens", "false", "truncation", "false", "padding", "false");
            try {
                return HuggingFaceTokenizer.newInstance(
                        new ByteArrayInputStream(definition.toString().getBytes(StandardCharsets.UTF_8)), options);
            } catch (IOException | RuntimeException e) {
                throw new UserError("tokenizer: cannot count tokens: " + firstLine(e), e);
            }
        });
        return whole.encode(text).getIds().length;
    }

    /**
     * Question-answering windows: [CLS] question [SEP] context-part [SEP], the context cut into windows of at
     * most {@code maxLength} tokens overlapping by {@code stride} tokens (HuggingFace's doc_stride); the question
     * is never truncated. Character spans of context tokens point into {@code context}.
     */
    public List<Encoding> windows(String question, String context, int maxLength, int stride) {
        HuggingFaceTokenizer qa = windowTokenizer("ONLY_SECOND", maxLength, stride, "QA windows");
        Encoding first = qa.encode(question, context, true, true);
        List<Encoding> out = new java.util.ArrayList<>();
        out.add(first);
        out.addAll(List.of(first.getOverflowing()));
        return out;
    }

    /**
     * This tokenizer with overflowing windows of {@code maxLength} tokens sharing {@code stride} (truncating as
     * {@code truncation} says), built once per setting; {@code what} names it in the error.
     */
    private HuggingFaceTokenizer windowTokenizer(String truncation, int maxLength, int stride, String what) {
        return windowTokenizers.computeIfAbsent(truncation + " " + maxLength + "/" + stride, k -> {
            Map<String, String> options = Map.of(
                    "addSpecialTokens", "true",
                    "truncation", truncation,
                    "padding", "false",
                    "maxLength", Integer.toString(maxLength),
                    "stride", Integer.toString(stride),
                    "modelMaxLength", Integer.toString(Math.max(maxLength, 512)));
            try {
                return HuggingFaceTokenizer.newInstance(
                        new ByteArrayInputStream(definition.toString().getBytes(StandardCharsets.UTF_8)), options);
            } catch (IOException | RuntimeException e) {
                throw new UserError("tokenizer: cannot build " + what + ": " + firstLine(e), e);
            }
        });
    }

    /**
     * Raw text in windows of at most {@code maxLength} tokens with their special tokens, consecutive windows sharing
     * {@code stride} pieces: what HuggingFace's fast tokenizer returns with {@code truncation=True,
     * return_overflowing_tokens=True, stride=stride} (the token-classification pipeline's {@code stride}), so no text
     * is cut off. Character spans point into {@code text}; one window when the text fits.
     */
    public List<Encoding> windows(String text, int maxLength, int stride) {
        HuggingFaceTokenizer t = windowTokenizer("LONGEST_FIRST", maxLength, stride, "text windows");
        Encoding first = t.encode(text, true, true);
        List<Encoding> out = new java.util.ArrayList<>();
        out.add(first);
        out.addAll(List.of(first.getOverflowing()));
        return out;
    }

    /**
     * Pre-split words (a CoNLL sentence, or raw text split as {@link #splitWords} splits it) as word pieces in
     * windows of at most {@code maxLength} tokens with their special tokens, consecutive windows sharing
     * {@code stride} pieces (HuggingFace's doc_stride), so that no word is cut off: one window when the sentence
     * fits. Each word is {@linkplain WordWindows#owner owned} by the window where its first piece sits furthest
     * from an edge.
     */
    public WordWindows words(List<String> words, int maxLength, int stride) {
        HuggingFaceTokenizer whole = windowTokenizers.computeIfAbsent("words", k -> {
            try {
                return HuggingFaceTokenizer.newInstance(
                        new ByteArrayInputStream(definition.toString().getBytes(StandardCharsets.UTF_8)),
                        Map.of("addSpecialTokens", "true", "truncation", "false", "padding", "false",
                                "modelMaxLength", "1000000000"));
            } catch (IOException | RuntimeException e) {
                throw new UserError("tokenizer: cannot encode words: " + firstLine(e), e);
            }
        });
        return WordWindows.of(whole.encode(words), words.size(), maxLength, stride);
    }

    /**
     * Writes tokenizer.json and tokenizer_config.json (the checkpoint's own, when it had one), plus vocab.txt for
     * WordPiece, as HuggingFace's save_pretrained does.
     */
    public void save(Path dir) throws IOException {
        Files.writeString(dir.resolve("tokenizer.json"), definition.toString(), StandardCharsets.UTF_8);
        JsonObject config = sourceConfig != null ? sourceConfig.deepCopy() : new JsonObject();
        if (wordPiece()) {
            JsonObject vocab = definition.getAsJsonObject("model").getAsJsonObject("vocab");
            String[] byId = new String[vocab.size()];
            vocab.entrySet().forEach(e -> {
                int id = e.getValue().getAsInt();
                if (id >= 0 && id < byId.length) {
                    byId[id] = e.getKey();
                }
            });
            StringBuilder sb = new StringBuilder();
            for (String t : byId) {
                sb.append(t == null ? "[unused]" : t).append('\n');
            }
            Files.writeString(dir.resolve("vocab.txt"), sb, StandardCharsets.UTF_8);
            if (sourceConfig == null) {
                config.addProperty("tokenizer_class", "BertTokenizer");
                config.addProperty("do_lower_case", lowerCase());
                config.addProperty("unk_token", "[UNK]");
                config.addProperty("sep_token", "[SEP]");
                config.addProperty("pad_token", "[PAD]");
                config.addProperty("cls_token", "[CLS]");
                config.addProperty("mask_token", "[MASK]");
            }
        } else if (sourceConfig == null) {
            config.addProperty("tokenizer_class", "PreTrainedTokenizerFast");
        }
        if (!config.has("model_max_length") || !config.get("model_max_length").isJsonPrimitive()
                || config.get("model_max_length").getAsDouble() > 1e6) {
            config.addProperty("model_max_length", 512);
        }
        Files.writeString(dir.resolve("tokenizer_config.json"), config.toString(), StandardCharsets.UTF_8);
    }

    @Override
    public void close() {
        windowTokenizers.values().forEach(HuggingFaceTokenizer::close);
        if (owner) {
            tokenizer.close();
        }
    }
}
