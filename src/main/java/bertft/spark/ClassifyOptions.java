package bertft.spark;

import bertft.infer.InferenceRuntime;
import java.io.Serializable;

/**
 * How {@link BertFt#classify} reads a DataFrame and runs the model: the text column (and the second text of pair
 * tasks), the rows per forward pass and the runtime (default auto; null too). Immutable; {@code with*} return copies.
 *
 * @param textColumn the column with the texts to classify
 * @param textPairColumn the column with the second texts of a pair task, or null
 * @param batchSize rows per forward pass
 * @param runtime where the model runs: auto (null too), torch, onnx or onnx-int8
 */
public record ClassifyOptions(String textColumn, String textPairColumn, int batchSize, InferenceRuntime runtime)
        implements Serializable {
    public ClassifyOptions {
        if (textColumn == null || textColumn.isBlank()) {
            throw new IllegalArgumentException("text column: must be named");
        }
        if (batchSize < 1) {
            throw new IllegalArgumentException("batch size " + batchSize + ": must be at least 1");
        }
    }

    /** Column {@code text}, no pair, 64 rows per pass, the auto runtime (the CLI's defaults). */
    public static ClassifyOptions defaults() {
        return new ClassifyOptions("text", null, bertft.api.ModelOptions.DEFAULT_BATCH_SIZE, null);
    }

    public ClassifyOptions withTextColumn(String name) {
        return new ClassifyOptions(name, textPairColumn, batchSize, runtime);
    }

    public ClassifyOptions withTextPairColumn(String name) {
        return new ClassifyOptions(textColumn, name, batchSize, runtime);
    }

    public ClassifyOptions withBatchSize(int n) {
        return new ClassifyOptions(textColumn, textPairColumn, n, runtime);
    }

    public ClassifyOptions withRuntime(InferenceRuntime r) {
        return new ClassifyOptions(textColumn, textPairColumn, batchSize, r);
    }
}
