package bertft.run;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import bertft.checkpoint.SafeTensors;
import bertft.checkpoint.TensorData;
import bertft.cli.CliTest;
import bertft.model.AdapterDir;
import bertft.model.Checkpoint;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * {@code strategy: lora | ia3 | bitfit} on the one loop: only the head and the added (or selected) parameters train,
 * the run directory is a PEFT adapter (plus config and tokenizer) that loads by itself, and its head comes back.
 */
class PeftTrainTest {
    static Path task(Path tmp, Path base, String strategy, String extra) throws IOException {
        FamilyTrainTest.data(tmp, "train.csv", 128, 1);
        FamilyTrainTest.data(tmp, "dev.csv", 32, 2);
        return Files.writeString(tmp.resolve("t.yaml"), String.join("\n", "task: classification", "model: " + base,
                "data-dir: " + tmp, "train: train.csv", "validation: dev.csv", "labels: [neg, pos]", "max-length: 16",
                "batch-size: 16", extra.contains("epochs") ? "" : "epochs: 6",
                extra.contains("learning-rate") ? "" : "learning-rate: 5e-3", "strategy: " + strategy,
                extra.contains("eval-every") ? "" : "eval-every: 1 epoch", extra, ""));
    }

    static JsonObject metrics(Path run) throws IOException {
        JsonObject report = JsonParser.parseString(Files.readString(run.resolve("report.json"))).getAsJsonObject();
        return report.getAsJsonObject("validation").getAsJsonObject("metrics");
    }

    @ParameterizedTest
    @CsvSource({"bert,lora", "distilbert,lora", "roberta,lora", "deberta-v2,lora", "electra,ia3", "bert,ia3"})
    void anAdapterRunIsAPeftDirectoryWithItsHead(String family, String strategy, @TempDir Path tmp) throws IOException {
        Path base = FamilyTrainTest.randomBase(family, tmp.resolve("base"));
        Path task = task(tmp, base, strategy, "learning-rate: 3e-2\nepochs: 3");
        Path out = tmp.resolve("run");
        var r = CliTest.run("train", task.toString(), "--out", out.toString(), "--seed", "3");
        assertEquals(0, r.code(), r.err());
        assertTrue(Files.exists(out.resolve(AdapterDir.CONFIG)) && Files.exists(out.resolve(AdapterDir.WEIGHTS)));
        assertFalse(Files.exists(out.resolve("model.safetensors")), "the base weights are not copied");
        JsonObject cfg = JsonParser.parseString(Files.readString(out.resolve(AdapterDir.CONFIG))).getAsJsonObject();
        assertEquals(strategy.toUpperCase(), cfg.get("peft_type").getAsString());
        assertEquals("SEQ_CLS", cfg.get("task_type").getAsString());
        assertEquals(base.toAbsolutePath().normalize().toString(), cfg.get("base_model_name_or_path").getAsString());
        Map<String, TensorData> saved = SafeTensors.read(out.resolve(AdapterDir.WEIGHTS));
        Set<String> save = new TreeSet<>();
        cfg.getAsJsonArray("modules_to_save").forEach(e -> save.add(e.getAsString()));
        Checkpoint baseCkpt = Checkpoint.read(base);
        String prefix = baseCkpt.config().family().prefix();
        for (String k : saved.keySet()) {
            String name = k.substring("base_model.model.".length());
            boolean adapter = name.endsWith(".lora_A.weight") || name.endsWith(".lora_B.weight") || name.endsWith(".ia3_l");
            boolean head = save.stream().anyMatch(m -> name.startsWith(m + ".") || name.startsWith(prefix + "." + m + "."));
            assertTrue(adapter || head, k + " is the adapter's or a module to save " + save);
        }
        assertTrue(saved.keySet().stream().anyMatch(k -> k.contains("classifier")), "the head is saved: " + saved.keySet());
        // evaluate loads the directory again (base + adapter + saved head) and scores the kept model as training did:
        // a head that came back random, or an adapter left out, would not
        var e = CliTest.run("evaluate", "--model", out.toString(), "--data", tmp.resolve("dev.csv").toString(), "--out",
                tmp.resolve("eval").toString());
        assertEquals(0, e.code(), e.err());
        JsonObject trained = metrics(out);
        JsonObject reloaded = metrics(tmp.resolve("eval"));
        System.out.printf("%s %s: validation %s, reloaded %s%n", family, strategy, trained, reloaded);
        assertEquals(trained.get("loss").getAsDouble(), reloaded.get("loss").getAsDouble(), 1e-4);
        assertEquals(trained.get("accuracy").getAsDouble(), reloaded.get("accuracy").getAsDouble(), 1e-9);
        // classify loads the run by its directory alone
        var c = CliTest.run("classify", "--model", out.toString(), "--text", "w31 w40 w10");
        assertEquals(0, c.code(), c.err());
        assertTrue(c.out().contains("neg") || c.out().contains("pos"), c.out());
    }

