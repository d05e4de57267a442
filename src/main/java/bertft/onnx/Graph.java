package bertft.onnx;

import bertft.checkpoint.TensorData;
import bertft.onnx.proto.OnnxProto.AttributeProto;
import bertft.onnx.proto.OnnxProto.GraphProto;
import bertft.onnx.proto.OnnxProto.NodeProto;
import bertft.onnx.proto.OnnxProto.TensorProto;
import bertft.onnx.proto.OnnxProto.TensorShapeProto;
import bertft.onnx.proto.OnnxProto.TypeProto;
import bertft.onnx.proto.OnnxProto.ValueInfoProto;
import com.google.protobuf.ByteString;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * An ONNX graph under construction, with one method per operation of {@code bertft.model.Ops}, written as the same
 * arithmetic in the same order, so the exported graph computes what the libtorch model does.
 *
 * <p>Value names are made in call order ({@code /encoder.layer.0.attention/MatMul_3}), constants are shared by value:
 * building the same model twice gives the same bytes.
 */
final class Graph {
    static final int FLOAT = TensorProto.DataType.FLOAT_VALUE;
    static final int INT64 = TensorProto.DataType.INT64_VALUE;

    private final GraphProto.Builder g = GraphProto.newBuilder();
    private final int opset;
    private final Map<String, String> constants = new HashMap<>();
    private final Set<String> initializers = new HashSet<>();
    private int nodes;
    private String scope = "";

    Graph(String name, int opset) {
        this.opset = opset;
        g.setName(name);
    }

    int opset() {
        return opset;
    }

    GraphProto build() {
        return g.build();
    }

    /** Names the nodes that follow after the module they belong to (a HuggingFace module path). */
    void scope(String module) {
        scope = module;
    }

    /** A graph input with dynamic dimensions named {@code dims} (e.g. batch, sequence). */
    String input(String name, int type, String... dims) {
        g.addInput(valueInfo(name, type, dims));
        return name;
    }

    /** Names {@code value} as a graph output (through Identity when it already has another name). */
    void output(String name, String value, int type, String... dims) {
        if (!value.equals(name)) {
            g.addNode(NodeProto.newBuilder().setOpType("Identity").setName("/" + name + "/Identity")
                    .addInput(value).addOutput(name));
        }
        g.addOutput(valueInfo(name, type, dims));
    }

    private static ValueInfoProto valueInfo(String name, int type, String... dims) {
        TensorShapeProto.Builder shape = TensorShapeProto.newBuilder();
        for (String d : dims) {
            shape.addDim(TensorShapeProto.Dimension.newBuilder().setDimParam(d));
        }
        return ValueInfoProto.newBuilder().setName(name).setType(TypeProto.newBuilder()
                .setTensorType(TypeProto.Tensor.newBuilder().setElemType(type).setShape(shape))).build();
    }

    /** A float weight as an initializer named {@code name}, added on first use. */
    String weight(String name, Supplier<TensorData> t) {
        if (initializers.add(name)) {
            TensorData d = t.get();
            g.addInitializer(tensor(name, TensorProto.DataType.FLOAT, d.shape(), d.data()));
        }
        return name;
    }

    static TensorProto tensor(String name, TensorProto.DataType type, long[] shape, ByteBuffer raw) {
        TensorProto.Builder t = TensorProto.newBuilder().setName(name).setDataType(type.getNumber());
        for (long d : shape) {
            t.addDims(d);
        }
        return t.setRawData(ByteString.copyFrom(raw.duplicate())).build();
    }

    /** A float constant (0-d), shared by every node that uses the same value. */
    String scalar(float v) {
        return constant("float " + Float.floatToIntBits(v), () -> {
            ByteBuffer b = ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putFloat(v);
            return tensor("", TensorProto.DataType.FLOAT, new long[0], b.flip());
        });
    }

    /** A 1-d int64 constant. */
    String longs(long... v) {
        return constant("int64 " + Arrays.toString(v), () -> longTensor(new long[] {v.length}, v));
    }

    /** A 0-d int64 constant. */
    String longScalar(long v) {
        return constant("int64 scalar " + v, () -> longTensor(new long[0], v));
    }

    private static TensorProto longTensor(long[] shape, long... v) {
        ByteBuffer b = ByteBuffer.allocate(8 * v.length).order(ByteOrder.LITTLE_ENDIAN);
        for (long x : v) {
            b.putLong(x);
        }
        return tensor("", TensorProto.DataType.INT64, shape, b.flip());
    }

