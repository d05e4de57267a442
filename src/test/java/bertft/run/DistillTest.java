package bertft.run;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import bertft.Tiny;
import bertft.checkpoint.SafeTensors;
import bertft.checkpoint.TensorData;
import bertft.model.Checkpoint;
import bertft.text.BertTokenizer;
import bertft.cli.CliTest;
import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code bert-ft distill} end to end on the tiny BERT: shallower and ensemble students, and what it refuses. */
class DistillTest {

    /** A fine-tuned tiny teacher run of the keyword task. */
    private static Path teacher(Path tmp, Path task, String name, String seed) {
        Path out = tmp.resolve(name);
        var r = CliTest.run("train", task.toString(), "--out", out.toString(), "--seed", seed);
        assertEquals(0, r.code(), r.err());
        return out;
    }

    private static JsonObject json(Path f) throws IOException {
        return JsonParser.parseString(Files.readString(f)).getAsJsonObject();
    }

    @Test
    void aShallowerStudentOfTheTeacherIsAnOrdinaryRunThatKeepsItsAccuracy(@TempDir Path tmp) throws IOException {
        Path model = Tiny.checkpoint(tmp.resolve("tiny"), 3);
        TrainJobTest.data(tmp, "train.csv", 192, 1);
        Path dev = TrainJobTest.data(tmp, "dev.csv", 64, 2);
        List<String> transfer = new ArrayList<>();
        for (String line : Files.readAllLines(TrainJobTest.data(tmp, "more.csv", 64, 3)).subList(1, 65)) {
            transfer.add(line.substring(1, line.indexOf('"', 1))); // the texts alone: no labels
        }
        Files.write(tmp.resolve("transfer.txt"), transfer);
        Path task = TrainJobTest.task(tmp, model, "");
        Path teacher = teacher(tmp, task, "teacher", "7");

        Path out = tmp.resolve("student");
        var d = CliTest.run("distill", task.toString(), "--teacher", teacher.toString(), "--student-layers", "1",
                "--text", "transfer.txt", "--out", out.toString());
        assertEquals(0, d.code(), d.err());
        JsonObject config = json(out.resolve("config.json"));
        assertEquals(1, config.get("num_hidden_layers").getAsInt());
        Set<String> keys = SafeTensors.read(out.resolve("model.safetensors")).keySet();
        assertTrue(keys.contains("bert.encoder.layer.0.output.dense.weight"), keys.toString());
        assertFalse(keys.stream().anyMatch(k -> k.startsWith("bert.encoder.layer.1.")), "one layer kept, renumbered");

        JsonObject report = json(out.resolve("report.json"));
        JsonObject dist = report.getAsJsonObject("distillation");
        JsonArray models = dist.getAsJsonArray("models");
        assertEquals(2, models.size(), dist.toString());
        JsonObject t = models.get(0).getAsJsonObject();
        JsonObject s = models.get(1).getAsJsonObject();
        assertEquals("teacher", t.get("role").getAsString());
        assertEquals(2, t.get("layers").getAsInt());
        assertEquals(1, s.get("layers").getAsInt());
        assertTrue(s.get("parameters").getAsLong() < t.get("parameters").getAsLong());
        assertTrue(s.get("size_bytes").getAsLong() < t.get("size_bytes").getAsLong());
        assertTrue(t.get("validation").getAsDouble() > 0.8, "the teacher learnt the task: " + t);
        assertTrue(dist.get("retention").getAsDouble() > 0.9, "the one-layer student keeps the teacher's accuracy: "
                + dist);
        assertEquals(64, dist.get("transfer_texts").getAsInt());
        assertTrue(s.get("sentences_per_s").getAsDouble() > 0);
        assertTrue(Files.readString(out.resolve("report.html")).contains("Distillation: teacher and student"));
        assertTrue(Files.readString(out.resolve("report.md")).contains("## Distillation"));
        assertTrue(Files.readString(out.resolve("task.yaml")).contains("student-layers"));

        // an ordinary run: classify and the ONNX export take it
        var c = CliTest.run("classify", dev.toString(), "--model", out.toString(), "--out",
                tmp.resolve("preds.csv").toString());
        assertEquals(0, c.code(), c.err());
        var e = CliTest.run("export", out.toString(), "--format", "onnx", "--out", tmp.resolve("onnx").toString());
        assertEquals(0, e.code(), e.err());
        var o = CliTest.run("classify", dev.toString(), "--model", tmp.resolve("onnx").toString(), "--out",
                tmp.resolve("preds-onnx.csv").toString());
        assertEquals(0, o.code(), o.err());
        assertEquals(Files.readAllLines(tmp.resolve("preds.csv")).stream().map(l -> l.split(",")[2]).toList(),
                Files.readAllLines(tmp.resolve("preds-onnx.csv")).stream().map(l -> l.split(",")[2]).toList(),
                "the export predicts as libtorch does");

        // an ensemble of two teachers into a default-size student: both teachers and their mean are reported
        Path second = teacher(tmp, task, "teacher2", "8");
        Path ens = tmp.resolve("ensemble");
        var d2 = CliTest.run("distill", task.toString(), "--teacher", teacher.toString(), "--teacher",
                second.toString(), "--out", ens.toString(), "--epochs", "1");
        assertEquals(0, d2.code(), d2.err());
        JsonArray rows = json(ens.resolve("report.json")).getAsJsonObject("distillation").getAsJsonArray("models");
        assertEquals(List.of("teacher", "teacher", "ensemble", "student"),
                rows.asList().stream().map(r -> r.getAsJsonObject().get("role").getAsString()).toList());
        assertEquals(2, json(ens.resolve("config.json")).get("num_hidden_layers").getAsInt(), "the task's model");
    }

