package bertft.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import bertft.Tiny;
import bertft.cli.CliTest.Run;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;
import picocli.CommandLine.Model.OptionSpec;

/**
 * Hostile and mistaken input through the command line: each case ends with one line that names the option, file
 * or value, exit code 2, and never a hang, a stack trace or a library's exception text.
 */
class BadInputTest {

    /** Asserts exit 2 and a single {@code bert-ft: ...} line that starts with {@code prefix}. */
    static void oneLine(Run r, String prefix) {
        assertEquals(2, r.code(), r.err() + r.out());
        String err = r.err().strip();
        assertEquals(1, err.lines().count(), err);
        assertTrue(err.startsWith("bert-ft: " + prefix), err);
        assertFalse(err.contains("Exception") || err.contains("java.") || err.contains("gson"), err);
    }

    @Test
    void everyIntegerOptionOfEveryCommandIsCheckedWhenParsed() {
        List<String> checked = new ArrayList<>();
        CommandLine root = BertFt.commandLine();
        root.getSubcommands().forEach((name, sub) -> {
            for (OptionSpec o : sub.getCommandSpec().options()) {
                Class<?> t = o.isMultiValue() ? o.auxiliaryTypes()[0] : o.type();
                if (t != int.class && t != Integer.class) {
                    continue;
                }
                for (String bad : List.of("0", "-5", "abc", "99999999999")) {
                    // the bad value is caught while parsing: no model, file or required option is looked at
                    oneLine(CliTest.run(name, o.longestName(), bad), o.longestName() + " " + bad + ": ");
                }
                checked.add(name + " " + o.longestName());
            }
        });
        assertTrue(checked.containsAll(List.of("classify --batch-size", "embed --batch-size", "embed --max-length",
                "bench --batch-size", "bench --max-length", "bench --repeats", "qa --top-k")), checked.toString());
    }

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void batchSizeZeroNeitherHangsNorFailsInside(@TempDir Path tmp) throws Exception {
        Path model = Tiny.classifier(tmp.resolve("clf"), 1, "neg", "pos");
        Path in = tmp.resolve("in.csv");
        Files.write(in, List.of("text", "good", "bad"));
        oneLine(CliTest.run("classify", in.toString(), "--model", model.toString(), "--batch-size", "0"),
                "--batch-size 0: must be at least 1");
        oneLine(CliTest.run("classify", in.toString(), "--model", model.toString(), "--batch-size", "-5"),
                "--batch-size -5: must be at least 1");
        oneLine(CliTest.run("bench", "--model", model.toString(), "--data", in.toString(), "--batch-size", "0"),
                "--batch-size 0: must be at least 1");
    }

    @Test
    void benchShapesAndRepeatsAreCheckedBeforeTheModelLoads(@TempDir Path tmp) {
        String model = tmp.resolve("absent").toString();
        oneLine(CliTest.run("bench", "--model", model, "--shapes", "0x0"), "--shapes 0x0: batch: must be at least 1");
        oneLine(CliTest.run("bench", "--model", model, "--shapes", "8x1"), "--shapes 8x1: length: must be at least 2");
        oneLine(CliTest.run("bench", "--model", model, "--shapes", "32x64,-1x8"), "--shapes -1x8: batch:");
        oneLine(CliTest.run("bench", "--model", model, "--shapes", "banana"), "--shapes banana: expected BATCHxLENGTH");
        oneLine(CliTest.run("bench", "--model", model, "--repeats", "0"), "--repeats 0: must be at least 1");
    }

    @Test
    void lengthsBeyondTheModelsPositionsAreRejectedWithTheRange(@TempDir Path tmp) {
        Path model = Tiny.checkpoint(tmp.resolve("tiny"), 1); // 64 positions
        oneLine(CliTest.run("bench", "--model", model.toString(), "--shapes", "2x65", "--repeats", "1"),
                "--shapes 2x65: " + model + " has 64 positions (max_position_embeddings); use 2 to 64 tokens");
        oneLine(CliTest.run("embed", "--model", model.toString(), "--max-length", "100000", "--text", "a"),
                "--max-length 100000: " + model + " has 64 positions");
    }

    @Test
    void unknownOptionsAndMissingOnesAreOneLine() {
        Run typo = CliTest.run("classify", "--text", "a", "--model", "m", "--batch-sise", "3");
        oneLine(typo, "Unknown options: '--batch-sise'");
        assertTrue(typo.err().contains("did you mean --batch-size?"), typo.err());
        oneLine(CliTest.run("classify", "--text", "a"), "Missing required option: '--model=DIR'");
    }

    @Test
    void aTaskNameIsANameNotAPath(@TempDir Path tmp) throws Exception {
        Path task = tmp.resolve("t.yaml");
        Files.writeString(task, "task: classification\nname: ../escaped\ntrain: train.csv\n");
        oneLine(CliTest.run("train", task.toString()), task + ":2: name: '../escaped' is not a name");
        for (String bad : List.of("a/b", "..", "a\\b", "x\ty")) {
            oneLine(CliTest.run("train", task.toString(), "--name", bad), "--name: '");
        }
        oneLine(CliTest.run("compare", task.toString(), "--name", "/tmp/x"), "--name: '/tmp/x' is not a name");
        assertFalse(Files.exists(tmp.resolve("escaped")) || Files.exists(Path.of("escaped")));
    }
}
