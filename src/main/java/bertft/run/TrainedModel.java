package bertft.run;

import bertft.UserError;
import bertft.checkpoint.Checkpoint;
import bertft.model.TaskModel;
import bertft.task.TaskFiles;
import bertft.task.TaskSpec;
import bertft.text.BertTokenizer;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A fine-tuned model directory with what its config says about the task: kind, labels, max length, head.
 */
public final class TrainedModel implements AutoCloseable {
    private final Path dir;
    private final TaskModel model;
    private final BertTokenizer tokenizer;
    private final TaskSpec.Kind kind;
    private final List<String> labels;
    private final JsonObject task;

    private TrainedModel(Path dir, TaskModel model, BertTokenizer tokenizer, TaskSpec.Kind kind, List<String> labels,
            JsonObject task) {
        this.dir = dir;
        this.model = model;
        this.tokenizer = tokenizer;
        this.kind = kind;
        this.labels = labels;
        this.task = task;
    }

    public static TrainedModel load(Path dir) {
        Checkpoint ckpt = Checkpoint.read(dir);
        JsonObject cfg = ckpt.config().json();
        JsonObject task = cfg.has("bert_ft_task") ? cfg.getAsJsonObject("bert_ft_task") : new JsonObject();
        TaskSpec.Kind kind = kind(cfg, task, ckpt, dir);
        List<String> labels = new ArrayList<>();
        if (cfg.has("id2label")) {
            JsonObject id2label = cfg.getAsJsonObject("id2label");
            for (int i = 0; i < id2label.size(); i++) {
                JsonElement l = id2label.get(Integer.toString(i));
                if (l == null) {
                    throw new UserError(dir + "/config.json: id2label has no entry for id " + i);
                }
                labels.add(l.getAsString());
            }
        }
        TaskModel.Head head = kind == TaskSpec.Kind.QA ? TaskModel.Head.QA : TaskModel.Head.CLASSIFIER;
        TaskModel model = TaskModel.load(ckpt, head, dir.toString());
        int maxLength = task.has("max_length") ? task.get("max_length").getAsInt()
                : kind == TaskSpec.Kind.QA ? 384 : 128;
        BertTokenizer tok = BertTokenizer.load(dir, Math.min(maxLength, ckpt.config().maxPositionEmbeddings()),
                ckpt.config().vocabSize());
        return new TrainedModel(dir, model, tok, kind, labels, task);
    }

    private static TaskSpec.Kind kind(JsonObject cfg, JsonObject task, Checkpoint ckpt, Path dir) {
        if (task.has("task")) {
            return TaskSpec.Kind.valueOf(task.get("task").getAsString().toUpperCase(java.util.Locale.ROOT));
        }
        if (ckpt.heads().containsKey("qa_outputs.weight")) {
            return TaskSpec.Kind.QA;
        }
        if (!ckpt.heads().containsKey("classifier.weight")) {
            throw new UserError(dir + ": has no task head (a base encoder); train it first with `bert-ft train`");
        }
        String problem = cfg.has("problem_type") && !cfg.get("problem_type").isJsonNull()
                ? cfg.get("problem_type").getAsString() : "";
        return switch (problem) {
            case "multi_label_classification" -> TaskSpec.Kind.MULTILABEL;
            case "regression" -> TaskSpec.Kind.REGRESSION;
            default -> TaskSpec.Kind.CLASSIFICATION;
        };
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
            copy(o, "max-length", "max_length");
            copy(o, "threshold", "threshold");
            copy(o, "doc-stride", "doc_stride");
            copy(o, "max-query-length", "max_query_length");
            copy(o, "max-answer-length", "max_answer_length");
            copy(o, "n-best", "n_best");
            copy(o, "version-2", "version_2");
            copy(o, "null-threshold", "null_threshold");
        }
        o.putIfAbsent("model", dir.toString());
        return TaskFiles.load(taskFile, o);
    }

    private void copy(Map<String, String> o, String key, String configKey) {
        if (task.has(configKey)) {
            o.putIfAbsent(key, task.get(configKey).getAsString());
        }
    }

    public Path dir() {
        return dir;
    }

    public TaskModel model() {
        return model;
    }

    public BertTokenizer tokenizer() {
        return tokenizer;
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
        model.close();
    }
}
