package bertft.api;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import bertft.Tiny;
import bertft.UserError;
import bertft.cli.CliTest;
import bertft.infer.EntityGrouping;
import bertft.infer.InferenceRuntime;
import bertft.run.ExportCache;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 39: the auto runtime (the default) runs a checkpoint on ONNX Runtime with libtorch's answers, per task kind;
 * its export is cached under $BERT_FT_HOME/onnx (target/bert-ft-home in tests), once, safely under concurrent first
 * uses, never in the model's directory.
 */
class AutoRuntimeTest {
    static final List<String> TEXTS = List.of("the movie was great", "awful price and bad battery",
            "it was the phone", "love it", "the product was and it movie price terrible hate");
    static final ModelOptions TORCH = ModelOptions.defaults().withRuntime(InferenceRuntime.TORCH);

    private static ModelOptions quiet(StringWriter log) {
        return ModelOptions.defaults().withLog(new PrintWriter(log, true));
    }

    /** A tiny classifier whose bert_ft_task says {@code task}. */
    private static Path classifier(Path dir, String task, String... labels) throws IOException {
        Tiny.classifier(dir, 7, labels);
        Path config = dir.resolve("config.json");
        JsonObject c = JsonParser.parseString(Files.readString(config)).getAsJsonObject();
        c.getAsJsonObject("bert_ft_task").addProperty("task", task);
        Files.writeString(config, c.toString());
        return dir;
    }

    private static void assertClassifiesAsTorch(Path dir) {
        StringWriter log = new StringWriter();
        try (Classifier auto = Classifier.load(dir.toString(), quiet(log));
                Classifier torch = Classifier.load(dir.toString(), TORCH)) {
            assertEquals("onnx", auto.info().runtime());
            assertEquals("torch", torch.info().runtime());
            assertEquals(dir.toString(), auto.info().path(), "the model's directory, not the cache's");
            List<Prediction> a = auto.predict(TEXTS);
            List<Prediction> t = torch.predict(TEXTS);
            for (int i = 0; i < TEXTS.size(); i++) {
                assertEquals(t.get(i).label(), a.get(i).label());
                assertArrayEquals(t.get(i).logits(), a.get(i).logits(), 1e-4);
                assertEquals(t.get(i).score(), a.get(i).score(), 1e-4);
            }
        }
        assertFalse(log.toString().contains("runs on libtorch"), log.toString());
        assertNotNull(ExportCache.existing(ExportCache.location(dir, null, false)));
    }

    @Test
    void classificationMultiLabelAndRegressionAsOnLibtorch(@TempDir Path tmp) throws IOException {
        assertClassifiesAsTorch(Tiny.classifier(tmp.resolve("single"), 3, "neg", "neu", "pos"));
        assertClassifiesAsTorch(classifier(tmp.resolve("multi"), "multilabel", "a", "b", "c", "d"));
        assertClassifiesAsTorch(classifier(tmp.resolve("regression"), "regression", "value"));
    }

    @Test
    void questionAnsweringAsOnLibtorch(@TempDir Path tmp) {
        Path dir = Tiny.qa(tmp.resolve("qa"), 5);
        StringWriter log = new StringWriter();
        String context = "the movie was great but the price was terrible and the battery died after it";
        try (QuestionAnswerer auto = QuestionAnswerer.load(dir.toString(), quiet(log));
                QuestionAnswerer torch = QuestionAnswerer.load(dir.toString(), TORCH)) {
            assertEquals("onnx", auto.info().runtime());
            List<Answer> a = auto.answers("what was terrible", context, 5);
            List<Answer> t = torch.answers("what was terrible", context, 5);
            assertEquals(t.size(), a.size());
            for (int i = 0; i < t.size(); i++) {
                assertEquals(t.get(i).text(), a.get(i).text());
                assertEquals(t.get(i).start(), a.get(i).start());
                assertEquals(t.get(i).score(), a.get(i).score(), 1e-4);
            }
        }
    }

    @Test
    void tokenClassificationAsOnLibtorch(@TempDir Path tmp) {
        Path dir = Tiny.tagger(tmp.resolve("tagger"), 9, 16, "O", "B-PER", "I-PER", "B-LOC", "I-LOC");
        StringWriter log = new StringWriter();
        try (Tagger auto = Tagger.load(dir.toString(), quiet(log)); Tagger torch = Tagger.load(dir.toString(), TORCH)) {
            assertEquals("onnx", auto.info().runtime());
            var a = auto.tag(TEXTS, EntityGrouping.Aggregation.NONE);
            var t = torch.tag(TEXTS, EntityGrouping.Aggregation.NONE);
            for (int i = 0; i < TEXTS.size(); i++) {
                assertEquals(t.get(i).size(), a.get(i).size());
                for (int k = 0; k < t.get(i).size(); k++) {
                    assertEquals(t.get(i).get(k).entityGroup(), a.get(i).get(k).entityGroup());
                    assertEquals(t.get(i).get(k).score(), a.get(i).get(k).score(), 1e-4);
                }
            }
        }
    }

