package bertft.onnx;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import bertft.run.ModelExport;
import bertft.run.TrainedModel;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.lang.reflect.Method;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.Arrays;
import java.util.List;
import javax.tools.JavaCompiler;
import javax.tools.ToolProvider;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The "Export and deploy" snippet ({@code examples/OnnxClassify.java}, quoted in docs/deployment.md) compiles against
 * ONNX Runtime and the tokenizer library alone and prints the logits bert-ft computes for the same text.
 */
class DeploySnippetTest {
    static final Path SNIPPET = Paths.get("examples", "OnnxClassify.java");

    @Test
    void readmeQuotesTheSnippet() throws Exception {
        String snippet = Files.readString(SNIPPET);
        String body = snippet.substring(snippet.indexOf("public class OnnxClassify"));
        assertTrue(Files.readString(Paths.get("docs", "deployment.md")).contains(body), "docs/deployment.md quotes " + SNIPPET + " from"
                + " 'public class' on, unchanged");
    }

    @Test
    void snippetRunsAnExportWithOnnxRuntimeAlone(@TempDir Path tmp) throws Exception {
        Path export = tmp.resolve("export");
        ModelExport.export(Paths.get("..", "shared", "golden", "families", "bert", "seqcls"), export,
                new OnnxExport.Options(OnnxExport.DEFAULT_OPSET, false));
        Path classes = Files.createDirectories(tmp.resolve("classes"));
        JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
        String cp = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
        ByteArrayOutputStream diagnostics = new ByteArrayOutputStream();
        int rc = javac.run(null, null, diagnostics, "-d", classes.toString(), "-cp", cp, SNIPPET.toString());
        assertEquals(0, rc, diagnostics.toString(StandardCharsets.UTF_8));

        String text = "w5 w17 w42 w8";
        ByteArrayOutputStream printed = new ByteArrayOutputStream();
        PrintStream stdout = System.out;
        try (URLClassLoader loader = new URLClassLoader(new URL[] {classes.toUri().toURL()},
                getClass().getClassLoader())) {
            Method main = loader.loadClass("OnnxClassify").getMethod("main", String[].class);
            System.setOut(new PrintStream(printed, true, StandardCharsets.UTF_8));
            main.invoke(null, (Object) new String[] {export.toString(), text});
        } finally {
            System.setOut(stdout);
        }
        String line = printed.toString(StandardCharsets.UTF_8).strip();
        float[] theirs = parse(line);
        try (TrainedModel m = TrainedModel.load(export)) {
            float[] ours = m.forward().logits(List.of(m.tokenizer().encode(text)));
            assertEquals(ours.length, theirs.length, line);
            for (int i = 0; i < ours.length; i++) {
                assertEquals(ours[i], theirs[i], 1e-5, line + " vs " + Arrays.toString(ours));
            }
        }
    }

    private static float[] parse(String line) {
        String[] parts = line.replace("[", "").replace("]", "").split(",\\s*");
        float[] out = new float[parts.length];
        for (int i = 0; i < parts.length; i++) {
            out[i] = Float.parseFloat(parts[i]);
        }
        return out;
    }
}
