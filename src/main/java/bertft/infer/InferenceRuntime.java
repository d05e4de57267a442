package bertft.infer;

import bertft.UserError;
import java.util.Locale;

/**
 * Where a model runs for inference: {@code --runtime torch|onnx|onnx-int8}, and the library's
 * {@code ModelOptions.withRuntime}.
 */
public enum InferenceRuntime {
    /** libtorch through DJL, the engine bert-ft trains with. */
    TORCH,
    /** ONNX Runtime on the model exported to fp32 ONNX (made once and cached beside a run, see {@code bertft.run.ModelExport#forRuntime}). */
    ONNX,
    /** ONNX Runtime on the model exported with int8 MatMul weights. */
    ONNX_INT8;

    /** The option's spelling: {@code onnx-int8}. */
    public String spelling() {
        return name().toLowerCase(Locale.ROOT).replace('_', '-');
    }

    /** Parses a runtime's spelling; a wrong value is a one-line error naming {@code runtime} and the right ones. */
    public static InferenceRuntime parse(String value) {
        return parse(value, "runtime");
    }

    /** As {@link #parse(String)}, the error naming {@code name} (the command line's {@code --runtime}). */
    public static InferenceRuntime parse(String value, String name) {
        if (value == null) {
            throw new IllegalArgumentException("value is null");
        }
        for (InferenceRuntime r : values()) {
            if (r.spelling().equals(value.strip().toLowerCase(Locale.ROOT))) {
                return r;
            }
        }
        throw new UserError(name + " " + value + ": expected torch, onnx or onnx-int8");
    }
}
