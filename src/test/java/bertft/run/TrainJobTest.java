package bertft.run;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import bertft.Tiny;
import bertft.checkpoint.SafeTensors;
import bertft.cli.CliTest;
import bertft.model.Checkpoint;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** train / classify / evaluate / resume end to end on a tiny random BERT and generated data. */
public class TrainJobTest {

    /** Writes a small two-class CSV whose label follows a word in the text (learnable by a tiny model). */
    public static Path data(Path dir, String name, int n, long seed) throws IOException {
        Random r = new Random(seed);
        String[] good = {"great", "good", "excellent", "love"};
        String[] bad = {"terrible", "bad", "awful", "hate"};
        String[] filler = {"the", "phone", "battery", "price", "product", "was", "and", "it", "movie"};
        List<String> lines = new ArrayList<>(List.of("text,label"));
        for (int i = 0; i < n; i++) {
            boolean pos = r.nextBoolean();
            StringBuilder sb = new StringBuilder();
            for (int k = 0; k < 3 + r.nextInt(6); k++) {
                sb.append(filler[r.nextInt(filler.length)]).append(' ');
            }
            sb.append((pos ? good : bad)[r.nextInt(4)]);
            lines.add("\"" + sb + "\"," + (pos ? "positive" : "negative"));
        }
        Path f = dir.resolve(name);
        Files.write(f, lines);
        return f;
    }

    public static Path task(Path dir, Path model, String extra) throws IOException {
        Path t = dir.resolve("tiny.yaml");
        Files.writeString(t, String.join("\n",
                "task: classification",
                "model: " + model,
                "data-dir: " + dir,
                "train: train.csv",
                "validation: dev.csv",
                "labels: [negative, positive]",
                "max-length: 32",
                "batch-size: 16",
                "epochs: 3",
                "learning-rate: 1e-3",
                "pooling: mean",
                extra, ""));
        return t;
    }

