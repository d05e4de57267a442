/**
 * Checkpoint files in and out: safetensors (read and write, single or sharded) and PyTorch
 * {@code pytorch_model.bin} (read only, through a restricted pickle reader that never runs code).
 *
 * <p>Every reader hands back {@code Map<String, TensorData>} keyed by HuggingFace names, with float32 values.
 */
package bertft.checkpoint;
