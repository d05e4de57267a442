package bertft.spark;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import bertft.Tiny;
import bertft.api.Embedder;
import bertft.cli.CliTest;
import java.io.PrintWriter;
import java.io.Reader;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.commons.csv.CSVFormat;
import org.apache.commons.csv.CSVRecord;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** The Spark jobs in local[2] on a tiny random model: the CLI's predictions, row errors, Parquet, bad models. */
@Tag("spark")
class SparkJobTest {
    static SparkSession spark;
    static String threads;

    @BeforeAll
    static void start() {
        threads = System.getProperty(bertft.model.Torch.THREADS_PROPERTY);
        spark = SparkSession.builder().master("local[2]").appName("bert-ft test").config("spark.ui.enabled", false)
                .config("spark.sql.shuffle.partitions", 2).getOrCreate();
        spark.sparkContext().setLogLevel("ERROR");
    }

    @AfterAll
    static void stop() {
        spark.stop();
        // LoadedModels set one thread per task for this JVM; the tests after these get their own setting back
        if (threads == null) {
            System.clearProperty(bertft.model.Torch.THREADS_PROPERTY);
        } else {
            System.setProperty(bertft.model.Torch.THREADS_PROPERTY, threads);
        }
    }

    record Run(int code, String err) {}

    static Run job(Object job, String... args) {
        StringWriter err = new StringWriter();
        CommandLine cl = Job.commandLine(job);
        cl.setErr(new PrintWriter(err));
        int code = cl.execute(args);
        return new Run(code, err.toString());
    }

    @Test
    void classifyJobMatchesTheCliKeepsBadRowsAndReadsAndWritesParquet(@TempDir Path tmp) throws Exception {
        Path model = Tiny.classifier(tmp.resolve("m"), 5, "neg", "neu", "pos");
        // "score" is taken, so every new column is suffixed _2, as the CLI does; row 4's text is empty
        Path csv = tmp.resolve("in.csv");
        Files.writeString(csv, """
                id,text,score
                1,the movie was great,x
                2,"awful price, and ""bad"" battery",x
                3,it was the phone,x
                4,,x
                5,love it,x
                6,"the product was
                and it movie price terrible hate",x
                7,great great great,x
                """);
        Path parquet = tmp.resolve("out.parquet");
        Run run = job(new ClassifyJob(), "--model", model.toString(), "--input", csv.toString(), "--output",
                parquet.toString(), "--output-format", "parquet", "--batch-size", "2");
        assertEquals(3, run.code(), run.err());
        assertTrue(run.err().matches("(?s)classified 7 rows in [0-9.]+ s; 1 with an error .*"), run.err());

        Path cliOut = tmp.resolve("cli.csv");
        CliTest.Run cli = CliTest.run("classify", csv.toString(), "--model", model.toString(), "--out",
                cliOut.toString());
        assertEquals(3, cli.code(), cli.err()); // the CLI skips row 4
        Map<String, CSVRecord> expected = new HashMap<>();
        List<String> header;
        try (Reader r = Files.newBufferedReader(cliOut)) {
            var parser = CSVFormat.DEFAULT.builder().setHeader().get().parse(r);
            header = parser.getHeaderNames();
            parser.forEach(rec -> expected.put(rec.get("id"), rec));
        }
        assertEquals(6, expected.size());

        Dataset<Row> out = spark.read().parquet(parquet.toString());
        List<String> columns = Arrays.asList(out.columns());
        assertEquals(header, columns.subList(0, columns.size() - 1));
        assertEquals("error_2", columns.get(columns.size() - 1));
        List<Row> rows = out.collectAsList();
        assertEquals(7, rows.size());
        for (Row row : rows) {
            String id = row.getAs("id");
            CSVRecord want = expected.get(id);
            if (want == null) {
                assertEquals("4", id);
                assertNull(row.getAs("predicted_2"));
                assertEquals("no 'text' value (null)", row.getAs("error_2"));
                continue;
            }
            assertNull(row.getAs("error_2"), id);
            assertEquals(want.get("text"), row.getAs("text"));
            assertEquals(want.get("predicted_2"), row.getAs("predicted_2"), id);
            for (String c : List.of("score_2", "p_neg_2", "p_neu_2", "p_pos_2")) {
                assertEquals(Double.parseDouble(want.get(c)), (double) row.getAs(c), 1e-4, id + " " + c);
            }
        }

        // Parquet in, Parquet out: the same rows again, with a second set of columns
        Path again = tmp.resolve("again.parquet");
        assertEquals(3, job(new ClassifyJob(), "--model", model.toString(), "--input", parquet.toString(),
                "--output", again.toString()).code());
        for (Row row : spark.read().parquet(again.toString()).collectAsList()) {
            assertEquals((String) row.getAs("predicted_2"), row.getAs("predicted_3"));
            assertEquals((String) row.getAs("error_2"), row.getAs("error_3"));
        }
    }

