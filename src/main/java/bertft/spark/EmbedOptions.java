package bertft.spark;

import bertft.infer.InferenceRuntime;
import java.io.Serializable;

/**
 * How {@link BertFt#embed} reads a DataFrame and runs the encoder: the text column, rows per forward pass, tokens
 * per text, L2 normalisation and the runtime (default auto; null too). Immutable; {@code with*} return copies.
 *
 * @param textColumn the column with the texts to embed
 * @param batchSize rows per forward pass
 * @param maxLength tokens per text, [CLS] and [SEP] included
 * @param normalize whether vectors are L2-normalised (else the raw mean of the last hidden state)
 * @param runtime where the model runs: auto (null too), torch, onnx or onnx-int8
 */
public record EmbedOptions(String textColumn, int batchSize, int maxLength, boolean normalize,
        InferenceRuntime runtime) implements Serializable {
    public EmbedOptions {
        if (textColumn == null || textColumn.isBlank()) {
            throw new IllegalArgumentException("text column: must be named");
        }
        if (batchSize < 1) {
            throw new IllegalArgumentException("batch size " + batchSize + ": must be at least 1");
        }
        if (maxLength < 2) {
            throw new IllegalArgumentException("max length " + maxLength + ": must be at least 2");
        }
    }

    /** Column {@code text}, 64 rows per pass, 256 tokens, normalised, the auto runtime (the CLI's defaults). */
    public static EmbedOptions defaults() {
        return new EmbedOptions("text", bertft.api.ModelOptions.DEFAULT_BATCH_SIZE,
                bertft.api.ModelOptions.DEFAULT_MAX_LENGTH, true, null);
    }

    public EmbedOptions withTextColumn(String name) {
        return new EmbedOptions(name, batchSize, maxLength, normalize, runtime);
    }

    public EmbedOptions withBatchSize(int n) {
        return new EmbedOptions(textColumn, n, maxLength, normalize, runtime);
    }

    public EmbedOptions withMaxLength(int n) {
        return new EmbedOptions(textColumn, batchSize, n, normalize, runtime);
    }

    public EmbedOptions withNormalize(boolean on) {
        return new EmbedOptions(textColumn, batchSize, maxLength, on, runtime);
    }

    public EmbedOptions withRuntime(InferenceRuntime r) {
        return new EmbedOptions(textColumn, batchSize, maxLength, normalize, r);
    }
}
