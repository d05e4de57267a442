package bertft.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code scripts/bert-ft} picks the JVM's flags by command: run against a stand-in {@code java} that prints what it
 * was given, in a copy of the project layout whose jar is newer than its sources (so the launcher builds nothing).
 */
class LauncherTest {
    static List<String> javaArgs(Path tmp, String... args) throws Exception {
        Path root = tmp.resolve("project");
        Files.createDirectories(root.resolve("scripts"));
        Files.createDirectories(root.resolve("src/main"));
        Files.writeString(root.resolve("pom.xml"), "");
        Files.copy(Path.of("scripts/bert-ft"), root.resolve("scripts/bert-ft"));
        Path jar = Files.createDirectories(root.resolve("target")).resolve("bert-ft.jar");
        Files.writeString(jar, "");
        FileTime old = FileTime.fromMillis(System.currentTimeMillis() - 60_000);
        Files.setLastModifiedTime(root.resolve("pom.xml"), old);
        Files.setLastModifiedTime(root.resolve("src/main"), old);
        Path bin = Files.createDirectories(tmp.resolve("bin"));
        Path fakeJava = bin.resolve("java");
        Files.writeString(fakeJava, "#!/bin/sh\nfor a in \"$@\"; do echo \"$a\"; done\n");
        assertTrue(fakeJava.toFile().setExecutable(true));
        List<String> cmd = new java.util.ArrayList<String>(List.of("bash", root.resolve("scripts/bert-ft").toString()));
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
        pb.environment().put("PATH", bin + ":" + System.getenv("PATH"));
        pb.environment().remove("BERT_FT_JAVA_OPTS");
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        assertTrue(p.waitFor(1, TimeUnit.MINUTES));
        assertEquals(0, p.exitValue(), out);
        return out.lines().toList();
    }

    @Test
    void serveRunsOnTheQuickJitAndTheSerialCollectorAsClassifyDoes(@TempDir Path tmp) throws Exception {
        // measured on 2 cores (docs/serve.md): C2 still compiled after 10,000 requests (0.4 ms CPU a sentence) and
        // the server spent 7.1 ms CPU a sentence against 6.1 with C1 and the serial collector
        List<String> serve = javaArgs(tmp.resolve("a"), "serve", "--model", "m");
        assertTrue(serve.contains("-XX:TieredStopAtLevel=1") && serve.contains("-XX:+UseSerialGC"), serve.toString());
        assertEquals(List.of("serve", "--model", "m"), serve.subList(serve.size() - 3, serve.size()));
        // training keeps C2 (its optimizer's update loop needs it)
        List<String> train = javaArgs(tmp.resolve("b"), "train", "t.yaml");
        assertTrue(!train.contains("-XX:TieredStopAtLevel=1") && train.contains("-XX:+UseSerialGC"), train.toString());
    }
}
