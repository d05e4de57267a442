package bertft.run;

import bertft.Sha256;
import bertft.UserError;
import bertft.Version;
import bertft.checkpoint.TensorData;
import bertft.infer.InferenceRuntime;
import bertft.model.Bert;
import bertft.model.BertConfig;
import bertft.model.Checkpoint;
import bertft.model.Encoder;
import bertft.model.ModelStore;
import bertft.model.TaskModel;
import bertft.onnx.OnnxExport;
import bertft.onnx.proto.OnnxProto.ModelProto;
import bertft.text.BertTokenizer;
import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.function.Function;

/**
 * {@code bert-ft export --format onnx}: a run or HuggingFace checkpoint directory to an ONNX export (see
 * {@link OnnxExport}); a task checkpoint gives its head's graph, a base model {@code last_hidden_state} and
 * {@code sentence_embedding}. Also the exports made on the fly for {@code --runtime onnx|onnx-int8}, cached.
 */
public final class ModelExport {
    private ModelExport() {}

    /** Exports {@code modelDir} to {@code out} (a directory, or a .onnx file); returns the .onnx file written. */
    public static Path export(Path modelDir, Path out, OnnxExport.Options options) {
        return export(modelDir, out, options, false);
    }

    /**
     * As {@link #export(Path, Path, OnnxExport.Options)}; {@code overwrite} lets the export's files replace files of
     * the same names that no earlier export wrote (see {@link OnnxExport#checkTarget}).
     */
    public static Path export(Path modelDir, Path out, OnnxExport.Options options, boolean overwrite) {
        if (OnnxExport.isExport(modelDir)) {
            throw new UserError(modelDir + ": is already an ONNX export; export from the run or checkpoint directory"
                    + " it was made from");
        }
        OnnxExport.checkTarget(out, modelDir, overwrite);
        Checkpoint ckpt = Checkpoint.read(modelDir);
        OnnxExport.checkExportable(ckpt.config(), modelDir.toString());
        boolean task = TaskModel.hasHead(ckpt, TaskModel.Head.CLASSIFIER) || TaskModel.hasHead(ckpt, TaskModel.Head.QA)
                || TaskModel.hasHead(ckpt, TaskModel.Head.TOKEN);
        return task ? task(modelDir, out, options, overwrite) : base(modelDir, ckpt, out, options, overwrite);
    }

    private static Path task(Path modelDir, Path out, OnnxExport.Options options, boolean overwrite) {
        try (TrainedModel m = TrainedModel.load(modelDir, bertft.infer.InferenceRuntime.TORCH)) {
            TaskModel model = m.model();
            Map<String, ai.djl.ndarray.NDArray> params = model.params();
            ModelProto proto = OnnxExport.taskGraph(model, name -> Bert.toTensorData(params.get(name)),
                    options.opset());
            // the config a run saves, with what the model was trained for resolved (Hub models included)
            JsonObject config = model.checkpoint(Reports.configExtra(m.spec(null, Map.of()), m.labels())).config()
                    .toJson();
            config.remove("auto_map"); // an export has no modeling_bertft.py (nor HuggingFace weights) beside it
            OnnxExport.Head head = model.head() == TaskModel.Head.QA ? OnnxExport.Head.QA
                    : model.head() == TaskModel.Head.TOKEN ? OnnxExport.Head.TOKEN : OnnxExport.Head.CLASSIFIER;
            return write(modelDir, out, head, proto, config, options, m.tokenizer(), overwrite);
        }
    }

    private static Path base(Path modelDir, Checkpoint ckpt, Path out, OnnxExport.Options options,
            boolean overwrite) {
        BertConfig c = ckpt.config();
        Map<String, TensorData> tensors;
        try (Encoder e = c.family().encoder().build(c, ckpt.encoder(), modelDir.toString())) {
            tensors = e.tensors(); // as the Java model holds them: shapes checked, DistilBERT's sinusoids filled in
        }
        Function<String, TensorData> w = tensors::get;
        ModelProto proto = OnnxExport.baseGraph(c, w, options.opset());
        JsonObject config = c.toJson();
        JsonArray arch = new JsonArray();
        arch.add(c.family().baseArchitecture());
        config.add("architectures", arch);
        JsonObject task = new JsonObject();
        task.addProperty("task", "embed");
        task.addProperty("max_length", c.maxTokens());
        config.add("bert_ft_task", task);
        config.addProperty("bert_ft_pooling", "mean");
        try (BertTokenizer tok = BertTokenizer.load(modelDir, c.maxTokens())) {
            return write(modelDir, out, OnnxExport.Head.BASE, proto, config, options, tok, overwrite);
        }
    }

    private static Path write(Path modelDir, Path out, OnnxExport.Head head, ModelProto proto, JsonObject config,
            OnnxExport.Options options, BertTokenizer tok, boolean overwrite) {
        JsonObject onnx = OnnxExport.describe(head, proto, options);
        onnx.add("source", source(modelDir));
        config.add(OnnxExport.CONFIG_KEY, onnx);
        return OnnxExport.write(out, options.int8() ? OnnxExport.quantize(proto) : proto, config, tok, overwrite);
    }

