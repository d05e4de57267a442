package bertft.run;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import bertft.cli.CliTest;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.attribute.FileTime;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Commands without {@code --model} use the newest finished run in ./runs whose head fits, or say what to do. */
class ModelChoiceTest {
    static final Path GOLDEN = Paths.get("..", "shared", "golden", "families", "roberta");

    @AfterEach
    void clear() {
        System.clearProperty("bertft.runs");
    }

    /** A finished run: a checkpoint with a report.json written at {@code minute}. */
    static Path run(Path runs, String name, String kind, int minute, boolean finished) throws IOException {
        Path dir = Files.createDirectories(runs.resolve(name));
        try (Stream<Path> files = Files.list(GOLDEN.resolve(kind))) {
            for (Path f : files.toList()) {
                Files.copy(f, dir.resolve(f.getFileName()));
            }
        }
        Path report = Files.writeString(dir.resolve("report.json"), "{}");
        Files.setLastModifiedTime(report, FileTime.fromMillis(1_700_000_000_000L + minute * 60_000L));
        if (!finished) {
            Files.createDirectories(dir.resolve("last"));
        }
        return dir;
    }

    @Test
    void theNewestFinishedRunWithAFittingHeadIsUsedAndNamed(@TempDir Path tmp) throws IOException {
        Path runs = tmp.resolve("runs");
        run(runs, "old", "seqcls", 1, true);
        Path newest = run(runs, "new", "seqcls", 2, true);
        run(runs, "training", "seqcls", 3, false);
        Path qa = run(runs, "squad", "qa", 0, true);
        System.setProperty("bertft.runs", runs.toString());

        CliTest.Run c = CliTest.run("classify", "--text", "w5 w17");
        assertEquals(0, c.code(), c.err());
        assertTrue(c.err().contains("using " + newest + " (the newest finished run"), c.err());
        CliTest.Run q = CliTest.run("qa", "--context", "w5 w17 w42 w8", "--question", "w5");
        assertEquals(0, q.code(), q.err());
        assertTrue(q.err().contains("using " + qa + " "), q.err());
    }

    @Test
    void withoutARunTheErrorSaysHowToGetAModel(@TempDir Path tmp) throws IOException {
        Path runs = tmp.resolve("runs");
        run(runs, "squad", "qa", 0, true);
        System.setProperty("bertft.runs", runs.toString());
        CliTest.Run c = CliTest.run("classify", "--text", "w5 w17");
        assertEquals(2, c.code());
        assertEquals(1, c.err().strip().lines().count(), c.err());
        assertTrue(c.err().contains("no --model, and no finished run with a classifier in"), c.err());
        assertTrue(c.err().contains("bert-ft train") && c.err().contains("--model with a Hub id"), c.err());
        System.setProperty("bertft.runs", tmp.resolve("nothing").toString());
        CliTest.Run q = CliTest.run("qa", "--context", "w5", "--question", "w5");
        assertEquals(2, q.code());
        assertTrue(q.err().contains("no finished run with a question-answering head"), q.err());
    }
}
