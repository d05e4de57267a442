package bertft.api;

import bertft.model.BertConfig;
import bertft.model.Checkpoint;
import bertft.model.TaskModel;
import bertft.onnx.OnnxExport;
import bertft.run.TrainedModel;
import com.google.gson.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

/** Loading shared by the API's model types. */
final class Models {
    private Models() {}

    /**
     * The one way the API's task types load a model: {@code model} (directory, ONNX export, alias or Hub id) resolved
     * once and read once, on the runtime of {@code options} (auto: ONNX Runtime wherever it exports); an export made
     * for it is said on the options' log. The caller checks the task it needs and closes the model if it refuses.
     */
    static TrainedModel load(String model, ModelOptions options) {
        Inputs.notNull("options", options);
        Path dir = bertft.model.ModelStore.resolve(Inputs.model(model));
        return TrainedModel.load(dir, options.runtime(), options.log(), options.base());
    }

    static ModelInfo info(TrainedModel m, String name, ModelOptions options) {
        return new ModelInfo(name, m.dir().toString(), m.kind().toString().toLowerCase(Locale.ROOT), m.modelType(),
                m.kind() == bertft.task.TaskSpec.Kind.REGRESSION ? java.util.List.of() : m.labels(),
                m.tokenizer().maxLength(), m.runtime());
    }

    static String task(Path path) {
        if (OnnxExport.isExport(path)) {
            Path dir = Files.isRegularFile(path) ? path.toAbsolutePath().getParent() : path;
            JsonObject task = BertConfig.read(dir.resolve("config.json")).json().getAsJsonObject("bert_ft_task");
            return task != null && task.has("task") ? task.get("task").getAsString() : "embed";
        }
        JsonObject config = BertConfig.read(path.resolve("config.json")).json();
        JsonObject task = config.getAsJsonObject("bert_ft_task");
        if (task != null && task.has("task")) {
            return task.get("task").getAsString();
        }
        String byName = byArchitecture(config);
        if (byName != null) {
            return byName;
        }
        Checkpoint ckpt = Checkpoint.read(path); // no architecture named: the head's weights tell
        if (TaskModel.hasHead(ckpt, TaskModel.Head.QA)) {
            return "qa";
        }
        if (TaskModel.hasHead(ckpt, TaskModel.Head.TOKEN)) {
            return "token-classification";
        }
        return TaskModel.hasHead(ckpt, TaskModel.Head.CLASSIFIER) ? "classification" : "embed";
    }

    /**
     * The task config.json's {@code architectures} names, as Transformers' pipelines choose a head by it, or null
     * when it names none bert-ft knows: loading the weights only to learn this read every weight twice (once here,
     * with the NaN scan, then again to load).
     */
    private static String byArchitecture(JsonObject config) {
        if (!(config.get("architectures") instanceof com.google.gson.JsonArray names) || names.size() != 1
                || !names.get(0).isJsonPrimitive()) {
            return null;
        }
        String a = names.get(0).getAsString();
        if (a.endsWith("ForQuestionAnswering")) {
            return "qa";
        } else if (a.endsWith("ForTokenClassification")) {
            return "token-classification";
        } else if (a.endsWith("ForSequenceClassification")) {
            return "classification";
        } else if (a.endsWith("Model") || a.endsWith("ForMaskedLM") || a.endsWith("ForPreTraining")) {
            return "embed";
        }
        return null;
    }
}
