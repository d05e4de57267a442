package bertft.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import bertft.Tiny;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 32: {@code evaluate} and {@code adapt} never write over a run they were not asked to replace: evaluate's
 * reports do not go into a run or model directory (a run's report.json is its training report) nor into an empty
 * --out, and a second adapt of another model into one --out is refused as train refuses a run of another task.
 */
class OutTargetTest {
    @Test
    void evaluateKeepsARunsTrainingReport(@TempDir Path tmp) throws IOException {
        Path run = Tiny.classifier(tmp.resolve("run"), 3, "negative", "positive");
        Files.writeString(run.resolve("task.yaml"), "name: run\ntask: classification\n");
        Files.writeString(run.resolve("report.json"), "{\"training\": {\"epochs\": 3}}\n");
        Path other = Tiny.classifier(tmp.resolve("other"), 4, "negative", "positive");
        Files.writeString(other.resolve("task.yaml"), "name: other\ntask: classification\n");
        Path data = Files.write(tmp.resolve("dev.csv"), List.of("text,label", "good,positive", "bad,negative"));
        java.util.Map<String, String> before = OnnxCliTest.tree(tmp);

        OnnxCliTest.assertUserError(CliTest.run("evaluate", "--model", run.toString(), "--data", data.toString(),
                "--out", run.toString()), "--out " + run + ": is the model's own directory, whose report evaluate would"
                        + " replace; leave --out out (a run's reports go to " + run.resolve("eval-dev") + ")");
        OnnxCliTest.assertUserError(CliTest.run("evaluate", "--model", run.toString(), "--data", data.toString(),
                "--out", other.toString()), "--out " + other + ": is a run directory (it has a task.yaml)");
        OnnxCliTest.assertUserError(CliTest.run("evaluate", "--model", run.toString(), "--data", data.toString(),
                "--out", ""), "--out: empty value");
        assertEquals(before, OnnxCliTest.tree(tmp), "nothing written");

        CliTest.Run ok = CliTest.run("evaluate", "--model", run.toString(), "--data", data.toString());
        assertEquals(0, ok.code(), ok.err());
        assertTrue(Files.exists(run.resolve("eval-dev/report.json")));
        assertEquals("{\"training\": {\"epochs\": 3}}\n", Files.readString(run.resolve("report.json")));
    }

    @Test
    void adaptRefusesToReplaceAnAdaptOfAnotherModel(@TempDir Path tmp) throws IOException {
        Path a = Tiny.checkpoint(tmp.resolve("a"), 3);
        Path b = Tiny.checkpoint(tmp.resolve("b"), 4);
        Random r = new Random(1);
        List<String> lines = new ArrayList<>();
        for (int i = 0; i < 60; i++) {
            lines.add("the " + List.of("phone", "movie", "book").get(r.nextInt(3)) + " was very "
                    + List.of("good", "bad").get(r.nextInt(2)) + " and i would recommend it .");
        }
        Path text = Files.write(tmp.resolve("corpus.txt"), lines);
        Path out = tmp.resolve("adapted");
        CliTest.Run first = CliTest.run(adapt(a, text, out));
        assertEquals(0, first.code(), first.err());
        String report = Files.readString(out.resolve("adapt.json"));
        java.util.Map<String, String> before = OnnxCliTest.tree(out);

        CliTest.Run other = CliTest.run(adapt(b, text, out));
        assertEquals(2, other.code(), other.err());
        assertTrue(other.err().contains(out + ": holds an adapt of another model or task ('adapt' of " + a
                .toAbsolutePath().normalize() + "); give another --out, or add --overwrite to replace it"), other.err());
        assertFalse(other.err().contains("Exception"), other.err());
        assertEquals(before, OnnxCliTest.tree(out), "the first adapt is untouched");

        CliTest.Run same = CliTest.run(adapt(a, text, out));
        assertEquals(0, same.code(), "the same adapt again replaces its own run\n" + same.err());
        List<String> forced = new ArrayList<>(List.of(adapt(b, text, out)));
        forced.add("--overwrite");
        CliTest.Run overwrite = CliTest.run(forced.toArray(String[]::new));
        assertEquals(0, overwrite.code(), overwrite.err());
        assertTrue(Files.readString(out.resolve("adapt.json")).contains(b.toAbsolutePath().toString()));
        assertFalse(Files.readString(out.resolve("adapt.json")).equals(report));
    }

    private static String[] adapt(Path model, Path text, Path out) {
        return new String[] {"adapt", "--model", model.toString(), "--text", text.toString(), "--out", out.toString(),
            "--max-length", "32", "--batch-size", "16", "--epochs", "1", "--seed", "5", "--validation-split", "0.2"};
    }
}