    private String constant(String key, Supplier<TensorProto> make) {
        return constants.computeIfAbsent(key, k -> {
            String name = "const_" + constants.size();
            g.addInitializer(make.get().toBuilder().setName(name));
            return name;
        });
    }

    /** Adds a node with one output and returns the output's name. */
    String node(String op, List<String> inputs, AttributeProto... attributes) {
        return nodeOutputs(op, inputs, 1, attributes).get(0);
    }

    String node(String op, String... inputs) {
        return node(op, List.of(inputs));
    }

    /** Adds a node with {@code outputs} outputs. */
    List<String> nodeOutputs(String op, List<String> inputs, int outputs, AttributeProto... attributes) {
        String name = scope + "/" + op + "_" + nodes++;
        NodeProto.Builder n = NodeProto.newBuilder().setOpType(op).setName(name).addAllInput(inputs);
        List<String> out = new ArrayList<>();
        for (int i = 0; i < outputs; i++) {
            out.add(name + "_output_" + i);
        }
        n.addAllOutput(out);
        for (AttributeProto a : attributes) {
            n.addAttribute(a);
        }
        g.addNode(n);
        return out;
    }

    static AttributeProto attr(String name, long v) {
        return AttributeProto.newBuilder().setName(name).setType(AttributeProto.AttributeType.INT).setI(v).build();
    }

    static AttributeProto attr(String name, float v) {
        return AttributeProto.newBuilder().setName(name).setType(AttributeProto.AttributeType.FLOAT).setF(v).build();
    }

    static AttributeProto attrs(String name, long... v) {
        AttributeProto.Builder a = AttributeProto.newBuilder().setName(name).setType(AttributeProto.AttributeType.INTS);
        for (long x : v) {
            a.addInts(x);
        }
        return a.build();
    }

    // The operations of bertft.model.Ops, one for one.

    /** Embedding lookup: rows of {@code weight} by {@code ids}. */
    String embedding(String ids, String weight) {
        return node("Gather", weight, ids);
    }

    /** x W^T + b, with W^T stored as the initializer {@code <name>.weight.T} (ONNX MatMul wants (in, out)). */
    String linear(String x, String name, Function<String, TensorData> weights) {
        String w = weight(name + ".weight.T", () -> weights.apply(name + ".weight").transpose2d());
        String b = weight(name + ".bias", () -> weights.apply(name + ".bias"));
        return node("Add", node("MatMul", x, w), b);
    }

    /**
     * LayerNorm over the last dimension: ONNX's LayerNormalization from opset 17, before that the decomposition
     * ONNX Runtime fuses back into one kernel (mean, centre, mean of squares, divide by the root).
     */
    String layerNorm(String x, String name, double eps, Function<String, TensorData> weights) {
        String w = weight(name + ".weight", () -> weights.apply(name + ".weight"));
        String b = weight(name + ".bias", () -> weights.apply(name + ".bias"));
        if (opset >= 17) {
            return node("LayerNormalization", List.of(x, w, b), attr("axis", -1L),
                    attr("epsilon", (float) eps));
        }
        String mean = node("ReduceMean", List.of(x), attrs("axes", -1));
        String centred = node("Sub", x, mean);
        String variance = node("ReduceMean", List.of(node("Pow", centred, scalar(2f))), attrs("axes", -1));
        String normed = node("Div", centred, node("Sqrt", node("Add", variance, scalar((float) eps))));
        return node("Add", node("Mul", normed, w), b);
    }

    /** x W^T without a bias (DeBERTa's embed_proj). */
    String matMul(String x, String name, Function<String, TensorData> weights) {
        return node("MatMul", x, weight(name + ".weight.T", () -> weights.apply(name + ".weight").transpose2d()));
    }

    /** (B, T, H) -> (B, heads, T, hs). */
    String splitHeads(String x, int heads, int hs) {
        return node("Transpose", List.of(node("Reshape", x, longs(0, 0, heads, hs))), attrs("perm", 0, 2, 1, 3));
    }

    /** (B, heads, T, hs) -> (B, T, H). */
    String mergeHeads(String x, int hidden) {
        return node("Reshape", node("Transpose", List.of(x), attrs("perm", 0, 2, 1, 3)), longs(0, 0, hidden));
    }