    @Test
    void trainWritesAHuggingFaceRunDirectoryThatClassifyAndEvaluateUse(@TempDir Path tmp) throws IOException {
        Path model = Tiny.checkpoint(tmp.resolve("tiny"), 3);
        data(tmp, "train.csv", 192, 1);
        Path dev = data(tmp, "dev.csv", 64, 2);
        Path out = tmp.resolve("run");
        var r = CliTest.run("train", task(tmp, model, "").toString(), "--out", out.toString(), "--seed", "7");
        assertEquals(0, r.code(), r.err());
        for (String f : List.of("config.json", "model.safetensors", "tokenizer.json", "vocab.txt", "metrics.jsonl",
                "report.json", "report.md", "report.html", "task.yaml")) {
            assertTrue(Files.exists(out.resolve(f)), f + " missing; has " + list(out));
        }
        assertFalse(Files.exists(out.resolve("last")), "resume state is dropped when a run finishes");
        JsonObject config = JsonParser.parseString(Files.readString(out.resolve("config.json"))).getAsJsonObject();
        assertEquals("BertForSequenceClassification", config.getAsJsonArray("architectures").get(0).getAsString());
        assertEquals("positive", config.getAsJsonObject("id2label").get("1").getAsString());
        assertTrue(SafeTensors.read(out.resolve("model.safetensors")).containsKey("bert.encoder.layer.0.output.dense.weight"));
        assertTrue(Checkpoint.read(out).heads().containsKey("classifier.weight"));

        JsonObject report = JsonParser.parseString(Files.readString(out.resolve("report.json"))).getAsJsonObject();
        double acc = report.getAsJsonObject("validation").getAsJsonObject("metrics").get("accuracy").getAsDouble();
        assertTrue(acc > 0.8, "a tiny model learns the keyword task: accuracy " + acc);
        assertTrue(Files.readString(out.resolve("task.yaml")).contains("sha256"), "provenance in task.yaml");
        long evalLines = Files.readAllLines(out.resolve("metrics.jsonl")).stream().filter(l -> l.contains("validation")).count();
        assertEquals(3, evalLines, "one evaluation per epoch");

        Path preds = tmp.resolve("preds.csv");
        var c = CliTest.run("classify", dev.toString(), "--model", out.toString(), "--out", preds.toString());
        assertEquals(0, c.code(), c.err());
        List<String> lines = Files.readAllLines(preds);
        assertEquals("text,label,predicted,score,p_negative,p_positive", lines.get(0));
        assertEquals(65, lines.size());
        List<String> input = Files.readAllLines(dev);
        for (int i = 1; i < input.size(); i++) {
            assertTrue(lines.get(i).startsWith(input.get(i).replace("\"", "")), "input order and columns kept: " + i);
        }

        var e = CliTest.run("evaluate", "--model", out.toString(), "--data", dev.toString(), "--out",
                tmp.resolve("eval").toString());
        assertEquals(0, e.code(), e.err());
        JsonObject evalReport = JsonParser.parseString(Files.readString(tmp.resolve("eval/report.json"))).getAsJsonObject();
        assertEquals(acc, evalReport.getAsJsonObject("validation").getAsJsonObject("metrics").get("accuracy").getAsDouble(),
                1e-9, "evaluate reproduces the run's own validation score");

        // the reports people read: the same sections in HTML and Markdown, the numbers in JSON
        String html = Files.readString(out.resolve("report.html"));
        for (String section : List.of("Transfer gain", "Learning curves", "Per class", "Confusion matrix",
                "Calibration", "Label distribution", "Provenance", "sha256", "<svg")) {
            assertTrue(html.contains(section), "report.html has " + section);
        }
        assertFalse(html.contains("http://") && html.replace("http://www.w3.org/2000/svg", "").contains("http://"),
                "no external URL but the SVG namespace");
        String md = Files.readString(out.resolve("report.md"));
        for (String section : List.of("Transfer gain", "Calibration: expected calibration error", "Label distribution",
                "## Provenance")) {
            assertTrue(md.contains(section), "report.md has " + section);
        }
        JsonObject baseline = report.getAsJsonObject("baseline");
        assertTrue(baseline.getAsJsonObject("baseline").get("validation").getAsDouble() > 0.8,
                "the keyword task is easy for a bag of words too: " + baseline);
        assertTrue(md.contains(baseline.get("verdict").getAsString()), "the verdict in report.md");
        assertTrue(report.getAsJsonObject("validation").getAsJsonObject("calibration").has("ece"));
        assertEquals(192, report.getAsJsonObject("train_label_distribution").entrySet().stream()
                .mapToLong(x -> x.getValue().getAsLong()).sum());
        assertTrue(report.getAsJsonObject("provenance").getAsJsonObject("machine").get("cores").getAsInt() > 0);
        assertTrue(Files.readString(out.resolve("metrics.jsonl")).contains("\"lr_groups\":{\"head\""),
                "learning rate per parameter group in metrics.jsonl");
        String evalHtml = Files.readString(tmp.resolve("eval/report.html"));
        assertTrue(evalHtml.contains("Confusion matrix") && evalHtml.contains("Transfer gain"), "evaluate's report.html");
        assertTrue(evalReport.getAsJsonObject("baseline").has("verdict"),
                "evaluate trains the baseline on the training file in the model's task.yaml: " + evalReport.get("baseline"));
        keepForBrowserCheck(out.resolve("report.html"), "train-report.html");
    }