    /**
     * The teacher at {@code dir} with its vocabulary reordered (the special tokens kept in place) and its word
     * embedding rows moved to match: the same function of text, other token ids.
     */
    private static Path reordered(Path dir, Path to) throws IOException {
        Checkpoint c = Checkpoint.read(dir);
        List<String> vocab = Tiny.vocab();
        List<String> order = new ArrayList<>(vocab.subList(0, 5)); // [PAD] [UNK] [CLS] [SEP] [MASK]
        List<String> rest = new ArrayList<>(vocab.subList(5, vocab.size()));
        java.util.Collections.reverse(rest);
        order.addAll(rest);
        TensorData old = c.encoder().get("embeddings.word_embeddings.weight");
        int h = (int) old.shape()[1];
        java.nio.FloatBuffer from = old.data().asFloatBuffer();
        float[] rows = new float[vocab.size() * h];
        for (int id = 0; id < order.size(); id++) {
            from.position(vocab.indexOf(order.get(id)) * h);
            from.get(rows, id * h, h);
        }
        Map<String, TensorData> encoder = new java.util.LinkedHashMap<>(c.encoder());
        encoder.put("embeddings.word_embeddings.weight", TensorData.of(old.shape(), rows));
        try (BertTokenizer tok = BertTokenizer.of(BertTokenizer.fromVocab(order, true), 64)) {
            new Checkpoint(c.config(), encoder, c.heads()).write(to, tok);
        }
        return to;
    }

    @Test
    void eachTeacherReadsTheTextsWithItsOwnTokenizer(@TempDir Path tmp) throws IOException {
        Path model = Tiny.checkpoint(tmp.resolve("tiny"), 3);
        TrainJobTest.data(tmp, "train.csv", 64, 1);
        TrainJobTest.data(tmp, "dev.csv", 32, 2);
        Path task = TrainJobTest.task(tmp, model, "");
        Path teacher = Tiny.classifier(tmp.resolve("teacher"), 4, "negative", "positive");
        Path other = reordered(teacher, tmp.resolve("reordered"));
        try (BertTokenizer a = BertTokenizer.load(teacher, 32); BertTokenizer b = BertTokenizer.load(other, 32)) {
            assertFalse(java.util.Arrays.equals(a.encode("great phone").getIds(), b.encode("great phone").getIds()),
                    "the two teachers see other ids");
        }
        List<List<float[]>> targets = new ArrayList<>();
        for (Path t : List.of(teacher, other)) {
            bertft.task.TaskSpec spec = bertft.task.TaskFiles.load(task, Map.of("teacher", t.toString(),
                    "distill-temperature", "0.25")); // sharp: an untrained teacher's outputs differ little
            bertft.data.LabelledData train = bertft.data.LabelledData.read(spec, spec.labels(), spec.requireTrain());
            try (BertTokenizer tok = Tiny.tokenizer(32)) {
                Distillation d = Distillation.open(spec);
                targets.add(d.teach(train, TaskData.features(train, tok), List.of("great phone", "awful price"), null,
                        spec.labels(), tok, new java.io.PrintStream(java.io.OutputStream.nullOutputStream())).soft());
            }
        }
        assertEquals(66, targets.get(0).size(), "64 examples and 2 transfer texts");
        double spread = 0;
        for (int i = 0; i < 66; i++) {
            org.junit.jupiter.api.Assertions.assertArrayEquals(targets.get(0).get(i), targets.get(1).get(i), 1e-6f,
                    "the same function of text gives the same targets: " + i);
            spread = Math.max(spread, Math.abs(targets.get(0).get(i)[0] - targets.get(0).get(0)[0]));
        }
        assertTrue(spread > 1e-3, "the teacher's targets depend on the text: " + spread);
    }

