package bertft.tune;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import bertft.Tiny;
import bertft.cli.CliTest;
import bertft.run.TrainJobTest;
import bertft.task.TaskFiles;
import bertft.task.TaskSpec;
import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** tune end to end on the tiny BERT: a 4-point space, halving, the winner over two seeds, and a killed tune. */
class TuneTest {
    static final String SPACE = "strategy=frozen,full; learning-rate=1e-3..1e-2:log";

    static Path setUp(Path tmp) throws IOException {
        Path model = Tiny.checkpoint(tmp.resolve("tiny"), 3);
        TrainJobTest.data(tmp, "train.csv", 64, 1);
        TrainJobTest.data(tmp, "dev.csv", 32, 2);
        TrainJobTest.data(tmp, "test.csv", 32, 3);
        Path task = TrainJobTest.task(tmp, model, "test: test.csv");
        return Files.writeString(task, Files.readString(task).replace("epochs: 3", "epochs: 2"));
    }

    static CliTest.Run tune(Path task, Path out) {
        return CliTest.run("tune", task.toString(), "--space", SPACE, "--trials", "4", "--metric", "loss",
                "--seeds", "1,2", "--out", out.toString());
    }

    static JsonObject json(Path file) throws IOException {
        return JsonParser.parseString(Files.readString(file)).getAsJsonObject();
    }

