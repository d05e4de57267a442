package bertft.spark;

import bertft.api.ModelOptions;
import bertft.infer.EntityGrouping;
import bertft.infer.InferenceRuntime;
import java.io.Serializable;

/**
 * How {@link BertFt#tag} reads a DataFrame and runs a token classifier: the text column, how pieces become entities,
 * the stride of windows over texts longer than the model's max length (null: the model's doc-stride, half a window),
 * and the library's {@link ModelOptions} (windows per forward pass, runtime, ...), which travel to the executors as
 * they are. Immutable; {@code with*} return copies.
 *
 * @param textColumn the column with the texts to tag
 * @param aggregation the pipeline's aggregation_strategy
 * @param stride word pieces shared by consecutive windows, or null for the model's
 * @param modelOptions how the model is loaded and run (null: {@link ModelOptions#defaults()})
 */
public record TagOptions(String textColumn, EntityGrouping.Aggregation aggregation, Integer stride,
        ModelOptions modelOptions) implements Serializable {
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
        modelOptions = modelOptions == null ? ModelOptions.defaults() : modelOptions;
    }

    /**
     * The options as they were before they carried {@link ModelOptions}: {@code batchSize} windows per forward pass
     * on {@code runtime} (auto; null too), the other model settings at their defaults.
     */
    public TagOptions(String textColumn, EntityGrouping.Aggregation aggregation, Integer stride, int batchSize,
            InferenceRuntime runtime) {
        this(textColumn, aggregation, stride, ModelOptions.defaults().withBatchSize(batchSize).withRuntime(runtime));
    }

    /** Column {@code text}, simple aggregation, the model's stride, {@link ModelOptions#defaults()} (the CLI's). */
    public static TagOptions defaults() {
        return new TagOptions("text", EntityGrouping.Aggregation.SIMPLE, null, ModelOptions.defaults());
    }

    public TagOptions withTextColumn(String name) {
        return new TagOptions(name, aggregation, stride, modelOptions);
    }

    public TagOptions withAggregation(EntityGrouping.Aggregation a) {
        return new TagOptions(textColumn, a, stride, modelOptions);
    }

    public TagOptions withStride(Integer n) {
        return new TagOptions(textColumn, aggregation, n, modelOptions);
    }

    /** Every model setting at once. */
    public TagOptions withModelOptions(ModelOptions o) {
        return new TagOptions(textColumn, aggregation, stride, o);
    }

    public TagOptions withBatchSize(int n) {
        return withModelOptions(modelOptions.withBatchSize(n));
    }

    public TagOptions withRuntime(InferenceRuntime r) {
        return withModelOptions(modelOptions.withRuntime(r));
    }

    /** Windows per forward pass. */
    public int batchSize() {
        return modelOptions.batchSize();
    }

    /** Where the model runs (never null; auto by default). */
    public InferenceRuntime runtime() {
        return modelOptions.runtime();
    }
}
