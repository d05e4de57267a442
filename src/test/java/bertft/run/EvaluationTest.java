package bertft.run;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import bertft.Tiny;
import bertft.cli.CliTest;
import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The record evaluators return, on real reports of each kind (classification, multi-label, regression, QA, token
 * tags, as {@code bert-ft evaluate} writes them): report.json's section comes back from it unchanged, and its
 * metrics are the numeric entries of that section's {@code metrics}, in order.
 */
class EvaluationTest {
    private static final Gson GSON = new GsonBuilder().serializeSpecialFloatingPointValues().create();

    /** The validation section of the report {@code bert-ft evaluate} writes for {@code model} on {@code data}. */
    private static JsonObject evaluated(Path tmp, Path model, Path data, String... more) throws IOException {
        Path out = tmp.resolve("eval-" + model.getFileName());
        List<String> args = new ArrayList<>(List.of("evaluate", "--model", model.toString(), "--data", data.toString(),
                "--out", out.toString()));
        args.addAll(List.of(more));
        var r = CliTest.run(args.toArray(String[]::new));
        assertEquals(0, r.code(), r.err());
        return JsonParser.parseString(Files.readString(out.resolve("report.json"))).getAsJsonObject()
                .getAsJsonObject("validation");
    }

    /** A tiny classifier whose config says {@code kind} (and {@code problem}) instead of classification. */
    private static Path kind(Path dir, String kind, String problem, String... labels) throws IOException {
        Tiny.classifier(dir, 3, labels);
        JsonObject config = JsonParser.parseString(Files.readString(dir.resolve("config.json"))).getAsJsonObject();
        config.getAsJsonObject("bert_ft_task").addProperty("task", kind);
        config.addProperty("problem_type", problem);
        Files.writeString(dir.resolve("config.json"), config.toString());
        return dir;
    }

    @Test
    void everyKindOfReportSurvivesTheRoundTripAndItsMetricsAreItsNumbers(@TempDir Path tmp) throws IOException {
        Path res = Path.of("src/test/resources/data");
        List<JsonObject> reports = new ArrayList<>();
        reports.add(evaluated(tmp, Tiny.classifier(tmp.resolve("clf"), 3, "negative", "positive"),
                res.resolve("reviews.csv")));
        reports.add(evaluated(tmp, kind(tmp.resolve("multi"), "multilabel", "multi_label_classification",
                "gratitude", "joy", "confusion", "anger", "sadness", "neutral"), res.resolve("emotions.csv"),
                "--label-column", "labels"));
        reports.add(evaluated(tmp, kind(tmp.resolve("reg"), "regression", "regression", "value"),
                res.resolve("scores.csv"), "--label-column", "score"));
        Path squad = Files.writeString(tmp.resolve("dev.json"), "{\"version\": \"1.1\", \"data\": [{\"title\": \"t\","
                + " \"paragraphs\": [{\"context\": \"Ada Lovelace wrote the first program in 1843 in London.\", \"qas\":"
                + " [{\"id\": \"q1\", \"question\": \"Who wrote the first program?\", \"answers\": [{\"text\":"
                + " \"Ada Lovelace\", \"answer_start\": 0}]}, {\"id\": \"q2\", \"question\": \"When was it written?\","
                + " \"answers\": [{\"text\": \"1843\", \"answer_start\": 40}]}]}]}]}");
        reports.add(evaluated(tmp, Tiny.qa(tmp.resolve("qa"), 3), squad));
        Path tags = Files.write(tmp.resolve("dev.conll"), List.of("the\tO", "man\tB-person", "played\tO",
                "guitar\tB-work", "music\tI-work", "", "a\tO", "woman\tB-person", ""));
        reports.add(evaluated(tmp, Tiny.tagger(tmp.resolve("tagger"), 3, 32, "O", "B-person", "I-person", "B-work",
                "I-work"), tags));

        for (JsonObject report : reports) {
            Evaluation e = Evaluation.fromJson(report);
            assertEquals(GSON.toJson(report), GSON.toJson(e.toJson()), "the section, to the byte and in order");
            List<String> numbers = new ArrayList<>();
            for (Map.Entry<String, JsonElement> m : report.getAsJsonObject("metrics").entrySet()) {
                if (m.getValue().isJsonPrimitive() && m.getValue().getAsJsonPrimitive().isNumber()) {
                    numbers.add(m.getKey());
                    assertEquals(m.getValue().getAsDouble(), e.metrics().get(m.getKey()), m.getKey());
                }
            }
            assertEquals(numbers, List.copyOf(e.metrics().keySet()), report.getAsJsonObject("metrics").toString());
            assertFalse(numbers.isEmpty(), report.toString());
            e.toJson().remove("metrics"); // what a caller does to its copy (evaluate takes QA's predictions out)
            assertEquals(GSON.toJson(report), GSON.toJson(e.toJson()));
        }
        assertEquals(List.of(true, true, true, true, true), List.of(
                reports.get(0).getAsJsonObject("metrics").has("confusion_matrix"),
                reports.get(1).getAsJsonObject("metrics").has("per_label"),
                reports.get(2).has("scatter"), reports.get(3).has("by_question_word"),
                reports.get(4).getAsJsonObject("metrics").has("per_type")), "a report of each kind");
    }