    @Test
    void mistakesAreOneLineErrorsThatLeaveNoOutput(@TempDir Path tmp) throws Exception {
        Path csv = tmp.resolve("in.csv");
        Files.writeString(csv, "id,text\n1,love it\n");
        Path out = tmp.resolve("out");
        Path missing = tmp.resolve("no-such-model");
        Run run = job(new ClassifyJob(), "--model", missing.toString(), "--input", csv.toString(), "--output",
                out.toString());
        assertEquals(2, run.code(), run.err());
        assertEquals(1, run.err().strip().lines().count(), run.err());
        assertTrue(run.err().startsWith("ClassifyJob: ") && run.err().contains(missing.toString()), run.err());
        assertFalse(Files.exists(out));

        Path model = Tiny.classifier(tmp.resolve("m"), 5, "neg", "pos");
        for (String[] bad : List.of(new String[] {"--text-column", "body"}, new String[] {"--batch-size", "0"},
                new String[] {"--runtime", "gpu"}, new String[] {"--format", "xml"})) {
            String[] args = {"--model", model.toString(), "--input", csv.toString(), "--output", out.toString(),
                bad[0], bad[1]};
            run = job(new ClassifyJob(), args);
            assertEquals(2, run.code(), run.err());
            assertEquals(1, run.err().strip().lines().count(), run.err());
            assertTrue(run.err().contains(bad[0].equals("--text-column") ? "body" : bad[0]), run.err());
            assertFalse(Files.exists(out));
        }
        Files.createDirectory(out);
        run = job(new ClassifyJob(), "--model", model.toString(), "--input", csv.toString(), "--output",
                out.toString());
        assertEquals(2, run.code(), run.err());
        assertTrue(run.err().contains("--output " + out + ": already exists"), run.err());
    }

    @Test
    void aMissingInputIsOneLineCheckedBeforeSparkReadsIt(@TempDir Path tmp) {
        Path model = Tiny.classifier(tmp.resolve("m"), 5, "neg", "pos");
        Path out = tmp.resolve("out");
        for (String input : List.of(tmp.resolve("missing.csv").toString(), tmp.resolve("none-*.csv").toString())) {
            Run run = job(new ClassifyJob(), "--model", model.toString(), "--input", input, "--output", out.toString());
            assertEquals(2, run.code(), run.err());
            assertEquals("ClassifyJob: --input " + input + ": no such file or directory", run.err().strip());
            assertFalse(Files.exists(out));
        }
    }

    @Test
    void csvOutputKeepsTheSpacesAroundInputValues(@TempDir Path tmp) throws Exception {
        Path model = Tiny.classifier(tmp.resolve("m"), 5, "neg", "pos");
        for (String sep : List.of(",", "\t")) {
            String ext = sep.equals(",") ? "csv" : "tsv";
            Path in = tmp.resolve("in." + ext);
            String q = sep.equals(",") ? "\"" : "";
            Files.writeString(in, String.join(sep, "id", "text", "note") + "\n"
                    + String.join(sep, "1", q + " w5 w6 " + q, "  left") + "\n"
                    + String.join(sep, "2", "good phone", "right  ") + "\n");
            Path out = tmp.resolve("out-" + ext);
            Run run = job(new ClassifyJob(), "--model", model.toString(), "--input", in.toString(), "--output",
                    out.toString());
            assertEquals(0, run.code(), run.err());
            Map<String, CSVRecord> rows = new HashMap<>();
            try (var parts = Files.list(out)) {
                for (Path part : parts.filter(p -> p.getFileName().toString().startsWith("part-")).toList()) {
                    try (Reader r = Files.newBufferedReader(part)) {
                        CSVFormat.RFC4180.builder().setDelimiter(sep.equals(",") ? ',' : '\t').setHeader()
                                .setSkipHeaderRecord(true).get().parse(r).forEach(rec -> rows.put(rec.get("id"), rec));
                    }
                }
            }
            assertEquals(" w5 w6 ", rows.get("1").get("text"), ext);
            assertEquals("  left", rows.get("1").get("note"), ext);
            assertEquals("right  ", rows.get("2").get("note"), ext);
        }
    }

