package bertft.api;

/**
 * How a model is loaded and run: the runtime (null: libtorch for a checkpoint, ONNX Runtime for an export), the
 * inputs per forward pass, and for an {@link Embedder} the tokens per text. Immutable; {@code with*} return copies.
 */
public final class ModelOptions {
    private final InferenceRuntime runtime;
    private final int batchSize;
    private final int maxLength;

    private ModelOptions(InferenceRuntime runtime, int batchSize, int maxLength) {
        if (batchSize < 1) {
            throw new IllegalArgumentException("batch size " + batchSize + ": must be at least 1");
        }
        if (maxLength < 2) {
            throw new IllegalArgumentException("max length " + maxLength + ": must be at least 2");
        }
        this.runtime = runtime;
        this.batchSize = batchSize;
        this.maxLength = maxLength;
    }

    /** The model's own runtime, 64 inputs per pass, embeddings over at most 256 tokens (the CLI's defaults). */
    public static ModelOptions defaults() {
        return new ModelOptions(null, 64, 256);
    }

    /** Runs on {@code r} (ONNX runtimes export a checkpoint first and cache the export beside it). */
    public ModelOptions withRuntime(InferenceRuntime r) {
        return new ModelOptions(r, batchSize, maxLength);
    }

    /** At most {@code n} inputs per forward pass (inputs are length-sorted into batches). */
    public ModelOptions withBatchSize(int n) {
        return new ModelOptions(runtime, n, maxLength);
    }

    /** Tokens per text for embeddings ([CLS] and [SEP] included; at most the model's limit). */
    public ModelOptions withMaxLength(int n) {
        return new ModelOptions(runtime, batchSize, n);
    }

    /** The runtime asked for, or null for the model's own. */
    public InferenceRuntime runtime() {
        return runtime;
    }

    public int batchSize() {
        return batchSize;
    }

    public int maxLength() {
        return maxLength;
    }
}
