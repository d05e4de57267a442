package bertft.spark;

import bertft.api.ModelOptions;
import bertft.infer.InferenceRuntime;
import java.io.Serializable;

/**
 * How {@link BertFt#embed} reads a DataFrame and runs the encoder: the text column, L2 normalisation, and the
 * library's {@link ModelOptions} (rows per forward pass, tokens per text, runtime, ...), which travel to the
 * executors as they are. Immutable; {@code with*} return copies.
 *
 * @param textColumn the column with the texts to embed
 * @param normalize whether vectors are L2-normalised (else the raw mean of the last hidden state)
 * @param modelOptions how the model is loaded and run (null: {@link ModelOptions#defaults()})
 */
public record EmbedOptions(String textColumn, boolean normalize, ModelOptions modelOptions) implements Serializable {
    public EmbedOptions {
        if (textColumn == null || textColumn.isBlank()) {
            throw new IllegalArgumentException("text column: must be named");
        }
        modelOptions = modelOptions == null ? ModelOptions.defaults() : modelOptions;
    }

    /**
     * The options as they were before they carried {@link ModelOptions}: {@code batchSize} rows per pass of at most
     * {@code maxLength} tokens on {@code runtime} (auto; null too), the other model settings at their defaults.
     */
    public EmbedOptions(String textColumn, int batchSize, int maxLength, boolean normalize, InferenceRuntime runtime) {
        this(textColumn, normalize, ModelOptions.defaults().withBatchSize(batchSize).withMaxLength(maxLength)
                .withRuntime(runtime));
    }

    /** Column {@code text}, normalised, {@link ModelOptions#defaults()} (the CLI's defaults). */
    public static EmbedOptions defaults() {
        return new EmbedOptions("text", true, ModelOptions.defaults());
    }

    public EmbedOptions withTextColumn(String name) {
        return new EmbedOptions(name, normalize, modelOptions);
    }

    public EmbedOptions withNormalize(boolean on) {
        return new EmbedOptions(textColumn, on, modelOptions);
    }

    /** Every model setting at once. */
    public EmbedOptions withModelOptions(ModelOptions o) {
        return new EmbedOptions(textColumn, normalize, o);
    }

    public EmbedOptions withBatchSize(int n) {
        return withModelOptions(modelOptions.withBatchSize(n));
    }

    public EmbedOptions withMaxLength(int n) {
        return withModelOptions(modelOptions.withMaxLength(n));
    }

    public EmbedOptions withRuntime(InferenceRuntime r) {
        return withModelOptions(modelOptions.withRuntime(r));
    }

    /** Rows per forward pass. */
    public int batchSize() {
        return modelOptions.batchSize();
    }

    /** Tokens per text, [CLS] and [SEP] included. */
    public int maxLength() {
        return modelOptions.maxLength();
    }

    /** Where the model runs (never null; auto by default). */
    public InferenceRuntime runtime() {
        return modelOptions.runtime();
    }
}
