package bertft.model;

import ai.djl.ndarray.NDArray;

/** How an encoder's adapted linear layers compute: one adapter ({@link Peft}), or each row its own ({@link AdapterStack}). */
@FunctionalInterface
public interface AdapterHook {
    /** Linear layer {@code module} (encoder name, no {@code .weight}) of {@code x} (B, T, in) -> (B, T, out). */
    NDArray linear(NDArray x, String module, NDArray weight, NDArray bias, boolean training);
}
