package bertft.tune;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import bertft.UserError;
import bertft.cli.CliTest;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** --space: parsing, errors that name the dimension, checks against the task, seeded sampling. */
class SpaceTest {

    @Test
    void listsRangesAndLogRanges() {
        Space s = Space.parse("strategy=full, llrd ,gradual; learning-rate=2e-5..3e-4:log; layer-decay=0.7..1.0; "
                + "--epochs=2..6; warmup-ratio=0..0.2;");
        assertEquals(List.of("strategy", "learning-rate", "layer-decay", "epochs", "warmup-ratio"), s.keys());
        assertEquals(List.of("full", "llrd", "gradual"), s.get("strategy").values());
        Space.Dimension lr = s.get("learning-rate");
        assertTrue(lr.log() && !lr.integer() && lr.lo() == 2e-5 && lr.hi() == 3e-4);
        assertTrue(s.get("epochs").integer());
        assertFalse(s.get("warmup-ratio").integer(), "0..0.2: real, since one end is");
        assertEquals("strategy=full,llrd,gradual; learning-rate=2e-5..3e-4:log; layer-decay=0.7..1.0; epochs=2..6; "
                + "warmup-ratio=0..0.2", s.toString());
        assertEquals(s.toString(), Space.parse(s.toString()).toString());
    }

    @Test
    void everyMistakeNamesItsDimension() {
        Map<String, String> bad = new java.util.LinkedHashMap<>();
        bad.put("learning-rate=abc..1", "--space: learning-rate=abc..1: 'abc' is not a number");
        bad.put("learning-rate=1e-3..1e-5", "--space: learning-rate=1e-3..1e-5: the range is empty");
        bad.put("learning-rate=0..1e-3:log", "--space: learning-rate=0..1e-3:log: a log range needs LO > 0");
        bad.put("learning-rate=1..2..3", "--space: learning-rate=1..2..3: a range is LO..HI");
        bad.put("learning-rate=1e-4..Infinity", "'Infinity' is not a number");
        bad.put("lerning-rate=1e-4", "--space: lerning-rate=1e-4: unknown option '--lerning-rate' (did you mean "
                + "'--learning-rate'?)");
        bad.put("check-split=0.1,0.2", "--space: check-split=0.1,0.2: 'check-split' cannot be searched (it is the"
                + " check set, scored after the search)");
        bad.put("eval-every=1,2", "'eval-every' cannot be searched");
        bad.put("pooling=1..3", "--space: pooling=1..3: a range needs a numeric key");
        bad.put("batch-size=8.5..32", "--space: batch-size=8.5..32: batch-size takes whole numbers");
        bad.put("strategy=full,,llrd", "--space: strategy=full,,llrd: an empty value in the list");
        bad.put("strategy=full,full", "'full' is listed twice");
        bad.put("strategy=full:log", "--space: strategy=full:log: :log is for ranges");
        bad.put("epochs=2..4; epochs=1,2", "--space: epochs=1,2: 'epochs' is searched twice");
        bad.put("learning-rate", "--space: 'learning-rate' is not KEY=VALUES");
        bad.put(" ; ", "--space: no dimensions");
        bad.put("epochs=", "--space: epochs=: no values");
        bad.forEach((space, message) -> {
            UserError e = assertThrows(UserError.class, () -> Space.parse(space), space);
            assertTrue(e.getMessage().contains(message), space + " -> " + e.getMessage());
        });
    }

    static Path task(Path tmp, String extra) throws IOException {
        return Files.writeString(tmp.resolve("t.yaml"), String.join("\n", "task: classification",
                "train: train.csv", "validation: dev.csv", "labels: [a, b]", extra, ""));
    }