    @Test
    void aFourPointSpaceIsSearchedHalvedRetrainedAndReported(@TempDir Path tmp) throws IOException {
        Path task = setUp(tmp);
        Path out = tmp.resolve("tune");
        var r = tune(task, out);
        assertEquals(0, r.code(), r.err());
        assertTrue(r.err().contains("== tune: trial 3 ") && r.err().contains("== compare: ")
                && r.err().contains("tune: " + out.resolve("report.html")),
                "tune, its trials and its compares print through the command's error writer: " + r.err());
        JsonObject t = json(out.resolve("tune.json"));
        JsonArray trials = t.getAsJsonArray("trials");
        assertEquals(4, trials.size(), "every point of the 4-point space, once");
        assertTrue(t.get("stopped").getAsString().startsWith("the trial budget (4) is spent"), t.toString());
        Map<Integer, Double> rung0 = new java.util.HashMap<>();
        for (JsonElement e : trials) {
            JsonObject x = e.getAsJsonObject();
            rung0.put(x.get("trial").getAsInt(), x.getAsJsonArray("rungs").get(0).getAsJsonObject().get("value")
                    .getAsDouble());
            boolean finished = x.get("status").getAsString().equals("finished");
            assertEquals(finished ? 2 : 1, x.getAsJsonArray("rungs").size(), x.toString());
            assertEquals(finished ? "finished" : "stopped at epoch 1", x.get("status").getAsString());
            // trials never see the test split
            Path report = Path.of(x.get("dir").getAsString()).resolve("report.json");
            assertTrue(!Files.exists(report) || !json(report).has("test"), report.toString());
            assertFalse(Files.exists(Path.of(x.get("dir").getAsString()).resolve("last")), "resume states removed");
        }
        // the halving rule, replayed from the order the rungs were trained in: a trial went on to epoch 2 only
        // from the better half (by validation loss) of the trials that had finished epoch 1 by then
        List<Integer> seen = new ArrayList<>();
        int promoted = 0;
        for (String line : Files.readAllLines(out.resolve("trials.jsonl"))) {
            JsonObject u = JsonParser.parseString(line).getAsJsonObject();
            int id = u.get("trial").getAsInt();
            if (u.get("rung").getAsInt() == 0) {
                seen.add(id);
                continue;
            }
            promoted++;
            long better = seen.stream().filter(o -> rung0.get(o) < rung0.get(id)).count();
            assertTrue(better < seen.size() / 2, "trial " + id + " was in the better half of " + seen);
        }
        assertTrue(promoted >= 1 && promoted < 4, "some trials, not all, went on: " + promoted);
        JsonObject best = t.getAsJsonObject("best");
        JsonObject w = t.getAsJsonObject("winner");
        assertEquals(2, w.getAsJsonObject("validation").getAsJsonArray("values").size(), "retrained with 2 seeds");
        assertEquals(2, w.getAsJsonObject("test").getAsJsonArray("values").size(), "the winner is tested");
        assertTrue(Files.exists(Path.of(w.get("dir").getAsString()).resolve("compare.json")));
        double trained = 0;
        List<Double> lastLosses = new ArrayList<>();
        try (var runs = Files.list(Path.of(w.get("dir").getAsString()))) {
            for (Path run : runs.filter(d -> Files.exists(d.resolve("report.json"))).toList()) {
                JsonObject report = json(run.resolve("report.json"));
                trained += report.getAsJsonObject("training").get("seconds").getAsDouble();
                List<String> log = Files.readAllLines(run.resolve("metrics.jsonl"));
                double last = log.stream().map(l -> JsonParser.parseString(l).getAsJsonObject())
                        .filter(e -> e.has("validation")).reduce((a, z) -> z).orElseThrow()
                        .getAsJsonObject("validation").get("loss").getAsDouble();
                double kept = report.getAsJsonObject("validation").getAsJsonObject("metrics").get("loss").getAsDouble();
                assertTrue(kept <= last + 1e-9, "the kept epoch is the best by loss: " + kept + " vs last " + last);
                lastLosses.add(last);
            }
        }
        JsonArray lastValues = w.getAsJsonObject("validation_last_epoch").getAsJsonArray("values");
        List<Double> reported = new ArrayList<>();
        lastValues.forEach(x -> reported.add(x.getAsDouble()));
        lastLosses.sort(null);
        reported.sort(null);
        assertEquals(lastLosses, reported, "each seed's last evaluation, beside the kept epoch's");
        assertEquals(trained, t.get("retrain_seconds").getAsDouble(), 0.2, "retraining = the seeds' training time");

        // best.yaml: the task with the best settings, as train loads it
        TaskSpec b = TaskFiles.load(out.resolve("best.yaml"), Map.of());
        JsonObject settings = best.getAsJsonObject("settings");
        assertEquals(settings.get("strategy").getAsString(), b.strategy());
        assertEquals(Double.parseDouble(settings.get("learning-rate").getAsString()), b.learningRate());
        assertEquals("loss", b.earlyStopping().metric(), "best.yaml keeps the best model by the metric searched");
        assertEquals("tiny", b.name());
        assertEquals(tmp.resolve("test.csv"), b.test(), "best.yaml keeps the test split");

        String md = Files.readString(out.resolve("tune.md"));
        String html = Files.readString(out.resolve("report.html"));
        for (String s : List.of("loss @1", "loss @2", "(best)", "stopped at epoch 1", "each run at its best epoch (")) {
            assertTrue(md.contains(s) && html.contains(s), s);
        }
        for (String s : List.of("loss against learning-rate", "loss by strategy", "Best settings", "± ")) {
            assertTrue(html.contains(s), s);
        }
        assertFalse(html.contains("NaN"));

        // the same command again: nothing trains, the same result
        var again = tune(task, out);
        assertEquals(0, again.code(), again.err());
        assertEquals(trials, json(out.resolve("tune.json")).getAsJsonArray("trials"));
        // another space in the same directory is refused, naming what differs
        var other = CliTest.run("tune", task.toString(), "--space", "learning-rate=1e-3,2e-3", "--metric", "loss", "--trials", "4", "--out", out.toString());
        assertEquals(2, other.code());
        assertTrue(other.err().contains("holds a tune of other settings (space was"), other.err());
    }

