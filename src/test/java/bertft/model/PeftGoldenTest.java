package bertft.model;

import static bertft.model.FamilyGoldenTest.flat;
import static bertft.model.FamilyGoldenTest.floats;
import static bertft.model.FamilyGoldenTest.maxError;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import bertft.text.Batch;
import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Adapters made by HuggingFace PEFT 0.5 ({@code ../shared/golden/peft}: LoRA for every family, IA3 for BERT) on the
 * tiny family classifiers: base + adapter (unmerged, through the encoder's adapted linear layers) and the merged
 * checkpoint give PEFT's logits within 1e-4.
 */
public class PeftGoldenTest {
    static final Path GOLDEN = Paths.get("..", "shared", "golden", "peft");

    static JsonObject golden(String name) throws IOException {
        return JsonParser.parseString(Files.readString(GOLDEN.resolve(name).resolve("golden.json"))).getAsJsonObject();
    }

    static long[][] ints(JsonObject g, String key) {
        JsonArray rows = g.getAsJsonArray(key);
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

    /** The golden inputs as a batch (no token types). */
    public static Batch batch(JsonObject g, NDManager m) {
        long[][] ids = ints(g, "input_ids");
        Shape shape = new Shape(ids.length, ids[0].length);
        long[] mask = flat(ints(g, "attention_mask"));
        return new Batch(m.create(flat(ids), shape), m.zeros(shape, DataType.INT64), m.create(mask, shape),
                java.util.Arrays.stream(mask).sum());
    }

    /** The base classifier with the adapter attached (not merged), as bert-ft trains one. */
    static TaskModel adapted(Path dir) {
        Path baseDir = AdapterDir.baseDir(dir, null);
        Checkpoint base = Checkpoint.read(baseDir);
        AdapterDir.Adapter a = AdapterDir.read(dir, base, baseDir.toString());
        TaskModel model = TaskModel.load(AdapterDir.withHead(base, a, dir), TaskModel.Head.CLASSIFIER, dir.toString());
        model.attach(Peft.load(a.config(), base.config(), a.adapter(), dir.toString()));
        return model;
    }

    @ParameterizedTest
    @ValueSource(strings = {"bert-lora", "distilbert-lora", "roberta-lora", "xlm-roberta-lora", "electra-lora",
            "deberta-v2-lora", "bert-ia3"})
    void adapterAndMergedLogitsMatchPeft(String name) throws IOException {
        JsonObject g = golden(name);
        Path dir = GOLDEN.resolve(name);
        List<Float> want = floats(g.get("adapter_logits"));
        try (NDManager m = NDManager.newBaseManager()) {
            Batch b = batch(g, m);
            try (TaskModel model = adapted(dir)) {
                NDArray logits = model.forward(b);
                double err = maxError(logits.toFloatArray(), want, null, 1);
                System.out.printf("%s base+adapter max abs error %.2e%n", name, err);
                assertTrue(err < 1e-4, name + " base+adapter: max |diff| " + err);
                // the adapter matters: without it the logits are the base's, far from these
                model.encoder().adapter(null);
                double off = maxError(model.forward(b).toFloatArray(), want, null, 1);
                assertTrue(off > 1e-2, name + ": the adapter changed nothing (" + off + ")");
            }
            try (TaskModel merged = TaskModel.load(Checkpoint.read(dir), TaskModel.Head.CLASSIFIER, name)) {
                float[] got = merged.forward(b).toFloatArray();
                double err = Math.max(maxError(got, floats(g.get("merged_logits")), null, 1), maxError(got, want, null, 1));
                System.out.printf("%s merged max abs error %.2e%n", name, err);
                assertTrue(err < 1e-4, name + " merged: max |diff| " + err);
                assertEquals(null, merged.peft());
            }
        }
    }

    static final Path QA_TOKEN = Paths.get("src", "test", "resources", "peft");

    /**
     * LoRA adapters made by PEFT 0.5 for question answering (QUESTION_ANS on the tiny families' QA models, qa_outputs
     * saved) and token classification (TOKEN_CLS on the base models loaded as *ForTokenClassification with 5 labels,
     * the new classifier saved), {@code scripts/make-peft-qa-token.py}: loaded as the commands load them (by the
     * directory alone, its base from base_model_name_or_path, the adapter merged in) and unmerged, the logits of every
     * unpadded position are PEFT's within 1e-4.
     */
    @ParameterizedTest
    @ValueSource(strings = {"bert-qa", "distilbert-qa", "roberta-qa", "xlm-roberta-qa", "electra-qa", "deberta-v2-qa",
            "bert-token", "distilbert-token", "roberta-token", "xlm-roberta-token", "electra-token",
            "deberta-v2-token"})
    void qaAndTokenAdaptersMatchPeft(String name) throws IOException {
        Path dir = QA_TOKEN.resolve(name);
        JsonObject g = JsonParser.parseString(Files.readString(dir.resolve("golden.json"))).getAsJsonObject();
        boolean qa = name.endsWith("-qa");
        TaskModel.Head head = qa ? TaskModel.Head.QA : TaskModel.Head.TOKEN;
        long[] mask = flat(ints(g, "attention_mask"));
        try (NDManager m = NDManager.newBaseManager()) {
            Batch b = batch(g, m);
            Checkpoint merged = Checkpoint.read(dir);
            assertTrue(TaskModel.hasHead(merged, head), name + " is read as a " + head + " model");
            assertTrue(merged.encoder().keySet().stream().noneMatch(k -> k.startsWith("pooler.")),
                    name + ": no pooler (HuggingFace's QA and token models have none, a merged one must not either)");
            try (TaskModel model = TaskModel.load(merged, head, name)) {
                double err = qaTokenError(model.forward(b), g.getAsJsonObject("merged"), qa, mask);
                System.out.printf("%s merged max abs error %.2e%n", name, err);
                assertTrue(err < 1e-4, name + " merged: max |diff| " + err);
            }
            Path baseDir = AdapterDir.baseDir(dir, null);
            Checkpoint base = Checkpoint.read(baseDir);
            AdapterDir.Adapter a = AdapterDir.read(dir, base, baseDir.toString());
            try (TaskModel model = TaskModel.load(AdapterDir.withHead(base, a, dir), head, name)) {
                model.attach(Peft.load(a.config(), base.config(), a.adapter(), dir.toString()));
                double err = qaTokenError(model.forward(b), g.getAsJsonObject("adapter"), qa, mask);
                System.out.printf("%s base+adapter max abs error %.2e%n", name, err);
                assertTrue(err < 1e-4, name + " base+adapter: max |diff| " + err);
            }
        }
    }

    /** Max |diff| on unpadded positions: QA (B, T, 2) against start and end logits, token (B, T, C) against logits. */
    static double qaTokenError(NDArray got, JsonObject want, boolean qa, long[] mask) {
        if (!qa) {
            int labels = (int) got.getShape().get(2);
            return maxError(got.toFloatArray(), floats(want.get("logits")), mask, labels);
        }
        return Math.max(maxError(got.get(":, :, 0").toFloatArray(), floats(want.get("start_logits")), mask, 1),
                maxError(got.get(":, :, 1").toFloatArray(), floats(want.get("end_logits")), mask, 1));
    }
}