    @Test
    void embeddingsAsOnLibtorch(@TempDir Path tmp) {
        Path dir = Tiny.checkpoint(tmp.resolve("base"), 11);
        StringWriter log = new StringWriter();
        try (Embedder auto = Embedder.load(dir.toString(), quiet(log));
                Embedder torch = Embedder.load(dir.toString(), TORCH)) {
            assertEquals("onnx", auto.info().runtime());
            assertEquals("torch", torch.info().runtime());
            List<float[]> a = auto.embed(TEXTS, true);
            List<float[]> t = torch.embed(TEXTS, true);
            for (int i = 0; i < TEXTS.size(); i++) {
                assertArrayEquals(t.get(i), a.get(i), 1e-4f);
            }
        }
        assertNotNull(ExportCache.existing(ExportCache.location(dir, null, false)));
    }

    /** Threads loading one model at once (Spark's tasks, a server): one export, one entry, equal answers. */
    @Test
    void concurrentFirstUsesMakeOneEntry(@TempDir Path tmp) throws Exception {
        Path dir = Tiny.classifier(tmp.resolve("m"), 13, "neg", "pos");
        Path entry = ExportCache.location(dir, null, false);
        int n = 6;
        ExecutorService pool = Executors.newFixedThreadPool(n);
        CountDownLatch start = new CountDownLatch(1);
        StringWriter log = new StringWriter();
        try {
            List<Future<List<Prediction>>> runs = new ArrayList<>();
            for (int k = 0; k < n; k++) {
                runs.add(pool.submit(() -> {
                    start.await();
                    try (Classifier c = Classifier.load(dir.toString(), quiet(log).withRuntime(
                            InferenceRuntime.ONNX))) { // onnx by name: every export is said, so they can be counted
                        assertEquals("onnx", c.info().runtime());
                        return c.predict(TEXTS);
                    }
                }));
            }
            start.countDown();
            List<Prediction> first = runs.get(0).get();
            for (Future<List<Prediction>> f : runs) {
                List<Prediction> got = f.get();
                for (int i = 0; i < TEXTS.size(); i++) {
                    assertArrayEquals(first.get(i).logits(), got.get(i).logits(), 0);
                }
            }
        } finally {
            pool.shutdown();
        }
        assertEquals(1, log.toString().lines().filter(l -> l.contains("bert-ft: exported")).count(), log.toString());
        try (Stream<Path> entries = Files.list(entry.getParent())) {
            assertEquals(List.of(), entries.map(p -> p.getFileName().toString())
                    .filter(name -> name.contains(entry.getFileName().toString()) && !name.equals(entry.getFileName()
                            .toString())).toList(), "no temporaries left beside the entry");
        }
        assertTrue(Files.isRegularFile(entry.resolve("model.onnx")));
    }

    /** A temporary that a killed export left is never read, and the next export removes it. */
    @Test
    void aStaleTemporaryDoesNotBreakLoading(@TempDir Path tmp) throws IOException {
        Path dir = Tiny.classifier(tmp.resolve("m"), 17, "neg", "pos");
        Path entry = ExportCache.location(dir, null, false);
        long deadPid = ProcessHandle.current().pid() + 4_000_000L; // above Linux's pid_max: no such process
        Path stale = Files.createDirectories(entry.getParent().resolve(".tmp-" + entry.getFileName() + "-" + deadPid
                + "-1"));
        Files.writeString(stale.resolve("config.json"), "{\"bert_ft_onnx\": {\"file\": \"model.onnx\"}}");
        Files.write(stale.resolve("model.onnx"), new byte[] {8, 1, 2}); // cut short
        StringWriter log = new StringWriter();
        try (Classifier c = Classifier.load(dir.toString(), quiet(log));
                Classifier t = Classifier.load(dir.toString(), TORCH)) {
            assertEquals("onnx", c.info().runtime());
            assertArrayEquals(t.predict("love it").logits(), c.predict("love it").logits(), 1e-4);
        }
        assertFalse(Files.exists(stale), "the abandoned temporary is cleaned up");
        assertTrue(Files.isRegularFile(entry.resolve("model.onnx")));
    }

    /** classify leaves the model's directory as it was, byte for byte: the export lives in the cache. */
    @Test
    void classifyLeavesTheModelDirectoryUnchanged(@TempDir Path tmp) throws IOException {
        Path dir = Tiny.classifier(tmp.resolve("m"), 19, "neg", "pos");
        Map<String, byte[]> before = snapshot(dir);
        CliTest.Run r = CliTest.run("classify", "--model", dir.toString(), "--text", "love it");
        assertEquals(0, r.code(), r.err());
        assertFalse(r.err().contains("runs on libtorch"), r.err());
        Map<String, byte[]> after = snapshot(dir);
        assertEquals(before.keySet(), after.keySet());
        before.forEach((name, bytes) -> assertArrayEquals(bytes, after.get(name), name));
        assertNotNull(ExportCache.existing(ExportCache.location(dir, null, false)));
    }