    /**
     * A tune whose first trial failed (here on a bad row, which only training reads) left search.json and trials/,
     * and the corrected command was refused as "a tune of other settings"; it now takes back what it wrote.
     */
    /**
     * LoRA's keys are dimensions like any other: a lora trial trains the rank it drew (its adapter says so), a full
     * trial leaves them unset, and the winner's best.yaml keeps them only when lora won.
     */
    @Test
    void loraKeysAreSearchedOnlyInLoraTrials(@TempDir Path tmp) throws IOException {
        Path task = setUp(tmp);
        Path out = tmp.resolve("tune");
        var r = CliTest.run("tune", task.toString(), "--space", "strategy=full,lora; lora-r=2,4; lora-alpha=4,8",
                "--trials", "4", "--metric", "loss", "--seeds", "1", "--out", out.toString());
        assertEquals(0, r.code(), r.err());
        JsonArray trials = json(out.resolve("tune.json")).getAsJsonArray("trials");
        int lora = 0;
        for (JsonElement e : trials) {
            JsonObject x = e.getAsJsonObject();
            JsonObject settings = x.getAsJsonObject("settings");
            Path config = Path.of(x.get("dir").getAsString()).resolve("adapter_config.json");
            if (settings.get("strategy").getAsString().equals("lora")) {
                lora++;
                JsonObject adapter = json(config);
                assertEquals(settings.get("lora-r").getAsInt(), adapter.get("r").getAsInt(), x.toString());
                assertEquals(settings.get("lora-alpha").getAsDouble(), adapter.get("lora_alpha").getAsDouble());
            } else {
                assertFalse(settings.has("lora-r") || settings.has("lora-alpha"), "a full trial: " + x);
                assertFalse(Files.exists(config), x.toString());
            }
        }
        assertTrue(lora >= 2, "lora trials with the ranks they drew: " + trials);
        String best = Files.readString(out.resolve("best.yaml"));
        assertEquals(best.contains("strategy: lora"), best.contains("lora-r:"), best);
    }

    @Test
    void aTuneThatFailsBeforeItsFirstTrialSavedAnythingLeavesNothingInTheWay(@TempDir Path tmp) throws IOException {
        Path task = setUp(tmp);
        Files.writeString(tmp.resolve("bad.csv"), Files.readString(tmp.resolve("train.csv")) + "so so,meh\n");
        Path out = tmp.resolve("out");
        List<String> args = new ArrayList<>(List.of("tune", task.toString(), "--space", "learning-rate=1e-3,2e-3",
                "--trials", "1", "--seeds", "1", "--metric", "loss", "--out", out.toString(), "--train", "bad.csv"));
        var failed = CliTest.run(args.toArray(String[]::new));
        assertEquals(2, failed.code(), failed.err());
        assertTrue(failed.err().contains("bad.csv") && failed.err().contains("meh"), failed.err());
        assertFalse(Files.exists(out), "nothing left: " + failed.err());
        Files.createDirectories(out); // a directory the user made is kept, empty as it was
        assertEquals(2, CliTest.run(args.toArray(String[]::new)).code());
        assertTrue(Files.isDirectory(out) && Files.list(out).findAny().isEmpty());
        args.set(args.size() - 1, "train.csv");
        var fixed = CliTest.run(args.toArray(String[]::new));
        assertEquals(0, fixed.code(), fixed.err());
        assertTrue(Files.exists(out.resolve("tune.json")));
    }

    @Test
    void aKilledTuneGoesOnWhereItStoppedAndEndsAsAnUninterruptedOne(@TempDir Path tmp) throws IOException {
        Path task = setUp(tmp);
        Path killed = tmp.resolve("killed");
        // 4 steps an epoch: step 8 ends the first trial promoted to epoch 2; die right after its last checkpoint
        System.setProperty("bertft.stopAfterStep", "8");
        try {
            var r = tune(task, killed);
            assertNotEquals(0, r.code(), "the tune died");
        } finally {
            System.clearProperty("bertft.stopAfterStep");
        }
        assertFalse(Files.exists(killed.resolve("tune.json")));
        List<String> before = Files.readAllLines(killed.resolve("trials.jsonl"));
        assertEquals(2, before.size(), "two rungs were trained before the kill: " + before);
        var resumed = tune(task, killed);
        assertEquals(0, resumed.code(), resumed.err());
        List<String> after = Files.readAllLines(killed.resolve("trials.jsonl"));
        assertEquals(before, after.subList(0, 2), "the rungs trained before the kill were not trained again");
        Path clean = tmp.resolve("clean");
        assertEquals(0, tune(task, clean).code());
        assertEquals(after.size(), Files.readAllLines(clean.resolve("trials.jsonl")).size());
        JsonArray a = json(killed.resolve("tune.json")).getAsJsonArray("trials");
        JsonArray b = json(clean.resolve("tune.json")).getAsJsonArray("trials");
        assertEquals(a.size(), b.size());
        for (int i = 0; i < a.size(); i++) {
            JsonObject x = a.get(i).getAsJsonObject();
            JsonObject y = b.get(i).getAsJsonObject();
            for (String k : List.of("settings", "rungs", "status")) {
                assertEquals(y.get(k), x.get(k), "trial " + i + " " + k);
            }
        }
    }

