package bertft.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import bertft.Tiny;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code classify --out}: where it may write, what it says when it cannot, what it leaves behind. */
class ClassifyOutTest {
    @TempDir
    static Path shared;
    static Path model;

    @BeforeAll
    static void model() {
        model = Tiny.classifier(shared.resolve("model"), 3);
    }

    static Path input(Path dir) throws IOException {
        return Files.writeString(dir.resolve("in.csv"), "id,text\n1,good phone\n2,bad battery\n");
    }

    static CliTest.Run classify(Path in, String out) {
        return CliTest.run("classify", in.toString(), "--model", model.toString(), "--out", out);
    }

    /** Exit 2, one line that starts with bert-ft and carries no Java exception name. */
    static String oneLine(CliTest.Run r) {
        assertEquals(2, r.code(), r.err());
        String err = r.err().strip();
        assertEquals(1, err.lines().count(), err);
        assertTrue(err.startsWith("bert-ft: "), err);
        assertFalse(err.contains("Exception") || err.contains("java."), err);
        return err;
    }

    static List<String> names(Path dir) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    @Test
    void aMissingDirectoryOrADirectoryAsOutSaysWhatToDo(@TempDir Path tmp) throws IOException {
        Path in = input(tmp);
        Path missing = tmp.resolve("no-such-dir/preds.csv");
        assertEquals("bert-ft: " + missing + ": cannot write: directory " + missing.getParent()
                + " does not exist; create it or write elsewhere", oneLine(classify(in, missing.toString())));
        assertEquals("bert-ft: --out " + tmp + ": is a directory; give a file name such as " + tmp.resolve(
                "predictions.csv"), oneLine(classify(in, tmp.toString())));
        assertEquals(List.of("in.csv"), names(tmp));
    }

    @Test
    void theInputIsNeverTheOutputWhateverItsSpelling(@TempDir Path tmp) throws IOException {
        Path in = input(tmp);
        String before = Files.readString(in);
        Path link = Files.createSymbolicLink(tmp.resolve("link.csv"), in);
        Path hard = Files.createLink(tmp.resolve("hard.csv"), in);
        Path dotted = tmp.resolve(".").resolve("sub").resolve("..").resolve("in.csv");
        Files.createDirectory(tmp.resolve("sub"));
        for (Path out : List.of(in, dotted, link, hard)) {
            String err = oneLine(classify(in, out.toString()));
            assertTrue(err.contains("is the input file " + in), err);
        }
        String rel = Path.of("").toAbsolutePath().relativize(in).toString();
        assertTrue(oneLine(classify(in, rel)).contains("is the input file"), "relative spelling");
        assertEquals(before, Files.readString(in));
        assertEquals(List.of("hard.csv", "in.csv", "link.csv", "sub"), names(tmp));
    }

    @Test
    void nothingIsLeftBehindAfterAnErrorAndAKilledRunsTemporaryGoesAtTheNextRun(@TempDir Path tmp) throws Exception {
        Path in = input(tmp);
        Path out = tmp.resolve("preds.csv");
        var bad = CliTest.run("classify", in.toString(), "--model", model.toString(), "--out", out.toString(),
                "--text-column", "nope");
        oneLine(bad);
        assertEquals(List.of("in.csv"), names(tmp), "an error leaves neither the output nor its temporary");

        // what a classify killed with kill -9 leaves: its temporary, half a row at the end
        Process p = new ProcessBuilder("true").start();
        p.waitFor();
        Path stale = tmp.resolve(".preds.csv.tmp-" + p.pid() + "-1");
        Files.writeString(stale, "id,text,predicted\n1,good phone,posi");
        var ok = classify(in, out.toString());
        assertEquals(0, ok.code(), ok.err());
        assertEquals(List.of("in.csv", "preds.csv"), names(tmp));
        assertEquals(3, Files.readAllLines(out).size());
    }
}
