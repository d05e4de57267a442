package bertft.run;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import bertft.Tiny;
import bertft.cli.CliTest;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** train-per-class draws and strategy setfit end to end on a tiny random BERT, and their bad input. */
class SetFitTest {
    static Path task(Path dir, Path model, String... extra) throws IOException {
        Path t = dir.resolve("few.yaml");
        Files.writeString(t, String.join("\n", "task: classification", "model: " + model, "data-dir: " + dir,
                "train: train.csv", "validation: dev.csv", "labels: [negative, positive]", "max-length: 32",
                String.join("\n", extra), ""));
        return t;
    }

    static JsonObject json(Path f) throws IOException {
        return JsonParser.parseString(Files.readString(f)).getAsJsonObject();
    }

    @Test
    void setfitOnEightPerClassIsAnOrdinaryRunThatClassifyAndOnnxExportRead(@TempDir Path tmp) throws IOException {
        Path model = Tiny.checkpoint(tmp.resolve("tiny"), 3);
        TrainJobTest.data(tmp, "train.csv", 96, 1);
        Path dev = TrainJobTest.data(tmp, "dev.csv", 32, 2);
        Path t = task(tmp, model, "strategy: setfit", "train-per-class: 8", "sample-seed: 5", "learning-rate: 1e-3");
        Path out = tmp.resolve("run");
        var r = CliTest.run("train", t.toString(), "--out", out.toString());
        assertEquals(0, r.code(), r.err());
        JsonObject report = json(out.resolve("report.json"));
        JsonObject training = report.getAsJsonObject("training");
        assertEquals("setfit", training.get("strategy").getAsString());
        assertEquals(16, training.get("examples").getAsInt());
        assertEquals(9, training.get("steps").getAsInt(), "144 pairs in batches of 16: SetFit's default batch");
        JsonObject setfit = training.getAsJsonObject("setfit");
        assertEquals(144, setfit.get("pairs").getAsInt());
        assertEquals("logistic", setfit.get("head").getAsString());
        assertTrue(setfit.get("head_converged").getAsBoolean());
        assertEquals("sentence", json(out.resolve("config.json")).get("bert_ft_pooling").getAsString());
        String yaml = Files.readString(out.resolve("task.yaml"));
        assertTrue(yaml.contains("learning-rate: 0.001  # file "), yaml);
        assertTrue(yaml.contains("batch-size: 16  # preset strategy setfit"), yaml);

        // the draw: 8 rows of each class, in the run directory and its provenance, the same for the same seed
        JsonObject sample = json(out.resolve("sample.json"));
        assertEquals(16, sample.getAsJsonArray("lines").size());
        assertEquals(sample, report.getAsJsonObject("provenance").getAsJsonObject("sample"));
        var again = CliTest.run("train", t.toString(), "--out", tmp.resolve("again").toString(), "--epochs", "0.1");
        assertEquals(0, again.code(), again.err());
        assertEquals(sample, json(tmp.resolve("again/sample.json")));
        var other = CliTest.run("train", t.toString(), "--out", tmp.resolve("other").toString(), "--sample-seed", "6",
                "--epochs", "0.1");
        assertEquals(0, other.code(), other.err());
        assertNotEquals(sample.get("lines"), json(tmp.resolve("other/sample.json")).get("lines"));

        // body and head in one ONNX graph: the probabilities of the torch path
        Path export = tmp.resolve("export");
        var e = CliTest.run("export", out.toString(), "--format", "onnx", "--out", export.toString());
        assertEquals(0, e.code(), e.err());
        var torch = CliTest.run("classify", dev.toString(), "--model", out.toString(), "--runtime", "torch");
        var onnx = CliTest.run("classify", dev.toString(), "--model", export.toString());
        assertEquals(0, torch.code(), torch.err());
        assertEquals(0, onnx.code(), onnx.err());
        double[] a = numbers(torch.out());
        double[] b = numbers(onnx.out());
        assertEquals(a.length, b.length);
        assertTrue(a.length >= 32);
        for (int i = 0; i < a.length; i++) {
            assertEquals(a[i], b[i], 1e-4, torch.out() + "\nvs\n" + onnx.out());
        }
        var ev = CliTest.run("evaluate", "--model", out.toString(), "--data", dev.toString(), "--out",
                tmp.resolve("eval").toString());
        assertEquals(0, ev.code(), ev.err());
        // the library API reads it as any classifier: its score is the one classify prints
        var one = CliTest.run("classify", "--model", out.toString(), "--runtime", "torch", "--text", "good phone");
        try (bertft.api.Classifier c = bertft.api.Classifier.load(out.toString())) {
            bertft.api.Prediction p = c.predict("good phone");
            assertTrue(one.out().startsWith(p.label()), one.out());
            double score = p.score();
            assertTrue(java.util.Arrays.stream(numbers(one.out())).anyMatch(x -> Math.abs(x - score) < 1e-4),
                    one.out() + " vs " + score);
        }
    }

