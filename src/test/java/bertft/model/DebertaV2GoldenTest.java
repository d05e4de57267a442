package bertft.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.BiFunction;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A tiny random DeBERTa-v2 (relative attention, 16 position buckets, c2p + p2c, shared keys, no absolute
 * positions) against HuggingFace Transformers 4.31 ({@code ../shared/golden/families/deberta-v2}).
 */
class DebertaV2GoldenTest {
    static final Path DIR = Paths.get("..", "shared", "golden", "families", "deberta-v2");
    static JsonObject golden;
    static long[][] ids;
    static long[][] mask;

    @BeforeAll
    static void load() throws IOException {
        golden = JsonParser.parseString(Files.readString(DIR.resolve("golden.json"))).getAsJsonObject();
        ids = longs(golden.getAsJsonArray("input_ids"));
        mask = longs(golden.getAsJsonArray("attention_mask"));
    }

    @Test
    void lastHiddenStateMatchesWithin1e4() {
        double worst = run("base", (model, h) -> h, "base_last_hidden_state");
        System.out.println("deberta-v2 base_last_hidden_state max |diff| " + worst);
        assertTrue(worst < 1e-4, "max |diff| " + worst);
    }

    @Test
    void sequenceClassificationLogitsMatch() {
        // DebertaV2ForSequenceClassification: ContextPooler (dense on token 0, pooler_hidden_act) -> classifier
        BiFunction<Heads, NDArray, NDArray> head = (m, h) -> m.linear(
                Ops.activation(m.linear(h.get(":, 0, :"), "pooler.dense"), m.config.json().get("pooler_hidden_act")
                        .getAsString()), "classifier");
        for (String key : new String[] {"seqcls_logits", "seqcls_logits_single"}) {
            double worst = run("seqcls", head, key);
            System.out.println("deberta-v2 " + key + " max |diff| " + worst);
            assertTrue(worst < 1e-4, key + " max |diff| " + worst);
        }
    }

    @Test
    void questionAnsweringLogitsMatch() {
        for (int side = 0; side < 2; side++) {
            String key = side == 0 ? "qa_start_logits" : "qa_end_logits";
            String index = ":, :, " + side;
            double worst = run("qa", (m, h) -> m.linear(h, "qa_outputs").get(index), key); // (B, T, 2) -> (B, T)
            System.out.println("deberta-v2 " + key + " max |diff| " + worst);
            assertTrue(worst < 1e-4, key + " max |diff| " + worst);
        }
    }

    /** A checkpoint's head weights, with the head math a test needs. */
    record Heads(BertConfig config, Map<String, NDArray> head) {
        NDArray linear(NDArray x, String name) {
            return x.matMul(head.get(name + ".weight").transpose()).add(head.get(name + ".bias"));
        }
    }

    /**
     * Runs {@code dir}'s model on the golden inputs and returns the largest difference to {@code key} over real
     * (unpadded) positions. DeBERTa-v3 has no token types, so the model sees none, for *_single outputs too.
     */
    private static double run(String dir, BiFunction<Heads, NDArray, NDArray> head, String key) {
        Checkpoint ckpt = Checkpoint.read(DIR.resolve(dir)); // through the family registry: deberta. prefix, heads
        BertConfig config = ckpt.config();
        try (Encoder encoder = config.family().encoder().build(config, ckpt.encoder(), dir);
                NDManager m = NDManager.newBaseManager()) {
            assertTrue(encoder instanceof DebertaV2);
            Map<String, NDArray> headParams = new LinkedHashMap<>();
            ckpt.heads().forEach((k, t) -> headParams.put(k, m.create(t.data().duplicate(), new Shape(t.shape()),
                    DataType.FLOAT32)));
            int b = ids.length;
            int t = ids[0].length;
            NDArray inputIds = m.create(flat(ids), new Shape(b, t));
            NDArray attention = m.create(flat(mask), new Shape(b, t));
            NDArray hidden = encoder.forward(inputIds, null, attention, false);
            assertEquals(new Shape(b, t, config.hiddenSize()), hidden.getShape());
            NDArray out = head.apply(new Heads(config, headParams), hidden);
            float[] got = out.toFloatArray();
            float[] want = flatFloats(golden.get(key));
            assertEquals(want.length, got.length, key);
            int perRow = got.length / b;
            int perToken = perRow / t; // 0 for per-sequence outputs
            double real = 0;
            double all = 0;
            for (int i = 0; i < got.length; i++) {
                double diff = Math.abs(got[i] - want[i]);
                all = Math.max(all, diff);
                if (perToken == 0 || mask[i / perRow][(i % perRow) / perToken] == 1) {
                    real = Math.max(real, diff);
                }
            }
            // Padded positions are not meaningful, yet HuggingFace's are deterministic: matching them too pins
            // XSoftmax's zero rows for padded queries (without them, padded positions differ by about 2).
            assertTrue(all < 1e-4, key + " at padded positions: max |diff| " + all);
            return real;
        }
    }

    static long[][] longs(JsonArray rows) {
        long[][] out = new long[rows.size()][];
        for (int i = 0; i < out.length; i++) {
            JsonArray r = rows.get(i).getAsJsonArray();
            out[i] = new long[r.size()];
            for (int j = 0; j < r.size(); j++) {
                out[i][j] = r.get(j).getAsLong();
            }
        }
        return out;
    }

    static long[] flat(long[][] rows) {
        return java.util.Arrays.stream(rows).flatMapToLong(java.util.Arrays::stream).toArray();
    }

    static float[] flatFloats(JsonElement e) {
        java.util.List<Float> out = new java.util.ArrayList<>();
        collect(e, out);
        float[] f = new float[out.size()];
        for (int i = 0; i < f.length; i++) {
            f[i] = out.get(i);
        }
        return f;
    }

    private static void collect(JsonElement e, java.util.List<Float> out) {
        if (e.isJsonArray()) {
            e.getAsJsonArray().forEach(x -> collect(x, out));
        } else {
            out.add(e.getAsFloat());
        }
    }
}
