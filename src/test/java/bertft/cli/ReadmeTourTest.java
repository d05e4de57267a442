package bertft.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The README's quick start and five-minute tour run as written, on the bundled model and the project's own
 * {@code datasets/}, in a fresh directory (with {@code tasks/} and {@code datasets/} linked in), as a newcomer types
 * them. Left out: {@code compare} (six training runs, minutes) and the {@code qa} line (it fetches a Hub model); the
 * {@link DocsTest} checks their commands and options.
 */
@Tag("slow")
class ReadmeTourTest {

    @Test
    void theQuickStartAndTheTourRunAsWritten(@TempDir Path dir) throws Exception {
        Files.createSymbolicLink(dir.resolve("tasks"), Path.of("tasks").toAbsolutePath());
        Files.createSymbolicLink(dir.resolve("datasets"), Path.of("datasets").toAbsolutePath());
        List<String> lines = new ArrayList<>(block("## Quick start", 0));
        lines.addAll(block("## A five-minute tour", 0));
        List<List<String>> commands = new ArrayList<>();
        for (String line : lines) {
            for (String part : line.replaceFirst("\\s+#.*$", "").split("&&")) {
                List<String> words = DocsTest.words(part.strip());
                if (words.isEmpty() || !words.get(0).equals("bert-ft")) {
                    continue;
                }
                String command = words.get(1);
                if (command.equals("compare") || command.equals("qa")) {
                    continue;
                }
                commands.add(words.subList(1, words.size()));
            }
        }
        assertTrue(commands.size() >= 6, "README commands found: " + commands);
        List<String> out = new ArrayList<>();
        for (List<String> args : commands) {
            if (args.get(0).equals("train") && Files.exists(dir.resolve("runs/reviews-sentiment"))) {
                continue; // the quick start trained it; the tour's line would be refused without --overwrite
            }
            out.add(run(dir, args));
        }
        JsonObject report = JsonParser.parseString(Files.readString(dir.resolve("runs/reviews-sentiment/report.json")))
                .getAsJsonObject();
        double accuracy = report.getAsJsonObject("validation").getAsJsonObject("metrics").get("accuracy").getAsDouble();
        assertTrue(accuracy >= 0.9, "validation accuracy " + accuracy + " (README: 0.969)");
        String classified = out.stream().filter(o -> o.contains("battery died")).findFirst().orElse(String.join("\n", out));
        assertTrue(classified.contains("negative"), classified);
        List<String> predictions = Files.readAllLines(dir.resolve("predictions.csv"));
        assertEquals(Files.readAllLines(Path.of("datasets/reviews-sample.csv")).size(), predictions.size());
        assertTrue(predictions.get(0).contains("predicted"), predictions.get(0));
        assertTrue(Files.isRegularFile(dir.resolve("eval-dev/report.html")));
        assertTrue(Files.isRegularFile(dir.resolve("runs/reviews-sentiment/report.html")));
        try (var onnx = Files.walk(dir.resolve("runs/reviews-sentiment"))) {
            assertTrue(onnx.anyMatch(p -> p.toString().endsWith(".onnx")), "export wrote no .onnx");
        }
    }

    /** The shell lines of the first code block after {@code heading}. */
    private static List<String> block(String heading, int skip) throws IOException {
        List<String> all = Files.readAllLines(Path.of("README.md"));
        int at = 0;
        while (at < all.size() && !all.get(at).startsWith(heading)) {
            at++;
        }
        assertTrue(at < all.size(), "README has no " + heading);
        List<String> lines = new ArrayList<>();
        boolean code = false;
        for (String l : all.subList(at + 1, all.size())) {
            if (l.startsWith("```")) {
                if (code) {
                    if (skip-- == 0) {
                        return lines;
                    }
                    lines.clear();
                }
                code = !code;
            } else if (code) {
                lines.add(l);
            }
        }
        return lines;
    }

    /** Runs {@code bert-ft args} in a child JVM in {@code dir}; its stdout, after asserting exit code 0. */
    private static String run(Path dir, List<String> args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx2g", "-Dai.djl.offline=true", "-cp",
                System.getProperty("surefire.test.class.path", System.getProperty("java.class.path")),
                "bertft.cli.BertFt", "--threads", "2"));
        cmd.addAll(args);
        Path err = Files.createTempFile(dir, "stderr", ".txt");
        Process p = new ProcessBuilder(cmd).directory(dir.toFile()).redirectError(err.toFile()).start();
        String stdout = new String(p.getInputStream().readAllBytes());
        assertTrue(p.waitFor(10, TimeUnit.MINUTES), "bert-ft " + args + " did not finish");
        assertEquals(0, p.exitValue(), "bert-ft " + String.join(" ", args) + ":\n" + Files.readString(err) + stdout);
        Files.delete(err);
        return stdout;
    }
}
