package bertft.api;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import bertft.Tiny;
import bertft.UserError;
import bertft.cli.CliTest;
import bertft.infer.InferenceRuntime;
import bertft.run.TrainJobTest;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The library API on tiny random models: the same answers as the CLI, from any thread, typed results. */
class ApiTest {
    static final List<String> TEXTS = List.of("the movie was great", "awful price and bad battery",
            "it was the phone", "love it", "the product was and it movie price terrible hate");

    @Test
    void classifierMatchesTheCliAndIsConsistentAcrossBatchingAndThreads(@TempDir Path tmp) throws Exception {
        Path dir = Tiny.classifier(tmp.resolve("m"), 5, "neg", "neu", "pos");
        try (Classifier c = Classifier.load(dir.toString(), ModelOptions.defaults().withBatchSize(2))) {
            assertEquals(List.of("neg", "neu", "pos"), c.labels());
            assertEquals("classification", c.info().task());
            assertEquals("bert", c.info().modelType());
            assertEquals("onnx", c.info().runtime()); // auto: the model exports
            List<Prediction> all = c.predict(TEXTS);
            List<String> args = new ArrayList<>(List.of("classify", "--model", dir.toString()));
            TEXTS.forEach(t -> args.addAll(List.of("--text", t)));
            CliTest.Run cli = CliTest.run(args.toArray(String[]::new));
            assertEquals(0, cli.code(), cli.err());
            String[] lines = cli.out().strip().split("\n");
            for (int i = 0; i < TEXTS.size(); i++) {
                Prediction p = all.get(i);
                double sum = p.probabilities().values().stream().mapToDouble(Double::doubleValue).sum();
                assertEquals(1.0, sum, 1e-5);
                assertEquals(p.probabilities().get(p.label()), p.score(), 0);
                assertEquals(List.of(p.label()), p.labels());
                assertEquals(3, p.logits().length);
                assertTrue(lines[i].startsWith(p.label() + "  " + String.format(java.util.Locale.ROOT, "%.4f",
                        p.score())), lines[i] + " vs " + p);
                Prediction alone = c.predict(TEXTS.get(i));
                assertEquals(p.label(), alone.label());
                assertEquals(p.score(), alone.score(), 1e-5);
            }
            ExecutorService pool = Executors.newFixedThreadPool(4);
            try {
                List<Future<List<Prediction>>> runs = new ArrayList<>();
                for (int k = 0; k < 8; k++) {
                    runs.add(pool.submit(() -> c.predict(TEXTS)));
                }
                for (Future<List<Prediction>> f : runs) {
                    List<Prediction> got = f.get();
                    for (int i = 0; i < TEXTS.size(); i++) {
                        assertArrayEquals(all.get(i).logits(), got.get(i).logits(), 1e-5);
                    }
                }
            } finally {
                pool.shutdown();
            }
            Prediction pair = c.predict("the movie was great", "awful price");
            assertNotEquals(all.get(0).score(), pair.score());
        }
    }

    /** The model .ci/run gives examples/java-api (a project that uses the installed library). */
    @Test
    void theTinyClassifierForTheJavaApiExampleLoads() throws IOException {
        Path dir = Path.of("target", "tiny-classifier");
        if (java.nio.file.Files.exists(dir)) {
            try (var files = java.nio.file.Files.list(dir)) {
                for (Path f : files.toList()) {
                    java.nio.file.Files.delete(f);
                }
            }
        }
        Tiny.classifier(dir, 3, "negative", "positive");
        try (Classifier c = Classifier.load(dir.toString())) {
            assertEquals(2, c.predict(List.of("a gripping film", "the battery died")).size());
        }
    }

