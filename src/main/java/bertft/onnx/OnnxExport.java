package bertft.onnx;

import bertft.Sha256;
import bertft.AtomicFiles;
import bertft.UserError;
import bertft.checkpoint.TensorData;
import bertft.cli.BertFt;
import bertft.model.BertConfig;
import bertft.model.TaskModel;
import bertft.onnx.proto.OnnxProto.ModelProto;
import bertft.onnx.proto.OnnxProto.OperatorSetIdProto;
import bertft.text.BertTokenizer;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
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
 * hidden): mean over real tokens, L2-normalised, what {@code bert-ft embed} prints.
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
        CLASSIFIER, QA, BASE;

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
     * Writes an export: into the directory {@code out} (replaced as a whole when it is an earlier export) or, when
     * {@code out} ends in .onnx, into that file with config.json and the tokenizer beside it. {@code config} is the
     * model's config.json with {@link #CONFIG_KEY} (see {@link #describe}); its {@code file} is filled in here.
     *
     * @return the .onnx file written
     */
    public static Path write(Path out, ModelProto model, JsonObject config, BertTokenizer tokenizer) {
        boolean file = out.getFileName().toString().endsWith(".onnx");
        Path dir = file ? out.toAbsolutePath().getParent() : out;
        String name = file ? out.getFileName().toString() : MODEL_FILE;
        checkTarget(dir, name, !file);
        config.getAsJsonObject(CONFIG_KEY).addProperty("file", name);
        String json = new GsonBuilder().setPrettyPrinting().disableHtmlEscaping().create().toJson(config) + "\n";
        AtomicFiles.Filler fill = tmp -> {
            Files.write(tmp.resolve(name), model.toByteArray());
            tokenizer.save(tmp);
            Files.writeString(tmp.resolve("config.json"), json, StandardCharsets.UTF_8);
        };
        if (file) {
            AtomicFiles.writeInto(dir, name, "config.json", fill); // beside whatever else the directory holds
        } else {
            AtomicFiles.writeDirectory(dir, fill);
        }
        return file ? out : dir.resolve(MODEL_FILE);
    }

    /** Refuses, with one line naming {@code source}, a family whose encoder bert-ft cannot write as ONNX yet. */
    public static void checkExportable(BertConfig c, String source) {
        EncoderGraph.checkExportable(c, source);
    }

    /** Checks an output target before any work is done (see {@link #write}). */
    public static void checkTarget(Path out) {
        boolean file = out.getFileName().toString().endsWith(".onnx");
        checkTarget(file ? out.toAbsolutePath().getParent() : out, file ? out.getFileName().toString() : MODEL_FILE,
                !file);
    }

    /** The graph of a task model: the family's encoder, then its classifier head or {@code qa_outputs}. */
    public static ModelProto taskGraph(TaskModel model, Function<String, TensorData> w, int opset) {
        BertConfig c = model.encoder().config();
        EncoderGraph.checkExportable(c, c.family().architecture() + model.head().suffix);
        Head head = model.head() == TaskModel.Head.QA ? Head.QA : Head.CLASSIFIER;
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
        } else {
            g.scope("/classifier");
            String x = model.pooling() == TaskModel.Pooling.MEAN ? g.meanPool(hidden, in.attentionMask())
                    : g.firstToken(hidden); // (B, H)
            String dense = model.headDense();
            if (dense != null) {
                x = g.activation(g.linear(x, dense, w), model.headActivation());
            }
            g.output("logits", g.linear(x, model.family().classifier().out, w), Graph.FLOAT, "batch", "labels");
        }
        return model(g);
    }

    /** The graph of a base model: last_hidden_state and the L2-normalised mean-pooled sentence_embedding. */
    public static ModelProto baseGraph(BertConfig c, Function<String, TensorData> w, int opset) {
        EncoderGraph.checkExportable(c, c.family().baseArchitecture());
        Graph g = new Graph(c.family().baseArchitecture(), opset);
        EncoderGraph.Inputs in = inputs(g, c);
        String hidden = EncoderGraph.lastHiddenState(g, c, "", w, in);
        g.scope("/pooling");
        String pooled = g.meanPool(hidden, in.attentionMask()); // (B, H)
        String norm = g.node("Max", g.node("ReduceL2", List.of(pooled), Graph.attrs("axes", 1), Graph.attr("keepdims", 1L)),
                g.scalar(1e-12f)); // (B, 1)
        g.output("last_hidden_state", hidden, Graph.FLOAT, "batch", "sequence", "hidden");
        g.output("sentence_embedding", g.node("Div", pooled, norm), Graph.FLOAT, "batch", "hidden");
        return model(g);
    }

    private static EncoderGraph.Inputs inputs(Graph g, BertConfig c) {
        String ids = g.input("input_ids", Graph.INT64, "batch", "sequence");
        String mask = g.input("attention_mask", Graph.INT64, "batch", "sequence");
        String types = EncoderGraph.hasTokenTypes(c) ? g.input("token_type_ids", Graph.INT64, "batch", "sequence") : null;
        return new EncoderGraph.Inputs(ids, types, mask);
    }

    private static ModelProto model(Graph g) {
        return ModelProto.newBuilder().setIrVersion(IR_VERSION).setProducerName("bert-ft")
                .setProducerVersion(BertFt.version())
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
        o.addProperty("bert_ft_version", BertFt.version());
        return o;
    }

    /**
     * Size and modification time of a model directory's config, weights and tokenizer files: when none changed, an
     * export made from it is still up to date.
     */
    public static String fingerprint(Path modelDir) {
        List<String> parts = new ArrayList<>();
        try (Stream<Path> files = Files.list(modelDir)) {
            for (Path f : files.filter(Files::isRegularFile).sorted().toList()) {
                String name = f.getFileName().toString();
                if (name.equals("config.json") || name.startsWith("model") || name.equals("pytorch_model.bin")
                        || name.startsWith("tokenizer") || name.startsWith("vocab") || name.equals("merges.txt")
                        || name.equals("spm.model")) {
                    parts.add(name + ":" + Files.size(f) + ":" + Files.getLastModifiedTime(f).toMillis());
                }
            }
        } catch (IOException e) {
            throw new UserError(modelDir + ": cannot list: " + e.getMessage());
        }
        return Sha256.of(String.join("\n", parts).getBytes(StandardCharsets.UTF_8));
    }

    /**
     * Refuses to write over what is not an earlier export: a directory target must be missing, empty or an export; a
     * file target's directory must not hold a config.json or tokenizer.json of something else.
     */
    private static void checkTarget(Path dir, String modelFile, boolean replaceDir) {
        if (dir == null) {
            throw new UserError("--out: name a directory or a .onnx file");
        }
        if (!Files.exists(dir)) {
            return;
        }
        if (!Files.isDirectory(dir)) {
            throw new UserError("--out " + dir + ": is a file; name a directory or a .onnx file");
        }
        if (isExport(dir)) {
            return;
        }
        if (replaceDir) {
            try (Stream<Path> s = Files.list(dir)) {
                if (s.findAny().isPresent()) {
                    throw new UserError("--out " + dir + ": is a non-empty directory that is not an ONNX export;"
                            + " name a new or empty directory");
                }
            } catch (IOException e) {
                throw new UserError("--out " + dir + ": cannot list: " + e.getMessage());
            }
            return;
        }
        for (String f : List.of("config.json", "tokenizer.json")) {
            if (Files.exists(dir.resolve(f))) {
                throw new UserError("--out " + dir.resolve(modelFile) + ": " + dir.resolve(f) + " exists and is not from"
                        + " an ONNX export; write into a new or empty directory");
            }
        }
    }
}