    @Test
    void localModeListensOn127001WithoutTheWebUiUnlessAsked() {
        org.apache.spark.SparkConf local = new org.apache.spark.SparkConf(false).set("spark.master", "local[1]");
        assertEquals(Map.of("spark.driver.host", "127.0.0.1", "spark.driver.bindAddress", "127.0.0.1",
                "spark.ui.enabled", "false"), Job.localSettings(local, false));
        assertEquals("true", Job.localSettings(local, true).get("spark.ui.enabled"));
        // no master given is local[*]; what the user set stays as set
        org.apache.spark.SparkConf set = new org.apache.spark.SparkConf(false).set("spark.driver.host", "10.0.0.5")
                .set("spark.ui.enabled", "true");
        assertEquals(Map.of("spark.driver.bindAddress", "127.0.0.1"), Job.localSettings(set, false));
        // a cluster's driver must be reachable: Spark's defaults
        assertEquals(Map.of(), Job.localSettings(new org.apache.spark.SparkConf(false).set("spark.master", "yarn"),
                false));
    }

    @Test
    void anExecutorFindsAModelSparkShippedIntoItsFilesDirectory(@TempDir Path tmp) throws Exception {
        // where SparkContext.addFile(dir, true) or --archives put a copy (addFile itself would bind this shared
        // session to a directory the test deletes)
        String name = "shipped-" + tmp.getFileName();
        Path shipped = Path.of(org.apache.spark.SparkFiles.getRootDirectory(), name);
        assertEquals("elsewhere/" + name, LoadedModels.local("elsewhere/" + name));
        try {
            Files.createDirectories(shipped);
            assertEquals(shipped.toString(), LoadedModels.local("elsewhere/" + name));
            Path local = Files.createDirectories(tmp.resolve(name));
            assertEquals(local.toString(), LoadedModels.local(local.toString()));
            assertEquals("minilm", LoadedModels.local("minilm"));
        } finally {
            Files.deleteIfExists(shipped);
        }
    }

    @Test
    void embeddingsAreTheApisInInputOrder(@TempDir Path tmp) {
        Path model = Tiny.checkpoint(tmp.resolve("enc"), 3);
        List<String> texts = List.of("the movie was great", "awful price", "love it");
        Dataset<Row> df = spark.createDataset(texts, org.apache.spark.sql.Encoders.STRING()).toDF("text")
                .repartition(1);
        List<Row> rows = BertFt.embed(df, model.toString(), EmbedOptions.defaults().withBatchSize(2)).collectAsList();
        try (Embedder e = Embedder.load(model.toString())) {
            List<float[]> want = e.embed(texts, true);
            for (int i = 0; i < texts.size(); i++) {
                assertEquals(texts.get(i), rows.get(i).getString(0));
                List<Float> got = rows.get(i).getList(1);
                float[] v = new float[got.size()];
                for (int k = 0; k < v.length; k++) {
                    v[k] = got.get(k);
                }
                assertArrayEquals(want.get(i), v, 1e-5f);
                assertNull(rows.get(i).get(2));
            }
        }
    }

    /** The threshold is a ModelOptions setting set on the driver: the executors' multi-label predictions follow it. */
    @Test
    void aThresholdSetOnTheDriverDecidesTheLabelsTheExecutorsPredict(@TempDir Path tmp) throws Exception {
        Path model = Tiny.classifier(tmp.resolve("m"), 5, "a", "b", "c");
        Files.writeString(model.resolve("config.json"), Files.readString(model.resolve("config.json"))
                .replace("\"classification\"", "\"multilabel\""));
        List<String> texts = List.of("the movie was great", "awful price", "love it", "it was the phone");
        Dataset<Row> df = spark.createDataset(texts, org.apache.spark.sql.Encoders.STRING()).toDF("text")
                .repartition(2);
        for (double threshold : new double[] {0, 1}) {
            List<Row> rows = BertFt.classify(df, model.toString(), ClassifyOptions.defaults().withThreshold(threshold))
                    .collectAsList();
            assertEquals(texts.size(), rows.size());
            for (Row r : rows) {
                assertEquals(threshold == 0 ? "a|b|c" : "", r.getString(1), r.toString());
                assertNull(r.get(r.length() - 1));
            }
        }
    }
}
