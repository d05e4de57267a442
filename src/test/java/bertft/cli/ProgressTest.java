package bertft.cli;

import static bertft.cli.BadInputTest.oneLine;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import bertft.Tiny;
import bertft.run.TrainJobTest;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The training commands print their progress through picocli's error writer (a caller's {@code setErr} sees it),
 * and only once their input has been checked: a refused run is its one error line, not the data summary (or a
 * compare's or tune's first run header, or adapt's head note) before it.
 */
class ProgressTest {

    /** A small keyword task on a tiny model; {@code foreign} a directory that holds someone else's file. */
    private static Path task(Path tmp) throws IOException {
        Path model = Tiny.checkpoint(tmp.resolve("tiny"), 3);
        TrainJobTest.data(tmp, "train.csv", 48, 1);
        TrainJobTest.data(tmp, "dev.csv", 16, 2);
        return TrainJobTest.task(tmp, model, "");
    }

    private static Path foreign(Path tmp) throws IOException {
        Path dir = Files.createDirectories(tmp.resolve("foreign"));
        Files.writeString(dir.resolve("notes.txt"), "mine");
        return dir;
    }

    /** train.csv with one label that is not the task's, on its last line. */
    private static String badLabel(Path tmp) throws IOException {
        Path train = tmp.resolve("train.csv");
        List<String> lines = new ArrayList<>(Files.readAllLines(train));
        lines.add("\"the phone was fine\",meh");
        Files.write(train, lines);
        return "label 'meh' is not one of [negative, positive]";
    }

    @Test
    void trainPrintsThroughTheWriterOnlyAfterItsChecks(@TempDir Path tmp) throws IOException {
        Path task = task(tmp);
        Path foreign = foreign(tmp);
        oneLine(CliTest.run("train", task.toString(), "--out", foreign.toString()), foreign + ": is not empty");

        var r = CliTest.run("train", task.toString(), "--out", tmp.resolve("run").toString(), "--epochs", "1");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.err().contains("48 examples") && r.err().contains("report: "), r.err());
    }

    @Test
    void distillPrintsThroughTheWriterOnlyAfterItsChecks(@TempDir Path tmp) throws IOException {
        Path task = task(tmp);
        Path teacher = tmp.resolve("teacher");
        assertEquals(0, CliTest.run("train", task.toString(), "--out", teacher.toString(), "--epochs", "1").code());
        Path foreign = foreign(tmp);
        oneLine(CliTest.run("distill", task.toString(), "--teacher", teacher.toString(), "--student-layers", "1",
                "--out", foreign.toString()), foreign + ": is not empty");

        var r = CliTest.run("distill", task.toString(), "--teacher", teacher.toString(), "--student-layers", "1",
                "--epochs", "1", "--out", tmp.resolve("student").toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(r.err().contains("distilling ") && r.err().contains("report: "), r.err());
    }

    @Test
    void adaptPrintsThroughTheWriterOnlyAfterItsChecks(@TempDir Path tmp) throws IOException {
        Path model = Tiny.checkpoint(tmp.resolve("tiny"), 3); // no masked-LM head: adapt says it initialised one
        List<String> docs = new ArrayList<>();
        for (int i = 0; i < 40; i++) {
            docs.add("the phone number " + i + " was very good and i would buy it again .");
        }
        Path text = Files.write(tmp.resolve("corpus.txt"), docs);
        Path foreign = foreign(tmp);
        List<String> args = List.of("adapt", "--model", model.toString(), "--text", text.toString(), "--max-length",
                "32", "--batch-size", "16", "--epochs", "1", "--validation-split", "0.1");
        List<String> bad = new ArrayList<>(args);
        bad.addAll(List.of("--out", foreign.toString()));
        oneLine(CliTest.run(bad.toArray(String[]::new)), foreign + ": is not empty and is not an adapt run");

        List<String> good = new ArrayList<>(args);
        good.addAll(List.of("--out", tmp.resolve("adapted").toString()));
        var r = CliTest.run(good.toArray(String[]::new));
        assertEquals(0, r.code(), r.err());
        assertTrue(r.err().contains("has no masked-LM head") && r.err().contains("adapting "), r.err());
    }

    @Test
    void compareAndTuneCheckTheirFirstRunBeforeTheyPrint(@TempDir Path tmp) throws IOException {
        Path task = task(tmp);
        String why = badLabel(tmp);
        var compare = CliTest.run("compare", task.toString(), "--strategies", "frozen,full", "--epochs", "1",
                "--out", tmp.resolve("cmp").toString());
        oneLine(compare, "");
        assertTrue(compare.err().contains(why), compare.err());
        var tune = CliTest.run("tune", task.toString(), "--space", "learning-rate=1e-3,2e-3", "--trials", "2",
                "--epochs", "1", "--seeds", "1", "--out", tmp.resolve("tune").toString());
        oneLine(tune, "");
        assertTrue(tune.err().contains(why), tune.err());
    }
}