    /**
     * Where the export cannot be cached (here a file stands where the entry goes), auto runs libtorch and says why
     * in one line; --runtime onnx fails with that line.
     */
    @Test
    void autoFallsBackToLibtorchWhenTheExportCannotBeCached(@TempDir Path tmp) throws IOException {
        Path dir = Tiny.classifier(tmp.resolve("m"), 23, "neg", "pos");
        Path entry = ExportCache.location(dir, null, false);
        Files.createDirectories(entry.getParent());
        Files.writeString(entry, "in the way");
        try {
            StringWriter log = new StringWriter();
            try (Classifier c = Classifier.load(dir.toString(), quiet(log));
                    Classifier t = Classifier.load(dir.toString(), TORCH)) {
                assertEquals("torch", c.info().runtime());
                assertArrayEquals(t.predict("love it").logits(), c.predict("love it").logits(), 0);
            }
            List<String> lines = log.toString().lines().toList();
            assertEquals(1, lines.size(), log.toString());
            assertTrue(lines.get(0).startsWith("bert-ft: " + dir + " runs on libtorch, not ONNX Runtime: " + entry
                    + ": cannot write the ONNX export there: "), lines.get(0));
            UserError e = assertThrows(UserError.class, () -> Classifier.load(dir.toString(),
                    ModelOptions.defaults().withRuntime(InferenceRuntime.ONNX).withLog(new PrintWriter(new StringWriter()))));
            assertTrue(e.getMessage().startsWith(entry + ": cannot write the ONNX export there: "), e.getMessage());
        } finally {
            Files.delete(entry);
        }
    }

    /** Training and its evaluations stay on the model in memory: nothing is exported for a run being trained. */
    @Test
    void trainingExportsNothing(@TempDir Path tmp) throws IOException {
        Path model = Tiny.checkpoint(tmp.resolve("base"), 29);
        Path train = Files.write(tmp.resolve("train.csv"), List.of("text,label", "love it,positive",
                "awful price,negative", "the movie was great,positive", "terrible hate,negative"));
        Files.copy(train, tmp.resolve("dev.csv"));
        Path task = Files.writeString(tmp.resolve("t.yaml"), String.join("\n", "task: classification",
                "model: " + model, "data-dir: " + tmp, "train: train.csv", "validation: dev.csv",
                "labels: [negative, positive]", "epochs: 1", "batch-size: 2", "max-length: 16", "pooling: mean", ""));
        Path run = tmp.resolve("run");
        CliTest.Run r = CliTest.run("train", task.toString(), "--out", run.toString());
        assertEquals(0, r.code(), r.err());
        assertEquals(null, ExportCache.existing(ExportCache.location(run, null, false)));
        assertFalse(r.err().contains("exported"), r.err());
    }

    /** evaluate's provenance names the runtime that gave its numbers: onnx by default, torch when asked. */
    @Test
    void evaluateRecordsTheRuntimeUsed(@TempDir Path tmp) throws IOException {
        Path dir = Tiny.classifier(tmp.resolve("m"), 37, "negative", "positive");
        Path data = Files.write(tmp.resolve("dev.csv"), List.of("text,label", "love it,positive",
                "awful price,negative", "the movie was great,positive"));
        for (String runtime : List.of("auto", "torch")) {
            Path out = tmp.resolve("eval-" + runtime);
            CliTest.Run r = CliTest.run("evaluate", "--model", dir.toString(), "--data", data.toString(), "--out",
                    out.toString(), "--runtime", runtime);
            assertEquals(0, r.code(), r.err());
            JsonObject report = JsonParser.parseString(Files.readString(out.resolve("report.json"))).getAsJsonObject();
            assertEquals(runtime.equals("auto") ? "onnx" : "torch", report.getAsJsonObject("provenance")
                    .getAsJsonObject("model").get("runtime").getAsString());
        }
    }

    /** A model on ONNX Runtime closes twice without error, as one on libtorch does (serve closes a shared one). */
    @Test
    void closingTwiceIsHarmless(@TempDir Path tmp) {
        Classifier c = Classifier.load(Tiny.classifier(tmp.resolve("m"), 31, "neg", "pos").toString(),
                quiet(new StringWriter()));
        assertEquals("onnx", c.info().runtime());
        c.close();
        c.close();
    }

    private static Map<String, byte[]> snapshot(Path dir) throws IOException {
        Map<String, byte[]> files = new TreeMap<>();
        try (Stream<Path> all = Files.walk(dir)) {
            for (Path p : all.toList()) {
                files.put(dir.relativize(p).toString(), Files.isRegularFile(p) ? Files.readAllBytes(p) : new byte[0]);
            }
        }
        return files;
    }
}