    @Test
    void aClassifiersEvaluationIsTypedAndReadsBackTheSame(@TempDir Path tmp) throws IOException {
        Path csv = Files.write(tmp.resolve("dev.csv"), List.of("text,label", "good,positive", "fine,positive",
                "bad,negative", "awful,negative", "meh,negative"));
        bertft.task.TaskSpec spec = bertft.task.TaskFiles.load(null, Map.of("task", "classification", "name", "t",
                "model", "m", "labels", "negative,positive"));
        List<String> labels = List.of("negative", "positive");
        bertft.data.LabelledData data = bertft.data.LabelledData.read(spec, labels, csv);
        // predicted: positive, negative (wrong), negative, positive (wrong), negative
        float[][] scores = {{0.2f, 0.8f}, {0.6f, 0.4f}, {0.9f, 0.1f}, {0.3f, 0.7f}, {0.55f, 0.45f}};
        Evaluation e = Scoring.table(spec, data, labels, scores);

        assertEquals(0.6, e.metrics().get("accuracy"), 1e-12);
        assertEquals(5.0, e.metrics().get("n"));
        assertEquals(new bertft.eval.Scores(2 / 3.0, 2 / 3.0, 2 / 3.0, 3), e.perClass().get("negative"));
        assertEquals(new bertft.eval.Scores(0.5, 0.5, 0.5, 2), e.perClass().get("positive"));
        assertEquals(labels, e.confusion().labels());
        assertEquals(List.of(List.of(2L, 1L), List.of(1L, 1L)), java.util.Arrays.stream(e.confusion().counts())
                .map(r -> java.util.Arrays.stream(r).boxed().toList()).toList());
        assertEquals(5, e.calibration().bins().stream().mapToLong(bertft.eval.Calibration.Bin::n).sum());
        assertEquals(1, e.calibration().bins().get(5).n(), "confidence 0.55");
        assertEquals("5", e.toJson().getAsJsonObject("metrics").get("n").toString(), "a count stays a count");

        Evaluation back = Evaluation.fromJson(JsonParser.parseString(GSON.toJson(e.toJson())).getAsJsonObject());
        assertEquals(e.metrics(), back.metrics());
        assertEquals(e.perClass(), back.perClass());
        assertEquals(e.confusion().labels(), back.confusion().labels());
        assertEquals(java.util.Arrays.deepToString(e.confusion().counts()),
                java.util.Arrays.deepToString(back.confusion().counts()));
        assertEquals(e.calibration().ece(), back.calibration().ece());
        assertEquals(e.calibration().bins(), back.calibration().bins());
        assertEquals(GSON.toJson(e.toJson()), GSON.toJson(back.toJson()));
    }
}
