package bertft.cli;

import bertft.infer.InferenceRuntime;
import bertft.UserError;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.Option;
import picocli.CommandLine.TypeConversionException;

/** {@code --runtime auto|torch|onnx|onnx-int8}, shared by the commands that run a model for inference. */
final class RuntimeOption {
    @Option(names = "--runtime", paramLabel = "auto|torch|onnx|onnx-int8", description = {"Where the model runs: auto"
            + " (the default: ONNX Runtime on the model exported to fp32 ONNX, libtorch where it cannot be exported),"
            + " torch (libtorch), onnx or onnx-int8 (ONNX Runtime, fp32 or int8). The export is made on first use and"
            + " cached under $BERT_FT_HOME/onnx (never in the model's directory), and made again when the model changes.",
        "An ONNX export (a directory from `bert-ft export` or its .onnx file) always runs on ONNX Runtime."},
            converter = Parser.class)
    InferenceRuntime runtime;

    /** The chosen runtime; auto when none was given. */
    InferenceRuntime value() {
        return runtime == null ? InferenceRuntime.AUTO : runtime;
    }

    /** A runtime's spelling, checked when the command line is parsed (before any model is looked at). */
    static final class Parser implements ITypeConverter<InferenceRuntime> {
        @Override
        public InferenceRuntime convert(String text) {
            try {
                return InferenceRuntime.parse(text, "--runtime");
            } catch (UserError e) {
                throw new TypeConversionException("expected auto, torch, onnx or onnx-int8");
            }
        }
    }
}
