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

    /**
     * Over its size limit, the cache drops the entries used longest ago, but never the one just written nor one used
     * within the last hour; each removal is said.
     */
    @Test
    void theEntriesUsedLongestAgoGoWhenTheCacheIsOverItsLimit(@TempDir Path tmp) throws IOException {
        Path root = tmp.resolve("onnx");
        java.time.Instant now = java.time.Instant.parse("2026-12-07T12:00:00Z");
        String mb = "x".repeat(1 << 20);
        // name -> hours since last use
        java.util.Map<String, Integer> ages = new java.util.LinkedHashMap<>();
        ages.put("old", 48);
        ages.put("older", 72);
        ages.put("recent", 2);
        ages.put("in-use", 0);
        ages.put("new", 96); // the entry just written: kept whatever its time says
        for (var e : ages.entrySet()) {
            Path dir = root.resolve(e.getKey());
            fakeExport(dir, mb);
            Path used = Files.writeString(dir.resolve(ExportCache.USED), "");
            Files.setLastModifiedTime(used, FileTime.from(now.minus(java.time.Duration.ofHours(e.getValue()))));
        }
        StringWriter log = new StringWriter();
        ExportCache.evict(root, root.resolve("new"), (7L << 20) / 2, now, new PrintWriter(log, true));
        try (Stream<Path> left = Files.list(root)) {
            assertEquals(List.of("in-use", "new", "recent"), left.map(p -> p.getFileName().toString()).sorted()
                    .toList(), log.toString());
        }
        assertTrue(log.toString().contains("removed older from the ONNX export cache") && log.toString()
                .contains("removed old from") && log.toString().contains("under 3 MB"), log.toString());

        // under the limit: nothing goes
        ExportCache.evict(root, root.resolve("new"), 100L << 20, now, new PrintWriter(new StringWriter(), true));
        try (Stream<Path> left = Files.list(root)) {
            assertEquals(3, left.count());
        }
        // a later use stamps the entry it reads
        Path recent = root.resolve("recent");
        java.time.Instant before = Files.getLastModifiedTime(recent.resolve(ExportCache.USED)).toInstant();
        ExportCache.getOrExport(recent, "m", new PrintWriter(new StringWriter()), into -> {
            throw new AssertionError("exported again");
        });
        assertTrue(Files.getLastModifiedTime(recent.resolve(ExportCache.USED)).toInstant().isAfter(before));
    }

    /** The limit setting: unset is the default, a huge one no limit (not an overflow), a bad one a line. */
    @Test
    void theLimitSettingIsReadWholeAndBadOnesAreRefused() {
        assertEquals(ExportCache.DEFAULT_LIMIT_MB << 20, ExportCache.limitBytes(null));
        assertEquals(0, ExportCache.limitBytes("0"));
        assertEquals(512L << 20, ExportCache.limitBytes(" 512 "));
        assertEquals(Long.MAX_VALUE, ExportCache.limitBytes(Long.toString(Long.MAX_VALUE)));
        for (String bad : List.of("-1", "4GB", "1e3", "99999999999999999999")) {
            bertft.UserError e = org.junit.jupiter.api.Assertions.assertThrows(bertft.UserError.class,
                    () -> ExportCache.limitBytes(bad));
            assertTrue(e.getMessage().startsWith("BERT_FT_ONNX_CACHE_MB is '" + bad + "'"), e.getMessage());
        }
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
