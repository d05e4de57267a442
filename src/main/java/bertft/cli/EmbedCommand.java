package bertft.cli;

import bertft.UserError;
import bertft.checkpoint.ModelStore;
import bertft.infer.Embedder;
import bertft.run.ModelExport;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.io.PrintWriter;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
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

    @Option(names = "--max-length", defaultValue = "256", description = "Tokens per text, [CLS] and [SEP] included "
            + "(default: ${DEFAULT-VALUE}).")
    int maxLength;

    @Option(names = "--batch-size", defaultValue = "32", description = "Texts per forward pass (default: ${DEFAULT-VALUE}).")
    int batchSize;

    @picocli.CommandLine.Mixin
    RuntimeOption runtime;

    @Override
    public Integer call() throws IOException {
        format = format.toLowerCase(Locale.ROOT);
        if (!format.equals("jsonl") && !format.equals("csv")) {
            throw new UserError("--format " + format + ": expected jsonl or csv");
        }
        if (maxLength < 2 || batchSize < 1) {
            throw new UserError("--max-length must be >= 2 and --batch-size >= 1");
        }
        List<String> texts = input.texts != null ? input.texts : readLines(input.file);
        float[][] vectors;
        try (Embedder embedder = new Embedder(ModelExport.forRuntime(ModelStore.resolve(model), runtime.value(),
                spec.commandLine().getErr()), maxLength, batchSize)) {
            vectors = embedder.embed(texts);
        }
        PrintWriter out = spec.commandLine().getOut();
        if (format.equals("csv") && vectors.length > 0) {
            StringBuilder header = new StringBuilder("text");
            for (int j = 0; j < vectors[0].length; j++) {
                header.append(",e").append(j);
            }
            out.println(header);
        }
        for (int i = 0; i < texts.size(); i++) {
            out.println(format.equals("csv") ? csvRow(texts.get(i), vectors[i]) : jsonRow(texts.get(i), vectors[i]));
        }
        out.flush();
        return 0;
    }

    /** Non-blank lines, decoded line by line so a bad byte is reported on its own line. */
    private static List<String> readLines(String file) throws IOException {
        byte[] bytes;
        try {
            bytes = file.equals("-") ? System.in.readAllBytes() : Files.readAllBytes(Path.of(file));
        } catch (NoSuchFileException e) {
            throw new UserError(file + ": no such file");
        }
        var decoder = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT);
        List<String> lines = new ArrayList<>();
        int start = 0;
        for (int lineNo = 1; start < bytes.length; lineNo++) {
            int end = start;
            while (end < bytes.length && bytes[end] != '\n') {
                end++;
            }
            String line;
            try {
                line = decoder.decode(ByteBuffer.wrap(bytes, start, end - start)).toString();
            } catch (CharacterCodingException e) {
                throw new UserError(file + ":" + lineNo + ": not valid UTF-8");
            }
            line = line.endsWith("\r") ? line.substring(0, line.length() - 1) : line;
            if (lineNo == 1 && line.startsWith("\uFEFF")) {
                line = line.substring(1);
            }
            if (!line.isBlank()) {
                lines.add(line);
            }
            start = end + 1;
        }
        return lines;
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