    /** Copies a report to target/check-report/, which .ci/run renders with scripts/check-report. */
    static void keepForBrowserCheck(Path report, String name) throws IOException {
        Path dir = Path.of("target", "check-report");
        Files.createDirectories(dir);
        Files.copy(report, dir.resolve(name), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    }

    /** Trains {@code task} into {@code out} and dies right after the checkpoint of optimizer step {@code step}. */
    static void trainKilledAfterStep(long step, Path task, Path out) {
        System.setProperty(Loop.STOP_AFTER_STEP, Long.toString(step));
        try {
            var r = CliTest.run("train", task.toString(), "--out", out.toString());
            assertEquals(1, r.code(), r.err());
        } finally {
            System.clearProperty(Loop.STOP_AFTER_STEP);
        }
    }

    /**
     * With ema-decay the kept model is the moving average and the resume state carries it: a run killed mid-way
     * and resumed keeps the same model as one that ran through.
     */
    @Test
    void aMovingAverageRunResumesToTheSameAverage(@TempDir Path tmp) throws IOException {
        Path model = Tiny.checkpoint(tmp.resolve("tiny"), 3);
        data(tmp, "train.csv", 96, 1);
        data(tmp, "dev.csv", 32, 2);
        Path task = task(tmp, model, "eval-every: 4\nema-decay: 0.9\n"
                + "early-stopping: {metric: loss, mode: min, patience: 100}"); // loss falls to the end: the resumed run saves
        Path full = tmp.resolve("full");
        assertEquals(0, CliTest.run("train", task.toString(), "--out", full.toString()).code());
        Path part = tmp.resolve("part");
        trainKilledAfterStep(8, task, part);
        assertTrue(Files.exists(part.resolve("last/" + bertft.train.Trainer.AVERAGE_FILE)));
        String key = "bert.encoder.layer.1.output.dense.weight";
        float[] raw8 = SafeTensors.read(part.resolve("last/model.safetensors")).get(key).toFloats();
        float[] average8 = SafeTensors.read(part.resolve("last/" + bertft.train.Trainer.AVERAGE_FILE)).get(key).toFloats();
        assertFalse(java.util.Arrays.equals(raw8, average8), "the resume state holds the weights and their average");
        Path averageFile = part.resolve("last/" + bertft.train.Trainer.AVERAGE_FILE);
        Path aside = Files.move(averageFile, tmp.resolve("aside.safetensors"));
        var refused = CliTest.run("train", "--resume", part.toString());
        assertEquals(2, refused.code(), refused.err());
        assertTrue(refused.err().strip().endsWith(part.resolve("last") + ": no " + bertft.train.Trainer.AVERAGE_FILE
                + " for ema-decay; start the run again"), refused.err());
        Files.move(aside, averageFile);
        var resumed = CliTest.run("train", "--resume", part.toString());
        assertEquals(0, resumed.code(), resumed.err());
        assertArrayEquals(SafeTensors.read(full.resolve("model.safetensors")).get(key).toFloats(),
                SafeTensors.read(part.resolve("model.safetensors")).get(key).toFloats(), 1e-6f);
    }

    @Test
    void anInterruptedRunResumesToTheSameWeights(@TempDir Path tmp) throws IOException {
        Path model = Tiny.checkpoint(tmp.resolve("tiny"), 3);
        data(tmp, "train.csv", 96, 1);
        data(tmp, "dev.csv", 32, 2);
        Path task = task(tmp, model, "eval-every: 4");
        Path full = tmp.resolve("full");
        assertEquals(0, CliTest.run("train", task.toString(), "--out", full.toString()).code());

        Path part = tmp.resolve("part");
        trainKilledAfterStep(8, task, part); // simulated crash right after the step-8 checkpoint
        assertTrue(Files.exists(part.resolve("last/trainer_state.json")));
        // the unfinished run: its best model so far is used with a warning, a fresh train refuses to replace it
        String warning = "warning: " + part + " is an unfinished run (training stopped after step 8";
        var early = CliTest.run("classify", "--model", part.toString(), "--text", "good phone");
        assertEquals(0, early.code(), early.err());
        assertTrue(early.err().startsWith(warning) && early.err().strip().endsWith("bert-ft train --resume " + part),
                early.err());
        var eval = CliTest.run("evaluate", "--model", part.toString(), "--data", tmp.resolve("dev.csv").toString(),
                "--out", tmp.resolve("eval").toString());
        assertTrue(eval.err().startsWith(warning), eval.err());
        var fresh = CliTest.run("train", task.toString(), "--out", part.toString());
        assertEquals(2, fresh.code());
        assertTrue(fresh.err().contains("holds an unfinished run of this task (stopped after step 8); continue it"
                + " with `bert-ft train --resume " + part + "`"), fresh.err());
        // what a kill during step 9 leaves at the end of metrics.jsonl: step 9's record and a line cut short
        Files.writeString(part.resolve("metrics.jsonl"), "{\"step\":9,\"epoch\":1,\"loss\":0.5}\n{\"step\":10,\"ep",
                java.nio.file.StandardOpenOption.APPEND);
        var resumed = CliTest.run("train", "--resume", part.toString());
        assertEquals(0, resumed.code(), resumed.err());
        // the resumed log reads as one run: each step once, each evaluation once, time going on
        assertEquals(Files.readAllLines(full.resolve("metrics.jsonl")).stream().map(TrainJobTest::stepAndKind).toList(),
                Files.readAllLines(part.resolve("metrics.jsonl")).stream().map(TrainJobTest::stepAndKind).toList());
        List<Double> times = Files.readAllLines(part.resolve("metrics.jsonl")).stream()
                .map(l -> JsonParser.parseString(l).getAsJsonObject().get("elapsed_s").getAsDouble()).toList();
        for (int i = 1; i < times.size(); i++) {
            assertTrue(times.get(i) >= times.get(i - 1), "elapsed_s goes on after the resume: " + times);
        }
        var after = CliTest.run("classify", "--model", part.toString(), "--text", "good phone");
        assertFalse(after.err().contains("warning"), "a finished run: no warning: " + after.err());
        for (String key : List.of("classifier.weight", "bert.encoder.layer.1.output.dense.weight")) {
            // same batches, dropout draws, optimizer state and schedule; only float rounding may differ (a restored
            // tensor can sit at another memory alignment, which changes the order of vectorised sums)
            assertArrayEquals(SafeTensors.read(full.resolve("model.safetensors")).get(key).toFloats(),
                    SafeTensors.read(part.resolve("model.safetensors")).get(key).toFloats(), 1e-6f,
                    key + ": resumed training must end where uninterrupted training ends");
        }
    }

    @Test
    void multiLabelAndRegressionHeadsTrainAndReport(@TempDir Path tmp) throws IOException {
        Path model = Tiny.checkpoint(tmp.resolve("tiny"), 3);
        Random r = new Random(4);
        List<String> ml = new ArrayList<>(List.of("text,labels"));
        List<String> reg = new ArrayList<>(List.of("text,score"));
        for (int i = 0; i < 120; i++) {
            boolean good = r.nextBoolean();
            boolean fast = r.nextBoolean();
            String text = (good ? "great" : "bad") + " phone " + (fast ? "fast" : "slow") + " battery";
            List<String> labels = new ArrayList<>();
            if (good) {
                labels.add("quality");
            }
            if (fast) {
                labels.add("speed");
            }
            ml.add(text + "," + String.join("|", labels));
            reg.add(text + "," + ((good ? 3 : 1) + (fast ? 1 : 0)));
        }
        Files.write(tmp.resolve("ml.csv"), ml);
        Files.write(tmp.resolve("reg.csv"), reg);
        Path mlTask = tmp.resolve("ml.yaml");
        Files.writeString(mlTask, String.join("\n", "task: multilabel", "model: " + model, "data-dir: " + tmp,
                "train: ml.csv", "validation: ml.csv", "label-column: labels", "labels: [quality, speed]",
                "max-length: 16", "batch-size: 16", "epochs: 4", "learning-rate: 3e-3", "pooling: mean", ""));
        var a = CliTest.run("train", mlTask.toString(), "--out", tmp.resolve("ml").toString());
        assertEquals(0, a.code(), a.err());
        JsonObject mlReport = JsonParser.parseString(Files.readString(tmp.resolve("ml/report.json"))).getAsJsonObject();
        assertTrue(mlReport.getAsJsonObject("validation").getAsJsonObject("metrics").get("micro_f1").getAsDouble() > 0.8,
                mlReport.toString());
        JsonObject mlConfig = JsonParser.parseString(Files.readString(tmp.resolve("ml/config.json"))).getAsJsonObject();
        assertEquals("multi_label_classification", mlConfig.get("problem_type").getAsString());
        String mlHtml = Files.readString(tmp.resolve("ml/report.html"));
        assertTrue(mlHtml.contains("F1 by decision threshold") && mlHtml.contains("Per label"), "multi-label report.html");
        assertEquals(9, mlReport.getAsJsonObject("validation").getAsJsonArray("thresholds").size());
        assertTrue(mlReport.getAsJsonObject("baseline").has("verdict"), "one-vs-rest baseline: " + mlReport.get("baseline"));
        var cl = CliTest.run("classify", "--model", tmp.resolve("ml").toString(), "--text", "great phone fast battery");
        assertTrue(cl.out().startsWith("quality|speed"), cl.out());

        Path regTask = tmp.resolve("reg.yaml");
        Files.writeString(regTask, String.join("\n", "task: regression", "model: " + model, "data-dir: " + tmp,
                "train: reg.csv", "validation: reg.csv", "label-column: score", "max-length: 16", "batch-size: 16",
                "epochs: 6", "learning-rate: 3e-3", "pooling: mean", ""));
        var b = CliTest.run("train", regTask.toString(), "--out", tmp.resolve("reg").toString());
        assertEquals(0, b.code(), b.err());
        JsonObject regReport = JsonParser.parseString(Files.readString(tmp.resolve("reg/report.json"))).getAsJsonObject();
        assertTrue(regReport.getAsJsonObject("validation").getAsJsonObject("metrics").get("pearson").getAsDouble() > 0.8,
                regReport.toString());
        assertTrue(Files.readString(tmp.resolve("reg/report.html")).contains("Predicted vs gold"), "regression scatter");
        assertEquals(120, regReport.getAsJsonObject("validation").getAsJsonArray("scatter").size());
        assertTrue(regReport.getAsJsonObject("baseline").getAsJsonObject("baseline").get("validation").getAsDouble() > 0.8,
                "least-squares baseline on the same data: " + regReport.get("baseline"));
    }

    @Test
    void aDivergingRunStopsWithOneLineInsteadOfTrainingOnNaN(@TempDir Path tmp) throws IOException {
        Path model = Tiny.checkpoint(tmp.resolve("tiny"), 3);
        data(tmp, "train.csv", 32, 1);
        data(tmp, "dev.csv", 16, 2);
        // no clipping and an absurd rate: the weights overflow within a few steps
        var r = CliTest.run("train", task(tmp, model, "").toString(), "--out", tmp.resolve("run").toString(),
                "--learning-rate", "1e30", "--max-grad-norm", "0", "--warmup-ratio", "0", "--epochs", "5");
        assertEquals(2, r.code(), r.err());
        String last = r.err().strip().lines().reduce((a, b) -> b).orElse("");
        assertTrue(last.startsWith("bert-ft: training diverged at step "), r.err());
        assertFalse(r.err().contains("Exception"), r.err());
    }

    @Test
    void classifyReportsUnreadableRowsWithTheirLines(@TempDir Path tmp) throws IOException {
        Path model = Tiny.checkpoint(tmp.resolve("tiny"), 3);
        data(tmp, "train.csv", 32, 1);
        data(tmp, "dev.csv", 16, 2);
        Path out = tmp.resolve("run");
        assertEquals(0, CliTest.run("train", task(tmp, model, "").toString(), "--out", out.toString(), "--epochs", "1").code());
        Path in = tmp.resolve("in.csv");
        Files.write(in, List.of("id,text", "1,good phone", "2,\"\"", "3,bad battery,extra", "4,great price"));
        var c = CliTest.run("classify", in.toString(), "--model", out.toString());
        assertEquals(3, c.code(), c.err());
        assertTrue(c.err().contains(in + ":3:") && c.err().contains(in + ":4:"), c.err());
        List<String> rows = c.out().lines().toList();
        assertEquals(3, rows.size(), c.out());
        assertTrue(rows.get(1).startsWith("1,good phone,") && rows.get(2).startsWith("4,great price,"), c.out());
    }

    /** "step N validation" / "step N train" of a metrics.jsonl line. */
    static String stepAndKind(String line) {
        JsonObject o = JsonParser.parseString(line).getAsJsonObject();
        return "step " + o.get("step").getAsLong() + (o.has("validation") ? " validation" : o.has("unfrozen")
                ? " unfrozen" : " train");
    }

    static String list(Path dir) throws IOException {
        try (var s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).toList().toString();
        }
    }

