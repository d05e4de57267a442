package bertft.cli;

import bertft.infer.InferenceRuntime;
import picocli.CommandLine.Option;

/** {@code --runtime torch|onnx|onnx-int8}, shared by the commands that run a model for inference. */
final class RuntimeOption {
    @Option(names = "--runtime", paramLabel = "torch|onnx|onnx-int8", description = {"Where the model runs: torch"
            + " (libtorch, the default for a run or checkpoint), onnx or onnx-int8 (ONNX Runtime on the model exported"
            + " to fp32 or int8 ONNX, cached in MODEL/onnx or MODEL/onnx-int8 and made again when the model changes).",
        "An ONNX export (a directory from `bert-ft export` or its .onnx file) always runs on ONNX Runtime."})
    String runtime;

    /** The chosen runtime, or null for the model's own (libtorch for a checkpoint, ONNX Runtime for an export). */
    InferenceRuntime value() {
        return runtime == null ? null : InferenceRuntime.parse(runtime, "--runtime");
    }
}
