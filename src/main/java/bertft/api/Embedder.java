package bertft.api;

import bertft.model.ModelStore;
import bertft.run.ModelExport;
import java.nio.file.Path;
import java.util.List;

/**
 * Sentence embeddings from any encoder (base model, fine-tuned run or ONNX export): the mean of the last hidden
 * state over real tokens, L2-normalised unless asked otherwise. Thread-safe.
 */
public final class Embedder implements AutoCloseable {
    private final bertft.infer.Embedder embedder;
    private final ModelInfo info;

    private Embedder(bertft.infer.Embedder embedder, ModelInfo info) {
        this.embedder = embedder;
        this.info = info;
    }

    /** Loads {@code model} (directory, ONNX export, alias such as {@code minilm}, or Hub id) with default options. */
    public static Embedder load(String model) {
        return load(model, ModelOptions.defaults());
    }

    /** Loads {@code model} on the runtime, batch size and max length of {@code options}. */
    public static Embedder load(String model, ModelOptions options) {
        Inputs.notNull("options", options);
        Path resolved = ModelStore.resolve(Inputs.model(model));
        bertft.infer.Embedder e = ModelExport.embedder(resolved, options.runtime(), options.maxLength(),
                options.batchSize(), options.log());
        return new Embedder(e, new ModelInfo(model, resolved.toString(), "embed", e.config().modelType(), List.of(),
                e.tokenizer().maxLength(), e.runtime()));
    }

    /** One text's L2-normalised embedding. */
    public float[] embed(String text) {
        return embed(List.of(Inputs.text("text", text)), true).get(0);
    }

    /**
     * Embeddings in input order, L2-normalised when {@code normalize}, else the raw mean of the hidden states.
     *
     * @throws bertft.UserError when a text is blank (as the command line refuses empty text)
     */
    public List<float[]> embed(List<String> texts, boolean normalize) {
        return List.of(embedder.embed(Inputs.texts("texts", texts), normalize));
    }

    /** The embeddings' length (the model's hidden size). */
    public int dimension() {
        return embedder.config().hiddenSize();
    }

    /** The most tokens the model can take per text (config.json's {@code max_position_embeddings}). */
    public int maxPositions() {
        return embedder.config().maxPositionEmbeddings();
    }

    /** What this model is: task embed, max length, runtime. */
    public ModelInfo info() {
        return info;
    }

    /** Frees the model (its native memory); calls after this fail. */
    @Override
    public void close() {
        embedder.close();
    }
}
