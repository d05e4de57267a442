package bertft.run;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import bertft.Tiny;
import bertft.cli.CliTest;
import bertft.data.Features;
import bertft.data.TaggedData;
import bertft.model.Checkpoint;
import bertft.model.TaskModel;
import bertft.model.Torch;
import bertft.task.TaskFiles;
import bertft.task.TaskSpec;
import bertft.text.BertTokenizer;
import bertft.train.TokenObjective;
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
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Token classification end to end on a tiny random BERT: train, reload, evaluate; the loss by hand; bad input. */
public class TokenClassificationTest {

    /**
     * CoNLL sentences whose entities are fixed words (learnable by a tiny model): {@code man}/{@code woman} a
     * person, {@code guitar music} a two-word work, {@code horses} (two pieces) an animal.
     */
    static Path conll(Path dir, String name, int n, long seed) throws IOException {
        Random r = new Random(seed);
        String[] filler = {"the", "was", "it", "and", "to", "in", "good", "phone", "price", "day", "time", "food"};
        List<String> lines = new ArrayList<>();
        for (int s = 0; s < n; s++) {
            for (int k = 0; k < 2 + r.nextInt(8); k++) {
                if (r.nextInt(4) == 0) {
                    switch (r.nextInt(3)) {
                        case 0 -> lines.add((r.nextBoolean() ? "man" : "woman") + "\tB-person");
                        case 1 -> {
                            lines.add("guitar\tB-work");
                            lines.add("music\tI-work");
                        }
                        default -> lines.add("horses\tB-animal");
                    }
                } else {
                    lines.add(filler[r.nextInt(filler.length)] + "\tO");
                }
            }
            lines.add("");
        }
        Path f = dir.resolve(name);
        Files.write(f, lines);
        return f;
    }

    static Path task(Path dir, Path model, String extra) throws IOException {
        Path t = dir.resolve("ner.yaml");
        Files.writeString(t, String.join("\n",
                "task: token-classification",
                "model: " + model,
                "data-dir: " + dir,
                "train: train.conll",
                "validation: dev.conll",
                "max-length: 32",
                "batch-size: 16",
                "epochs: 3",
                "learning-rate: 3e-3",
                extra, ""));
        return t;
    }

