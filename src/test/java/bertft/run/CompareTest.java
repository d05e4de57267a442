package bertft.run;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import bertft.Tiny;
import bertft.cli.CliTest;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** compare end to end on the tiny BERT: two strategies, two seeds, then compare.json / .md and report.html. */
class CompareTest {

    @Test
    void compareWritesTheTableChartsWinnerAndBaseline(@TempDir Path tmp) throws IOException {
        Path model = Tiny.checkpoint(tmp.resolve("tiny"), 3);
        TrainJobTest.data(tmp, "train.csv", 64, 1);
        TrainJobTest.data(tmp, "dev.csv", 32, 2);
        Path out = tmp.resolve("cmp");
        var r = CliTest.run("compare", TrainJobTest.task(tmp, model, "").toString(), "--strategies", "frozen,full",
                "--seeds", "1,2", "--epochs", "1", "--out", out.toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(r.err().contains("== compare: full, seed 2 -> ") && r.err().contains("comparison: "),
                "compare and its runs print through the command's error writer: " + r.err());
        for (String f : List.of("compare.json", "compare.md", "report.html", "frozen-seed1/report.html",
                "full-seed2/report.html")) {
            assertTrue(Files.exists(out.resolve(f)), f);
        }
        JsonObject c = JsonParser.parseString(Files.readString(out.resolve("compare.json"))).getAsJsonObject();
        assertEquals(2, c.getAsJsonArray("strategies").size());
        JsonObject baseline = c.getAsJsonObject("baseline");
        assertTrue(baseline.has("verdict") && baseline.has("validation"), c.toString());
        String html = Files.readString(out.resolve("report.html"));
        for (String s : List.of("Winner: " + c.get("best").getAsString(), "frozen", "full", "accuracy by strategy",
                "vs training time", "Transfer gain", baseline.get("verdict").getAsString().substring(0, 40)
                        .replace("'", "&#39;"), "Provenance", "cores")) {
            assertTrue(html.contains(s), "compare report.html has " + s);
        }
        assertTrue(Files.readString(out.resolve("compare.md")).contains("Baseline: TF-IDF"));
        TrainJobTest.keepForBrowserCheck(out.resolve("report.html"), "compare-report.html");

        // run again: every run is read back from its report.json, where the first compare had the runs' reports
        // in memory; the comparison is the same, to the byte, but for its wall time
        String first = Files.readString(out.resolve("compare.json"));
        var again = CliTest.run("compare", TrainJobTest.task(tmp, model, "").toString(), "--strategies",
                "frozen,full", "--seeds", "1,2", "--epochs", "1", "--out", out.toString());
        assertEquals(0, again.code(), again.err());
        assertTrue(again.err().contains("full, seed 2: done before"), again.err());
        String wall = "\"wall_seconds\": [0-9.]+";
        assertEquals(first.replaceAll(wall, ""), Files.readString(out.resolve("compare.json")).replaceAll(wall, ""));
    }

    /**
     * {@code tune} reads the comparison in memory: what {@code run} returns is typed, and it is what compare.json holds
     * (but for wall time and provenance), down to each run's own validation score.
     */
    @Test
    void theComparisonReturnedIsTypedAndIsWhatCompareJsonHolds(@TempDir Path tmp) throws IOException {
        Path model = Tiny.checkpoint(tmp.resolve("tiny"), 3);
        TrainJobTest.data(tmp, "train.csv", 48, 1);
        TrainJobTest.data(tmp, "dev.csv", 24, 2);
        Path out = tmp.resolve("cmp");
        java.io.ByteArrayOutputStream log = new java.io.ByteArrayOutputStream();
        Comparison c = new Compare(TrainJobTest.task(tmp, model, ""), java.util.Map.of("epochs", "1", "out",
                out.toString()), out, new java.io.PrintStream(log, true)).run(List.of("frozen", "full"), List.of(1L, 2L));

        JsonObject file = JsonParser.parseString(Files.readString(out.resolve("compare.json"))).getAsJsonObject();
        file.remove("wall_seconds");
        file.remove("provenance");
        assertEquals(file, c.toJson());
        assertEquals(List.of("frozen", "full"), c.strategies().stream().map(Comparison.Row::strategy).toList());
        assertEquals("validation", c.decidedBy());
        for (Comparison.Row row : c.strategies()) {
            double[] seeds = new double[2];
            for (int seed = 1; seed <= 2; seed++) {
                JsonObject report = JsonParser.parseString(Files.readString(out.resolve(row.strategy() + "-seed" + seed)
                        .resolve("report.json"))).getAsJsonObject();
                seeds[seed - 1] = report.getAsJsonObject("validation").getAsJsonObject("metrics").get("accuracy")
                        .getAsDouble();
            }
            assertArrayEquals(seeds, row.validation().values());
            assertEquals((seeds[0] + seeds[1]) / 2, row.validation().mean(), 1e-12);
            assertEquals(2, row.runs());
            assertTrue(row.savedBytes() > 0 && row.savedFile().equals("model.safetensors"), row.toString());
        }
        double top = c.strategies().stream().mapToDouble(r -> r.validation().mean()).max().orElseThrow();
        assertEquals(top, c.strategies().stream().filter(r -> r.strategy().equals(c.best())).findFirst().orElseThrow()
                .validation().mean());
    }

    /**
     * The cost of each strategy beside its accuracy: trained parameters, the weights its run keeps (an adapter file
     * for lora and ia3, the whole model otherwise) and time, in compare.json, compare.md and report.html, with a
     * chart of accuracy against trained parameters on a log axis.
     */
    @Test
    void compareShowsWhatEachStrategyCosts(@TempDir Path tmp) throws IOException {
        Path model = Tiny.checkpoint(tmp.resolve("tiny"), 3);
        TrainJobTest.data(tmp, "train.csv", 32, 1);
        TrainJobTest.data(tmp, "dev.csv", 16, 2);
        Path out = tmp.resolve("cmp");
        var r = CliTest.run("compare", TrainJobTest.task(tmp, model, "").toString(), "--strategies",
                "frozen,top-1,full,lora,ia3,bitfit", "--seeds", "1", "--epochs", "1", "--out", out.toString());
        assertEquals(0, r.code(), r.err());
        JsonObject c = JsonParser.parseString(Files.readString(out.resolve("compare.json"))).getAsJsonObject();
        java.util.Map<String, JsonObject> rows = new java.util.HashMap<>();
        c.getAsJsonArray("strategies").forEach(e -> rows.put(e.getAsJsonObject().get("strategy").getAsString(),
                e.getAsJsonObject()));
        for (String s : List.of("lora", "ia3")) {
            assertEquals("adapter_model.safetensors", rows.get(s).get("saved_file").getAsString(), s);
            assertEquals(Files.size(out.resolve(s + "-seed1/adapter_model.safetensors")),
                    rows.get(s).get("saved_bytes").getAsLong());
        }
        long full = rows.get("full").get("saved_bytes").getAsLong();
        assertEquals("model.safetensors", rows.get("full").get("saved_file").getAsString());
        assertTrue(rows.get("lora").get("saved_bytes").getAsLong() * 5 < full, "an adapter is a fraction of the model");
        assertTrue(rows.get("lora").get("trainable_parameters").getAsLong()
                < rows.get("full").get("trainable_parameters").getAsLong() / 5);
        String md = Files.readString(out.resolve("compare.md"));
        assertTrue(md.contains("| train time (s) | trainable parameters | saved weights |"), md);
        assertTrue(md.contains(String.format("%,d B (model.safetensors)", full)), md);
        String html = Files.readString(out.resolve("report.html"));
        assertTrue(html.contains("vs trained parameters") && html.contains("trained parameters (log10)")
                && html.contains("saved weights"), "cost chart and column");
    }

    @Test
    void aCheckSplitIsHeldOutOfTrainingAndNamedAsWhatMeasuredNotWhatDecided(@TempDir Path tmp) throws IOException {
        Path model = Tiny.checkpoint(tmp.resolve("tiny"), 3);
        TrainJobTest.data(tmp, "train.csv", 60, 1);
        TrainJobTest.data(tmp, "dev.csv", 20, 2);
        Path out = tmp.resolve("cmp");
        var r = CliTest.run("compare", TrainJobTest.task(tmp, model, "").toString(), "--strategies", "full",
                "--seeds", "1", "--epochs", "1", "--check-split", "0.2", "--out", out.toString());
        assertEquals(0, r.code(), r.err());
        JsonObject c = JsonParser.parseString(Files.readString(out.resolve("compare.json"))).getAsJsonObject();
        assertEquals("validation", c.get("decided_by").getAsString());
        String measured = "test accuracy on " + tmp.resolve("train.csv") + " (check-split 0.2), the check set, which"
                + " decided nothing: unbiased for the best strategy";
        assertEquals(measured, c.get("measured_by_text").getAsString());
        assertTrue(Files.readString(out.resolve("compare.md")).contains("Measured on " + measured));
        assertTrue(Files.readString(out.resolve("report.html")).contains("measured on " + measured));
        JsonObject report = JsonParser.parseString(Files.readString(out.resolve("full-seed1/report.json")))
                .getAsJsonObject();
        assertEquals(48, report.getAsJsonObject("training").get("examples").getAsInt(), "a fifth of 60 held out");
    }

    @Test
    void theLastValidationIsTheLastEvaluationOfTheMetricAndForeignLinesArePassedOver() {
        List<JsonObject> log = Stream.of("{\"validation\": {\"accuracy\": 0.5}}",
                "{\"loss\": 0.3, \"epoch\": 0}", "{\"validation\": {\"accuracy\": 0.75, \"loss\": 0.4}}",
                "{\"validation\": {\"accuracy\": \"high\"}}", "{\"validation\": 0.9}")
                .map(l -> JsonParser.parseString(l).getAsJsonObject()).toList();
        assertEquals(0.75, Compare.lastValidation(log, "accuracy"));
        assertEquals(0.4, Compare.lastValidation(log, "loss"));
        assertTrue(Double.isNaN(Compare.lastValidation(log, "macro_f1")));
        assertTrue(Double.isNaN(Compare.lastValidation(List.of(), "accuracy")));
    }

    @Test
    void theLastEpochLossAveragesTheLastEpochsStepsAndForeignLinesArePassedOver() {
        List<JsonObject> log = Stream.of("{\"loss\": 0.9, \"epoch\": 0}", "{\"loss\": 0.4, \"epoch\": 1}",
                "{\"loss\": 0.2, \"epoch\": 1}", "{\"loss\": \"low\", \"epoch\": 2}", "{\"loss\": 0.1, \"epoch\": [3]}",
                "{\"validation\": {\"loss\": 0.05}, \"epoch\": 4}")
                .map(l -> JsonParser.parseString(l).getAsJsonObject()).toList();
        assertEquals(0.3, Compare.lastEpochLoss(log), 1e-12);
        assertTrue(Double.isNaN(Compare.lastEpochLoss(log.subList(3, 6))));
    }

    @Test
    void withoutAValidationSplitTheTestSplitDecidesAndSaysSo(@TempDir Path tmp) throws IOException {
        Path model = Tiny.checkpoint(tmp.resolve("tiny"), 3);
        TrainJobTest.data(tmp, "train.csv", 48, 1);
        TrainJobTest.data(tmp, "test.csv", 24, 2);
        Path task = tmp.resolve("notdev.yaml");
        // as tasks/trec.yaml: train and test, no validation
        Files.writeString(task, String.join("\n", "task: classification", "model: " + model, "data-dir: " + tmp,
                "train: train.csv", "test: test.csv", "labels: [negative, positive]", "max-length: 32",
                "batch-size: 16", "learning-rate: 1e-3", "pooling: mean", ""));
        Path out = tmp.resolve("cmp");
        var r = CliTest.run("compare", task.toString(), "--strategies", "frozen,llrd", "--seeds", "1", "--epochs", "1",
                "--out", out.toString());
        assertEquals(0, r.code(), r.err());
        JsonObject c = JsonParser.parseString(Files.readString(out.resolve("compare.json"))).getAsJsonObject();
        assertEquals("test", c.get("decided_by").getAsString());
        assertTrue(c.has("best"), "a winner is named: " + c);
        String html = Files.readString(out.resolve("report.html"));
        assertTrue(html.contains("Winner: " + c.get("best").getAsString() + " with test accuracy"), html);
        assertTrue(html.contains("ranked by test accuracy (the task has no validation split)"), html);
        assertTrue(Files.readString(out.resolve("compare.md")).contains("Ranked by test accuracy"));
        assertTrue(Files.readString(out.resolve("compare.md")).contains("Measured on test accuracy on "
                + tmp.resolve("test.csv") + ": the split that decided, so the best strategy's figure is selected on it"),
                Files.readString(out.resolve("compare.md")));
        assertFalse(html.contains("NaN"), "no NaN anywhere in the report (SVG coordinates included)");
        TrainJobTest.keepForBrowserCheck(out.resolve("report.html"), "compare-no-validation-report.html");

        // neither validation nor test: the training loss of the last epoch decides
        Files.writeString(task, Files.readString(task).replace("test: test.csv\n", ""));
        Path out2 = tmp.resolve("cmp2");
        var r2 = CliTest.run("compare", task.toString(), "--strategies", "frozen,llrd", "--seeds", "1", "--epochs", "1",
                "--out", out2.toString());
        assertEquals(0, r2.code(), r2.err());
        JsonObject c2 = JsonParser.parseString(Files.readString(out2.resolve("compare.json"))).getAsJsonObject();
        assertEquals("train", c2.get("decided_by").getAsString());
        double[] loss = new double[2];
        for (int i = 0; i < 2; i++) {
            loss[i] = c2.getAsJsonArray("strategies").get(i).getAsJsonObject().getAsJsonObject("train_loss")
                    .get("mean").getAsDouble();
        }
        assertEquals(loss[0] <= loss[1] ? "frozen" : "llrd", c2.get("best").getAsString(), "lowest loss wins");
        String html2 = Files.readString(out2.resolve("report.html"));
        assertTrue(html2.contains("Winner: " + c2.get("best").getAsString() + " with training loss"), html2);
        assertFalse(html2.contains("NaN"));
    }
    /** compare puts adapt-then-fine-tune (another model) and DANN (an override) beside plain fine-tuning. */
    @Test
    void adaptedModelAndDannAreStrategiesBesideTheOthers(@TempDir Path tmp) throws IOException {
        Path model = Tiny.checkpoint(tmp.resolve("tiny"), 3);
        Path adapted = Tiny.checkpoint(tmp.resolve("adapted"), 4); // stands in for `bert-ft adapt` output
        TrainJobTest.data(tmp, "train.csv", 48, 1);
        TrainJobTest.data(tmp, "dev.csv", 16, 2);
        Path task = TrainJobTest.task(tmp, model, "domain-text: dev.csv");
        Path out = tmp.resolve("cmp");
        var r = CliTest.run("compare", task.toString(), "--strategies",
                "full,full:domain-adversarial=0.5,full:model=" + adapted, "--seeds", "1", "--epochs", "1",
                "--out", out.toString());
        assertEquals(0, r.code(), r.err());
        JsonObject c = JsonParser.parseString(Files.readString(out.resolve("compare.json"))).getAsJsonObject();
        assertEquals(3, c.getAsJsonArray("strategies").size());
        Path dann = out.resolve("full_domain-adversarial=0.5-seed1");
        assertTrue(Files.readString(dann.resolve("metrics.jsonl")).contains("\"domain\""), "DANN logs its domain loss");
        assertFalse(Files.readString(out.resolve("full-seed1").resolve("metrics.jsonl")).contains("\"domain\""));
        try (var dirs = Files.list(out)) {
            Path adaptedRun = dirs.filter(d -> d.getFileName().toString().startsWith("full_model=")).findFirst()
                    .orElseThrow();
            JsonObject report = JsonParser.parseString(Files.readString(adaptedRun.resolve("report.json")))
                    .getAsJsonObject();
            assertEquals(adapted.toString(), report.getAsJsonObject("provenance").getAsJsonObject("model")
                    .get("path").getAsString());
        }
    }
}
