package bertft.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import bertft.UserError;
import bertft.checkpoint.TensorData;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;

/**
 * A parameter-efficient adapter on an encoder's linear layers, as HuggingFace PEFT computes and names it: LoRA
 * ({@code y = W x + b + (alpha / r) B A dropout(x)}, A [r, in], B [out, r]) or IA3 (a learned vector scaling a
 * module's output, or for the feed-forward modules its input). Parameters are keyed by the encoder's module names
 * ({@code encoder.layer.0.attention.self.query.lora_A.weight}); an encoder with an adapter attached routes every
 * linear layer through {@link #linear}.
 *
 * <p>The base weights are never changed: {@link #merge} folds the adapter into a copy of them.
 */
public final class Peft implements AdapterHook, AutoCloseable {
    /**
     * The hook of the pass running on this thread, over whatever the encoder has attached: one base encoder serves
     * many adapters from several threads at once, so the adapter of a pass cannot be a field of the shared encoder.
     */
    private static final ThreadLocal<AdapterHook> PASS = new ThreadLocal<>();

    /** Runs {@code pass} (an encoder's forward) with {@code hook} adapting its linear layers on this thread. */
    public static <T> T during(AdapterHook hook, java.util.function.Supplier<T> pass) {
        AdapterHook before = PASS.get();
        PASS.set(hook);
        try {
            return pass.get();
        } finally {
            if (before == null) {
                PASS.remove();
            } else {
                PASS.set(before);
            }
        }
    }

    /** PEFT's {@code peft_type}s bert-ft runs. */
    public enum Type { LORA, IA3 }

    /**
     * What {@code adapter_config.json} says (PEFT's field names in brackets).
     *
     * @param r LoRA rank [r] (0 for IA3)
     * @param alpha [lora_alpha]
     * @param dropout on the LoRA path's input [lora_dropout]
     * @param targets module name suffixes [target_modules]
     * @param feedforward IA3 modules scaled on their input [feedforward_modules]
     * @param bias none, all or lora_only: which biases train and are saved [bias]
     * @param rslora scale alpha / sqrt(r) instead of alpha / r [use_rslora]
     */
    public record Config(Type type, int r, double alpha, double dropout, List<String> targets,
            List<String> feedforward, String bias, boolean rslora) {
        /** LoRA's scale of B A. */
        public double scale() {
            return rslora ? alpha / Math.sqrt(r) : alpha / r;
        }
    }

    /** PEFT's default LoRA targets of a family (its {@code TRANSFORMERS_MODELS_TO_LORA_TARGET_MODULES_MAPPING}). */
    public static List<String> defaultTargets(Type type, Family f) {
        boolean distil = f.modelType().equals("distilbert");
        boolean deberta = f.modelType().equals("deberta-v2");
        if (type == Type.LORA) {
            return distil ? List.of("q_lin", "v_lin") : deberta ? List.of("query_proj", "value_proj")
                    : List.of("query", "value");
        }
        return distil ? List.of("k_lin", "v_lin", "ffn.lin2") : deberta ? List.of("key_proj", "value_proj", "output.dense")
                : List.of("key", "value", "output.dense");
    }

    /** PEFT's default IA3 feed-forward modules of a family (scaled on their input). */
    public static List<String> defaultFeedforward(Family f) {
        return List.of(f.modelType().equals("distilbert") ? "ffn.lin2" : "output.dense");
    }

    private final Config config;
    private final NDManager manager;
    private final Map<String, NDArray> params = new LinkedHashMap<>();
    private final Set<String> feedforward = new LinkedHashSet<>();

    private Peft(Config config, NDManager manager) {
        this.config = config;
        this.manager = manager;
    }

    public Config config() {
        return config;
    }

    /** The adapter's parameters by encoder name ({@code <module>.lora_A.weight}, {@code <module>.ia3_l}); live. */
    public Map<String, NDArray> params() {
        return params;
    }

