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
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.function.Function;

/**
 * {@code bert-ft export --format onnx}: a run or HuggingFace checkpoint directory to an ONNX export (see
 * {@link OnnxExport}); a task checkpoint gives its head's graph, a base model {@code last_hidden_state} and
 * {@code sentence_embedding}. Also the exports the onnx
 * runtimes run, cached in {@link ExportCache}.
 */
public final class ModelExport {
    /** Auto's exports quicker than this are not said (see {@link ExportCache#getOrExport}). */
    static final double AUTO_QUIET_SECONDS = 1.0;

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
        boolean task = bertft.model.CheckpointTask.of(ckpt, modelDir).isPresent(); // as loading it reads it
        return task ? task(modelDir, out, options, overwrite) : base(modelDir, ckpt, out, options, overwrite);
    }

    private static Path task(Path modelDir, Path out, OnnxExport.Options options, boolean overwrite) {
        try (TrainedModel m = TrainedModel.load(modelDir, bertft.infer.InferenceRuntime.TORCH)) {
            return task(m, modelDir, out, options, overwrite);
        }
    }

    /** The export of {@code m}, a task model loaded on libtorch from {@code modelDir}, to {@code out}. */
    static Path task(TrainedModel m, Path modelDir, Path out, OnnxExport.Options options, boolean overwrite) {
        TaskModel model = m.model();
        Map<String, ai.djl.ndarray.NDArray> params = model.params();
        ModelProto proto = OnnxExport.taskGraph(model, name -> Bert.toTensorData(params.get(name)), options.opset());
        // the config a run saves, with what the model was trained for resolved (Hub models included)
        JsonObject config = model.checkpoint(Reports.configExtra(m.spec(null, Map.of()), m.labels())).config()
                .toJson();
        config.remove("auto_map"); // an export has no modeling_bertft.py (nor HuggingFace weights) beside it
        OnnxExport.Head head = model.head() == TaskModel.Head.QA ? OnnxExport.Head.QA
                : model.head() == TaskModel.Head.TOKEN ? OnnxExport.Head.TOKEN : OnnxExport.Head.CLASSIFIER;
        return write(modelDir, out, head, proto, config, options, m.tokenizer(), overwrite);
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
     * Checks that an ONNX export may run on {@code runtime}: torch is refused (it needs the checkpoint), and onnx or
     * onnx-int8 must name the export's precision; auto (or null) runs it as it is.
     */
    public static void checkExportRuntime(Path export, InferenceRuntime runtime) {
        if (runtime == InferenceRuntime.TORCH) {
            throw new UserError(export + ": is an ONNX export; the torch runtime needs the run or checkpoint directory"
                    + " it was exported from");
        }
        String quantization = runtime == null || !runtime.onnx() ? null : OnnxExport.find(export).quantization();
        if (quantization != null && quantization.equals("int8") != (runtime == InferenceRuntime.ONNX_INT8)) {
            // an export is one precision: running it under the other's name would report the wrong runtime
            throw new UserError(quantization.equals("int8")
                    ? export + ": is an int8 ONNX export; pass --runtime onnx-int8 (or leave --runtime out), or"
                            + " run an fp32 export (`bert-ft export` without --quantize)"
                    : export + ": is an fp32 ONNX export; pass --runtime onnx (or leave --runtime out), or run an"
                            + " int8 export (`bert-ft export RUN --quantize int8`)");
        }
    }

    /**
     * The directory or file a model runs from on {@code runtime}: for onnx, onnx-int8 and auto, a checkpoint's
     * cached export (see {@link ExportCache}; auto falls back to {@code model} itself, said on {@code err}, when the
     * export cannot be made); else {@code model} (null: the model's own runtime). An export refuses torch.
     */
    public static Path forRuntime(Path model, InferenceRuntime runtime, PrintWriter err) {
        if (OnnxExport.isExport(model)) {
            checkExportRuntime(model, runtime);
            return model;
        }
        if (runtime == null || runtime == InferenceRuntime.TORCH) {
            return model;
        }
        try {
            return cached(model, null, runtime, err,
                    tmp -> export(model, tmp, new OnnxExport.Options(OnnxExport.DEFAULT_OPSET, int8(runtime))));
        } catch (RuntimeException e) {
            if (runtime != InferenceRuntime.AUTO) {
                throw e;
            }
            fallback(model, e, err);
            return model;
        }
    }

    /**
     * An embedder over {@code model} on {@code runtime}, as {@link TrainedModel#load(Path, InferenceRuntime,
     * PrintWriter, Path)} chooses: a first use reads the checkpoint on libtorch (its errors are libtorch's), then
     * exports it to the cache; auto stays on libtorch, said on {@code log}, when the export fails.
     */
    public static bertft.infer.Embedder embedder(Path model, InferenceRuntime runtime, int maxLength, int batchSize,
            PrintWriter log) {
        if (OnnxExport.isExport(model)) {
            checkExportRuntime(model, runtime);
            return new bertft.infer.Embedder(model, maxLength, batchSize);
        }
        if (runtime == null || runtime == InferenceRuntime.TORCH) {
            return new bertft.infer.Embedder(model, maxLength, batchSize);
        }
        Path location;
        try {
            location = ExportCache.location(model, null, int8(runtime));
        } catch (RuntimeException e) {
            return notExported(new bertft.infer.Embedder(model, maxLength, batchSize), model, runtime, e, log);
        }
        Path cached = ExportCache.existing(location);
        if (cached == null) {
            bertft.infer.Embedder torch = new bertft.infer.Embedder(model, maxLength, batchSize);
            try {
                cached = cached(model, null, runtime, log, tmp -> export(model, tmp,
                        new OnnxExport.Options(OnnxExport.DEFAULT_OPSET, int8(runtime))));
            } catch (RuntimeException e) {
                return notExported(torch, model, runtime, e, log);
            }
            torch.close();
        }
        return new bertft.infer.Embedder(cached, maxLength, batchSize);
    }

    private static bertft.infer.Embedder notExported(bertft.infer.Embedder torch, Path model,
            InferenceRuntime runtime, RuntimeException e, PrintWriter log) {
        if (runtime != InferenceRuntime.AUTO) {
            torch.close();
            throw e;
        }
        fallback(model, e, log);
        return torch;
    }

    /**
     * {@code model}'s export for {@code runtime} (auto: fp32) from the cache, made by {@code export} when missing and
     * said on {@code log} with the time it took.
     */
    static Path cached(Path model, Path base, InferenceRuntime runtime, PrintWriter log,
            java.util.function.Consumer<Path> export) {
        boolean int8 = int8(runtime);
        // auto was not asked for by name: its export is said only when it took long enough to notice
        return ExportCache.getOrExport(ExportCache.location(model, base, int8), model + " to ONNX"
                + (int8 ? " (int8)" : "") + " for the " + runtime.spelling() + " runtime", log,
                runtime == InferenceRuntime.AUTO ? AUTO_QUIET_SECONDS : 0, export);
    }

    static boolean int8(InferenceRuntime runtime) {
        return runtime == InferenceRuntime.ONNX_INT8;
    }

    /** The one line auto says when a model it would run on ONNX Runtime runs on libtorch instead. */
    static void fallback(Path model, RuntimeException why, PrintWriter log) {
        String reason = why instanceof UserError ? why.getMessage() : why.toString();
        log.println("bert-ft: " + model + " runs on libtorch, not ONNX Runtime: " + reason
                + " (--runtime torch says so and skips the export)");
        log.flush();
    }

    /**
     * Where {@code bert-ft export} writes by default: {@code <model>/onnx} (or {@code onnx-int8}) beside a run or
     * checkpoint, under {@code $BERT_FT_HOME/onnx/} for a Hub model (HuggingFace's cache stays as huggingface_hub
     * wrote it). The runtimes never read it: their exports are in {@link ExportCache}.
     */
    public static Path defaultOut(Path modelDir, boolean int8) {
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
}
