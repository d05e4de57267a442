package bertft.onnx;

import bertft.AtomicFiles;
import bertft.Sha256;
import bertft.UserError;
import bertft.Version;
import bertft.checkpoint.TensorData;
import bertft.model.BertConfig;
import bertft.model.TaskModel;
import bertft.onnx.proto.OnnxProto.ModelProto;
import bertft.onnx.proto.OnnxProto.OperatorSetIdProto;
import bertft.text.BertTokenizer;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.function.Function;
import java.util.stream.Stream;

/**
 * The ONNX form of a task model or base model, and the directory it is written to: {@code model.onnx} with the
 * weights as initializers, plus the tokenizer files and a {@code config.json} beside it, so the directory describes
 * itself as an Optimum export does ({@code bertft.run.ModelExport} decides what to export from a model directory).
 *
 * <p>Inputs are {@code input_ids}, {@code attention_mask} and, where the family has token types,
 * {@code token_type_ids}: int64 (batch, sequence). Outputs are named as Optimum names them: {@code logits} (batch,
 * labels) for sequence classification, {@code start_logits} and {@code end_logits} (batch, sequence) for QA, and
 * {@code last_hidden_state} (batch, sequence, hidden) for a base model, with {@code sentence_embedding} (batch,
 * hidden): mean over real tokens, L2-normalised, what {@code bert-ft embed} prints. A task model's graph has these two
 * after its head's outputs, so every export embeds.
 *
 * <p>config.json is the model's HuggingFace config with bert-ft's task ({@code bert_ft_task}: kind, max length, QA
 * windows), pooling, and {@code bert_ft_onnx}: the graph's head, opset, quantisation and source.
 */
public final class OnnxExport {
    /** The file name of the graph in an export directory. */
    public static final String MODEL_FILE = "model.onnx";
    /** The config key that marks a config.json as an ONNX export's. */
    public static final String CONFIG_KEY = "bert_ft_onnx";
    public static final int DEFAULT_OPSET = 14;
    public static final int MIN_OPSET = 14;
    /** Debian 12's python3-onnx (1.12) checks up to opset 17. */
    public static final int MAX_OPSET = 17;
    /** ONNX IR version 8 (ONNX 1.10+): what opsets 14 to 17 need, and what ONNX 1.12's checker accepts. */
    static final int IR_VERSION = 8;

    /** What the graph ends in. */
    public enum Head {
        CLASSIFIER, QA, BASE, TOKEN;

        public String key() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }

    /** Export settings: opset and whether MatMul weights are quantised to int8. */
    public record Options(int opset, boolean int8) {
        public Options {
            if (opset < MIN_OPSET || opset > MAX_OPSET) {
                throw new UserError("--opset " + opset + ": bert-ft writes opset " + MIN_OPSET + " to " + MAX_OPSET);
            }
        }
    }

    private OnnxExport() {}

    /** Whether {@code path} is an ONNX export: a .onnx file, or a directory whose config.json says it is one. */
    public static boolean isExport(Path path) {
        if (Files.isRegularFile(path)) {
            return path.getFileName().toString().endsWith(".onnx");
        }
        Path config = path.resolve("config.json");
        if (!Files.isRegularFile(config)) {
            return false;
        }
        try {
            return JsonParser.parseString(Files.readString(config)).getAsJsonObject().has(CONFIG_KEY);
        } catch (IOException | RuntimeException e) {
            return false; // not an export's config; the checkpoint reader will say what is wrong with it
        }
    }

    /**
     * An export found on disk: its directory, config.json (read), the .onnx file that config describes, and its
     * quantisation ({@code none}, {@code int8}, or null where the config does not say).
     */
    public record Found(Path dir, BertConfig config, Path file, String quantization) {}