    @Test
    void multiLabelRegressionAndQaTasksAreTunedOnTheirKindsMetric(@TempDir Path tmp) throws IOException {
        Path model = Tiny.checkpoint(tmp.resolve("tiny"), 3);
        java.util.Random r = new java.util.Random(4);
        List<String> ml = new ArrayList<>(List.of("text,labels"));
        List<String> reg = new ArrayList<>(List.of("text,score"));
        for (int i = 0; i < 48; i++) {
            boolean good = r.nextBoolean();
            boolean fast = r.nextBoolean();
            String text = (good ? "great" : "bad") + " phone " + (fast ? "fast" : "slow") + " battery";
            ml.add(text + "," + (good ? "quality" : "") + (good && fast ? "|" : "") + (fast ? "speed" : ""));
            reg.add(text + "," + ((good ? 3 : 1) + (fast ? 1 : 0)));
        }
        Files.write(tmp.resolve("ml.csv"), ml);
        Files.write(tmp.resolve("reg.csv"), reg);
        // SQuAD-style questions over contexts of the tiny vocabulary
        JsonArray paragraphs = new JsonArray();
        String[] words = {"great", "bad", "phone", "battery", "price", "movie"};
        for (int i = 0; i < 12; i++) {
            String answer = words[i % words.length];
            String context = "the product was " + answer + " and it was the " + words[(i + 1) % words.length];
            JsonObject qa = new JsonObject();
            qa.addProperty("id", "q" + i);
            qa.addProperty("question", "what was the product");
            JsonObject a = new JsonObject();
            a.addProperty("text", answer);
            a.addProperty("answer_start", context.indexOf(answer));
            JsonArray answers = new JsonArray();
            answers.add(a);
            qa.add("answers", answers);
            JsonArray qas = new JsonArray();
            qas.add(qa);
            JsonObject p = new JsonObject();
            p.addProperty("context", context);
            p.add("qas", qas);
            paragraphs.add(p);
        }
        JsonObject doc = new JsonObject();
        doc.addProperty("title", "tiny");
        doc.add("paragraphs", paragraphs);
        JsonArray data = new JsonArray();
        data.add(doc);
        JsonObject squad = new JsonObject();
        squad.add("data", data);
        Files.writeString(tmp.resolve("qa.json"), squad.toString());
        String common = String.join("\n", "model: " + model, "data-dir: " + tmp, "max-length: 32", "batch-size: 16",
                "epochs: 2", "pooling: mean", "");
        Map<String, String> tasks = Map.of(
                "micro_f1", "task: multilabel\ntrain: ml.csv\nvalidation: ml.csv\nlabel-column: labels\n"
                        + "labels: [quality, speed]\n",
                "pearson", "task: regression\ntrain: reg.csv\nvalidation: reg.csv\nlabel-column: score\n",
                "f1", "task: qa\ntrain: qa.json\nvalidation: qa.json\nmax-query-length: 8\ndoc-stride: 8\n");
        for (var e : tasks.entrySet()) {
            Path task = Files.writeString(tmp.resolve("t-" + e.getKey() + ".yaml"), e.getValue() + common);
            Path out = tmp.resolve("tune-" + e.getKey());
            var run = CliTest.run("tune", task.toString(), "--space", "learning-rate=1e-3,3e-3", "--trials", "2",
                    "--seeds", "1", "--out", out.toString());
            assertEquals(0, run.code(), e.getKey() + ": " + run.err());
            JsonObject t = json(out.resolve("tune.json"));
            assertEquals(e.getKey(), t.get("metric").getAsString(), "the kind's own metric");
            assertEquals(2, t.getAsJsonArray("trials").size());
            assertTrue(Double.isFinite(t.getAsJsonObject("winner").getAsJsonObject("validation").get("mean")
                    .getAsDouble()), t.toString());
            assertTrue(Files.readString(out.resolve("report.html")).contains(e.getKey() + " @1"));
            String md = Files.readString(out.resolve("tune.md"));
            if (e.getKey().equals("f1")) {
                assertTrue(md.contains("Check set none: a qa task's check set is its test file, and it has none: the"
                        + " validation figures are selected on the validation set"), md);
            } else {
                assertTrue(t.get("check_set").getAsString().startsWith("check-split 0.1 of train"), t.toString());
                assertTrue(md.contains("Against the defaults (the task before tuning"), md);
                assertFalse(md.contains("NaN"), md);
            }
        }
    }

