package bertft.checkpoint;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import bertft.UserError;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.io.OutputStream;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Fixtures come from src/test/resources/checkpoint/make_fixtures.py (torch 1.13). */
class PyTorchBinTest {
    @TempDir
    Path dir;

    @Test
    void readsStateDictExactly() throws IOException {
        JsonObject expected = JsonParser.parseString(Files.readString(fixture("tiny_state_dict.json"))).getAsJsonObject();
        JsonObject tensors = expected.getAsJsonObject("tensors");
        Map<String, TensorData> got = PyTorchBin.read(fixture("tiny_state_dict.bin"));
        // data.pkl alone names the same tensors with their shapes
        Map<String, long[]> shapes = PyTorchBin.shapes(fixture("tiny_state_dict.bin"));
        assertEquals(List.copyOf(got.keySet()), List.copyOf(shapes.keySet()));
        got.forEach((k, v) -> assertArrayEquals(v.shape(), shapes.get(k), k));

        // dict order; covers transposed and offset views, shared storage, F16, BF16, a scalar and a Parameter
        assertEquals(List.copyOf(tensors.keySet()), List.copyOf(got.keySet()));
        for (String name : tensors.keySet()) {
            JsonObject want = tensors.getAsJsonObject(name);
            assertArrayEquals(longs(want.get("shape")), got.get(name).shape(), name);
            float[] values = got.get(name).toFloats();
            long[] gotBits = new long[values.length];
            for (int i = 0; i < values.length; i++) {
                gotBits[i] = Integer.toUnsignedLong(Float.floatToRawIntBits(values[i]));
            }
            assertArrayEquals(longs(want.get("bits")), gotBits, name);
        }
        for (JsonElement skipped : expected.getAsJsonArray("skipped")) {
            assertFalse(got.containsKey(skipped.getAsString()), "integer buffer " + skipped + " is skipped");
        }
    }

    @Test
    void refusesForeignGlobalsWithoutRunningThem() {
        String message = assertThrows(UserError.class, () -> PyTorchBin.read(fixture("malicious.bin"))).getMessage();
        assertTrue(message.contains("malicious.bin: data.pkl: pickle references os.system"), message);
        assertTrue(message.contains("never runs pickle code"), message);
        assertTrue(message.contains("save_pretrained(dir, safe_serialization=True)"), message);
    }

    @Test
    void refusesLegacyFormatWithAdvice() {
        String message = assertThrows(UserError.class, () -> PyTorchBin.read(fixture("legacy.bin"))).getMessage();
        assertTrue(message.contains("legacy.bin: not a zip-format torch.save file"), message);
        assertTrue(message.contains("safe_serialization=True"), message);
    }

    @Test
    void missingStorageIsNamed() throws IOException {
        byte[] pkl = entry(fixture("tiny_state_dict.bin"), "tiny_state_dict/data.pkl");
        Path file = zip(Map.of("archive/data.pkl", pkl));
        String message = assertThrows(UserError.class, () -> PyTorchBin.read(file)).getMessage();
        assertTrue(message.matches(".*x\\.bin: storage archive/data/\\d+ is missing from the archive"), message);
    }

    @Test
    void unknownOpcodeAndTruncatedPickleAreErrors() throws IOException {
        Path unknown = zip(Map.of("archive/data.pkl", new byte[] {(byte) 0x80, 2, (byte) 0xff}));
        String message = assertThrows(UserError.class, () -> PyTorchBin.read(unknown)).getMessage();
        assertTrue(message.contains("x.bin: data.pkl: unsupported pickle opcode 0xff at byte 2"), message);

        Path truncated = zip(Map.of("archive/data.pkl", new byte[] {(byte) 0x80, 2, '}', 'X', 9, 0}));
        message = assertThrows(UserError.class, () -> PyTorchBin.read(truncated)).getMessage();
        assertTrue(message.contains("x.bin: data.pkl: malformed pickle"), message);
    }

    @Test
    void missingFileIsNamed() {
        String message = assertThrows(UserError.class, () -> PyTorchBin.read(dir.resolve("nope.bin"))).getMessage();
        assertTrue(message.contains("nope.bin: no such file"), message);
    }

    private Path zip(Map<String, byte[]> entries) throws IOException {
        Path file = dir.resolve("x.bin");
        try (ZipOutputStream out = new ZipOutputStream(Files.newOutputStream(file))) {
            for (var e : entries.entrySet()) {
                out.putNextEntry(new ZipEntry(e.getKey()));
                out.write(e.getValue());
            }
        }
        return file;
    }

    private static byte[] entry(Path zip, String name) throws IOException {
        try (var z = new java.util.zip.ZipFile(zip.toFile()); var in = z.getInputStream(z.getEntry(name))) {
            return in.readAllBytes();
        }
    }

    private static long[] longs(JsonElement array) {
        List<Long> out = new ArrayList<>();
        array.getAsJsonArray().forEach(e -> out.add(e.getAsLong()));
        return out.stream().mapToLong(Long::longValue).toArray();
    }

    private static Path fixture(String name) {
        try {
            return Path.of(PyTorchBinTest.class.getResource("/checkpoint/" + name).toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }
}
