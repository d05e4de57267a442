package bertft.adapt;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import bertft.Tiny;
import bertft.checkpoint.SafeTensors;
import bertft.checkpoint.TensorData;
import bertft.cli.CliTest;
import bertft.data.Corpus;
import bertft.model.BertConfig;
import bertft.model.Checkpoint;
import bertft.model.MaskedLm;
import bertft.run.TrainJobTest;
import bertft.task.TaskFiles;
import bertft.task.TaskSpec;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code bert-ft adapt} end to end on a tiny random BERT and a generated corpus. */
class AdaptTest {
    /** Documents from a tiny grammar: predictable enough that masked-LM loss falls within a few epochs. */
    static Path corpus(Path dir, String name, int n, long seed) throws IOException {
        Random r = new Random(seed);
        String[] things = {"phone", "battery", "movie", "book", "guitar", "food"};
        String[] judge = {"good", "bad", "great", "terrible"};
        List<String> lines = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            lines.add("the " + things[r.nextInt(things.length)] + " was very " + judge[r.nextInt(judge.length)]
                    + " and i would recommend it again .");
        }
        Path f = dir.resolve(name);
        Files.write(f, lines);
        return f;
    }

    static String[] args(Path tmp, Path model, Path text, Path out, String... more) {
        List<String> a = new ArrayList<>(List.of("adapt", "--model", model.toString(), "--text", text.toString(),
                "--out", out.toString()));
        List<String> given = List.of(more);
        String[] defaults = {"--max-length", "32", "--batch-size", "16", "--epochs", "4", "--learning-rate", "2e-3",
            "--seed", "5", "--validation-split", "0.1"};
        for (int i = 0; i < defaults.length; i += 2) {
            if (!given.contains(defaults[i])) {
                a.addAll(List.of(defaults[i], defaults[i + 1]));
            }
        }
        a.addAll(given);
        return a.toArray(String[]::new);
    }

    @Test
    void adaptLowersHeldOutPerplexityAndWritesAMaskedLmCheckpointThatTrainTakes(@TempDir Path tmp) throws IOException {
        Path model = Tiny.checkpoint(tmp.resolve("tiny"), 3);
        Path text = corpus(tmp, "corpus.txt", 300, 1);
        Path out = tmp.resolve("adapted");
        var r = CliTest.run(args(tmp, model, text, out));
        assertEquals(0, r.code(), r.err());
        JsonObject report = JsonParser.parseString(Files.readString(out.resolve("adapt.json"))).getAsJsonObject();
        double before = report.getAsJsonObject("before").get("loss").getAsDouble();
        double after = report.getAsJsonObject("after").get("loss").getAsDouble();
        assertTrue(after < before - 0.5, "held-out loss " + before + " -> " + after);
        assertEquals(Math.exp(after), report.getAsJsonObject("after").get("perplexity").getAsDouble(), 1e-6 * Math.exp(after));
        assertTrue(report.get("tokens_per_s").getAsLong() > 0);
        assertTrue(r.out().contains("perplexity"), r.out());
        assertFalse(Files.exists(out.resolve("last")), "no resume state is left behind");
        for (String f : List.of("config.json", "model.safetensors", "tokenizer.json", "metrics.jsonl", "task.yaml",
                "report.html")) {
            assertTrue(Files.exists(out.resolve(f)), f);
        }
        String page = Files.readString(out.resolve("report.html"));
        assertTrue(page.contains("held-out perplexity before") && page.contains("<svg"), "adapt's report.html");
        // HF BertForMaskedLM layout: bert.* and cls.predictions.*, the decoder tied (not stored)
        JsonObject config = JsonParser.parseString(Files.readString(out.resolve("config.json"))).getAsJsonObject();
        assertEquals("BertForMaskedLM", config.getAsJsonArray("architectures").get(0).getAsString());
        Map<String, TensorData> saved = SafeTensors.read(out.resolve("model.safetensors"));
        assertTrue(saved.keySet().stream().allMatch(k -> k.startsWith("bert.") || k.startsWith("cls.predictions.")),
                saved.keySet().toString());
        for (String k : List.of("cls.predictions.transform.dense.weight", "cls.predictions.transform.LayerNorm.weight",
                "cls.predictions.bias", "bert.embeddings.word_embeddings.weight")) {
            assertTrue(saved.containsKey(k), k);
        }
        // reloads bit-identical, head included
        try (MaskedLm again = MaskedLm.create(BertConfig.read(out.resolve("config.json")), saved, "saved", 0)) {
            assertTrue(again.headLoaded());
            Map<String, TensorData> round = again.checkpoint().hfWeights();
            assertEquals(saved.keySet(), round.keySet());
            saved.forEach((k, v) -> assertEquals(v.data(), round.get(k).data(), k));
        }
        // train takes it as model:
        TrainJobTest.data(tmp, "train.csv", 64, 1);
        TrainJobTest.data(tmp, "dev.csv", 32, 2);
        var t = CliTest.run("train", TrainJobTest.task(tmp, out, "").toString(), "--out",
                tmp.resolve("run").toString());
        assertEquals(0, t.code(), t.err());
        assertTrue(Files.exists(tmp.resolve("run/report.json")));
        // the fine-tuned run's report says what adapting did: perplexity before -> after
        JsonObject trained = JsonParser.parseString(Files.readString(tmp.resolve("run/report.json"))).getAsJsonObject();
        assertEquals(after, trained.getAsJsonObject("adapted_model").getAsJsonObject("after").get("loss").getAsDouble());
        String runPage = Files.readString(tmp.resolve("run/report.html"));
        assertTrue(runPage.contains("Domain adaptation") && runPage.contains("before adapt"), "train's report.html");
    }

    @Test
    void anInterruptedAdaptResumesToTheSameWeights(@TempDir Path tmp) throws IOException {
        Path model = Tiny.checkpoint(tmp.resolve("tiny"), 3);
        Path text = corpus(tmp, "corpus.txt", 120, 2);
        Path full = tmp.resolve("full");
        assertEquals(0, CliTest.run(args(tmp, model, text, full, "--eval-every", "3", "--whole-word-mask", "true"))
                .code());
        Path part = tmp.resolve("part");
        System.setProperty(AdaptJob.STOP_AFTER_STEP, "6");
        try {
            assertEquals(1, CliTest.run(args(tmp, model, text, part, "--eval-every", "3", "--whole-word-mask",
                    "true")).code());
        } finally {
            System.clearProperty(AdaptJob.STOP_AFTER_STEP);
        }
        assertTrue(Files.exists(part.resolve("last/trainer_state.json")));
        var resumed = CliTest.run("adapt", "--resume", part.toString());
        assertEquals(0, resumed.code(), resumed.err());
        for (String key : List.of("cls.predictions.transform.dense.weight", "bert.encoder.layer.1.output.dense.weight")) {
            assertArrayEquals(SafeTensors.read(full.resolve("model.safetensors")).get(key).toFloats(),
                    SafeTensors.read(part.resolve("model.safetensors")).get(key).toFloats(), 1e-6f, key);
        }
        JsonObject a = JsonParser.parseString(Files.readString(full.resolve("adapt.json"))).getAsJsonObject();
        JsonObject b = JsonParser.parseString(Files.readString(part.resolve("adapt.json"))).getAsJsonObject();
        assertEquals(a.get("before"), b.get("before"), "the before-perplexity survives the interruption");
    }

    @Test
    void headLearningRateTrainsTheMaskedLmHeadAtItsOwnRate(@TempDir Path tmp) throws IOException {
        Path model = Tiny.checkpoint(tmp.resolve("tiny"), 3);
        Path text = corpus(tmp, "corpus.txt", 120, 3);
        Path out = tmp.resolve("head-only");
        // the encoder's rate is so small its weights move by rounding only; the head's moves the head
        var r = CliTest.run(args(tmp, model, text, out, "--learning-rate", "1e-12", "--head-learning-rate", "2e-3",
                "--weight-decay", "0"));
        assertEquals(0, r.code(), r.err());
        Map<String, TensorData> before = Checkpoint.readWeights(model);
        Map<String, TensorData> after = SafeTensors.read(out.resolve("model.safetensors"));
        String layer = "encoder.layer.1.output.dense.weight"; // BertModel keys in the tiny checkpoint, bert.* after
        assertArrayEquals(before.get(layer).toFloats(), after.get("bert." + layer).toFloats(), 1e-6f, layer);
        // the same run with the head at 1e-12 too: the head stays where it was initialised
        Path same = tmp.resolve("same-rate");
        assertEquals(0, CliTest.run(args(tmp, model, text, same, "--learning-rate", "1e-12", "--head-learning-rate",
                "1e-12", "--weight-decay", "0")).code());
        double headTrained = afterLoss(out);
        double untouched = afterLoss(same);
        assertTrue(headTrained < untouched - 0.05, "held-out loss " + headTrained + " vs " + untouched);
        String dense = "cls.predictions.transform.dense.weight";
        assertTrue(maxDiff(out, same, dense) > 1e-3, "the head moved by at most " + maxDiff(out, same, dense));

        // unset, a head initialised here trains at 1e-3, not the encoder's rate
        Path fresh = tmp.resolve("fresh-head-default");
        assertEquals(0, CliTest.run(args(tmp, model, text, fresh, "--learning-rate", "1e-12", "--weight-decay", "0"))
                .code());
        assertTrue(afterLoss(fresh) < untouched - 0.05, "held-out loss " + afterLoss(fresh) + " vs " + untouched);
        // and a head the checkpoint has (this adapt output's) at the encoder's rate: it stays where it was
        Path loaded = tmp.resolve("loaded-head-default");
        assertEquals(0, CliTest.run(args(tmp, out, text, loaded, "--learning-rate", "1e-12", "--weight-decay", "0"))
                .code());
        assertTrue(maxDiff(out, loaded, dense) < 1e-6, "the loaded head moved by " + maxDiff(out, loaded, dense));
    }

    @Test
    void headEpochsFitTheHeadAloneThenAdaptEverythingAndResumeAcrossTheSwitch(@TempDir Path tmp) throws IOException {
        Path model = Tiny.checkpoint(tmp.resolve("tiny"), 3);
        Path text = corpus(tmp, "corpus.txt", 120, 4);
        String[] phases = {"--head-epochs", "1", "--epochs", "1"};
        Path full = tmp.resolve("full");
        assertEquals(0, CliTest.run(args(tmp, model, text, full, phases)).code());
        JsonObject report = JsonParser.parseString(Files.readString(full.resolve("adapt.json"))).getAsJsonObject();
        long headSteps = report.get("head_only_steps").getAsLong();
        assertEquals(report.get("steps").getAsLong(), 2 * headSteps, "one epoch of each phase");
        // killed at the end of the head-only epoch: the encoder is exactly as it was, the head has moved
        Path part = tmp.resolve("part");
        System.setProperty(AdaptJob.STOP_AFTER_STEP, Long.toString(headSteps));
        try {
            assertEquals(1, CliTest.run(args(tmp, model, text, part, phases)).code());
        } finally {
            System.clearProperty(AdaptJob.STOP_AFTER_STEP);
        }
        Map<String, TensorData> original = Checkpoint.readWeights(model);
        Map<String, TensorData> afterHead = SafeTensors.read(part.resolve("last/model.safetensors"));
        for (String k : List.of("embeddings.word_embeddings.weight", "encoder.layer.1.output.dense.weight")) {
            assertArrayEquals(original.get(k).toFloats(), afterHead.get("bert." + k).toFloats(), 0f, k);
        }
        // then everything adapts, and the resumed run ends where the uninterrupted one did
        assertEquals(0, CliTest.run("adapt", "--resume", part.toString()).code());
        Map<String, TensorData> end = SafeTensors.read(part.resolve("model.safetensors"));
        String layer = "encoder.layer.1.output.dense.weight";
        assertFalse(Arrays.equals(original.get(layer).toFloats(), end.get("bert." + layer).toFloats()),
                "the encoder adapts after the head-only epoch");
        for (String k : List.of("cls.predictions.transform.dense.weight", "bert." + layer)) {
            assertArrayEquals(SafeTensors.read(full.resolve("model.safetensors")).get(k).toFloats(),
                    end.get(k).toFloats(), 1e-6f, k);
        }
        // the head alone already lowered the held-out loss by the switch
        List<Double> heldOut = new ArrayList<>();
        for (String line : Files.readAllLines(part.resolve("metrics.jsonl"))) {
            JsonObject o = JsonParser.parseString(line).getAsJsonObject();
            if (o.has("heldout") && o.get("step").getAsLong() <= headSteps) {
                heldOut.add(o.getAsJsonObject("heldout").get("loss").getAsDouble());
            }
        }
        assertEquals(2, heldOut.size(), heldOut.toString());
        // (a head that did not move would leave it exactly as it was: the encoder is frozen)
        assertTrue(heldOut.get(1) < heldOut.get(0), "held-out loss over the head-only epoch: " + heldOut);
    }

    private static double maxDiff(Path a, Path b, String key) throws IOException {
        float[] x = SafeTensors.read(a.resolve("model.safetensors")).get(key).toFloats();
        float[] y = SafeTensors.read(b.resolve("model.safetensors")).get(key).toFloats();
        double d = 0;
        for (int i = 0; i < x.length; i++) {
            d = Math.max(d, Math.abs(x[i] - y[i]));
        }
        return d;
    }

    @Test
    void adaptsAtItsOwnDefaultLearningRateEpochsAndWarmup(@TempDir Path tmp) throws IOException {
        Path text = corpus(tmp, "corpus.txt", 10, 1);
        TaskSpec adapt = TaskFiles.loadAdapt(null, Map.of("text", text.toString()));
        assertEquals(2e-5, adapt.learningRate(), "adapt's measured default, not train's");
        assertEquals(2, adapt.epochs(), "adapt's measured default, not train's");
        assertEquals(0.06, adapt.warmupRatio(), "adapt's measured default, not train's");
        Path train = Files.writeString(tmp.resolve("t.csv"), "text,label\na,x\nb,y\n");
        TaskSpec trained = TaskFiles.load(null, Map.of("task", "classification", "train",
                train.toString()));
        assertEquals(1e-4, trained.learningRate());
        assertEquals(3, trained.epochs());
        assertEquals(0.1, trained.warmupRatio());
    }

    private static double afterLoss(Path run) throws IOException {
        JsonObject report = JsonParser.parseString(Files.readString(run.resolve("adapt.json"))).getAsJsonObject();
        return report.getAsJsonObject("after").get("loss").getAsDouble();
    }

    @Test
    void groupTextsCutsExactBlocksAndLineByLineKeepsDocuments(@TempDir Path tmp) throws IOException {
        try (var tok = Tiny.tokenizer(64)) {
            List<String> docs = List.of("the phone was good .", "a book", "the movie was very bad and slow .");
            List<Corpus.Sequence> blocks = Corpus.sequences(docs, tok, 8, false, "test");
            int total = docs.stream().mapToInt(d -> tok.encode(d).getIds().length).sum();
            assertEquals(total / 8, blocks.size(), "the remainder is dropped");
            assertTrue(blocks.stream().allMatch(b -> b.length() == 8));
            assertTrue(blocks.get(0).special()[0], "[CLS] of the first document");
            List<Corpus.Sequence> lines = Corpus.sequences(docs, tok, 8, true, "test");
            assertEquals(3, lines.size());
            assertEquals(4, lines.get(1).length(), "[CLS] a book [SEP]");
            assertEquals(8, lines.get(2).length(), "truncated to max-length");
        }
    }

    @Test
    void badInputIsOneLineExitTwoAndLeavesNothingBehind(@TempDir Path tmp) throws IOException {
        Path model = Tiny.checkpoint(tmp.resolve("tiny"), 3);
        Path text = corpus(tmp, "corpus.txt", 50, 3);
        Path empty = Files.writeString(tmp.resolve("empty.txt"), "\n\n");
        Path csv = Files.writeString(tmp.resolve("reviews.csv"), "review,label\n\"good phone\",positive\n");
        Path shortText = Files.writeString(tmp.resolve("short.txt"), "good phone\nbad\nok\n");
        Path out = tmp.resolve("out");
        Object[][] cases = {
            {args(tmp, model, empty, out), "empty.txt: no text"},
            {args(tmp, model, csv, out), "no column 'text'"},
            {args(tmp, model, text, out, "--mlm-probability", "1.5"), "--mlm-probability"},
            {args(tmp, model, text, out, "--mlm-probability", "0"), "--mlm-probability"},
            {args(tmp, model, shortText, out, "--validation-split", "0.34"), "fewer than one block of max-length 32"},
            {new String[] {"adapt", "--model", model.toString(), "--out", out.toString()}, "--text"},
            {args(tmp, Path.of("..", "shared", "golden", "families", "electra", "base"), text, out),
                "no masked-LM head for model_type electra"},
        };
        for (Object[] c : cases) {
            var r = CliTest.run((String[]) c[0]);
            assertEquals(2, r.code(), String.join(" ", (String[]) c[0]) + "\n" + r.err());
            assertTrue(r.err().contains((String) c[1]), r.err());
            assertEquals(1, r.err().strip().lines().count(), r.err());
            assertFalse(Files.exists(out), "nothing written for " + c[1]);
        }
    }
    @Test
    void benchTimesTheMaskedLmStepBesideTheClassifierStep(@TempDir Path tmp) {
        Path model = Tiny.checkpoint(tmp.resolve("tiny"), 3);
        var r = CliTest.run("bench", "--model", model.toString(), "--mlm", "--shapes", "4x16,2x32", "--repeats", "1");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().matches("(?s).*train step +4 x +16: +[0-9]+ tokens/s; masked-LM \\(adapt\\) step: +[0-9]+ "
                + "tokens/s \\([0-9.]+x\\).*train step +2 x +32: .*peak RSS: [0-9.]+ GB.*"), r.out());
        var both = CliTest.run("bench", "--model", model.toString(), "--mlm", "--data", model.resolve("config.json")
                .toString());
        assertEquals(2, both.code());
        assertTrue(both.err().contains("--mlm"), both.err());
    }
}
