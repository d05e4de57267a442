package bertft;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Every file and directory bert-ft writes goes through here, so a reader never sees one half-written and nothing
 * is left behind: the content goes to a temporary sibling {@code .NAME.tmp-<pid>-<n>}, is fsynced, and is renamed
 * over {@code NAME}; the temporary is removed on every error path. A process killed mid-write (kill -9, power
 * loss) leaves its temporary; the next write to the same target removes those whose process is gone.
 *
 * <p>Failures are {@link UserError}s that name the path and say what to do (missing directory, permission,
 * read-only file system, disk full), not {@code java.nio} exception names.
 */
public final class AtomicFiles {
    /** Writes a file's content. */
    public interface Content {
        void write(OutputStream out) throws IOException;
    }

    /** Fills a directory. */
    public interface Filler {
        void fill(Path dir) throws IOException;
    }

    /** {@code .NAME.tmp-<pid>-<n>} (being written) or {@code .NAME.old-<pid>-<n>} (the previous directory). */
    private static final Pattern TEMP = Pattern.compile("\\.(.+)\\.(tmp|old)-(\\d+)-\\d+");
    private static final long PID = ProcessHandle.current().pid();
    private static final AtomicLong COUNTER = new AtomicLong();

    private AtomicFiles() {}

    public static void writeString(Path file, String text) {
        write(file, out -> out.write(text.getBytes(StandardCharsets.UTF_8)));
    }