    @Test
    void testSplitHoldsOutTheSameRowsForEverySeed(@TempDir Path tmp) throws IOException {
        Path model = Tiny.checkpoint(tmp.resolve("tiny"), 3);
        data(tmp, "train.csv", 100, 1);
        Path task = tmp.resolve("split.yaml");
        Files.writeString(task, String.join("\n", "task: classification", "model: " + model, "data-dir: " + tmp,
                "train: train.csv", "test-split: 0.2", "validation-split: 0.1", "labels: [negative, positive]",
                "max-length: 32", "batch-size: 16", "epochs: 1", "pooling: mean", ""));
        List<String> tests = new ArrayList<>();
        for (String seed : List.of("1", "2")) {
            Path out = tmp.resolve("run" + seed);
            var r = CliTest.run("train", task.toString(), "--out", out.toString(), "--seed", seed);
            assertEquals(0, r.code(), r.err());
            com.google.gson.JsonObject report = com.google.gson.JsonParser.parseString(
                    Files.readString(out.resolve("report.json"))).getAsJsonObject();
            assertEquals(20, report.getAsJsonObject("test").getAsJsonObject("metrics").get("n").getAsInt());
            assertEquals(8, report.getAsJsonObject("validation").getAsJsonObject("metrics").get("n").getAsInt());
            assertTrue(report.get("test_data").getAsString().endsWith("(test-split 0.2)"));
            tests.add(report.getAsJsonObject("test").getAsJsonObject("label_distribution").toString());
        }
        assertEquals(tests.get(0), tests.get(1));
        var both = CliTest.run("train", task.toString(), "--test", "train.csv", "--out", tmp.resolve("x").toString());
        assertEquals(2, both.code());
        assertTrue(both.err().contains("test-split") && both.err().contains("keep one"), both.err());
    }
}
