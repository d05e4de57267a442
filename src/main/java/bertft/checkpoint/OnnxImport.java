package bertft.checkpoint;

import bertft.UserError;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads the weights of a BERT exported to ONNX by HuggingFace/Optimum and names them as HuggingFace keys.
 *
 * <p>Only the protobuf wire format is parsed (no ONNX library). Most initializers already carry their
 * HuggingFace names; the Linear weights appear as anonymous {@code onnx::MatMul_N} inputs in [in, out] layout.
 * Each is named by following the graph: its MatMul's output feeds an Add whose other input is the named
 * bias ({@code encoder.layer.0.attention.self.query.bias}), so the weight is that name with {@code .weight},
 * transposed to [out, in].
 */
public final class OnnxImport {
    private static final int FLOAT = 1;

    private OnnxImport() {}

    /** A node of the graph: op type, inputs, outputs. */
    private record Node(String op, List<String> inputs, List<String> outputs) {}

    /** Returns the float weights by HuggingFace name; non-float initializers (position_ids) are skipped. */
    public static Map<String, TensorData> read(ByteBuffer model, String source) {
        Wire m = new Wire(model.duplicate().order(ByteOrder.LITTLE_ENDIAN), source);
        ByteBuffer graph = null;
        while (m.hasMore()) {
            int field = m.tag();
            if (field == 7) {
                graph = m.bytes();
            } else {
                m.skip();
            }
        }
        if (graph == null) {
            throw new UserError(source + ": no graph in ONNX model");
        }
        Map<String, TensorData> initializers = new LinkedHashMap<>();
        List<Node> nodes = new ArrayList<>();
        Wire g = new Wire(graph, source);
        while (g.hasMore()) {
            int field = g.tag();
            if (field == 1) {
                nodes.add(node(g.bytes(), source));
            } else if (field == 5) {
                tensor(g.bytes(), source, initializers);
            } else {
                g.skip();
            }
        }
        return rename(initializers, nodes, source);
    }

    private static Map<String, TensorData> rename(Map<String, TensorData> init, List<Node> nodes, String source) {
        Map<String, Node> consumerOf = new HashMap<>();
        for (Node n : nodes) {
            for (String in : n.inputs()) {
                consumerOf.putIfAbsent(in, n);
            }
        }
        Map<String, TensorData> out = new LinkedHashMap<>();
        for (Map.Entry<String, TensorData> e : init.entrySet()) {
            String name = e.getKey();
            if (!name.startsWith("onnx::")) {
                out.put(name, e.getValue());
                continue;
            }
            Node matMul = consumerOf.get(name);
            Node add = matMul == null || !matMul.op().equals("MatMul") ? null : consumerOf.get(matMul.outputs().get(0));
            String bias = add == null || !add.op().equals("Add") ? null
                    : add.inputs().stream().filter(i -> i.endsWith(".bias")).findFirst().orElse(null);
            if (bias == null) {
                throw new UserError(source + ": cannot name initializer " + name
                        + " (expected MatMul -> Add with a named .bias)");
            }
            out.put(bias.substring(0, bias.length() - ".bias".length()) + ".weight", e.getValue().transpose2d());
        }
        return out;
    }

    private static Node node(ByteBuffer b, String source) {
        Wire w = new Wire(b, source);
        List<String> in = new ArrayList<>();
        List<String> out = new ArrayList<>();
        String op = "";
        while (w.hasMore()) {
            int field = w.tag();
            switch (field) {
                case 1 -> in.add(w.string());
                case 2 -> out.add(w.string());
                case 4 -> op = w.string();
                default -> w.skip();
            }
        }
        return new Node(op, in, out);
    }

    private static void tensor(ByteBuffer b, String source, Map<String, TensorData> out) {
        Wire w = new Wire(b, source);
        List<Long> dims = new ArrayList<>();
        int type = 0;
        String name = null;
        ByteBuffer raw = null;
        while (w.hasMore()) {
            int field = w.tag();
            switch (field) {
                case 1 -> {
                    if (w.wireType() == 2) { // packed dims
                        Wire p = new Wire(w.bytes(), source);
                        while (p.hasMore()) {
                            dims.add(p.varint());
                        }
                    } else {
                        dims.add(w.varint());
                    }
                }
                case 2 -> type = (int) w.varint();
                case 8 -> name = w.string();
                case 9 -> raw = w.bytes();
                case 13, 14 -> throw new UserError(source + ": initializer " + name
                        + " uses external data; only self-contained ONNX files can be imported");
                default -> w.skip();
            }
        }
        if (type != FLOAT) {
            return;
        }
        if (raw == null) {
            throw new UserError(source + ": float initializer " + name + " has no raw_data");
        }
        long[] shape = dims.stream().mapToLong(Long::longValue).toArray();
        ByteBuffer copy = ByteBuffer.allocate(raw.remaining()).order(ByteOrder.LITTLE_ENDIAN);
        copy.put(raw).flip();
        out.put(name, new TensorData(shape, copy));
    }

    /** A cursor over protobuf wire-format bytes. */
    private static final class Wire {
        private final ByteBuffer b;
        private final String source;
        private int wireType;

        Wire(ByteBuffer b, String source) {
            this.b = b.slice().order(ByteOrder.LITTLE_ENDIAN);
            this.source = source;
        }

        boolean hasMore() {
            return b.hasRemaining();
        }

        int tag() {
            long key = varint();
            wireType = (int) (key & 7);
            return (int) (key >>> 3);
        }

        int wireType() {
            return wireType;
        }

        long varint() {
            long result = 0;
            for (int shift = 0; shift < 64; shift += 7) {
                if (!b.hasRemaining()) {
                    throw corrupt();
                }
                byte c = b.get();
                result |= (long) (c & 0x7f) << shift;
                if (c >= 0) {
                    return result;
                }
            }
            throw corrupt();
        }

        ByteBuffer bytes() {
            long n = varint();
            if (n < 0 || n > b.remaining()) {
                throw corrupt();
            }
            ByteBuffer out = b.slice().limit((int) n);
            b.position(b.position() + (int) n);
            return out;
        }

        String string() {
            ByteBuffer s = bytes();
            byte[] a = new byte[s.remaining()];
            s.get(a);
            return new String(a, java.nio.charset.StandardCharsets.UTF_8);
        }

        void skip() {
            switch (wireType) {
                case 0 -> varint();
                case 1 -> advance(8);
                case 2 -> bytes();
                case 5 -> advance(4);
                default -> throw corrupt();
            }
        }

        private void advance(int n) {
            if (n > b.remaining()) {
                throw corrupt();
            }
            b.position(b.position() + n);
        }

        private UserError corrupt() {
            return new UserError(source + ": corrupt ONNX protobuf near byte " + b.position());
        }
    }
}