    @Test
    void trainsAHuggingFaceTokenClassifierThatReloadsAndEvaluates(@TempDir Path tmp) throws IOException {
        Path model = Tiny.checkpoint(tmp.resolve("tiny"), 3);
        conll(tmp, "train.conll", 160, 1);
        Path dev = conll(tmp, "dev.conll", 40, 2);
        Path out = tmp.resolve("run");
        var r = CliTest.run("train", task(tmp, model, "").toString(), "--out", out.toString(), "--seed", "7");
        assertEquals(0, r.code(), r.err());

        JsonObject config = JsonParser.parseString(Files.readString(out.resolve("config.json"))).getAsJsonObject();
        assertEquals("BertForTokenClassification", config.getAsJsonArray("architectures").get(0).getAsString());
        assertEquals("I-work", config.getAsJsonObject("id2label").get("4").getAsString());
        assertEquals(4, config.getAsJsonObject("label2id").get("I-work").getAsInt());
        assertEquals("token-classification", config.getAsJsonObject("bert_ft_task").get("task").getAsString());
        assertEquals("iob2", config.getAsJsonObject("bert_ft_task").get("tag_scheme").getAsString());
        Checkpoint ckpt = Checkpoint.read(out);
        assertEquals(List.of("classifier.bias", "classifier.weight"), ckpt.heads().keySet().stream().sorted().toList());
        assertFalse(ckpt.encoder().containsKey("pooler.dense.weight"), "BertForTokenClassification has no pooler");

        JsonObject report = JsonParser.parseString(Files.readString(out.resolve("report.json"))).getAsJsonObject();
        JsonObject metrics = report.getAsJsonObject("validation").getAsJsonObject("metrics");
        double f1 = metrics.get("f1").getAsDouble();
        assertTrue(f1 > 0.8, "a tiny model learns the fixed-word entities: f1 " + f1);
        assertTrue(metrics.getAsJsonObject("per_type").has("work"), metrics.toString());
        String md = Files.readString(out.resolve("report.md"));
        assertTrue(md.contains("| type | precision | recall | f1 | support |") && md.contains("| work |"), md);
        String html = Files.readString(out.resolve("report.html"));
        assertTrue(html.contains("Entities by type") && !html.contains("<script src"), "self-contained html");

        var e = CliTest.run("evaluate", "--model", out.toString(), "--data", dev.toString(), "--out",
                tmp.resolve("eval").toString());
        assertEquals(0, e.code(), e.err());
        JsonObject eval = JsonParser.parseString(Files.readString(tmp.resolve("eval/report.json"))).getAsJsonObject();
        assertEquals(f1, eval.getAsJsonObject("validation").getAsJsonObject("metrics").get("f1").getAsDouble(), 1e-9,
                "evaluate reproduces the run's own validation score");
        var st = CliTest.run("evaluate", "--model", out.toString(), "--data", dev.toString(), "--strict", "--out",
                tmp.resolve("eval-strict").toString());
        assertEquals(0, st.code(), st.err());
        assertTrue(Files.readString(tmp.resolve("eval-strict/report.json")).contains("\"mode\": \"strict\""));
        List<String> predicted = Files.readAllLines(tmp.resolve("eval/predictions.conll"));
        List<String> gold = Files.readAllLines(dev);
        assertEquals(gold.size(), predicted.size());
        for (int i = 0; i < gold.size(); i++) {
            assertTrue(gold.get(i).isEmpty() ? predicted.get(i).isEmpty()
                    : predicted.get(i).startsWith(gold.get(i) + "\t") && predicted.get(i).split("\t").length == 3,
                    "word, gold, predicted: " + predicted.get(i));
        }

        // tag: raw text as the pipeline answers (code points: the emoji is one), a CoNLL file with a tag appended
        var t = CliTest.run("tag", "--model", out.toString(), "--json", "--text", "\uD83D\uDE00 the man and guitar music");
        assertEquals(0, t.code(), t.err());
        assertEquals("[{\"entity_group\":\"person\",\"score\":S,\"word\":\"man\",\"start\":6,\"end\":9},"
                + "{\"entity_group\":\"work\",\"score\":S,\"word\":\"guitar music\",\"start\":14,\"end\":26}]",
                t.out().strip().replaceAll("\"score\":[0-9.E-]+", "\"score\":S"));
        Path tagged = tmp.resolve("tagged.conll");
        var f = CliTest.run("tag", dev.toString(), "--model", out.toString(), "--out", tagged.toString());
        assertEquals(0, f.code(), f.err());
        List<String> eval2 = Files.readAllLines(tmp.resolve("eval/predictions.conll"));
        assertEquals(eval2, Files.readAllLines(tagged), "tag appends the same tags evaluate predicts");
        // --out never replaces the input, and must name a file
        byte[] before = Files.readAllBytes(dev);
        var self = CliTest.run("tag", dev.toString(), "--model", out.toString(), "--out", dev.toString());
        assertEquals(2, self.code());
        assertEquals("bert-ft: --out " + dev + ": is the input file " + dev + "; write the output to another file",
                self.err().strip());
        assertArrayEquals(before, Files.readAllBytes(dev));
        var empty = CliTest.run("tag", dev.toString(), "--model", out.toString(), "--out", "");
        assertEquals(2, empty.code());
        assertEquals("bert-ft: --out: empty value; give a file name such as tagged.conll", empty.err().strip());
        try (bertft.api.Tagger tagger = bertft.api.Tagger.load(out.toString())) {
            // first: the word takes its first piece's tag (the only one trained), over both pieces
            List<bertft.api.Tagger.Entity> es = tagger.tag(List.of("horses"),
                    bertft.infer.EntityGrouping.Aggregation.FIRST).get(0);
            assertEquals(1, es.size());
            assertEquals(new bertft.api.Tagger.Entity("animal", es.get(0).score(), "horses", 0, 6, -1), es.get(0));
        }
        // the token head on ONNX Runtime: the same tags as on libtorch
        var x = CliTest.run("export", out.toString(), "--format", "onnx", "--out", tmp.resolve("onnx").toString());
        assertEquals(0, x.code(), x.err());
        Path onnxTagged = tmp.resolve("onnx-tagged.conll");
        var o = CliTest.run("tag", dev.toString(), "--model", tmp.resolve("onnx").toString(), "--out",
                onnxTagged.toString());
        assertEquals(0, o.code(), o.err());
        assertEquals(Files.readAllLines(tagged), Files.readAllLines(onnxTagged));
        var q = CliTest.run("tag", "--model", out.toString(), "--runtime", "onnx-int8", "--text", "the man");
        assertEquals(0, q.code(), q.err());
        try (TrainedModel torch = TrainedModel.load(out); TrainedModel ort = TrainedModel.load(tmp.resolve("onnx"))) {
            assertEquals(TaskSpec.Kind.TOKEN_CLASSIFICATION, ort.kind());
            assertEquals(torch.labels(), ort.labels());
            List<ai.djl.huggingface.tokenizers.Encoding> in = List.of(torch.tokenizer().encode("the man and horses"),
                    torch.tokenizer().encode("guitar music"));
            org.junit.jupiter.api.Assertions.assertArrayEquals(torch.forward().logits(in), ort.forward().logits(in),
                    1e-4f);
        }
        var c = CliTest.run("classify", "--model", out.toString(), "--text", "the man");
        assertEquals(2, c.code());
        assertTrue(c.err().contains("is a token-classification model; load it with Tagger (on the command line: use"
                + " `bert-ft tag`)"), c.err());

        try (TrainedModel m = TrainedModel.load(out)) {
            assertEquals(TaskSpec.Kind.TOKEN_CLASSIFICATION, m.kind());
            assertEquals(TaskModel.Head.TOKEN, m.model().head());
            assertEquals(List.of("O", "B-animal", "B-person", "B-work", "I-work"), m.labels());
        }
    }

