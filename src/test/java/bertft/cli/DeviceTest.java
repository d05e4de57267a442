package bertft.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import bertft.Tiny;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code --device}: a value that is no device is refused when parsed; a GPU the engine does not see (this machine has
 * none) is one line saying so, exit 2, nothing written; {@code cpu} runs. Child JVMs: the device is JVM-wide.
 */
class DeviceTest {
    @Test
    void aDeviceTheEngineLacksIsOneLineAndExitTwo(@TempDir Path tmp) throws Exception {
        Path model = Tiny.classifier(tmp.resolve("clf"), 3, "neg", "pos");
        Path out = tmp.resolve("p.csv");
        ThreadsEnvTest.Child bad = ThreadsEnvTest.child("1", "bertft.cli.BertFt", "--device", "tpu", "classify",
                "--model", model.toString(), "--text", "good phone");
        assertEquals(2, bad.code(), bad.err());
        assertTrue(bad.err().contains("--device") && bad.err().contains("not a device; use cpu, gpu or gpu:N"),
                bad.err());
        ThreadsEnvTest.Child gpu = ThreadsEnvTest.child("1", "bertft.cli.BertFt", "--device", "gpu:0", "classify",
                "--model", model.toString(), "--text", "good phone", "--out", out.toString());
        assertEquals(2, gpu.code(), gpu.err());
        assertEquals("bert-ft: --device gpu:0: DJL's PyTorch engine sees no GPU (a CUDA libtorch and driver are needed:"
                + " docs/speed.md, \"Training on a GPU\"); use --device cpu", lastLine(gpu.err()), gpu.err());
        assertFalse(Files.exists(out));
        ThreadsEnvTest.Child cpu = ThreadsEnvTest.child("1", "bertft.cli.BertFt", "--device", "cpu", "classify",
                "--model", model.toString(), "--text", "good phone");
        assertEquals(0, cpu.code(), cpu.err());
    }

    /** The error line (the test class path's SLF4J notes come first; the CLI's own has no second SLF4J provider). */
    private static String lastLine(String err) {
        String[] lines = err.strip().split("\n");
        return lines[lines.length - 1];
    }
}
