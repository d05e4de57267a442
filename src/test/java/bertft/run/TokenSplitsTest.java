package bertft.run;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import bertft.Tiny;
import bertft.cli.CliTest;
import bertft.task.TaskFiles;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Token classification's validation-split / test-split, and unknown validation/test tags (unknown-tags: O). */
class TokenSplitsTest {
    static Path task(Path dir, Path model, String extra) throws IOException {
        Path t = dir.resolve("ner.yaml");
        Files.writeString(t, String.join("\n", "task: token-classification", "model: " + model, "data-dir: " + dir,
                "train: train.conll", "max-length: 32", "batch-size: 16", "epochs: 1", "learning-rate: 3e-3", extra,
                ""));
        return t;
    }

    @Test
    void validationAndTestSplitsAreDrawnFromTheTrainingSentences(@TempDir Path tmp) throws IOException {
        Path model = Tiny.checkpoint(tmp.resolve("tiny"), 3);
        TokenClassificationTest.conll(tmp, "train.conll", 60, 1);
        Path out = tmp.resolve("run");
        var r = CliTest.run("train", task(tmp, model, "validation-split: 0.25\ntest-split: 0.2").toString(), "--out",
                out.toString(), "--seed", "7");
        assertEquals(0, r.code(), r.err());
        // 12 of 60 for test, then 12 of the 48 left for validation
        var err = new java.io.ByteArrayOutputStream();
        Tagging.Data d = Tagging.read(TaskFiles.load(task(tmp, model, "validation-split: 0.25\ntest-split: 0.2"),
                java.util.Map.of()), new java.io.PrintStream(err, true));
        assertEquals(List.of(36, 12, 12), List.of(d.train().sentences().size(), d.validation().sentences().size(),
                d.test().sentences().size()));
        assertTrue(err.toString().contains("train.conll (test-split 0.2): 12 sentences\n"), err.toString());
        assertTrue(err.toString().contains("train.conll (validation-split 0.25): 12 sentences\n"), err.toString());
        java.util.Set<String> seen = new java.util.HashSet<>();
        for (var part : List.of(d.train(), d.validation(), d.test())) {
            part.sentences().forEach(s -> assertTrue(seen.add(s.line() + ""), "each sentence in one part: " + s));
        }
        assertTrue(report0(out).get("validation_data").getAsString().endsWith("train.conll (validation-split 0.25)"));
        JsonObject report = report0(out);
        for (String split : List.of("validation", "test")) {
            JsonObject m = report.getAsJsonObject(split).getAsJsonObject("metrics");
            assertTrue(m.has("f1") && m.has("token_accuracy"), split + ": " + m);
        }
        assertEquals(12, report.getAsJsonObject("test").get("sentences").getAsInt());
        assertEquals(12, report.getAsJsonObject("validation").get("sentences").getAsInt());

        var both = CliTest.run("train", task(tmp, model, "test: train.conll\ntest-split: 0.2").toString(), "--out",
                tmp.resolve("none").toString());
        assertEquals(2, both.code());
        assertTrue(both.err().contains("test-split: and test are both set; keep one"), both.err());
        var all = CliTest.run("train", task(tmp, model, "validation-split: 0.999").toString(), "--out",
                tmp.resolve("none").toString());
        assertEquals(2, all.code());
        assertTrue(all.err().contains("train.conll: validation-split 0.999 of 60 sentences leaves none to train on"),
                all.err());
    }

    static JsonObject report0(Path run) throws IOException {
        return JsonParser.parseString(Files.readString(run.resolve("report.json"))).getAsJsonObject();
    }

    @Test
    void unknownTagsAreAnErrorOrOWithOneWarning(@TempDir Path tmp) throws IOException {
        Path model = Tiny.checkpoint(tmp.resolve("tiny"), 3);
        TokenClassificationTest.conll(tmp, "train.conll", 40, 1);
        Files.write(tmp.resolve("dev.conll"), List.of("the\tO", "man\tB-person", "", "in\tO", "paris\tB-location",
                "france\tB-location", "", "guitar\tB-work", "music\tI-work", "city\tI-location", ""));
        var error = CliTest.run("train", task(tmp, model, "validation: dev.conll").toString());
        assertEquals(2, error.code());
        assertTrue(error.err().strip().startsWith("bert-ft: " + tmp.resolve("dev.conll") + ":5: tag 'B-location' is"
                + " not one of the labels [O, B-animal, B-person, B-work, I-work]"), error.err());

        Path out = tmp.resolve("run");
        var r = CliTest.run("train", task(tmp, model, "validation: dev.conll\nunknown-tags: O").toString(), "--out",
                out.toString());
        assertEquals(0, r.code(), r.err());
        var err = new java.io.ByteArrayOutputStream();
        Tagging.read(TaskFiles.load(task(tmp, model, "validation: dev.conll\nunknown-tags: O"), java.util.Map.of()),
                new java.io.PrintStream(err, true));
        List<String> warnings = err.toString().lines().filter(l -> l.startsWith("warning: ")).toList();
        assertEquals(List.of("warning: " + tmp.resolve("dev.conll") + ":5: tag 'B-location' is not one of the labels;"
                + " 3 words with 2 unknown tags [B-location, I-location] read as O (unknown-tags: O)"), warnings);
        // scored with them as O: gold entities person and work only
        JsonObject m = JsonParser.parseString(Files.readString(out.resolve("report.json"))).getAsJsonObject()
                .getAsJsonObject("validation").getAsJsonObject("metrics");
        assertEquals(2, m.getAsJsonObject("per_type").getAsJsonObject("person").get("support").getAsInt()
                + m.getAsJsonObject("per_type").getAsJsonObject("work").get("support").getAsInt(), m.toString());
        assertTrue(!m.getAsJsonObject("per_type").has("location"), m.toString());

        Files.write(tmp.resolve("bad.conll"), List.of("the\tO", "man\tX-person", ""));
        var malformed = CliTest.run("train", task(tmp, model, "validation: bad.conll\nunknown-tags: O").toString());
        assertEquals(2, malformed.code());
        assertTrue(malformed.err().contains("bad.conll:2: tag 'X-person' is not IOB2 (O, or B-TYPE, I-TYPE)"), malformed.err());
        var wrong = CliTest.run("train", task(tmp, model, "unknown-tags: drop").toString());
        assertEquals(2, wrong.code());
        assertTrue(wrong.err().contains("unknown-tags: 'drop' is not one of [error, O]"), wrong.err());
    }
}
