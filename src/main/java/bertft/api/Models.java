package bertft.api;

import bertft.model.BertConfig;
import bertft.model.CheckpointTask;
import bertft.onnx.OnnxExport;
import bertft.run.TrainedModel;
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

    /**
     * The task a model's files record ({@link CheckpointTask}, as loading reads it), {@code embed} where it has no
     * task head; an ONNX export's config.json says it, a checkpoint's config says it or its weights' headers do.
     */
    static String task(Path path) {
        if (OnnxExport.isExport(path)) {
            Path file = (Files.isRegularFile(path) ? path.toAbsolutePath().getParent() : path).resolve("config.json");
            return name(CheckpointTask.of(BertConfig.read(file), java.util.Map::of, file.toString()));
        }
        return name(CheckpointTask.of(path, null));
    }

    private static String name(java.util.Optional<bertft.task.TaskSpec.Kind> kind) {
        return kind.map(Object::toString).orElse("embed");
    }
}