    /** Where an export came from: the directory, and the fingerprint that says whether it changed since. */
    private static JsonObject source(Path modelDir) {
        JsonObject o = new JsonObject();
        o.addProperty("path", modelDir.toAbsolutePath().normalize().toString());
        o.addProperty("fingerprint", OnnxExport.fingerprint(modelDir));
        Path weights = modelDir.resolve("model.safetensors");
        if (Files.isRegularFile(weights)) {
            try {
                o.addProperty("model_safetensors_sha256", Sha256.of(weights));
            } catch (IOException e) {
                throw new UserError(weights + ": cannot read: " + e.getMessage());
            }
        }
        return o;
    }

    /**
     * The directory or file a model runs from on {@code runtime}: an ONNX runtime's cached export of a checkpoint
     * (see {@link #cached}), else {@code model} itself (null: the model's own runtime). An export refuses torch.
     */
    public static Path forRuntime(Path model, InferenceRuntime runtime, PrintWriter err) {
        if (OnnxExport.isExport(model)) {
            if (runtime == InferenceRuntime.TORCH) {
                throw new UserError(model + ": is an ONNX export; the torch runtime needs the run or checkpoint directory"
                        + " it was exported from");
            }
            String quantization = runtime == null ? null : OnnxExport.find(model).quantization();
            if (quantization != null && quantization.equals("int8") != (runtime == InferenceRuntime.ONNX_INT8)) {
                // an export is one precision: running it under the other's name would report the wrong runtime
                throw new UserError(quantization.equals("int8")
                        ? model + ": is an int8 ONNX export; pass --runtime onnx-int8 (or leave --runtime out), or"
                                + " run an fp32 export (`bert-ft export` without --quantize)"
                        : model + ": is an fp32 ONNX export; pass --runtime onnx (or leave --runtime out), or run an"
                                + " int8 export (`bert-ft export RUN --quantize int8`)");
            }
            return model;
        }
        if (runtime == InferenceRuntime.ONNX || runtime == InferenceRuntime.ONNX_INT8) {
            return cached(model, runtime == InferenceRuntime.ONNX_INT8, err);
        }
        return model;
    }

    /**
     * Where {@code --runtime onnx|onnx-int8} caches the export of {@code modelDir}: {@code <model>/onnx} (or
     * {@code onnx-int8}) beside a run or checkpoint, under {@code $BERT_FT_HOME/onnx/} for a Hub model (HuggingFace's
     * cache stays as huggingface_hub wrote it).
     */
    public static Path cacheLocation(Path modelDir, boolean int8) {
        String name = int8 ? "onnx-int8" : "onnx";
        Path abs = modelDir.toAbsolutePath().normalize();
        Path parent = abs.getParent();
        if (parent != null && parent.getFileName() != null && parent.getFileName().toString().equals("snapshots")
                && parent.getParent() != null) {
            // models--org--name/snapshots/<commit>
            return ModelStore.home().resolve("onnx").resolve(parent.getParent().getFileName() + "--"
                    + abs.getFileName() + "--" + name);
        }
        return abs.resolve(name);
    }

    /**
     * The cached export of {@code modelDir}, made now (and said on {@code err}) unless one exists whose source files
     * kept their size and modification time, from this bert-ft version.
     */
    public static Path cached(Path modelDir, boolean int8, PrintWriter err) {
        Path dir = cacheLocation(modelDir, int8);
        if (upToDate(dir, modelDir, int8)) {
            return dir;
        }
        err.println("bert-ft: exporting " + modelDir + " to ONNX" + (int8 ? " (int8)" : "") + " -> " + dir);
        err.flush();
        export(modelDir, dir, new OnnxExport.Options(OnnxExport.DEFAULT_OPSET, int8));
        return dir;
    }

    private static boolean upToDate(Path dir, Path modelDir, boolean int8) {
        Path config = dir.resolve("config.json");
        if (!Files.isRegularFile(config)) {
            return false;
        }
        try {
            JsonObject onnx = JsonParser.parseString(Files.readString(config)).getAsJsonObject()
                    .getAsJsonObject(OnnxExport.CONFIG_KEY);
            return onnx.get("quantization").getAsString().equals(int8 ? "int8" : "none")
                    && onnx.get("bert_ft_version").getAsString().equals(Version.get())
                    && onnx.getAsJsonObject("source").get("fingerprint").getAsString()
                            .equals(OnnxExport.fingerprint(modelDir))
                    && onnx.getAsJsonArray("outputs").contains(new com.google.gson.JsonPrimitive("sentence_embedding"))
                    && Files.isRegularFile(dir.resolve(onnx.get("file").getAsString()));
        } catch (IOException | RuntimeException e) {
            return false; // unreadable or another version's: export again
        }
    }
}
