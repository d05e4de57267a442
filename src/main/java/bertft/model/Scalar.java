package bertft.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;

/**
 * Scalars for arithmetic inside the autograd graph.
 *
 * <p>DJL's {@code x.mul(2f)} (and div, pow, maximum with a Number) wraps the number in a tensor that aliases a
 * Java direct buffer and closes it right after the op; autograd keeps that tensor for the backward pass, and
 * once the garbage collector frees the buffer, backward reads freed memory (seen here as gradients that turned
 * inf or NaN at random steps). A scalar made by {@code full} lives in libtorch's own memory, as long as autograd
 * needs it. Use these wherever the result is differentiated.
 */
public final class Scalar {
    private Scalar() {}

    /** A 0-d tensor holding {@code v}, of {@code like}'s type, in libtorch-owned memory. */
    public static NDArray of(NDArray like, double v) {
        return like.getManager().full(new Shape(), (float) v, like.getDataType());
    }

    public static NDArray mul(NDArray x, double v) {
        return x.mul(of(x, v));
    }

    public static NDArray div(NDArray x, double v) {
        return x.div(of(x, v));
    }
}
