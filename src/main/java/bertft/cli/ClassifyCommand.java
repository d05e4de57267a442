package bertft.cli;

import ai.djl.huggingface.tokenizers.Encoding;
import bertft.UserError;
import bertft.data.Example;
import bertft.data.LabelledData;
import bertft.data.TableReader;
import bertft.infer.Predictor;
import bertft.run.ModelChoice;
import bertft.run.TaskData;
import bertft.run.TrainedModel;
import bertft.task.TaskSpec;
import bertft.train.Objective;
import com.google.gson.JsonObject;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import org.apache.commons.csv.CSVFormat;
import org.apache.commons.csv.CSVPrinter;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code bert-ft classify}: predictions for every row of a table, streamed, in input order. */
@Command(name = "classify", mixinStandardHelpOptions = true,
        description = {"Classify every row of a CSV/TSV/JSONL file (or stdin) with a fine-tuned model.",
            "Writes every input column plus predicted, score and one p_<label> column per class, in input order,",
            "in constant memory. Rows that cannot be read are reported with their line numbers."})
final class ClassifyCommand implements Callable<Integer> {
    /** Rows read, sorted by length and predicted together; bounds memory whatever the file size. */
    static final int CHUNK = 1024;

    @Spec
    CommandSpec spec;

    @ArgGroup(multiplicity = "1")
    Input input;

    static final class Input {
        @Parameters(paramLabel = "FILE", description = "Table to classify ('-' for stdin, with --format).")
        Path file;

        @Option(names = "--text", description = "Classify one text (repeatable) and print the result.")
        List<String> texts;
    }

    @Option(names = "--model", paramLabel = "MODEL", description = {"A run directory, any HuggingFace"
            + " *ForSequenceClassification checkpoint directory, or Hub id (org/name[@revision]).",
            "Default: the newest finished run in ./runs with a classifier. A Hub model without a task.yaml takes its"
            + " max length from tokenizer_config.json's model_max_length (at most max_position_embeddings)."})
    String model;

    @Option(names = "--out", paramLabel = "FILE", description = "Output file (default: stdout); format by extension.")
    Path out;

    @Option(names = "--format", paramLabel = "csv|tsv|jsonl", description = "Input format for stdin (and output "
            + "format when writing to stdout; default: the input's).")
    String format;

    @Option(names = "--task", paramLabel = "TASK.yaml", description = "Task file for column names.")
    Path task;

    @Option(names = "--text-column", paramLabel = "NAME", description = "Text column (default: text).")
    String textColumn;

    @Option(names = "--text-pair-column", paramLabel = "NAME", description = "Second text column of pair tasks.")
    String textPairColumn;

    @Option(names = "--batch-size", defaultValue = "64", description = "Rows per forward pass (default: ${DEFAULT-VALUE}).")
    int batchSize;

    @picocli.CommandLine.Mixin
    RuntimeOption runtime;

    @Override
    public Integer call() throws IOException {
        Path model = ModelChoice.resolve(this.model, ModelChoice.Need.CLASSIFIER, spec.commandLine().getErr());
        try (TrainedModel m = TrainedModel.load(model, runtime.value(), spec.commandLine().getErr())) {
            if (m.kind() == TaskSpec.Kind.QA) {
                throw new UserError(model + ": is a question-answering model; use `bert-ft qa`");
            }
            Map<String, String> o = new LinkedHashMap<>();
            if (textColumn != null) {
                o.put("text-column", textColumn);
            }
            if (textPairColumn != null) {
                o.put("text-pair-column", textPairColumn);
            }
            TaskSpec t = m.spec(task, o);
            Objective objective = TaskData.objective(m.kind());
            Predictor predictor = new Predictor(m.forward(), objective, batchSize);
            if (input.texts != null) {
                return oneOffs(m, t, objective, predictor);
            }
            TableReader.Format inFormat = format != null ? format(format) : null;
            List<TableReader.Problem> problems = new ArrayList<>();
            long rows = 0;
            try (TableReader table = TableReader.open(input.file, inFormat, problems::add)) {
                TableReader.Format outFormat = out != null ? TableReader.Format.of(out)
                        : inFormat != null ? inFormat : TableReader.Format.of(input.file);
                List<String> columns = new ArrayList<>(table.columns());
                columns.add("predicted");
                columns.add("score");
                if (objective != Objective.REGRESSION) {
                    m.labels().forEach(l -> columns.add("p_" + l));
                }
                Path tmp = out == null ? null : out.toAbsolutePath().resolveSibling("." + out.getFileName() + ".tmp");
                try (Writer w = tmp == null ? unclosable(spec.commandLine().getOut())
                        : Files.newBufferedWriter(tmp, StandardCharsets.UTF_8);
                        RowWriter rw = new RowWriter(w, outFormat, columns)) {
                    Iterator<Example> it = LabelledData.unlabelled(table, t, problems::add).iterator();
                    List<Example> chunk = new ArrayList<>(CHUNK);
                    while (it.hasNext()) {
                        chunk.add(it.next());
                        if (chunk.size() == CHUNK || !it.hasNext()) {
                            rows += chunk.size();
                            writeChunk(chunk, m, t, objective, predictor, rw);
                            chunk.clear();
                        }
                        report(problems);
                    }
                }
                if (tmp != null) {
                    Files.move(tmp, out.toAbsolutePath(), StandardCopyOption.REPLACE_EXISTING,
                            StandardCopyOption.ATOMIC_MOVE);
                }
            }
            report(problems);
            var err = spec.commandLine().getErr();
            err.printf("classified %d rows%s%s%n", rows, skipped == 0 ? "" : "; " + skipped + " rows could not be read"
                    + " (listed above)", out == null ? "" : " -> " + out);
            err.flush();
            return skipped == 0 ? 0 : 3;
        }
    }

