package bertft.run;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import bertft.Tiny;
import bertft.checkpoint.SafeTensors;
import bertft.cli.CliTest;
import bertft.train.DomainAdversary;
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

/** DANN through {@code bert-ft train}: domain-classifier accuracy logged, a seeded validation split, refusals. */
class DomainAdversarialTest {
    /** Target-domain texts: other words than the source's filler, no labels. */
    static Path target(Path dir, int n) throws IOException {
        Random r = new Random(9);
        String[] words = {"food", "eating", "horse", "riding", "guitar", "music", "man", "woman", "day"};
        List<String> lines = new ArrayList<>(List.of("text"));
        for (int i = 0; i < n; i++) {
            StringBuilder sb = new StringBuilder();
            for (int k = 0; k < 4 + r.nextInt(5); k++) {
                sb.append(words[r.nextInt(words.length)]).append(' ');
            }
            lines.add(sb.toString().strip());
        }
        return Files.write(dir.resolve("target.csv"), lines);
    }

    static Path task(Path dir, Path model, String extra) throws IOException {
        Path t = dir.resolve("dann.yaml");
        Files.writeString(t, String.join("\n", "task: classification", "model: " + model, "data-dir: " + dir,
                "train: train.csv", "validation-split: 0.25", "labels: [negative, positive]", "max-length: 32",
                "batch-size: 16", "epochs: 2", "learning-rate: 1e-3", "pooling: mean", "domain-text: target.csv",
                "domain-adversarial: 1.0", extra, ""));
        return t;
    }

    @Test
    void lambdaRampsFromZeroToTheWeight() {
        assertEquals(0, DomainAdversary.lambda(0.5, 0), 1e-12);
        assertEquals(0.5 * (2 / (1 + Math.exp(-5)) - 1), DomainAdversary.lambda(0.5, 0.5), 1e-12);
        assertEquals(0.5, DomainAdversary.lambda(0.5, 1), 1e-4);
    }

    /**
     * The reversal layer hands the features -lambda times the domain loss's gradient: a step along what the encoder
     * receives raises the domain loss, and the gradient scales with lambda.
     */
    @Test
    void gradientReversalNegatesAndScalesTheDomainGradient(@TempDir Path tmp) {
        Path dir = Tiny.checkpoint(tmp.resolve("tiny"), 3);
        try (var model = bertft.model.TaskModel.create(bertft.model.Checkpoint.read(dir),
                bertft.model.TaskModel.Head.CLASSIFIER, 2, bertft.model.TaskModel.Pooling.MEAN, 0, 1, "tiny", false);
                var tok = Tiny.tokenizer(16); ai.djl.ndarray.NDManager m = ai.djl.ndarray.NDManager.newBaseManager()) {
            var target = new bertft.data.Features(List.of(tok.encode("the food was good"), tok.encode("horse riding")),
                    List.of());
            float[] x0 = new float[4 * 32];
            Random r = new Random(1);
            for (int i = 0; i < x0.length; i++) {
                x0[i] = (float) r.nextGaussian();
            }
            float[][] grads = new float[2][];
            double[] losses = new double[3];
            for (int run = 0; run < 2; run++) {
                try (DomainAdversary adv = new DomainAdversary(target, 32, run + 1, 0.5, 7, m)) {
                    ai.djl.ndarray.NDArray x = m.create(x0, new ai.djl.ndarray.types.Shape(4, 32));
                    x.setRequiresGradient(true);
                    try (var gc = ai.djl.engine.Engine.getInstance().newGradientCollector()) {
                        var loss = adv.loss(model, x, false, 0, 0, 1.0, m);
                        losses[run] = loss.getFloat();
                        gc.backward(loss);
                    }
                    grads[run] = x.getGradient().toFloatArray();
                    if (run == 0) { // a small step along the reversed gradient raises the domain loss
                        float[] moved = x0.clone();
                        for (int i = 0; i < moved.length; i++) {
                            moved[i] -= 0.5f * grads[0][i];
                        }
                        losses[2] = adv.loss(model, m.create(moved, new ai.djl.ndarray.types.Shape(4, 32)), false, 0, 0,
                                1.0, m).getFloat();
                    }
                }
            }
            assertTrue(losses[2] > losses[0], "descending the reversed gradient ascends the loss: " + losses[0]
                    + " -> " + losses[2]);
            for (int i = 0; i < grads[0].length; i++) {
                assertEquals(2 * grads[0][i], grads[1][i], 1e-5 + 1e-3 * Math.abs(grads[1][i]), "lambda scales it");
            }
        }
    }

