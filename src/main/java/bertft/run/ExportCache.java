package bertft.run;

import bertft.Sha256;
import bertft.UserError;
import bertft.Version;
import bertft.model.AdapterDir;
import bertft.model.ModelStore;
import bertft.onnx.OnnxExport;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import java.util.Locale;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;
import java.util.stream.Stream;

/**
 * The ONNX exports the {@code auto}, {@code onnx} and {@code onnx-int8} runtimes run, cached under
 * {@code $BERT_FT_HOME/onnx/<key>[-int8]/}: never in the user's model directory. The key hashes bert-ft's version, the
 * model's absolute path and fingerprint ({@link OnnxExport#fingerprint}: its files' names, sizes and times) and, for
 * a PEFT adapter, its base's: a changed model gets a new entry, an unchanged one is exported once.
 *
 * <p>An entry is written whole into a temporary sibling ({@code .tmp-<key>-<pid>-<nanos>}) and renamed into place,
 * so a reader sees a complete export or none. Threads of one JVM wait for the first one's export; of two processes
 * exporting at once, the second rename fails and that process uses the first's entry. A temporary left by a killed
 * process (its pid gone, or a day old) is never read and is removed by the next export.
 *
 * <p>The first use says how long the export took (for auto, when it took a second or more).
 *
 * <p>The cache is kept under a size ({@code BERT_FT_ONNX_CACHE_MB}, default {@value #DEFAULT_LIMIT_MB} MB): each use
 * of an entry stamps its {@value #USED} file; after an export, the entries used longest ago are removed until the rest
 * fit, apart from the new one and any used in the last hour (a process may be about to open it). Each removal is
 * said on the log.
 */
public final class ExportCache {
    /** Temporaries of processes that are still running but older than this are taken as abandoned. */
    private static final Duration STALE = Duration.ofDays(1);
    private static final ConcurrentHashMap<Path, Object> LOCKS = new ConcurrentHashMap<>();
    /** The cache's size limit when {@code BERT_FT_ONNX_CACHE_MB} does not say. */
    static final long DEFAULT_LIMIT_MB = 4096;
    private static final CacheLimit LIMIT = new CacheLimit("BERT_FT_ONNX_CACHE_MB", DEFAULT_LIMIT_MB,
            "the ONNX export cache");
    /** An entry's file whose time is its last use. */
    static final String USED = CacheLimit.USED;

    private ExportCache() {}

    /** {@code $BERT_FT_HOME/onnx}. */
    public static Path root() {
        return ModelStore.home().resolve("onnx");
    }

    /**
     * Where the export of {@code modelDir} (a PEFT adapter on {@code base}, null for the one its config names) is
     * cached, whether or not it exists yet.
     */
    public static Path location(Path modelDir, Path base, boolean int8) {
        Path abs = modelDir.toAbsolutePath().normalize();
        StringBuilder key = new StringBuilder("bert-ft ").append(Version.get()).append('\n')
                .append("opset ").append(OnnxExport.DEFAULT_OPSET).append('\n')
                .append(abs).append('\n').append(OnnxExport.fingerprint(abs));
        if (AdapterDir.is(abs)) {
            Path b = AdapterDir.baseDir(abs, base).toAbsolutePath().normalize();
            key.append("\nbase ").append(b).append('\n').append(OnnxExport.fingerprint(b));
        }
        String sha = Sha256.of(key.toString().getBytes(StandardCharsets.UTF_8));
        return root().resolve(sha.substring(0, 32) + (int8 ? "-int8" : ""));
    }

    /** The cached entry at {@code location}, or null when there is none (or only an unreadable one). */
    public static Path existing(Path location) {
        return complete(location) ? location : null;
    }

    /**
     * The cached export at {@code location}, made now by {@code export} (which writes an export into the directory it
     * is given) when there is none; the time it took is said once on {@code log}.
     *
     * @param what how the log names the model and runtime: {@code runs/x to ONNX for the onnx runtime}
     */
    public static Path getOrExport(Path location, String what, PrintWriter log, Consumer<Path> export) {
        return getOrExport(location, what, log, 0, export);
    }