    @Test
    void everyStrategyTrainsATaggerAndCompareRanksThemByEntityF1(@TempDir Path tmp) throws IOException {
        Path model = Tiny.checkpoint(tmp.resolve("tiny"), 3);
        conll(tmp, "train.conll", 48, 1);
        conll(tmp, "dev.conll", 16, 2);
        Path t = task(tmp, model, "class-weights: balanced");
        var r = CliTest.run("compare", t.toString(), "--epochs", "1", "--strategies", "frozen,top-1,full,llrd,gradual,ulmfit", "--out",
                tmp.resolve("cmp").toString());
        assertEquals(0, r.code(), r.err());
        String md = Files.readString(tmp.resolve("cmp/compare.md"));
        for (String s : List.of("frozen", "top-1", "full", "llrd", "gradual", "ulmfit")) {
            assertTrue(md.contains(s), s + " in " + md);
        }
        assertTrue(md.contains("f1"), md);
    }

    @Test
    void anInterruptedTaggerRunResumesToTheSameWeights(@TempDir Path tmp) throws IOException {
        Path model = Tiny.checkpoint(tmp.resolve("tiny"), 3);
        conll(tmp, "train.conll", 64, 1);
        conll(tmp, "dev.conll", 16, 2);
        Path task = task(tmp, model, "eval-every: 4");
        Path full = tmp.resolve("full");
        assertEquals(0, CliTest.run("train", task.toString(), "--out", full.toString()).code());
        Path part = tmp.resolve("part");
        TrainJobTest.trainKilledAfterStep(8, task, part);
        var resumed = CliTest.run("train", "--resume", part.toString());
        assertEquals(0, resumed.code(), resumed.err());
        for (String key : List.of("classifier.weight", "bert.encoder.layer.1.output.dense.weight")) {
            org.junit.jupiter.api.Assertions.assertArrayEquals(
                    bertft.checkpoint.SafeTensors.read(full.resolve("model.safetensors")).get(key).toFloats(),
                    bertft.checkpoint.SafeTensors.read(part.resolve("model.safetensors")).get(key).toFloats(), 1e-6f,
                    key);
        }
    }

    @Test
    void tuneSearchesATaggerOnEntityF1(@TempDir Path tmp) throws IOException {
        Path model = Tiny.checkpoint(tmp.resolve("tiny"), 3);
        conll(tmp, "train.conll", 48, 1);
        conll(tmp, "dev.conll", 16, 2);
        conll(tmp, "more.conll", 64, 3);
        // a data key in the space: every value is read before the search, as a trial reads it (CoNLL, not a table)
        var r = CliTest.run("tune", task(tmp, model, "").toString(), "--epochs", "1", "--space",
                "learning-rate=1e-3,3e-3; train=train.conll,more.conll", "--trials", "2", "--seeds", "1", "--out",
                tmp.resolve("tune").toString());
        assertEquals(0, r.code(), r.err());
        JsonObject tune = JsonParser.parseString(Files.readString(tmp.resolve("tune/tune.json"))).getAsJsonObject();
        assertTrue(tune.toString().contains("\"f1\""), tune.toString());
    }

