package bertft.cli;

import bertft.UserError;
import bertft.api.Embedder;
import bertft.api.ModelOptions;
import bertft.data.LineReader;
import bertft.model.ModelStore;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code bert-ft embed}: sentence embeddings (mean-pooled, L2-normalised). */
@Command(name = "embed", mixinStandardHelpOptions = true,
        description = "Print sentence embeddings: mean over tokens of the last hidden state, L2-normalised.")
final class EmbedCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--model", defaultValue = ModelStore.DEFAULT,
            description = "Checkpoint directory, bundled model or Hub id such as org/name@revision"
                    + " (default: ${DEFAULT-VALUE}).")
    String model;

    @ArgGroup(multiplicity = "1")
    Input input;

    static final class Input {
        @Option(names = "--text", required = true, description = "A text to embed (repeatable).")
        List<String> texts;

        @Parameters(paramLabel = "FILE", description = "Text file, one text per line ('-' for stdin).")
        String file;
    }

    @Option(names = "--format", defaultValue = "jsonl", description = "jsonl or csv (default: ${DEFAULT-VALUE}).")
    String format;

    @Option(names = "--max-length", defaultValue = "" + ModelOptions.DEFAULT_MAX_LENGTH, converter = Ints.Length.class,
            description = "Tokens per text, [CLS] and [SEP] included; at most the model's max_position_embeddings "
                    + "(default: ${DEFAULT-VALUE}, or the model's maximum when lower).")
    int maxLength;

    @Option(names = "--batch-size", defaultValue = "32", converter = Ints.Positive.class, description = "Texts per forward pass (default: ${DEFAULT-VALUE}).")
    int batchSize;

    /** Texts embedded and printed together; bounds memory whatever the input size. */
    static final int CHUNK = 1024;

    @picocli.CommandLine.Mixin
    RuntimeOption runtime;

    @Override
    public Integer call() {
        format = format.toLowerCase(Locale.ROOT);
        if (!format.equals("jsonl") && !format.equals("csv")) {
            throw new UserError("--format " + format + ": expected jsonl or csv");
        }
        Texts.requireNonBlank("--text", "text", input.texts);
        Path resolved = ModelStore.resolve(model);
        bertft.run.RunDir.warnIfUnfinished(resolved, spec.commandLine().getErr());
        ModelOptions options = ModelOptions.defaults().withRuntime(runtime.value()).withBatchSize(batchSize)
                .withMaxLength(maxLength).withLog(spec.commandLine().getErr());
        PrintWriter out = spec.commandLine().getOut();
        try (Embedder embedder = Embedder.load(resolved.toString(), options);
                LineReader lines = input.file == null ? null : LineReader.open(input.file)) {
            if (spec.commandLine().getParseResult().hasMatchedOption("--max-length")
                    && maxLength > embedder.maxPositions()) {
                throw new UserError("--max-length " + maxLength + ": " + embedder.info().path() + " has "
                        + embedder.maxPositions() + " positions (max_position_embeddings); use 2 to "
                        + embedder.maxPositions() + " tokens");
            }
            Iterator<String> texts = input.texts != null ? input.texts.iterator() : nonBlank(lines);
            boolean header = format.equals("csv");
            List<String> chunk = new ArrayList<>(CHUNK);
            while (texts.hasNext()) {
                chunk.add(texts.next());
                if (chunk.size() == CHUNK || !texts.hasNext()) {
                    List<float[]> vectors = embedder.embed(chunk, true);
                    if (header) {
                        out.println(csvHeader(vectors.get(0).length));
                        header = false;
                    }
                    for (int i = 0; i < chunk.size(); i++) {
                        out.println(format.equals("csv") ? csvRow(chunk.get(i), vectors.get(i))
                                : jsonRow(chunk.get(i), vectors.get(i)));
                    }
                    out.flush();
                    chunk.clear();
                }
            }
        }
        return 0;
    }

    /** The non-blank lines still to come. */
    private static Iterator<String> nonBlank(LineReader lines) {
        return new Iterator<>() {
            private String next;

            @Override
            public boolean hasNext() {
                while (next == null) {
                    String s = lines.next();
                    if (s == null) {
                        return false;
                    }
                    next = s.isBlank() ? null : s;
                }
                return true;
            }

            @Override
            public String next() {
                if (!hasNext()) {
                    throw new java.util.NoSuchElementException();
                }
                String s = next;
                next = null;
                return s;
            }
        };
    }

    private static String csvHeader(int dimensions) {
        StringBuilder header = new StringBuilder("text");
        for (int j = 0; j < dimensions; j++) {
            header.append(",e").append(j);
        }
        return header.toString();
    }

    private static String jsonRow(String text, float[] v) {
        StringBuilder sb = new StringBuilder("{\"text\":").append(new com.google.gson.JsonPrimitive(text))
                .append(",\"embedding\":[");
        for (int j = 0; j < v.length; j++) {
            sb.append(j == 0 ? "" : ",").append(v[j]);
        }
        return sb.append("]}").toString();
    }

    private static String csvRow(String text, float[] v) {
        StringBuilder sb = new StringBuilder("\"").append(text.replace("\"", "\"\"")).append('"');
        for (float x : v) {
            sb.append(',').append(x);
        }
        return sb.toString();
    }
}
