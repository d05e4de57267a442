package bertft.api;

import bertft.run.TrainedModel;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Locale;

/** Loading shared by the API's model types. */
final class Models {
    private Models() {}

    /** A task model on the runtime of {@code options}; an on-the-fly ONNX export is said on stderr. */
    static TrainedModel load(Path dir, ModelOptions options) {
        return TrainedModel.load(dir, options.runtime(), new PrintWriter(System.err, true));
    }

    static ModelInfo info(TrainedModel m, String name, ModelOptions options) {
        String runtime = options.runtime() != null ? options.runtime().spelling() : m.onnx() != null ? "onnx" : "torch";
        return new ModelInfo(name, m.dir().toString(), m.kind().toString().toLowerCase(Locale.ROOT), m.modelType(),
                m.kind() == bertft.task.TaskSpec.Kind.REGRESSION ? java.util.List.of() : m.labels(),
                m.tokenizer().maxLength(), runtime);
    }
}
