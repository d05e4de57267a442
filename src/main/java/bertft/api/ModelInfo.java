package bertft.api;

import java.util.List;

/**
 * What a loaded model is.
 *
 * @param model the name it was loaded by (directory, alias or Hub id)
 * @param path the directory (or .onnx file) it was read from
 * @param task {@code classification}, {@code sentiment}, {@code multilabel}, {@code regression}, {@code qa},
 *     {@code token-classification} or {@code embed}
 * @param modelType config.json's {@code model_type} (bert, roberta, distilbert, ...)
 * @param labels label names by id (empty for QA and embeddings)
 * @param maxLength tokens per input, special tokens included; longer inputs are truncated
 * @param runtime {@code torch}, {@code onnx} or {@code onnx-int8}
 */
public record ModelInfo(String model, String path, String task, String modelType, List<String> labels,
        int maxLength, String runtime) {
    public ModelInfo {
        labels = List.copyOf(labels);
    }

    /**
     * Which door a model opens, read from its config (and, where that does not say, its weight files' headers)
     * without building it, as loading reads it: {@code qa} (load it with {@link QuestionAnswerer}),
     * {@code token-classification} ({@link Tagger}), {@code embed} (a base model or base export: {@link Embedder}),
     * else the classifier task ({@code classification}, {@code sentiment}, {@code multilabel} or {@code regression}:
     * all for {@link Classifier}), the {@link #task()} of the model loaded.
     */
    public static String task(String model) {
        return Models.task(bertft.model.ModelStore.resolve(Inputs.model(model)));
    }
}