    @Test
    void aHuggingFaceTokenCheckpointWithoutABertFtTaskLoadsAsATagger(@TempDir Path tmp) {
        Torch.init();
        Path model = Tiny.checkpoint(tmp.resolve("tiny"), 3);
        try (TaskModel m = TaskModel.create(Checkpoint.read(model), TaskModel.Head.TOKEN, 3, TaskModel.Pooling.CLS,
                0.1, 1, "tiny", false)) {
            JsonObject extra = new JsonObject();
            JsonObject id2label = new JsonObject();
            List.of("O", "B-PER", "I-PER").forEach(l -> id2label.addProperty(Integer.toString(id2label.size()), l));
            extra.add("id2label", id2label);
            try (BertTokenizer tok = Tiny.tokenizer(32)) {
                Checkpoint.writeInto(tmp.resolve("hf"), m.checkpoint(extra), tok);
            }
        }
        try (TrainedModel m = TrainedModel.load(tmp.resolve("hf"))) {
            assertEquals(TaskSpec.Kind.TOKEN_CLASSIFICATION, m.kind());
            assertEquals(List.of("O", "B-PER", "I-PER"), m.labels());
        }
    }

    /**
     * Every family's *ForTokenClassification: dropout and {@code classifier} over every position, saved with
     * HuggingFace's names and no pooler, and loaded back (as a Hub checkpoint, no bert_ft_task) to the same logits.
     * scripts/check-hf-token-heads.py checks the same saves against Transformers.
     */
    @ParameterizedTest
    @ValueSource(strings = {"bert", "distilbert", "roberta", "xlm-roberta", "electra", "deberta-v2"})
    void everyFamilysTokenHeadSavesWithHuggingFaceNamesAndReloads(String family, @TempDir Path tmp) {
        Torch.init();
        Path base = Path.of("../shared/golden/families", family, "base");
        org.junit.jupiter.api.Assumptions.assumeTrue(Files.isDirectory(base), "no golden families here");
        float[] before;
        try (TaskModel m = TaskModel.create(Checkpoint.read(base), TaskModel.Head.TOKEN, 3, TaskModel.Pooling.CLS,
                0.1, 7, family, false); BertTokenizer tok = BertTokenizer.load(base, 16);
                NDManager nd = NDManager.newBaseManager()) {
            ai.djl.huggingface.tokenizers.Encoding e = tok.encode("w5 w17 w42 w8 w91 w33");
            NDArray logits = m.forward(bertft.text.Batch.of(List.of(e), nd));
            assertEquals(new Shape(1, 8, 3), logits.getShape());
            before = logits.toFloatArray();
            JsonObject extra = new JsonObject();
            JsonObject id2label = new JsonObject();
            List.of("O", "B-X", "I-X").forEach(l -> id2label.addProperty(Integer.toString(id2label.size()), l));
            extra.add("id2label", id2label);
            Checkpoint.writeInto(tmp, m.checkpoint(extra), tok);
        }
        Checkpoint saved = Checkpoint.read(tmp);
        assertEquals(List.of("classifier.bias", "classifier.weight"), saved.heads().keySet().stream().sorted().toList());
        assertTrue(saved.encoder().keySet().stream().noneMatch(k -> k.startsWith("pooler.")), "no pooler");
        assertTrue(saved.config().json().getAsJsonArray("architectures").get(0).getAsString()
                .endsWith("ForTokenClassification"));
        try (TrainedModel m = TrainedModel.load(tmp)) {
            assertEquals(TaskSpec.Kind.TOKEN_CLASSIFICATION, m.kind());
            float[] after = m.forward().logits(List.of(m.tokenizer().encode("w5 w17 w42 w8 w91 w33")));
            org.junit.jupiter.api.Assertions.assertArrayEquals(before, after, 1e-6f);
        }
    }

    @Test
    void piecesContinueAWordAsTheFastPipelineDecides(@TempDir Path tmp) {
        Torch.init();
        try (BertTokenizer tok = Tiny.tokenizer(32)) {
            String text = "\uD83D\uDE00 horses";  // an emoji ([UNK], one code point), then horse ##s
            ai.djl.huggingface.tokenizers.Encoding e = tok.encode(text);
            float[] logits = new float[e.getIds().length * 2];
            List<bertft.infer.EntityGrouping.Piece> p = Tagging.pieces(text, e, logits, 2, tok);
            assertEquals(List.of("\uD83D\uDE00", "horse", "##s"), p.stream().map(bertft.infer.EntityGrouping.Piece::token).toList());
            assertEquals(List.of(false, false, true), p.stream().map(bertft.infer.EntityGrouping.Piece::subword).toList());
            assertEquals(List.of(0, 2, 7), p.stream().map(bertft.infer.EntityGrouping.Piece::start).toList());
            assertEquals(List.of(1, 7, 8), p.stream().map(bertft.infer.EntityGrouping.Piece::end).toList());
            assertEquals(0.5, p.get(1).scores()[0], 1e-9, "softmax of equal logits");
        }
    }

