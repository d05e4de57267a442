package bertft.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;
import java.util.HashMap;
import java.util.Map;
import java.util.function.ToDoubleFunction;

/**
 * AdamW as {@code torch.optim.AdamW} computes it, with what DJL's optimizer lacks: a weight decay and a learning
 * rate per parameter, and a step count per parameter, so that one unfrozen late gets Adam's bias correction
 * from its own first step (with a global count its first updates would be 2.5-3x too large).
 *
 * <p>State (m, v, step) is created on a parameter's first update, in the parameter's manager.
 */
public final class AdamW {
    private final double beta1;
    private final double beta2;
    private final double eps;
    private final Map<String, State> states = new HashMap<>();

    /** Per-parameter moments and the number of updates it has had. */
    public static final class State {
        final NDArray m;
        final NDArray v;
        long step;

        State(NDArray m, NDArray v, long step) {
            this.m = m;
            this.v = v;
            this.step = step;
        }

        public NDArray m() {
            return m;
        }

        public NDArray v() {
            return v;
        }

        public long step() {
            return step;
        }
    }

    public AdamW(double beta1, double beta2, double eps) {
        this.beta1 = beta1;
        this.beta2 = beta2;
        this.eps = eps;
    }

    /** torch's defaults: betas (0.9, 0.999), eps 1e-8 (HuggingFace's Trainer uses the same). */
    public AdamW() {
        this(0.9, 0.999, 1e-8);
    }

    /**
     * Updates one parameter in place from its accumulated gradient.
     *
     * @param name the parameter's name (keys its state)
     * @param param the parameter, updated in place
     * @param grad its gradient
     * @param lr this parameter's learning rate for this step
     * @param weightDecay decoupled weight decay (0 for biases and LayerNorm)
     */
    public void update(String name, NDArray param, NDArray grad, double lr, double weightDecay) {
        update(name, param, grad, lr, weightDecay, 1);
    }

    /**
     * As {@link #update(String, NDArray, NDArray, double, double)} for the gradient times {@code gradScale} (a
     * global-norm clip factor), which is applied on the way and leaves {@code grad} as it is.
     *
     * <p>One native call per parameter: DJL's internal {@code JniUtils.adamUpdate} runs the whole update in libtorch
     * (the public optimizer has one step count and one decay for all parameters). It computes {@code p -= lr wd p;
     * m = b1 m + (1 - b1) g; v = b2 v + (1 - b2) g^2; p -= c m / (sqrt(v) + e)}, which is torch's {@code p -= lr / bc1
     * m / (sqrt(v) / sqrt(bc2) + eps)} for {@code c = lr sqrt(bc2) / bc1} and {@code e = eps sqrt(bc2)}.
     */
    public void update(String name, NDArray param, NDArray grad, double lr, double weightDecay, double gradScale) {
        State s = states.computeIfAbsent(name, k -> new State(
                param.getManager().zeros(param.getShape()), param.getManager().zeros(param.getShape()), 0));
        s.step++;
        double bc1 = 1 - Math.pow(beta1, s.step);
        double sqrtBc2 = Math.sqrt(1 - Math.pow(beta2, s.step));
        long n = param.size();
        if (n <= CHUNK) {
            fused(param, grad, s.m, s.v, lr, lr * sqrtBc2 / bc1, weightDecay, gradScale, eps * sqrtBc2);
            return;
        }
        // A large tensor (the word embeddings: 47 MB) in cache-sized pieces: the update's dozen passes then run in
        // cache rather than memory, and its temporaries are small enough for malloc to reuse instead of mapping
        // fresh zeroed pages for each. Flat views of contiguous tensors: updates land in the parameter itself.
        try (NDManager views = NDManager.newBaseManager()) {
            NDArray[] flat = {param, grad, s.m, s.v};
            for (int i = 0; i < flat.length; i++) {
                flat[i].tempAttach(views);
                flat[i] = flat[i].reshape(-1); // (n) view
            }
            for (long from = 0; from < n; from += CHUNK) {
                NDIndex piece = new NDIndex().addSliceDim(from, Math.min(n, from + CHUNK));
                fused(flat[0].get(piece), flat[1].get(piece), flat[2].get(piece), flat[3].get(piece), lr,
                        lr * sqrtBc2 / bc1, weightDecay, gradScale, eps * sqrtBc2);
            }
        }
    }

    /** Elements updated per native call: 64 Ki floats, 256 KiB a tensor, so the update's tensors stay in cache. */
    static final long CHUNK = 1 << 16;

    // clip -1: DJL's element clamp off
    private void fused(NDArray param, NDArray grad, NDArray m, NDArray v, double lr, double stepSize, double wd,
            double gradScale, double eps) {
        JniUtils.adamUpdate((PtNDArray) param, (PtNDArray) grad, (PtNDArray) m, (PtNDArray) v, (float) lr,
                (float) stepSize, (float) wd, (float) gradScale, -1f, (float) beta1, (float) beta2, (float) eps, true);
    }

    /**
     * Updates every parameter that has a gradient: {@code lr} gives each parameter's rate, and the weight decay
     * applies to weight matrices only (not biases and LayerNorm, as HuggingFace's Trainer).
     */
    public void step(Map<String, NDArray> params, Map<String, NDArray> grads, ToDoubleFunction<String> lr,
            double weightDecay) {
        step(params, grads, lr, weightDecay, 1);
    }

    /** As {@link #step(Map, Map, ToDoubleFunction, double)} on gradients times {@code gradScale}. */
    public void step(Map<String, NDArray> params, Map<String, NDArray> grads, ToDoubleFunction<String> lr,
            double weightDecay, double gradScale) {
        grads.forEach((name, g) -> update(name, params.get(name), g, lr.applyAsDouble(name),
                LayerPolicy.decays(name) ? weightDecay : 0, gradScale));
    }

    /** The state of a parameter, or null before its first update. */
    public State state(String name) {
        return states.get(name);
    }

    /** All states by parameter name (for checkpointing). */
    public Map<String, State> states() {
        return states;
    }

    /** Restores a parameter's state (for --resume). */
    public void restore(String name, NDArray m, NDArray v, long step) {
        states.put(name, new State(m, v, step));
    }
}
