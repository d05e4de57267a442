package bertft.onnx;

import bertft.onnx.proto.OnnxProto.GraphProto;
import bertft.onnx.proto.OnnxProto.ModelProto;
import bertft.onnx.proto.OnnxProto.NodeProto;
import bertft.onnx.proto.OnnxProto.TensorProto;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Dynamic int8 quantisation, as ONNX Runtime's {@code quantize_dynamic} writes it, with per-channel weights.
 *
 * <p>Every MatMul whose second input is a float initializer (the linear layers, not attention's activation x
 * activation products) becomes {@code DynamicQuantizeLinear(x) -> MatMulInteger(x_q, W_q, x_zp, W_zp) -> Cast ->
 * Mul(x_scale * W_scale)}: activations are quantised to uint8 per tensor at run time, weights to int8 once,
 * symmetrically (zero point 0) per output column, {@code scale = max|w| / 127}. ONNX Runtime fuses that pattern into
 * one int8 GEMM (DynamicQuantizeMatMul). Each activation is quantised once however many MatMuls read it (query,
 * key and value share one).
 *
 * <p>The word-embedding table (a Gather of an initializer with more than {@link #MIN_GATHER_ROWS} rows) is stored as
 * int8 rows with a scale per row: {@code Gather(W_q) -> Cast -> Mul(Gather(scales))}; it is half of a small model's
 * weights, so the file shrinks to about a quarter. Everything else stays float.
 */
final class Quantizer {
    static final int MIN_GATHER_ROWS = 1024;

    private Quantizer() {}

    /** The model with its MatMul weights and word embeddings in int8. */
    static ModelProto quantize(ModelProto model) {
        GraphProto g = model.getGraph();
        Map<String, TensorProto> floats = new HashMap<>();
        for (TensorProto t : g.getInitializerList()) {
            if (t.getDataType() == TensorProto.DataType.FLOAT_VALUE && t.getDimsCount() == 2) {
                floats.put(t.getName(), t);
            }
        }
        GraphProto.Builder out = g.toBuilder().clearNode().clearInitializer();
        Map<String, String> replaced = new HashMap<>(); // float initializer -> its int8 replacement
        Map<String, List<String>> quantizedInputs = new HashMap<>(); // activation -> (x_q, x_scale, x_zp)
        for (NodeProto n : g.getNodeList()) {
            if (n.getOpType().equals("MatMul") && floats.containsKey(n.getInput(1))) {
                matMul(n, floats.get(n.getInput(1)), out, replaced, quantizedInputs);
            } else if (n.getOpType().equals("Gather") && floats.containsKey(n.getInput(0))
                    && floats.get(n.getInput(0)).getDims(0) > MIN_GATHER_ROWS) {
                gather(n, floats.get(n.getInput(0)), out, replaced);
            } else {
                out.addNode(n);
            }
        }
        for (TensorProto t : g.getInitializerList()) {
            if (!replaced.containsKey(t.getName())) {
                out.addInitializer(t);
            }
        }
        return model.toBuilder().setGraph(out).build();
    }

    private static void matMul(NodeProto n, TensorProto w, GraphProto.Builder out, Map<String, String> replaced,
            Map<String, List<String>> quantizedInputs) {
        String name = n.getName();
        String x = n.getInput(0);
        List<String> q = quantizedInputs.computeIfAbsent(x, k -> {
            List<String> outs = List.of(x + "_quantized", x + "_scale", x + "_zero_point");
            out.addNode(NodeProto.newBuilder().setOpType("DynamicQuantizeLinear").setName(x + "_QuantizeLinear")
                    .addInput(x).addAllOutput(outs));
            return outs;
        });
        String wq = w.getName() + "_quantized";
        if (!replaced.containsKey(w.getName())) {
            replaced.put(w.getName(), wq);
            perColumn(w, out);
        }
        String integer = name + "_MatMulInteger_output";
        out.addNode(NodeProto.newBuilder().setOpType("MatMulInteger").setName(name + "_MatMulInteger")
                .addInput(q.get(0)).addInput(wq).addInput(q.get(2)).addInput(w.getName() + "_zero_point")
                .addOutput(integer));
        String cast = name + "_cast_output";
        out.addNode(NodeProto.newBuilder().setOpType("Cast").setName(name + "_cast").addInput(integer).addOutput(cast)
                .addAttribute(Graph.attr("to", (long) Graph.FLOAT)));
        String scale = name + "_scales_mul_output";
        out.addNode(NodeProto.newBuilder().setOpType("Mul").setName(name + "_scales_mul").addInput(q.get(1))
                .addInput(w.getName() + "_scale").addOutput(scale));
        out.addNode(NodeProto.newBuilder().setOpType("Mul").setName(name + "_output_scale_mul").addInput(cast)
                .addInput(scale).addAllOutput(n.getOutputList()));
    }

    /** (in, out) float weights -> int8 with one symmetric scale per output column, zero points 0. */
    private static void perColumn(TensorProto w, GraphProto.Builder out) {
        int rows = (int) w.getDims(0);
        int cols = (int) w.getDims(1);
        float[] v = floats(w);
        float[] scale = new float[cols];
        for (int i = 0; i < v.length; i++) {
            scale[i % cols] = Math.max(scale[i % cols], Math.abs(v[i]));
        }
        for (int c = 0; c < cols; c++) {
            scale[c] = scale[c] == 0 ? 1f : scale[c] / 127f;
        }
        byte[] q = new byte[v.length];
        for (int i = 0; i < v.length; i++) {
            q[i] = round(v[i] / scale[i % cols]);
        }
        out.addInitializer(Graph.tensor(w.getName() + "_quantized", TensorProto.DataType.INT8,
                new long[] {rows, cols}, ByteBuffer.wrap(q)));
        out.addInitializer(Graph.tensor(w.getName() + "_scale", TensorProto.DataType.FLOAT, new long[] {cols},
                floatBytes(scale)));
        out.addInitializer(Graph.tensor(w.getName() + "_zero_point", TensorProto.DataType.INT8, new long[] {cols},
                ByteBuffer.wrap(new byte[cols])));
    }

    /** An embedding table -> int8 rows and a scale per row, looked up together. */
    private static void gather(NodeProto n, TensorProto w, GraphProto.Builder out, Map<String, String> replaced) {
        String name = n.getName();
        String ids = n.getInput(1);
        String wq = w.getName() + "_quantized";
        String scales = w.getName() + "_scale";
        if (!replaced.containsKey(w.getName())) {
            replaced.put(w.getName(), wq);
            int rows = (int) w.getDims(0);
            int cols = (int) w.getDims(1);
            float[] v = floats(w);
            float[] scale = new float[rows];
            byte[] q = new byte[v.length];
            for (int r = 0; r < rows; r++) {
                float max = 0;
                for (int c = 0; c < cols; c++) {
                    max = Math.max(max, Math.abs(v[r * cols + c]));
                }
                scale[r] = max == 0 ? 1f : max / 127f;
                for (int c = 0; c < cols; c++) {
                    q[r * cols + c] = round(v[r * cols + c] / scale[r]);
                }
            }
            out.addInitializer(Graph.tensor(wq, TensorProto.DataType.INT8, new long[] {rows, cols}, ByteBuffer.wrap(q)));
            out.addInitializer(Graph.tensor(scales, TensorProto.DataType.FLOAT, new long[] {rows, 1}, floatBytes(scale)));
        }
        String rowsQ = name + "_quantized_output";
        out.addNode(NodeProto.newBuilder().setOpType("Gather").setName(name + "_quantized").addInput(wq).addInput(ids)
                .addOutput(rowsQ)); // (..., E) int8
        String cast = name + "_cast_output";
        out.addNode(NodeProto.newBuilder().setOpType("Cast").setName(name + "_cast").addInput(rowsQ).addOutput(cast)
                .addAttribute(Graph.attr("to", (long) Graph.FLOAT)));
        String rowScale = name + "_scale_output";
        out.addNode(NodeProto.newBuilder().setOpType("Gather").setName(name + "_scale").addInput(scales).addInput(ids)
                .addOutput(rowScale)); // (..., 1)
        out.addNode(NodeProto.newBuilder().setOpType("Mul").setName(name + "_dequantize").addInput(cast)
                .addInput(rowScale).addAllOutput(n.getOutputList()));
    }

    /** Round half to even, as numpy, clipped to the symmetric range [-127, 127]. */
    private static byte round(float x) {
        return (byte) Math.max(-127, Math.min(127, Math.rint(x)));
    }

    private static float[] floats(TensorProto t) {
        float[] v = new float[t.getRawData().size() / 4];
        t.getRawData().asReadOnlyByteBuffer().order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(v);
        return v;
    }

    private static ByteBuffer floatBytes(float[] v) {
        ByteBuffer b = ByteBuffer.allocate(v.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        b.asFloatBuffer().put(v);
        return b;
    }
}
