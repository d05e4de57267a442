package bertft.run;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import bertft.Tiny;
import bertft.cli.CliTest;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.yaml.snakeyaml.Yaml;

/** Every run writes a Hub model card (README.md) whose front matter SnakeYAML reads; evaluate adds its results. */
class ModelCardTest {
    @Test
    @SuppressWarnings("unchecked")
    void aRunWritesAModelCardAndEvaluateAddsItsResults(@TempDir Path tmp) throws Exception {
        Path model = Tiny.checkpoint(tmp.resolve("tiny"), 3);
        TrainJobTest.data(tmp, "train.csv", 96, 1);
        Path dev = TrainJobTest.data(tmp, "dev.csv", 32, 2);
        Path other = TrainJobTest.data(tmp, "other.csv", 24, 5);
        Path out = tmp.resolve("reviews");
        var r = CliTest.run("train", TrainJobTest.task(tmp, model, "").toString(), "--out", out.toString(),
                "--epochs", "1", "--seed", "7");
        assertEquals(0, r.code(), r.err());

        String card = Files.readString(out.resolve("README.md"));
        Map<String, Object> y = ModelCard.frontMatter(card);
        assertEquals("transformers", y.get("library_name"));
        assertEquals("text-classification", y.get("pipeline_tag"));
        assertTrue(((List<String>) y.get("tags")).containsAll(List.of("bert-ft", "bert")), y.toString());
        assertTrue(((List<String>) y.get("metrics")).contains("accuracy"), y.toString());
        assertFalse(((List<String>) y.get("metrics")).contains("n"), "the example count is no metric: " + y);
        assertFalse(y.containsKey("base_model"), "a local random model is no Hub id: " + y);
        Map<String, Object> index = ((List<Map<String, Object>>) y.get("model-index")).get(0);
        assertEquals("reviews", index.get("name"));
        List<Map<String, Object>> results = (List<Map<String, Object>>) index.get("results");
        assertEquals(1, results.size());
        assertEquals("validation", ((Map<String, Object>) results.get(0).get("dataset")).get("split"));
        double acc = Double.NaN;
        for (Map<String, Object> m : (List<Map<String, Object>>) results.get(0).get("metrics")) {
            if (m.get("type").equals("accuracy")) {
                acc = ((Number) m.get("value")).doubleValue();
            }
        }
        var report = com.google.gson.JsonParser.parseString(Files.readString(out.resolve("report.json")))
                .getAsJsonObject();
        assertEquals(report.getAsJsonObject("validation").getAsJsonObject("metrics").get("accuracy").getAsDouble(),
                acc, 1e-6, "the model-index holds the run's validation accuracy");
        for (String section : List.of("## Task and labels", "0: `negative`, 1: `positive`", "## Training",
                "| learning-rate | 0.001 |", "## Evaluation", "## Training time and hardware", "## Data provenance",
                "| train.csv | " + bertft.Sha256.of(tmp.resolve("train.csv")) + " |", "## How to use",
                "bert-ft classify", "Classifier.load(", "AutoModelForSequenceClassification", "## Limitations")) {
            assertTrue(card.contains(section), section + " in\n" + card);
        }
        assertFalse(card.contains(tmp.toString()), "no local paths in the card:\n" + card);

        // evaluate adds its results: in the run (eval-other) and outside it
        var e = CliTest.run("evaluate", "--model", out.toString(), "--data", other.toString());
        assertEquals(0, e.code(), e.err());
        var e2 = CliTest.run("evaluate", "--model", out.toString(), "--data", dev.toString(), "--out",
                tmp.resolve("elsewhere").toString());
        assertEquals(0, e2.code(), e2.err());
        String after = Files.readString(out.resolve("README.md"));
        List<Map<String, Object>> now = (List<Map<String, Object>>) ((List<Map<String, Object>>) ModelCard
                .frontMatter(after).get("model-index")).get(0).get("results");
        List<Object> splits = now.stream().map(m -> ((Map<String, Object>) m.get("dataset")).get("split")).toList();
        assertEquals(List.of("validation", "evaluate other.csv", "evaluate dev.csv"), splits);
        assertTrue(after.contains("| evaluate other.csv | other.csv |"), after);

        // a card edited by hand (the bert-ft line gone) is left alone, and evaluate says so
        Files.writeString(out.resolve("README.md"), "# my own card\n");
        var e3 = CliTest.run("evaluate", "--model", out.toString(), "--data", other.toString());
        assertEquals(0, e3.code(), e3.err());
        assertEquals("# my own card\n", Files.readString(out.resolve("README.md")));
        assertTrue(e3.err().contains("README.md was edited"), e3.err());
    }

    @Test
    void theBaseModelIsAHubIdOnly(@TempDir Path tmp) throws Exception {
        Path dir = Files.createDirectories(tmp.resolve("m"));
        Files.writeString(dir.resolve("config.json"), "{\"_name_or_path\": \"sentence-transformers/all-MiniLM-L6-v2\"}");
        assertEquals("sentence-transformers/all-MiniLM-L6-v2", ModelCard.baseModel("minilm", dir));
        assertEquals("google/bert_uncased_L-2_H-128_A-2", ModelCard.baseModel("google/bert_uncased_L-2_H-128_A-2@main",
                tmp.resolve("cache")));
        Files.writeString(dir.resolve("config.json"), "{\"_name_or_path\": \"/home/me/models/x\"}");
        assertEquals(null, ModelCard.baseModel(dir.toString(), dir));
    }

    @Test
    void theFrontMatterIsPlainYamlEvenForOddNames() {
        String card = "---\nlibrary_name: transformers\ntags:\n- 'a: b'\n---\n# x\n";
        assertEquals(List.of("a: b"), ModelCard.frontMatter(card).get("tags"));
        assertTrue(new Yaml().load("x: 1") instanceof Map);
    }
}
