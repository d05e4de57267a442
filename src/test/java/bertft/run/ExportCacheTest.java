package bertft.run;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import bertft.onnx.OnnxExport;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The export cache's writing rules, with stand-in exports (a config.json naming a .onnx file). */
class ExportCacheTest {
    private static void fakeExport(Path dir, String marker) {
        try {
            Files.createDirectories(dir);
            Files.writeString(dir.resolve("config.json"), "{\"" + OnnxExport.CONFIG_KEY + "\": {\"file\": \"model.onnx\"}}");
            Files.writeString(dir.resolve("model.onnx"), marker);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Two processes exporting at once: the one whose rename comes second finds the other's entry in place, uses it,
     * and leaves no temporary behind.
     */
    @Test
    void theSecondOfTwoConcurrentExportsUsesTheFirstOnesEntry(@TempDir Path tmp) throws IOException {
        Path location = tmp.resolve("onnx").resolve("0123abcd");
        StringWriter log = new StringWriter();
        Path got = ExportCache.getOrExport(location, "m to ONNX for the onnx runtime", new PrintWriter(log, true),
                into -> {
                    fakeExport(location, "theirs"); // the other process renames its export first
                    fakeExport(into, "ours");
                });
        assertEquals(location, got);
        assertEquals("theirs", Files.readString(location.resolve("model.onnx")));
        try (Stream<Path> entries = Files.list(location.getParent())) {
            assertEquals(List.of("0123abcd"), entries.map(p -> p.getFileName().toString()).toList());
        }
        assertTrue(log.toString().startsWith("bert-ft: exported m to ONNX for the onnx runtime in "), log.toString());
        // and a later use reads the entry without exporting
        Path again = ExportCache.getOrExport(location, "m", new PrintWriter(new StringWriter()), into -> {
            throw new AssertionError("exported again");
        });
        assertEquals(location, again);
    }

    /** An entry without its files (removed by hand, or a disk that filled) is exported again, not used. */
    @Test
    void anIncompleteEntryIsWrittenAgain(@TempDir Path tmp) throws IOException {
        Path location = tmp.resolve("onnx").resolve("0123abcd");
        Files.createDirectories(location);
        Files.writeString(location.resolve("config.json"), "{}");
        ExportCache.getOrExport(location, "m", new PrintWriter(new StringWriter()), into -> fakeExport(into, "new"));
        assertEquals("new", Files.readString(location.resolve("model.onnx")));
    }

    /** A PEFT adapter's weights and config are part of the fingerprint: a retrained adapter is exported again. */
    @Test
    void anAdaptersFilesAreInTheFingerprint(@TempDir Path tmp) throws IOException {
        Path dir = Files.createDirectories(tmp.resolve("adapter"));
        Files.writeString(dir.resolve("adapter_config.json"), "{}");
        Files.writeString(dir.resolve("adapter_model.safetensors"), "weights");
        String before = OnnxExport.fingerprint(dir);
        Files.setLastModifiedTime(dir.resolve("adapter_model.safetensors"), FileTime.fromMillis(0));
        assertNotEquals(before, OnnxExport.fingerprint(dir));
        String sp = OnnxExport.fingerprint(dir);
        Files.writeString(dir.resolve("sentencepiece.bpe.model"), "pieces"); // XLM-R's and CamemBERT's tokenizer
        assertNotEquals(sp, OnnxExport.fingerprint(dir));
    }
}
