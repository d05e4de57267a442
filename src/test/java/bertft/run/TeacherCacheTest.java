package bertft.run;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The distill cache's size limit: the teachers' logits used longest ago go first, as the ONNX export cache's do. */
class TeacherCacheTest {
    private static final Instant NOW = Instant.parse("2026-12-07T12:00:00Z");

    /** One cache file of {@code mb} MiB of logits, last used {@code hours} before {@link #NOW}. */
    private static Path entry(Path root, String name, int mb, int hours) throws IOException {
        Path file = root.resolve(name + ".logits");
        float[][] rows = new float[mb][(1 << 20) / Float.BYTES];
        TeacherCache.write(file, rows, 1.0, Long.MAX_VALUE, new PrintWriter(new StringWriter()));
        Files.setLastModifiedTime(file, FileTime.from(NOW.minus(Duration.ofHours(hours))));
        return file;
    }

    private static List<String> left(Path root) throws IOException {
        try (Stream<Path> all = Files.list(root)) {
            return all.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    @Test
    void theFilesUsedLongestAgoGoWhenTheCacheIsOverItsLimit(@TempDir Path tmp) throws IOException {
        Path root = tmp.resolve("distill-cache");
        Map<String, Integer> ages = new LinkedHashMap<>(); // name -> hours since last use
        ages.put("old", 48);
        ages.put("older", 72);
        ages.put("recent", 2);
        ages.put("in-use", 0);
        ages.put("new", 96); // the file just written: kept whatever its time says
        for (var e : ages.entrySet()) {
            entry(root, e.getKey(), 1, e.getValue());
        }
        Files.writeString(root.resolve("notes.txt"), "not a cache file: never removed nor counted");
        StringWriter log = new StringWriter();
        TeacherCache.evict(root, root.resolve("new.logits"), (7L << 20) / 2, NOW, new PrintWriter(log, true));
        assertEquals(List.of("in-use.logits", "new.logits", "notes.txt", "recent.logits"), left(root), log.toString());
        assertTrue(log.toString().contains("removed older.logits from the distill cache (1.0 MB, unused since")
                && log.toString().contains("removed old.logits from") && log.toString()
                .contains("under 3 MB (BERT_FT_DISTILL_CACHE_MB)"), log.toString());

        // under the limit: nothing goes
        TeacherCache.evict(root, root.resolve("new.logits"), 100L << 20, NOW, new PrintWriter(new StringWriter()));
        assertEquals(4, left(root).size());
    }

    /** A read marks its file used, so a file a second student keeps reading is not the first to go. */
    @Test
    void aReadMarksItsFileUsedAndWritingKeepsTheLimit(@TempDir Path tmp) throws Exception {
        Path root = tmp.resolve("distill-cache");
        Path read = entry(root, "read", 1, 72);
        Path unread = entry(root, "unread", 1, 48);
        TeacherCache.Entry e = TeacherCache.read(read, 1);
        assertArrayEquals(new float[(1 << 20) / Float.BYTES], e.rows()[0]);
        assertTrue(Files.getLastModifiedTime(read).toInstant().isAfter(Instant.now().minusSeconds(60)));

        // a new file over a 2 MB limit: the one not read goes, the one just read and the new one stay
        StringWriter log = new StringWriter();
        TeacherCache.write(root.resolve("next.logits"), new float[1][(1 << 20) / Float.BYTES], 1.0, 2L << 20,
                new PrintWriter(log, true));
        assertEquals(List.of("next.logits", "read.logits"), left(root), log.toString());
        assertTrue(log.toString().contains("removed " + unread.getFileName()), log.toString());
    }

    @Test
    void theLimitSettingIsReadWholeAndBadOnesAreRefused() {
        assertEquals(TeacherCache.DEFAULT_LIMIT_MB << 20, TeacherCache.LIMIT.bytes(null));
        assertEquals(64L << 20, TeacherCache.LIMIT.bytes("64"));
        bertft.UserError e = assertThrows(bertft.UserError.class, () -> TeacherCache.LIMIT.bytes("2GB"));
        assertEquals("BERT_FT_DISTILL_CACHE_MB is '2GB': give the distill cache's size limit in MB, a whole number"
                + " >= 0", e.getMessage());
    }
}
