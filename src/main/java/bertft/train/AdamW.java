package bertft.train;

import ai.djl.ndarray.NDArray;
import bertft.model.Torch;
import java.nio.FloatBuffer;
import java.util.HashMap;
import java.util.Map;
import java.util.function.IntConsumer;
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
     * <p>One pass over memory: the loop reads p, g, m, v and writes p, m, v through direct buffers over the tensors'
     * own storage (libtorch's update is a dozen elementwise passes, each reading and writing whole tensors). It
     * computes {@code p = p (1 - lr wd); m = b1 m + (1 - b1) g; v = b2 v + (1 - b2) g^2; p -= c m / (sqrt(v) + e)},
     * which is torch's {@code p -= lr / bc1 m / (sqrt(v) / sqrt(bc2) + eps)} for {@code c = lr sqrt(bc2) / bc1} and
     * {@code e = eps sqrt(bc2)}. Tensors over {@link #CHUNK} elements (the word embeddings) are split across
     * {@link Torch#threads()} threads.
     */
    public void update(String name, NDArray param, NDArray grad, double lr, double weightDecay, double gradScale) {
        State s = states.computeIfAbsent(name, k -> new State(
                param.getManager().zeros(param.getShape()), param.getManager().zeros(param.getShape()), 0));
        s.step++;
        double bc1 = 1 - Math.pow(beta1, s.step);
        double sqrtBc2 = Math.sqrt(1 - Math.pow(beta2, s.step));
        if (!Torch.javaLoops(param)) {
            libtorchUpdate(param, grad, s, lr, weightDecay, gradScale, bc1, sqrtBc2);
            return;
        }
        FloatBuffer p = Torch.floats(param);
        if (s.step == 1) {
            requireOwnStorage(name, param, p);
        }
        FloatBuffer g = Torch.floats(grad);
        FloatBuffer m = Torch.floats(s.m);
        FloatBuffer v = Torch.floats(s.v);
        float decay = (float) (1 - lr * weightDecay);
        float scale = (float) gradScale;
        float c = (float) (lr * sqrtBc2 / bc1);
        float e = (float) (eps * sqrtBc2);
        float b1 = (float) beta1;
        float b2 = (float) beta2;
        int n = p.capacity();
        IntConsumer piece = k -> {
            // tiles copied in bulk to float arrays and back: C2 vectorises the loop over arrays (sqrt and division
            // included), not one over buffer views; 52 -> 33 ms of CPU for MiniLM's 22.7M parameters, same floats
            float[] pt = new float[TILE];
            float[] gt = new float[TILE];
            float[] mt = new float[TILE];
            float[] vt = new float[TILE];
            for (int i = k * CHUNK, end = Math.min(n, i + CHUNK); i < end; i += TILE) {
                int len = Math.min(TILE, end - i);
                p.get(i, pt, 0, len);
                g.get(i, gt, 0, len);
                m.get(i, mt, 0, len);
                v.get(i, vt, 0, len);
                for (int j = 0; j < len; j++) {
                    float gj = gt[j] * scale;
                    float mj = b1 * mt[j] + (1 - b1) * gj;
                    float vj = b2 * vt[j] + (1 - b2) * gj * gj;
                    mt[j] = mj;
                    vt[j] = vj;
                    pt[j] = pt[j] * decay - c * mj / ((float) Math.sqrt(vj) + e);
                }
                p.put(i, pt, 0, len);
                m.put(i, mt, 0, len);
                v.put(i, vt, 0, len);
            }
        };
        Torch.forEachPiece((n + CHUNK - 1) / CHUNK, piece);
    }

    /**
     * The same update in libtorch's in-place ops, for tensors Java cannot reach in place (on a GPU): the moments and
     * the parameter are updated where they live, with no copy to the host.
     */
    private void libtorchUpdate(NDArray param, NDArray grad, State s, double lr, double weightDecay,
            double gradScale, double bc1, double sqrtBc2) {
        try (NDArray g = grad.mul((float) gradScale); NDArray gm = g.mul((float) (1 - beta1));
                NDArray g2 = g.square()) {
            s.m.muli((float) beta1).addi(gm);
            s.v.muli((float) beta2).addi(g2.muli((float) (1 - beta2)));
        }
        try (NDArray denom = s.v.sqrt(); NDArray update = s.m.div(denom.addi((float) (eps * sqrtBc2)))) {
            param.muli((float) (1 - lr * weightDecay)).subi(update.muli((float) (lr * sqrtBc2 / bc1)));
        }
    }

    /**
     * Refuses a buffer that is not the parameter's own storage (libtorch hands a copy of a non-contiguous tensor),
     * which would take the update and drop it. Tested before the first update by a write the parameter must see:
     * comparing the updated value cannot tell, as the first step's rate is 0 under linear warm-up.
     */
    private static void requireOwnStorage(String name, NDArray param, FloatBuffer p) {
        if (p.capacity() == 0) {
            return;
        }
        float was = p.get(0);
        float probe = Float.isNaN(was) ? 0f : Float.NaN;
        p.put(0, probe);
        float seen;
        try (NDArray flat = param.reshape(-1)) {
            seen = flat.getFloat(0);
        }
        p.put(0, was);
        if (Float.compare(seen, probe) != 0) {
            throw new IllegalStateException(name + " is not contiguous: its update would go to a copy");
        }
    }

    /** Elements a thread updates at a time: 64 Ki floats. */
    static final int CHUNK = 1 << 16;

    /** Elements copied to arrays at a time: four tiles of 2 KB stay in the L1 cache. */
    static final int TILE = 512;

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