    /** The frozen weights get no gradient and no optimizer state; they are the base's when training stops. */
    @Test
    void onlyTheAdapterAndTheHeadHaveOptimizerState(@TempDir Path tmp) throws IOException {
        Path base = FamilyTrainTest.randomBase("bert", tmp.resolve("base"));
        Path task = task(tmp, base, "lora", "eval-every: 4");
        Path part = tmp.resolve("part");
        TrainJobTest.trainKilledAfterStep(8, task, part);
        Map<String, TensorData> moments = SafeTensors.read(part.resolve("last/optimizer.safetensors"));
        Set<String> names = new TreeSet<>();
        moments.keySet().forEach(k -> names.add(k.substring(2)));
        for (String n : names) {
            assertTrue(n.contains(".lora_") || n.startsWith("classifier.") || n.startsWith("bert.pooler."), n);
        }
        assertTrue(names.contains("bert.encoder.layer.0.attention.self.query.lora_B.weight"), names.toString());
        assertFalse(names.contains("bert.encoder.layer.0.attention.self.query.weight"));
        Map<String, TensorData> now = SafeTensors.read(part.resolve("last/model.safetensors"));
        Map<String, TensorData> was = Checkpoint.read(base).encoder();
        for (String k : List.of("encoder.layer.0.attention.self.query.weight", "encoder.layer.1.output.dense.bias",
                "embeddings.word_embeddings.weight")) {
            assertArrayEquals(was.get(k).toFloats(), now.get("bert." + k).toFloats(), k + " is frozen");
        }
        float[] b = SafeTensors.read(part.resolve("last/" + Loop.ADAPTER_STATE))
                .get("encoder.layer.0.attention.self.query.lora_B.weight").toFloats();
        assertTrue(java.util.stream.IntStream.range(0, b.length).anyMatch(i -> b[i] != 0), "B has trained away from 0");
        // and the run resumes from there (the adapter comes back from the resume state)
        var resumed = CliTest.run("train", "--resume", part.toString());
        assertEquals(0, resumed.code(), resumed.err());
        assertTrue(Files.exists(part.resolve(AdapterDir.WEIGHTS)));
    }

    /** BitFit trains the biases and the head; every other weight stays the base's. */
    @Test
    void bitfitTrainsBiasesOnly(@TempDir Path tmp) throws IOException {
        Path base = FamilyTrainTest.randomBase("bert", tmp.resolve("base"));
        Path out = tmp.resolve("run");
        var r = CliTest.run("train", task(tmp, base, "bitfit", "").toString(), "--out", out.toString());
        assertEquals(0, r.code(), r.err());
        Map<String, TensorData> was = Checkpoint.read(base).encoder();
        Map<String, TensorData> now = Checkpoint.read(out).encoder();
        boolean biasMoved = false;
        for (Map.Entry<String, TensorData> e : was.entrySet()) {
            boolean same = java.util.Arrays.equals(e.getValue().toFloats(), now.get(e.getKey()).toFloats());
            if (e.getKey().endsWith(".bias")) {
                biasMoved |= !same;
            } else {
                assertTrue(same, e.getKey() + " is frozen under bitfit");
            }
        }
        assertTrue(biasMoved, "biases train");
        JsonObject report = JsonParser.parseString(Files.readString(out.resolve("report.json"))).getAsJsonObject();
        long trainable = report.getAsJsonObject("training").get("trainable_parameters").getAsLong();
        assertTrue(trainable > 0 && trainable < 5000, "trainable parameters " + trainable);
    }

    /** CoNLL sentences over the golden vocabulary: w10..w12 a person, w20 w21 a place, other words O. */
    static void conll(Path file, int n, long seed) throws IOException {
        java.util.Random r = new java.util.Random(seed);
        List<String> lines = new java.util.ArrayList<>();
        for (int s = 0; s < n; s++) {
            for (int k = 0; k < 2 + r.nextInt(8); k++) {
                int kind = r.nextInt(6);
                if (kind == 0) {
                    lines.add("w" + (10 + r.nextInt(3)) + "\tB-per");
                } else if (kind == 1) {
                    lines.addAll(List.of("w20\tB-loc", "w21\tI-loc"));
                } else {
                    lines.add("w" + (30 + r.nextInt(40)) + "\tO");
                }
            }
            lines.add("");
        }
        Files.write(file, lines);
    }

