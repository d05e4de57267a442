package bertft.spark;

import bertft.infer.EntityGrouping;
import bertft.infer.InferenceRuntime;
import java.io.Serializable;

/**
 * How {@link BertFt#tag} reads a DataFrame and runs a token classifier: the text column, how pieces become entities,
 * the stride of windows over texts longer than the model's max length (null: the model's doc-stride, half a window),
 * the rows per forward pass and the runtime (default auto; null too). Immutable; {@code with*} return copies.
 *
 * @param textColumn the column with the texts to tag
 * @param aggregation the pipeline's aggregation_strategy
 * @param stride word pieces shared by consecutive windows, or null for the model's
 * @param batchSize windows per forward pass
 * @param runtime where the model runs: auto (null too), torch, onnx or onnx-int8
 */
public record TagOptions(String textColumn, EntityGrouping.Aggregation aggregation, Integer stride, int batchSize,
        InferenceRuntime runtime) implements Serializable {
    public TagOptions {
        if (textColumn == null || textColumn.isBlank()) {
            throw new IllegalArgumentException("text column: must be named");
        }
        if (aggregation == null) {
            throw new IllegalArgumentException("aggregation: is null");
        }
        if (stride != null && stride < 0) {
            throw new IllegalArgumentException("stride " + stride + ": must be at least 0");
        }
        if (batchSize < 1) {
            throw new IllegalArgumentException("batch size " + batchSize + ": must be at least 1");
        }
    }

    /** Column {@code text}, simple aggregation, the model's stride, 64 per pass, the auto runtime (the CLI's). */
    public static TagOptions defaults() {
        return new TagOptions("text", EntityGrouping.Aggregation.SIMPLE, null,
                bertft.api.ModelOptions.DEFAULT_BATCH_SIZE, null);
    }

    public TagOptions withTextColumn(String name) {
        return new TagOptions(name, aggregation, stride, batchSize, runtime);
    }

    public TagOptions withAggregation(EntityGrouping.Aggregation a) {
        return new TagOptions(textColumn, a, stride, batchSize, runtime);
    }

    public TagOptions withStride(Integer n) {
        return new TagOptions(textColumn, aggregation, n, batchSize, runtime);
    }

    public TagOptions withBatchSize(int n) {
        return new TagOptions(textColumn, aggregation, stride, n, runtime);
    }

    public TagOptions withRuntime(InferenceRuntime r) {
        return new TagOptions(textColumn, aggregation, stride, batchSize, r);
    }
}