    @Test
    void aDivergingTrialIsRecordedAsFailedAndTheSearchGoesOn(@TempDir Path tmp) throws IOException {
        Path task = setUp(tmp);
        Path out = tmp.resolve("tune");
        // no clipping and an absurd rate: that trial's weights overflow within a few steps
        var r = CliTest.run("tune", task.toString(), "--space", "learning-rate=1e-3,1e30", "--max-grad-norm", "0",
                "--warmup-ratio", "0", "--seeds", "1", "--out", out.toString());
        assertEquals(0, r.code(), r.err());
        JsonObject t = json(out.resolve("tune.json"));
        assertEquals(2, t.getAsJsonArray("trials").size());
        for (JsonElement e : t.getAsJsonArray("trials")) {
            JsonObject x = e.getAsJsonObject();
            boolean absurd = x.getAsJsonObject("settings").get("learning-rate").getAsString().equals("1e30");
            assertEquals(absurd, x.get("status").getAsString().startsWith("failed: training diverged at step"),
                    x.toString());
        }
        assertEquals("1e-3", t.getAsJsonObject("best").getAsJsonObject("settings").get("learning-rate").getAsString());
        String html = Files.readString(out.resolve("report.html"));
        assertFalse(html.contains(">NaN<") || html.contains("\"NaN"), "no NaN cell or coordinate (the failure says NaN)");
        // and a re-run reads the failure back instead of training it again
        var again = tune(task, out);
        assertEquals(2, again.code(), "another command line (its options differ) is refused");
        var same = CliTest.run("tune", task.toString(), "--space", "learning-rate=1e-3,1e30", "--max-grad-norm", "0",
                "--warmup-ratio", "0", "--seeds", "1", "--out", out.toString());
        assertEquals(0, same.code(), same.err());
        assertEquals(t.getAsJsonArray("trials"), json(out.resolve("tune.json")).getAsJsonArray("trials"));
    }

