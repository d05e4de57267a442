package bertft.checkpoint;

import bertft.UserError;
import bertft.checkpoint.TorchUnpickler.DType;
import bertft.checkpoint.TorchUnpickler.Tensor;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.zip.ZipEntry;
import java.util.zip.ZipException;
import java.util.zip.ZipFile;

/**
 * Reads a {@code pytorch_model.bin} written by {@code torch.save} (zip format, torch 1.6 and later) without
 * running pickle code.
 *
 * <p>A restricted pickle interpreter ({@code TorchUnpickler}) understands only what a state dict needs:
 * containers, numbers, strings and the globals that rebuild tensors. Any other global is refused, so a
 * malicious checkpoint fails to load instead of running. Float tensors come back as float32 in dict order; integer tensors are buffers
 * (position_ids, token_type_ids), not weights, and are skipped.
 */
public final class PyTorchBin {
    static final String ADVICE = "; bert-ft never runs pickle code, so convert the checkpoint to safetensors,"
            + " e.g. in Python: from transformers import AutoModel;"
            + " AutoModel.from_pretrained(dir).save_pretrained(dir, safe_serialization=True)";

    private PyTorchBin() {}

    /** Reads the float tensors of a torch.save'd state dict, keyed by name in dict order. */
    public static Map<String, TensorData> read(Path file) {
        return open(file, (zip, prefix, floats) -> {
            Map<String, Integer> users = new HashMap<>();
            floats.values().forEach(t -> users.merge(t.storage().key(), 1, Integer::sum));
            // views and tied weights share a storage: keep its bytes until its last tensor is built
            Map<String, ByteBuffer> open = new HashMap<>();
            Map<String, TensorData> out = new LinkedHashMap<>();
            for (var e : floats.entrySet()) {
                String key = e.getValue().storage().key();
                ByteBuffer storage = open.computeIfAbsent(key, k -> storage(file, zip, prefix, k));
                if (users.merge(key, -1, Integer::sum) == 0) {
                    open.remove(key);
                }
                out.put(e.getKey(), materialise(file + ": tensor '" + e.getKey() + "'", e.getValue(), storage));
            }
            return out;
        });
    }

    /**
     * The float tensors' shapes by name, from data.pkl alone (no storage is read): what tells which head a
     * checkpoint has without loading it.
     */
    public static Map<String, long[]> shapes(Path file) {
        return open(file, (zip, prefix, floats) -> {
            Map<String, long[]> out = new LinkedHashMap<>();
            floats.forEach((name, t) -> out.put(name, t.size()));
            return out;
        });
    }

    private interface StateDict<T> {
        T apply(ZipFile zip, String prefix, Map<String, Tensor> floats) throws IOException;
    }

    /** Opens the archive, unpickles data.pkl and hands {@code then} its float tensors (views, unread) by name. */
    private static <T> T open(Path file, StateDict<T> then) {
        try (ZipFile zip = new ZipFile(file.toFile())) {
            // the top folder is named after the file torch.save wrote ("archive" in newer versions)
            ZipEntry pkl = zip.stream()
                    .filter(e -> e.getName().endsWith("/data.pkl") && e.getName().indexOf('/') == e.getName().length() - 9)
                    .findFirst()
                    .orElseThrow(() -> new UserError(file + ": no data.pkl inside, not a torch.save checkpoint" + ADVICE));
            String prefix = pkl.getName().substring(0, pkl.getName().length() - "data.pkl".length());
            ZipEntry byteOrder = zip.getEntry(prefix + "byteorder");
            if (byteOrder != null && new String(bytes(zip, byteOrder), StandardCharsets.US_ASCII).trim().equals("big")) {
                throw new UserError(file + ": saved on a big-endian machine, which bert-ft does not read" + ADVICE);
            }
            Object root = TorchUnpickler.load(file + ": data.pkl", bytes(zip, pkl));
            if (!(root instanceof Map<?, ?> dict)) {
                throw new UserError(file + ": expected a state dict (names to tensors), found " + root);
            }
            Map<String, Tensor> floats = new LinkedHashMap<>();
            for (var e : dict.entrySet()) {
                if (!(e.getKey() instanceof String name) || !(e.getValue() instanceof Tensor t)) {
                    throw new UserError(file + ": entry '" + e.getKey() + "' is not a tensor; expected a state dict");
                }
                if (t.storage().dtype().floating) {
                    floats.put(name, t);
                }
            }
            return then.apply(zip, prefix, floats);
        } catch (ZipException e) {
            throw new UserError(file + ": not a zip-format torch.save file (the legacy pre-1.6 format is not read)"
                    + ADVICE);
        } catch (NoSuchFileException e) {
            throw new UserError(file + ": no such file");
        } catch (IOException e) {
            throw new UserError(file + ": cannot read: " + e, e);
        }
    }

