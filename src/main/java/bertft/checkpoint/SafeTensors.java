package bertft.checkpoint;

import static java.nio.charset.StandardCharsets.UTF_8;

import bertft.AtomicFiles;
import bertft.UserError;
import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import com.google.gson.JsonPrimitive;
import com.google.gson.Strictness;
import com.google.gson.stream.JsonReader;
import com.google.gson.stream.JsonToken;
import java.io.IOException;
import java.io.StringReader;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.channels.WritableByteChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * Reads and writes HuggingFace safetensors files: an 8-byte little-endian header length, a JSON header
 * {@code {name: {dtype, shape, data_offsets}}}, then the tensor bytes.
 *
 * <p>Reading accepts F32, F16 and BF16 and returns float32; integer tensors are buffers such as
 * {@code position_ids}, not weights, and are skipped (as {@link PyTorchBin} does). Writing emits the layout
 * of the reference Rust library for all-F32 files, so HuggingFace tools read the files back unchanged.
 */
public final class SafeTensors {
    /** The reference implementation refuses larger headers too; this keeps a corrupt length from allocating GiBs. */
    private static final long MAX_HEADER = 100_000_000;
    private static final Map<String, Integer> FLOAT_SIZES = Map.of("F32", 4, "F16", 2, "BF16", 2);
    private static final Map<String, Integer> INT_SIZES =
            Map.of("BOOL", 1, "U8", 1, "I8", 1, "I16", 2, "U16", 2, "I32", 4, "U32", 4, "I64", 8, "U64", 8);
    // HTML escaping would turn '<' or '=' in tensor names into \u003c, unlike the reference writer
    private static final Gson GSON = new GsonBuilder().disableHtmlEscaping().create();

    private SafeTensors() {}

    private record Entry(String name, String dtype, long[] shape, long begin, long end) {}

    /** Reads one safetensors file; the map is in the order the tensors lie in the file. */
    public static Map<String, TensorData> read(Path file) {
        return read(file, new HashSet<>());
    }

    /** Reads a sharded checkpoint through its {@code model.safetensors.index.json}; the map is in weight_map order. */
    public static Map<String, TensorData> readIndexed(Path indexJson) {
        JsonObject weightMap = weightMap(indexJson);
        Map<String, TensorData> found = new HashMap<>();
        for (var e : shards(indexJson, weightMap).entrySet()) { // each shard is read once
            Path shard = indexJson.resolveSibling(e.getKey());
            Set<String> skipped = new HashSet<>();
            Map<String, TensorData> tensors = read(shard, skipped);
            for (String name : e.getValue()) {
                if (tensors.containsKey(name)) {
                    found.put(name, tensors.get(name));
                } else if (!skipped.contains(name)) {
                    throw new UserError(shard + ": tensor '" + name + "' is listed in " + indexJson.getFileName()
                            + " but absent from this shard");
                }
            }
        }
        Map<String, TensorData> out = new LinkedHashMap<>();
        weightMap.keySet().stream().filter(found::containsKey).forEach(name -> out.put(name, found.get(name)));
        return out;
    }

