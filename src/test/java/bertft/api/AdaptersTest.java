package bertft.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import bertft.Tiny;
import bertft.UserError;
import bertft.infer.InferenceRuntime;
import bertft.model.TaskModel;
import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Many adapters on one base ({@link Adapters}): each adapter predicts what it predicts loaded alone (merged), in
 * batches of its own and in batches mixed with other adapters, and PEFT's own logits for Python-made adapters.
 */
class AdaptersTest {
    static final List<String> TEXTS = List.of("the movie was great", "awful price and bad battery",
            "it was the phone", "love it", "the product was and it movie price terrible hate", "bad",
            "the phone was great and it was a movie");
    static final Path PEFT = Paths.get("..", "shared", "golden", "peft");

    static void close(double[] want, double[] got, double tol, String what) {
        assertEquals(want.length, got.length, what);
        for (int c = 0; c < want.length; c++) {
            assertEquals(want[c], got[c], tol, what + " logit " + c);
        }
    }

    @Test
    void eachAdapterPredictsAsItDoesAloneInBatchesOfItsOwnAndMixed(@TempDir Path tmp) {
        Path base = Tiny.checkpoint(tmp.resolve("base"), 1);
        Path a = Tiny.lora(tmp.resolve("a"), base, 2, TaskModel.Pooling.POOLER, "neg", "pos");
        Path b = Tiny.lora(tmp.resolve("b"), base, 3, TaskModel.Pooling.MEAN, "x", "y", "z");
        List<Prediction> aloneA;
        List<Prediction> aloneB;
        try (Classifier ca = Classifier.load(a.toString()); Classifier cb = Classifier.load(b.toString())) {
            aloneA = ca.predict(TEXTS);
            aloneB = cb.predict(TEXTS);
        }
        try (Adapters set = Adapters.load(base.toString(), ModelOptions.defaults().withBatchSize(3))) {
            set.add("a", a).add("b", b);
            assertEquals(List.of("a", "b"), set.names());
            assertEquals(List.of("neg", "pos"), set.classifier("a").labels());
            assertEquals(List.of("x", "y", "z"), set.classifier("b").info().labels());
            List<Prediction> ownA = set.classifier("a").predict(TEXTS);
            List<Prediction> ownB = set.classifier("b").predict(TEXTS);
            List<String> names = new ArrayList<>();
            List<String> texts = new ArrayList<>();
            for (int i = 0; i < TEXTS.size(); i++) { // every batch of 3 mixes both adapters
                names.add(i % 2 == 0 ? "a" : "b");
                texts.add(TEXTS.get(i));
                names.add(i % 2 == 0 ? "b" : "a");
                texts.add(TEXTS.get(i));
            }
            List<Prediction> mixed = set.predict(names, texts);
            for (int i = 0; i < TEXTS.size(); i++) {
                close(aloneA.get(i).logits(), ownA.get(i).logits(), 1e-5, "a alone vs shared, text " + i);
                close(aloneB.get(i).logits(), ownB.get(i).logits(), 1e-5, "b alone vs shared, text " + i);
                assertEquals(aloneA.get(i).label(), ownA.get(i).label());
                for (int k = 0; k < 2; k++) {
                    int row = 2 * i + k;
                    List<Prediction> alone = names.get(row).equals("a") ? aloneA : aloneB;
                    close(alone.get(i).logits(), mixed.get(row).logits(), 1e-5, names.get(row) + " mixed, row " + row);
                    assertEquals(alone.get(i).label(), mixed.get(row).label());
                }
            }
            // closing one adapter's classifier frees its head and adapter, not what the others share (base, tokenizer)
            set.classifier("a").close();
            close(aloneB.get(0).logits(), set.classifier("b").predict(TEXTS.get(0)).logits(), 1e-5, "b after a closed");
            // the adapters matter: the same text gives other logits through the other adapter's A and B
            try (Classifier plainHead = Classifier.load(a.toString())) {
                assertTrue(Math.abs(plainHead.predict(TEXTS.get(0)).logits()[0]
                        - set.classifier("b").predict(TEXTS.get(0)).logits()[0]) > 1e-3);
            }
        }
    }

    static JsonObject golden(String name) throws IOException {
        return JsonParser.parseString(Files.readString(PEFT.resolve(name).resolve("golden.json"))).getAsJsonObject();
    }

    static double[] row(JsonObject g, String key, int i) {
        JsonArray r = g.getAsJsonArray(key).get(i).getAsJsonArray();
        double[] out = new double[r.size()];
        for (int c = 0; c < out.length; c++) {
            out[c] = r.get(c).getAsDouble();
        }
        return out;
    }

    static List<String> texts(JsonObject g) {
        List<String> out = new ArrayList<>();
        g.getAsJsonArray("texts").forEach(t -> out.add(t.getAsString()));
        return out;
    }

