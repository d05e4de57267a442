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
}