    @Test
    void theReportListsTheSentencesWithTheMostEntityErrorsFirst(@TempDir Path tmp) throws IOException {
        Path f = tmp.resolve("g.conll");
        Files.writeString(f, "a\tB-per\nb\tO\n\nc\tB-loc\nd\tI-loc\ne\tB-per\n\nf\tO\n");
        TaggedData d = TaggedData.read(f, null);
        List<List<String>> predicted = List.of(List.of("B-per", "O"), List.of("B-loc", "O", "B-org"), List.of("B-x"));
        JsonObject report = Tagging.report(d, predicted, bertft.eval.Entities.Mode.DEFAULT).toJson();
        assertEquals("[{\"line\":4,\"text\":\"c d e\",\"gold\":\"[loc: c d], [per: e]\",\"predicted\":\"[loc: c],"
                + " [org: e]\",\"errors\":4},{\"line\":8,\"text\":\"f\",\"gold\":\"\",\"predicted\":\"[x: f]\","
                + "\"errors\":1}]", report.get("worst_sentences").toString());
        String md = Reports.markdown(TaskFiles.load(null, java.util.Map.of("task", "token-classification")),
                wrap(report));
        assertTrue(md.contains("| 4 | c d e | [loc: c d], [per: e] | [loc: c], [org: e] |"), md);
        // 1-10 words: all three sentences; gold per, loc, per; predicted per (right), loc (cut short), org, x: P 1/4,
        // R 1/3, F1 2/7
        assertEquals("{\"1-10\":{\"sentences\":3,\"entities\":3,\"precision\":0.25,\"recall\":0.3333333333333333,"
                + "\"f1\":0.2857142857142857}}", report.get("by_sentence_length").toString());
        assertTrue(md.contains("| 1-10 | 3 | 3 | 0.2500 | 0.3333 | 0.2857 |"), md);
    }

    private static JsonObject wrap(JsonObject validation) {
        JsonObject o = new JsonObject();
        o.add("validation", validation);
        return o;
    }

    @Test
    void lossIsTheMeanOverLabelledPositionsAsIgnoreIndexComputesIt() {
        Torch.init();
        try (NDManager m = NDManager.newBaseManager()) {
            float[] z = {1, 2, 0, /**/ 0.5f, -1, 3, /**/ 2, 2, 2, /**/ -2, 0, 1}; // (B=2, T=2, C=3)
            NDArray logits = m.create(z, new Shape(2, 2, 3));
            long[] labels = {0, TokenObjective.IGNORED, 2, 1};
            double expected = (nll(z, 0, 0) + nll(z, 2, 2) + nll(z, 3, 1)) / 3;
            assertEquals(expected, TokenObjective.loss(logits, labels, null, m).getFloat(), 1e-6);
            float[] w = {2, 0.5f, 1};
            double weighted = (2 * nll(z, 0, 0) + 1 * nll(z, 2, 2) + 0.5 * nll(z, 3, 1)) / (2 + 1 + 0.5);
            assertEquals(weighted, TokenObjective.loss(logits, labels, w, m).getFloat(), 1e-6);
        }
    }

    /** -log softmax(z[row])[label], in doubles. */
    private static double nll(float[] z, int row, int label) {
        double sum = 0;
        for (int c = 0; c < 3; c++) {
            sum += Math.exp(z[row * 3 + c]);
        }
        return Math.log(sum) - z[row * 3 + label];
    }

    @Test
    void labelsSitOnFirstPiecesOrOnEveryPieceWithBTurnedIntoI(@TempDir Path tmp) throws IOException {
        Path f = tmp.resolve("s.conll");
        Files.writeString(f, "horses\tB-animal\nran\tI-animal\n\nthe\tO\n");
        TaggedData d = TaggedData.read(f, null);
        List<String> labels = List.of("O", "B-animal", "I-animal");
        try (BertTokenizer tok = Tiny.tokenizer(32)) {
            // [CLS] horse ##s r ##a ##n [SEP]
            Features first = Tagging.features(d, labels, tok, 32, 8, false);
            assertEquals(List.of(-1f, 1f, -1f, 2f, -1f, -1f, -1f), boxed(first.targets().get(0)));
            Features all = Tagging.features(d, labels, tok, 32, 8, true);
            assertEquals(List.of(-1f, 1f, 2f, 2f, 2f, 2f, -1f), boxed(all.targets().get(0)));
            // a sentence longer than a window: every window trains, each word's label on its first piece in each
            Features windows = Tagging.features(d, labels, tok, 6, 2, false);
            assertEquals(3, windows.size(), "6 pieces in windows of 4 with stride 2: 2 windows, then 'the'");
        }
    }