    static double[] numbers(String out) {
        return java.util.regex.Pattern.compile("-?\\d+\\.\\d+(?:[eE]-?\\d+)?").matcher(out).results()
                .mapToDouble(m -> Double.parseDouble(m.group())).toArray();
    }

    @Test
    void theDifferentiableHeadTrainsTheClassifierAfterTheBody(@TempDir Path tmp) throws IOException {
        Path model = Tiny.checkpoint(tmp.resolve("tiny"), 3);
        TrainJobTest.data(tmp, "train.csv", 96, 1);
        TrainJobTest.data(tmp, "dev.csv", 32, 2);
        Path out = tmp.resolve("run");
        var r = CliTest.run("train", task(tmp, model, "strategy: setfit", "train-per-class: 4", "setfit-head: differentiable")
                .toString(), "--out", out.toString());
        assertEquals(0, r.code(), r.err());
        JsonObject setfit = json(out.resolve("report.json")).getAsJsonObject("training").getAsJsonObject("setfit");
        assertEquals("differentiable", setfit.get("head").getAsString());
        assertEquals(64, setfit.get("head_iterations").getAsInt(), "16 epochs of 8 examples in batches of 2");
        var c = CliTest.run("classify", "--model", out.toString(), "--text", "good phone");
        assertEquals(0, c.code(), c.err());
    }

    @Test
    void aMultiLabelTaskGetsOneVersusRestLogisticHeads(@TempDir Path tmp) throws IOException {
        Path model = Tiny.checkpoint(tmp.resolve("tiny"), 3);
        java.util.Random r = new java.util.Random(4);
        List<String> ml = new java.util.ArrayList<>(List.of("text,labels"));
        for (int i = 0; i < 48; i++) {
            boolean good = r.nextBoolean();
            boolean fast = r.nextBoolean();
            ml.add((good ? "great" : "bad") + " phone " + (fast ? "fast" : "slow") + " battery,"
                    + (good ? "quality" : "") + (good && fast ? "|" : "") + (fast ? "speed" : ""));
        }
        Files.write(tmp.resolve("ml.csv"), ml);
        Path t = tmp.resolve("ml.yaml");
        Files.writeString(t, String.join("\n", "task: multilabel", "model: " + model, "data-dir: " + tmp,
                "train: ml.csv", "validation: ml.csv", "label-column: labels", "labels: [quality, speed]",
                "max-length: 16", "strategy: setfit", "setfit-pairs: 64", "learning-rate: 1e-3", ""));
        var a = CliTest.run("train", t.toString(), "--out", tmp.resolve("ml").toString());
        assertEquals(0, a.code(), a.err());
        JsonObject report = json(tmp.resolve("ml/report.json"));
        assertEquals(64, report.getAsJsonObject("training").getAsJsonObject("setfit").get("pairs").getAsInt());
        // the words decide the labels: a head fitted per label on the embeddings separates them
        assertTrue(report.getAsJsonObject("validation").getAsJsonObject("metrics").get("micro_f1").getAsDouble() > 0.9,
                report.getAsJsonObject("validation").getAsJsonObject("metrics").toString());
        var cl = CliTest.run("classify", "--model", tmp.resolve("ml").toString(), "--text", "great phone fast battery");
        assertTrue(cl.out().startsWith("quality|speed"), cl.out());
    }

    @Test
    void badFewShotInputIsOneLineAndExitTwo(@TempDir Path tmp) throws IOException {
        Path model = Tiny.checkpoint(tmp.resolve("tiny"), 3);
        Path train = Files.write(tmp.resolve("train.csv"), List.of("text,label", "good phone,positive",
                "great price,positive", "bad phone,negative", "love it,positive"));
        Files.copy(train, tmp.resolve("dev.csv"));
        Path t = task(tmp, model);
        assertRefused(tmp, "--train-per-class: 3 is more than class 'negative' has (1 example in " + train + "); lower it",
                "train", t.toString(), "--train-per-class", "3");
        assertRefused(tmp, "--train-per-class: must be >= 1, got 0", "train", t.toString(), "--train-per-class", "0");
        assertRefused(tmp, "--strategy: setfit: class 'negative' has a single training example in " + train
                + ", so no positive pair (two texts of one class); give it at least 2 (or train-per-class 2 or more)",
                "train", t.toString(), "--strategy", "setfit");
        assertRefused(tmp, "--strategy: setfit is for classification, sentiment and multilabel tasks, not regression",
                "train", t.toString(), "--strategy", "setfit", "--task", "regression");
        assertRefused(tmp, "--strategy: setfit is for classification, sentiment and multilabel tasks, not qa",
                "train", t.toString(), "--strategy", "setfit", "--task", "qa");
        assertRefused(tmp, "--train-per-class: draws examples per class, for classification and sentiment tasks,"
                + " not regression", "train", t.toString(), "--train-per-class", "1", "--task", "regression");
        assertRefused(tmp, "--pooling: pooler puts a dense layer between the sentence embedding and SetFit's head;"
                + " use sentence (setfit's default), mean or cls", "train", t.toString(), "--strategy", "setfit",
                "--pooling", "pooler");
    }

