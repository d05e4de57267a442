package bertft.infer;

import bertft.UserError;
import java.util.Locale;

/**
 * Where a model runs for inference: {@code --runtime auto|torch|onnx|onnx-int8}, and the library's
 * {@code ModelOptions.withRuntime}.
 */
public enum InferenceRuntime {
    /**
     * The default: ONNX Runtime (fp32) wherever the model exports, libtorch otherwise; the same outputs within 1e-4
     * and about twice the speed on a CPU.
     */
    AUTO,
    /** libtorch through DJL, the engine bert-ft trains with. */
    TORCH,
    /**
     * ONNX Runtime on the model exported to fp32 ONNX (made once and cached under {@code $BERT_FT_HOME/onnx}, see
     * {@code bertft.run.ExportCache}).
     */
    ONNX,
    /** ONNX Runtime on the model exported with int8 MatMul weights. */
    ONNX_INT8;

    /** Whether this runtime asks for ONNX Runtime whatever the model (onnx, onnx-int8). */
    public boolean onnx() {
        return this == ONNX || this == ONNX_INT8;
    }

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
        throw new UserError(name + " " + value + ": expected auto, torch, onnx or onnx-int8");
    }
}
