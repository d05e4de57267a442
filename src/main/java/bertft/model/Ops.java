package bertft.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.internal.NDArrayEx;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.ndarray.types.SparseFormat;
import bertft.UserError;
import bertft.checkpoint.TensorData;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The tensor operations every encoder family is made of, on DJL's engine-internal ops ({@link NDArrayEx}): the
 * public NDArray API has no embedding lookup, fused linear, layer norm, gelu or dropout.
 *
 * <p>Each op takes the input as its first operand, so its result belongs to the input's (step) manager.
 */
final class Ops {
    private Ops() {}

    static NDArray embedding(NDArray ids, NDArray weight) {
        return ex(ids).embedding(ids, weight, SparseFormat.DENSE).singletonOrThrow();
    }

    static NDArray linear(NDArray x, NDArray weight, NDArray bias) {
        return ex(x).linear(x, weight, bias).singletonOrThrow();
    }

    /** LayerNorm over the last dimension (the weight's length). */
    static NDArray layerNorm(NDArray x, NDArray weight, NDArray bias, double eps) {
        return ex(x).layerNorm(x, weight.getShape(), weight, bias, (float) eps).singletonOrThrow();
    }

    /** HuggingFace's activations by their config names: gelu (erf), gelu_new / gelu_pytorch_tanh, relu, tanh. */
    static NDArray activation(NDArray x, String name) {
        switch (name) {
            case "relu":
                return ex(x).relu();
            case "tanh":
                return x.tanh();
            case "gelu_new":
            case "gelu_pytorch_tanh":
                // 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))
                NDArray inner = Scalar.mul(x.add(Scalar.mul(x.mul(x).mul(x), 0.044715)), Math.sqrt(2 / Math.PI));
                return Scalar.mul(x.mul(inner.tanh().add(1f)), 0.5);
            default:
                return ex(x).gelu(); // exact erf form, as HuggingFace's "gelu"
        }
    }

    /**
     * Inverted dropout as torch's: {@code x * mask}, the mask 0 with probability {@code rate}, else 1 / (1 - rate).
     * The mask is drawn in Java ({@link DropoutMask}); autograd keeps it for backward as it keeps torch's own.
     */
    static NDArray dropout(NDArray x, double rate, boolean training) {
        if (!training || rate == 0) {
            return x;
        }
        try (NDArray mask = Torch.javaLoops(x) ? DropoutMask.draw(x.getManager(), x.getShape(), rate)
                : DropoutMask.drawOnDevice(x.getManager(), x.getShape(), rate)) {
            return x.mul(mask);
        }
    }

    /**
     * (B, T) attention mask -> (B, 1, 1, T) score bias: 0 where attended, the most negative float where padded; null
     * when nothing is padded (adding zeros changes no score, and length-bucketed batches are mostly unpadded).
     */
    static NDArray maskBias(NDArray attentionMask) {
        if (attentionMask.min().toType(DataType.INT64, false).getLong() != 0) {
            return null;
        }
        return attentionMask.toType(DataType.FLOAT32, false).neg().add(1f).mul(-Float.MAX_VALUE)
                .expandDims(1).expandDims(1);
    }

    /**
     * Scaled dot-product attention over projected (B, T, H) queries, keys and values, split into {@code heads}:
     * softmax(q k^T / sqrt(hs) + maskBias) v, back to (B, T, H); {@code maskBias} null for no padding.
     *
     * <p>Each (B, heads, T, T) intermediate is closed as soon as the next exists: autograd keeps what backward
     * needs, and the rest would otherwise stay allocated until the step's manager closes (DJL frees nothing
     * earlier), which at 384 tokens is most of a training step's memory.
     */
    static NDArray attention(NDArray q, NDArray k, NDArray v, NDArray maskBias, int heads, double dropout,
            boolean training) {
        long b = q.getShape().get(0);
        long t = q.getShape().get(1);
        int hs = (int) (q.getShape().get(2) / heads);
        // scale q rather than the (B, heads, T, T) scores: same result, T/hs times fewer multiplies
        NDArray qh = splitHeads(Scalar.mul(q, 1 / Math.sqrt(hs)), b, t, heads, hs);
        NDArray kh = splitHeads(k, b, t, heads, hs);
        NDArray vh = splitHeads(v, b, t, heads, hs);
        NDArray scores = qh.matMul(kh.transpose(0, 1, 3, 2)); // (B, heads, T, T)
        if (maskBias != null) {
            scores.addi(maskBias); // in place: the product is not kept for backward
        }
        NDArray probs = scores.softmax(-1);
        scores.close();
        NDArray dropped = dropout(probs, dropout, training);
        if (dropped != probs) {
            probs.close();
        }
        NDArray ctx = dropped.matMul(vh); // (B, heads, T, hs)
        dropped.close();
        return ctx.transpose(0, 2, 1, 3).reshape(b, t, (long) heads * hs); // (B, T, H)
    }

    private static NDArray splitHeads(NDArray x, long b, long t, int heads, int hs) {
        return x.reshape(b, t, heads, hs).transpose(0, 2, 1, 3); // (B, T, H) -> (B, heads, T, hs)
    }

    /**
     * Builds an encoder on a new manager holding {@code tensors} loaded as {@link #load} checks them; the manager is
     * closed again when loading or {@code make} fails.
     */
    static <E> E build(Map<String, long[]> expected, Map<String, TensorData> tensors, String source,
            java.util.function.BiFunction<NDManager, Map<String, NDArray>, E> make) {
        // every encoder's parameters are born here, so the engine gets bert-ft's settings first; not in a static
        // initializer, where a bad $BERT_FT_THREADS became an ExceptionInInitializerError and the class unusable
        Torch.init();
        NDManager manager = Torch.newManager();
        try {
            return make.apply(manager, load(manager, expected, tensors, source));
        } catch (RuntimeException e) {
            manager.close();
            throw e;
        }
    }

    /**
     * Parameters for {@code expected} names and shapes from engine-free tensors, in {@code manager}; a missing
     * tensor or a wrong shape is a one-line error naming {@code source}.
     */
    static Map<String, NDArray> load(NDManager manager, Map<String, long[]> expected, Map<String, TensorData> tensors,
            String source) {
        List<String> missing = new ArrayList<>();
        for (String k : expected.keySet()) {
            if (!tensors.containsKey(k)) {
                missing.add(k);
            }
        }
        if (!missing.isEmpty()) {
            throw new UserError(source + ": missing " + missing.size() + " encoder weight(s): "
                    + String.join(", ", missing.subList(0, Math.min(5, missing.size())))
                    + (missing.size() > 5 ? ", ..." : ""));
        }
        Map<String, NDArray> params = new LinkedHashMap<>();
        for (Map.Entry<String, long[]> e : expected.entrySet()) {
            TensorData t = tensors.get(e.getKey());
            if (!Arrays.equals(t.shape(), e.getValue())) {
                throw new UserError(source + ": " + e.getKey() + " has shape " + Arrays.toString(t.shape())
                        + ", config expects " + Arrays.toString(e.getValue()));
            }
            NDArray a = manager.create(t.data().duplicate(), new Shape(t.shape()), DataType.FLOAT32);
            a.setName(e.getKey());
            params.put(e.getKey(), a);
        }
        return params;
    }

    private static NDArrayEx ex(NDArray x) {
        return x.getNDArrayInternal();
    }
}
