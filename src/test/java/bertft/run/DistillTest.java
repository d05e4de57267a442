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
        for (JsonObject m : List.of(t, s)) { // measured together, on libtorch and on the int8 export
            assertTrue(m.get("sentences_per_s").getAsDouble() > 0, m.toString());
            assertTrue(m.get("sentences_per_s_int8").getAsDouble() > 0, m.toString());
        }
        assertEquals(3, dist.get("speed_rounds").getAsInt());
        assertTrue(Files.readString(out.resolve("report.html")).contains("Distillation: teacher and student"));
        assertTrue(Files.readString(out.resolve("report.md")).contains("sentences/s (int8 ONNX)"));
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

    /** The largest difference between two runs' saved weights (the same names and shapes). */
    static double maxDifference(Path a, Path b) {
        Map<String, TensorData> x = SafeTensors.read(a.resolve("model.safetensors"));
        Map<String, TensorData> y = SafeTensors.read(b.resolve("model.safetensors"));
        assertEquals(x.keySet(), y.keySet());
        double max = 0;
        for (String k : x.keySet()) {
            java.nio.FloatBuffer p = x.get(k).data().asFloatBuffer();
            java.nio.FloatBuffer q = y.get(k).data().asFloatBuffer();
            assertEquals(p.remaining(), q.remaining(), k);
            while (p.hasRemaining()) {
                max = Math.max(max, Math.abs(p.get() - q.get()));
            }
        }
        return max;
    }

    /** The cache file a distill run's log names ("... computed in 0.1s (cached in FILE)" or "read from FILE"). */
    private static Path cacheFile(String log) {
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("(?:cached in|read from) (\\S+\\.logits)")
                .matcher(log);
        assertTrue(m.find(), log);
        return Path.of(m.group(1));
    }

    @Test
    void theTeachersOutputsAreCachedOnDiskForASecondStudentAndAResumedRun(@TempDir Path tmp) throws IOException {
        Path model = Tiny.checkpoint(tmp.resolve("tiny"), 3);
        TrainJobTest.data(tmp, "train.csv", 48, 1);
        TrainJobTest.data(tmp, "dev.csv", 16, 2);
        Files.write(tmp.resolve("transfer.txt"), List.of("great phone", "awful price", "the battery was good"));
        Path task = TrainJobTest.task(tmp, model, "");
        Path teacher = Tiny.classifier(tmp.resolve("teacher"), 4, "negative", "positive");
        String[] common = {"distill", task.toString(), "--teacher", teacher.toString(), "--student-layers", "1",
            "--text", "transfer.txt", "--epochs", "1", "--seed", "5"};

        var first = CliTest.run(concat(common, "--out", tmp.resolve("s1").toString()));
        assertEquals(0, first.code(), first.err());
        assertTrue(first.err().contains("outputs on 51 examples computed in"), first.err());
        assertTrue(first.err().contains("outputs on validation computed in"), first.err());
        Path file = cacheFile(first.err());
        assertTrue(file.startsWith(TeacherCache.root()), file.toString());

        // a second student over the same teacher and data: no teacher pass, the same student
        var second = CliTest.run(concat(common, "--out", tmp.resolve("s2").toString()));
        assertEquals(0, second.code(), second.err());
        assertFalse(second.err().contains("examples computed in") || second.err().contains("validation computed in"),
                "no teacher pass: " + second.err());
        assertTrue(second.err().contains("outputs on 51 examples read from " + file), second.err());
        assertTrue(second.err().contains("outputs on validation read from"), second.err());
        assertEquals(0, maxDifference(tmp.resolve("s1"), tmp.resolve("s2")), 1e-6);

        // the cache holds raw logits: another temperature reads them too (and trains another student)
        var hot = CliTest.run(concat(common, "--distill-temperature", "4", "--out", tmp.resolve("s3").toString()));
        assertEquals(0, hot.code(), hot.err());
        assertTrue(hot.err().contains("outputs on 51 examples read from " + file), hot.err());
        assertTrue(maxDifference(tmp.resolve("s1"), tmp.resolve("s3")) > 1e-6, "T changes the targets");

        // other inputs (another max-length cuts the texts elsewhere) are another entry
        var longer = CliTest.run(concat(common, "--max-length", "8", "--out", tmp.resolve("s4").toString()));
        assertEquals(0, longer.code(), longer.err());
        assertTrue(longer.err().contains("outputs on 51 examples computed in"), longer.err());

        // a truncated or altered file is said to be damaged, computed again and written over; never used
        byte[] whole = Files.readAllBytes(file);
        byte[] flipped = whole.clone();
        flipped[whole.length / 2] ^= 0x10;
        byte[] huge = whole.clone(); // the first row's length (after magic, version, key, rows, seconds): 2^31 - 1
        java.nio.ByteBuffer.wrap(huge).putInt(4 + 4 + 2 + 32 + 4 + 8, Integer.MAX_VALUE);
        String[][] damage = {{"truncated"}, {"checksum mismatch"}, {"truncated"}};
        byte[][] bytes = {java.util.Arrays.copyOf(whole, whole.length - 40), flipped, huge};
        for (int i = 0; i < bytes.length; i++) {
            Files.write(file, bytes[i]);
            Path out = tmp.resolve("damaged" + i);
            var r = CliTest.run(concat(common, "--out", out.toString()));
            assertEquals(0, r.code(), r.err());
            assertTrue(r.err().contains("teacher " + teacher + ": " + file + " is damaged (" + damage[i][0]
                    + "); computing its outputs again"), r.err());
            assertTrue(r.err().contains("outputs on 51 examples computed in"), r.err());
            assertEquals(0, maxDifference(tmp.resolve("s1"), out), 1e-6);
            assertEquals(whole.length, Files.size(file), "written over");
        }

        // a resumed distillation reads the outputs its first part cached
        bertft.task.TaskSpec spec = bertft.task.TaskFiles.load(task, Map.of("teacher", teacher.toString(),
                "student-layers", "1", "epochs", "2", "out", tmp.resolve("resumed").toString(), "text", "transfer.txt"));
        java.io.ByteArrayOutputStream log = new java.io.ByteArrayOutputStream();
        org.junit.jupiter.api.Assertions.assertThrows(TrainJob.Paused.class,
                () -> new TrainJob(spec, new java.io.PrintStream(log, true)).pauseAfterEpoch(1).run(false));
        java.io.ByteArrayOutputStream again = new java.io.ByteArrayOutputStream();
        new TrainJob(spec, new java.io.PrintStream(again, true)).run(true);
        assertTrue(again.toString().contains("outputs on 51 examples read from " + file), again.toString());
    }

    /** The hidden-state MSE of the saved model in {@code student} against {@code teacher} on {@code texts}. */
    private static double hiddenDistance(Path teacher, Checkpoint student, List<String> texts) {
        try (BertTokenizer tok = Tiny.tokenizer(32); ai.djl.ndarray.NDManager m = bertft.model.Torch.newManager();
                bertft.model.TaskModel s = bertft.model.TaskModel.create(student,
                        bertft.model.TaskModel.Head.CLASSIFIER, 2, bertft.model.TaskModel.Pooling.MEAN, 0, 1, "s",
                        true);
                bertft.train.HiddenMatch h = new bertft.train.HiddenMatch(bertft.model.TaskModel.load(
                        Checkpoint.read(teacher), bertft.model.TaskModel.Head.CLASSIFIER, "t"), new int[] {0, 1}, 32,
                        32, 1, 0.02, 1, m)) {
            bertft.text.Batch b = bertft.text.Batch.of(texts.stream().map(tok::encode).toList(), m);
            List<ai.djl.ndarray.NDArray> layers = new ArrayList<>();
            s.encode(b, false, layers);
            return h.loss(layers, b, m).getFloat();
        }
    }

    @Test
    void distillHiddenMovesTheStudentsHiddenStatesTowardTheTeachers(@TempDir Path tmp) throws IOException {
        Path model = Tiny.checkpoint(tmp.resolve("tiny"), 3);
        TrainJobTest.data(tmp, "train.csv", 96, 1);
        TrainJobTest.data(tmp, "dev.csv", 16, 2);
        Path task = TrainJobTest.task(tmp, model, "");
        Path teacher = Tiny.classifier(tmp.resolve("teacher"), 4, "negative", "positive");
        List<String> texts = new ArrayList<>();
        for (String line : Files.readAllLines(tmp.resolve("dev.csv")).subList(1, 17)) {
            texts.add(line.substring(1, line.indexOf('"', 1)));
        }
        String[] common = {"distill", task.toString(), "--teacher", teacher.toString(), "--epochs", "2", "--seed",
            "5", "--learning-rate", "3e-3"};
        var plain = CliTest.run(concat(common, "--out", tmp.resolve("plain").toString()));
        assertEquals(0, plain.code(), plain.err());
        var hidden = CliTest.run(concat(common, "--distill-hidden", "true", "--out", tmp.resolve("hidden").toString()));
        assertEquals(0, hidden.code(), hidden.err());
        double before = hiddenDistance(teacher, Checkpoint.read(model), texts);
        double without = hiddenDistance(teacher, Checkpoint.read(tmp.resolve("plain")), texts);
        double with = hiddenDistance(teacher, Checkpoint.read(tmp.resolve("hidden")), texts);
        assertTrue(with < 0.75 * before && with < 0.75 * without, "hidden-state MSE to the teacher: before " + before
                + ", output distillation alone " + without + ", with distill-hidden " + with);
        assertTrue(Files.readString(tmp.resolve("hidden").resolve("task.yaml")).contains("distill-hidden: true"));

        // a narrower student: a projection trains with it and is not saved with it
        bertft.model.BertConfig narrow = bertft.model.BertConfig.of(Tiny.vocab().size(), 16, 1, 2, 32, 64);
        try (bertft.model.Bert bert = bertft.model.Bert.random(narrow, true, 9); BertTokenizer tok = Tiny.tokenizer(64)) {
            new Checkpoint(narrow, bert.tensors(), Map.of()).write(tmp.resolve("narrow"), tok);
        }
        var projected = CliTest.run(concat(common, "--distill-hidden", "true", "--student",
                tmp.resolve("narrow").toString(), "--out", tmp.resolve("projected").toString()));
        assertEquals(0, projected.code(), projected.err());
        Set<String> keys = SafeTensors.read(tmp.resolve("projected").resolve("model.safetensors")).keySet();
        assertFalse(keys.stream().anyMatch(k -> k.contains("projection")), keys.toString());
        assertEquals(16, json(tmp.resolve("projected").resolve("config.json")).get("hidden_size").getAsInt());

        // refused in one line, nothing written: another tokenizer; distill-hidden without a teacher
        Path other = reordered(teacher, tmp.resolve("reordered"));
        Path out = tmp.resolve("refused");
        var r = CliTest.run("distill", task.toString(), "--teacher", other.toString(), "--distill-hidden", "true",
                "--out", out.toString());
        assertEquals(2, r.code(), r.err());
        assertEquals("bert-ft: --distill-hidden: teacher " + other + " has another tokenizer than the student; hidden"
                + " states are matched token by token (a student of the teacher's vocabulary, or student-layers)",
                r.err().strip());
        var t = CliTest.run("train", task.toString(), "--distill-hidden", "true", "--out", out.toString());
        assertEquals(2, t.code(), t.err());
        assertTrue(t.err().startsWith("bert-ft: --distill-hidden: is for distillation; set teacher"), t.err());
        assertFalse(Files.exists(out));
    }

    @Test
    void aResumedDistillHiddenRunRestoresItsProjection(@TempDir Path tmp) throws IOException {
        Path model = Tiny.checkpoint(tmp.resolve("tiny"), 3);
        TrainJobTest.data(tmp, "train.csv", 48, 1);
        // no validation: the saved student is the last one, not the best of the epochs
        Path task = Files.writeString(tmp.resolve("t.yaml"), String.join("\n", "task: classification",
                "model: " + model, "data-dir: " + tmp, "train: train.csv", "labels: [negative, positive]",
                "max-length: 32", "batch-size: 16", "pooling: mean", ""));
        Path teacher = Tiny.classifier(tmp.resolve("teacher"), 4, "negative", "positive");
        bertft.model.BertConfig narrow = bertft.model.BertConfig.of(Tiny.vocab().size(), 16, 1, 2, 32, 64);
        try (bertft.model.Bert bert = bertft.model.Bert.random(narrow, true, 9); BertTokenizer tok = Tiny.tokenizer(64)) {
            new Checkpoint(narrow, bert.tensors(), Map.of()).write(tmp.resolve("narrow"), tok);
        }
        java.util.function.Function<String, bertft.task.TaskSpec> spec = out -> bertft.task.TaskFiles.load(task,
                Map.of("teacher", teacher.toString(), "student", tmp.resolve("narrow").toString(), "distill-hidden",
                        "true", "epochs", "2", "learning-rate", "3e-3", "out", tmp.resolve(out).toString()));
        java.io.PrintStream quiet = new java.io.PrintStream(java.io.OutputStream.nullOutputStream());
        new TrainJob(spec.apply("whole"), quiet).run(false);
        org.junit.jupiter.api.Assertions.assertThrows(TrainJob.Paused.class,
                () -> new TrainJob(spec.apply("resumed"), quiet).pauseAfterEpoch(1).run(false));
        assertTrue(Files.isRegularFile(tmp.resolve("resumed").resolve("last")
                .resolve(bertft.train.HiddenMatch.FILE)), "the projection is in the resume state");
        new TrainJob(spec.apply("resumed"), quiet).run(true);
        assertEquals(0, maxDifference(tmp.resolve("whole"), tmp.resolve("resumed")), 1e-6,
                "paused and resumed, the student ends where the uninterrupted run does");
    }

    private static String[] concat(String[] a, String... b) {
        List<String> all = new ArrayList<>(List.of(a));
        all.addAll(List.of(b));
        return all.toArray(String[]::new);
    }

    /**
     * The teacher at {@code dir} with its vocabulary reordered (the special tokens kept in place) and its word
     * embedding rows moved to match: the same function of text, other token ids.
     */
    static Path reordered(Path dir, Path to) throws IOException {
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
                TrainJob.Prepared data = new TrainJob.Prepared(TaskData.features(train, tok), spec.labels(), 2, null,
                        Evaluator.none(), new JsonObject(), train, null, null);
                targets.add(d.teach(data, List.of("great phone", "awful price"), tok,
                        new java.io.PrintStream(java.io.OutputStream.nullOutputStream())).soft());
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
