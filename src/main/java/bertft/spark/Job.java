package bertft.spark;

import bertft.ExitCode;
import bertft.UserError;
import bertft.infer.InferenceRuntime;
import java.io.IOException;
import java.io.PrintWriter;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.BiFunction;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.SparkConf;
import org.apache.spark.sql.AnalysisException;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.functions;
import org.apache.spark.sql.types.ArrayType;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;
import picocli.CommandLine;

/**
 * What every job shares: its options (model, input, output, formats, text column, batch size, runtime), reading
 * and writing, and {@code main}'s exit codes (0 done, 2 a user mistake in one line, 3 done but some rows have an
 * error, 1 anything else).
 */
final class Job {
    @Spec(Spec.Target.MIXEE)
    CommandSpec spec;

    @Option(names = "--model", required = true, paramLabel = "DIR", description = {"A model directory (run,"
            + " checkpoint or ONNX export) at a path the driver and every executor can read, or the name of a copy"
            + " shipped to them (--archives model.tgz#model, SparkContext.addFile(dir, true))."})
    String model;

    @Option(names = "--input", required = true, paramLabel = "PATH", description = "Table to read (a file or a "
            + "directory; any path Spark reads: hdfs://, s3a://, ...).")
    String input;

    @Option(names = "--output", required = true, paramLabel = "PATH", description = "Directory to write; must not "
            + "exist yet.")
    String output;

    @Option(names = "--format", paramLabel = "csv|tsv|json|parquet", description = "The input's format (default: "
            + "from its extension; json is JSON lines). CSV and TSV have a header row.")
    Format format;

    @Option(names = "--output-format", paramLabel = "csv|tsv|json|parquet", description = "The output's format "
            + "(default: the input's).")
    Format outputFormat;

    @Option(names = "--text-column", defaultValue = "text", paramLabel = "NAME", description = "Text column "
            + "(default: ${DEFAULT-VALUE}).")
    String textColumn;

    int batchSize = bertft.api.ModelOptions.DEFAULT_BATCH_SIZE;

    @Option(names = "--batch-size", defaultValue = "" + bertft.api.ModelOptions.DEFAULT_BATCH_SIZE, paramLabel = "N", description = "Rows per forward pass "
            + "(default: ${DEFAULT-VALUE}).")
    void batchSize(int n) {
        if (n < 1) {
            throw new ParameterException(spec.commandLine(), "--batch-size " + n + ": must be at least 1");
        }
        batchSize = n;
    }

    InferenceRuntime runtime;

    @Option(names = "--verbose", description = "Show stack traces for errors.")
    boolean verbose;

    @Option(names = "--spark-ui", description = "In local mode, keep Spark's web UI (port 4040, no authentication) on;"
            + " it is off there by default, and the driver listens on 127.0.0.1 only.")
    boolean sparkUi;

    @Option(names = "--runtime", paramLabel = "auto|torch|onnx|onnx-int8", description = "Where the model runs:"
            + " auto (the default: ONNX Runtime fp32 wherever the model exports, else libtorch), torch, onnx or"
            + " onnx-int8; an export is made once per machine and cached under $BERT_FT_HOME/onnx; an ONNX export"
            + " always runs on ONNX Runtime.")
    void runtime(String value) {
        try {
            runtime = InferenceRuntime.parse(value, "--runtime");
        } catch (UserError e) {
            throw new ParameterException(spec.commandLine(), e.getMessage());
        }
    }

    /** The table formats Spark reads and writes for the jobs. */
    enum Format {
        CSV, TSV, JSON, PARQUET;

        /** The format a path's extension names. */
        static Format of(String path) {
            String p = path.toLowerCase(Locale.ROOT).replaceAll("/+$", "");
            for (Format f : values()) {
                if (p.endsWith("." + f.name().toLowerCase(Locale.ROOT)) || f == JSON && p.endsWith(".jsonl")) {
                    return f;
                }
            }
            throw new UserError("--input " + path + ": cannot tell its format from the name; give --format csv, tsv,"
                    + " json or parquet");
        }

        Dataset<Row> read(SparkSession spark, String path) {
            return switch (this) {
                // RFC 4180 as the CLI reads it: quotes doubled inside quoted fields, which may span lines
                // and spaces around a value kept, so the output's columns equal the input's
                case CSV, TSV -> spark.read().option("header", true).option("escape", "\"").option("multiLine", true)
                        .option("ignoreLeadingWhiteSpace", false).option("ignoreTrailingWhiteSpace", false)
                        .option("sep", this == CSV ? "," : "\t").csv(path);
                case JSON -> spark.read().json(path);
                case PARQUET -> spark.read().parquet(path);
            };
        }

        void write(Dataset<Row> df, String path) {
            switch (this) {
                // Spark's writer trims values unless told not to (" w5 w6 " became "w5 w6")
                case CSV, TSV -> df.write().option("header", true).option("escape", "\"")
                        .option("ignoreLeadingWhiteSpace", false).option("ignoreTrailingWhiteSpace", false)
                        .option("sep", this == CSV ? "," : "\t").csv(path);
                case JSON -> df.write().json(path);
                case PARQUET -> df.write().parquet(path);
            }
        }
    }

