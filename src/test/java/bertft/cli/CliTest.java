package bertft.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import bertft.Tiny;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

public class CliTest {
    /** Output, error output and exit code of one command line. */
    public record Run(int code, String out, String err) {}

    public static Run run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine cl = BertFt.commandLine();
        cl.setOut(new PrintWriter(out));
        cl.setErr(new PrintWriter(err));
        int code = cl.execute(args);
        return new Run(code, out.toString(), err.toString());
    }

    @Test
    void helpAndVersion() {
        Run help = run("--help");
        assertEquals(0, help.code());
        assertTrue(help.out().contains("embed") && help.out().contains("models"), help.out());
        Run version = run("--version");
        assertTrue(version.out().matches("bert-ft \\d+\\.\\d+\\.\\d+.*\\s*"), version.out());
        Run sub = run("embed", "--help");
        assertTrue(sub.out().contains("--max-length"), sub.out());
    }

    @Test
    void embedPrintsUnitVectorsInInputOrder(@TempDir Path tmp) throws Exception {
        Path model = Tiny.checkpoint(tmp.resolve("tiny"), 7);
        Path input = tmp.resolve("in.txt");
        Files.write(input, List.of("the movie was great", "bad", "", "good phone , fast battery"));
        Run r = run("embed", "--model", model.toString(), input.toString());
        assertEquals(0, r.code(), r.err());
        List<String> lines = r.out().lines().toList();
        assertEquals(3, lines.size(), "blank lines are skipped");
        JsonObject first = JsonParser.parseString(lines.get(0)).getAsJsonObject();
        assertEquals("the movie was great", first.get("text").getAsString());
        var v = first.getAsJsonArray("embedding");
        assertEquals(32, v.size());
        double norm = 0;
        for (var x : v) {
            norm += x.getAsDouble() * x.getAsDouble();
        }
        assertEquals(1.0, norm, 1e-5);
        assertEquals("bad", JsonParser.parseString(lines.get(1)).getAsJsonObject().get("text").getAsString());

        Run csv = run("embed", "--model", model.toString(), "--format", "csv", "--text", "say \"hi\", ok");
        assertEquals(0, csv.code(), csv.err());
        assertTrue(csv.out().startsWith("text,e0,e1,"));
        assertTrue(csv.out().contains("\"say \"\"hi\"\", ok\","), csv.out());
    }

    @Test
    void userErrorsAreOneLineWithExitCode2(@TempDir Path tmp) throws Exception {
        Run missing = run("embed", "--text", "x", "--model", tmp.resolve("nope").toString());
        assertEquals(2, missing.code());
        assertEquals(1, missing.err().strip().lines().count(), missing.err());
        assertFalse(missing.err().contains("Exception"), missing.err());

        Path model = Tiny.checkpoint(tmp.resolve("tiny"), 7);
        Path latin1 = tmp.resolve("latin1.txt");
        Files.write(latin1, new byte[] {'o', 'k', '\n', 'c', 'a', 'f', (byte) 0xe9, '\n'});
        Run enc = run("embed", "--model", model.toString(), latin1.toString());
        assertEquals(2, enc.code());
        assertEquals("bert-ft: " + latin1 + ":2: not valid UTF-8 (is it Latin-1? re-save as UTF-8)", enc.err().strip());

        Run format = run("embed", "--model", model.toString(), "--format", "xml", "--text", "a");
        assertEquals("bert-ft: --format xml: expected jsonl or csv", format.err().strip());
    }

    @Test
    void modelsListsTheBundledModel() {
        Run r = run("models");
        assertEquals(0, r.code());
        assertTrue(r.out().contains("minilm") && r.out().contains("sentence-transformers/all-MiniLM-L6-v2"), r.out());
        assertTrue(r.out().contains("bge-small-zh") && r.out().contains("BAAI/bge-small-zh-v1.5"), r.out());
    }

    @Test
    void benchTimesAStepPerStrategy(@TempDir Path tmp) {
        Path model = Tiny.checkpoint(tmp.resolve("tiny"), 1);
        Run r = run("bench", "--model", model.toString(), "--shapes", "2x8", "--strategy", "frozen,top-1,full",
                "--repeats", "1");
        assertEquals(0, r.code(), r.err());
        for (String line : List.of("train step   2 x   8 frozen: ", "train step   2 x   8 top-1: ", "train step   2 x   8: ")) {
            assertTrue(r.out().contains(line), line + " in " + r.out());
        }
        assertEquals(3, splitShares(r.out()).size(), "a step's split under each strategy's line: " + r.out());
    }

    @Test
    void benchTimesAnEpochOverRealTextAndSplitsItsSteps(@TempDir Path tmp) throws IOException {
        Path model = Tiny.checkpoint(tmp.resolve("tiny"), 1);
        StringBuilder csv = new StringBuilder("text,label\n");
        for (int i = 0; i < 10; i++) {
            csv.append("the movie was " + "very ".repeat(i) + "good,1\n");
        }
        Path data = Files.writeString(tmp.resolve("d.csv"), csv);
        Run r = run("bench", "--model", model.toString(), "--data", data.toString(), "--batch-size", "4");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("10 examples, 3 batches of 4"), r.out());
        List<List<Integer>> shares = splitShares(r.out());
        assertEquals(1, shares.size(), r.out());
        assertTrue(r.out().contains("a step (mean of 3): forward "), r.out());
        int sum = shares.get(0).stream().mapToInt(Integer::intValue).sum();
        assertTrue(Math.abs(sum - 100) <= 3, "five rounded shares of the whole step: " + shares);
    }

    /** The percentages of each "a step (mean of N): forward X ms (P%), ..." line. */
    private static List<List<Integer>> splitShares(String out) {
        return out.lines().filter(l -> l.startsWith("  a step (mean of "))
                .map(l -> java.util.regex.Pattern.compile("\\((\\d+)%\\)").matcher(l).results()
                        .map(m -> Integer.parseInt(m.group(1))).toList())
                .toList();
    }
}
