package bertft.run;

import bertft.UserError;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.function.Predicate;
import java.util.stream.Stream;

/**
 * The size limit of one of bert-ft's caches under {@code $BERT_FT_HOME} (the ONNX exports, the teachers' logits): a
 * setting in MB ({@code variable}, else {@code defaultMb}) and the eviction run after each new entry. The entries used
 * longest ago go until the rest fit, never the new one nor one used in the last hour (a process may be about to open
 * it); each removal is said on the log. An entry is a directory, its last use the time of its {@value #USED} file, or a
 * single file, its last use its own time; {@link #stamp} marks a use.
 *
 * @param what how the log names the cache: {@code the ONNX export cache}
 */
record CacheLimit(String variable, long defaultMb, String what) {
    /** A directory entry's file whose time is its last use. */
    static final String USED = ".last-used";
    /** Entries used more recently than this are never removed. */
    static final Duration IN_USE = Duration.ofHours(1);

    /** The setting in bytes, else the default; a value that is not a whole number of MB is refused. */
    long bytes() {
        return bytes(System.getenv(variable));
    }

    /** The limit {@code v} (MB) sets, in bytes; so large a limit that bytes overflow is no limit. */
    long bytes(String v) {
        if (v == null || v.isBlank()) {
            return defaultMb << 20;
        }
        try {
            long mb = Long.parseLong(v.strip());
            if (mb >= 0) {
                return mb > Long.MAX_VALUE >> 20 ? Long.MAX_VALUE : mb << 20;
            }
        } catch (NumberFormatException e) {
            // said below
        }
        throw new UserError(variable + " is '" + v + "': give " + what + "'s size limit in MB, a whole number >= 0");
    }

    /** Marks {@code entry} as used now (best effort: a read-only cache is still read). */
    static void stamp(Path entry) {
        try {
            Path mark = entry;
            if (Files.isDirectory(entry)) {
                mark = entry.resolve(USED);
                if (!Files.exists(mark)) {
                    Files.write(mark, new byte[0]);
                }
            }
            Files.setLastModifiedTime(mark, FileTime.from(Instant.now()));
        } catch (IOException e) {
            // not writable: eviction then goes by the entry's own time
        }
    }

    /** When {@code entry} was last used: a directory's stamp (else its time), a file's time. */
    static Instant lastUsed(Path entry) {
        try {
            Path used = entry.resolve(USED);
            return Files.getLastModifiedTime(Files.isRegularFile(used) ? used : entry).toInstant();
        } catch (IOException e) {
            return Instant.EPOCH;
        }
    }

    /**
     * Removes the entries of {@code root} (the paths {@code isEntry} accepts) used longest ago until they take at most
     * {@code limit} bytes, never {@code keep} nor one used since {@code now} minus {@link #IN_USE}; each removal said on
     * {@code log}.
     */
    void evict(Path root, Predicate<Path> isEntry, Path keep, long limit, Instant now, PrintWriter log) {
        record Entry(Path path, Instant used, long bytes) {}
        List<Entry> all = new ArrayList<>();
        try (Stream<Path> listed = Files.list(root)) {
            for (Path p : listed.filter(isEntry).toList()) {
                all.add(new Entry(p, lastUsed(p), size(p)));
            }
        } catch (IOException e) {
            return; // nothing to list: nothing to evict now
        }
        long total = all.stream().mapToLong(Entry::bytes).sum();
        all.sort(Comparator.comparing(Entry::used));
        for (Entry e : all) {
            if (total <= limit) {
                return;
            }
            if (e.path().equals(keep) || e.used().isAfter(now.minus(IN_USE))) {
                continue;
            }
            delete(e.path());
            if (!Files.exists(e.path())) {
                total -= e.bytes();
                log.println(String.format(Locale.ROOT, "bert-ft: removed %s from %s (%.1f MB, unused since %s) to keep"
                        + " it under %d MB (%s)", e.path().getFileName(), what, e.bytes() / 1048576.0,
                        e.used().truncatedTo(ChronoUnit.SECONDS), limit >> 20, variable));
            }
        }
    }

    /** The bytes of a file, or of the files under a directory. */
    static long size(Path entry) {
        try (Stream<Path> all = Files.walk(entry)) {
            return all.filter(Files::isRegularFile).mapToLong(p -> {
                try {
                    return Files.size(p);
                } catch (IOException e) {
                    return 0;
                }
            }).sum();
        } catch (IOException | java.io.UncheckedIOException e) {
            return 0;
        }
    }

    /** Removes a file or a directory with what is under it (best effort). */
    static void delete(Path entry) {
        if (!Files.exists(entry)) {
            return;
        }
        try (Stream<Path> all = Files.walk(entry)) {
            for (Path p : all.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        } catch (IOException | java.io.UncheckedIOException e) {
            // best effort: what is left is removed by a later eviction or export
        }
    }
}
