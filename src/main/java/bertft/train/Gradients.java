package bertft.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;
import bertft.model.Torch;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Gradients of trainable parameters: collect, clip by global norm, zero.
 *
 * <p>PyTorch adds each backward pass into {@code .grad}, so several micro-batches accumulate by themselves
 * until {@link #zero} is called after the optimizer step.
 */
public final class Gradients {
    private Gradients() {}

    /**
     * The gradient of every parameter that requires one, attached to {@code scope}. The arrays share storage
     * with the parameters' {@code .grad}, so scaling them in place scales what the optimizer sees.
     */
    public static Map<String, NDArray> of(Map<String, NDArray> params, NDManager scope) {
        Map<String, NDArray> grads = new LinkedHashMap<>();
        params.forEach((name, p) -> {
            if (p.hasGradient()) {
                NDArray g = p.getGradient();
                g.attach(scope);
                grads.put(name, g);
            }
        });
        return grads;
    }

    /**
     * Scales all gradients together so their global L2 norm is at most {@code maxNorm}, as
     * {@code torch.nn.utils.clip_grad_norm_} does (DJL's clip only clamps each element).
     *
     * @return the global norm before clipping
     */
    public static double clipGlobalNorm(Collection<NDArray> grads, double maxNorm) {
        double norm = globalNorm(grads);
        double scale = clipScale(norm, maxNorm);
        if (scale != 1) {
            for (NDArray g : grads) {
                g.muli((float) scale);
            }
        }
        return norm;
    }

    /** The L2 norm of all gradients together, as {@code clip_grad_norm_} computes it: the norm of their norms. */
    public static double globalNorm(Collection<NDArray> grads) {
        if (grads.isEmpty()) {
            return 0;
        }
        try (NDManager scope = Torch.newManager()) {
            NDList norms = new NDList(grads.size());
            for (NDArray g : grads) {
                NDArray n = g.norm();
                n.attach(scope);
                norms.add(n);
            }
            return NDArrays.stack(norms).norm().getFloat();
        }
    }

    /** What gradients of global norm {@code norm} are multiplied by to clip them to {@code maxNorm} (0: no clipping). */
    public static double clipScale(double norm, double maxNorm) {
        return maxNorm > 0 && norm > maxNorm ? (float) (maxNorm / (norm + 1e-6)) : 1;
    }

    /** The name of the first gradient whose squared norm is not finite (in float32), for error messages. */
    public static String firstNonFinite(Map<String, NDArray> grads) {
        for (Map.Entry<String, NDArray> e : grads.entrySet()) {
            if (!Float.isFinite(e.getValue().square().sum().getFloat())) {
                return e.getKey();
            }
        }
        return "none of them alone";
    }

    /** Zeroes the accumulated gradients of the given parameters. */
    public static void zero(Collection<NDArray> params) {
        for (NDArray p : params) {
            if (p.hasGradient()) {
                JniUtils.zeroGrad((PtNDArray) p);
            }
        }
    }
}
