package bertft.run;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import bertft.Tiny;
import bertft.cli.CliTest;
import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code bert-ft distill} of extractive QA and token classification on tiny random models, and what it refuses. */
class DistillTasksTest {

    private static JsonObject json(Path f) throws IOException {
        return JsonParser.parseString(Files.readString(f)).getAsJsonObject();
    }

    /** SQuAD paragraphs over the tiny vocabulary: the answer is the word after "price", the question "what price". */
    static void squad(Path file, int n, long seed) throws IOException {
        Random r = new Random(seed);
        String[] filler = {"the", "phone", "battery", "was", "good", "and", "it", "movie", "day", "food", "time"};
        String[] answers = {"cheap", "expensive", "fine", "okay"};
        JsonArray paragraphs = new JsonArray();
        for (int i = 0; i < n; i++) {
            List<String> words = new ArrayList<>();
            for (int k = 0; k < 4 + r.nextInt(8); k++) {
                words.add(filler[r.nextInt(filler.length)]);
            }
            String answer = answers[r.nextInt(answers.length)];
            words.add(r.nextInt(words.size()), "price " + answer);
            String ctx = String.join(" ", words);
            paragraphs.add(JsonParser.parseString("{\"context\": \"" + ctx + "\", \"qas\": [{\"id\": \"q" + i
                    + "\", \"question\": \"what price\", \"answers\": [{\"text\": \"" + answer
                    + "\", \"answer_start\": " + (ctx.indexOf("price " + answer) + 6) + "}]}]}"));
        }
        JsonObject root = JsonParser.parseString("{\"version\": \"1.1\", \"data\": [{\"title\": \"t\"}]}")
                .getAsJsonObject();
        root.getAsJsonArray("data").get(0).getAsJsonObject().add("paragraphs", paragraphs);
        Files.writeString(file, root.toString());
    }

    /** The report's distillation rows by role, and the student's config. */
    private static void assertStudent(Path out, String architecture, int layers, String metric) throws IOException {
        JsonObject config = json(out.resolve("config.json"));
        assertEquals(architecture, config.getAsJsonArray("architectures").get(0).getAsString());
        assertEquals(layers, config.get("num_hidden_layers").getAsInt());
        JsonObject d = json(out.resolve("report.json")).getAsJsonObject("distillation");
        assertEquals(metric, d.get("metric").getAsString());
        JsonArray models = d.getAsJsonArray("models");
        assertEquals(List.of("teacher", "student"),
                models.asList().stream().map(r -> r.getAsJsonObject().get("role").getAsString()).toList());
        assertTrue(models.get(0).getAsJsonObject().has("validation"), d.toString());
        assertTrue(models.get(1).getAsJsonObject().has("validation"), d.toString());
        assertTrue(d.has("retention"), d.toString());
    }

    @Test
    void aQuestionAnsweringRunDistilsIntoAShallowerStudent(@TempDir Path tmp) throws IOException {
        Path model = Tiny.checkpoint(tmp.resolve("tiny"), 3);
        squad(tmp.resolve("train.json"), 48, 1);
        squad(tmp.resolve("dev.json"), 16, 2);
        Path task = Files.writeString(tmp.resolve("squad-like.yaml"), String.join("\n", "task: qa", "model: " + model,
                "data-dir: " + tmp, "train: train.json", "validation: dev.json", "max-length: 32", "doc-stride: 8",
                "max-query-length: 8", "batch-size: 16", "epochs: 2", "learning-rate: 3e-3", ""));
        Path teacher = tmp.resolve("teacher");
        var t = CliTest.run("train", task.toString(), "--out", teacher.toString(), "--seed", "3");
        assertEquals(0, t.code(), t.err());

        Path out = tmp.resolve("student");
        var d = CliTest.run("distill", task.toString(), "--teacher", teacher.toString(), "--student-layers", "1",
                "--epochs", "1", "--out", out.toString());
        assertEquals(0, d.code(), d.err());
        assertTrue(d.err().contains("windows computed in"), d.err());
        assertStudent(out, "BertForQuestionAnswering", 1, "f1");
        var qa = CliTest.run("qa", "--model", out.toString(), "--question", "what price", "--context",
                "the phone was good price cheap and the battery was fine");
        assertEquals(0, qa.code(), qa.err());

        // refused in one line, nothing written: transfer texts (no questions), a teacher of another kind
        Path classifier = Tiny.classifier(tmp.resolve("classifier"), 4, "negative", "positive");
        Files.write(tmp.resolve("texts.txt"), List.of("good phone"));
        String[][] cases = {
            {"--teacher", teacher.toString(), "--text", "texts.txt"},
            {"--teacher", classifier.toString()},
        };
        String[] messages = {
            "--text: transfer texts have no questions to answer; a qa task distills on its training questions alone"
                    + " (drop text)",
            "teacher " + classifier + ": has no question-answering head (distill needs a run of a qa task)",
        };
        refused(task, tmp.resolve("refused"), cases, messages);
    }