    /** Writes {@code file} through a temporary sibling; {@code content} may stream any amount. */
    public static void write(Path file, Content content) {
        Path target = file.toAbsolutePath();
        if (Files.isDirectory(target)) {
            throw new UserError(file + ": is a directory; give a file name");
        }
        cleanStale(target);
        Path tmp = temp(target, "tmp");
        try {
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
                // the content's writers may close what they are given; the channel stays open for the fsync
                BufferedOutputStream out = new BufferedOutputStream(Channels.newOutputStream(ch), 1 << 16) {
                    @Override
                    public void close() throws IOException {
                        flush();
                    }
                };
                content.write(out);
                out.flush();
                ch.force(true); // else a crash right after the rename can leave an empty file under the final name
            }
            Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            syncDirectory(target.getParent());
        } catch (IOException e) {
            throw cannotWrite(file, e);
        } finally {
            deleteQuietly(tmp);
        }
    }

    /**
     * Writes directory {@code dir} whole: {@code filler} fills a temporary sibling, which then replaces
     * {@code dir}. Between the two renames the old directory is {@code .NAME.old-<pid>-<n>}; should the process
     * die right there, the next write (or {@link #cleanStale}) puts it back.
     */
    public static void writeDirectory(Path dir, Filler filler) {
        Path target = dir.toAbsolutePath();
        if (Files.exists(target) && !Files.isDirectory(target)) {
            throw new UserError(dir + ": is a file, not a directory");
        }
        createDirectories(target.getParent());
        cleanStale(target);
        Path tmp = temp(target, "tmp");
        Path old = null;
        try {
            Files.createDirectory(tmp);
            filler.fill(tmp);
            syncTree(tmp);
            if (Files.exists(target)) {
                old = temp(target, "old");
                Files.move(target, old, StandardCopyOption.ATOMIC_MOVE);
            }
            Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE);
            syncDirectory(target.getParent());
        } catch (IOException e) {
            throw cannotWrite(dir, e);
        } finally {
            deleteQuietly(tmp);
            if (old != null) {
                if (Files.exists(target)) {
                    deleteQuietly(old);
                } else {
                    moveBack(old, target);
                }
            }
        }
    }

    /**
     * Writes several files into the existing directory {@code dir} (which holds other files too): {@code filler}
     * fills a temporary {@code .NAME.tmp-<pid>-<n>} inside it, then each file is renamed into {@code dir}, the one
     * called {@code last} last (config.json, so a reader never sees a new config beside old weights).
     */
    public static void writeInto(Path dir, String name, String last, Filler filler) {
        Path target = dir.toAbsolutePath().resolve(name);
        createDirectories(target.getParent());
        cleanStale(target);
        Path tmp = temp(target, "tmp");
        try {
            Files.createDirectory(tmp);
            filler.fill(tmp);
            syncTree(tmp);
            List<Path> files;
            try (Stream<Path> s = Files.list(tmp)) {
                files = new ArrayList<>(s.toList());
            }
            files.sort(Comparator.comparing(p -> p.getFileName().toString().equals(last)));
            for (Path f : files) {
                Files.move(f, target.resolveSibling(f.getFileName().toString()), StandardCopyOption.ATOMIC_MOVE,
                        StandardCopyOption.REPLACE_EXISTING);
            }
            syncDirectory(target.getParent());
        } catch (IOException e) {
            throw cannotWrite(dir, e);
        } finally {
            deleteQuietly(tmp);
        }
    }

    /** Creates {@code dir} and its parents, or says in one line why it cannot be. */
    public static void createDirectories(Path dir) {
        if (Files.isDirectory(dir)) {
            return;
        }
        for (Path p = dir.toAbsolutePath(); p != null; p = p.getParent()) {
            if (Files.exists(p) && !Files.isDirectory(p)) {
                throw new UserError(p + ": is a file, not a directory" + (p.equals(dir.toAbsolutePath()) ? ""
                        : " (needed for " + dir + ")"));
            }
        }
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw cannotWrite(dir, e);
        }
    }

    /**
     * Removes the temporaries of {@code target} left by processes that are gone, and puts back a directory that
     * such a process had moved aside ({@code .NAME.old-*}) but not yet replaced. Best effort: what cannot be
     * removed stays.
     */
    public static void cleanStale(Path target) {
        Path t = target.toAbsolutePath();
        for (Path p : stale(t.getParent(), t.getFileName().toString())) {
            Matcher m = TEMP.matcher(p.getFileName().toString());
            if (m.matches() && m.group(2).equals("old") && !Files.exists(t)) {
                moveBack(p, t);
            } else {
                deleteQuietly(p);
            }
        }
    }

    /** {@link #cleanStale} for every target in {@code dir} (a run directory, which bert-ft owns). */
    public static void cleanStaleIn(Path dir) {
        for (Path p : stale(dir, null)) {
            Matcher m = TEMP.matcher(p.getFileName().toString());
            if (m.matches()) {
                cleanStale(dir.resolve(m.group(1)));
            }
        }
    }

    /** Temporaries in {@code dir} (of {@code name}, or of any name when null) whose process is not alive. */
    private static List<Path> stale(Path dir, String name) {
        List<Path> out = new ArrayList<>();
        if (dir == null || !Files.isDirectory(dir)) {
            return out;
        }
        try (Stream<Path> s = Files.list(dir)) {
            for (Path p : s.toList()) {
                Matcher m = TEMP.matcher(p.getFileName().toString());
                if (m.matches() && (name == null || m.group(1).equals(name)) && !alive(Long.parseLong(m.group(3)))) {
                    out.add(p);
                }
            }
        } catch (IOException | NumberFormatException e) {
            // unreadable directory: the write itself will say so
        }
        return out;
    }

    private static boolean alive(long pid) {
        return pid == PID || ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false);
    }

    private static Path temp(Path target, String kind) {
        return target.resolveSibling("." + target.getFileName() + "." + kind + "-" + PID + "-"
                + COUNTER.incrementAndGet());
    }

    /**
     * One line for a failed write: the path, what went wrong in words, what to do. The path is the one the user
     * asked for, never the temporary.
     */
    public static UserError cannotWrite(Path path, IOException e) {
        String reason = e instanceof FileSystemException f && f.getReason() != null ? f.getReason()
                : String.valueOf(e.getMessage());
        Path parent = path.toAbsolutePath().getParent();
        String why;
        if (reason.contains("No space left on device") || reason.contains("Disk quota exceeded")) {
            why = "the disk is full (" + reason + "); free some space or write elsewhere";
        } else if (reason.contains("Read-only file system")) {
            why = "the file system is read-only; write elsewhere";
        } else if (e instanceof AccessDeniedException || reason.contains("Permission denied")) {
            why = "permission denied; make " + (parent != null ? parent : path) + " writable or write elsewhere";
        } else if (e instanceof NoSuchFileException && parent != null && !Files.isDirectory(parent)) {
            why = "directory " + parent + " does not exist; create it or write elsewhere";
        } else if (reason.contains("Not a directory")) {
            why = "a part of the path is a file, not a directory";
        } else if (reason.contains("Is a directory")) {
            why = "is a directory; give a file name";
        } else if (e instanceof NoSuchFileException) {
            why = "a file or directory on the way vanished while writing; try again";
        } else {
            why = reason.replace(path.toAbsolutePath().toString(), "").replaceFirst("^[: ]+", "");
        }
        return new UserError(path + ": cannot write: " + why, e);
    }

    /** Deletes a file or directory tree, ignoring what is already gone. */
    public static void deleteTree(Path p) {
        try {
            deleteRecursively(p);
        } catch (IOException e) {
            UserError u = cannotWrite(p, e);
            throw new UserError(u.getMessage().replaceFirst(": cannot write: ", ": cannot remove: "), e);
        }
    }

    private static void deleteRecursively(Path p) throws IOException {
        if (!Files.exists(p, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        try (Stream<Path> s = Files.walk(p)) {
            for (Path x : s.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(x);
            }
        }
    }

    private static void deleteQuietly(Path p) {
        try {
            deleteRecursively(p);
        } catch (IOException e) {
            // a leftover temporary is removed by the next write; the error that matters is already on its way
        }
    }

    private static void moveBack(Path old, Path target) {
        try {
            Files.move(old, target, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            // left as it is: the next write tries again
        }
    }

    /** fsync of every file in a freshly filled directory, then of the directory itself. */
    private static void syncTree(Path dir) throws IOException {
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : s.filter(Files::isRegularFile).toList()) {
                try (FileChannel ch = FileChannel.open(p, StandardOpenOption.READ)) {
                    ch.force(true);
                }
            }
        }
        syncDirectory(dir);
    }

    /** Makes a rename durable; not every file system lets a directory be opened, which is then skipped. */
    private static void syncDirectory(Path dir) {
        try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
            ch.force(true);
        } catch (IOException e) {
            // the rename has happened; only its durability across a power loss is not forced
        }
    }
}
