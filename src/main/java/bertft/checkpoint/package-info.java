/**
 * Checkpoint files in and out: safetensors (read and write, single or sharded), PyTorch {@code pytorch_model.bin}
 * (read only, through a restricted pickle reader that never runs code) and the bundled model's ONNX file
 * ({@link bertft.checkpoint.OnnxImport}).
 *
 * <p>Every reader hands back {@code Map<String, TensorData>} keyed by HuggingFace names, with float32 values. What the
 * names mean (which family, which are the encoder's and which a head's) is {@code bertft.model.Checkpoint}'s to say.
 */
package bertft.checkpoint;