    /**
     * The float tensors' shapes by name, from the file's header alone (the tensor bytes are not read): what tells
     * which head a checkpoint has without loading it.
     */
    public static Map<String, long[]> shapes(Path file) {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            Map<String, long[]> out = new LinkedHashMap<>();
            for (Entry e : header(file, ch)) {
                if (FLOAT_SIZES.containsKey(e.dtype())) {
                    out.put(e.name(), e.shape());
                }
            }
            return out;
        } catch (IOException e) {
            throw cannotRead(file, e);
        }
    }

    /** As {@link #shapes(Path)} for a sharded checkpoint: every shard's header, through its index. */
    public static Map<String, long[]> shapesIndexed(Path indexJson) {
        Map<String, long[]> out = new LinkedHashMap<>();
        for (String shard : shards(indexJson, weightMap(indexJson)).keySet()) {
            out.putAll(shapes(indexJson.resolveSibling(shard)));
        }
        return out;
    }

    private static JsonObject weightMap(Path indexJson) {
        JsonObject index;
        try {
            index = parseObject(indexJson, Files.readString(indexJson));
        } catch (IOException e) {
            throw cannotRead(indexJson, e);
        }
        if (!(index.get("weight_map") instanceof JsonObject weightMap)) {
            throw new UserError(indexJson + ": corrupt: no \"weight_map\" object");
        }
        return weightMap;
    }

    /** The tensor names by shard file; every shard must exist. */
    private static Map<String, List<String>> shards(Path indexJson, JsonObject weightMap) {
        Map<String, List<String>> namesByShard = new LinkedHashMap<>();
        for (var e : weightMap.entrySet()) {
            if (!e.getValue().isJsonPrimitive()) {
                throw new UserError(indexJson + ": corrupt: weight_map['" + e.getKey() + "'] is not a file name");
            }
            namesByShard.computeIfAbsent(e.getValue().getAsString(), s -> new ArrayList<>()).add(e.getKey());
        }
        for (var e : namesByShard.entrySet()) {
            Path shard = indexJson.resolveSibling(e.getKey());
            if (!Files.isRegularFile(shard)) {
                throw new UserError(indexJson + ": shard " + e.getKey() + " (holding '" + e.getValue().get(0)
                        + "') is missing: " + shard);
            }
        }
        return namesByShard;
    }

    private static Map<String, TensorData> read(Path file, Set<String> skipped) {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            List<Entry> entries = header(file, ch);
            long dataStart = 8 + headerLength(ch); // header() checked it
            Map<String, TensorData> out = new LinkedHashMap<>();
            for (Entry e : entries) {
                if (INT_SIZES.containsKey(e.dtype())) {
                    skipped.add(e.name());
                    continue;
                }
                // one mapping per tensor: files pass 2 GiB, a single tensor does not
                ByteBuffer src = ch.map(FileChannel.MapMode.READ_ONLY, dataStart + e.begin(), e.end() - e.begin());
                out.put(e.name(), toFloat32(file, e, src.order(ByteOrder.LITTLE_ENDIAN)));
            }
            return out;
        } catch (IOException e) {
            throw cannotRead(file, e);
        }
    }

    /** The header's entries, checked against the file's size, in the order their bytes lie. */
    private static List<Entry> header(Path file, FileChannel ch) throws IOException {
        long size = ch.size();
        if (size < 8) {
            throw new UserError(file + ": truncated: " + size + " bytes, too short for the 8-byte header length");
        }
        long n = headerLength(ch);
        if (n < 0 || n > size - 8) {
            throw new UserError(file + ": truncated: header length " + Long.toUnsignedString(n)
                    + " runs past the end of the " + size + "-byte file");
        }
        if (n > MAX_HEADER) {
            throw new UserError(file + ": corrupt: header length " + n + " exceeds " + MAX_HEADER + " bytes");
        }
        byte[] json = new byte[(int) n];
        ch.map(FileChannel.MapMode.READ_ONLY, 8, n).get(json);
        List<Entry> entries = new ArrayList<>();
        for (var e : parseObject(file, new String(json, UTF_8)).entrySet()) {
            if (!e.getKey().equals("__metadata__")) {
                entries.add(entry(file, e.getKey(), e.getValue(), size - 8 - n));
            }
        }
        entries.sort(Comparator.comparingLong(Entry::begin));
        return entries;
    }

    private static long headerLength(FileChannel ch) throws IOException {
        return ch.map(FileChannel.MapMode.READ_ONLY, 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
    }

    private static Entry entry(Path file, String name, JsonElement value, long dataSize) {
        String where = file + ": tensor '" + name + "'";
        if (!(value instanceof JsonObject o) || !(o.get("dtype") instanceof JsonPrimitive dt)) {
            throw new UserError(where + ": corrupt header entry, expected {dtype, shape, data_offsets}");
        }
        String dtype = dt.getAsString();
        Integer elementSize = FLOAT_SIZES.getOrDefault(dtype, INT_SIZES.get(dtype));
        if (elementSize == null) {
            throw new UserError(where + ": unsupported dtype " + dtype + "; supported: F32, F16, BF16");
        }
        long[] shape = longs(where, o, "shape");
        long[] offsets = longs(where, o, "data_offsets");
        if (offsets.length != 2 || offsets[0] > offsets[1] || offsets[1] > dataSize) {
            throw new UserError(where + ": data_offsets " + Arrays.toString(offsets) + " lie outside the "
                    + dataSize + "-byte data buffer");
        }
        long bytes;
        try {
            bytes = Math.multiplyExact(Arrays.stream(shape).reduce(1, Math::multiplyExact), elementSize);
        } catch (ArithmeticException e) {
            throw new UserError(where + ": shape " + Arrays.toString(shape) + " is too large");
        }
        if (offsets[1] - offsets[0] != bytes) {
            throw new UserError(where + ": data_offsets " + Arrays.toString(offsets) + " span "
                    + (offsets[1] - offsets[0]) + " bytes but shape " + Arrays.toString(shape) + " of " + dtype
                    + " needs " + bytes);
        }
        return new Entry(name, dtype, shape, offsets[0], offsets[1]);
    }

    private static long[] longs(String where, JsonObject o, String field) {
        try {
            long[] out = new long[o.getAsJsonArray(field).size()];
            for (int i = 0; i < out.length; i++) {
                out[i] = Long.parseLong(o.getAsJsonArray(field).get(i).getAsJsonPrimitive().getAsString());
                if (out[i] < 0) {
                    throw new NumberFormatException();
                }
            }
            return out;
        } catch (RuntimeException e) { // missing, not an array, or not whole non-negative numbers
            throw new UserError(where + ": corrupt header entry, " + field + " must be a list of non-negative integers");
        }
    }

    private static TensorData toFloat32(Path file, Entry e, ByteBuffer src) {
        long numel = TensorData.numel(e.shape());
        if (numel > Integer.MAX_VALUE / Float.BYTES) {
            throw new UserError(file + ": tensor '" + e.name() + "' is over 2 GiB as float32, too large to load");
        }
        ByteBuffer out = ByteBuffer.allocate((int) numel * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN);
        switch (e.dtype()) {
            case "F32" -> out.put(src);
            case "F16" -> {
                while (src.hasRemaining()) {
                    out.putFloat(Float16.halfToFloat(src.getShort()));
                }
            }
            case "BF16" -> {
                while (src.hasRemaining()) {
                    out.putFloat(Float16.bf16ToFloat(src.getShort()));
                }
            }
            default -> throw new IllegalStateException(e.dtype());
        }
        return new TensorData(e.shape(), out.flip());
    }

    /** Writes F32 tensors sorted by name, atomically: a reader never sees a half-written file. */
    public static void write(Path file, Map<String, TensorData> tensors) {
        Map<String, TensorData> sorted = new TreeMap<>(tensors);
        JsonObject header = new JsonObject();
        JsonObject metadata = new JsonObject();
        metadata.addProperty("format", "pt");
        header.add("__metadata__", metadata);
        long offset = 0;
        for (var e : sorted.entrySet()) {
            JsonArray shape = new JsonArray();
            Arrays.stream(e.getValue().shape()).forEach(shape::add);
            JsonArray offsets = new JsonArray();
            offsets.add(offset);
            offset += e.getValue().data().remaining();
            offsets.add(offset);
            JsonObject t = new JsonObject();
            t.addProperty("dtype", "F32");
            t.add("shape", shape);
            t.add("data_offsets", offsets);
            header.add(e.getKey(), t);
        }
        byte[] json = GSON.toJson(header).getBytes(UTF_8);
        int padded = (json.length + 7) / 8 * 8; // the reference pads with spaces so the data starts 8-aligned
        ByteBuffer head = ByteBuffer.allocate(8 + padded).order(ByteOrder.LITTLE_ENDIAN).putLong(padded).put(json);
        while (head.hasRemaining()) {
            head.put((byte) ' ');
        }
        AtomicFiles.write(file, out -> {
            WritableByteChannel ch = Channels.newChannel(out);
            writeFully(ch, head.flip());
            for (TensorData t : sorted.values()) {
                writeFully(ch, t.data().duplicate());
            }
        });
    }

    private static void writeFully(WritableByteChannel ch, ByteBuffer b) throws IOException {
        while (b.hasRemaining()) {
            ch.write(b);
        }
    }

    private static JsonObject parseObject(Path file, String text) {
        try {
            JsonReader reader = new JsonReader(new StringReader(text));
            reader.setStrictness(Strictness.STRICT);
            JsonElement root = JsonParser.parseReader(reader);
            if (root.isJsonObject() && reader.peek() == JsonToken.END_DOCUMENT) {
                return root.getAsJsonObject();
            }
        } catch (JsonParseException | IOException e) {
            Throwable cause = e.getCause() != null ? e.getCause() : e;
            // Gson's message is several lines and suggests lenient parsing; keep what and where only
            String why = String.valueOf(cause.getMessage()).lines().findFirst().orElse("")
                    .replaceFirst("^Use JsonReader.setStrictness.*? to accept malformed JSON ", "malformed ");
            throw new UserError(file + ": corrupt: not valid JSON (" + why + ")", e);
        }
        throw new UserError(file + ": corrupt: not a single JSON object");
    }

    private static UserError cannotRead(Path file, IOException e) {
        return e instanceof NoSuchFileException
                ? new UserError(file + ": no such file")
                : new UserError(file + ": cannot read: " + (e instanceof java.nio.file.AccessDeniedException
                        ? "permission denied" : e.getMessage()), e);
    }
}
