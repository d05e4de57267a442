package bertft.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
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
        State s = states.computeIfAbsent(name, k -> new State(
                param.getManager().zeros(param.getShape()), param.getManager().zeros(param.getShape()), 0));
        s.step++;
        double bc1 = 1 - Math.pow(beta1, s.step);
        double bc2 = 1 - Math.pow(beta2, s.step);
        // Ops return arrays of their first operand's manager: borrow everything into a scope so temporaries die.
        try (NDManager scope = NDManager.newBaseManager()) {
            param.tempAttach(scope);
            s.m.tempAttach(scope);
            s.v.tempAttach(scope);
            grad.tempAttach(scope);
            // 1) decoupled decay: p <- p (1 - lr wd)
            if (weightDecay != 0) {
                param.muli((float) (1 - lr * weightDecay));
            }
            // 2) moments
            s.m.muli((float) beta1).addi(grad.mul((float) (1 - beta1)));
            s.v.muli((float) beta2).addi(grad.square().muli((float) (1 - beta2)));
            // 3) p <- p - lr / bc1 * m / (sqrt(v) / sqrt(bc2) + eps)
            NDArray denom = s.v.sqrt().divi((float) Math.sqrt(bc2)).addi((float) eps);
            param.subi(s.m.div(denom).muli((float) (lr / bc1)));
        }
    }

    /**
     * Updates every parameter that has a gradient: {@code lr} gives each parameter's rate, and the weight decay
     * applies to weight matrices only (not biases and LayerNorm, as HuggingFace's Trainer).
     */
    public void step(Map<String, NDArray> params, Map<String, NDArray> grads, ToDoubleFunction<String> lr,
            double weightDecay) {
        grads.forEach((name, g) -> update(name, params.get(name), g, lr.applyAsDouble(name),
                LayerPolicy.decays(name) ? weightDecay : 0));
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