    /**
     * The export at {@code path} (its directory or .onnx file): config.json must be beside it and, where it names its
     * .onnx ({@code bert_ft_onnx.file}), name this one, so that a .onnx never runs with another model's labels and
     * tokenizer.
     */
    public static Found find(Path path) {
        boolean named = Files.isRegularFile(path);
        Path dir = named ? path.toAbsolutePath().getParent() : path;
        Path configFile = dir.resolve("config.json");
        if (!Files.isRegularFile(configFile)) {
            throw new UserError(path + ": no config.json beside it (bert-ft reads the task, labels and max length from"
                    + " the one `bert-ft export` writes)");
        }
        BertConfig config = BertConfig.read(configFile);
        JsonElement o = config.json().get(CONFIG_KEY);
        JsonObject onnx = o != null && o.isJsonObject() ? o.getAsJsonObject() : new JsonObject();
        String described = string(onnx, "file");
        if (described != null && (described.isEmpty() || described.contains("/") || described.contains("\\"))) {
            throw new UserError(configFile + ": " + CONFIG_KEY + ".file '" + described + "' is not a file name; export"
                    + " the model again with `bert-ft export`");
        }
        String name = named ? path.getFileName().toString() : described != null ? described : MODEL_FILE;
        if (described != null && !described.equals(name)) {
            throw new UserError(path + ": the config.json beside it describes " + described + ", another export (its"
                    + " labels and tokenizer are not this model's); export this model again into a directory of its"
                    + " own");
        }
        return new Found(dir, config, named ? path : dir.resolve(name), string(onnx, "quantization"));
    }

    private static String string(JsonObject o, String key) {
        JsonElement e = o.get(key);
        return e != null && e.isJsonPrimitive() ? e.getAsString() : null;
    }

    /**
     * Writes an export: into the directory {@code out} or, when {@code out} ends in .onnx, into that file with
     * config.json and the tokenizer beside it. Only the export's own files are written; anything else in the
     * directory stays, and a file of the export's name that an earlier export of the same .onnx did not write is
     * refused unless {@code overwrite} (see {@link #checkTarget}). {@code config} is the model's config.json with
     * {@link #CONFIG_KEY} (see {@link #describe}); its {@code file} and {@code files} are filled in here.
     *
     * @return the .onnx file written
     */
    public static Path write(Path out, ModelProto model, JsonObject config, BertTokenizer tokenizer, boolean overwrite) {
        Target t = Target.of(out);
        JsonObject onnx = config.getAsJsonObject(CONFIG_KEY);
        onnx.addProperty("file", t.file());
        AtomicFiles.Filler fill = tmp -> {
            Files.write(tmp.resolve(t.file()), model.toByteArray());
            tokenizer.save(tmp);
            List<String> files = new ArrayList<>();
            try (Stream<Path> s = Files.list(tmp)) {
                s.map(p -> p.getFileName().toString()).sorted().forEach(files::add);
            }
            files.add("config.json");
            JsonArray names = new JsonArray();
            files.forEach(names::add);
            onnx.add("files", names); // what a later export into this directory may replace
            if (!overwrite) {
                t.refuseConflicts(files); // again, now with every name the tokenizer wrote
            }
            String json = new GsonBuilder().setPrettyPrinting().disableHtmlEscaping().create().toJson(config) + "\n";
            Files.writeString(tmp.resolve("config.json"), json, StandardCharsets.UTF_8);
        };
        if (Files.isDirectory(t.dir())) {
            AtomicFiles.writeInto(t.dir(), t.file(), "config.json", fill); // beside whatever else the directory holds
        } else {
            AtomicFiles.writeDirectory(t.dir(), fill); // a new directory appears whole or not at all
        }
        return t.named() ? out : t.out().resolve(MODEL_FILE);
    }

    /** Refuses, with one line naming {@code source}, a family whose encoder bert-ft cannot write as ONNX yet. */
    public static void checkExportable(BertConfig c, String source) {
        EncoderGraph.checkExportable(c, source);
    }