    /** Whether the module (encoder name, no {@code .weight}) is adapted. */
    public boolean adapts(String module) {
        return config.type == Type.LORA ? params.containsKey(module + ".lora_A.weight") : params.containsKey(module + ".ia3_l");
    }

    /** Whether IA3 scales this module's input (a feed-forward module) rather than its output. */
    public boolean scalesInput(String module) {
        return feedforward.contains(module);
    }

    /** The encoder's linear modules a target may name: 2-D weights of the layers (no embeddings, no pooler). */
    static List<String> linearModules(BertConfig c) {
        List<String> out = new ArrayList<>();
        c.family().shapes().apply(c).forEach((k, shape) -> {
            if (k.endsWith(".weight") && shape.length == 2 && c.family().layerIndex(k) >= 0) {
                out.add(k.substring(0, k.length() - ".weight".length()));
            }
        });
        return out;
    }

    /**
     * The modules the targets name, as PEFT matches them (the module's full name ends with {@code .target}); a
     * target that names none is a one-line error listing the valid names (those of one layer).
     */
    public static List<String> matching(BertConfig c, List<String> targets, String where) {
        List<String> modules = linearModules(c);
        String prefix = c.family().prefix() + ".";
        Set<String> out = new LinkedHashSet<>();
        for (String t : targets) {
            List<String> found = modules.stream().filter(m -> ("." + prefix + m).endsWith("." + t)).toList();
            if (found.isEmpty() || t.isBlank()) {
                throw new UserError(where + ": no module '" + t + "' in " + c.modelType() + "; valid: "
                        + String.join(", ", validNames(c)));
            }
            out.addAll(found);
        }
        return List.copyOf(out);
    }

    /** The linear modules of one layer, by their name below the layer ({@code attention.self.query}). */
    static List<String> validNames(BertConfig c) {
        List<String> names = new ArrayList<>();
        for (String m : linearModules(c)) {
            if (c.family().layerIndex(m + ".") == 0) {
                names.add(m.replaceFirst("^.*?layer\\.0\\.", ""));
            }
        }
        return names;
    }

    /** The shape of a module's weight [out, in]. */
    private static long[] weightShape(BertConfig c, String module) {
        return c.family().shapes().apply(c).get(module + ".weight");
    }

    /**
     * A new adapter as PEFT initialises one: LoRA's A Kaiming-uniform (a = sqrt 5, so U(-1/sqrt(in), 1/sqrt(in))),
     * B zero, so the adapted model starts as the base; IA3's vectors ones. Seeded from Java's RNG.
     */
    public static Peft create(Config cfg, BertConfig c, long seed) {
        Random rng = new Random(seed);
        Map<String, TensorData> t = new LinkedHashMap<>();
        for (String m : check(cfg, c, "lora-targets", "lora-r")) {
            long[] w = weightShape(c, m);
            if (cfg.type() == Type.LORA) {
                float[] a = new float[(int) (cfg.r() * w[1])];
                double bound = 1 / Math.sqrt(w[1]);
                for (int i = 0; i < a.length; i++) {
                    a[i] = (float) ((rng.nextDouble() * 2 - 1) * bound);
                }
                t.put(m + ".lora_A.weight", TensorData.of(new long[] {cfg.r(), w[1]}, a));
                t.put(m + ".lora_B.weight", TensorData.of(new long[] {w[0], cfg.r()}, new float[(int) (w[0] * cfg.r())]));
            } else {
                boolean ff = isFeedforward(c, cfg, m);
                long[] shape = ff ? new long[] {1, w[1]} : new long[] {w[0], 1};
                float[] ones = new float[(int) TensorData.numel(shape)];
                Arrays.fill(ones, 1f);
                t.put(m + ".ia3_l", TensorData.of(shape, ones));
            }
        }
        return load(cfg, c, t, "new adapter");
    }

