package bertft.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import bertft.checkpoint.Checkpoint;
import bertft.text.Batch;
import bertft.text.BertTokenizer;
import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Each family against HuggingFace Transformers on tiny random checkpoints ({@code ../shared/golden/families}): base
 * last_hidden_state, sequence-classification and QA logits, within 1e-4 on unpadded positions.
 */
class FamilyGoldenTest {
    static final Path GOLDEN = Paths.get("..", "shared", "golden", "families");

    /** One family's golden.json and its checkpoint directories. */
    record Golden(String family, JsonObject json) {
        static Golden of(String family) {
            try {
                return new Golden(family, JsonParser.parseString(Files.readString(GOLDEN.resolve(family)
                        .resolve("golden.json"))).getAsJsonObject());
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }

        Path dir(String kind) {
            return GOLDEN.resolve(family).resolve(kind);
        }

        long[][] ints(String key) {
            JsonArray rows = json.getAsJsonArray(key);
            long[][] out = new long[rows.size()][];
            for (int i = 0; i < rows.size(); i++) {
                JsonArray r = rows.get(i).getAsJsonArray();
                out[i] = new long[r.size()];
                for (int j = 0; j < r.size(); j++) {
                    out[i][j] = r.get(j).getAsLong();
                }
            }
            return out;
        }

        /** The inputs as a batch; token types only when asked and present. */
        Batch batch(NDManager m, boolean withTypes) {
            long[][] ids = ints("input_ids");
            Shape shape = new Shape(ids.length, ids[0].length);
            NDArray types = withTypes && json.has("token_type_ids") ? m.create(flat(ints("token_type_ids")), shape)
                    : m.zeros(shape, ai.djl.ndarray.types.DataType.INT64);
            long real = 0;
            for (long v : flat(ints("attention_mask"))) {
                real += v;
            }
            return new Batch(m.create(flat(ids), shape), types, m.create(flat(ints("attention_mask")), shape), real);
        }
    }

    static long[] flat(long[][] a) {
        return java.util.Arrays.stream(a).flatMapToLong(java.util.Arrays::stream).toArray();
    }

    static List<Float> floats(JsonElement e) {
        List<Float> out = new ArrayList<>();
        if (e.isJsonArray()) {
            e.getAsJsonArray().forEach(x -> out.addAll(floats(x)));
        } else {
            out.add(e.getAsFloat());
        }
        return out;
    }

    /** Max |got - want| over the positions where {@code mask} (per row, repeated per last dim) is 1. */
    static double maxError(float[] got, List<Float> want, long[] mask, int perPosition) {
        assertEquals(want.size(), got.length);
        double worst = 0;
        for (int i = 0; i < got.length; i++) {
            if (mask == null || mask[i / perPosition] == 1) {
                worst = Math.max(worst, Math.abs(got[i] - want.get(i)));
            }
        }
        return worst;
    }

    static Encoder encoder(Path dir) {
        Checkpoint c = Checkpoint.read(dir);
        return c.config().family().encoder().build(c.config(), c.encoder(), dir.toString());
    }

    @ParameterizedTest
    @ValueSource(strings = {"bert", "distilbert", "roberta", "xlm-roberta", "electra"})
    void baseLastHiddenStateMatches(String family) {
        Golden g = Golden.of(family);
        long[] mask = flat(g.ints("attention_mask"));
        try (Encoder enc = encoder(g.dir("base")); NDManager m = NDManager.newBaseManager()) {
            for (boolean types : new boolean[] {true, false}) {
                Batch b = g.batch(m, types);
                NDArray h = enc.forward(b.inputIds(), types ? b.tokenTypeIds() : null, b.attentionMask(), false);
                String key = types && g.json().has("token_type_ids") ? "base_last_hidden_state"
                        : "base_last_hidden_state_single";
                double err = maxError(h.toFloatArray(), floats(g.json().get(key)), mask, 32);
                System.out.printf("%s %s max abs error %.2e%n", family, key, err);
                assertTrue(err < 1e-4, family + " " + key + ": max |diff| " + err);
            }
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"bert", "distilbert", "roberta", "xlm-roberta", "electra", "deberta-v2"})
    void tokenizerJsonReproducesTheIds(String family) {
        Golden g = Golden.of(family);
        long[][] ids = g.ints("input_ids");
        long[][] mask = g.ints("attention_mask");
        JsonArray texts = g.json().getAsJsonArray("texts");
        try (BertTokenizer tok = BertTokenizer.load(g.dir("seqcls"), 64)) {
            for (int i = 0; i < texts.size(); i++) {
                long[] want = java.util.Arrays.copyOf(ids[i], (int) java.util.Arrays.stream(mask[i]).sum());
                assertArrayEquals(want, tok.encode(texts.get(i).getAsString()).getIds(), family + " row " + i);
            }
        }
    }
}
