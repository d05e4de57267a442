package bertft.cli;

import bertft.UserError;
import bertft.bench.Bench;
import bertft.infer.InferenceRuntime;
import bertft.model.Checkpoint;
import bertft.model.Encoder;
import bertft.model.ModelStore;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code bert-ft bench}: GEMM peak, training-step and inference speed of a model on this machine. */
@Command(name = "bench", mixinStandardHelpOptions = true,
        description = "Measure fp32 GEMM GFLOP/s, training steps (forward, backward, clip, AdamW) at 32x64, "
                + "16x128 and 8x384, and inference at 64x64.")
final class BenchCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--model", defaultValue = ModelStore.DEFAULT,
            description = "Checkpoint directory, bundled model or Hub id (default: ${DEFAULT-VALUE}).")
    String model;

    @Option(names = "--repeats", defaultValue = "10", converter = Ints.Positive.class,
            description = "Timed runs per figure; the median is shown (default: ${DEFAULT-VALUE}).")
    int repeats;

    @Option(names = "--shapes", split = ",", defaultValue = "32x64,16x128,8x384", converter = Shape.Parser.class,
            paramLabel = "BATCHxLENGTH",
            description = "Training-step shapes; LENGTH at most the model's max_position_embeddings "
                    + "(default: ${DEFAULT-VALUE}).")
    List<Shape> shapes;

    /** One training-step shape. */
    record Shape(int batch, int length) {
        /** {@code 32x64}: batch at least 1, length at least 2 ([CLS] and [SEP]). */
        static final class Parser implements picocli.CommandLine.ITypeConverter<Shape> {
            @Override
            public Shape convert(String text) {
                String[] bt = text.toLowerCase(java.util.Locale.ROOT).split("x", -1);
                if (bt.length != 2) {
                    throw new picocli.CommandLine.TypeConversionException("expected BATCHxLENGTH, e.g. 32x64");
                }
                return new Shape(part("batch", bt[0], 1), part("length", bt[1], 2));
            }

            private static int part(String name, String text, int min) {
                try {
                    return Ints.parse(text, min);
                } catch (picocli.CommandLine.TypeConversionException e) {
                    throw new picocli.CommandLine.TypeConversionException(name + ": " + e.getMessage());
                }
            }
        }
    }

    @Option(names = "--mlm", description = "Time bert-ft adapt's masked-LM step beside the classifier step at each"
            + " shape (the extra cost of the vocabulary projection), then print the peak RSS.")
    boolean mlm;

    @Option(names = "--gradient-checkpointing", description = "Time the training steps with gradient-checkpointing"
            + " (each layer run again in backward instead of keeping its activations): compare the peak RSS and"
            + " tokens/s with a run without it.")
    boolean gradientCheckpointing;

    @Option(names = "--strategy", split = ",", defaultValue = "full", converter = StrategyName.class,
            paramLabel = "frozen|top-K|full|lora|ia3|bitfit",
            description = "Training steps of these strategies at each shape: only the head (frozen encoder), the head "
                    + "and the top K layers, everything, or the head and a LoRA / IA3 adapter (the task keys' defaults)"
                    + " or the biases; each line ends with the peak RSS since that strategy began"
                    + " (default: ${DEFAULT-VALUE}).")
    List<String> strategy;

    /** A strategy name {@link Bench#depth} knows, checked when parsed. */
    static final class StrategyName implements picocli.CommandLine.ITypeConverter<String> {
        @Override
        public String convert(String text) {
            try {
                Bench.depth(text);
                return text;
            } catch (IllegalArgumentException e) {
                throw new picocli.CommandLine.TypeConversionException(e.getMessage());
            }
        }
    }

    @Option(names = "--data", paramLabel = "FILE",
            description = "Also train one epoch over this CSV/TSV/JSONL (column --text-column) and report real "
                    + "tokens/s and padding waste; skips the synthetic figures.")
    Path data;

    @Option(names = "--text-column", defaultValue = "text", description = "Text column of --data (default: text).")
    String textColumn;

    @Option(names = "--batch-size", defaultValue = "32", converter = Ints.Positive.class,
            description = "Batch size for --data (default: ${DEFAULT-VALUE}).")
    int batchSize;

    @Option(names = "--max-length", defaultValue = "128", converter = Ints.Length.class,
            description = "Max tokens for --data, at most the model's max_position_embeddings "
                    + "(default: ${DEFAULT-VALUE}).")
    int maxLength;

    @Option(names = "--runtime", paramLabel = "onnx|onnx-int8", description = "Time inference on ONNX Runtime (the"
            + " model exported to fp32 or int8 ONNX on first use and cached under $BERT_FT_HOME/onnx) instead of the"
            + " libtorch table; an ONNX export given as --model always runs there.")
    String runtime;

    @Override
    public Integer call() {
        Path dir = ModelStore.resolve(model);
        bertft.infer.InferenceRuntime rt = runtime == null ? null : bertft.infer.InferenceRuntime.parse(runtime,
                "--runtime");
        if (rt == bertft.infer.InferenceRuntime.AUTO) {
            rt = bertft.infer.InferenceRuntime.ONNX; // bench times the runtime it names: no quiet fallback
        }
        if (rt != null && rt != bertft.infer.InferenceRuntime.TORCH || bertft.onnx.OnnxExport.isExport(dir)) {
            if (data != null) {
                throw new UserError("--data times a training epoch, which runs on libtorch only; leave out --runtime");
            }
            Path from = bertft.run.ModelExport.forRuntime(dir, rt, spec.commandLine().getErr());
            bertft.onnx.OnnxExport.Found export = bertft.onnx.OnnxExport.find(from);
            try (bertft.onnx.OnnxModel m = bertft.onnx.OnnxModel.open(export.file(), List.of())) {
                Bench.runOnnx(m, export.config().vocabSize(), spec.commandLine().getOut(), Math.max(1, repeats));
            }
            return 0;
        }
        Checkpoint ckpt = Checkpoint.read(dir);
        if (data != null && spec.commandLine().getParseResult().hasMatchedOption("--max-length")) {
            ckpt.config().requireLength("--max-length " + maxLength, maxLength, 2, dir);
        }
        if (data == null) {
            for (Shape s : shapes) {
                ckpt.config().requireLength("--shapes " + s.batch() + "x" + s.length(), s.length(), 2, dir);
            }
            for (String s : mlm ? List.<String>of() : strategy) {
                if (s.startsWith("top-")) { // as train checks unfreeze-layers against the model
                    bertft.run.ModelLimits.requireLayers("--strategy " + s, Bench.depth(s), "top-", 1, ckpt.config(),
                            dir);
                }
            }
        }
        if (mlm) {
            if (data != null) {
                throw new UserError("--mlm times steps at --shapes; leave out --data");
            }
            try (bertft.model.MaskedLm lm = bertft.model.MaskedLm.create(ckpt.config(), Checkpoint.readWeights(dir),
                    dir.toString(), 1)) {
                new Bench(lm.encoder(), spec.commandLine().getOut(), repeats)
                        .runMlm(lm, shapes.stream().map(s -> new int[] {s.batch(), s.length()}).toArray(int[][]::new));
            }
            return 0;
        }
        try (Encoder bert = ckpt.config().family().encoder().build(ckpt.config(), ckpt.encoder(), dir.toString())) {
            if (gradientCheckpointing) {
                bertft.model.Checkpointing.requireSupport(bert.config(), "--gradient-checkpointing");
            }
            Bench bench = new Bench(bert, spec.commandLine().getOut(), repeats).checkpointing(gradientCheckpointing);
            if (data != null) {
                bench.epoch(texts(dir, ckpt.config()), batchSize, data.toString());
            } else {
                bench.run(shapes.stream().map(s -> new int[] {s.batch(), s.length()}).toArray(int[][]::new), strategy);
            }
        }
        return 0;
    }

    /** The texts of --data, tokenized, without targets. */
    private bertft.data.Features texts(Path modelDir, bertft.model.BertConfig config) {
        java.util.List<ai.djl.huggingface.tokenizers.Encoding> enc = new java.util.ArrayList<>();
        int max = Math.min(maxLength, config.maxPositionEmbeddings());
        try (bertft.text.BertTokenizer tok = bertft.text.BertTokenizer.load(modelDir, max, config.vocabSize());
                bertft.data.TableReader t = bertft.data.TableReader.open(data, bertft.data.TableReader.FAIL)) {
            for (bertft.data.TableReader.Row row : t) {
                String text = row.get(textColumn);
                if (text == null) {
                    throw new UserError(data + ":" + row.line() + ": no column '" + textColumn + "'");
                }
                enc.add(tok.encode(text));
            }
        }
        java.util.List<float[]> none = java.util.Collections.nCopies(enc.size(), new float[] {0});
        return new bertft.data.Features(enc, none);
    }
}
