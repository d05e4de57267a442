package bertft.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import bertft.UserError;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class DebertaV2Test {

    /** The golden's architecture: relative attention only, shared keys, c2p + p2c, 8 buckets (so T > 4 is logged). */
    static BertConfig v3Like() {
        return config("""
                {"model_type": "deberta-v2", "vocab_size": 99, "hidden_size": 32, "num_hidden_layers": 2,
                 "num_attention_heads": 4, "intermediate_size": 37, "max_position_embeddings": 64,
                 "relative_attention": true, "position_buckets": 8, "pos_att_type": ["p2c", "c2p"],
                 "share_att_key": true, "position_biased_input": false, "norm_rel_ebd": "layer_norm"}""");
    }

    /** Every optional part: absolute positions, token types, embed_proj, separate position projections. */
    static BertConfig everyPart() {
        return config("""
                {"model_type": "deberta-v2", "vocab_size": 99, "hidden_size": 32, "embedding_size": 16,
                 "num_hidden_layers": 2, "num_attention_heads": 4, "intermediate_size": 37,
                 "max_position_embeddings": 64, "type_vocab_size": 2, "relative_attention": true,
                 "max_relative_positions": 6, "pos_att_type": "c2p|p2c", "share_att_key": false,
                 "position_biased_input": true, "hidden_act": "gelu_new"}""");
    }

    static BertConfig config(String json) {
        return BertConfig.fromJson(JsonParser.parseString(json).getAsJsonObject(), "config.json");
    }

    @Test
    void shapesFollowTheConfig() {
        Map<String, long[]> v3 = DebertaV2.shapes(v3Like());
        assertArrayEquals(new long[] {16, 32}, v3.get("encoder.rel_embeddings.weight")); // 2 * position_buckets
        assertTrue(v3.containsKey("encoder.LayerNorm.weight"));
        assertFalse(v3.containsKey("embeddings.position_embeddings.weight"));
        assertFalse(v3.containsKey("embeddings.token_type_embeddings.weight"));
        assertFalse(v3.keySet().stream().anyMatch(k -> k.contains("pos_key_proj")));
        Map<String, long[]> all = DebertaV2.shapes(everyPart());
        assertArrayEquals(new long[] {12, 32}, all.get("encoder.rel_embeddings.weight")); // 2 * max_relative_positions
        assertArrayEquals(new long[] {32, 16}, all.get("embeddings.embed_proj.weight"));
        assertArrayEquals(new long[] {99, 16}, all.get("embeddings.word_embeddings.weight"));
        assertArrayEquals(new long[] {64, 16}, all.get("embeddings.position_embeddings.weight"));
        assertArrayEquals(new long[] {32, 32}, all.get("encoder.layer.1.attention.self.pos_query_proj.weight"));
        assertTrue(all.containsKey("encoder.layer.0.attention.self.pos_key_proj.bias"));
        assertFalse(all.containsKey("encoder.LayerNorm.weight"));
    }

    @Test
    void relativePositionsAreLogBucketedAsHuggingFaceDoes() {
        // buckets 16, max 64: mid 8; beyond it ceil(ln(|r| / 8) / ln(63 / 8) * 7) + 8, worked by hand
        assertEquals(7, DebertaV2.relativePosition(7, 16, 64));
        assertEquals(-8, DebertaV2.relativePosition(-8, 16, 64));
        assertEquals(9, DebertaV2.relativePosition(9, 16, 64)); // ln(9/8)/ln(7.875)*7 = 0.40 -> 1
        assertEquals(11, DebertaV2.relativePosition(16, 16, 64)); // ln 2 / ln 7.875 * 7 = 2.35 -> 3
        assertEquals(-11, DebertaV2.relativePosition(-16, 16, 64));
        assertEquals(15, DebertaV2.relativePosition(63, 16, 64)); // exactly 7 -> 7
        assertEquals(17, DebertaV2.relativePosition(100, 16, 64)); // ln 12.5 / ln 7.875 * 7 = 8.57 -> 9
        assertEquals(-40, DebertaV2.relativePosition(-40, -1, 64)); // no buckets: the plain distance
    }

    @Test
    void paddingDoesNotChangeRealTokens() {
        // 12 real tokens against 8 buckets: distances beyond 4 go through the log buckets
        for (BertConfig c : List.of(v3Like(), everyPart())) {
            try (DebertaV2 model = DebertaV2.random(c, 1); NDManager m = NDManager.newBaseManager()) {
                long[] ids = {0, 5, 17, 42, 8, 91, 33, 12, 7, 64, 30, 2};
                NDArray alone = model.forward(m.create(ids, new Shape(1, 12)), null,
                        m.ones(new Shape(1, 12), DataType.INT64), false);
                long[] padded = Arrays.copyOf(ids, 20);
                Arrays.fill(padded, 12, 20, 1);
                long[] mask = new long[20];
                Arrays.fill(mask, 0, 12, 1);
                NDArray both = model.forward(m.create(padded, new Shape(1, 20)), null, m.create(mask, new Shape(1, 20)),
                        false);
                assertArrayEquals(alone.toFloatArray(), both.get(":, :12, :").toFloatArray(), 1e-5f);
                // HuggingFace zeroes padded embeddings and gives padded queries no attention: still finite there
                float[] pad = both.get(":, 12:, :").toFloatArray();
                for (float f : pad) {
                    assertTrue(Float.isFinite(f));
                }
            }
        }
    }

    @Test
    void dropoutOnlyInTraining() {
        try (DebertaV2 model = DebertaV2.random(v3Like(), 3); NDManager m = NDManager.newBaseManager()) {
            NDArray ids = m.create(new long[] {0, 50, 60, 61, 62, 2}, new Shape(1, 6));
            NDArray mask = m.ones(new Shape(1, 6), DataType.INT64);
            float[] eval1 = model.forward(ids, null, mask, false).toFloatArray();
            float[] eval2 = model.forward(ids, null, mask, false).toFloatArray();
            float[] train = model.forward(ids, null, mask, true).toFloatArray();
            assertArrayEquals(eval1, eval2);
            assertFalse(Arrays.equals(eval1, train), "dropout must change training outputs");
        }
    }

    @Test
    void everyParameterReceivesAFiniteGradient() {
        for (BertConfig c : List.of(v3Like(), everyPart())) {
            try (DebertaV2 model = DebertaV2.random(c, 4); NDManager m = NDManager.newBaseManager()) {
                model.params().values().forEach(p -> p.setRequiresGradient(true));
                NDArray ids = m.create(new long[] {0, 50, 60, 2, 70, 71, 72, 73, 74, 2, 0, 5, 6, 2, 1, 1, 1, 1, 1, 1},
                        new Shape(2, 10));
                NDArray types = m.create(new long[] {0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0},
                        new Shape(2, 10));
                NDArray mask = m.create(new long[] {1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0},
                        new Shape(2, 10));
                try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                    NDArray h = model.forward(ids, types, mask, true);
                    gc.backward(h.mul(h.get(":, :1, :")).sum()); // every token against the first, so all positions matter
                }
                List<String> bad = new ArrayList<>();
                for (Map.Entry<String, NDArray> e : model.params().entrySet()) {
                    NDArray g = e.getValue().getGradient();
                    g.attach(m);
                    float norm = g.abs().sum().getFloat();
                    if (norm == 0f || !Float.isFinite(norm)) {
                        bad.add(e.getKey() + " " + norm);
                    }
                }
                assertEquals(List.of(), bad);
                assertEquals(DebertaV2.shapes(c).keySet(), model.params().keySet());
            }
        }
    }

    @Test
    void unsupportedOrBadSettingsAreNamed() {
        JsonObject base = v3Like().json();
        String[][] cases = {
            {"conv_kernel_size", "3", "conv_kernel_size 3"},
            {"pos_att_type", "[\"p2p\"]", "pos_att_type 'p2p'"},
            {"norm_rel_ebd", "\"batch_norm\"", "norm_rel_ebd 'batch_norm'"},
            {"share_att_key", "\"yes\"", "share_att_key \"yes\" is not true or false"},
            {"attention_head_size", "4", "attention_head_size 4"},
        };
        for (String[] c : cases) {
            JsonObject o = base.deepCopy();
            o.add(c[0], JsonParser.parseString(c[1]));
            UserError e = assertThrows(UserError.class, () -> DebertaV2.shapes(
                    BertConfig.fromJson(o, "config.json")), c[0]);
            assertTrue(e.getMessage().startsWith("config.json: " + c[2]), e.getMessage());
        }
    }

    @Test
    void configKeepsItsFamilyWhenWritten() {
        BertConfig c = v3Like();
        assertEquals("deberta-v2", c.modelType());
        assertEquals(0, c.typeVocabSize()); // DebertaV2Config's default
        assertEquals(1e-7, c.layerNormEps());
        assertEquals("deberta-v2", c.toJson().get("model_type").getAsString());
        assertEquals(8, c.toJson().get("position_buckets").getAsInt());
        assertEquals(1e-12, BertConfig.fromJson(BertConfig.of(99, 32, 2, 4, 37, 64).toJson(), "x").layerNormEps());
    }
}