    /** PEFT's LoRA and IA3 adapters of one BERT base, mixed row by row, give PEFT's logits. */
    @Test
    void pythonLoraAndIa3AdaptersOfOneBaseGivePeftsLogitsMixed() throws IOException {
        JsonObject lora = golden("bert-lora");
        JsonObject ia3 = golden("bert-ia3");
        List<String> texts = texts(lora);
        assertEquals(texts, texts(ia3));
        Path base = PEFT.resolve("bert-lora").resolve("../../families/bert/seqcls").normalize();
        try (Adapters set = Adapters.load(base.toString(), ModelOptions.defaults().withBatchSize(4))) {
            set.add("lora", PEFT.resolve("bert-lora")).add("ia3", PEFT.resolve("bert-ia3"));
            List<String> names = List.of("lora", "ia3", "ia3", "lora");
            List<String> rows = List.of(texts.get(0), texts.get(0), texts.get(1), texts.get(1));
            List<Prediction> p = set.predict(names, rows);
            close(row(lora, "adapter_logits", 0), p.get(0).logits(), 1e-4, "lora row 0");
            close(row(ia3, "adapter_logits", 0), p.get(1).logits(), 1e-4, "ia3 row 0");
            close(row(ia3, "adapter_logits", 1), p.get(2).logits(), 1e-4, "ia3 row 1");
            close(row(lora, "adapter_logits", 1), p.get(3).logits(), 1e-4, "lora row 1");
            // and neither is the base's
            assertTrue(Math.abs(p.get(0).logits()[0] - row(lora, "base_logits", 0)[0]) > 1e-3);
        }
    }

    /** Every family's PEFT LoRA adapter, alone and mixed with a copy of itself (DeBERTa: grouped by adapter). */
    @ParameterizedTest
    @ValueSource(strings = {"distilbert-lora", "roberta-lora", "xlm-roberta-lora", "electra-lora", "deberta-v2-lora"})
    void everyFamilysPeftAdapterGivesPeftsLogits(String name) throws IOException {
        JsonObject g = golden(name);
        List<String> texts = texts(g);
        Path base = PEFT.resolve(name).resolve(JsonParser.parseString(Files.readString(PEFT.resolve(name)
                .resolve("adapter_config.json"))).getAsJsonObject().get("base_model_name_or_path").getAsString())
                .normalize();
        try (Adapters set = Adapters.load(base.toString())) {
            set.add("one", PEFT.resolve(name)).add("two", PEFT.resolve(name));
            List<Prediction> p = set.predict(List.of("one", "two", "two", "one"),
                    List.of(texts.get(0), texts.get(0), texts.get(1), texts.get(1)));
            for (int i = 0; i < 4; i++) {
                close(row(g, "adapter_logits", i / 2), p.get(i).logits(), 1e-4, name + " row " + i);
            }
        }
    }

    @Test
    void anAdapterOfAnotherBaseANameTakenOrUnknownAndOnnxAreOneLineRefusals(@TempDir Path tmp) {
        Path base = Tiny.checkpoint(tmp.resolve("base"), 1);
        Path a = Tiny.lora(tmp.resolve("a"), base, 2, TaskModel.Pooling.MEAN, "neg", "pos");
        try (Adapters set = Adapters.load(base.toString())) {
            set.add("a", a);
            // another family (PEFT's DistilBERT adapter) and other sizes (PEFT's BERT adapter: another tiny config)
            String family = oneLine(() -> set.add("d", PEFT.resolve("distilbert-lora")));
            assertTrue(family.contains("another family"), family);
            Path other = Tiny.lora(tmp.resolve("other"), PEFT.resolve("bert-lora/../../families/bert/seqcls")
                    .normalize(), 3, TaskModel.Pooling.MEAN, "neg", "pos");
            String sizes = oneLine(() -> set.add("o", other));
            assertTrue(sizes.contains("was trained on a bert (hidden_size"), sizes);
            assertTrue(oneLine(() -> set.add("a", a)).contains("'a': given twice"));
            assertTrue(oneLine(() -> set.add("a/b", a)).contains("adapter name 'a/b'"));
            String unknown = oneLine(() -> set.predict(List.of("zz"), List.of("love it")));
            assertEquals("adapter 'zz': not loaded; the adapters are a", unknown);
            assertEquals(List.of("a"), set.names()); // the refused ones left nothing behind
            assertFalse(set.classifier("a").predict("love it").label().isEmpty());
        }
        String onnx = oneLine(() -> Adapters.load(base.toString(), ModelOptions.defaults()
                .withRuntime(InferenceRuntime.ONNX)));
        assertTrue(onnx.startsWith("runtime onnx: adapters share their base on libtorch only"), onnx);
        assertTrue(oneLine(() -> Adapters.load(a.toString())).contains("is an adapter; load its base model"));
    }

    static String oneLine(org.junit.jupiter.api.function.Executable call) {
        String m = assertThrows(UserError.class, call).getMessage();
        assertFalse(m.contains("\n"), m);
        return m;
    }
}
