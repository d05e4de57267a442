package bertft.adapt;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import bertft.Tiny;
import bertft.cli.CliTest;
import bertft.run.TrainJobTest;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What {@code adapt} reads and resumes: bounded lines, texts that are not strings, a training run to resume. */
class AdaptInputTest {
    static void assertOneLine(CliTest.Run r, String expected, Path out) {
        assertEquals(2, r.code(), r.err());
        assertEquals("bert-ft: " + expected, r.err().strip());
        assertFalse(Files.exists(out), "nothing written");
    }

    @Test
    void aFileWithoutLineBreaksFailsWithItsNameInsteadOfFillingMemory(@TempDir Path tmp) {
        Path model = Tiny.checkpoint(tmp.resolve("tiny"), 3);
        Path out = tmp.resolve("out");
        var r = CliTest.run(AdaptTest.args(tmp, model, Path.of("/dev/zero"), out));
        assertOneLine(r, "/dev/zero:1: more than 16777216 characters without a line break (is it a text file?)", out);
    }

    @Test
    void jsonLinesTextsThatAreNotStringsAreErrorsNamingTheLineAndEmptyTextsAreSkipped(@TempDir Path tmp)
            throws IOException {
        Path model = Tiny.checkpoint(tmp.resolve("tiny"), 3);
        // 100 rows: every fifth text a number or null (they were dropped without a word: 80 used)
        Random rng = new Random(4);
        List<String> rows = new ArrayList<>();
        for (int i = 0; i < 100; i++) {
            String text = i % 5 == 4 ? (i % 10 == 4 ? "42" : "null")
                    : "\"the phone was very " + (rng.nextBoolean() ? "good" : "bad") + " and i would buy it again\"";
            rows.add("{\"text\": " + text + ", \"id\": " + i + "}");
        }
        Path jsonl = tmp.resolve("texts.jsonl");
        Files.write(jsonl, rows);
        Path out = tmp.resolve("out");
        assertOneLine(CliTest.run(AdaptTest.args(tmp, model, jsonl, out)),
                jsonl + ":5: 'text' is a number, not a string (and 19 more problems in this file)", out);
        Files.write(jsonl, List.of(rows.get(0), "{\"id\": 1, \"text\": null}"));
        assertOneLine(CliTest.run(AdaptTest.args(tmp, model, jsonl, out)),
                jsonl + ":2: 'text' is null, not a string", out);
        Files.write(jsonl, List.of(rows.get(0), "{\"id\": 1}"));
        assertOneLine(CliTest.run(AdaptTest.args(tmp, model, jsonl, out)), jsonl + ":2: no 'text' field", out);

        // an empty text is left out, as the README says (and as blank lines of a text file are)
        List<String> withEmpty = new ArrayList<>(rows.stream().filter(r -> !r.contains("null") && !r.contains(" 42,"))
                .toList());
        withEmpty.add(5, "{\"text\": \"  \", \"id\": 1000}");
        Files.write(jsonl, withEmpty);
        var ok = CliTest.run(AdaptTest.args(tmp, model, jsonl, out, "--epochs", "1", "--line-by-line", "true"));
        assertEquals(0, ok.code(), ok.err());
        assertTrue(Files.readString(out.resolve("adapt.json")).contains("\"documents\": 80"),
                Files.readString(out.resolve("adapt.json")));
    }

    /** adapt reads a GBK table with --encoding gbk, and names a GBK one without it in one line. */
    @Test
    void aGbkTableIsReadWithEncodingGbk(@TempDir Path tmp) throws IOException {
        Path model = Tiny.checkpoint(tmp.resolve("tiny"), 3);
        List<String> rows = new ArrayList<>(List.of("text"));
        for (int i = 0; i < 40; i++) {
            rows.add("the phone was good 手机很好用，电池也耐用 " + i);
        }
        Path csv = tmp.resolve("texts.csv");
        Files.write(csv, rows, java.nio.charset.Charset.forName("GBK"));
        Path out = tmp.resolve("out");
        assertOneLine(CliTest.run(AdaptTest.args(tmp, model, csv, out)), csv + ":2: not valid UTF-8, but reads as GBK"
                + " (common for Chinese files): re-save it as UTF-8, or give --encoding gbk (task key encoding: gbk)", out);
        var ok = CliTest.run(AdaptTest.args(tmp, model, csv, out, "--epochs", "1", "--line-by-line", "true",
                "--encoding", "gbk"));
        assertEquals(0, ok.code(), ok.err());
        assertTrue(Files.readString(out.resolve("adapt.json")).contains("\"documents\": 40"));
    }

    @Test
    void resumingATrainingRunSaysToResumeItWithTrain(@TempDir Path tmp) throws IOException {
        Path model = Tiny.checkpoint(tmp.resolve("tiny"), 3);
        TrainJobTest.data(tmp, "train.csv", 32, 1);
        TrainJobTest.data(tmp, "dev.csv", 16, 2);
        Path run = tmp.resolve("run");
        var trained = CliTest.run("train", TrainJobTest.task(tmp, model, "").toString(), "--out", run.toString(),
                "--epochs", "1");
        assertEquals(0, trained.code(), trained.err());
        List<String> before;
        try (var s = Files.list(run)) {
            before = s.map(Path::toString).sorted().toList();
        }
        var r = CliTest.run("adapt", "--resume", run.toString());
        assertEquals(2, r.code(), r.err());
        assertEquals("bert-ft: --resume " + run + ": is a training run, not an adapt run; continue it with `bert-ft"
                + " train --resume " + run + "`", r.err().strip());
        try (var s = Files.list(run)) {
            assertEquals(before, s.map(Path::toString).sorted().toList(), "the run is left as it was");
        }
    }
}