    @Test
    void aTokenClassificationRunDistilsWithTransferTextsAndChecksLabelsAndTokenizer(@TempDir Path tmp)
            throws IOException {
        Path model = Tiny.checkpoint(tmp.resolve("tiny"), 3);
        TokenClassificationTest.conll(tmp, "train.conll", 160, 1);
        TokenClassificationTest.conll(tmp, "dev.conll", 24, 2);
        Files.write(tmp.resolve("transfer.txt"), List.of("the man was playing guitar music", "horses and a woman"));
        Path task = TokenClassificationTest.task(tmp, model, "");
        Path teacher = tmp.resolve("teacher");
        var t = CliTest.run("train", task.toString(), "--out", teacher.toString(), "--seed", "7", "--epochs", "6");
        assertEquals(0, t.code(), t.err());
        JsonObject taught = json(teacher.resolve("report.json")).getAsJsonObject("validation").getAsJsonObject("metrics");
        assertTrue(taught.get("f1").getAsDouble() > 0.8, "the teacher learnt the fixed-word entities: " + taught);

        Path out = tmp.resolve("student");
        var d = CliTest.run("distill", task.toString(), "--teacher", teacher.toString(), "--student-layers", "1",
                "--text", "transfer.txt", "--out", out.toString());
        assertEquals(0, d.code(), d.err());
        assertTrue(d.err().contains("162 windows (160 labelled, 2 transfer texts)"), d.err());
        assertStudent(out, "BertForTokenClassification", 1, "f1");
        JsonObject dist = json(out.resolve("report.json")).getAsJsonObject("distillation");
        double teacherF1 = dist.getAsJsonArray("models").get(0).getAsJsonObject().get("validation").getAsDouble();
        assertEquals(taught.get("f1").getAsDouble(), teacherF1, 1e-9, "the teacher's own validation f1");
        assertTrue(dist.get("retention").getAsDouble() > 0.8, "the one-layer student tags as the teacher: " + dist);
        var tag = CliTest.run("tag", "--model", out.toString(), "--text", "the woman was riding horses");
        assertEquals(0, tag.code(), tag.err());

        // refused in one line, nothing written: other labels, another kind of teacher, another tokenizer
        Path otherLabels = Tiny.tagger(tmp.resolve("other"), 4, 32, "O", "B-place", "I-place");
        Path classifier = Tiny.classifier(tmp.resolve("classifier"), 4, "negative", "positive");
        Path otherVocab = DistillTest.reordered(teacher, tmp.resolve("reordered"));
        String[][] cases = {
            {"--teacher", otherLabels.toString()},
            {"--teacher", classifier.toString()},
            {"--teacher", otherVocab.toString()},
        };
        String labels = json(teacher.resolve("config.json")).getAsJsonObject("id2label").entrySet().stream()
                .map(e -> e.getValue().getAsString()).toList().toString();
        String[] messages = {
            "teacher " + otherLabels + ": labels [O, B-place, I-place] are not this task's " + labels
                    + " (the same names in the same order are needed)",
            "teacher " + classifier + ": has no token-classification head (distill needs a run of a"
                    + " token-classification task)",
            "teacher " + otherVocab + ": its tokenizer is not the student's (distilling a token-classification task"
                    + " needs the same word pieces: a student of the teacher's vocabulary, or student-layers)",
        };
        refused(task, tmp.resolve("refused"), cases, messages);
    }

    /** Each case is one line on stderr starting with its message, exit 2, and {@code out} is not created. */
    private static void refused(Path task, Path out, String[][] cases, String[] messages) {
        for (int i = 0; i < cases.length; i++) {
            List<String> args = new ArrayList<>(List.of("distill", task.toString(), "--out", out.toString()));
            args.addAll(List.of(cases[i]));
            var r = CliTest.run(args.toArray(String[]::new));
            assertEquals(2, r.code(), String.join(" ", cases[i]) + ": " + r.err());
            assertTrue(r.err().startsWith("bert-ft: " + messages[i]), String.join(" ", cases[i]) + ": " + r.err());
            assertEquals(1, r.err().strip().lines().count(), r.err());
            assertFalse(Files.exists(out), "nothing written: " + String.join(" ", cases[i]));
        }
    }
}