    /**
     * Checks an output target before any work is done: refuses an empty {@code --out}, the root, the current
     * directory and {@code modelDir} itself (whatever {@code overwrite} says), and, unless {@code overwrite}, a
     * directory target that is neither new, empty nor an earlier export, a file the export would replace that no
     * earlier bert-ft export of the same .onnx wrote, and a directory that already holds the export of another
     * .onnx (config.json and the tokenizer describe one model: each .onnx gets a directory of its own).
     */
    public static void checkTarget(Path out, Path modelDir, boolean overwrite) {
        Target t = Target.of(out);
        if (t.dir().getParent() == null) {
            throw new UserError("--out " + out + ": " + (t.named() ? "is in" : "is") + " the root directory; name a"
                    + " directory of its own for the export");
        }
        if (!t.named() && same(t.dir(), Path.of("").toAbsolutePath())) {
            throw new UserError("--out " + out + ": is the current directory; name a directory of its own for the"
                    + " export (e.g. onnx), or a .onnx file");
        }
        if (same(t.dir(), modelDir)) {
            throw new UserError("--out " + out + ": " + (t.named() ? "is in" : "is") + " the model's own directory,"
                    + " whose config.json and tokenizer the export would replace; export to another directory (default "
                    + modelDir.resolve("onnx") + ")");
        }
        if (Files.exists(t.dir()) && !Files.isDirectory(t.dir())) {
            throw new UserError("--out " + t.dir() + ": is a file; name a directory or a .onnx file");
        }
        if (!overwrite) {
            t.refuseConflicts(List.of(t.file(), "config.json", "tokenizer.json"));
        }
    }

    /** The directory an export goes to and its .onnx file's name there; {@code named}: --out gave FILE.onnx. */
    private record Target(Path out, Path dir, String file, boolean named) {
        static Target of(Path out) {
            if (out.toString().isEmpty()) {
                throw new UserError("--out: empty value; name a directory or a .onnx file");
            }
            Path abs = out.toAbsolutePath().normalize();
            boolean named = abs.getFileName() != null && abs.getFileName().toString().endsWith(".onnx");
            return new Target(out, named ? abs.getParent() : abs, named ? abs.getFileName().toString() : MODEL_FILE,
                    named);
        }

        /** Refuses when writing {@code names} into the directory would replace what is not this export's. */
        void refuseConflicts(List<String> names) {
            if (!Files.isDirectory(dir)) {
                return;
            }
            JsonObject earlier = exportConfig(dir);
            if (earlier == null) {
                List<String> entries = entries(dir);
                if (!named && !entries.isEmpty()) {
                    throw new UserError("--out " + out + ": is a non-empty directory that is not an ONNX export (holds "
                            + String.join(", ", entries.subList(0, Math.min(3, entries.size())))
                            + (entries.size() > 3 ? ", ..." : "") + "); name a new or empty directory, or add"
                            + " --overwrite to write the export's files into it (nothing else there is touched)");
                }
                refuseExisting(names, Set.of());
                return;
            }
            String earlierFile = earlier.has("file") ? earlier.get("file").getAsString() : MODEL_FILE;
            if (!earlierFile.equals(file) && Files.exists(dir.resolve(earlierFile))) {
                throw new UserError("--out " + out + ": " + dir + " holds the export " + earlierFile + ", whose"
                        + " config.json and tokenizer this export would replace; export to a directory of its own, or"
                        + " to --out " + dir.resolve(earlierFile) + " to replace that export");
            }
            Set<String> own = new java.util.HashSet<>(List.of(earlierFile, "config.json", "tokenizer.json",
                    "tokenizer_config.json", "vocab.txt")); // what exports wrote before they listed their files
            if (earlier.has("files") && earlier.get("files").isJsonArray()) {
                own.clear();
                earlier.getAsJsonArray("files").forEach(f -> own.add(f.getAsString()));
            }
            refuseExisting(names, own);
        }

        private void refuseExisting(List<String> names, Set<String> own) {
            for (String name : names) {
                Path p = dir.resolve(name);
                if (!own.contains(name) && Files.exists(p, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
                    throw new UserError("--out " + out + ": " + p + " exists and is not from a bert-ft export of "
                            + file + "; write into a new or empty directory, or add --overwrite to replace it");
                }
            }
        }
    }

