package bertft.checkpoint;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import bertft.UserError;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SafeTensorsTest {
    @TempDir
    Path dir;

    @Test
    void roundTripIsExactAndSortedByName() {
        Random rnd = new Random(7);
        float[] big = new float[24];
        for (int i = 0; i < big.length; i++) {
            big[i] = (float) rnd.nextGaussian();
        }
        Map<String, TensorData> in = new LinkedHashMap<>();
        in.put("encoder.layer.1.output.dense.weight", TensorData.of(new long[] {4, 6}, big));
        in.put("classifier.bias", TensorData.of(new long[] {5}, new float[] {Float.NaN, -0.0f, Float.POSITIVE_INFINITY,
                Float.MIN_VALUE, Float.MAX_VALUE}));
        in.put("scalar", TensorData.of(new long[] {}, new float[] {3.5f}));
        in.put("empty", TensorData.of(new long[] {0, 3}, new float[0]));
        Path file = dir.resolve("model.safetensors");
        SafeTensors.write(file, in);

        Map<String, TensorData> out = SafeTensors.read(file);
        assertEquals(List.of("classifier.bias", "empty", "encoder.layer.1.output.dense.weight", "scalar"),
                List.copyOf(out.keySet()));
        for (String name : in.keySet()) {
            assertArrayEquals(in.get(name).shape(), out.get(name).shape(), name);
            assertArrayEquals(bits(in.get(name).toFloats()), bits(out.get(name).toFloats()), name);
        }
    }

    @Test
    void headerMatchesTheReferenceLayout() throws IOException {
        Map<String, TensorData> in = new LinkedHashMap<>();
        in.put("b", TensorData.of(new long[] {1, 2}, new float[] {1, 2}));
        in.put("a<=>", TensorData.of(new long[] {1}, new float[] {3}));
        in.put("big", TensorData.of(new long[] {2_500_000}, new float[2_500_000])); // offsets past 1e7
        Path file = dir.resolve("m.safetensors");
        SafeTensors.write(file, in);

        byte[] bytes = Files.readAllBytes(file);
        long n = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).getLong();
        assertEquals(0, n % 8, "data must start 8-byte aligned");
        assertEquals(8 + n + 4 * (1 + 2_500_000 + 2), bytes.length);
        String header = new String(bytes, 8, (int) n, UTF_8);
        assertEquals("{\"__metadata__\":{\"format\":\"pt\"},"
                + "\"a<=>\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},"
                + "\"b\":{\"dtype\":\"F32\",\"shape\":[1,2],\"data_offsets\":[4,12]},"
                + "\"big\":{\"dtype\":\"F32\",\"shape\":[2500000],\"data_offsets\":[12,10000012]}}", header.stripTrailing());
        assertTrue(header.substring(header.stripTrailing().length()).chars().allMatch(c -> c == ' '), "padded with spaces");
        assertEquals(3f, ByteBuffer.wrap(bytes, 8 + (int) n, 4).order(ByteOrder.LITTLE_ENDIAN).getFloat());
    }

    @Test
    void writeReplacesAtomicallyAndLeavesNoTempFiles() throws IOException {
        Path file = dir.resolve("m.safetensors");
        SafeTensors.write(file, Map.of("x", TensorData.of(new long[] {1}, new float[] {1})));
        SafeTensors.write(file, Map.of("y", TensorData.of(new long[] {1}, new float[] {2})));
        assertEquals(List.of("y"), List.copyOf(SafeTensors.read(file).keySet()));
        try (Stream<Path> files = Files.list(dir)) {
            assertEquals(List.of(file), files.toList());
        }
    }

    @Test
    void decodesF16IncludingSubnormalsInfinitiesAndNan() throws IOException {
        short[] halves = {0x3C00, (short) 0xC000, 0x7BFF, 0x0001, 0x03FF, 0x0400, 0x7C00, (short) 0xFC00,
            (short) 0x8000, 0x3555, 0x7E00};
        float[] expected = {1f, -2f, 65504f, 0x1p-24f, 1023 * 0x1p-24f, 0x1p-14f, Float.POSITIVE_INFINITY,
            Float.NEGATIVE_INFINITY, -0f, 0.33325195f, Float.NaN};
        float[] got = readHalves("F16", halves);
        assertArrayEquals(bits(expected), bits(got));
    }

    @Test
    void everyF16ValueMatchesItsDefinition() {
        for (int h = 0; h < 65536; h++) {
            int exp = (h >> 10) & 0x1f;
            int mant = h & 0x3ff;
            double magnitude = exp == 0 ? mant * 0x1p-24
                    : exp == 31 ? (mant == 0 ? Double.POSITIVE_INFINITY : Double.NaN)
                    : (1 + mant / 1024.0) * Math.pow(2, exp - 15);
            float want = (float) ((h & 0x8000) != 0 ? -magnitude : magnitude);
            float got = Float16.halfToFloat((short) h);
            if (Float.isNaN(want)) {
                assertTrue(Float.isNaN(got), "0x" + Integer.toHexString(h));
            } else {
                assertEquals(Float.floatToIntBits(want), Float.floatToIntBits(got), "0x" + Integer.toHexString(h));
            }
        }
    }

    @Test
    void decodesBf16() throws IOException {
        short[] halves = {0x3F80, (short) 0xC040, 0x4049, 0x7F80, 0x0001, (short) 0x8000};
        float[] expected = {1f, -3f, 3.140625f, Float.POSITIVE_INFINITY, Float.intBitsToFloat(0x00010000), -0f};
        assertArrayEquals(bits(expected), bits(readHalves("BF16", halves)));
    }

    @Test
    void returnsTensorsInFileOrderAndSkipsIntegerBuffers() throws IOException {
        ByteBuffer data = ByteBuffer.allocate(4 + 16 + 4).order(ByteOrder.LITTLE_ENDIAN);
        data.putFloat(1).putLong(0).putLong(1).putFloat(2);
        Path file = write("{\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[20,24]},"
                + "\"ids\":{\"dtype\":\"I64\",\"shape\":[1,2],\"data_offsets\":[4,20]},"
                + "\"a\":{\"dtype\":\"F32\",\"shape\":[],\"data_offsets\":[0,4]}}", data.array());
        Map<String, TensorData> got = SafeTensors.read(file);
        assertEquals(List.of("a", "b"), List.copyOf(got.keySet()));
        assertEquals(0, got.get("a").shape().length);
        assertArrayEquals(new float[] {2}, got.get("b").toFloats());
    }

    @Test
    void tooShortFileIsTruncated() throws IOException {
        Path file = Files.write(dir.resolve("short.safetensors"), new byte[] {1, 2, 3});
        assertError(file, "short.safetensors: truncated");
    }

    @Test
    void headerLengthBeyondFileIsTruncated() throws IOException {
        Path file = write("{}", new byte[0]);
        byte[] bytes = Files.readAllBytes(file);
        bytes[0] = 100;
        assertError(Files.write(file, bytes), "t.safetensors: truncated: header length 100");
    }

    @Test
    void badJsonIsCorrupt() throws IOException {
        assertError(write("{\"a\": {\"dtype\": ", new byte[0]), "t.safetensors: corrupt");
        assertError(write("[1, 2]", new byte[0]), "t.safetensors: corrupt");
    }

    @Test
    void offsetsOutsideTheBufferAreNamed() throws IOException {
        Path file = write("{\"w\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}", new byte[4]);
        assertError(file, "t.safetensors: tensor 'w': data_offsets [0, 8] lie outside the 4-byte data buffer");
    }

    @Test
    void offsetsThatDisagreeWithTheShapeAreNamed() throws IOException {
        Path file = write("{\"w\":{\"dtype\":\"F16\",\"shape\":[3],\"data_offsets\":[0,8]}}", new byte[8]);
        assertError(file, "tensor 'w': data_offsets [0, 8] span 8 bytes but shape [3] of F16 needs 6");
    }

    @Test
    void unknownDtypeIsNamed() throws IOException {
        Path file = write("{\"w\":{\"dtype\":\"F64\",\"shape\":[1],\"data_offsets\":[0,8]}}", new byte[8]);
        assertError(file, "tensor 'w': unsupported dtype F64; supported: F32, F16, BF16");
    }

    @Test
    void readsShardedCheckpointsInWeightMapOrder() throws IOException {
        SafeTensors.write(dir.resolve("model-00001-of-00002.safetensors"), Map.of(
                "a", TensorData.of(new long[] {1}, new float[] {1}), "c", TensorData.of(new long[] {1}, new float[] {3})));
        SafeTensors.write(dir.resolve("model-00002-of-00002.safetensors"), Map.of(
                "b", TensorData.of(new long[] {2}, new float[] {2, 2})));
        Path index = Files.writeString(dir.resolve("model.safetensors.index.json"), "{\"metadata\":{\"total_size\":16},"
                + "\"weight_map\":{\"a\":\"model-00001-of-00002.safetensors\",\"b\":\"model-00002-of-00002.safetensors\","
                + "\"c\":\"model-00001-of-00002.safetensors\"}}");
        Map<String, TensorData> got = SafeTensors.readIndexed(index);
        assertEquals(List.of("a", "b", "c"), List.copyOf(got.keySet()));
        assertArrayEquals(new float[] {2, 2}, got.get("b").toFloats());
        // the headers alone name the same tensors with their shapes
        Map<String, long[]> shapes = SafeTensors.shapesIndexed(index);
        assertEquals(java.util.Set.of("a", "b", "c"), shapes.keySet());
        assertArrayEquals(new long[] {2}, shapes.get("b"));
    }

    @Test
    void missingShardIsNamed() throws IOException {
        Path index = Files.writeString(dir.resolve("model.safetensors.index.json"),
                "{\"weight_map\":{\"a\":\"model-00001-of-00002.safetensors\"}}");
        UserError e = assertThrows(UserError.class, () -> SafeTensors.readIndexed(index));
        assertTrue(e.getMessage().contains("model.safetensors.index.json: shard model-00001-of-00002.safetensors"
                + " (holding 'a') is missing"), e.getMessage());
    }

    @Test
    void keyAbsentFromItsShardIsNamed() throws IOException {
        SafeTensors.write(dir.resolve("s1.safetensors"), Map.of("a", TensorData.of(new long[] {1}, new float[] {1})));
        Path index = Files.writeString(dir.resolve("model.safetensors.index.json"),
                "{\"weight_map\":{\"a\":\"s1.safetensors\",\"z\":\"s1.safetensors\"}}");
        UserError e = assertThrows(UserError.class, () -> SafeTensors.readIndexed(index));
        assertTrue(e.getMessage().contains("s1.safetensors: tensor 'z' is listed in model.safetensors.index.json"
                + " but absent from this shard"), e.getMessage());
    }

    @Test
    void missingFileIsNamed() {
        assertError(dir.resolve("nope.safetensors"), "nope.safetensors: no such file");
    }

    private float[] readHalves(String dtype, short[] halves) throws IOException {
        ByteBuffer data = ByteBuffer.allocate(halves.length * 2).order(ByteOrder.LITTLE_ENDIAN);
        for (short h : halves) {
            data.putShort(h);
        }
        Path file = write("{\"__metadata__\":{\"format\":\"pt\"},\"h\":{\"dtype\":\"" + dtype + "\",\"shape\":["
                + halves.length + "],\"data_offsets\":[0," + halves.length * 2 + "]}}", data.array());
        return SafeTensors.read(file).get("h").toFloats();
    }

    /** A safetensors file built by hand: u64 header length, header, data. */
    private Path write(String header, byte[] data) throws IOException {
        byte[] json = header.getBytes(UTF_8);
        ByteBuffer b = ByteBuffer.allocate(8 + json.length + data.length).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(json.length).put(json).put(data);
        return Files.write(dir.resolve("t.safetensors"), b.array());
    }

    private static void assertError(Path file, String expected) {
        UserError e = assertThrows(UserError.class, () -> SafeTensors.read(file));
        assertTrue(e.getMessage().contains(expected), e.getMessage());
        assertEquals(1, e.getMessage().lines().count(), "one line: " + e.getMessage());
    }

    private static int[] bits(float[] values) {
        int[] out = new int[values.length];
        for (int i = 0; i < values.length; i++) {
            out[i] = Float.floatToRawIntBits(values[i]);
        }
        return out;
    }
}
