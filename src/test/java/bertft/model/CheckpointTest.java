package bertft.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import bertft.Tiny;
import bertft.UserError;
import bertft.checkpoint.SafeTensors;
import bertft.checkpoint.TensorData;
import bertft.model.Bert;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CheckpointTest {

    private static String error(Runnable r) {
        return assertThrows(UserError.class, r::run).getMessage();
    }

    @Test
    void keysWithBertPrefixAndHeadsAreSorted(@TempDir Path tmp) {
        Path dir = Tiny.checkpoint(tmp.resolve("m"), 1);
        Map<String, TensorData> w = new LinkedHashMap<>();
        SafeTensors.read(dir.resolve("model.safetensors")).forEach((k, v) -> w.put("bert." + k, v));
        w.put("classifier.weight", TensorData.of(new long[] {2, 32}, new float[64]));
        w.put("classifier.bias", TensorData.of(new long[] {2}, new float[2]));
        w.put("cls.predictions.bias", TensorData.of(new long[] {3}, new float[3])); // MLM head: dropped
        Checkpoint c = Checkpoint.split(Tiny.config(), w, "test");
        assertEquals(List.of("classifier.weight", "classifier.bias"), List.copyOf(c.heads().keySet()));
        assertTrue(c.encoder().containsKey("embeddings.word_embeddings.weight"));
        assertTrue(c.hfWeights().containsKey("bert.embeddings.word_embeddings.weight"));
    }

    @Test
    void unexpectedKeysAreNamed() {
        Map<String, TensorData> w = Map.of("decoder.weight", TensorData.of(new long[] {1}, new float[1]));
        assertTrue(error(() -> Checkpoint.split(Tiny.config(), w, "ckpt")).contains("unexpected weight(s) [decoder.weight]"));
    }

    @Test
    void missingKeysAndShapeMismatchesAreNamed(@TempDir Path tmp) {
        Path dir = Tiny.checkpoint(tmp.resolve("m"), 1);
        Map<String, TensorData> w = new LinkedHashMap<>(SafeTensors.read(dir.resolve("model.safetensors")));
        w.remove("encoder.layer.1.output.dense.bias");
        assertTrue(error(() -> Bert.fromTensors(Tiny.config(), w, "ckpt"))
                .contains("missing 1 encoder weight(s): encoder.layer.1.output.dense.bias"));
        w.put("encoder.layer.1.output.dense.bias", TensorData.of(new long[] {31}, new float[31]));
        assertEquals("ckpt: encoder.layer.1.output.dense.bias has shape [31], config expects [32]",
                error(() -> Bert.fromTensors(Tiny.config(), w, "ckpt")));
    }

    @Test
    void missingFilesAreNamed(@TempDir Path tmp) throws IOException {
        assertTrue(error(() -> Checkpoint.read(tmp.resolve("nope"))).contains("no such checkpoint directory"));
        Files.createDirectories(tmp.resolve("empty"));
        assertTrue(error(() -> Checkpoint.read(tmp.resolve("empty"))).contains("config.json: missing"));
        Files.writeString(tmp.resolve("empty/config.json"), Tiny.config().toJsonString());
        assertTrue(error(() -> Checkpoint.read(tmp.resolve("empty"))).contains("no weights (needs model.safetensors"));
    }

    @Test
    void configValuesAreValidatedWithTheirNames(@TempDir Path tmp) throws IOException {
        Path f = tmp.resolve("config.json");
        Files.writeString(f, "{\"vocab_size\": 100, \"hidden_size\": 30, \"num_attention_heads\": 4}");
        assertEquals(f + ": hidden_size 30 is not a multiple of num_attention_heads 4", error(() -> BertConfig.read(f)));
        Files.writeString(f, "{\"vocab_size\": 100, \"hidden_act\": \"swish\"}");
        assertTrue(error(() -> BertConfig.read(f)).contains("hidden_act 'swish' is not one of"));
        Files.writeString(f, "{\"vocab_size\": -3}");
        assertEquals(f + ": vocab_size -3 must be positive", error(() -> BertConfig.read(f)));
        Files.writeString(f, "{\"hidden_size\": 8}");
        assertEquals(f + ": vocab_size is missing", error(() -> BertConfig.read(f)));
        Files.writeString(f, "{\"vocab_size\": 10, \"hidden_dropout_prob\": 1.5}");
        assertTrue(error(() -> BertConfig.read(f)).contains("hidden_dropout_prob 1.5 must be in [0, 1)"));
        Files.writeString(f, "{\"vocab_size\": 10, \"model_type\": \"gpt2\"}");
        assertTrue(error(() -> BertConfig.read(f)).contains("model_type 'gpt2' is not supported; bert-ft runs bert, roberta, xlm-roberta"));
        Files.writeString(f, "{not json");
        assertEquals(f + ":1:3: not valid JSON: malformed JSON", error(() -> BertConfig.read(f)));
        Files.writeString(f, "[1]");
        assertEquals(f + ": expected a JSON object {...}, found a list", error(() -> BertConfig.read(f)));
    }

    @Test
    void writeReplacesAtomicallyAndLeavesNoTemporaries(@TempDir Path tmp) throws IOException {
        Path dir = Tiny.checkpoint(tmp.resolve("m"), 1);
        Tiny.checkpoint(dir, 2); // overwrite
        try (Stream<Path> s = Files.list(tmp)) {
            assertEquals(List.of(dir), s.toList());
        }
        assertThrows(UserError.class, () -> bertft.AtomicFiles.writeDirectory(tmp.resolve("x"), t -> {
            Files.writeString(t.resolve("config.json"), "{}");
            throw new IOException("disk full");
        }));
        assertFalse(Files.exists(tmp.resolve("x")), "a failed write must leave nothing behind");
        try (Stream<Path> s = Files.list(tmp)) {
            assertEquals(1, s.count());
        }
    }

    @Test
    void shardedCheckpointsLoad(@TempDir Path tmp) throws IOException {
        Path dir = Tiny.checkpoint(tmp.resolve("m"), 3);
        Map<String, TensorData> all = SafeTensors.read(dir.resolve("model.safetensors"));
        Map<String, TensorData> a = new LinkedHashMap<>();
        Map<String, TensorData> b = new LinkedHashMap<>();
        StringBuilder map = new StringBuilder();
        int i = 0;
        for (var e : all.entrySet()) {
            String shard = i++ % 2 == 0 ? "model-00001-of-00002.safetensors" : "model-00002-of-00002.safetensors";
            (shard.contains("00001-") ? a : b).put(e.getKey(), e.getValue());
            map.append(map.length() == 0 ? "" : ",").append('"').append(e.getKey()).append("\":\"").append(shard).append('"');
        }
        Files.delete(dir.resolve("model.safetensors"));
        SafeTensors.write(dir.resolve("model-00001-of-00002.safetensors"), a);
        SafeTensors.write(dir.resolve("model-00002-of-00002.safetensors"), b);
        Files.writeString(dir.resolve("model.safetensors.index.json"), "{\"metadata\":{},\"weight_map\":{" + map + "}}");
        Checkpoint c = Checkpoint.read(dir);
        for (var e : all.entrySet()) {
            assertTrue(java.util.Arrays.equals(e.getValue().toFloats(), c.encoder().get(e.getKey()).toFloats()), e.getKey());
        }
    }
}
