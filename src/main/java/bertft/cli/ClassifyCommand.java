package bertft.cli;

import bertft.AtomicFiles;
import bertft.ExitCode;
import bertft.UserError;
import bertft.api.Classifier;
import bertft.api.ModelOptions;
import bertft.api.Prediction;
import bertft.data.AddedColumns;
import bertft.data.Example;
import bertft.data.LabelledData;
import bertft.data.TableReader;
import bertft.run.ModelChoice;
import bertft.run.RunDir;
import bertft.task.TaskFiles;
import bertft.task.TaskSpec;
import com.google.gson.JsonObject;
import java.io.IOException;
import java.io.OutputStreamWriter;
import java.io.PrintWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
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

    @Option(names = "--base", paramLabel = "MODEL", description = "For a PEFT adapter directory as --model: the base"
            + " model (directory, bundled name or Hub id) instead of its adapter_config.json's base_model_name_or_path.")
    String base;

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

    @Option(names = "--batch-size", defaultValue = "" + ModelOptions.DEFAULT_BATCH_SIZE, converter = Ints.Positive.class, description = "Rows per forward pass (default: ${DEFAULT-VALUE}).")
    int batchSize;

    @picocli.CommandLine.Mixin
    RuntimeOption runtime;

    @Override
    public Integer call() throws IOException {
        Texts.requireNonBlank("--text", "text", input.texts);
        if (out != null && input.file != null) {
            OutFile.check(out, input.file, "predictions.csv");
        }
        Path model = ModelChoice.resolve(this.model, ModelChoice.Need.CLASSIFIER, spec.commandLine().getErr());
        RunDir.warnIfUnfinished(model, spec.commandLine().getErr());
        ModelOptions options = ModelOptions.defaults().withBatchSize(batchSize).withRuntime(runtime.value())
                .withLog(spec.commandLine().getErr());
        if (base != null) {
            options = options.withBase(base);
        }
        String text = textColumn;
        String pair = textPairColumn;
        if (task != null) {
            // the task file names the columns and the multi-label threshold unless the options do
            Map<String, String> o = new LinkedHashMap<>();
            if (textColumn != null) {
                o.put("text-column", textColumn);
            }
            if (textPairColumn != null) {
                o.put("text-pair-column", textPairColumn);
            }
            o.put("model", model.toString());
            TaskSpec t = TaskFiles.load(task, o);
            text = t.textColumn();
            pair = t.textPairColumn();
            options = options.withThreshold(t.threshold());
        }
        try (Classifier c = Classifier.load(model.toString(), options)) {
            if (input.texts != null) {
                return oneOffs(c);
            }
            TableReader.Format inFormat = format != null ? format(format) : null;
            List<TableReader.Problem> problems = new ArrayList<>();
            long[] rows = {0};
            String textColumn = text != null ? text : "text";
            String pairColumn = pair;
            try (TableReader table = TableReader.open(input.file, inFormat, problems::add)) {
                TableReader.Format outFormat = out != null ? TableReader.Format.of(out)
                        : inFormat != null ? inFormat : TableReader.Format.of(input.file);
                Columns columns = Columns.of(table.columns(), c.labels());
                if (!columns.suffix().isEmpty()) {
                    spec.commandLine().getErr().println("note: " + table.name() + " already has column(s) "
                            + columns.clashes() + "; the new columns are " + String.join(", ", columns.added()));
                }
                TextOut rowsOut = w -> {
                    try (RowWriter rw = new RowWriter(w, outFormat, columns)) {
                        Iterator<Example> it = LabelledData.unlabelled(table, textColumn, pairColumn, problems::add)
                                .iterator();
                        List<Example> chunk = new ArrayList<>(CHUNK);
                        while (it.hasNext()) {
                            chunk.add(it.next());
                            if (chunk.size() == CHUNK || !it.hasNext()) {
                                rows[0] += writeChunk(chunk, c, pairColumn != null, rw, table.name(), problems);
                                chunk.clear();
                            }
                            report(problems);
                        }
                    }
                };
                if (out == null) {
                    rowsOut.write(spec.commandLine().getOut());
                } else {
                    AtomicFiles.write(out, os -> rowsOut.write(new OutputStreamWriter(os, StandardCharsets.UTF_8)));
                }
            }
            report(problems);
            var err = spec.commandLine().getErr();
            err.printf("classified %d rows%s%s%n", rows[0], skipped == 0 ? "" : "; " + skipped + " rows could not be read"
                    + " (listed above)", out == null ? "" : " -> " + out);
            err.flush();
            return skipped == 0 ? ExitCode.OK : ExitCode.SOME_ROWS_UNREAD;
        }
    }

    private long skipped;

    /** Writes the output table as text. */
    private interface TextOut {
        void write(Writer w) throws IOException;
    }

    private void report(List<TableReader.Problem> problems) {
        var err = spec.commandLine().getErr();
        for (TableReader.Problem p : problems) {
            err.println("skipped " + p);
            skipped++;
        }
        problems.clear();
        err.flush();
    }

    /** Predicts a chunk and writes its rows; returns how many were written (the others go to {@code problems}). */
    private int writeChunk(List<Example> chunk, Classifier c, boolean pairs, RowWriter rw, String file,
            List<TableReader.Problem> problems) throws IOException {
        List<Prediction> predictions = c.predictPairs(chunk.stream().map(Example::text).toList(),
                pairs ? chunk.stream().map(Example::textPair).toList() : null);
        int written = 0;
        for (int i = 0; i < chunk.size(); i++) {
            String bad = rw.write(chunk.get(i).row(), cells(predictions.get(i)));
            if (bad != null) {
                problems.add(new TableReader.Problem(file, chunk.get(i).line(), bad));
            } else {
                written++;
            }
        }
        return written;
    }

    /** One output cell: its text in CSV, and whether JSON writes it as a number. */
    record Cell(String text, boolean number) {}

    /** predicted, score and (classifiers) one probability per label. */
    static List<Cell> cells(Prediction p) {
        List<Cell> cells = new ArrayList<>();
        if (p.label() == null) { // regression: the value, as the float the model computed
            String value = Float.toString((float) p.score());
            cells.add(new Cell(value, true));
            cells.add(new Cell(value, true));
            return cells;
        }
        cells.add(new Cell(p.label(), false));
        cells.add(new Cell(String.format(Locale.ROOT, "%.4f", p.score()), true));
        for (double q : p.probabilities().values()) {
            cells.add(new Cell(String.format(Locale.ROOT, "%.4f", q), true));
        }
        return cells;
    }

    /** The output's columns: the input's, then predicted, score and p_&lt;label&gt; (see {@link AddedColumns}). */
    record Columns(List<String> input, List<String> added, String suffix, List<String> clashes) {
        /** {@code labels} is empty for regression. */
        static Columns of(List<String> input, List<String> labels) {
            AddedColumns a = AddedColumns.of(input, AddedColumns.predictions(labels));
            return new Columns(input, a.added(), a.suffix(), a.clashes());
        }

        List<String> all() {
            List<String> out = new ArrayList<>(input);
            out.addAll(added);
            return out;
        }
    }

    private int oneOffs(Classifier c) {
        List<Prediction> predictions = c.predict(input.texts);
        PrintWriter pw = spec.commandLine().getOut();
        for (int i = 0; i < predictions.size(); i++) {
            List<Cell> cells = cells(predictions.get(i));
            StringBuilder sb = new StringBuilder(cells.get(0).text()).append("  ").append(cells.get(1).text());
            for (int k = 2; k < cells.size(); k++) {
                sb.append("  ").append(c.labels().get(k - 2)).append('=').append(cells.get(k).text());
            }
            pw.println(sb.append("  ").append(input.texts.get(i)));
        }
        pw.flush();
        return 0;
    }

    static TableReader.Format format(String f) {
        try {
            return TableReader.Format.valueOf(f.toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new UserError("--format " + f + ": expected csv, tsv or jsonl");
        }
    }

    /**
     * Writes rows as CSV, TSV or JSON lines: the input's cells by column name, then the prediction. JSON lines
     * keep each input object with its JSON types and write scores as numbers.
     */
    static final class RowWriter implements AutoCloseable {
        private final Writer w;
        private final Columns columns;
        private final CSVPrinter csv;

        RowWriter(Writer w, TableReader.Format format, Columns columns) throws IOException {
            this.w = w;
            this.columns = columns;
            this.csv = format == TableReader.Format.JSONL ? null
                    : new CSVPrinter(w, (format == TableReader.Format.TSV ? CSVFormat.TDF : CSVFormat.DEFAULT)
                            .builder().setRecordSeparator('\n').get());
            if (csv != null) {
                csv.printRecord(columns.all());
            }
        }

        /** Writes one row; returns why it cannot be written (nothing is written then), or null. */
        String write(TableReader.Row row, List<Cell> prediction) throws IOException {
            if (csv != null) {
                for (String key : row.values().keySet()) {
                    if (!columns.input().contains(key)) {
                        return "field '" + key + "' is not among the columns of the first row, which the "
                                + "CSV/TSV output has (write JSON lines to keep every field)";
                    }
                }
                List<String> cells = new ArrayList<>();
                columns.input().forEach(c -> cells.add(row.values().getOrDefault(c, "")));
                prediction.forEach(c -> cells.add(c.text()));
                csv.printRecord(cells);
                return null;
            }
            JsonObject o = new JsonObject();
            if (row.json() != null) {
                row.json().entrySet().forEach(e -> o.add(e.getKey(), e.getValue()));
            } else {
                columns.input().forEach(c -> o.addProperty(c, row.values().get(c)));
            }
            for (int i = 0; i < prediction.size(); i++) {
                String name = columns.added().get(i);
                if (o.has(name)) {
                    return "field '" + name + "' is not in the first row, and a new column has that name (give "
                            + "every row the same fields)";
                }
                Cell c = prediction.get(i);
                if (c.number()) {
                    o.addProperty(name, new java.math.BigDecimal(c.text()));
                } else {
                    o.addProperty(name, c.text());
                }
            }
            w.write(o.toString());
            w.write('\n');
            return null;
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
