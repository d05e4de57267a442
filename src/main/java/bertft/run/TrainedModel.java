package bertft.run;

import bertft.UserError;
import bertft.infer.Forward;
import bertft.infer.InferenceRuntime;
import bertft.model.AdapterDir;
import bertft.model.BertConfig;
import bertft.model.Checkpoint;
import bertft.model.CheckpointTask;
import bertft.model.Encoder;
import bertft.model.Peft;
import bertft.model.TaskModel;
import bertft.onnx.OnnxExport;
import bertft.onnx.OnnxModel;
import bertft.task.TaskFiles;
import bertft.task.TaskSpec;
import bertft.text.BertTokenizer;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A fine-tuned model directory with what its config says about the task: kind, labels, max length, head. A
 * bert-ft run says it in {@code bert_ft_task}; a HuggingFace task model through its head, {@code problem_type},
 * {@code id2label} and tokenizer_config.json.
 *
 * <p>The model runs on libtorch ({@link #model()}) or, for an ONNX export ({@code bert-ft export}) or with
 * {@link InferenceRuntime#AUTO} or {@link InferenceRuntime#ONNX}, on ONNX Runtime over the export cached in
 * {@link ExportCache}; {@link #forward()} is the same pass on either.
 */
public final class TrainedModel implements AutoCloseable {
    private final Path dir;
    private final TaskModel model;
    private final OnnxModel onnx;
    private final BertTokenizer tokenizer;
    private final TaskSpec.Kind kind;
    private final List<String> labels;
    private final JsonObject task;
    private final int maxLength;
    private final String modelType;
    private final boolean run;
    private final String runtime;

    private TrainedModel(Path dir, TaskModel model, OnnxModel onnx, BertTokenizer tokenizer, TaskSpec.Kind kind,
            List<String> labels, JsonObject task, int maxLength, String modelType, boolean run, String runtime) {
        this.run = run;
        this.runtime = runtime;
        this.maxLength = maxLength;
        this.modelType = modelType;
        this.dir = dir;
        this.model = model;
        this.onnx = onnx;
        this.tokenizer = tokenizer;
        this.kind = kind;
        this.labels = labels;
        this.task = task;
    }

    /**
     * Loads a bert-ft run directory or any HuggingFace task checkpoint ({@code *ForSequenceClassification},
     * {@code *ForQuestionAnswering}) on libtorch, or an ONNX export (directory or .onnx file) on ONNX Runtime; a
     * checkpoint without a task head is refused.
     */
    public static TrainedModel load(Path dir) {
        return load(dir, null, null);
    }

    /** As {@link #load(Path)} on the given runtime (an ONNX runtime exports a checkpoint first, see {@link ModelExport}). */
    public static TrainedModel load(Path dir, InferenceRuntime runtime) {
        return load(dir, runtime, new java.io.PrintWriter(System.err, true));
    }

    /**
     * As {@link #load(Path)} on {@code runtime} (null: libtorch for a checkpoint, ONNX Runtime for an export); an
     * on-the-fly export is said on {@code err}.
     */
    public static TrainedModel load(Path dir, InferenceRuntime runtime, java.io.PrintWriter err) {
        return load(dir, runtime, err, null);
    }

    /**
     * As {@link #load(Path, InferenceRuntime, java.io.PrintWriter)}; a PEFT adapter directory is loaded on
     * {@code base} (null: the base its adapter_config.json names), the adapter merged in.
     */
    public static TrainedModel load(Path dir, InferenceRuntime runtime, java.io.PrintWriter err, Path base) {
        if (OnnxExport.isExport(dir)) {
            ModelExport.checkExportRuntime(dir, runtime);
            return loadOnnx(dir, null, null);
        }
        if (runtime == null || runtime == InferenceRuntime.TORCH) {
            return loadTorch(dir, base);
        }
        Path location;
        try {
            location = ExportCache.location(dir, base, ModelExport.int8(runtime));
        } catch (RuntimeException e) {
            return notExported(loadTorch(dir, base), runtime, e, err); // loading says what is wrong with the model
        }
        Path cached = ExportCache.existing(location);
        if (cached == null) {
            // a first use: the model is read on libtorch (its errors are libtorch's) and exported from memory
            TrainedModel torch = loadTorch(dir, base);
            try {
                cached = ModelExport.cached(dir, base, runtime, err, tmp -> ModelExport.task(torch, dir, tmp,
                        new OnnxExport.Options(OnnxExport.DEFAULT_OPSET, ModelExport.int8(runtime)), false));
            } catch (RuntimeException e) {
                return notExported(torch, runtime, e, err);
            }
            torch.close();
        }
        return loadOnnx(cached, dir, base);
    }

    /** Auto runs {@code torch} when the export failed (said on {@code err}); onnx and onnx-int8 fail with it. */
    private static TrainedModel notExported(TrainedModel torch, InferenceRuntime runtime, RuntimeException e,
            java.io.PrintWriter err) {
        if (runtime != InferenceRuntime.AUTO) {
            torch.close();
            throw e;
        }
        ModelExport.fallback(torch.dir(), e, err);
        return torch;
    }

    private static TrainedModel loadTorch(Path dir, Path base) {
        Checkpoint ckpt = Checkpoint.read(dir, base);
        JsonObject cfg = ckpt.config().json();
        JsonObject task = cfg.has("bert_ft_task") ? cfg.getAsJsonObject("bert_ft_task") : new JsonObject();
        TaskSpec.Kind kind = kind(cfg, ckpt, dir);
        TaskModel.Head head = kind == TaskSpec.Kind.QA ? TaskModel.Head.QA
                : kind == TaskSpec.Kind.TOKEN_CLASSIFICATION ? TaskModel.Head.TOKEN : TaskModel.Head.CLASSIFIER;
        TaskModel model = TaskModel.load(ckpt, head, dir.toString());
        try {
            List<String> labels = kind == TaskSpec.Kind.QA ? List.of() : labels(cfg, model, dir);
            int maxLength = task.has("max_length") ? task.get("max_length").getAsInt() : hubMaxLength(dir, ckpt, kind);
            // an adapter made in Python has no tokenizer of its own: its base's is the one
            Path tokDir = AdapterDir.is(dir) && !Files.exists(dir.resolve("tokenizer.json"))
                    && !Files.exists(dir.resolve("vocab.txt")) ? AdapterDir.baseDir(dir, base) : dir;
            BertTokenizer tok = BertTokenizer.load(tokDir, Math.min(maxLength, ckpt.config().maxTokens()),
                    ckpt.config().vocabSize());
            return new TrainedModel(dir, model, null, tok, kind, labels, task, maxLength, ckpt.config().modelType(),
                    task.has("task"), "torch");
        } catch (RuntimeException e) {
            model.close();
            throw e;
        }
    }

    /**
     * A PEFT adapter directory's model on a base {@code encoder} that other adapters share (the adapter applied on
     * each pass, never merged): the adapter read against {@code base} (one that was made for another base is
     * refused in one line), its head, task, labels and tokenizer ({@code tokenizers} gets the directory holding it,
     * the adapter's or else the base's, and the max length, and hands back one this model may close). Closing it
     * leaves the encoder open.
     */
    public static TrainedModel sharing(Path dir, Checkpoint base, Path baseDir, Encoder encoder,
            java.util.function.BiFunction<Path, Integer, BertTokenizer> tokenizers) {
        if (!AdapterDir.is(dir)) {
            throw new UserError(dir + ": not a PEFT adapter directory (no " + AdapterDir.CONFIG + ")");
        }
        AdapterDir.Adapter a = AdapterDir.read(dir, base, baseDir.toString());
        Checkpoint ckpt = AdapterDir.withHead(base, a, dir);
        JsonObject cfg = ckpt.config().json();
        JsonObject task = cfg.has("bert_ft_task") ? cfg.getAsJsonObject("bert_ft_task") : new JsonObject();
        TaskSpec.Kind kind = kind(cfg, ckpt, dir);
        TaskModel.Head head = kind == TaskSpec.Kind.QA ? TaskModel.Head.QA
                : kind == TaskSpec.Kind.TOKEN_CLASSIFICATION ? TaskModel.Head.TOKEN : TaskModel.Head.CLASSIFIER;
        Peft peft = Peft.load(a.config(), base.config(), a.adapter(), dir.toString());
        TaskModel model;
        try {
            model = TaskModel.sharing(encoder, ckpt, a.encoder(), head, peft, dir.toString());
        } catch (RuntimeException e) {
            peft.close();
            throw e;
        }
        try {
            List<String> labels = kind == TaskSpec.Kind.QA ? List.of() : labels(cfg, model, dir);
            int maxLength = task.has("max_length") ? task.get("max_length").getAsInt() : hubMaxLength(dir, ckpt, kind);
            Path tokDir = Files.exists(dir.resolve("tokenizer.json")) || Files.exists(dir.resolve("vocab.txt")) ? dir
                    : baseDir;
            BertTokenizer tok = tokenizers.apply(tokDir, Math.min(maxLength, ckpt.config().maxTokens()));
            return new TrainedModel(dir, model, null, tok, kind, labels, task, maxLength, ckpt.config().modelType(),
                    task.has("task"), "torch");
        } catch (RuntimeException e) {
            model.close();
            throw e;
        }
    }

    /**
     * An ONNX export on ONNX Runtime: the .onnx file (or the directory's), with the task, labels and max length of
     * the config.json beside it; {@code source}: the checkpoint a cached export was made from (what the model is
     * called and whether it is a run), null for an export given directly.
     */
    private static TrainedModel loadOnnx(Path path, Path source, Path base) {
        OnnxExport.Found export = OnnxExport.find(path);
        Path dir = export.dir();
        Path configFile = dir.resolve("config.json");
        BertConfig config = export.config();
        JsonObject cfg = config.json();
        JsonObject task = cfg.has("bert_ft_task") ? cfg.getAsJsonObject("bert_ft_task") : new JsonObject();
        if (!task.has("task") || !task.has("max_length")) {
            throw new UserError(configFile + ": has no bert_ft_task (task, max_length); export the model with"
                    + " `bert-ft export`");
        }
        // an export has no weights to look at: its config says
        TaskSpec.Kind kind = CheckpointTask.of(config, Map::of, configFile.toString()).orElse(null);
        if (kind == null && source != null) {
            return loadTorch(source, base); // a checkpoint without a task head: libtorch says what it lacks
        }
        if (kind == null) {
            throw new UserError(path + ": is a base-model export (last_hidden_state, sentence_embedding), it has no task"
                    + " head; use it with `bert-ft embed`");
        }
        Path file = export.file();
        List<String> outputs = kind == TaskSpec.Kind.QA ? List.of("start_logits", "end_logits") : List.of("logits");
        OnnxModel onnx = OnnxModel.open(file, outputs);
        try {
            List<String> labels = List.of();
            if (kind != TaskSpec.Kind.QA) {
                long n = onnx.lastDim("logits");
                JsonObject id2label = cfg.has("id2label") ? cfg.getAsJsonObject("id2label") : new JsonObject();
                labels = labels(cfg, (int) (n > 0 ? n : Math.max(1, id2label.size())), dir);
            }
            int maxLength = task.get("max_length").getAsInt();
            // as on libtorch: a token id past the embedding table is refused now, not a Gather error mid-batch
            BertTokenizer tok = BertTokenizer.load(dir, Math.min(maxLength, config.maxTokens()), config.vocabSize());
            String runtime = "int8".equals(export.quantization()) ? "onnx-int8" : "onnx";
            return source == null
                    ? new TrainedModel(dir, null, onnx, tok, kind, labels, task, maxLength, config.modelType(), true,
                            runtime)
                    : new TrainedModel(source, null, onnx, tok, kind, labels, task, maxLength, config.modelType(),
                            isRun(source), runtime);
        } catch (RuntimeException e) {
            onnx.close();
            throw e;
        }
    }

    /** Label names by id from id2label ({@code LABEL_i} where it has none, as HuggingFace names them). */
    private static List<String> labels(JsonObject cfg, TaskModel model, Path dir) {
        return labels(cfg, (int) model.params().get(TaskModel.outputLayer(model.family(), model.head()) + ".weight")
                .getShape().get(0), dir);
    }

    private static List<String> labels(JsonObject cfg, int outputs, Path dir) {
        JsonObject id2label = cfg.has("id2label") ? cfg.getAsJsonObject("id2label") : new JsonObject();
        List<String> labels = new ArrayList<>();
        for (int i = 0; i < outputs; i++) {
            JsonElement l = id2label.get(Integer.toString(i));
            if (l == null && id2label.size() > 0) {
                throw new UserError(dir + "/config.json: id2label has no entry for id " + i);
            }
            labels.add(l == null ? "LABEL_" + i : l.getAsString());
        }
        return labels;
    }

    /** HuggingFace's question-answering pipeline defaults, used for Hub models that have no task.yaml. */
    public static final int QA_MAX_LENGTH = 384;

    /**
     * The max length of a model without a bert-ft task: tokenizer_config.json's {@code model_max_length} (else the
     * position embeddings' limit), at most {@link #QA_MAX_LENGTH} for QA.
     */
    static int hubMaxLength(Path dir, Checkpoint ckpt, TaskSpec.Kind kind) {
        int max = ckpt.config().maxTokens();
        Path tc = dir.resolve("tokenizer_config.json");
        if (Files.exists(tc)) {
            JsonElement m = bertft.TextFiles.readJsonObject(tc, bertft.TextFiles.MODEL_FILE, "a tokenizer_config.json")
                    .get("model_max_length");
            if (m != null && m.isJsonPrimitive() && m.getAsJsonPrimitive().isNumber() && m.getAsDouble() >= 4) {
                max = (int) Math.min(max, m.getAsDouble());
            }
        }
        return kind == TaskSpec.Kind.QA ? Math.min(max, QA_MAX_LENGTH) : max;
    }

    /** The checkpoint's task ({@link CheckpointTask}, as {@code api.ModelInfo.task} reads it); none is refused. */
    private static TaskSpec.Kind kind(JsonObject cfg, Checkpoint ckpt, Path dir) {
        return CheckpointTask.of(ckpt, dir).orElseThrow(() -> {
            String arch = cfg.get("architectures") instanceof com.google.gson.JsonArray a && a.size() > 0
                    ? a.get(0).getAsString() : ckpt.config().family().baseArchitecture();
            return new UserError(dir + ": " + arch + " has no sequence-classification, token-classification or"
                    + " question-answering head; use a fine-tuned *ForSequenceClassification / *ForTokenClassification"
                    + " / *ForQuestionAnswering model, or train one with `bert-ft train`");
        });
    }

    /**
     * The task as this model was trained for, for evaluating or classifying without a task file: its kind,
     * labels and lengths, plus {@code overrides} (e.g. text-column) and {@code extra} defaults.
     */
    public TaskSpec spec(Path taskFile, Map<String, String> overrides) {
        Map<String, String> o = new LinkedHashMap<>(overrides);
        if (taskFile == null) {
            o.putIfAbsent("task", kind.toString());
            Path base = dir.toAbsolutePath().normalize().getFileName();
            o.putIfAbsent("name", base == null ? "model" : base.toString().replaceAll("[\\\\/\\p{Cntrl}]", "_"));
            if (!labels.isEmpty() && kind != TaskSpec.Kind.REGRESSION) {
                o.putIfAbsent("labels", String.join(",", labels));
            }
            RunConfig.read(task, o);
            o.putIfAbsent("max-length", Integer.toString(maxLength));
            if (kind == TaskSpec.Kind.QA && !task.has("doc_stride")) {
                // HuggingFace's QA pipeline: question up to 64 tokens, stride 128; less where windows are short
                int query = Math.min(64, maxLength / 4);
                o.putIfAbsent("max-query-length", Integer.toString(query));
                o.putIfAbsent("doc-stride", Integer.toString(Math.min(128, (maxLength - query - 3) / 2)));
            }
            if (kind == TaskSpec.Kind.TOKEN_CLASSIFICATION && !task.has("doc_stride")) {
                // a Hub tagger: windows overlapping by half, as a run's default
                o.putIfAbsent("doc-stride", Integer.toString(Math.max(1, (Math.min(maxLength, 512) - 2) / 2)));
            }
        }
        o.putIfAbsent("model", dir.toString());
        return TaskFiles.load(taskFile, o);
    }

    /** Whether this is a bert-ft run directory (its config records the task), not a checkpoint from elsewhere. */
    public boolean isRun() {
        return run;
    }

    private static boolean isRun(Path checkpoint) {
        try {
            JsonElement task = JsonParser.parseString(Files.readString(checkpoint.resolve("config.json")))
                    .getAsJsonObject().get("bert_ft_task");
            return task != null && task.isJsonObject() && task.getAsJsonObject().has("task");
        } catch (java.io.IOException | RuntimeException e) {
            return false; // an adapter made in Python has no config.json: not a run
        }
    }

    /** The runtime this model runs on: {@code torch}, {@code onnx} or {@code onnx-int8} (never auto). */
    public String runtime() {
        return runtime;
    }

    public Path dir() {
        return dir;
    }

    /** The libtorch model; null when the model runs on ONNX Runtime (see {@link #forward()}). */
    public TaskModel model() {
        return model;
    }

    /** The inference pass on the runtime this model was loaded on. */
    public Forward forward() {
        if (onnx != null) {
            return kind == TaskSpec.Kind.QA ? onnx::spanLogits : onnx::logits;
        }
        return Forward.of(model);
    }

    /** The ONNX Runtime session, or null on libtorch. */
    public OnnxModel onnx() {
        return onnx;
    }

    public BertTokenizer tokenizer() {
        return tokenizer;
    }

    /** config.json's {@code model_type} (bert, roberta, distilbert, ...). */
    public String modelType() {
        return modelType;
    }

    public TaskSpec.Kind kind() {
        return kind;
    }

    /** Label names by id; empty for QA, {@code [value]} semantics for regression. */
    public List<String> labels() {
        return labels;
    }

    @Override
    public void close() {
        tokenizer.close();
        if (model != null) {
            model.close();
        }
        if (onnx != null) {
            onnx.close();
        }
    }
}
