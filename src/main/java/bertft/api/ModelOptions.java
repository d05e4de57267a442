package bertft.api;

import bertft.infer.InferenceRuntime;
import java.io.PrintWriter;

/**
 * How a model is loaded and run: the runtime (default {@link InferenceRuntime#AUTO}: ONNX Runtime wherever the
 * model exports, libtorch otherwise; an ONNX export always runs on ONNX Runtime), the
 * inputs per forward pass, for an {@link Embedder} the tokens per text, for a multi-label {@link Classifier} the
 * threshold, and where notes on loading go. Immutable; {@code with*} return copies.
 *
 * <p>Serializable, so that Spark's options carry these settings to the executors: the log writer is not sent (a
 * writer is no setting of the model, and none can be), so a copy read back logs to stderr. Two options are equal
 * when their settings are, whatever their log.
 */
public final class ModelOptions implements java.io.Serializable {
    private static final long serialVersionUID = 1L;

    /** Inputs per forward pass unless asked otherwise: the one place this default is written (CLI, Spark, API). */
    public static final int DEFAULT_BATCH_SIZE = 64;
    /** Tokens per text for embeddings unless asked otherwise ([CLS] and [SEP] included). */
    public static final int DEFAULT_MAX_LENGTH = 256;

    private final InferenceRuntime runtime;
    private final int batchSize;
    private final int maxLength;
    private final Double threshold;
    private final transient PrintWriter log;
    private final String base; // a Path is not Serializable

    private ModelOptions(InferenceRuntime runtime, int batchSize, int maxLength, Double threshold, PrintWriter log,
            String base) {
        if (batchSize < 1) {
            throw new IllegalArgumentException("batch size " + batchSize + ": must be at least 1");
        }
        if (maxLength < 2) {
            throw new IllegalArgumentException("max length " + maxLength + ": must be at least 2");
        }
        this.runtime = runtime == null ? InferenceRuntime.AUTO : runtime;
        this.batchSize = batchSize;
        this.maxLength = maxLength;
        this.threshold = threshold;
        this.log = log;
        this.base = base;
    }

    /** The auto runtime, 64 inputs per pass, embeddings over at most 256 tokens (the CLI's defaults). */
    public static ModelOptions defaults() {
        return new ModelOptions(InferenceRuntime.AUTO, DEFAULT_BATCH_SIZE, DEFAULT_MAX_LENGTH, null, null,
                null);
    }

    /**
     * Runs on {@code r}: {@code AUTO} (null too), {@code TORCH} to stay on libtorch, {@code ONNX} or {@code ONNX_INT8}
     * (ONNX runtimes export a checkpoint on first use and cache the export under {@code $BERT_FT_HOME/onnx}).
     */
    public ModelOptions withRuntime(InferenceRuntime r) {
        return new ModelOptions(r, batchSize, maxLength, threshold, log, base);
    }

    /** At most {@code n} inputs per forward pass (inputs are length-sorted into batches). */
    public ModelOptions withBatchSize(int n) {
        return new ModelOptions(runtime, n, maxLength, threshold, log, base);
    }

    /** Tokens per text for embeddings ([CLS] and [SEP] included; at most the model's limit). */
    public ModelOptions withMaxLength(int n) {
        return new ModelOptions(runtime, batchSize, n, threshold, log, base);
    }

    /**
     * A multi-label classifier predicts the labels whose probability is at least {@code t} (default: the threshold
     * the model was trained with, else 0.5).
     */
    public ModelOptions withThreshold(double t) {
        if (!(t >= 0 && t <= 1)) {
            throw new IllegalArgumentException("threshold " + t + ": must be between 0 and 1");
        }
        return new ModelOptions(runtime, batchSize, maxLength, t, log, base);
    }

    /** Notes on loading (an ONNX export made on first use) go to {@code w} instead of stderr. */
    public ModelOptions withLog(PrintWriter w) {
        return new ModelOptions(runtime, batchSize, maxLength, threshold, Inputs.notNull("log", w), base);
    }

    /**
     * The base model of a PEFT adapter directory (a checkpoint directory, bundled alias or Hub id), instead of its
     * adapter_config.json's base_model_name_or_path.
     */
    public ModelOptions withBase(String model) {
        java.nio.file.Path.of(Inputs.notNull("base", model)); // refused now, as before, if it cannot be a path
        return new ModelOptions(runtime, batchSize, maxLength, threshold, log, model);
    }

    /** The adapter's base asked for, or null for the one its config names. */
    public java.nio.file.Path base() {
        return base == null ? null : java.nio.file.Path.of(base);
    }

    /** The multi-label threshold asked for, or null for the model's own. */
    public Double threshold() {
        return threshold;
    }

    /** Where notes on loading go: the writer given, else stderr. */
    public PrintWriter log() {
        return log != null ? log : new PrintWriter(System.err, true);
    }

    /** The runtime asked for (never null; {@code AUTO} by default). */
    public InferenceRuntime runtime() {
        return runtime;
    }

    /** Inputs per forward pass. */
    public int batchSize() {
        return batchSize;
    }

    /** Tokens per text for embeddings. */
    public int maxLength() {
        return maxLength;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof ModelOptions m && runtime == m.runtime && batchSize == m.batchSize
                && maxLength == m.maxLength && java.util.Objects.equals(threshold, m.threshold)
                && java.util.Objects.equals(base, m.base);
    }

    @Override
    public int hashCode() {
        return java.util.Objects.hash(runtime, batchSize, maxLength, threshold, base);
    }

    /** The settings, as {@code runtime=auto batch-size=64 ...} (no log). */
    @Override
    public String toString() {
        return "runtime=" + runtime.name().toLowerCase(java.util.Locale.ROOT).replace('_', '-') + " batch-size=" + batchSize + " max-length=" + maxLength
                + (threshold == null ? "" : " threshold=" + threshold) + (base == null ? "" : " base=" + base);
    }
}
