package bertft.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import bertft.checkpoint.PyTorchBin;
import bertft.checkpoint.SafeTensors;
import bertft.checkpoint.TensorData;
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
import java.util.Map;
import org.junit.jupiter.api.io.TempDir;
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

    /** A config value, numbers compared as numbers (64 == 64.0). */
    static Object value(JsonElement e) {
        return e.isJsonPrimitive() && e.getAsJsonPrimitive().isNumber() ? (Object) e.getAsDouble() : e;
    }

    static Encoder encoder(Path dir) {
        Checkpoint c = Checkpoint.read(dir);
        return c.config().family().encoder().build(c.config(), c.encoder(), dir.toString());
    }

    @ParameterizedTest
    @ValueSource(strings = {"bert", "distilbert", "roberta", "xlm-roberta", "electra", "deberta-v2"})
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
    void sequenceClassificationLogitsMatch(String family) {
        Golden g = Golden.of(family);
        try (TaskModel model = TaskModel.load(Checkpoint.read(g.dir("seqcls")), TaskModel.Head.CLASSIFIER, family);
                NDManager m = NDManager.newBaseManager()) {
            for (boolean types : new boolean[] {true, false}) {
                String key = types && g.json().has("token_type_ids") ? "seqcls_logits" : "seqcls_logits_single";
                double err = maxError(model.forward(g.batch(m, types)).toFloatArray(), floats(g.json().get(key)),
                        null, 1);
                System.out.printf("%s %s max abs error %.2e%n", family, key, err);
                assertTrue(err < 1e-4, family + " " + key + ": max |diff| " + err);
            }
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"bert", "distilbert", "roberta", "xlm-roberta", "electra", "deberta-v2"})
    void questionAnsweringLogitsMatch(String family) {
        Golden g = Golden.of(family);
        long[] mask = flat(g.ints("attention_mask"));
        try (TaskModel model = TaskModel.load(Checkpoint.read(g.dir("qa")), TaskModel.Head.QA, family);
                NDManager m = NDManager.newBaseManager()) {
            NDArray logits = model.forward(g.batch(m, true)); // (B, T, 2)
            double start = maxError(logits.get(":, :, 0").toFloatArray(), floats(g.json().get("qa_start_logits")),
                    mask, 1);
            double end = maxError(logits.get(":, :, 1").toFloatArray(), floats(g.json().get("qa_end_logits")), mask,
                    1);
            System.out.printf("%s qa start/end max abs error %.2e %.2e%n", family, start, end);
            assertTrue(Math.max(start, end) < 1e-4, family + ": max |diff| " + start + " / " + end);
        }
    }

    /**
     * BERT's QA and token heads are built without a pooler, as Transformers builds them (add_pooling_layer=False): a
     * saved pooler was an unexpected key when BertForQuestionAnswering loaded a run (scripts/check-hf-heads.py).
     */
    @org.junit.jupiter.api.Test
    void bertsQaAndTokenModelsHaveNoPooler() {
        Checkpoint base = Checkpoint.read(Golden.of("bert").dir("base"));
        assertTrue(base.encoder().containsKey("pooler.dense.weight"), "the base model has a pooler");
        for (TaskModel.Head head : new TaskModel.Head[] {TaskModel.Head.QA, TaskModel.Head.TOKEN}) {
            try (TaskModel m = TaskModel.create(base, head, 2, TaskModel.Pooling.POOLER, 0.1, 5, "test", false)) {
                List<String> pooler = m.checkpoint(new JsonObject()).encoder().keySet().stream()
                        .filter(k -> k.startsWith("pooler.")).toList();
                assertEquals(List.of(), pooler, head.toString());
            }
        }
    }

    /** A loaded task model saved again is the family's HuggingFace layout, and reads back bit-identical. */
    @ParameterizedTest
    @ValueSource(strings = {"bert", "distilbert", "roberta", "xlm-roberta", "electra", "deberta-v2"})
    void savesTheFamilysOwnLayoutAndLoadsBackBitIdentical(String family, @TempDir Path tmp) {
        Golden g = Golden.of(family);
        for (String kind : List.of("seqcls", "qa")) {
            TaskModel.Head head = kind.equals("qa") ? TaskModel.Head.QA : TaskModel.Head.CLASSIFIER;
            Path out = tmp.resolve(kind);
            Checkpoint saved;
            try (TaskModel model = TaskModel.load(Checkpoint.read(g.dir(kind)), head, family);
                    BertTokenizer tok = BertTokenizer.load(g.dir(kind), 64)) {
                saved = model.checkpoint(new JsonObject());
                saved.write(out, tok);
            }
            Map<String, TensorData> original = PyTorchBin.read(g.dir(kind).resolve("pytorch_model.bin"));
            Map<String, TensorData> written = SafeTensors.read(out.resolve("model.safetensors"));
            assertEquals(new java.util.TreeSet<>(original.keySet()), new java.util.TreeSet<>(written.keySet()),
                    family + " " + kind);
            original.forEach((k, v) -> assertEquals(v.data(), written.get(k).data(), k));
            JsonObject config = BertConfig.read(out.resolve("config.json")).json();
            JsonObject want = BertConfig.read(g.dir(kind).resolve("config.json")).json();
            assertEquals(want.get("architectures"), config.get("architectures"));
            assertEquals(want.get("model_type"), config.get("model_type"));
            for (String k : want.keySet()) {
                if (!k.equals("transformers_version") && !k.endsWith("dropout")) {
                    assertTrue(config.has(k), family + " " + kind + ": config.json lost " + k);
                    assertEquals(value(want.get(k)), value(config.get(k)), family + " " + kind + ": " + k);
                }
            }
            Checkpoint back = Checkpoint.read(out);
            saved.encoder().forEach((k, v) -> assertEquals(v.data(), back.encoder().get(k).data(), k));
            saved.heads().forEach((k, v) -> assertEquals(v.data(), back.heads().get(k).data(), k));
            assertEquals(saved.encoder().keySet(), back.encoder().keySet());
            assertEquals(saved.heads().keySet(), back.heads().keySet());
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
