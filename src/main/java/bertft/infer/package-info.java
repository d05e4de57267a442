/**
 * Batched inference on a loaded model: class scores ({@link bertft.infer.Predictor}) and sentence embeddings
 * ({@link bertft.infer.Embedder}), on libtorch or ONNX Runtime.
 */
package bertft.infer;
