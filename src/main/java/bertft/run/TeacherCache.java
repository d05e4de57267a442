package bertft.run;

import ai.djl.huggingface.tokenizers.Encoding;
import bertft.model.ModelStore;
import bertft.onnx.OnnxExport;
import java.io.BufferedInputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.DigestInputStream;
import java.security.DigestOutputStream;
import java.security.MessageDigest;
import java.time.Instant;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;

/**
 * A teacher's raw logits over a list of inputs, kept on disk under {@code $BERT_FT_HOME/distill-cache/<key>.logits}
 * so that a resumed distillation, or a second student over the same teachers and data, reads them instead of running
 * the teacher again. The key hashes the teacher's absolute path and fingerprint (its files' names, sizes and times, as
 * the ONNX export cache keys models), its head and every input's token ids, type ids and mask, which carry the data's
 * content and the teacher-side max-length. The logits are raw: the temperature is applied after reading, so another
 * temperature reuses them.
 *
 * <p>File: magic, version, the key, the row count, the seconds the teacher took, each row's length, the floats, and
 * a SHA-256 of all that. Written atomically ({@link bertft.AtomicFiles}); a file that is truncated, of another key or
 * row count, or whose checksum fails is {@link Damaged}, never used.
 *
 * <p>The cache is kept under {@code BERT_FT_DISTILL_CACHE_MB} (default {@value #DEFAULT_LIMIT_MB}): a read marks its
 * file used, and after each write the files used longest ago go until the rest fit ({@link CacheLimit}).
 */
final class TeacherCache {
    private static final int MAGIC = 0x42464443; // "BFDC"
    private static final int VERSION = 1;
    /** The cache's size limit when {@code BERT_FT_DISTILL_CACHE_MB} does not say. */
    static final long DEFAULT_LIMIT_MB = 2048;
    static final CacheLimit LIMIT = new CacheLimit("BERT_FT_DISTILL_CACHE_MB", DEFAULT_LIMIT_MB, "the distill cache");

    /** A file that cannot be trusted: the reason, for the one line that says it is computed again. */
    static final class Damaged extends Exception {
        Damaged(String reason) {
            super(reason, null, false, false);
        }
    }

    /** Logits per input (each row's length may differ: spans and tokens keep the input's real positions). */
    record Entry(float[][] rows, double seconds) {}

    private TeacherCache() {}

    /** {@code $BERT_FT_HOME/distill-cache}. */
    static Path root() {
        return ModelStore.home().resolve("distill-cache");
    }

    /** The cache file of {@code teacher}'s logits under {@code head} over {@code inputs}, whether or not it exists. */
    static Path location(Path teacher, String head, List<Encoding> inputs) {
        Path abs = teacher.toAbsolutePath().normalize();
        MessageDigest d = bertft.Sha256.digest();
        d.update(("bert-ft distill-cache " + VERSION + "\n" + abs + "\n" + OnnxExport.fingerprint(abs) + "\n" + head
                + "\n" + inputs.size() + "\n").getBytes(StandardCharsets.UTF_8));
        bertft.train.FeatureCache.digestTokens(d, inputs);
        return root().resolve(HexFormat.of().formatHex(d.digest(), 0, 16) + ".logits");
    }

    /** The entry at {@code file} for {@code n} inputs, or null when there is none. */
    static Entry read(Path file, int n) throws Damaged {
        if (!Files.isRegularFile(file)) {
            return null;
        }
        String key = key(file);
        long size;
        try {
            size = Files.size(file);
        } catch (IOException e) {
            throw new Damaged("unreadable: " + e.getMessage());
        }
        MessageDigest d = bertft.Sha256.digest();
        try (InputStream raw = Files.newInputStream(file);
                DigestInputStream digest = new DigestInputStream(new BufferedInputStream(raw, 1 << 16), d);
                DataInputStream in = new DataInputStream(digest)) {
            if (in.readInt() != MAGIC || in.readInt() != VERSION) {
                throw new Damaged("not a distill cache file of this version");
            }
            if (!in.readUTF().equals(key)) {
                throw new Damaged("written for another key");
            }
            int rows = in.readInt();
            if (rows != n) {
                throw new Damaged(rows + " rows, " + n + " expected");
            }
            double seconds = in.readDouble();
            int[] lengths = new int[n];
            long floats = 0;
            for (int i = 0; i < n; i++) {
                lengths[i] = in.readInt();
                if (lengths[i] < 0) {
                    throw new Damaged("a negative row length");
                }
                floats += lengths[i];
            }
            if (floats * Float.BYTES > size) { // before allocating what a damaged length asks for
                throw new Damaged("truncated");
            }
            float[][] out = new float[n][];
            for (int i = 0; i < n; i++) {
                byte[] b = new byte[lengths[i] * Float.BYTES];
                in.readFully(b);
                out[i] = new float[lengths[i]];
                ByteBuffer.wrap(b).asFloatBuffer().get(out[i]); // big-endian, as DataOutputStream writes

            }
            digest.on(false);
            byte[] sum = new byte[32];
            in.readFully(sum);
            if (!Arrays.equals(sum, d.digest()) || in.read() != -1) {
                throw new Damaged("checksum mismatch");
            }
            CacheLimit.stamp(file);
            return new Entry(out, seconds);
        } catch (EOFException e) {
            throw new Damaged("truncated");
        } catch (IOException e) {
            throw new Damaged("unreadable: " + e.getMessage());
        }
    }

    /**
     * Writes {@code rows} to {@code file} (atomically; what was there is replaced), then keeps the cache under
     * {@code limit} bytes, removals said on {@code log}.
     */
    static void write(Path file, float[][] rows, double seconds, long limit, PrintWriter log) {
        bertft.AtomicFiles.createDirectories(file.getParent());
        bertft.AtomicFiles.write(file, raw -> {
            MessageDigest d = bertft.Sha256.digest();
            DataOutputStream out = new DataOutputStream(new DigestOutputStream(raw, d));
            out.writeInt(MAGIC);
            out.writeInt(VERSION);
            out.writeUTF(key(file));
            out.writeInt(rows.length);
            out.writeDouble(seconds);
            for (float[] r : rows) {
                out.writeInt(r.length);
            }
            for (float[] r : rows) {
                ByteBuffer b = ByteBuffer.allocate(r.length * Float.BYTES);
                b.asFloatBuffer().put(r);
                out.write(b.array());
            }
            out.flush();
            raw.write(d.digest());
        });
        evict(file.getParent(), file, limit, Instant.now(), log);
    }

    /** Removes the cache files of {@code root} used longest ago until the rest fit {@code limit}, never {@code keep}. */
    static void evict(Path root, Path keep, long limit, Instant now, PrintWriter log) {
        LIMIT.evict(root, p -> p.getFileName().toString().endsWith(".logits") && Files.isRegularFile(p), keep, limit,
                now, log);
    }

    /** The key a file is named by. */
    private static String key(Path file) {
        String name = file.getFileName().toString();
        return name.endsWith(".logits") ? name.substring(0, name.length() - ".logits".length()) : name;
    }
}