    /** The {@link #CONFIG_KEY} entry of {@code dir}'s config.json, or null when that is not an export's. */
    private static JsonObject exportConfig(Path dir) {
        Path config = dir.resolve("config.json");
        if (!Files.isRegularFile(config)) {
            return null;
        }
        try {
            JsonObject o = JsonParser.parseString(Files.readString(config)).getAsJsonObject();
            return o.has(CONFIG_KEY) && o.get(CONFIG_KEY).isJsonObject() ? o.getAsJsonObject(CONFIG_KEY) : null;
        } catch (IOException | RuntimeException e) {
            return null; // not an export's config
        }
    }

    private static List<String> entries(Path dir) {
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString() + (Files.isDirectory(p) ? "/" : "")).sorted().toList();
        } catch (IOException e) {
            throw new UserError("--out " + dir + ": cannot list: " + e.getMessage());
        }
    }

    /** Whether two paths name one directory (through links where both exist). */
    private static boolean same(Path a, Path b) {
        try {
            return Files.exists(a) && Files.exists(b) ? Files.isSameFile(a, b)
                    : a.toAbsolutePath().normalize().equals(b.toAbsolutePath().normalize());
        } catch (IOException e) {
            return false;
        }
    }

    /**
     * The graph of a task model: the family's encoder, then its classifier head or {@code qa_outputs}; its encoder's
     * {@code last_hidden_state} and {@code sentence_embedding} too, as a base model's.
     */
    public static ModelProto taskGraph(TaskModel model, Function<String, TensorData> w, int opset) {
        BertConfig c = model.encoder().config();
        EncoderGraph.checkExportable(c, c.family().architecture() + model.head().suffix);
        Head head = model.head() == TaskModel.Head.QA ? Head.QA
                : model.head() == TaskModel.Head.TOKEN ? Head.TOKEN : Head.CLASSIFIER;
        Graph g = new Graph(c.family().architecture() + model.head().suffix, opset);
        EncoderGraph.Inputs in = inputs(g, c);
        String hidden = EncoderGraph.lastHiddenState(g, c, model.family().prefix() + ".", w, in);
        if (head == Head.QA) {
            g.scope("/qa_outputs");
            String logits = g.linear(hidden, "qa_outputs", w); // (B, T, H) -> (B, T, 2)
            g.output("start_logits", g.node("Gather", List.of(logits, g.longScalar(0)), Graph.attr("axis", 2L)),
                    Graph.FLOAT, "batch", "sequence");
            g.output("end_logits", g.node("Gather", List.of(logits, g.longScalar(1)), Graph.attr("axis", 2L)),
                    Graph.FLOAT, "batch", "sequence");
        } else if (head == Head.TOKEN) {
            g.scope("/classifier");
            String logits = g.linear(hidden, "classifier", w); // (B, T, H) -> (B, T, C): every position, no pooling
            g.output("logits", logits, Graph.FLOAT, "batch", "sequence", "labels");
        } else {
            g.scope("/classifier");
            String x = switch (model.pooling()) {
                case MEAN -> g.meanPool(hidden, in.attentionMask());
                case SENTENCE -> normalize(g, g.meanPool(hidden, in.attentionMask()));
                default -> g.firstToken(hidden);
            }; // (B, H)
            String dense = model.headDense();
            if (dense != null) {
                x = g.activation(g.linear(x, dense, w), model.headActivation());
            }
            g.output("logits", g.linear(x, model.family().classifier().out, w), Graph.FLOAT, "batch", "labels");
        }
        embeddingOutputs(g, hidden, in.attentionMask()); // so a task model's export embeds as the model does
        return model(g);
    }

    /** The graph of a base model: last_hidden_state and the L2-normalised mean-pooled sentence_embedding. */
    public static ModelProto baseGraph(BertConfig c, Function<String, TensorData> w, int opset) {
        EncoderGraph.checkExportable(c, c.family().baseArchitecture());
        Graph g = new Graph(c.family().baseArchitecture(), opset);
        EncoderGraph.Inputs in = inputs(g, c);
        embeddingOutputs(g, EncoderGraph.lastHiddenState(g, c, "", w, in), in.attentionMask());
        return model(g);
    }

    /**
     * {@code last_hidden_state} (B, T, H) and {@code sentence_embedding} (B, H), the mean over real tokens,
     * L2-normalised, as {@code bert-ft embed} computes it on libtorch.
     */
    private static void embeddingOutputs(Graph g, String hidden, String attentionMask) {
        g.scope("/pooling");
        String pooled = g.meanPool(hidden, attentionMask); // (B, H)
        g.output("last_hidden_state", hidden, Graph.FLOAT, "batch", "sequence", "hidden");
        g.output("sentence_embedding", normalize(g, pooled), Graph.FLOAT, "batch", "hidden");
    }

    /** {@code x / max(||x||, 1e-12)} per row, as {@code Bert.normalize}: (B, H) -> (B, H). */
    private static String normalize(Graph g, String x) {
        String norm = g.node("Max", g.node("ReduceL2", List.of(x), Graph.attrs("axes", 1), Graph.attr("keepdims", 1L)),
                g.scalar(1e-12f)); // (B, 1)
        return g.node("Div", x, norm);
    }

    private static EncoderGraph.Inputs inputs(Graph g, BertConfig c) {
        String ids = g.input("input_ids", Graph.INT64, "batch", "sequence");
        String mask = g.input("attention_mask", Graph.INT64, "batch", "sequence");
        String types = EncoderGraph.hasTokenTypes(c) ? g.input("token_type_ids", Graph.INT64, "batch", "sequence") : null;
        return new EncoderGraph.Inputs(ids, types, mask);
    }

    private static ModelProto model(Graph g) {
        return ModelProto.newBuilder().setIrVersion(IR_VERSION).setProducerName("bert-ft")
                .setProducerVersion(Version.get())
                .addOpsetImport(OperatorSetIdProto.newBuilder().setDomain("").setVersion(g.opset()))
                .setGraph(g.build()).build();
    }

    /** The graph with its MatMul weights and word embeddings in int8 (see {@link Quantizer}). */
    public static ModelProto quantize(ModelProto model) {
        return Quantizer.quantize(model);
    }

    /** The {@link #CONFIG_KEY} entry of an export's config.json: head, opset, quantisation, inputs and outputs. */
    public static JsonObject describe(Head head, ModelProto proto, Options options) {
        JsonObject o = new JsonObject();
        o.addProperty("head", head.key());
        o.addProperty("opset", options.opset());
        o.addProperty("quantization", options.int8() ? "int8" : "none");
        JsonArray inputs = new JsonArray();
        proto.getGraph().getInputList().forEach(i -> inputs.add(i.getName()));
        o.add("inputs", inputs);
        JsonArray outputs = new JsonArray();
        proto.getGraph().getOutputList().forEach(i -> outputs.add(i.getName()));
        o.add("outputs", outputs);
        o.addProperty("bert_ft_version", Version.get());
        return o;
    }

    /**
     * Size and modification time of a model directory's config, weights (an adapter's too) and tokenizer files: when
     * none changed, an export made from it is still up to date.
     */
    public static String fingerprint(Path modelDir) {
        List<String> parts = new ArrayList<>();
        try (Stream<Path> files = Files.list(modelDir)) {
            for (Path f : files.filter(Files::isRegularFile).sorted().toList()) {
                String name = f.getFileName().toString();
                if (name.equals("config.json") || name.startsWith("model") || name.equals("pytorch_model.bin")
                        || name.startsWith("tokenizer") || name.startsWith("vocab") || name.equals("merges.txt")
                        || name.endsWith(".model") || name.startsWith("adapter_") // spm, sentencepiece.bpe; PEFT
                        || name.equals("special_tokens_map.json") || name.equals("added_tokens.json")) {
                    parts.add(name + ":" + Files.size(f) + ":" + Files.getLastModifiedTime(f).toMillis());
                }
            }
        } catch (IOException e) {
            throw new UserError(modelDir + ": cannot list: " + e.getMessage());
        }
        return Sha256.of(String.join("\n", parts).getBytes(StandardCharsets.UTF_8));
    }
}