    /** Swaps the last two axes of a 4-d value. */
    String transposeLast(String x) {
        return node("Transpose", List.of(x), attrs("perm", 0, 1, 3, 2));
    }

    /** A 1-d int64 table as an initializer named {@code name}. */
    String longTable(String name, long[] values) {
        if (initializers.add(name)) {
            g.addInitializer(longTensor(new long[] {values.length}, values).toBuilder().setName(name));
        }
        return name;
    }

    /** HuggingFace's activations by their config names, as {@code Ops.activation}. */
    String activation(String x, String name) {
        switch (name) {
            case "relu":
                return node("Relu", x);
            case "tanh":
                return node("Tanh", x);
            case "gelu_new":
            case "gelu_pytorch_tanh": {
                // 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))
                String cube = node("Mul", node("Mul", x, x), x);
                String inner = node("Mul", node("Add", x, node("Mul", cube, scalar(0.044715f))),
                        scalar((float) Math.sqrt(2 / Math.PI)));
                return node("Mul", node("Mul", x, node("Add", node("Tanh", inner), scalar(1f))), scalar(0.5f));
            }
            default: // exact erf form, as HuggingFace's "gelu"; ONNX Runtime fuses this pattern into Gelu
                String erf = node("Erf", node("Div", x, scalar((float) Math.sqrt(2))));
                return node("Mul", node("Mul", x, node("Add", erf, scalar(1f))), scalar(0.5f));
        }
    }

    /** (B, T) int64 attention mask -> (B, 1, 1, T) score bias: 0 where attended, the most negative float where padded. */
    String maskBias(String attentionMask) {
        String m = node("Cast", List.of(attentionMask), attr("to", (long) FLOAT));
        String bias = node("Mul", node("Sub", scalar(1f), m), scalar(-Float.MAX_VALUE));
        return node("Unsqueeze", bias, longs(1, 2));
    }

    /** softmax(q k^T / sqrt(hs) + maskBias) v over (B, T, H) projections split into {@code heads}, back to (B, T, H). */
    String attention(String q, String k, String v, String maskBias, int heads, int hidden) {
        int hs = hidden / heads;
        String split = longs(0, 0, heads, hs); // (B, T, H) -> (B, T, heads, hs); 0 keeps a dimension
        String qh = node("Transpose", List.of(node("Reshape", node("Mul", q, scalar((float) (1 / Math.sqrt(hs)))),
                split)), attrs("perm", 0, 2, 1, 3)); // (B, heads, T, hs)
        String kt = node("Transpose", List.of(node("Reshape", k, split)), attrs("perm", 0, 2, 3, 1)); // (B, heads, hs, T)
        String vh = node("Transpose", List.of(node("Reshape", v, split)), attrs("perm", 0, 2, 1, 3)); // (B, heads, T, hs)
        String scores = node("Add", node("MatMul", qh, kt), maskBias); // (B, heads, T, T)
        String probs = node("Softmax", List.of(scores), attr("axis", -1L));
        String ctx = node("Transpose", List.of(node("MatMul", probs, vh)), attrs("perm", 0, 2, 1, 3)); // (B, T, heads, hs)
        return node("Reshape", ctx, longs(0, 0, hidden)); // (B, T, H)
    }

    /** Positions 0..T-1 of (B, T) ids, int64 (T). */
    String arange(String ids) {
        String t = node("Gather", List.of(node("Shape", ids), longScalar(1)), attr("axis", 0L));
        return node("Range", longScalar(0), t, longScalar(1));
    }

    /** Mean over real tokens (mask 1), as {@code Bert.meanPool}: (B, T, H) -> (B, H). */
    String meanPool(String hidden, String attentionMask) {
        String m = node("Unsqueeze", node("Cast", List.of(attentionMask), attr("to", (long) FLOAT)), longs(2)); // (B, T, 1)
        String sum = node("ReduceSum", List.of(node("Mul", hidden, m), longs(1)), attr("keepdims", 0L)); // (B, H)
        String count = node("ReduceSum", List.of(m, longs(1)), attr("keepdims", 0L)); // (B, 1)
        return node("Div", sum, node("Max", count, scalar(1e-9f)));
    }

    /** The first token's vector: (B, T, H) -> (B, H). */
    String firstToken(String hidden) {
        return node("Gather", List.of(hidden, longScalar(0)), attr("axis", 1L));
    }
}