    @Test
    void dannLogsDomainAccuracyAndValidatesOnASeededSplit(@TempDir Path tmp) throws IOException {
        Path model = Tiny.checkpoint(tmp.resolve("tiny"), 3);
        TrainJobTest.data(tmp, "train.csv", 96, 1);
        target(tmp, 64);
        Path out = tmp.resolve("run");
        var r = CliTest.run("train", task(tmp, model, "").toString(), "--out", out.toString());
        assertEquals(0, r.code(), r.err());
        List<JsonObject> domain = new ArrayList<>();
        for (String line : Files.readAllLines(out.resolve("metrics.jsonl"))) {
            JsonObject o = JsonParser.parseString(line).getAsJsonObject();
            if (o.has("domain")) {
                domain.add(o.getAsJsonObject("domain"));
            }
        }
        assertEquals(10, domain.size(), "one domain line per optimizer step (72 examples / 16, 2 epochs)");
        double previous = -1;
        for (JsonObject d : domain) {
            double acc = d.get("accuracy").getAsDouble();
            assertTrue(acc >= 0 && acc <= 1, d.toString());
            assertTrue(d.get("lambda").getAsDouble() > previous, "lambda ramps up: " + domain);
            previous = d.get("lambda").getAsDouble();
        }
        assertTrue(previous < 1 && previous > 0.9, "lambda " + previous);
        JsonObject report = JsonParser.parseString(Files.readString(out.resolve("report.json"))).getAsJsonObject();
        assertTrue(report.toString().contains("validation-split 0.25"), "the validation split is named");
        assertTrue(report.has("validation"), report.keySet().toString());
        String html = Files.readString(out.resolve("report.html"));
        assertTrue(html.contains("Domain adaptation") && html.contains("domain-classifier accuracy"), "domain section");
        assertFalse(SafeTensors.read(out.resolve("model.safetensors")).keySet().stream()
                .anyMatch(k -> k.startsWith("domain_classifier")), "the domain classifier is not part of the model");
    }

    @Test
    void anInterruptedDannRunResumesToTheSameWeights(@TempDir Path tmp) throws IOException {
        Path model = Tiny.checkpoint(tmp.resolve("tiny"), 3);
        TrainJobTest.data(tmp, "train.csv", 96, 1);
        target(tmp, 40);
        Path task = task(tmp, model, "eval-every: 2");
        Path full = tmp.resolve("full");
        assertEquals(0, CliTest.run("train", task.toString(), "--out", full.toString()).code());
        Path part = tmp.resolve("part");
        TrainJobTest.trainKilledAfterStep(4, task, part);
        var resumed = CliTest.run("train", "--resume", part.toString());
        assertEquals(0, resumed.code(), resumed.err());
        String key = "bert.encoder.layer.1.output.dense.weight";
        assertArrayEquals(SafeTensors.read(full.resolve("model.safetensors")).get(key).toFloats(),
                SafeTensors.read(part.resolve("model.safetensors")).get(key).toFloats(), 1e-6f);
    }

    @Test
    void refusals(@TempDir Path tmp) throws IOException {
        Path model = Tiny.checkpoint(tmp.resolve("tiny"), 3);
        TrainJobTest.data(tmp, "train.csv", 32, 1);
        Path t = task(tmp, model, "");
        Path noText = Files.writeString(tmp.resolve("no-text.yaml"),
                Files.readString(t).replace("domain-text: target.csv\n", ""));
        Object[][] cases = {
            {new String[] {"train", t.toString(), "--strategy", "frozen"}, "strategy frozen"},
            {new String[] {"train", noText.toString()}, "domain-adversarial: needs domain-text"},
            {new String[] {"train", t.toString(), "--domain-adversarial", "0"}, "--domain-adversarial"},
            {new String[] {"train", t.toString(), "--micro-batch-size", "2"}, "micro-batch-size: cannot split"},
        };
        for (Object[] c : cases) {
            var r = CliTest.run((String[]) c[0]);
            assertEquals(2, r.code(), r.err());
            assertTrue(r.err().contains((String) c[1]), r.err());
            assertEquals(1, r.err().strip().lines().count(), r.err());
        }
    }
}