    @Test
    void everyValueIsCheckedAgainstTheTaskBeforeAnythingTrains(@TempDir Path tmp) throws IOException {
        Path task = task(tmp, "");
        Space.parse("strategy=full,llrd,top-2,top-k; unfreeze-layers=1..3; layer-decay=0.7..1.0; "
                + "learning-rate=1e-5..1e-3:log; epochs=1..4").check(task, Map.of());
        Map<String, String> bad = new java.util.LinkedHashMap<>();
        bad.put("strategy=full,bogus", "--space: strategy=full,bogus: --strategy: 'bogus' is not one of");
        bad.put("strategy=full,top-k", "--space: strategy=full,top-k: --strategy: top-k needs unfreeze-layers");
        bad.put("strategy=full,gradual; layer-decay=0.7..0.9", "--space: layer-decay=0.7..0.9: applies only to "
                + "strategy llrd or ulmfit, and no trial has one");
        bad.put("layer-decay=0.8,0.9", "(the task's strategy is full)");
        bad.put("strategy=llrd; layer-decay=0..1", "--space: layer-decay=0..1: --layer-decay:");
        bad.put("warmup-ratio=0..1.5", "--space: warmup-ratio=0..1.5: --warmup-ratio:");
        bad.put("epochs=0..3", "--space: epochs=0..3: --epochs:");
        bad.forEach((space, message) -> {
            UserError e = assertThrows(UserError.class, () -> Space.parse(space).check(task, Map.of()), space);
            assertTrue(e.getMessage().contains(message), space + " -> " + e.getMessage());
        });
    }

    @Test
    void aBadSpaceExitsWithTwoAndOneLineBeforeWritingAnything(@TempDir Path tmp) throws IOException {
        Path task = task(tmp, "");
        Path out = tmp.resolve("out");
        var r = CliTest.run("tune", task.toString(), "--space", "learning-rate=abc..1", "--out", out.toString());
        assertEquals(2, r.code());
        assertEquals("bert-ft: --space: learning-rate=abc..1: 'abc' is not a number", r.err().strip());
        var b = CliTest.run("tune", task.toString(), "--space", "learning-rate=1e-4,2e-4", "--budget", "2 hours",
                "--out", out.toString());
        assertEquals(2, b.code());
        assertTrue(b.err().startsWith("bert-ft: --budget 2 hours: not a duration"), b.err());
        var m = CliTest.run("tune", task.toString(), "--space", "learning-rate=1e-4,2e-4", "--metric", "pearson",
                "--out", out.toString());
        assertEquals(2, m.code());
        assertTrue(m.err().contains("--metric pearson: not one of [accuracy"), m.err());
        Files.writeString(task, Files.readString(task).replace("validation: dev.csv\n", ""));
        var v = CliTest.run("tune", task.toString(), "--space", "learning-rate=1e-4,2e-4", "--out", out.toString());
        assertEquals(2, v.code());
        assertTrue(v.err().contains("has no validation split to compare trials on"), v.err());
        assertFalse(Files.exists(out), "nothing written");
    }

    /**
     * Values a task file's own check passes but the model or the data refuses: each was found by trial 0, after
     * search.json and trials/ were written (and then refused the corrected command as "a tune of other settings").
     */
    @Test
    void modelLimitsAndDataKeysAreCheckedForEveryValueBeforeAnythingIsWritten(@TempDir Path tmp) throws IOException {
        Path task = TuneTest.setUp(tmp);
        Path tiny = tmp.resolve("tiny");
        Path small = Files.createDirectories(tmp.resolve("small")); // only its config is read before training
        Files.writeString(small.resolve("config.json"), Files.readString(tiny.resolve("config.json"))
                .replace("\"max_position_embeddings\": 64", "\"max_position_embeddings\": 32"));
        Files.writeString(tmp.resolve("three.csv"), "text,label\ngreat,positive\nbad,negative\nokay,neutral\n");
        Path out = tmp.resolve("out");
        Map<String, String> bad = new java.util.LinkedHashMap<>();
        bad.put("max-length=16..100000", "--space: max-length=16..100000: --max-length 100000: " + tiny
                + " has 64 positions (max_position_embeddings); use 4 to 64 tokens");
        bad.put("strategy=full,top-99", "--space: strategy=full,top-99: --unfreeze-layers 99: " + tiny
                + " has 2 layers");
        bad.put("strategy=top-k; unfreeze-layers=1..5", "--space: unfreeze-layers=1..5: --unfreeze-layers 5: " + tiny
                + " has 2 layers");
        bad.put("model=" + tiny + "," + tmp.resolve("nope"), "--space: model=" + tiny + "," + tmp.resolve("nope")
                + ": model " + tmp.resolve("nope") + ": not a checkpoint directory");
        bad.put("model=" + tiny + "," + small + "; max-length=16..48", "--space: max-length=16..48: --max-length 48: " + small
                + " has 32 positions");
        bad.put("train=train.csv,missing.csv", "--space: train=train.csv,missing.csv: " + tmp.resolve("missing.csv")
                + ": no such file");
        bad.put("data-dir=" + tmp + "," + tmp.resolve("elsewhere"), "--space: data-dir=" + tmp + "," + tmp.resolve("elsewhere")
                + ": " + tmp.resolve("elsewhere").resolve("train.csv") + ": no such file");
        bad.put("labels=negative,positive", "--space: labels=negative,positive: " + tmp.resolve("train.csv")
                + ":2: label 'positive' is not one of [negative]");
        bad.put("train=train.csv,three.csv", "--space: train=train.csv,three.csv: " + tmp.resolve("three.csv")
                + ":4: label 'neutral' is not one of [negative, positive]");
        bad.forEach((space, message) -> {
            var r = CliTest.run("tune", task.toString(), "--space", space, "--trials", "1", "--seeds", "1", "--out",
                    out.toString());
            assertEquals(2, r.code(), space + " -> " + r.err());
            assertTrue(r.err().startsWith("bert-ft: " + message) && r.err().strip().lines().count() == 1,
                    space + " -> " + r.err());
            assertFalse(Files.exists(out), space + ": nothing written");
        });
    }

