/**
 * ONNX out and in: each family's encoder and task heads written as ONNX nodes ({@link bertft.onnx.Graph} mirrors
 * {@code bertft.model.Ops} op for op, {@link bertft.onnx.EncoderGraph} the families' forward passes), dynamic int8
 * quantisation ({@link bertft.onnx.Quantizer}), the export directory ({@link bertft.onnx.OnnxExport}) and ONNX Runtime
 * sessions that run it ({@link bertft.onnx.OnnxModel}).
 *
 * <p>The ONNX classes ({@code bertft.onnx.proto.OnnxProto}) are generated at build time by protoc from
 * {@code src/main/proto/onnx.proto} (ONNX's own, Apache-2.0).
 */
package bertft.onnx;