    /**
     * The modules a config adapts on this base; a target naming none, or a rank larger than a module, is a one-line
     * error at {@code targetsWhere} / {@code rWhere} (a task file's line or an option).
     */
    public static List<String> check(Config cfg, BertConfig c, String targetsWhere, String rWhere) {
        List<String> modules = matching(c, cfg.targets(), targetsWhere);
        if (cfg.type() == Type.LORA) {
            for (String m : modules) {
                long[] w = weightShape(c, m);
                if (cfg.r() > Math.min(w[0], w[1])) {
                    throw new UserError(rWhere + ": " + cfg.r() + " is larger than module " + m + " (" + w[0] + " x "
                            + w[1] + "); use at most " + Math.min(w[0], w[1]));
                }
            }
        }
        return modules;
    }

    private static boolean isFeedforward(BertConfig c, Config cfg, String module) {
        String full = "." + c.family().prefix() + "." + module;
        return cfg.feedforward().stream().anyMatch(f -> full.endsWith("." + f));
    }

    /**
     * An adapter from its tensors by encoder name: every targeted module's, each of the shape the base's module
     * needs (an adapter made for another base is refused in one line).
     */
    public static Peft load(Config cfg, BertConfig c, Map<String, TensorData> tensors, String where) {
        Map<String, long[]> expected = expectedShapes(cfg, c, tensors, where);
        Torch.init();
        NDManager manager = Torch.newManager();
        Peft p = new Peft(cfg, manager);
        try {
            for (Map.Entry<String, long[]> e : expected.entrySet()) {
                TensorData t = tensors.get(e.getKey());
                NDArray a = manager.create(t.data().duplicate(), new Shape(t.shape()), DataType.FLOAT32);
                a.setName(e.getKey());
                p.params.put(e.getKey(), a);
            }
            for (String m : matching(c, cfg.targets(), where)) {
                if (cfg.type() == Type.IA3 && isFeedforward(c, cfg, m)) {
                    p.feedforward.add(m);
                }
            }
            return p;
        } catch (RuntimeException e) {
            manager.close();
            throw e;
        }
    }

    /** The adapter tensors a config needs on this base, checked against what {@code tensors} holds. */
    static Map<String, long[]> expectedShapes(Config cfg, BertConfig c, Map<String, TensorData> tensors, String where) {
        Map<String, long[]> expected = new LinkedHashMap<>();
        for (String m : matching(c, cfg.targets(), where)) {
            long[] w = weightShape(c, m);
            if (cfg.type() == Type.LORA) {
                TensorData a = tensors.get(m + ".lora_A.weight");
                int r = a != null && a.shape().length == 2 ? (int) a.shape()[0] : cfg.r();
                expected.put(m + ".lora_A.weight", new long[] {r, w[1]});
                expected.put(m + ".lora_B.weight", new long[] {w[0], r});
            } else {
                expected.put(m + ".ia3_l", isFeedforward(c, cfg, m) ? new long[] {1, w[1]} : new long[] {w[0], 1});
            }
        }
        for (Map.Entry<String, long[]> e : expected.entrySet()) {
            TensorData t = tensors.get(e.getKey());
            if (t == null) {
                throw new UserError(where + ": no tensor " + e.getKey() + " for target module "
                        + e.getKey().replaceAll("\\.(lora_[AB]\\.weight|ia3_l)$", ""));
            }
            if (!Arrays.equals(t.shape(), e.getValue())) {
                throw new UserError(where + ": " + e.getKey() + " has shape " + Arrays.toString(t.shape()) + ", the base "
                        + c.modelType() + " model (hidden_size " + c.hiddenSize() + ") needs "
                        + Arrays.toString(e.getValue()) + " (an adapter made for another base?)");
            }
        }
        for (String k : tensors.keySet()) {
            if (!expected.containsKey(k)) {
                throw new UserError(where + ": adapter tensor " + k + " is not one of target_modules "
                        + cfg.targets());
            }
        }
        return expected;
    }