    /**
     * As {@link #getOrExport(Path, String, PrintWriter, Consumer)}, the time said only when it took at least
     * {@code quietSeconds}: auto's exports of small models take a fraction of a second, and a line for each would
     * come before the one line of a user mistake that follows (a bad input file on a model's first use).
     */
    public static Path getOrExport(Path location, String what, PrintWriter log, double quietSeconds,
            Consumer<Path> export) {
        long limit = limitBytes(); // a bad setting is said before anything is exported
        Object lock = LOCKS.computeIfAbsent(location, k -> new Object());
        synchronized (lock) { // threads of this JVM (Spark tasks, a server's loads) wait for one export
            if (complete(location)) {
                CacheLimit.stamp(location);
                return location;
            }
            Path parent = location.getParent();
            bertft.AtomicFiles.createDirectories(parent);
            removeAbandoned(parent);
            if (Files.isDirectory(location)) {
                delete(location); // an entry without its files (removed by hand): written again below
            }
            Path tmp = parent.resolve(".tmp-" + location.getFileName() + "-" + ProcessHandle.current().pid() + "-"
                    + System.nanoTime());
            long t0 = System.nanoTime();
            try {
                export.accept(tmp);
                try {
                    Files.move(tmp, location, StandardCopyOption.ATOMIC_MOVE);
                } catch (DirectoryNotEmptyException | FileAlreadyExistsException e) {
                    // another process renamed its export first: use that one
                } catch (FileSystemException e) {
                    if (!complete(location)) {
                        throw e;
                    }
                }
            } catch (IOException e) {
                throw new UserError(location + ": cannot write the ONNX export there: " + e.getMessage()
                        + " (set BERT_FT_HOME to a writable directory, or pass --runtime torch)");
            } finally {
                delete(tmp); // gone after a rename; the loser's or a failed export's otherwise
            }
            if (!complete(location)) {
                throw new UserError(location + ": the ONNX export is incomplete after writing it; remove the"
                        + " directory and try again");
            }
            double seconds = (System.nanoTime() - t0) / 1e9;
            if (seconds >= quietSeconds) {
                log.println(String.format(Locale.ROOT, "bert-ft: exported %s in %.1f s (cached in %s; --runtime"
                        + " torch skips it)", what, seconds, location));
            }
            CacheLimit.stamp(location);
            evict(parent, location, limit, Instant.now(), log);
            log.flush();
            return location;
        }
    }

    /** Whether {@code dir} holds an export whose config names a .onnx file that is there. */
    private static boolean complete(Path dir) {
        Path config = dir.resolve("config.json");
        if (!Files.isRegularFile(config)) {
            return false;
        }
        try {
            JsonObject onnx = JsonParser.parseString(Files.readString(config)).getAsJsonObject()
                    .getAsJsonObject(OnnxExport.CONFIG_KEY);
            return Files.isRegularFile(dir.resolve(onnx.get("file").getAsString()));
        } catch (IOException | RuntimeException e) {
            return false;
        }
    }

    /** {@code BERT_FT_ONNX_CACHE_MB} in bytes, else the default; a value that is not a number is refused. */
    static long limitBytes() {
        return LIMIT.bytes();
    }

    /** The limit {@code v} (MB) sets, in bytes; so large a limit that bytes overflow is no limit. */
    static long limitBytes(String v) {
        return LIMIT.bytes(v);
    }

    /**
     * Removes the entries of {@code root} used longest ago until the cache is at most {@code limit} bytes, never
     * {@code keep} nor one used since {@code now} minus {@link CacheLimit#IN_USE}; each removal said on {@code log}.
     */
    static void evict(Path root, Path keep, long limit, Instant now, PrintWriter log) {
        LIMIT.evict(root, p -> Files.isDirectory(p) && !p.getFileName().toString().startsWith(".tmp-"), keep, limit,
                now, log);
    }

    /** Removes temporaries whose process is gone (or that are a day old): a kill mid-export leaves one. */
    private static void removeAbandoned(Path parent) {
        try (Stream<Path> entries = Files.list(parent)) {
            for (Path p : entries.filter(p -> p.getFileName().toString().startsWith(".tmp-")).toList()) {
                if (abandoned(p)) {
                    delete(p);
                }
            }
        } catch (IOException e) {
            // nothing to clean, or not now: the next export tries again
        }
    }

    private static boolean abandoned(Path tmp) {
        String[] parts = tmp.getFileName().toString().split("-");
        try {
            long pid = Long.parseLong(parts[parts.length - 2]);
            FileTime time = Files.getLastModifiedTime(tmp);
            return ProcessHandle.of(pid).map(h -> !h.isAlive()).orElse(true)
                    || time.toInstant().isBefore(Instant.now().minus(STALE));
        } catch (IOException | RuntimeException e) {
            return false; // not one of ours, or gone already
        }
    }

    private static void delete(Path dir) {
        CacheLimit.delete(dir);
    }
}
