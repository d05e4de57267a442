package bertft.cli;

import bertft.UserError;
import bertft.model.ModelStore;
import bertft.onnx.OnnxExport;
import bertft.run.ModelExport;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code bert-ft export}: a model as ONNX, with its tokenizer and config, for ONNX Runtime and other runtimes. */
@Command(name = "export", mixinStandardHelpOptions = true,
        description = {"Export a run, a HuggingFace checkpoint or a Hub model to ONNX: model.onnx (weights as"
                + " initializers; inputs input_ids, attention_mask and token_type_ids where the family has them, int64,"
                + " dynamic batch and sequence), the tokenizer files and config.json (labels, max length, pooling).",
            "Outputs: logits (classifier) or start_logits + end_logits (QA), then in every export last_hidden_state +"
                + " sentence_embedding (mean-pooled, L2-normalised, as `bert-ft embed`). Every family bert-ft runs,"
                + " DeBERTa-v2/v3 included."})
final class ExportCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Parameters(paramLabel = "RUN_OR_MODEL", description = "Run directory, checkpoint directory, bundled model or Hub id.")
    String model;

    @Option(names = "--format", defaultValue = "onnx", paramLabel = "onnx", description = "Export format (default:"
            + " ${DEFAULT-VALUE}; the only one).")
    String format;

    @Option(names = "--out", paramLabel = "DIR|FILE.onnx", description = "Output directory (new, empty or an earlier"
            + " export), or a .onnx file with config.json and the tokenizer beside it; one export per directory. Only"
            + " the export's own files are written: anything else there stays. Default: MODEL/onnx (MODEL/onnx-int8"
            + " with --quantize int8); a Hub model's under $BERT_FT_HOME/onnx.")
    Path out;

    @Option(names = "--overwrite", description = "Let the export's files (the .onnx, config.json, tokenizer files)"
            + " replace files of those names that no earlier export wrote.")
    boolean overwrite;

    @Option(names = "--quantize", paramLabel = "int8", description = "Quantise dynamically as ONNX Runtime's"
            + " quantize_dynamic does: MatMul weights to int8 per output channel, activations to uint8 at run time;"
            + " word embeddings to int8 rows.")
    String quantize;

    @Option(names = "--opset", defaultValue = "" + OnnxExport.DEFAULT_OPSET, paramLabel = "N", converter = Ints.Opset.class,
            description = "ONNX"
            + " opset, " + OnnxExport.MIN_OPSET + " to " + OnnxExport.MAX_OPSET + " (default: ${DEFAULT-VALUE}; 17"
            + " writes LayerNormalization as one op).")
    int opset;

    @Override
    public Integer call() throws IOException {
        if (!format.toLowerCase(Locale.ROOT).equals("onnx")) {
            throw new UserError("--format " + format + ": bert-ft exports onnx only");
        }
        if (quantize != null && !quantize.toLowerCase(Locale.ROOT).equals("int8")) {
            throw new UserError("--quantize " + quantize + ": expected int8 (dynamic int8 quantisation)");
        }
        OnnxExport.Options options = new OnnxExport.Options(opset, quantize != null);
        Path dir = ModelStore.resolve(model);
        Path target = out != null ? out : ModelExport.defaultOut(dir, options.int8());
        Path file = ModelExport.export(dir, target, options, overwrite);
        PrintWriter pw = spec.commandLine().getOut();
        pw.printf(Locale.ROOT, "exported %s -> %s (%.1f MB, opset %d%s); run it with --model %s%n", dir, file,
                Files.size(file) / 1e6, opset, options.int8() ? ", int8" : "",
                out != null && out.getFileName().toString().endsWith(".onnx") ? file : file.getParent());
        pw.flush();
        return 0;
    }
}