    @Test
    void refitRetrainsTheWinnerOnAllOfTrainAndReusesTheSearch(@TempDir Path tmp) throws IOException {
        Path task = setUp(tmp);
        Files.writeString(task, Files.readString(task).replace("validation: dev.csv\n", ""));
        Path out = tmp.resolve("tune");
        List<String> search = List.of("tune", task.toString(), "--space", "learning-rate=1e-3,3e-3", "--metric", "loss",
                "--validation-split", "0.25", "--seeds", "1,2", "--out", out.toString());
        var plain = CliTest.run(search.toArray(String[]::new));
        assertEquals(0, plain.code(), plain.err());
        List<String> rungs = Files.readAllLines(out.resolve("trials.jsonl"));
        List<String> refit = new ArrayList<>(search);
        refit.add("--refit");
        var r = CliTest.run(refit.toArray(String[]::new));
        assertEquals(0, r.code(), r.err());
        assertEquals(rungs, Files.readAllLines(out.resolve("trials.jsonl")), "the search was read back, not retrained");
        JsonObject t = json(out.resolve("tune.json"));
        JsonObject w = t.getAsJsonObject("winner");
        assertTrue(w.get("refit").getAsBoolean());
        assertTrue(w.get("dir").getAsString().endsWith("-refit"), w.toString());
        assertEquals(2, w.getAsJsonObject("test").getAsJsonArray("values").size(), "each seed tested once");
        int runs = 0;
        try (var dirs = Files.list(Path.of(w.get("dir").getAsString()))) {
            for (Path run : dirs.filter(d -> Files.exists(d.resolve("report.json"))).toList()) {
                JsonObject report = json(run.resolve("report.json"));
                assertEquals(64, report.getAsJsonObject("training").get("examples").getAsInt(), "all 64 rows of train");
                assertFalse(report.has("validation"), run.toString());
                assertTrue(report.has("test"), run.toString());
                runs++;
            }
        }
        assertEquals(2, runs);
        // the best trial (the one that went on to the end) trained on the 48 rows the split left
        String best = String.format("t%03d", t.getAsJsonObject("best").get("trial").getAsInt());
        JsonObject trial = json(out.resolve("trials").resolve(best).resolve("report.json"));
        assertEquals(48, trial.getAsJsonObject("training").get("examples").getAsInt());
        // best.yaml is what the winner was retrained with: no split, no selection by validation
        TaskSpec b = TaskFiles.load(out.resolve("best.yaml"), Map.of());
        assertEquals(null, b.validationSplit());
        assertEquals(null, b.earlyStopping());
        assertFalse(b.validates());
        String lead = "retrained on all of train (refit, the validation rows included) with seeds [1, 2]: test loss";
        assertTrue(Files.readString(out.resolve("tune.md")).contains(lead), Files.readString(out.resolve("tune.md")));
        assertTrue(Files.readString(out.resolve("report.html")).contains(lead));
        assertTrue(Files.readString(out.resolve("best.yaml"))
                .contains("retrained on all of train with seeds [1, 2]: test loss"));

        // a task validated on a file of its own has no rows to give back: refused before anything is written
        Path other = tmp.resolve("other");
        Path validated = setUp(Files.createDirectories(tmp.resolve("x")));
        var refused = CliTest.run("tune", validated.toString(), "--space", "learning-rate=1e-3,3e-3",
                "--refit", "--out", other.toString());
        assertEquals(2, refused.code());
        assertTrue(refused.err().contains("--refit: the task validates on " + tmp.resolve("x").resolve("dev.csv")),
                refused.err());
        assertFalse(Files.exists(other));
    }

    @Test
    void frozenTrialsComputeTheEncodersFeaturesOnceAndReadThemAfter(@TempDir Path tmp) throws IOException {
        Path task = setUp(tmp);
        Path out = tmp.resolve("tune");
        var log = new java.io.ByteArrayOutputStream();
        Space space = Space.parse("strategy=frozen; learning-rate=1e-3,3e-3,1e-2");
        new Tune(new Tune.Options(task, Map.of(), space, new Budget(3, null), List.of(1L), null, null, Rungs.EPOCHS,
                false, out), new java.io.PrintStream(log, true)).run();
        List<String> lines = log.toString().lines().toList();
        assertEquals(1, lines.stream().filter(l -> l.startsWith("features cached in")).count(), log.toString());
        // the other two trials' first rung, the rung the promoted trial resumed for, and the winner's one seed
        assertEquals(4, lines.stream().filter(l -> l.startsWith("features read from " + out.resolve("features")))
                .count(), log.toString());
        assertFalse(Files.exists(out.resolve("features")), "removed when the tune ended");
        assertEquals(3, json(out.resolve("tune.json")).getAsJsonArray("trials").size());
    }