    /**
     * Reads the input, adds the model's columns with {@code model} and writes the output; the output is removed
     * again when the job fails. Prints what it did to stderr.
     */
    int run(String verb, BiFunction<Dataset<Row>, BertFt.Counts, Dataset<Row>> addColumns) throws IOException {
        long start = System.nanoTime();
        Format in = format != null ? format : Format.of(input);
        Format out = outputFormat != null ? outputFormat : in;
        SparkSession spark = session(verb, sparkUi);
        Path outPath = new Path(output);
        FileSystem fs = outPath.getFileSystem(spark.sparkContext().hadoopConfiguration());
        if (fs.exists(outPath)) {
            throw new UserError("--output " + output + ": already exists; remove it or give another path");
        }
        // checked here because Spark's reader logs a missing path as a warning with a long trace before it fails
        Path inPath = new Path(input);
        FileStatus[] found = inPath.getFileSystem(spark.sparkContext().hadoopConfiguration()).globStatus(inPath);
        if (found == null || found.length == 0) {
            throw new UserError("--input " + input + ": no such file or directory");
        }
        Dataset<Row> df;
        try {
            df = in.read(spark, input);
        } catch (Exception e) { // Scala throws the checked AnalysisException undeclared
            if (!(e instanceof AnalysisException)) {
                throw e;
            }
            throw new UserError("--input " + input + ": " + e.getMessage().lines().findFirst().orElse(""));
        }
        int cores = spark.sparkContext().defaultParallelism();
        if (df.rdd().getNumPartitions() < cores) {
            df = spread(df, cores);
        }
        BertFt.Counts counts = BertFt.Counts.register(spark);
        Dataset<Row> result = addColumns.apply(df, counts);
        if ((out == Format.CSV || out == Format.TSV)
                && java.util.Arrays.stream(result.schema().fields()).anyMatch(f -> f.dataType() instanceof ArrayType)) {
            throw new UserError("--output-format " + out.name().toLowerCase(Locale.ROOT) + ": cannot hold vectors; "
                    + "write parquet or json");
        }
        try {
            out.write(result, output);
        } catch (RuntimeException e) {
            fs.delete(outPath, true);
            throw e;
        }
        long errors = counts.errors().value();
        PrintWriter err = spec.commandLine().getErr();
        err.printf(Locale.ROOT, "%s %d rows in %.1f s%s -> %s%n", verb, counts.rows().value(),
                (System.nanoTime() - start) / 1e9, errors == 0 ? "" : "; " + errors + " with an error (see the error"
                + " column)", output);
        err.flush();
        return errors == 0 ? ExitCode.OK : ExitCode.SOME_ROWS_UNREAD;
    }

    /**
     * Spreads a table with fewer partitions than cores (one CSV file is one partition) over {@code n}, keeping the
     * rows' order: partition i holds the i-th run of rows, each partition in input order.
     */
    static Dataset<Row> spread(Dataset<Row> df, int n) {
        String row = "__bert_ft_row";
        return df.withColumn(row, functions.monotonically_increasing_id()).repartitionByRange(n, functions.col(row))
                .sortWithinPartitions(row).drop(row);
    }

    /** The running session, or a new one; without a master from spark-submit, local with every core. */
    private static SparkSession session(String verb, boolean ui) {
        SparkConf conf = new SparkConf();
        SparkSession.Builder b = SparkSession.builder().appName("bert-ft " + verb);
        if (!conf.contains("spark.master")) {
            b.master("local[*]");
        }
        localSettings(conf, ui).forEach(b::config);
        return b.getOrCreate();
    }

    /**
     * What a local-mode session sets that the user did not: the driver (and so the block manager) listens on
     * 127.0.0.1, not every interface, and the unauthenticated web UI stays off unless {@code ui}. Empty for a
     * cluster master, where the driver must be reachable and Spark's own defaults hold.
     */
    static Map<String, String> localSettings(SparkConf conf, boolean ui) {
        Map<String, String> m = new LinkedHashMap<>();
        if (!conf.get("spark.master", "local[*]").startsWith("local")) {
            return m;
        }
        for (String key : List.of("spark.driver.host", "spark.driver.bindAddress")) {
            if (!conf.contains(key)) {
                m.put(key, "127.0.0.1");
            }
        }
        if (ui || !conf.contains("spark.ui.enabled")) {
            m.put("spark.ui.enabled", Boolean.toString(ui));
        }
        return m;
    }

    /** A job's command line: one-line errors, exit codes as the CLI's. */
    static CommandLine commandLine(Object job) {
        CommandLine cl = new CommandLine(job).setCaseInsensitiveEnumValuesAllowed(true);
        String name = cl.getCommandName();
        cl.setParameterExceptionHandler((ex, a) -> {
            ex.getCommandLine().getErr().println(name + ": " + ex.getMessage());
            return ExitCode.USER_ERROR;
        });
        cl.setExecutionExceptionHandler((e, c, parseResult) -> {
            if (parseResult.hasMatchedOption("--verbose")) {
                e.printStackTrace(c.getErr());
            }
            String user = userError(e);
            if (user != null) {
                c.getErr().println(name + ": " + user);
                return ExitCode.USER_ERROR;
            }
            c.getErr().println(name + ": " + String.valueOf(e).lines().findFirst().orElse("")
                    + (parseResult.hasMatchedOption("--verbose") ? "" : " (--verbose shows where)"));
            return 1;
        });
        return cl;
    }

    /** The message of a {@link UserError} behind {@code e}, also when a task threw it on an executor. */
    static String userError(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof UserError) {
                return t.getMessage();
            }
            String m = String.valueOf(t.getMessage());
            int at = m.indexOf(UserError.class.getName() + ": ");
            if (at >= 0) {
                return m.substring(at + UserError.class.getName().length() + 2).lines().findFirst().orElse("");
            }
        }
        return null;
    }

    /** {@code main}: runs the job, stops Spark, exits with the job's code. */
    static void main(Object job, String... args) {
        int code = commandLine(job).execute(args);
        scala.Option<SparkSession> s = SparkSession.getDefaultSession();
        if (s.isDefined()) {
            s.get().stop();
        }
        System.exit(code);
    }
}