    @Test
    void badTeachersStudentsAndTemperaturesAreOneLineAndWriteNothing(@TempDir Path tmp) throws IOException {
        Path model = Tiny.checkpoint(tmp.resolve("tiny"), 3);
        TrainJobTest.data(tmp, "train.csv", 32, 1);
        TrainJobTest.data(tmp, "dev.csv", 16, 2);
        Path task = TrainJobTest.task(tmp, model, "");
        Path teacher = Tiny.classifier(tmp.resolve("teacher"), 4, "negative", "positive");
        Path other = Tiny.classifier(tmp.resolve("other"), 4, "sports", "politics", "science");
        Path qa = Tiny.qa(tmp.resolve("qa"), 4);
        Path out = tmp.resolve("student");
        String[][] cases = {
            {"--teacher", other.toString()},
            {"--teacher", qa.toString()},
            {"--teacher", tmp.resolve("nothing").toString()},
            {"--teacher", teacher.toString(), "--student-layers", "0"},
            {"--teacher", teacher.toString(), "--student-layers", "3"},
            {"--teacher", teacher.toString(), "--student-layers", "0,2"},
            {"--teacher", teacher.toString(), "--student-layers", "1,0"},
            {"--teacher", teacher.toString(), "--student-layers", "two"},
            {"--teacher", teacher.toString(), "--student-layers", "1", "--student", "minilm"},
            {"--teacher", teacher.toString(), "--distill-temperature", "0"},
            {"--teacher", teacher.toString(), "--distill-temperature", "-1"},
            {"--teacher", teacher.toString(), "--distill-alpha", "1.5"},
            {},
        };
        String[] messages = {
            "teacher " + other + ": labels [sports, politics, science] are not this task's [negative, positive] (the"
                    + " same names in the same order are needed)",
            "teacher " + qa + ": has no sequence-classification head (distill needs a run of a classification task)",
            "teacher " + tmp.resolve("nothing") + ": not a run directory (no config.json)",
            "--student-layers: 0 keeps no layer; give 1 or more (or a list such as 0,2,4)",
            "--student-layers: 3 is more layers than the teacher has (2)",
            "--student-layers: layer 2 is past the teacher's last layer (1; layers count from 0)",
            "--student-layers: '1,0' must list layer indices from 0 in increasing order",
            "--student-layers: 'two' is not a layer count or a list of layer indices (e.g. 3, or 0,2,4)",
            "--student-layers: and student are both set; keep one",
            "--distill-temperature: must be > 0",
            "--distill-temperature: must be > 0",
            "--distill-alpha: must be in [0, 1]",
            "distill: give --teacher RUN (a fine-tuned run directory of this task to distill from)",
        };
        for (int i = 0; i < cases.length; i++) {
            List<String> args = new ArrayList<>(List.of("distill", task.toString(), "--out", out.toString(),
                    "--epochs", "1"));
            args.addAll(List.of(cases[i]));
            var r = CliTest.run(args.toArray(String[]::new));
            assertEquals(2, r.code(), String.join(" ", cases[i]) + ": " + r.err());
            assertTrue(r.err().startsWith("bert-ft: " + messages[i]),
                    String.join(" ", cases[i]) + ": " + r.err());
            assertEquals(1, r.err().strip().lines().count(), r.err());
            assertFalse(Files.exists(out), "nothing written: " + String.join(" ", cases[i]));
        }
        // the transfer texts and students belong to distillation: train without a teacher says so
        var t = CliTest.run("train", task.toString(), "--text", "x.txt", "--out", out.toString());
        assertEquals(2, t.code());
        assertTrue(t.err().contains("--text: is for distillation; set teacher (the fine-tuned run to distill from), or"
                + " use the text with bert-ft adapt"), t.err());
        assertFalse(Files.exists(out));
    }
}