    private static List<Float> boxed(float[] a) {
        List<Float> out = new ArrayList<>();
        for (float x : a) {
            out.add(x);
        }
        return out;
    }

    @Test
    void aValidationTagThatIsNoLabelIsOneLineNamingFileAndLine(@TempDir Path tmp) throws IOException {
        Path model = Tiny.checkpoint(tmp.resolve("tiny"), 3);
        conll(tmp, "train.conll", 8, 1);
        Files.writeString(tmp.resolve("dev.conll"), "the\tO\nman\tB-person\n\nit\tO\nparis\tB-location\n");
        var r = CliTest.run("train", task(tmp, model, "").toString(), "--out", tmp.resolve("run").toString());
        assertEquals(2, r.code(), r.err());
        assertTrue(r.err().strip().endsWith(tmp.resolve("dev.conll") + ":5: tag 'B-location' is not one of the"
                + " labels [O, B-animal, B-person, B-work, I-work]"), r.err());
        assertFalse(Files.exists(tmp.resolve("run")), "a refused run leaves nothing behind");
    }

    @Test
    void badTrainingFilesAreOneLineNamingFileAndLineWithExit2(@TempDir Path tmp) throws IOException {
        Path model = Tiny.checkpoint(tmp.resolve("tiny"), 3);
        conll(tmp, "dev.conll", 4, 2);
        byte[] binary = new byte[64];
        new Random(5).nextBytes(binary);
        binary[3] = 0;
        String huge = "the\tO\n".repeat(100_000);
        List<Object[]> cases = List.of(
                new Object[] {"train.conll", "the\tO\nman\n", ":2: 'man' has no tag column"},
                new Object[] {"train.conll", "the\tO\nman\tX-person\n", ":2: tag 'X-person' is not IOB2"},
                new Object[] {"train.conll", huge, ":1: a sentence of more than 10000 words"},
                new Object[] {"train.conll", binary, ":1: not valid UTF-8"},
                new Object[] {"train.jsonl", "{\"tokens\": [\"a\"], \"tags\": [\"O\"]}\n{\"tokens\": [], \"tags\": []}\n",
                    ":2: empty sentence"},
                new Object[] {"train.jsonl", "{\"tokens\": [\"a\", \"b\"], \"tags\": [\"O\"]}\n", ":1: 2 tokens but 1 tags"});
        for (Object[] c : cases) {
            Path f = tmp.resolve((String) c[0]);
            if (c[1] instanceof byte[] b) {
                Files.write(f, b);
            } else {
                Files.writeString(f, (String) c[1]);
            }
            var r = CliTest.run("train", task(tmp, model, "tag-scheme: iob2").toString(), "--train", c[0].toString(),
                    "--out", tmp.resolve("run").toString());
            assertEquals(2, r.code(), r.err());
            String err = r.err().strip();
            assertEquals(1, err.lines().count(), err);
            assertTrue(err.startsWith("bert-ft: " + f + c[2]), c[2] + " expected, got: " + err);
            Files.delete(f);
        }
    }

    @Test
    void tokenTaskKeysAreCheckedWhereTheyAreSet(@TempDir Path tmp) throws IOException {
        Path model = Tiny.checkpoint(tmp.resolve("tiny"), 3);
        Path t = task(tmp, model, "doc-stride: 30");
        var r = CliTest.run("train", t.toString());
        assertEquals(2, r.code());
        assertTrue(r.err().contains(t + ":10: doc-stride: 30 must be less than max-length - 2 = 30"), r.err());
        var s = CliTest.run("train", task(tmp, model, "tag-scheme: iob1\nstrict: true").toString());
        assertEquals(2, s.code());
        assertTrue(s.err().contains("strict: scores iob2 and bioes tags only"), s.err());
        var l = CliTest.run("train", task(tmp, model, "early-stopping: {metric: loss}").toString());
        assertEquals(2, l.code());
        assertTrue(l.err().contains("early-stopping: metric 'loss' is not one of [f1, precision, recall, token_accuracy]"
                + " (task token-classification)"), l.err());
    }
}
