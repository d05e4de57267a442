package bertft;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AtomicFilesTest {
    static List<String> names(Path dir) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    /** The pid of a process that has ended. */
    static long deadPid() throws Exception {
        Process p = new ProcessBuilder("true").start();
        p.waitFor();
        return p.pid();
    }

    @Test
    void aWriteReplacesTheFileAndLeavesNoTemporary(@TempDir Path tmp) throws IOException {
        Path f = tmp.resolve("out.csv");
        AtomicFiles.writeString(f, "one");
        AtomicFiles.writeString(f, "two");
        assertEquals("two", Files.readString(f));
        assertEquals(List.of("out.csv"), names(tmp));
    }

    @Test
    void aFullDiskNamesTheFileKeepsTheOldContentAndRemovesTheTemporary(@TempDir Path tmp) throws IOException {
        Path f = tmp.resolve("out.csv");
        Files.writeString(f, "what the user had");
        // what the kernel says when the disk fills up in the middle of a write
        UserError e = assertThrows(UserError.class, () -> AtomicFiles.write(f, out -> {
            out.write("half a row".getBytes(StandardCharsets.UTF_8));
            out.flush();
            throw new IOException("No space left on device");
        }));
        assertEquals(f + ": cannot write: the disk is full (No space left on device); free some space or write"
                + " elsewhere", e.getMessage());
        assertEquals("what the user had", Files.readString(f));
        assertEquals(List.of("out.csv"), names(tmp));
        // an error of the content's own (a bad row) removes the temporary too
        assertThrows(UserError.class, () -> AtomicFiles.write(f, out -> {
            out.write('x');
            throw new UserError("in.csv:3: bad row");
        }));
        assertEquals(List.of("out.csv"), names(tmp));
    }

    @Test
    void temporariesOfEndedProcessesGoAtTheNextWriteToTheSameTarget(@TempDir Path tmp) throws Exception {
        long dead = deadPid();
        long alive = ProcessHandle.current().parent().orElseThrow().pid();
        Path f = tmp.resolve("out.csv");
        Files.writeString(tmp.resolve(".out.csv.tmp-" + dead + "-1"), "half-written by a killed classify");
        Files.writeString(tmp.resolve(".out.csv.tmp-" + alive + "-1"), "another process is still writing");
        Files.writeString(tmp.resolve(".other.csv.tmp-" + dead + "-1"), "another target");
        AtomicFiles.writeString(f, "new");
        assertEquals(List.of(".other.csv.tmp-" + dead + "-1", ".out.csv.tmp-" + alive + "-1", "out.csv"), names(tmp));
        AtomicFiles.cleanStaleIn(tmp);
        assertEquals(List.of(".out.csv.tmp-" + alive + "-1", "out.csv"), names(tmp));
    }

    @Test
    void aDirectoryMovedAsideByAKilledProcessIsPutBack(@TempDir Path tmp) throws Exception {
        long dead = deadPid();
        Path last = tmp.resolve("last");
        // killed between "last -> .last.old-*" and ".last.tmp-* -> last": the old state is complete, the new unknown
        Path old = Files.createDirectory(tmp.resolve(".last.old-" + dead + "-3"));
        Files.writeString(old.resolve("trainer_state.json"), "{\"step\": 8}");
        Path half = Files.createDirectory(tmp.resolve(".last.tmp-" + dead + "-4"));
        Files.writeString(half.resolve("model.safetensors"), "half");
        AtomicFiles.cleanStaleIn(tmp);
        assertEquals(List.of("last"), names(tmp));
        assertEquals("{\"step\": 8}", Files.readString(last.resolve("trainer_state.json")));
        AtomicFiles.writeDirectory(last, d -> Files.writeString(d.resolve("trainer_state.json"), "{\"step\": 12}"));
        assertEquals("{\"step\": 12}", Files.readString(last.resolve("trainer_state.json")));
        assertEquals(List.of("last"), names(tmp));
    }

    @Test
    void writeIntoMovesEachFileInAndLeavesTheRestOfTheDirectory(@TempDir Path tmp) throws IOException {
        Files.writeString(tmp.resolve("metrics.jsonl"), "{}\n");
        Files.writeString(tmp.resolve("config.json"), "old");
        AtomicFiles.writeInto(tmp, "model", "config.json", d -> {
            Files.writeString(d.resolve("config.json"), "new");
            Files.writeString(d.resolve("model.safetensors"), "weights");
        });
        assertEquals(List.of("config.json", "metrics.jsonl", "model.safetensors"), names(tmp));
        assertEquals("new", Files.readString(tmp.resolve("config.json")));
        assertThrows(UserError.class, () -> AtomicFiles.writeInto(tmp, "model", "config.json", d -> {
            Files.writeString(d.resolve("config.json"), "newer");
            throw new IOException("No space left on device");
        }));
        assertEquals("new", Files.readString(tmp.resolve("config.json")), "nothing moves in when the fill fails");
        assertEquals(List.of("config.json", "metrics.jsonl", "model.safetensors"), names(tmp));
    }

    @Test
    void pathProblemsAreOneLineNamingThePath(@TempDir Path tmp) throws IOException {
        Path missing = tmp.resolve("no/such/dir/out.csv");
        UserError e = assertThrows(UserError.class, () -> AtomicFiles.writeString(missing, "x"));
        assertEquals(missing + ": cannot write: directory " + missing.getParent() + " does not exist; create it or"
                + " write elsewhere", e.getMessage());
        Path dir = Files.createDirectory(tmp.resolve("a-dir"));
        assertEquals(dir + ": is a directory; give a file name",
                assertThrows(UserError.class, () -> AtomicFiles.writeString(dir, "x")).getMessage());
        Path file = Files.writeString(tmp.resolve("a-file"), "x");
        assertEquals(file + ": is a file, not a directory",
                assertThrows(UserError.class, () -> AtomicFiles.writeDirectory(file, d -> {})).getMessage());
        assertEquals(file + ": is a file, not a directory (needed for " + file.resolve("sub") + ")",
                assertThrows(UserError.class, () -> AtomicFiles.createDirectories(file.resolve("sub"))).getMessage());
        // what Linux reports for a read-only mount (not reproducible without mounting one)
        Path ro = tmp.resolve("ro/out.csv");
        assertEquals(ro + ": cannot write: the file system is read-only; write elsewhere", AtomicFiles.cannotWrite(ro,
                new FileSystemException(tmp.resolve("ro/.out.csv.tmp-1-1").toString(), null, "Read-only file system"))
                .getMessage());
    }

    @Test
    void aDirectoryThatForbidsWritingSaysSo(@TempDir Path tmp) throws IOException {
        Path locked = Files.createDirectory(tmp.resolve("locked"));
        Files.setPosixFilePermissions(locked, PosixFilePermissions.fromString("r-xr-xr-x"));
        try {
            assumeFalse(Files.isWritable(locked), "root writes into a mode-555 directory anyway");
            Path f = locked.resolve("out.csv");
            UserError e = assertThrows(UserError.class, () -> AtomicFiles.writeString(f, "x"));
            assertEquals(f + ": cannot write: permission denied; make " + locked + " writable or write elsewhere",
                    e.getMessage());
            assertTrue(names(locked).isEmpty());
        } finally {
            Files.setPosixFilePermissions(locked, PosixFilePermissions.fromString("rwxr-xr-x"));
        }
    }
}
