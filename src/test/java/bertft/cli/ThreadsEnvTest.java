package bertft.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import bertft.Tiny;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code $BERT_FT_THREADS} is checked as {@code --threads} is: a bad value is one line naming it, its value and the
 * range, exit 2 (it was an ExceptionInInitializerError trace, exit 1). Each case runs in a child JVM with the
 * variable set, since the engine starts once per JVM.
 */
class ThreadsEnvTest {
    record Child(int code, String err) {}

    static Child child(String threads, String main, String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx512m", "-XX:TieredStopAtLevel=1", "-Dai.djl.offline=true", "-cp",
                System.getProperty("surefire.test.class.path", System.getProperty("java.class.path")), main));
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectOutput(ProcessBuilder.Redirect.DISCARD);
        pb.environment().put("BERT_FT_THREADS", threads);
        Process p = pb.start();
        String err = new String(p.getErrorStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        assertTrue(p.waitFor(2, TimeUnit.MINUTES), err);
        return new Child(p.exitValue(), err);
    }

    @Test
    void aBadValueIsOneLineNamingTheVariableTheValueAndTheRange(@TempDir Path tmp) throws Exception {
        Path model = Tiny.classifier(tmp.resolve("clf"), 3, "neg", "pos");
        List<String[]> commands = new ArrayList<>();
        for (String v : List.of("abc", "0", "-1", "257")) {
            commands.add(new String[] {v, "classify", "--model", model.toString(), "--text", "good phone"});
        }
        commands.add(new String[] {"abc", "export", model.toString(), "--out", tmp.resolve("m.onnx").toString()});
        commands.add(new String[] {"257", "serve", "--model", model.toString(), "--port", "0"});
        for (String[] c : commands) {
            String[] args = java.util.Arrays.copyOfRange(c, 1, c.length);
            Child r = child(c[0], "bertft.cli.BertFt", args);
            assertEquals(2, r.code(), c[0] + " " + c[1] + "\n" + r.err());
            assertEquals("bert-ft: BERT_FT_THREADS=" + c[0] + ": not a thread count; use a whole number from 1 to 256"
                    + " (or --threads N)", r.err().strip(), c[1]);
        }
        assertFalse(Files.exists(tmp.resolve("m.onnx")));
        // --threads wins over the variable, as documented
        Child ok = child("abc", "bertft.cli.BertFt", "--threads", "1", "classify", "--model", model.toString(),
                "--text", "good phone");
        assertEquals(0, ok.code(), ok.err());
    }

    /** The library: a UserError on every load while the value is bad, never an Error that breaks the class. */
    @Test
    void theLibraryThrowsAUserErrorOnEachLoad(@TempDir Path tmp) throws Exception {
        Path model = Tiny.classifier(tmp.resolve("clf"), 3, "neg", "pos");
        Child r = child("abc", LoadTwice.class.getName(), model.toString());
        assertEquals(0, r.code(), r.err());
        String want = "bertft.UserError: BERT_FT_THREADS=abc: not a thread count; use a whole number from 1 to 256"
                + " (or --threads N)";
        assertEquals(want + "\n" + want, r.err().strip(), r.err());
    }

    /** Loads a classifier twice and prints what each load threw. */
    public static final class LoadTwice {
        public static void main(String[] args) {
            for (int i = 0; i < 2; i++) {
                try (bertft.api.Classifier c = bertft.api.Classifier.load(args[0])) {
                    System.err.println("loaded");
                } catch (Throwable t) {
                    System.err.println(t.getClass().getName() + ": " + t.getMessage());
                }
            }
        }
    }
}
