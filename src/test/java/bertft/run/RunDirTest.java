package bertft.run;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import bertft.Tiny;
import bertft.cli.CliTest;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code train --out}: what it may write into, and what it refuses without {@code --overwrite}. */
class RunDirTest {
    static String oneLine(CliTest.Run r) {
        assertEquals(2, r.code(), r.err());
        String last = r.err().strip();
        assertEquals(1, last.lines().count(), r.err());
        assertFalse(last.contains("Exception"), last);
        return last;
    }

    @Test
    void trainRefusesAFileADirectoryOfOtherThingsAndARunOfAnotherTask(@TempDir Path tmp) throws IOException {
        Path model = Tiny.checkpoint(tmp.resolve("tiny"), 3);
        TrainJobTest.data(tmp, "train.csv", 32, 1);
        TrainJobTest.data(tmp, "dev.csv", 16, 2);
        String task = TrainJobTest.task(tmp, model, "").toString();

        Path file = Files.writeString(tmp.resolve("notes.txt"), "mine");
        assertEquals("bert-ft: " + file + ": is a file, not a directory; give --out a new directory",
                oneLine(CliTest.run("train", task, "--epochs", "1", "--out", file.toString())));

        Path mine = Files.createDirectory(tmp.resolve("mine"));
        Files.writeString(mine.resolve("config.json"), "{\"my\": \"settings\"}");
        Files.writeString(mine.resolve("report.html"), "<p>my report</p>");
        Files.createDirectory(mine.resolve("data"));
        String err = oneLine(CliTest.run("train", task, "--epochs", "1", "--out", mine.toString()));
        assertEquals("bert-ft: " + mine + ": is not empty (holds config.json, data/, report.html) and is not a bert-ft"
                + " run; give --out a new or empty directory, or add --overwrite to write into it anyway", err);
        assertEquals("{\"my\": \"settings\"}", Files.readString(mine.resolve("config.json")), "untouched");

        Path other = Files.createDirectory(tmp.resolve("other"));
        Files.writeString(other.resolve("task.yaml"), "name: sst2  # file\ntask: classification  # file\n");
        assertTrue(oneLine(CliTest.run("train", task, "--epochs", "1", "--out", other.toString()))
                .endsWith(": holds a run of another task ('sst2', classification); give another --out, or add"
                        + " --overwrite to replace it"));

        var over = CliTest.run("train", task, "--epochs", "1", "--out", mine.toString(), "--overwrite");
        assertEquals(0, over.code(), over.err());
        assertTrue(Files.exists(mine.resolve("data")), "what train does not write stays");
        assertTrue(Files.readString(mine.resolve("config.json")).contains("id2label"));

        // a finished run of the same task is trained again without asking, and an empty directory is fine
        var again = CliTest.run("train", task, "--epochs", "1", "--out", mine.toString());
        assertEquals(0, again.code(), again.err());
        Path empty = Files.createDirectory(tmp.resolve("empty"));
        assertEquals(0, CliTest.run("train", task, "--epochs", "1", "--out", empty.toString()).code());
    }
}