    /** SQuAD paragraphs over the golden vocabulary: the answer is the word after w5, the question "w5 w6". */
    static void squad(Path file, int n, long seed) throws IOException {
        java.util.Random r = new java.util.Random(seed);
        com.google.gson.JsonArray paragraphs = new com.google.gson.JsonArray();
        for (int i = 0; i < n; i++) {
            List<String> words = new java.util.ArrayList<>();
            for (int k = 0; k < 6 + r.nextInt(8); k++) {
                words.add("w" + (30 + r.nextInt(40)));
            }
            String answer = "w" + (10 + r.nextInt(5));
            words.add(r.nextInt(words.size()), "w5 " + answer);
            String ctx = String.join(" ", words);
            paragraphs.add(JsonParser.parseString("{\"context\": \"" + ctx + "\", \"qas\": [{\"id\": \"q" + i
                    + "\", \"question\": \"w5 w6\", \"answers\": [{\"text\": \"" + answer + "\", \"answer_start\": "
                    + (ctx.indexOf("w5 " + answer) + 3) + "}]}]}"));
        }
        JsonObject root = JsonParser.parseString("{\"version\": \"1.1\", \"data\": [{\"title\": \"t\"}]}")
                .getAsJsonObject();
        root.getAsJsonArray("data").get(0).getAsJsonObject().add("paragraphs", paragraphs);
        Files.writeString(file, root.toString());
    }

    /**
     * QA and token-classification adapter runs are PEFT directories of their task ({@code QUESTION_ANS} with
     * {@code qa_outputs}, {@code TOKEN_CLS} with {@code classifier} as modules_to_save: what
     * {@code PeftModelForQuestionAnswering} / {@code ForTokenClassification} save, and no pooler, which their models
     * do not have), reload as that task, and merge into a checkpoint Transformers loads without unexpected keys.
     * ({@code scripts/check-peft.py} loads such runs in PEFT: docs/peft.md.)
     */
    @ParameterizedTest
    @CsvSource({"bert,qa", "bert,token-classification", "roberta,qa", "distilbert,token-classification"})
    void qaAndTokenAdapterRunsArePeftDirectoriesOfTheirTask(String family, String task, @TempDir Path tmp)
            throws IOException {
        Path base = FamilyTrainTest.GOLDEN.resolve(family).resolve("base"); // BERT's and RoBERTa's have a pooler
        boolean qa = task.equals("qa");
        if (qa) {
            squad(tmp.resolve("train.json"), 48, 1);
            squad(tmp.resolve("dev.json"), 16, 2);
        } else {
            conll(tmp.resolve("train.conll"), 48, 1);
            conll(tmp.resolve("dev.conll"), 16, 2);
        }
        String ext = qa ? "json" : "conll";
        Path t = Files.writeString(tmp.resolve("t.yaml"), String.join("\n", "task: " + task, "model: " + base,
                "data-dir: " + tmp, "train: train." + ext, "validation: dev." + ext, "max-length: 32",
                qa ? "doc-stride: 8\nmax-query-length: 8" : "", "batch-size: 16", "epochs: 1", "learning-rate: 1e-2",
                "strategy: lora", "lora-r: 4", ""));
        Path out = tmp.resolve("run");
        var r = CliTest.run("train", t.toString(), "--out", out.toString(), "--seed", "3");
        assertEquals(0, r.code(), r.err());
        JsonObject cfg = JsonParser.parseString(Files.readString(out.resolve(AdapterDir.CONFIG))).getAsJsonObject();
        assertEquals(qa ? "QUESTION_ANS" : "TOKEN_CLS", cfg.get("task_type").getAsString());
        assertEquals("[\"" + (qa ? "qa_outputs" : "classifier") + "\"]", cfg.get("modules_to_save").toString());
        Set<String> keys = SafeTensors.read(out.resolve(AdapterDir.WEIGHTS)).keySet();
        assertTrue(keys.stream().noneMatch(k -> k.contains("pooler")), keys.toString());
        try (TrainedModel m = TrainedModel.load(out)) {
            assertEquals(qa ? bertft.task.TaskSpec.Kind.QA : bertft.task.TaskSpec.Kind.TOKEN_CLASSIFICATION, m.kind());
        }
        var merge = CliTest.run("merge", out.toString(), "--out", tmp.resolve("merged").toString());
        assertEquals(0, merge.code(), merge.err());
        Checkpoint merged = Checkpoint.read(tmp.resolve("merged"));
        assertTrue(merged.encoder().keySet().stream().noneMatch(k -> k.startsWith("pooler.")),
                "HuggingFace's " + task + " models have no pooler; the merged checkpoint has one");
        assertTrue(merged.heads().containsKey((qa ? "qa_outputs" : "classifier") + ".weight"), merged.heads().keySet()
                .toString());
    }
}
