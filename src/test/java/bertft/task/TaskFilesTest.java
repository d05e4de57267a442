package bertft.task;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import bertft.UserError;
import bertft.task.TaskSpec.Kind;
import bertft.task.TaskSpec.Source;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TaskFilesTest {
    @TempDir
    Path dir;

    private Path write(String name, String text) throws IOException {
        return Files.writeString(dir.resolve(name), text);
    }

    private TaskSpec load(String text, Map<String, String> cli) throws IOException {
        return TaskFiles.load(write("t.yaml", text), cli);
    }

    private String error(String text) throws IOException {
        return error(text, Map.of());
    }

    private String error(String text, Map<String, String> cli) throws IOException {
        Path file = write("t.yaml", text);
        String message = assertThrows(UserError.class, () -> TaskFiles.load(file, cli)).getMessage();
        // Messages name the file as given; strip the temp directory for readable expectations.
        return message.replace(file.toString(), "t.yaml");
    }

    @Test
    void minimalFileGetsDefaultsAndSaysWhereEachCameFrom() throws IOException {
        TaskSpec t = TaskFiles.load(write("sst2.yaml", "task: classification\ntrain: sst2/train.csv\n"), Map.of());
        assertEquals("sst2", t.name());
        assertEquals(Kind.CLASSIFICATION, t.task());
        assertEquals(List.of(Path.of("datasets/sst2/train.csv")), t.train());
        assertEquals(Path.of("runs/sst2"), t.out());
        assertEquals(1e-4, t.learningRate());
        assertEquals(32, t.batchSize());
        assertEquals(3.0, t.epochs());
        assertEquals(42L, t.seed());
        assertEquals("pooler", t.pooling());
        assertEquals("full", t.strategy());
        assertEquals(1.0, t.layerDecay());
        assertEquals(new Interval(1, Interval.Unit.EPOCHS), t.evalEvery());
        assertEquals(Augment.NONE, t.augment());
        assertNull(t.validation());
        assertNull(t.labels());
        assertNull(t.dropout());
        assertNull(t.earlyStopping());
        assertEquals("file " + dir.resolve("sst2.yaml") + ":2", t.provenance().get("train").toString());
        assertEquals(Source.DEFAULT, t.provenance().get("learning-rate").source());
        assertEquals(TaskSpec.keys().size(), t.provenance().size());
    }

    @Test
    void unknownKeyNamesLineAndNearestKey() throws IOException {
        assertEquals("t.yaml:3: unknown key 'learning_rate' (did you mean 'learning-rate'?)",
                error("task: classification\ntrain: a.csv\nlearning_rate: 0.1\n"));
        assertEquals("t.yaml:2: unknown key 'colour'", error("task: classification\ncolour: red\n"));
    }

    @Test
    void wrongTypesSayWhatWasExpected() throws IOException {
        assertEquals("t.yaml:2: batch-size: expected an integer, got 'abc'", error("task: qa\nbatch-size: abc\n"));
        assertEquals("t.yaml:2: learning-rate: expected a number, got 'fast'",
                error("task: qa\nlearning-rate: fast\n"));
        assertEquals("t.yaml:2: epochs: expected a number, got 'NaN'", error("task: qa\nepochs: NaN\n"));
        assertEquals("t.yaml:2: cache-features: expected true or false, got 'maybe'",
                error("task: qa\ncache-features: maybe\n"));
        assertEquals("t.yaml:2: batch-size: expected a single value, got a list", error("task: qa\nbatch-size: [1]\n"));
        assertEquals("t.yaml:2: labels: expected a single value, got a mapping", error("task: qa\nlabels: [{a: 1}]\n"));
    }

    @Test
    void outOfRangeValuesAreNamed() throws IOException {
        assertEquals("t.yaml:2: batch-size: must be >= 1, got 0", error("task: qa\nbatch-size: 0\n"));
        assertEquals("t.yaml:2: learning-rate: must be > 0, got -1e-5", error("task: qa\nlearning-rate: -1e-5\n"));
        assertEquals("t.yaml:2: warmup-ratio: must be in [0, 1), got 1", error("task: qa\nwarmup-ratio: 1\n"));
        assertEquals("t.yaml:2: epochs: must be > 0, got 0", error("task: qa\nepochs: 0\n"));
        assertEquals("t.yaml:2: dropout: must be in [0, 1), got 1.0", error("task: qa\ndropout: 1.0\n"));
        assertEquals("t.yaml:2: unfreeze-layers: must be >= 0, got -1", error("task: qa\nunfreeze-layers: -1\n"));
        assertEquals("t.yaml:2: threshold: must be in (0, 1), got 1", error("task: qa\nthreshold: 1\n"));
        assertEquals("t.yaml:2: layer-decay: must be in (0, 1], got 0", error("task: qa\nlayer-decay: 0\n"));
    }

    @Test
    void enumValuesAreListed() throws IOException {
        assertEquals("t.yaml:1: task: 'classify' is not one of [classification, sentiment, multilabel, regression, qa,"
                + " token-classification]",
                error("task: classify\n"));
        assertEquals("t.yaml:2: schedule: 'cosin' is not one of [linear, cosine, constant, slanted-triangular]",
                error("task: qa\nschedule: cosin\n"));
    }

    @Test
    void missingTaskIsAnError() throws IOException {
        assertEquals("t.yaml: missing key 'task' (one of [classification, sentiment, multilabel, regression, qa, token-classification])",
                error("train: a.csv\n"));
        assertEquals("t.yaml: missing key 'task' (one of [classification, sentiment, multilabel, regression, qa, token-classification])",
                error("task: ~\n"));
        assertEquals("t.yaml: empty task file (it needs at least 'task:' and 'train:')", error("# nothing\n"));
    }

    @Test
    void yamlSyntaxAndStructureErrorsHaveLines() throws IOException {
        assertTrue(error("task: qa\nlabels: [a, b\nepochs: 2\n").startsWith("t.yaml:"));
        assertEquals("t.yaml:3: 'epochs' is set twice (first on line 2)", error("task: qa\nepochs: 1\nepochs: 2\n"));
        assertEquals("t.yaml:1: expected 'key: value' entries, got a list", error("- task: qa\n"));
        Path missing = dir.resolve("nope.yaml");
        assertEquals(missing + ": no such task file",
                assertThrows(UserError.class, () -> TaskFiles.load(missing, Map.of())).getMessage());
        Path latin1 = dir.resolve("latin1.yaml");
        Files.write(latin1, "task: qa\nname: caf\u00e9\n".getBytes(StandardCharsets.ISO_8859_1));
        assertEquals(latin1 + ": not valid UTF-8 (re-save it as UTF-8)",
                assertThrows(UserError.class, () -> TaskFiles.load(latin1, Map.of())).getMessage());
    }

    @Test
    void commandLineWinsOverFileAndIsParsedTheSameWay() throws IOException {
        TaskSpec t = load("task: classification\nlearning-rate: 3e-5\nbatch-size: 16\n",
                Map.of("--learning-rate", "5e-5", "epochs", "1.5", "--labels", "neg, pos"));
        assertEquals(5e-5, t.learningRate());
        assertEquals(16, t.batchSize());
        assertEquals(1.5, t.epochs());
        assertEquals(List.of("neg", "pos"), t.labels());
        assertEquals(Source.CLI, t.provenance().get("learning-rate").source());
        assertEquals("cli --learning-rate", t.provenance().get("learning-rate").toString());
        assertEquals(Source.FILE, t.provenance().get("batch-size").source());
        assertEquals(List.of("a", "b"), load("task: classification\n", Map.of("--labels", "[a, b]")).labels());
    }

    @Test
    void commandLineMistakesNameTheOption() throws IOException {
        assertEquals("--batch-size: expected an integer, got 'x'",
                error("task: qa\n", Map.of("--batch-size", "x")));
        assertEquals("unknown option '--learnin-rate' (did you mean '--learning-rate'?)",
                error("task: qa\n", Map.of("--learnin-rate", "1e-4")));
        assertEquals("--warmup-ratio: must be in [0, 1), got 2", error("task: qa\n", Map.of("--warmup-ratio", "2")));
        assertEquals("--sentiment-map: needs at least two polarities, e.g. {negative: [1, 2], positive: [4, 5]}",
                error("task: sentiment\n", Map.of("--sentiment-map", "{bad: [1]}")));
    }

    @Test
    void trainNamesOneFileOrSeveral() throws IOException {
        TaskSpec list = TaskFiles.load(write("t.yaml", "task: classification\ndata-dir: /d\ntrain: [a.csv, sub/b.csv]\n"),
                Map.of());
        assertEquals(List.of(Path.of("/d/a.csv"), Path.of("/d/sub/b.csv")), list.train());
        TaskSpec option = TaskFiles.load(null, Map.of("--task", "classification", "--data-dir", "/d",
                "--train", "a.csv,/abs/b.csv"));
        assertEquals(List.of(Path.of("/d/a.csv"), Path.of("/abs/b.csv")), option.train());
        TaskSpec again = TaskFiles.load(write("again.yaml", list.toYaml()), Map.of());
        assertEquals(list.train(), again.train());
        assertEquals("t.yaml:2: train: 'a.csv' appears twice",
                error("task: classification\ntrain: [a.csv, a.csv]\n"));
        assertEquals("t.yaml:2: train: not a valid path: 'a\u0000.csv'",
                error("task: classification\ntrain: [ok.csv, \"a\\0.csv\"]\n"));
    }

    @Test
    void optionsWithoutFileNeedTask() {
        assertEquals("missing option --task (one of [classification, sentiment, multilabel, regression, qa, token-classification])",
                assertThrows(UserError.class, () -> TaskFiles.load(null, Map.of())).getMessage());
        TaskSpec t = TaskFiles.load(null, Map.of("--task", "regression", "--train", "x.csv", "--data-dir", "/d"));
        assertEquals("task", t.name());
        assertEquals(List.of(Path.of("/d/x.csv")), t.requireTrain());
        assertEquals("no training file: set 'train:' or --train",
                assertThrows(UserError.class, () -> TaskFiles.load(null, Map.of("task", "regression")).requireTrain())
                        .getMessage());
    }

    @Test
    void strategyPresetsFillOnlyWhatTheUserLeftOut() throws IOException {
        TaskSpec ulmfit = load("task: classification\nstrategy: ulmfit\nschedule: cosine\n", Map.of());
        assertEquals(0.85, ulmfit.layerDecay());
        assertEquals("cosine", ulmfit.schedule());
        assertEquals(Interval.Unit.AUTO, ulmfit.unfreezeEvery().unit());
        assertEquals("preset strategy ulmfit", ulmfit.provenance().get("layer-decay").toString());
        assertEquals(Source.FILE, ulmfit.provenance().get("schedule").source());

        TaskSpec frozen = load("task: classification\nstrategy: frozen\n", Map.of());
        assertEquals("sentence", frozen.pooling());
        assertEquals(1e-2, frozen.headLearningRate());
        assertEquals(1e-4, frozen.learningRate());
        TaskSpec frozenPooler = load("task: classification\npooling: pooler\n", Map.of("--strategy", "frozen"));
        assertEquals("pooler", frozenPooler.pooling());
        assertEquals("preset strategy frozen", frozenPooler.provenance().get("head-learning-rate").toString());
        assertEquals("pooler", load("task: classification\n", Map.of()).pooling(), "only frozen changes the pooling");
        assertEquals(1e-3, load("task: classification\nstrategy: lora\n", Map.of()).learningRate());
        assertEquals(2e-4, load("task: classification\nstrategy: lora\nlearning-rate: 2e-4\n", Map.of()).learningRate());

        TaskSpec llrd = load("task: classification\n", Map.of("--strategy", "llrd", "--layer-decay", "0.9"));
        assertEquals(0.9, llrd.layerDecay());
        assertEquals("linear", llrd.schedule());
        assertNull(llrd.unfreezeEvery());

        TaskSpec gradual = load("task: classification\nstrategy: gradual\nunfreeze-every: 1 epoch\n", Map.of());
        assertEquals(new Interval(1, Interval.Unit.EPOCHS), gradual.unfreezeEvery());
        assertEquals(1.0, gradual.layerDecay());

        assertEquals("t.yaml:2: strategy: top-k needs unfreeze-layers (how many top layers to train)",
                error("task: classification\nstrategy: top-k\n"));
        assertEquals(2, load("task: classification\nstrategy: top-k\nunfreeze-layers: 2\n", Map.of()).unfreezeLayers());
    }

    @Test
    void intervalsResolveToSteps() throws IOException {
        TaskSpec t = load("task: classification\neval-every: 500\nunfreeze-every: 0.5 epochs\n", Map.of());
        assertEquals(500, t.evalEvery().steps(100, 1000, 6));
        assertEquals(50, t.unfreezeEvery().steps(100, 1000, 6));
        assertEquals(62, new Interval(0, Interval.Unit.AUTO).steps(100, 1000, 6)); // 1000 / (2 * 8)
        assertEquals(new Interval(200, Interval.Unit.STEPS),
                load("task: regression\n", Map.of("--eval-every", "200 steps")).evalEvery());
        assertEquals("t.yaml:2: eval-every: 'auto' is only for unfreeze-every; use 'epoch' or a number of steps",
                error("task: qa\neval-every: auto\n"));
        assertEquals("t.yaml:2: unfreeze-every: expected 'epoch', a number of steps, '500 steps', '0.5 epochs' or "
                + "'auto', got 'often'", error("task: qa\nunfreeze-every: often\n"));
    }

    @Test
    void earlyStoppingDefaultsToTheTasksMainMetric() throws IOException {
        String base = "task: regression\nvalidation: dev.csv\n";
        EarlyStopping es = load(base + "early-stopping: {patience: 2}\n", Map.of()).earlyStopping();
        assertEquals(new EarlyStopping("pearson", 2, "max"), es);
        assertEquals(new EarlyStopping("mse", 3, "min"),
                load(base + "early-stopping:\n  metric: mse\n", Map.of()).earlyStopping());
        assertEquals(new EarlyStopping("pearson", 3, "max"),
                load(base, Map.of("--early-stopping", "true")).earlyStopping());
        assertEquals("t.yaml:3: early-stopping: metric 'accuracy' is not one of [mse, pearson, spearman, loss] "
                + "(task regression)", error(base + "early-stopping: {metric: accuracy}\n"));
        assertEquals("t.yaml:4: early-stopping: unknown key 'patiense' (did you mean 'patience'?)",
                error(base + "early-stopping:\n  patiense: 2\n"));
        assertEquals("t.yaml:3: early-stopping: patience: must be >= 1, got 0",
                error(base + "early-stopping: {patience: 0}\n"));
        assertEquals("t.yaml:2: early-stopping: needs a validation file (set validation or validation-split)",
                error("task: regression\nearly-stopping: {patience: 2}\n"));
    }

    @Test
    void sentimentMapAndAugment() throws IOException {
        TaskSpec t = load("task: sentiment\nsentiment-map:\n  negative: [1, 2]\n  neutral: 3\n  positive: [4, 5]\n"
                + "augment: {token-dropout: 0.1}\n", Map.of());
        assertEquals(List.of("negative", "neutral", "positive"), t.sentimentMap().names());
        assertEquals("neutral", t.sentimentMap().polarity(3.0));
        assertNull(t.sentimentMap().polarity(6));
        assertEquals(new Augment(0.1, 0), t.augment());
        assertEquals("positive", load("task: sentiment\n", Map.of()).sentimentMap().polarity(5)); // the default map
        assertEquals("t.yaml:2: sentiment-map: positive: rating 2 is already negative",
                error("task: sentiment\nsentiment-map: {negative: [1, 2], positive: [2, 5]}\n"));
        assertEquals("t.yaml:2: sentiment-map: negative: expected a number, got 'one'",
                error("task: sentiment\nsentiment-map: {negative: [one], positive: [5]}\n"));
        assertEquals("t.yaml:2: sentiment-map: polarity 'neutral' is not one of the labels [negative, positive]",
                error("task: sentiment\nsentiment-map: {negative: [1], neutral: [3], positive: [5]}\n"
                        + "labels: [negative, positive]\n"));
        assertEquals("t.yaml:2: augment: token-mask: must be in [0, 1), got 1.5",
                error("task: qa\naugment: {token-mask: 1.5}\n"));
        assertEquals("t.yaml:2: labels: 'a' appears twice", error("task: qa\nlabels: [a, b, a]\n"));
    }

    @Test
    void qaWindowMustHoldTheStride() throws IOException {
        assertEquals("t.yaml: doc-stride: 128 must be less than max-length - max-query-length - 3 = 61 "
                + "(the context tokens per window)", error("task: qa\n"));
        assertEquals(128, load("task: qa\nmax-length: 384\n", Map.of()).docStride());
    }

    @Test
    void toYamlWritesEveryKeyAndLoadsBackTheSame() throws IOException {
        TaskSpec t = load("task: sentiment\nlabels: [negative, positive]\nlearning-rate: 2e-5\nstrategy: ulmfit\n"
                + "validation: dev.csv\nearly-stopping: {patience: 2}\naugment: {token-mask: 0.15}\nlabel-separator: '|'\n",
                Map.of("--name", "yes", "--seed", "7"));
        String yaml = t.toYaml();
        assertTrue(yaml.contains("learning-rate: 0.00002  # file "), yaml);
        assertTrue(yaml.contains("seed: 7  # cli --seed\n"), yaml);
        assertTrue(yaml.contains("layer-decay: 0.85  # preset strategy ulmfit\n"), yaml);
        assertTrue(yaml.contains("sentiment-map: {negative: [1, 2], positive: [4, 5]}  # default\n"), yaml);
        assertTrue(yaml.contains("dropout: null  # default\n"), yaml);
        TaskSpec again = TaskFiles.load(write("again.yaml", yaml), Map.of());
        for (Key k : TaskSpec.keys()) {
            assertEquals(t.get(k.name()), again.get(k.name()), k.name());
        }
    }

    @Test
    void registryUsesOneKebabCaseSpellingAndEveryDefaultParses() {
        Set<String> seen = new HashSet<>();
        Pattern kebab = Pattern.compile("[a-z][a-z0-9]*(-[a-z0-9]+)*");
        for (Key k : TaskSpec.keys()) {
            assertTrue(kebab.matcher(k.name()).matches(), k.name());
            assertTrue(seen.add(k.name()), k.name());
            assertEquals("--" + k.name(), k.option());
            assertTrue(!k.description().isBlank(), k.name());
            assertEquals(k.type() == Key.Type.CHOICE, !k.allowed().isEmpty(), k.name());
        }
        TaskSpec t = TaskFiles.load(null, Map.of("task", "classification"));
        for (Key k : TaskSpec.keys()) {
            assertEquals(k.name().equals("task") ? Source.CLI : Source.DEFAULT, t.provenance().get(k.name()).source());
        }
    }

    @Test
    void shippedTaskFilesLoad() throws IOException {
        List<Path> files;
        try (var s = Files.list(Path.of("tasks"))) {
            files = s.filter(p -> p.toString().endsWith(".yaml")).sorted().toList();
        }
        assertEquals(List.of("agnews-few.yaml", "agnews.yaml", "books-to-electronics.yaml", "books-to-kitchen.yaml",
                "chnsenticorp.yaml", "cr-few.yaml", "dvd-in-domain.yaml", "dvd-to-electronics.yaml",
                "electronics-in-domain.yaml", "electronics-to-dvd.yaml", "goemotions.yaml", "kitchen-in-domain.yaml",
                "msra-ner.yaml", "reviews-sentiment.yaml", "shop-books-to-computers.yaml",
                "shop-computers-in-domain.yaml", "squad.yaml", "sst2-few.yaml", "sst2-intermediate.yaml",
                "sst2-lora.yaml", "sst2.yaml", "trec.yaml", "waimai.yaml", "wnut17.yaml"),
                files.stream().map(p -> p.getFileName().toString()).toList());
        Path shared = Path.of("../shared/datasets");
        for (Path f : files) {
            String text = Files.readString(f);
            assertTrue(text.startsWith("# "), f + " starts with a comment saying what it is");
            TaskSpec t = TaskFiles.load(f, Map.of());
            assertFalse(t.train().isEmpty(), f.toString());
            // reviews-sentiment reads datasets/; the shop-* tasks the per-domain files scripts/split-by-column.py makes
            if (Files.isDirectory(shared) && !t.name().equals("reviews-sentiment") && !t.name().startsWith("shop-")) {
                TaskSpec there = TaskFiles.load(f, Map.of("--data-dir", shared.toString()));
                List<Path> all = new java.util.ArrayList<>(there.train());
                all.add(there.validation());
                all.add(there.test());
                all.addAll(there.domainText());
                for (Path data : all) {
                    assertTrue(data == null || Files.isRegularFile(data), data + " of " + f);
                }
            }
        }
        TaskSpec go = TaskFiles.load(Path.of("tasks/goemotions.yaml"), Map.of());
        assertEquals(28, go.labels().size());
        assertEquals("neutral", go.labels().get(27));
        assertEquals(Kind.MULTILABEL, go.task());
        TaskSpec squad = TaskFiles.load(Path.of("tasks/squad.yaml"), Map.of());
        assertEquals(384, squad.maxLength());
        // passes of 8 keep a 32x384 step under 4 GB of RSS (2.8 GB measured; passes of 16 peaked at 4.3-4.8 GB)
        assertEquals(32, squad.batchSize());
        assertEquals(8, squad.microBatchSize());
    }
}