    @Test
    void scheduleRungsPauseEachTrialAtItsOwnQuarterAndHalf(@TempDir Path tmp) throws IOException {
        Path task = setUp(tmp);
        Path out = tmp.resolve("tune");
        var r = CliTest.run("tune", task.toString(), "--space", "epochs=2,4", "--rungs", "schedule", "--seeds", "1",
                "--out", out.toString());
        assertEquals(0, r.code(), r.err());
        JsonObject t = json(out.resolve("tune.json"));
        for (JsonElement e : t.getAsJsonArray("trials")) {
            JsonObject x = e.getAsJsonObject();
            double epochs = x.get("epochs").getAsDouble();
            JsonArray rungs = x.getAsJsonArray("rungs");
            for (int k = 0; k < rungs.size(); k++) {
                assertEquals(Rungs.SCHEDULE.target(epochs, k), rungs.get(k).getAsJsonObject().get("epochs")
                        .getAsDouble(), x.toString());
            }
        }
        assertTrue(Files.readString(out.resolve("tune.md")).contains("| accuracy @1/4 | accuracy @1/2 |"));
        assertTrue(Files.readString(out.resolve("tune.md")).contains("a quarter, a half and all of the trial's own"));
        // the search's rule is part of what a re-run must match
        var other = CliTest.run("tune", task.toString(), "--space", "epochs=2,4", "--seeds", "1", "--out",
                out.toString());
        assertEquals(2, other.code());
        assertTrue(other.err().contains("rungs was \"schedule\""), other.err());
        var bad = CliTest.run("tune", task.toString(), "--space", "epochs=2,4", "--rungs", "halves");
        assertEquals(2, bad.code());
        assertTrue(bad.err().contains("'halves': one of epochs, schedule"), bad.err());
    }
    /**
     * A space where every point is the same recipe (only the seed differs): the search's best trial gains on the
     * validation set it was chosen on, and the check set, scored after the search with the same seeds, shows no gain.
     */
    @Test
    void aSearchOverSeedsAloneGainsOnValidationAndNothingOnTheCheckSet(@TempDir Path tmp) throws IOException {
        Path model = Tiny.checkpoint(tmp.resolve("tiny"), 3);
        TrainJobTest.data(tmp, "train.csv", 80, 1);
        TrainJobTest.data(tmp, "dev.csv", 32, 2);
        Path task = TrainJobTest.task(tmp, model, ""); // no test: the tune keeps a check set of its own
        Files.writeString(task, Files.readString(task).replace("epochs: 3", "epochs: 1"));
        Path out = tmp.resolve("runs").resolve("first");
        var r = CliTest.run("tune", task.toString(), "--space", "seed=1,2,3,4,5,6", "--trials", "6", "--metric", "loss",
                "--seeds", "1,2", "--out", out.toString());
        assertEquals(0, r.code(), r.err());
        JsonObject t = json(out.resolve("tune.json"));
        assertEquals(6, t.getAsJsonArray("trials").size());
        assertEquals("check-split 0.1 of train (stratified, the same rows for every run)",
                t.get("check_set").getAsString());
        // the check rows (a tenth of each label's) are out of every run's training and scored only as its test
        long positive = Files.readAllLines(tmp.resolve("train.csv")).stream().filter(l -> l.endsWith(",positive"))
                .count();
        long held = Math.round(positive * 0.1) + Math.round((80 - positive) * 0.1);
        for (JsonElement e : t.getAsJsonArray("trials")) {
            JsonObject report = json(Path.of(e.getAsJsonObject().get("dir").getAsString()).resolve("report.json"));
            assertEquals(80 - held, report.getAsJsonObject("training").get("examples").getAsInt());
            assertTrue(report.get("test_data").getAsString().endsWith("(check-split 0.1)"), report.toString());
        }
        JsonObject g = t.getAsJsonObject("gain");
        assertTrue(g.get("validation_selected").getAsDouble() > 0, "selection alone gains on validation: " + g);
        assertEquals(0, g.get("check").getAsDouble(), 1e-9, "the same recipe and seeds score the same: " + g);
        assertEquals(2, g.get("seeds").getAsInt());
        assertEquals(2, t.getAsJsonObject("defaults").getAsJsonObject("test").getAsJsonArray("values").size());
        String says = "the validation gain is selection on the validation set, not a better recipe";
        String md = Files.readString(out.resolve("tune.md"));
        String html = Files.readString(out.resolve("report.html"));
        for (String x : List.of(String.format(java.util.Locale.ROOT, "validation %+.4f (selected: the search's best"
                + " trial, chosen on this set; +0.0000 retrained), check set +0.0000 ± 0.0000 (unbiased: check-split"
                + " 0.1 of train", g.get("validation_selected").getAsDouble()), says, "The first search found on this"
                + " validation set")) {
            assertTrue(md.contains(x) && html.contains(x.replace("'", "&#39;")), x + "\n" + md);
        }
        assertTrue(md.contains("| defaults (mean of seeds) |") && md.contains(", the defaults' runs "), md);
        assertTrue(html.contains("validation against check set loss") && html.contains("trial "), html);
        assertFalse(html.contains("NaN"));
        String yaml = Files.readString(out.resolve("best.yaml"));
        assertTrue(yaml.contains("# measured on the check set (check-split 0.1 of train") && yaml.contains(
                "check-split: 0.1"), yaml);

        // a second search on the same validation set is counted, and so is one started from the first's best.yaml
        Path second = tmp.resolve("runs").resolve("second");
        var r2 = CliTest.run("tune", task.toString(), "--space", "seed=7,8", "--trials", "2", "--metric", "loss",
                "--seeds", "1", "--out", second.toString());
        assertEquals(0, r2.code(), r2.err());
        JsonObject s2 = json(second.resolve("tune.json")).getAsJsonObject("searches");
        assertEquals(2, s2.get("search").getAsInt(), s2.toString());
        assertTrue(Files.readString(second.resolve("tune.md")).contains("Search 2 on this validation set: " + out
                + " (6 trials) chose on it before, 8 trials in all with this one's 2."), Files.readString(second
                .resolve("tune.md")));
        Path third = tmp.resolve("elsewhere").resolve("third");
        var r3 = CliTest.run("tune", out.resolve("best.yaml").toString(), "--space", "learning-rate=1e-3,2e-3",
                "--trials", "2", "--metric", "loss", "--seeds", "1", "--out", third.toString());
        assertEquals(0, r3.code(), r3.err());
        assertEquals(2, json(third.resolve("tune.json")).getAsJsonObject("searches").get("search").getAsInt());
    }

