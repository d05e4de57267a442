package bertft.hub;

import bertft.Sha256;
import bertft.UserError;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantLock;
import java.util.regex.Pattern;

/**
 * Puts one file's blob into the cache: under a lock (so two processes, or two threads, never write one file),
 * into {@code blobs/<etag>.incomplete}, resumed from its length after a cut connection or an earlier run, checked
 * against the size and, for LFS files whose ETag is a sha256, the content hash, then renamed into place.
 */
final class BlobDownload {
    private static final Pattern SHA256 = Pattern.compile("[0-9a-f]{64}");
    /** File locks belong to the whole JVM, so threads of one process queue here first. */
    private static final ConcurrentHashMap<Path, ReentrantLock> THREADS = new ConcurrentHashMap<>();

    private final HubClient client;
    private final HubCache cache;

    BlobDownload(HubClient client, HubCache cache) {
        this.client = client;
        this.cache = cache;
    }

    /** The blob of {@code meta}, downloaded unless the cache has it. */
    Path fetch(HubId id, HubClient.FileMeta meta) {
        Path blob = cache.blob(id, meta.etag());
        if (Files.exists(blob)) {
            return blob;
        }
        String label = id.repo() + "/" + meta.file();
        Path lockFile = cache.lock(id, meta.etag());
        ReentrantLock threadLock = THREADS.computeIfAbsent(lockFile.toAbsolutePath().normalize(),
                k -> new ReentrantLock());
        threadLock.lock();
        try {
            Files.createDirectories(lockFile.getParent());
            Files.createDirectories(blob.getParent());
            try (FileChannel channel = FileChannel.open(lockFile, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
                    FileLock lock = lock(channel, label)) {
                if (Files.exists(blob)) {
                    return blob; // another process finished it while we waited
                }
                Path part = cache.incomplete(id, meta.etag());
                checkSpace(part, meta.size());
                transfer(meta, part, label);
                verify(meta, part, label);
                HubCache.move(part, blob);
                return blob;
            }
        } catch (IOException e) {
            throw Failures.io(e, blob, "cannot download " + label);
        } finally {
            threadLock.unlock();
        }
    }

    private static FileLock lock(FileChannel channel, String label) throws IOException {
        FileLock lock = channel.tryLock();
        if (lock == null) {
            System.err.println("bert-ft: waiting for another process downloading " + label);
            lock = channel.lock();
        }
        return lock;
    }

    private static void checkSpace(Path part, long size) throws IOException {
        long have = Files.exists(part) ? Files.size(part) : 0;
        long free = Files.getFileStore(part.getParent()).getUsableSpace();
        // some file systems report 0; only a known shortfall stops the download
        if (size > 0 && free > 0 && size - have > free) {
            throw Failures.diskFull(part.getParent(), size - have, free);
        }
    }

    /** GETs into {@code part}, resuming after each cut; a try that brought bytes resets the retry count. */
    private void transfer(HubClient.FileMeta meta, Path part, String label) throws IOException {
        int failures = 0;
        while (true) {
            long have = Files.exists(part) ? Files.size(part) : 0;
            if (meta.size() >= 0 && have > meta.size()) {
                Files.delete(part);
                have = 0;
            }
            if (meta.size() > 0 && have == meta.size()) {
                return; // complete from an earlier run that stopped before the rename
            }
            long before = have;
            try (HubClient.Body body = client.get(meta.location(), have)) {
                long end = body.length() >= 0 ? body.start() + body.length() : meta.size();
                long got = copy(body, part, label, end);
                if (end >= 0 && got < end) {
                    throw new IOException("connection closed after " + got + " of " + end + " bytes");
                }
                return;
            } catch (IOException e) {
                long now = Files.exists(part) ? Files.size(part) : 0;
                failures = now > before ? 1 : failures + 1;
                if (failures >= client.settings().attempts()) {
                    throw client.giveUp("GET " + label, e);
                }
                client.pause(failures);
            }
        }
    }

    /** Appends (or, for a body from 0, writes) the body to {@code part}; returns the file's length after. */
    private static long copy(HubClient.Body body, Path part, String label, long total) throws IOException {
        StandardOpenOption mode = body.start() == 0 ? StandardOpenOption.TRUNCATE_EXISTING : StandardOpenOption.APPEND;
        Progress progress = Progress.start(label, total, body.start());
        long length = body.start();
        try (OutputStream out = Files.newOutputStream(part, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                mode)) {
            InputStream in = body.in();
            byte[] buf = new byte[1 << 16];
            int n;
            while ((n = in.read(buf)) > 0) {
                write(out, buf, n, part);
                length += n;
                progress.advance(n);
            }
        } finally {
            progress.finish();
        }
        return length;
    }

    /** A failed write is the disk's fault, not the network's: it is reported, not retried. */
    private static void write(OutputStream out, byte[] buf, int n, Path part) {
        try {
            out.write(buf, 0, n);
        } catch (IOException e) {
            throw Failures.io(e, part, "cannot write the download");
        }
    }

    private static void verify(HubClient.FileMeta meta, Path part, String label) throws IOException {
        long size = Files.size(part);
        if (meta.size() >= 0 && size != meta.size()) {
            Files.delete(part);
            throw new UserError(label + ": downloaded " + size + " bytes but the Hub announced " + meta.size()
                    + "; the partial file was removed, run again");
        }
        if (SHA256.matcher(meta.etag()).matches()) {
            String actual = Sha256.of(part);
            if (!actual.equals(meta.etag())) {
                Files.delete(part);
                throw new UserError(label + ": sha256 mismatch (expected " + meta.etag() + ", got " + actual
                        + "): the download was corrupted and has been removed; run again");
            }
        }
    }
}