    @Test
    void wrongHeadsAndMissingModelsAreOneLineErrors(@TempDir Path tmp) {
        Path qa = Tiny.qa(tmp.resolve("qa"), 2);
        Path cls = Tiny.classifier(tmp.resolve("c"), 2, "a", "b");
        UserError e = assertThrows(UserError.class, () -> Classifier.load(qa.toString()));
        assertTrue(e.getMessage().contains("QuestionAnswerer"), e.getMessage());
        e = assertThrows(UserError.class, () -> QuestionAnswerer.load(cls.toString()));
        assertTrue(e.getMessage().contains("Classifier"), e.getMessage());
        e = assertThrows(UserError.class, () -> Classifier.load(tmp.resolve("nope").toString()));
        assertTrue(!e.getMessage().contains("\n") && e.getMessage().contains("nope"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> ModelOptions.defaults().withBatchSize(0));
    }

    /** The CLI, the server and Spark refuse blank text; the library did not (predict("") gave a prediction). */
    @Test
    void blankTextsAndNullsAreRefusedInTheLibrarysOwnTerms(@TempDir Path tmp) {
        Path cls = Tiny.classifier(tmp.resolve("c"), 2, "a", "b");
        Path qaDir = Tiny.qa(tmp.resolve("qa"), 2);
        Path base = Tiny.checkpoint(tmp.resolve("base"), 3);
        String context = "the phone was great and the battery was bad";
        try (Classifier c = Classifier.load(cls.toString())) {
            refused("text is empty: pass a text with at least one non-space character", () -> c.predict(""));
            refused("texts[1] is empty", () -> c.predict(List.of("love it", " \n\t")));
            refused("textPair is empty", () -> c.predict("love it", " "));
            refused("pairs[0] is empty", () -> c.predictPairs(List.of("love it"), List.of("")));
            nulls("text is null", () -> c.predict((String) null));
            nulls("texts is null", () -> c.predict((List<String>) null));
            nulls("texts[1] is null", () -> c.predict(java.util.Arrays.asList("love it", null)));
            nulls("pairs[0] is null", () -> c.predictPairs(List.of("love it"), java.util.Arrays.asList(
                    (String) null)));
        }
        try (QuestionAnswerer qa = QuestionAnswerer.load(qaDir.toString())) {
            refused("question is empty", () -> qa.answer("", context));
            refused("context is empty", () -> qa.answers("what was great ?", " ", 1));
            refused("questions[1] is empty", () -> qa.answers(List.of("what ?", "\t"), List.of(context, context), 1));
            nulls("contexts is null", () -> qa.answers(List.of("what ?"), null, 1));
            nulls("question is null", () -> qa.answer(null, context));
        }
        try (Embedder e = Embedder.load(base.toString())) {
            refused("text is empty", () -> e.embed(""));
            refused("texts[0] is empty", () -> e.embed(List.of(""), false));
            nulls("texts is null", () -> e.embed(null, true));
        }
        nulls("model is null", () -> Classifier.load((String) null));
        nulls("model is null", () -> Classifier.load((Path) null, ModelOptions.defaults()));
        nulls("model is null", () -> QuestionAnswerer.load(null));
        nulls("model is null", () -> Embedder.load(null));
        nulls("model is null", () -> ModelInfo.task(null));
        nulls("options is null", () -> Classifier.load(cls.toString(), null));
        nulls("log is null", () -> ModelOptions.defaults().withLog(null));
        refused("model is empty: name a run or checkpoint directory", () -> Classifier.load(" "));
        // messages raised through the library name no command-line option
        for (String m : List.of(tmp.resolve("nope").toString(), "no such model")) {
            UserError e = assertThrows(UserError.class, () -> Classifier.load(m));
            assertTrue(e.getMessage().startsWith("model " + m + ": ") && !e.getMessage().contains("--"),
                    e.getMessage());
        }
        UserError r = assertThrows(UserError.class, () -> InferenceRuntime.parse("tensorrt"));
        assertEquals("runtime tensorrt: expected auto, torch, onnx or onnx-int8", r.getMessage());
    }

    private static void refused(String message, org.junit.jupiter.api.function.Executable call) {
        UserError e = assertThrows(UserError.class, call);
        assertTrue(e.getMessage().startsWith(message) && !e.getMessage().contains("\n"), e.getMessage());
    }

    private static void nulls(String message, org.junit.jupiter.api.function.Executable call) {
        assertEquals(message, assertThrows(IllegalArgumentException.class, call).getMessage());
    }

    @Test
    void modelsSayWhichDoorTheyOpenAndThresholdsCanBeSet(@TempDir Path tmp) throws IOException {
        Path qa = Tiny.qa(tmp.resolve("qa"), 2);
        Path cls = Tiny.classifier(tmp.resolve("c"), 2, "a", "b", "c");
        Path base = Tiny.checkpoint(tmp.resolve("base"), 2);
        assertEquals("qa", ModelInfo.task(qa.toString()));
        assertEquals("classification", ModelInfo.task(cls.toString()));
        assertEquals("embed", ModelInfo.task(base.toString()));
        // the config's architecture answers without reading the weights (serve loaded every weight twice)
        java.nio.file.Files.write(qa.resolve("model.safetensors"), new byte[] {1, 2, 3});
        assertEquals("qa", ModelInfo.task(qa.toString()));
        java.nio.file.Files.writeString(cls.resolve("config.json"), java.nio.file.Files.readString(
                cls.resolve("config.json")).replace("\"classification\"", "\"multilabel\""));
        assertEquals("multilabel", ModelInfo.task(cls.toString()));
        try (Classifier all = Classifier.load(cls.toString(), ModelOptions.defaults().withThreshold(0));
                Classifier none = Classifier.load(cls.toString(), ModelOptions.defaults().withThreshold(1))) {
            assertEquals(List.of("a", "b", "c"), all.predict("love it").labels());
            assertEquals(List.of(), none.predict("love it").labels());
        }
        assertThrows(IllegalArgumentException.class, () -> ModelOptions.defaults().withThreshold(1.5));
    }

    @Test
    void answersAreCodePointSpansOfTheContext(@TempDir Path tmp) {
        Path dir = Tiny.qa(tmp.resolve("qa"), 4);
        String context = "the phone 😀 was great and the battery was bad , the price was good and it was a movie";
        try (QuestionAnswerer qa = QuestionAnswerer.load(dir.toString())) {
            assertEquals("qa", qa.info().task());
            List<Answer> top = qa.answers("what was great ?", context, 3);
            assertTrue(!top.isEmpty() && top.size() <= 3, top.toString());
            for (Answer a : top) {
                int from = context.offsetByCodePoints(0, a.start());
                int to = context.offsetByCodePoints(0, a.end());
                assertEquals(context.substring(from, to), a.text());
            }
            assertTrue(top.get(0).score() >= top.get(top.size() - 1).score());
            Answer best = qa.answer("what was great ?", context);
            assertEquals(top.get(0), best);
            List<List<Answer>> two = qa.answers(List.of("what was great ?", "what was bad ?"),
                    List.of(context, context), 1);
            assertEquals(top.get(0), two.get(0).get(0));
            assertThrows(UserError.class, () -> qa.answer(" ", context));
        }
    }

    @Test
    void embeddingsAreUnitLengthMeansOnEitherRuntime(@TempDir Path tmp) {
        Path dir = Tiny.checkpoint(tmp.resolve("base"), 6);
        List<float[]> raw;
        try (Embedder e = Embedder.load(dir.toString())) {
            assertEquals(32, e.dimension());
            float[] unit = e.embed(TEXTS.get(0));
            raw = e.embed(TEXTS, false);
            double n = norm(unit);
            assertEquals(1.0, n, 1e-5);
            double r = norm(raw.get(0));
            assertNotEquals(1.0, r, 1e-3);
            for (int k = 0; k < unit.length; k++) {
                assertEquals(unit[k], raw.get(0)[k] / r, 1e-5);
            }
        }
        try (Embedder e = Embedder.load(dir.toString(), ModelOptions.defaults().withRuntime(InferenceRuntime.ONNX))) {
            assertEquals("onnx", e.info().runtime());
            List<float[]> onnx = e.embed(TEXTS, false);
            for (int i = 0; i < TEXTS.size(); i++) {
                assertArrayEquals(raw.get(i), onnx.get(i), 1e-4f);
            }
        }
    }

    @Test
    void fineTuningNamesTheSettingsItWasGivenAsKeysNotAsOptions(@TempDir Path tmp) {
        UserError bad = assertThrows(UserError.class, () -> FineTuning.run(Map.of("task", "classification",
                "train", "train.csv", "epochs", "0"), null));
        assertTrue(bad.getMessage().startsWith("epochs"), bad.getMessage());
        assertFalse(bad.getMessage().contains("--"), bad.getMessage());
        UserError unknown = assertThrows(UserError.class, () -> FineTuning.run(Map.of("task", "classification",
                "train", "train.csv", "epoch", "2"), null));
        assertEquals("unknown key 'epoch' (did you mean 'epochs'?)", unknown.getMessage());
        UserError missing = assertThrows(UserError.class, () -> FineTuning.run(Map.of("train", "train.csv"), null));
        assertTrue(missing.getMessage().startsWith("missing key 'task'"), missing.getMessage());
    }

    @Test
    void fineTuningReportsProgressAndItsRunLoads(@TempDir Path tmp) throws IOException {
        Path model = Tiny.checkpoint(tmp.resolve("tiny"), 3);
        TrainJobTest.data(tmp, "train.csv", 48, 1);
        TrainJobTest.data(tmp, "dev.csv", 16, 2);
        List<Long> steps = new ArrayList<>();
        List<Map<String, Double>> evals = new ArrayList<>();
        FineTuning.Result r = FineTuning.run(Map.of("task", "classification", "model", model.toString(),
                "data-dir", tmp.toString(), "train", "train.csv", "validation", "dev.csv", "labels",
                "negative,positive", "max-length", "32", "batch-size", "16", "epochs", "2", "out",
                tmp.resolve("run").toString()), new FineTuning.Listener() {
                    @Override
                    public void step(long step, long total, int epoch, double loss, double lr) {
                        steps.add(step);
                    }

                    @Override
                    public void evaluated(long step, int epoch, Map<String, Double> metrics) {
                        evals.add(metrics);
                    }
                });
        assertEquals(6, steps.size(), steps.toString());
        assertEquals(2, evals.size());
        assertEquals(tmp.resolve("run"), r.dir());
        assertTrue(r.validation().containsKey("accuracy"), r.validation().toString());
        try (Classifier c = Classifier.load(r.dir(), ModelOptions.defaults())) {
            assertEquals(List.of("negative", "positive"), c.labels());
            assertEquals(2, c.predict("great").logits().length);
        }
    }

    private static double norm(float[] v) {
        double s = 0;
        for (float x : v) {
            s += x * x;
        }
        return Math.sqrt(s);
    }
}
