package bertft.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Several adapters of one base encoder, stacked by module so that one inference pass computes each row of a batch
 * with its own adapter: the base's {@code W x + b} once for the whole batch, then each row's LoRA update
 * {@code scale B A x} (its matrices gathered by row, a batched matmul; ranks padded with zeros to the largest) and
 * its IA3 vectors (ones where a row's adapter has none). Adapter index 0 is the base alone; adapter {@code i} is
 * index {@code i + 1}. The adapters stay their owner's; the stack holds copies.
 */
public final class AdapterStack implements AutoCloseable {
    /**
     * One module's stacked adapters, null where no adapter needs that part: {@code a} (n+1, R, in), {@code b}
     * (n+1, out, R) with LoRA's scale folded in, each flat per adapter (rows are gathered as embeddings are), and
     * IA3's {@code scaleOut} (n+1, out) and {@code scaleIn} (n+1, in).
     */
    private record Module(NDArray a, NDArray b, long rank, long in, long out, NDArray scaleOut, NDArray scaleIn) {}

    private final List<Peft> adapters;
    private final NDManager manager;
    private final Map<String, Module> modules = new LinkedHashMap<>();

    /** Stacks {@code adapters} (all made for the same base: their modules' shapes agree). */
    public AdapterStack(List<Peft> adapters) {
        this.adapters = List.copyOf(adapters);
        Torch.init();
        this.manager = Torch.newManager();
        try {
            Set<String> names = new LinkedHashSet<>();
            for (Peft p : adapters) {
                for (String k : p.params().keySet()) {
                    names.add(k.replaceAll("\\.(lora_[AB]\\.weight|ia3_l)$", ""));
                }
            }
            names.forEach(m -> modules.put(m, stack(m)));
        } catch (RuntimeException e) {
            manager.close();
            throw e;
        }
    }

    private Module stack(String module) {
        int n = adapters.size() + 1;
        int rank = 0;
        long in = 0;
        long out = 0;
        for (Peft p : adapters) {
            NDArray a = p.params().get(module + ".lora_A.weight");
            if (a != null) {
                rank = Math.max(rank, (int) a.getShape().get(0));
                in = a.getShape().get(1);
                out = p.params().get(module + ".lora_B.weight").getShape().get(0);
            }
        }
        NDArray a = null;
        NDArray b = null;
        if (rank > 0) {
            float[] as = new float[(int) (n * rank * in)];
            float[] bs = new float[(int) (n * out * rank)];
            for (int i = 0; i < adapters.size(); i++) {
                Peft p = adapters.get(i);
                NDArray pa = p.params().get(module + ".lora_A.weight");
                if (pa == null) {
                    continue;
                }
                int r = (int) pa.getShape().get(0);
                float[] av = pa.toFloatArray(); // (r, in): the first r of rank rows
                System.arraycopy(av, 0, as, (int) ((i + 1) * rank * in), av.length);
                float[] bv = p.params().get(module + ".lora_B.weight").toFloatArray(); // (out, r)
                double scale = p.config().scale();
                for (int o = 0; o < out; o++) {
                    for (int k = 0; k < r; k++) {
                        bs[(int) ((i + 1) * out * rank + o * rank + k)] = (float) (bv[o * r + k] * scale);
                    }
                }
            }
            a = manager.create(as, new Shape(n, rank * in));
            b = manager.create(bs, new Shape(n, out * rank));
        }
        return new Module(a, b, rank, in, out, ia3(module, false), ia3(module, true));
    }

    /** IA3's vectors of a module scaling its input ({@code input}) or output, ones for adapters without one. */
    private NDArray ia3(String module, boolean input) {
        int n = adapters.size() + 1;
        float[][] rows = new float[n][];
        int width = 0;
        for (int i = 0; i < adapters.size(); i++) {
            Peft p = adapters.get(i);
            NDArray l = p.params().get(module + ".ia3_l");
            if (l != null && p.scalesInput(module) == input) {
                rows[i + 1] = l.toFloatArray();
                width = rows[i + 1].length;
            }
        }
        if (width == 0) {
            return null;
        }
        float[] all = new float[n * width];
        Arrays.fill(all, 1f);
        for (int i = 1; i < n; i++) {
            if (rows[i] != null) {
                System.arraycopy(rows[i], 0, all, i * width, width);
            }
        }
        return manager.create(all, new Shape(n, width));
    }

    /**
     * The hook of one pass whose row {@code r} takes adapter {@code adapterOfRow[r]} (0: the base alone); what it
     * gathers lives in {@code step}. A batch of one adapter runs that adapter as it runs alone.
     */
    public AdapterHook rows(int[] adapterOfRow, NDManager step) {
        boolean same = Arrays.stream(adapterOfRow).allMatch(i -> i == adapterOfRow[0]);
        if (same) {
            return adapterOfRow[0] == 0 ? (x, m, w, bias, t) -> Ops.linear(x, w, bias) : adapters.get(adapterOfRow[0] - 1);
        }
        NDArray idx = step.create(Arrays.stream(adapterOfRow).asLongStream().toArray());
        Map<String, NDArray[]> gathered = new HashMap<>();
        return (x, module, weight, bias, training) -> {
            Module m = modules.get(module);
            if (m == null) {
                return Ops.linear(x, weight, bias);
            }
            if (x.getShape().get(0) != adapterOfRow.length) {
                throw new IllegalStateException(module + ": a pass over " + x.getShape() + " for "
                        + adapterOfRow.length + " rows (a family that runs a linear layer on other than the batch)");
            }
            NDArray[] g = gathered.computeIfAbsent(module, k -> gather(m, idx, step));
            NDArray y = Ops.linear(g[2] != null ? x.mul(g[2]) : x, weight, bias); // (B, T, out)
            if (g[3] != null) {
                y = y.mul(g[3]);
            }
            if (g[0] != null) {
                y = y.add(x.matMul(g[0]).matMul(g[1])); // (B, T, in) @ (B, in, R) @ (B, R, out) -> (B, T, out)
            }
            return y;
        };
    }

    /** Each row's share of a module's stack: A^T (B, in, R), (scale B)^T (B, R, out), IA3 (B, 1, in), (B, 1, out). */
    private static NDArray[] gather(Module m, NDArray idx, NDManager step) {
        NDArray[] g = new NDArray[4];
        long rows = idx.getShape().get(0);
        if (m.a() != null) {
            g[0] = Ops.embedding(idx, m.a()).reshape(rows, m.rank(), m.in()).transpose(0, 2, 1); // (B, in, R)
            g[1] = Ops.embedding(idx, m.b()).reshape(rows, m.out(), m.rank()).transpose(0, 2, 1); // (B, R, out)
        }
        if (m.scaleIn() != null) {
            g[2] = Ops.embedding(idx, m.scaleIn()).expandDims(1); // (B, in) -> (B, 1, in)
        }
        if (m.scaleOut() != null) {
            g[3] = Ops.embedding(idx, m.scaleOut()).expandDims(1); // (B, out) -> (B, 1, out)
        }
        return g;
    }

    /**
     * Rows {@code rows} of {@code x} (B, ...) -> (rows, ...), owned by {@code x}'s manager (a lookup, as embeddings
     * are: DJL's indexing by an array of ints is not in its public API for every engine).
     */
    public static NDArray select(NDArray x, int[] rows) {
        Shape shape = x.getShape();
        NDArray idx = x.getManager().create(Arrays.stream(rows).asLongStream().toArray());
        boolean ints = x.getDataType() != ai.djl.ndarray.types.DataType.FLOAT32;
        NDArray flat = (ints ? x.toType(ai.djl.ndarray.types.DataType.FLOAT32, false) : x).reshape(shape.get(0), -1);
        NDArray out = Ops.embedding(idx, flat).reshape(new Shape(rows.length).addAll(shape.slice(1)));
        return ints ? out.toType(x.getDataType(), false) : out;
    }

    /** Whether a family's passes run every adapted linear layer on the batch, so that rows can differ. */
    public static boolean rowsApply(Family f) {
        return !f.modelType().equals("deberta-v2"); // its relative-position projections run on (1, 2k, H)
    }

    @Override
    public void close() {
        manager.close();
    }
}
