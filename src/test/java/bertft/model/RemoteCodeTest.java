package bertft.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import bertft.Tiny;
import bertft.text.BertTokenizer;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Heads Transformers has no class for ship modeling_bertft.py and an auto_map; the others stay plain. */
class RemoteCodeTest {
    private static JsonObject save(Checkpoint base, TaskModel.Pooling pooling, Path dir) throws Exception {
        try (BertTokenizer tok = Tiny.tokenizer(32);
                TaskModel m = TaskModel.create(base, TaskModel.Head.CLASSIFIER, 2, pooling, 0.1, 1, "tiny", false)) {
            Checkpoint.writeInto(dir, m.checkpoint(new JsonObject()), tok);
        }
        return JsonParser.parseString(Files.readString(dir.resolve("config.json"))).getAsJsonObject();
    }

    @Test
    void meanSentenceAndBertsClsShipRemoteCodeAndThePoolerDoesNot(@TempDir Path tmp) throws Exception {
        Torch.init();
        Checkpoint bert;
        try (Bert b = Tiny.bert(1)) {
            bert = new Checkpoint(b.config(), b.tensors(), Map.of());
        }
        JsonObject mean = save(bert, TaskModel.Pooling.MEAN, tmp.resolve("mean"));
        assertEquals("modeling_bertft.BertFtBertForSequenceClassification",
                mean.getAsJsonObject("auto_map").get("AutoModelForSequenceClassification").getAsString());
        assertEquals("BertForSequenceClassification", mean.getAsJsonArray("architectures").get(0).getAsString());
        String py = Files.readString(tmp.resolve("mean/modeling_bertft.py"));
        assertTrue(py.contains("BertFtBertForSequenceClassification = _class(\"Bert\")"), py);

        JsonObject sentence = save(bert, TaskModel.Pooling.SENTENCE, tmp.resolve("sentence"));
        assertTrue(sentence.has("auto_map"), "the L2-normalised mean (strategy frozen's and setfit's) has no HF class");
        assertEquals("sentence", sentence.get("bert_ft_pooling").getAsString());

        JsonObject cls = save(bert, TaskModel.Pooling.CLS, tmp.resolve("cls"));
        assertTrue(cls.has("auto_map"), "BERT's raw [CLS] has no HuggingFace class");

        // a pooler run started from the mean run keeps nothing of its remote code
        JsonObject pooler = save(Checkpoint.read(tmp.resolve("mean")), TaskModel.Pooling.POOLER, tmp.resolve("pooler"));
        assertFalse(pooler.has("auto_map"), pooler.toString());
        assertFalse(Files.exists(tmp.resolve("pooler/modeling_bertft.py")));

        // RoBERTa's own head reads the first token: `cls` is plain, `mean` is remote code
        Checkpoint roberta = Checkpoint.read(Paths.get("..", "shared", "golden", "families", "roberta", "base"));
        assertFalse(save(roberta, TaskModel.Pooling.CLS, tmp.resolve("r-cls")).has("auto_map"));
        assertEquals("modeling_bertft.BertFtRobertaForSequenceClassification", save(roberta, TaskModel.Pooling.MEAN,
                tmp.resolve("r-mean")).getAsJsonObject("auto_map").get("AutoModelForSequenceClassification")
                .getAsString());
    }

    @Test
    void anOnnxExportOfARemoteCodeHeadNamesNoRemoteCode(@TempDir Path tmp) throws Exception {
        Path run = Tiny.classifier(tmp.resolve("mean"), 4);
        assertTrue(Files.exists(run.resolve("modeling_bertft.py")), "Tiny.classifier pools by mean");
        var r = bertft.cli.CliTest.run("export", run.toString(), "--format", "onnx", "--out",
                tmp.resolve("onnx").toString());
        assertEquals(0, r.code(), r.err());
        JsonObject config = JsonParser.parseString(Files.readString(tmp.resolve("onnx/config.json"))).getAsJsonObject();
        assertEquals("mean", config.get("bert_ft_pooling").getAsString());
        assertFalse(config.has("auto_map"), "no modeling_bertft.py goes with an export");
    }
}