    @Test
    void theCheckSetIsTheTasksTestOrACheckSplitNeverBoth(@TempDir Path tmp) throws IOException {
        Path task = setUp(tmp);
        Path out = tmp.resolve("tune");
        var r = CliTest.run("tune", task.toString(), "--space", "learning-rate=1e-3,2e-3", "--check-split", "0.2",
                "--out", out.toString());
        assertEquals(2, r.code());
        assertTrue(r.err().contains("check-split") && r.err().contains("and test are both set; keep one (either is the"
                + " check set)"), r.err());
        assertFalse(Files.exists(out));
        var s = CliTest.run("tune", task.toString(), "--space", "check-split=0.1,0.2", "--out", out.toString());
        assertEquals(2, s.code());
        assertTrue(s.err().contains("'check-split' cannot be searched"), s.err());
        // searching the training files: a split of train is other rows for other files, and the tune says so
        Files.writeString(task, Files.readString(task).replace("test: test.csv\n", ""));
        var log = new java.io.ByteArrayOutputStream();
        new Tune(new Tune.Options(task, Map.of("epochs", "1"), Space.parse("train=train.csv,test.csv"),
                new Budget(1, null), List.of(1L), null, null, Rungs.EPOCHS, false, out),
                new java.io.PrintStream(log, true)).run();
        assertTrue(log.toString().contains("warning: --space searches the training data, so the check set (check-split 0.1"
                + " of train (stratified, the same rows for every run)) is other rows for the winner and the defaults"
                + " when their train differs; give the task a test file"), log.toString());
    }
}