    private long skipped;

    private void report(List<TableReader.Problem> problems) {
        var err = spec.commandLine().getErr();
        for (TableReader.Problem p : problems) {
            err.println("skipped " + p);
            skipped++;
        }
        problems.clear();
        err.flush();
    }

    private void writeChunk(List<Example> chunk, TrainedModel m, TaskSpec t, Objective objective, Predictor predictor,
            RowWriter rw) throws IOException {
        List<Encoding> enc = chunk.stream().map(e -> TaskData.encode(m.tokenizer(), e)).toList();
        float[][] scores = predictor.scores(enc);
        for (int i = 0; i < chunk.size(); i++) {
            List<String> cells = new ArrayList<>(chunk.get(i).row().values());
            addPrediction(cells, scores[i], m.labels(), objective, t.threshold());
            rw.write(cells);
        }
    }

    static void addPrediction(List<String> cells, float[] s, List<String> labels, Objective objective, double threshold) {
        if (objective == Objective.REGRESSION) {
            cells.add(Float.toString(s[0]));
            cells.add(Float.toString(s[0]));
            return;
        }
        int best = 0;
        for (int c = 1; c < s.length; c++) {
            best = s[c] > s[best] ? c : best;
        }
        if (objective == Objective.MULTI_LABEL) {
            List<String> on = new ArrayList<>();
            for (int c = 0; c < s.length; c++) {
                if (s[c] >= threshold) {
                    on.add(labels.get(c));
                }
            }
            cells.add(String.join("|", on));
        } else {
            cells.add(labels.get(best));
        }
        cells.add(String.format(Locale.ROOT, "%.4f", s[best]));
        for (float p : s) {
            cells.add(String.format(Locale.ROOT, "%.4f", p));
        }
    }

    private int oneOffs(TrainedModel m, TaskSpec t, Objective objective, Predictor predictor) {
        List<Encoding> enc = input.texts.stream().map(m.tokenizer()::encode).toList();
        float[][] scores = predictor.scores(enc);
        PrintWriter pw = spec.commandLine().getOut();
        for (int i = 0; i < enc.size(); i++) {
            List<String> cells = new ArrayList<>();
            addPrediction(cells, scores[i], m.labels(), objective, t.threshold());
            StringBuilder sb = new StringBuilder(cells.get(0)).append("  ").append(cells.get(1));
            for (int c = 2; c < cells.size(); c++) {
                sb.append("  ").append(m.labels().get(c - 2)).append('=').append(cells.get(c));
            }
            pw.println(sb.append("  ").append(input.texts.get(i)));
        }
        pw.flush();
        return 0;
    }

    /** Standard output stays open after the table is written. */
    private static Writer unclosable(Writer w) {
        return new java.io.FilterWriter(w) {
            @Override
            public void close() throws IOException {
                flush();
            }
        };
    }

    static TableReader.Format format(String f) {
        try {
            return TableReader.Format.valueOf(f.toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new UserError("--format " + f + ": expected csv, tsv or jsonl");
        }
    }

    /** Writes rows as CSV, TSV or JSON lines. */
    static final class RowWriter implements AutoCloseable {
        private final Writer w;
        private final TableReader.Format format;
        private final List<String> columns;
        private final CSVPrinter csv;

        RowWriter(Writer w, TableReader.Format format, List<String> columns) throws IOException {
            this.w = w;
            this.format = format;
            this.columns = columns;
            this.csv = format == TableReader.Format.JSONL ? null
                    : new CSVPrinter(w, (format == TableReader.Format.TSV ? CSVFormat.TDF : CSVFormat.DEFAULT)
                            .builder().setRecordSeparator('\n').get());
            if (csv != null) {
                csv.printRecord(columns);
            }
        }

        void write(List<String> cells) throws IOException {
            if (csv != null) {
                csv.printRecord(cells);
                return;
            }
            JsonObject o = new JsonObject();
            for (int i = 0; i < columns.size(); i++) {
                o.addProperty(columns.get(i), cells.get(i));
            }
            w.write(o.toString());
            w.write('\n');
        }

        @Override
        public void close() throws IOException {
            if (csv != null) {
                csv.flush();
            }
            w.flush();
        }
    }


}