    /**
     * Linear layer {@code name} of an encoder's {@code params} (its {@code .weight} and {@code .bias}), through
     * {@code peft} when an adapter is attached (else plain): the one hook every family's transformer layers call.
     */
    static NDArray linear(Peft peft, NDArray x, java.util.Map<String, NDArray> params, String name, boolean training) {
        NDArray w = params.get(name + ".weight");
        NDArray b = params.get(name + ".bias");
        AdapterHook pass = PASS.get();
        AdapterHook h = pass != null ? pass : peft;
        return h == null ? Ops.linear(x, w, b) : h.linear(x, name, w, b, training);
    }

    /**
     * A linear layer of the encoder with this adapter: {@code W x + b}, plus LoRA's {@code scale B A dropout(x)},
     * or times IA3's vector (on the input for feed-forward modules).
     */
    @Override
    public NDArray linear(NDArray x, String module, NDArray weight, NDArray bias, boolean training) {
        if (config.type == Type.LORA) {
            NDArray a = params.get(module + ".lora_A.weight");
            NDArray y = Ops.linear(x, weight, bias);
            if (a == null) {
                return y;
            }
            NDArray h = Ops.linear(Ops.dropout(x, config.dropout, training), a, null);
            return y.add(Scalar.mul(Ops.linear(h, params.get(module + ".lora_B.weight"), null), config.scale()));
        }
        NDArray l = params.get(module + ".ia3_l");
        if (l == null) {
            return Ops.linear(x, weight, bias);
        }
        if (feedforward.contains(module)) {
            return Ops.linear(x.mul(l.reshape(-1)), weight, bias);
        }
        return Ops.linear(x, weight, bias).mul(l.reshape(-1));
    }

    /** A copy of the adapter's parameters as engine-free tensors, by encoder name. */
    public Map<String, TensorData> tensors() {
        Map<String, TensorData> out = new LinkedHashMap<>();
        params.forEach((k, v) -> out.put(k, Bert.toTensorData(v)));
        return out;
    }

    /**
     * The encoder's weights with the adapter folded in, as PEFT's {@code merge_and_unload}: LoRA
     * {@code W + scale B A}; IA3 {@code W} scaled by row (and, unlike PEFT 0.5, the bias with it, so the merged
     * model computes exactly what the adapter did) or by column for feed-forward modules.
     */
    public static Map<String, TensorData> merge(Config cfg, BertConfig c, Map<String, TensorData> encoder,
            Map<String, TensorData> adapter) {
        Map<String, TensorData> out = new LinkedHashMap<>(encoder);
        for (String m : matching(c, cfg.targets(), "merge")) {
            TensorData w = encoder.get(m + ".weight");
            float[] wv = w.toFloats();
            int rows = (int) w.shape()[0];
            int cols = (int) w.shape()[1];
            if (cfg.type() == Type.LORA) {
                float[] a = adapter.get(m + ".lora_A.weight").toFloats();
                float[] b = adapter.get(m + ".lora_B.weight").toFloats();
                int r = a.length / cols;
                double s = cfg.scale();
                for (int o = 0; o < rows; o++) {
                    for (int i = 0; i < cols; i++) {
                        double d = 0;
                        for (int k = 0; k < r; k++) {
                            d += (double) b[o * r + k] * a[k * cols + i];
                        }
                        wv[o * cols + i] += (float) (s * d);
                    }
                }
            } else {
                float[] l = adapter.get(m + ".ia3_l").toFloats();
                boolean ff = isFeedforward(c, cfg, m);
                for (int o = 0; o < rows; o++) {
                    for (int i = 0; i < cols; i++) {
                        wv[o * cols + i] *= ff ? l[i] : l[o];
                    }
                }
                TensorData bias = encoder.get(m + ".bias");
                if (!ff && bias != null) {
                    float[] bv = bias.toFloats();
                    for (int o = 0; o < rows; o++) {
                        bv[o] *= l[o];
                    }
                    out.put(m + ".bias", TensorData.of(bias.shape(), bv));
                }
            }
            out.put(m + ".weight", TensorData.of(w.shape(), wv));
        }
        return out;
    }

    @Override
    public void close() {
        manager.close();
    }
}