    @Test
    void theSameSeedAndTrialDrawTheSameSettings() {
        Space s = Space.parse("strategy=full,llrd,gradual,top-2; learning-rate=2e-5..3e-4:log; layer-decay=0.7..1.0; "
                + "epochs=2..6; warmup-ratio=0..0.2; unfreeze-every=1 epoch,2 epochs");
        Set<Map<String, String>> none = Set.of();
        List<Map<String, String>> a = new ArrayList<>();
        for (int i = 0; i < 50; i++) {
            a.add(s.sample(11, i, "full", none));
            assertEquals(a.get(i), s.sample(11, i, "full", none), "trial " + i);
        }
        assertFalse(a.equals(java.util.stream.IntStream.range(0, 50).mapToObj(i -> s.sample(12, i, "full", none))
                .toList()), "another seed draws other trials");
        Set<String> strategies = new HashSet<>();
        for (Map<String, String> t : a) {
            String strategy = t.get("strategy");
            strategies.add(strategy);
            // strategy-only keys exactly where they mean something
            assertEquals(strategy.equals("llrd"), t.containsKey("layer-decay"), t.toString());
            assertEquals(strategy.equals("gradual"), t.containsKey("unfreeze-every"), t.toString());
            assertEquals(strategy.equals("top-k"), t.containsKey("unfreeze-layers"), t.toString());
            if (strategy.equals("top-k")) {
                assertEquals("2", t.get("unfreeze-layers"), "top-2 is top-k with unfreeze-layers 2");
            }
            double lr = Double.parseDouble(t.get("learning-rate"));
            assertTrue(lr >= 2e-5 && lr <= 3e-4, t.toString());
            assertTrue(t.get("epochs").matches("[2-6]"), t.toString());
            double w = Double.parseDouble(t.get("warmup-ratio"));
            assertTrue(w >= 0 && w <= 0.2, t.toString());
        }
        assertEquals(Set.of("full", "llrd", "gradual", "top-k"), strategies);
    }

    @Test
    void logRangesAreLogUniformAndIntegerRangesIncludeBothEnds() {
        Space s = Space.parse("learning-rate=1e-5..1e-3:log; batch-size=8..11");
        List<Double> lr = new ArrayList<>();
        Set<String> sizes = new HashSet<>();
        for (int i = 0; i < 2000; i++) {
            Map<String, String> t = s.sample(3, i, "full", Set.of());
            lr.add(Double.parseDouble(t.get("learning-rate")));
            sizes.add(t.get("batch-size"));
        }
        long belowGeometricMean = lr.stream().filter(x -> x < 1e-4).count();
        assertTrue(belowGeometricMean > 900 && belowGeometricMean < 1100, "half below 1e-4: " + belowGeometricMean);
        assertEquals(Set.of("8", "9", "10", "11"), sizes);
        assertEquals("3.2e-05", Space.format(3.2e-5));
        assertEquals("0.851", Space.format(0.851));
    }

    @Test
    void aUsedUpSpaceSaysSo() {
        Space s = Space.parse("strategy=full,llrd");
        Set<Map<String, String>> taken = new HashSet<>();
        taken.add(s.sample(1, 0, "full", taken));
        taken.add(s.sample(1, 1, "full", taken));
        assertEquals(2, taken.size());
        assertNull(s.sample(1, 2, "full", taken));
    }
}