    @Test
    void compareDrawsTheDataEfficiencyChartAndStatesTheChoiceAtEachSize(@TempDir Path tmp) throws IOException {
        Path model = Tiny.checkpoint(tmp.resolve("tiny"), 3);
        TrainJobTest.data(tmp, "train.csv", 64, 1);
        TrainJobTest.data(tmp, "test.csv", 24, 2);
        Path task = tmp.resolve("few.yaml");
        Files.writeString(task, String.join("\n", "task: classification", "model: " + model, "data-dir: " + tmp,
                "train: train.csv", "test: test.csv", "labels: [negative, positive]", "max-length: 32", ""));
        Path out = tmp.resolve("cmp");
        var r = CliTest.run("compare", task.toString(), "--strategies", "setfit,frozen", "--train-per-class", "2,4",
                "--draws", "2", "--epochs", "1", "--out", out.toString());
        assertEquals(0, r.code(), r.err());
        for (String f : List.of("n2/setfit-draw1-seed42/report.json", "n4/frozen-draw2-seed42/sample.json")) {
            assertTrue(Files.exists(out.resolve(f)), f);
        }
        // the same draw for every strategy
        assertEquals(json(out.resolve("n4/setfit-draw2-seed42/sample.json")).get("lines"),
                json(out.resolve("n4/frozen-draw2-seed42/sample.json")).get("lines"));
        assertNotEquals(json(out.resolve("n4/setfit-draw1-seed42/sample.json")).get("lines"),
                json(out.resolve("n4/setfit-draw2-seed42/sample.json")).get("lines"));
        JsonObject c = json(out.resolve("compare.json"));
        assertEquals("test", c.get("split").getAsString());
        assertEquals(2, c.getAsJsonArray("sizes").size());
        JsonObject small = c.getAsJsonArray("sizes").get(0).getAsJsonObject();
        assertEquals(2, small.get("per_class").getAsInt());
        assertEquals(2, small.getAsJsonArray("strategies").get(0).getAsJsonObject().get("runs").getAsInt());
        JsonObject choice = c.getAsJsonArray("choices").get(1).getAsJsonObject();
        String text = choice.get("text").getAsString();
        assertTrue(text.matches("with 4 per class: (setfit|frozen), \\+\\d+\\.\\d points over (setfit|frozen)"), text);
        String md = Files.readString(out.resolve("compare.md"));
        assertTrue(md.contains("| strategy | 2 per class | 4 per class |"), md);
        assertTrue(md.contains("- " + text), md);
        String html = Files.readString(out.resolve("report.html"));
        for (String s : List.of("test accuracy by examples per class", "<polygon", "setfit", "frozen", "4 per class")) {
            assertTrue(html.contains(s), "report.html has " + s);
        }
        var bad = CliTest.run("compare", task.toString(), "--strategies", "setfit", "--train-per-class", "2,0",
                "--out", out.toString());
        assertEquals(2, bad.code());
        assertTrue(bad.err().strip().startsWith("bert-ft: --train-per-class 0: must be at least 1"), bad.err());
        var draws = CliTest.run("compare", task.toString(), "--draws", "3", "--out", out.toString());
        assertEquals("bert-ft: compare: --draws needs --train-per-class (the sizes to draw)", draws.err().strip());
    }

    static void assertRefused(Path tmp, String message, String... args) throws IOException {
        Path out = tmp.resolve("refused");
        String[] all = java.util.stream.Stream.concat(java.util.Arrays.stream(args), java.util.stream.Stream.of(
                "--out", out.toString())).toArray(String[]::new);
        var r = CliTest.run(all);
        assertEquals(2, r.code(), r.err());
        assertEquals("bert-ft: " + message, r.err().strip());
        assertFalse(Files.exists(out), "a refused run leaves nothing behind");
    }
}
