/**
 * bert-ft as a Java library: load a fine-tuned model into a {@link bertft.api.Classifier},
 * {@link bertft.api.QuestionAnswerer} or {@link bertft.api.Embedder} and call {@code predict}, {@code answer} or
 * {@code embed}; fine-tune with {@link bertft.api.FineTuning}. No DJL type appears in this package's signatures.
 *
 * <p>A model is named as on the command line: a run directory, a HuggingFace checkpoint directory, an ONNX export
 * (directory or .onnx file), a bundled alias ({@code minilm}) or a Hub id ({@code org/name[@revision]}). Loaded
 * models are thread-safe and {@link java.lang.AutoCloseable}. Bad input (a missing model, a model without the
 * needed head, a blank text) throws {@link bertft.UserError}, whose message is one line saying what to do in the
 * library's terms; a null argument throws {@link java.lang.IllegalArgumentException} naming the parameter.
 */
package bertft.api;
