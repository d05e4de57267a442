package bertft.spark;

import bertft.api.ModelOptions;
import bertft.infer.InferenceRuntime;
import java.io.Serializable;

/**
 * How {@link BertFt#classify} reads a DataFrame and runs the model: the text column (and the second text of pair
 * tasks), and the library's {@link ModelOptions} (rows per forward pass, runtime, multi-label threshold, an
 * adapter's base), which travel to the executors as they are. Immutable; {@code with*} return copies.
 *
 * @param textColumn the column with the texts to classify
 * @param textPairColumn the column with the second texts of a pair task, or null
 * @param modelOptions how the model is loaded and run (null: {@link ModelOptions#defaults()})
 */
public record ClassifyOptions(String textColumn, String textPairColumn, ModelOptions modelOptions)
        implements Serializable {
    public ClassifyOptions {
        if (textColumn == null || textColumn.isBlank()) {
            throw new IllegalArgumentException("text column: must be named");
        }
        modelOptions = modelOptions == null ? ModelOptions.defaults() : modelOptions;
    }

    /**
     * The options as they were before they carried {@link ModelOptions}: {@code batchSize} rows per forward pass on
     * {@code runtime} (auto; null too), the other model settings at their defaults.
     */
    public ClassifyOptions(String textColumn, String textPairColumn, int batchSize, InferenceRuntime runtime) {
        this(textColumn, textPairColumn, ModelOptions.defaults().withBatchSize(batchSize).withRuntime(runtime));
    }

    /** Column {@code text}, no pair, {@link ModelOptions#defaults()} (the CLI's defaults). */
    public static ClassifyOptions defaults() {
        return new ClassifyOptions("text", null, ModelOptions.defaults());
    }

    public ClassifyOptions withTextColumn(String name) {
        return new ClassifyOptions(name, textPairColumn, modelOptions);
    }

    public ClassifyOptions withTextPairColumn(String name) {
        return new ClassifyOptions(textColumn, name, modelOptions);
    }

    /** Every model setting at once (e.g. {@code ModelOptions.defaults().withThreshold(0.3)}). */
    public ClassifyOptions withModelOptions(ModelOptions o) {
        return new ClassifyOptions(textColumn, textPairColumn, o);
    }

    public ClassifyOptions withBatchSize(int n) {
        return withModelOptions(modelOptions.withBatchSize(n));
    }

    public ClassifyOptions withRuntime(InferenceRuntime r) {
        return withModelOptions(modelOptions.withRuntime(r));
    }

    /** A multi-label model predicts the labels whose probability is at least {@code t} (default: the model's). */
    public ClassifyOptions withThreshold(double t) {
        return withModelOptions(modelOptions.withThreshold(t));
    }

    /** Rows per forward pass. */
    public int batchSize() {
        return modelOptions.batchSize();
    }

    /** Where the model runs (never null; auto by default). */
    public InferenceRuntime runtime() {
        return modelOptions.runtime();
    }
}