    private static ByteBuffer storage(Path file, ZipFile zip, String prefix, String key) {
        ZipEntry entry = zip.getEntry(prefix + "data/" + key);
        if (entry == null) {
            throw new UserError(file + ": storage " + prefix + "data/" + key + " is missing from the archive");
        }
        try {
            return ByteBuffer.wrap(bytes(zip, entry)).order(ByteOrder.LITTLE_ENDIAN);
        } catch (IOException e) {
            throw new UserError(file + ": cannot read " + entry.getName() + ": " + e, e);
        }
    }

    private static byte[] bytes(ZipFile zip, ZipEntry entry) throws IOException {
        try (InputStream in = zip.getInputStream(entry)) {
            return in.readAllBytes();
        }
    }

    /** Copies a strided view out of its storage into a contiguous row-major float32 tensor. */
    private static TensorData materialise(String where, Tensor t, ByteBuffer storage) {
        long[] size = t.size();
        long[] stride = t.stride();
        DType dtype = t.storage().dtype();
        String view = ": bad view: offset " + t.offset() + ", size " + Arrays.toString(size) + ", stride "
                + Arrays.toString(stride);
        if (stride.length != size.length || t.offset() < 0 || Arrays.stream(size).anyMatch(d -> d < 0)
                || Arrays.stream(stride).anyMatch(s -> s < 0)) {
            throw new UserError(where + view);
        }
        long numel = 1;
        long last = t.offset(); // the highest storage element the view touches
        try {
            for (int k = 0; k < size.length; k++) {
                numel = Math.multiplyExact(numel, size[k]);
                last = Math.addExact(last, Math.multiplyExact(size[k] - 1, stride[k]));
            }
        } catch (ArithmeticException e) {
            throw new UserError(where + view);
        }
        long have = storage.capacity() / dtype.size;
        if (numel > 0 && last >= have) {
            throw new UserError(where + ": view reaches element " + last + " of a storage of " + have);
        }
        if (numel > Integer.MAX_VALUE / Float.BYTES) {
            throw new UserError(where + ": over 2 GiB as float32, too large to load");
        }
        ByteBuffer out = ByteBuffer.allocate((int) numel * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN);
        long[] index = new long[size.length];
        long pos = t.offset();
        for (long i = 0; i < numel; i++) {
            int p = (int) pos;
            out.putFloat(switch (dtype) {
                case F32 -> storage.getFloat(p * 4);
                case F16 -> Float16.halfToFloat(storage.getShort(p * 2));
                case BF16 -> Float16.bf16ToFloat(storage.getShort(p * 2));
                default -> throw new IllegalStateException(dtype.name());
            });
            for (int k = size.length - 1; k >= 0; k--) { // step the row-major index like an odometer
                if (++index[k] < size[k]) {
                    pos += stride[k];
                    break;
                }
                pos -= stride[k] * (size[k] - 1);
                index[k] = 0;
            }
        }
        return new TensorData(size, out.flip());
    }
}
