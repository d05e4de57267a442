package bertft.model;

import bertft.UserError;
import bertft.task.TaskSpec;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonPrimitive;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * What task a checkpoint's head does: the one answer that loading a model ({@code run.TrainedModel}) and the API's
 * "which door does it open" ({@code api.ModelInfo.task}) both give. The config says it first; the weights are looked
 * at only where it does not, and then only the names and shapes in their files' headers.
 */
public final class CheckpointTask {
    private CheckpointTask() {}

    /**
     * The task of a checkpoint directory, or of a PEFT adapter directory on {@code base} (null: the base its
     * adapter_config.json names); empty for a base model (no task head).
     */
    public static Optional<TaskSpec.Kind> of(Path dir, Path base) {
        if (!Files.isDirectory(dir)) {
            throw new UserError(dir + ": no such checkpoint directory");
        }
        if (!Checkpoint.hasWeights(dir) && AdapterDir.is(dir)) {
            AdapterDir.Header h = AdapterDir.header(dir, base);
            return of(h.config(), h.shapes(), dir + "/config.json");
        }
        BertConfig config = BertConfig.read(dir.resolve("config.json"));
        return of(config, () -> Checkpoint.shapes(dir), dir + "/config.json");
    }

    /** The task of a checkpoint already read (its head weights are at hand). */
    public static Optional<TaskSpec.Kind> of(Checkpoint ckpt, Path dir) {
        return of(ckpt.config(), () -> {
            Map<String, long[]> shapes = new LinkedHashMap<>();
            ckpt.heads().forEach((k, v) -> shapes.put(k, v.shape()));
            return shapes;
        }, dir + "/config.json");
    }

    /**
     * The rule, in order: 1) {@code bert_ft_task.task}, which a bert-ft run or export records ({@code embed}: none);
     * 2) a task architecture in {@code architectures} ({@code *ForQuestionAnswering}, {@code *ForTokenClassification},
     * {@code *ForSequenceClassification}), as Transformers' pipelines choose a head by it; 3) otherwise (a base
     * architecture, none, or one bert-ft has no head for) the head weights in {@code shapes} (weight name to shape,
     * called at most once): {@code qa_outputs}, else the family's classifier, else none. A sequence classifier is
     * multilabel or regression by {@code problem_type}, else regression when its head has one output, as HuggingFace
     * infers it.
     */
    public static Optional<TaskSpec.Kind> of(BertConfig config, Supplier<Map<String, long[]>> shapes, String where) {
        JsonObject json = config.json();
        if (json.get("bert_ft_task") instanceof JsonObject task && task.get("task") instanceof JsonPrimitive t) {
            return recorded(t.getAsString(), where);
        }
        Family family = config.family();
        String classifier = TaskModel.outputLayer(family, TaskModel.Head.CLASSIFIER) + ".weight";
        TaskModel.Head named = architecture(json);
        Map<String, long[]> heads = null;
        if (named == TaskModel.Head.QA) {
            return Optional.of(TaskSpec.Kind.QA);
        } else if (named == TaskModel.Head.TOKEN) {
            return Optional.of(TaskSpec.Kind.TOKEN_CLASSIFICATION);
        } else if (named == null) {
            heads = shapes.get();
            if (heads.containsKey(TaskModel.outputLayer(family, TaskModel.Head.QA) + ".weight")) {
                return Optional.of(TaskSpec.Kind.QA);
            }
            if (!heads.containsKey(classifier)) {
                return Optional.empty();
            }
        }
        JsonElement problem = json.get("problem_type");
        switch (problem == null || !problem.isJsonPrimitive() ? "" : problem.getAsString()) {
            case "multi_label_classification":
                return Optional.of(TaskSpec.Kind.MULTILABEL);
            case "regression":
                return Optional.of(TaskSpec.Kind.REGRESSION);
            case "single_label_classification":
                return Optional.of(TaskSpec.Kind.CLASSIFICATION);
            default:
                long[] out = (heads == null ? shapes.get() : heads).get(classifier);
                return Optional.of(out != null && out.length > 0 && out[0] == 1 ? TaskSpec.Kind.REGRESSION
                        : TaskSpec.Kind.CLASSIFICATION);
        }
    }

    private static Optional<TaskSpec.Kind> recorded(String name, String where) {
        if (name.equals("embed")) {
            return Optional.empty();
        }
        try {
            return Optional.of(TaskSpec.Kind.parse(name));
        } catch (IllegalArgumentException e) {
            throw new UserError(where + ": bert_ft_task.task '" + name + "' is not one of "
                    + Arrays.stream(TaskSpec.Kind.values()).map(TaskSpec.Kind::toString).toList() + " or embed");
        }
    }

    /** The head the first task architecture in {@code architectures} names, or null where none does. */
    private static TaskModel.Head architecture(JsonObject json) {
        if (!(json.get("architectures") instanceof com.google.gson.JsonArray names)) {
            return null;
        }
        for (JsonElement a : names) {
            if (a.isJsonPrimitive()) {
                for (TaskModel.Head h : TaskModel.Head.values()) {
                    if (a.getAsString().endsWith(h.suffix)) {
                        return h;
                    }
                }
            }
        }
        return null;
    }
}
