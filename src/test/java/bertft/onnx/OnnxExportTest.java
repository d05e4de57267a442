package bertft.onnx;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.huggingface.tokenizers.Encoding;
import bertft.UserError;
import bertft.infer.Embedder;
import bertft.infer.InferenceRuntime;
import bertft.infer.Predictor;
import bertft.model.BertConfig;
import bertft.model.Checkpoint;
import bertft.model.DebertaV2;
import bertft.model.Objective;
import bertft.model.TaskModel;
import bertft.onnx.proto.OnnxProto;
import bertft.run.ModelExport;
import bertft.run.TrainedModel;
import bertft.task.TaskSpec;
import bertft.text.BertTokenizer;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Exports of each family's tiny HuggingFace checkpoints ({@code ../shared/golden/families}) run through ONNX Runtime
 * and give what the libtorch path gives, on a padded batch of texts of different lengths.
 */
class OnnxExportTest {
    static final Path GOLDEN = Paths.get("..", "shared", "golden", "families");
    /** Texts over the golden WordLevel vocabulary: different lengths, so the batch is padded. */
    static final List<String> TEXTS = List.of("w5 w17 w42 w8 w91 w33", "w64 w12 w7", "w10", "w30 w31 w32 w33 w34 w35 w36 "
            + "w37 w38 w39 w40 w41 w42 w43 w44 w45 w46 w47 w48 w49");

    static float maxDiff(float[] a, float[] b) {
        assertEquals(a.length, b.length, "output sizes");
        float worst = 0;
        for (int i = 0; i < a.length; i++) {
            worst = Math.max(worst, Math.abs(a[i] - b[i]));
        }
        return worst;
    }

    /** Logits of both runtimes for the same encodings (QA: question and context pairs). */
    static float[][] bothRuntimes(Path checkpoint, Path export) {
        try (TrainedModel torch = TrainedModel.load(checkpoint, InferenceRuntime.TORCH);
                TrainedModel onnx = TrainedModel.load(export)) {
            assertEquals(torch.kind(), onnx.kind());
            assertEquals(torch.labels(), onnx.labels());
            List<Encoding> enc = TEXTS.stream().map(t -> torch.tokenizer().encode(t, "w3 w4 " + t)).toList();
            float[] want = torch.forward().logits(enc);
            keep(export, enc, torch.kind() == TaskSpec.Kind.QA ? qaOutputs(want, enc) : Map.of("logits", want));
            return new float[][] {want, onnx.forward().logits(enc)};
        }
    }

    /**
     * Leaves a copy of an export in target/check-onnx/ with expected.json (the padded inputs and libtorch's outputs)
     * for {@code scripts/check-onnx.py}, which runs ONNX's checker and Python's ONNX Runtime on them.
     */
    static void keep(Path export, List<Encoding> enc, Map<String, float[]> outputs) {
        Path to = Paths.get("target", "check-onnx", export.getFileName().toString());
        try {
            bertft.AtomicFiles.deleteTree(to);
            Files.createDirectories(to);
            try (java.util.stream.Stream<Path> files = Files.list(export)) {
                for (Path f : files.toList()) {
                    Files.copy(f, to.resolve(f.getFileName()));
                }
            }
            if (enc == null) {
                return;
            }
            int t = enc.stream().mapToInt(e -> e.getIds().length).max().orElse(0);
            JsonObject inputs = new JsonObject();
            for (String name : List.of("input_ids", "attention_mask", "token_type_ids")) {
                com.google.gson.JsonArray rows = new com.google.gson.JsonArray();
                for (Encoding e : enc) {
                    com.google.gson.JsonArray row = new com.google.gson.JsonArray();
                    for (int j = 0; j < t; j++) {
                        boolean real = j < e.getIds().length;
                        row.add(!real ? 0 : name.equals("input_ids") ? e.getIds()[j]
                                : name.equals("attention_mask") ? 1 : e.getTypeIds()[j]);
                    }
                    rows.add(row);
                }
                inputs.add(name, rows);
            }
            JsonObject out = new JsonObject();
            outputs.forEach((name, flat) -> {
                com.google.gson.JsonArray rows = new com.google.gson.JsonArray();
                int n = flat.length / enc.size();
                for (int i = 0; i < enc.size(); i++) {
                    com.google.gson.JsonArray row = new com.google.gson.JsonArray();
                    for (int j = 0; j < n; j++) {
                        row.add(flat[i * n + j]);
                    }
                    rows.add(row);
                }
                out.add(name, rows);
            });
            JsonObject expected = new JsonObject();
            expected.add("inputs", inputs);
            expected.add("outputs", out);
            Files.writeString(to.resolve("expected.json"), expected.toString());
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    /** (B, T, 2) QA logits as ONNX's start_logits and end_logits (B, T). */
    static Map<String, float[]> qaOutputs(float[] logits, List<Encoding> enc) {
        float[] start = new float[logits.length / 2];
        float[] end = new float[logits.length / 2];
        for (int i = 0; i < start.length; i++) {
            start[i] = logits[2 * i];
            end[i] = logits[2 * i + 1];
        }
        return Map.of("start_logits", start, "end_logits", end);
    }

    @ParameterizedTest
    @CsvSource({"bert,seqcls", "bert,qa", "distilbert,seqcls", "distilbert,qa", "roberta,seqcls", "roberta,qa",
        "xlm-roberta,seqcls", "electra,seqcls", "electra,qa", "deberta-v2,seqcls", "deberta-v2,qa"})
    void taskHeadsMatchLibtorch(String family, String head, @TempDir Path tmp) {
        Path src = GOLDEN.resolve(family).resolve(head);
        Path out = tmp.resolve(family + "-" + head);
        Path file = ModelExport.export(src, out, new OnnxExport.Options(14, false));
        assertEquals(out.resolve("model.onnx"), file);
        float[][] r = bothRuntimes(src, out);
        float d = maxDiff(r[0], r[1]);
        assertTrue(d < 1e-4, family + " " + head + ": max |diff| " + d);
    }

    @ParameterizedTest
    @ValueSource(strings = {"bert", "distilbert", "roberta", "electra", "deberta-v2"})
    void baseModelEmbeddingsMatchLibtorch(String family, @TempDir Path tmp) {
        Path src = GOLDEN.resolve(family).resolve("base");
        Path out = tmp.resolve(family + "-base");
        ModelExport.export(src, out, new OnnxExport.Options(14, false));
        try (Embedder torch = new Embedder(src, 64, 3); Embedder onnx = new Embedder(out, 64, 3)) {
            float[][] a = torch.embed(TEXTS);
            float[][] b = onnx.embed(TEXTS);
            float[] flat = new float[a.length * a[0].length];
            for (int i = 0; i < a.length; i++) {
                System.arraycopy(a[i], 0, flat, i * a[i].length, a[i].length);
            }
            keep(out, TEXTS.stream().map(torch.tokenizer()::encode).toList(), Map.of("sentence_embedding", flat));
            for (int i = 0; i < TEXTS.size(); i++) {
                float d = maxDiff(a[i], b[i]);
                assertTrue(d < 1e-4, family + " text " + i + ": max |diff| " + d);
            }
        }
    }

    /**
     * DeBERTa-v2 with every optional part the golden model lacks (absolute positions, token types, embed_proj,
     * separate pos_key_proj / pos_query_proj, max_relative_positions instead of buckets, gelu_new), random weights:
     * the base model and a QA head match libtorch.
     */
    @Test
    void debertaWithEveryOptionalPartMatchesLibtorch(@TempDir Path tmp) throws IOException {
        Path base = tmp.resolve("deberta-every");
        Path configFile = Files.writeString(Files.createDirectories(tmp.resolve("cfg")).resolve("config.json"), """
                {"model_type": "deberta-v2", "vocab_size": 99, "hidden_size": 32, "embedding_size": 16,
                 "num_hidden_layers": 2, "num_attention_heads": 4, "intermediate_size": 37,
                 "max_position_embeddings": 64, "type_vocab_size": 2, "relative_attention": true,
                 "max_relative_positions": 6, "pos_att_type": "c2p|p2c", "share_att_key": false,
                 "position_biased_input": true, "hidden_act": "gelu_new", "initializer_range": 0.3}""");
        BertConfig c = BertConfig.read(configFile);
        try (DebertaV2 d = DebertaV2.random(c, 3);
                BertTokenizer tok = BertTokenizer.load(GOLDEN.resolve("deberta-v2").resolve("base"), 64)) {
            new Checkpoint(c, d.tensors(), Map.of()).write(base, tok);
        }
        ModelExport.export(base, tmp.resolve("base-export"), new OnnxExport.Options(14, false));
        try (Embedder torch = new Embedder(base, 64, 3); Embedder onnx = new Embedder(tmp.resolve("base-export"), 64, 3)) {
            float[][] a = torch.embed(TEXTS);
            float[][] b = onnx.embed(TEXTS);
            for (int i = 0; i < a.length; i++) {
                assertTrue(maxDiff(a[i], b[i]) < 1e-4, "text " + i + ": " + maxDiff(a[i], b[i]));
            }
        }
        Path qa = tmp.resolve("deberta-every-qa");
        try (TaskModel m = TaskModel.create(Checkpoint.read(base), TaskModel.Head.QA, 2, TaskModel.Pooling.POOLER, 0.1,
                5, "test", false); BertTokenizer tok = BertTokenizer.load(base, 64)) {
            m.checkpoint(new JsonObject()).write(qa, tok);
        }
        ModelExport.export(qa, tmp.resolve("qa-export"), new OnnxExport.Options(14, false));
        float[][] r = bothRuntimes(qa, tmp.resolve("qa-export"));
        assertTrue(maxDiff(r[0], r[1]) < 1e-4, "QA max |diff| " + maxDiff(r[0], r[1]));
    }

    /** {@code export}'s default: beside a run or checkpoint; Hub snapshots under $BERT_FT_HOME, not in HF's cache. */
    @Test
    void cacheLocations() {
        Path run = Paths.get("runs", "sst2");
        assertEquals(run.toAbsolutePath().resolve("onnx"), ModelExport.defaultOut(run, false));
        assertEquals(run.toAbsolutePath().resolve("onnx-int8"), ModelExport.defaultOut(run, true));
        Path snapshot = Paths.get("/hf/hub/models--org--name/snapshots/0123abcd");
        assertEquals(bertft.model.ModelStore.home().resolve("onnx").resolve("models--org--name--0123abcd--onnx"),
                ModelExport.defaultOut(snapshot, false));
    }

    /** Opset 17 writes LayerNormalization as one op; the numbers stay the same. */
    @Test
    void opset17MatchesLibtorch(@TempDir Path tmp) {
        Path src = GOLDEN.resolve("bert").resolve("seqcls");
        ModelExport.export(src, tmp.resolve("opset17"), new OnnxExport.Options(17, false));
        float[][] r = bothRuntimes(src, tmp.resolve("opset17"));
        assertTrue(maxDiff(r[0], r[1]) < 1e-4, "max |diff| " + maxDiff(r[0], r[1]));
    }

    /** The golden logits HuggingFace computed, straight from ONNX Runtime on the same ids and token types. */
    @Test
    void exportMatchesHuggingFaceGolden(@TempDir Path tmp) throws IOException {
        JsonObject golden = JsonParser.parseString(Files.readString(GOLDEN.resolve("bert").resolve("golden.json")))
                .getAsJsonObject();
        ModelExport.export(GOLDEN.resolve("bert").resolve("seqcls"), tmp.resolve("e"), new OnnxExport.Options(14, false));
        try (TrainedModel onnx = TrainedModel.load(tmp.resolve("e"))) {
            List<String> texts = List.of(golden.getAsJsonArray("texts").get(0).getAsString(),
                    golden.getAsJsonArray("texts").get(1).getAsString());
            float[] ours = onnx.forward().logits(texts.stream().map(onnx.tokenizer()::encode).toList());
            float[] want = new float[6];
            for (int i = 0; i < 6; i++) {
                want[i] = golden.getAsJsonArray("seqcls_logits_single").get(i / 3).getAsJsonArray().get(i % 3)
                        .getAsFloat();
            }
            assertTrue(maxDiff(ours, want) < 1e-4, "max |diff| vs HuggingFace " + maxDiff(ours, want));
        }
    }

    @Test
    void exportingTwiceGivesTheSameBytes(@TempDir Path tmp) throws IOException {
        Path src = GOLDEN.resolve("roberta").resolve("seqcls");
        for (boolean int8 : new boolean[] {false, true}) {
            ModelExport.export(src, tmp.resolve("a"), new OnnxExport.Options(14, int8));
            ModelExport.export(src, tmp.resolve("b"), new OnnxExport.Options(14, int8));
            assertArrayEquals(Files.readAllBytes(tmp.resolve("a/model.onnx")),
                    Files.readAllBytes(tmp.resolve("b/model.onnx")), "int8 " + int8);
        }
    }

    /** Multi-label (sigmoid scores) on DistilBERT, regression on a mean-pooled BERT head: scores as on libtorch. */
    @Test
    void multiLabelAndRegressionHeadsMatchLibtorch(@TempDir Path tmp) throws IOException {
        Path multi = Files.createDirectories(tmp.resolve("multi"));
        for (String f : List.of("config.json", "pytorch_model.bin", "tokenizer.json")) {
            Files.copy(GOLDEN.resolve("distilbert").resolve("seqcls").resolve(f), multi.resolve(f));
        }
        JsonObject cfg = JsonParser.parseString(Files.readString(multi.resolve("config.json"))).getAsJsonObject();
        cfg.addProperty("problem_type", "multi_label_classification");
        Files.writeString(multi.resolve("config.json"), cfg.toString());

        Path regression = tmp.resolve("regression");
        Path base = GOLDEN.resolve("bert").resolve("base");
        try (TaskModel m = TaskModel.create(Checkpoint.read(base), TaskModel.Head.CLASSIFIER, 1,
                TaskModel.Pooling.MEAN, 0.1, 7, "test", false);
                BertTokenizer tok = BertTokenizer.load(base, 64)) {
            JsonObject extra = new JsonObject();
            extra.addProperty("problem_type", "regression");
            m.checkpoint(extra).write(regression, tok);
        }
        for (Path src : List.of(multi, regression)) {
            Path out = tmp.resolve(src.getFileName() + "-export");
            ModelExport.export(src, out, new OnnxExport.Options(14, false));
            try (TrainedModel torch = TrainedModel.load(src); TrainedModel onnx = TrainedModel.load(out)) {
                assertEquals(src == multi ? TaskSpec.Kind.MULTILABEL : TaskSpec.Kind.REGRESSION, onnx.kind());
                Objective objective = bertft.run.TaskData.objective(onnx.kind());
                List<Encoding> enc = TEXTS.stream().map(torch.tokenizer()::encode).toList();
                float[][] a = new Predictor(torch.forward(), objective, 3).scores(enc);
                float[][] b = new Predictor(onnx.forward(), objective, 3).scores(enc);
                for (int i = 0; i < a.length; i++) {
                    assertTrue(maxDiff(a[i], b[i]) < 1e-4, src.getFileName() + " " + i + ": " + maxDiff(a[i], b[i]));
                }
            }
        }
    }

    /**
     * int8: the file is smaller (word embeddings and MatMul weights in one byte), the graph has no float MatMul
     * weights left, and the logits stay near fp32's: within 5e-3 (2.3e-4 seen) on a real-size initialisation (std 0.02, the tiny
     * BERT's), a relative error that matches what int8 costs on MiniLM (see the README's table).
     */
    @Test
    void int8IsSmallerAndCloseToFp32(@TempDir Path tmp) throws IOException {
        Path src = tmp.resolve("tiny-cls");
        try (TaskModel m = TaskModel.create(Checkpoint.read(bertft.Tiny.checkpoint(tmp.resolve("tiny"), 3)),
                TaskModel.Head.CLASSIFIER, 3, TaskModel.Pooling.POOLER, 0.1, 5, "test", false);
                BertTokenizer tok = bertft.Tiny.tokenizer(64)) {
            JsonObject extra = new JsonObject();
            extra.addProperty("problem_type", "single_label_classification");
            m.checkpoint(extra).write(src, tok);
        }
        ModelExport.export(src, tmp.resolve("fp32"), new OnnxExport.Options(14, false));
        ModelExport.export(src, tmp.resolve("int8"), new OnnxExport.Options(14, true));
        OnnxProto.ModelProto q = OnnxProto.ModelProto.parseFrom(Files.readAllBytes(tmp.resolve("int8/model.onnx")));
        assertTrue(q.getGraph().getNodeList().stream().anyMatch(n -> n.getOpType().equals("MatMulInteger")));
        assertTrue(q.getGraph().getInitializerList().stream().noneMatch(t -> t.getName().endsWith(".weight.T")),
                "every MatMul weight quantised");
        List<String> texts = List.of("the movie was great", "bad", "good phone , fast battery and a bright screen");
        try (TrainedModel fp32 = TrainedModel.load(tmp.resolve("fp32"));
                TrainedModel int8 = TrainedModel.load(tmp.resolve("int8"))) {
            List<Encoding> enc = texts.stream().map(fp32.tokenizer()::encode).toList();
            float[] a = fp32.forward().logits(enc);
            float[] b = int8.forward().logits(enc);
            float d = maxDiff(a, b);
            assertTrue(d > 0 && d < 5e-3, "int8 vs fp32 max |diff| " + d);
            keep(tmp.resolve("int8"), enc, Map.of("logits", a)); // fp32's logits: the checker shows int8's error
        }
    }

    /**
     * Issue 32: a task model's export embeds as the torch path embeds the same model (its encoder's mean-pooled last
     * hidden state, L2-normalised or not), so /embed and {@code embed --runtime onnx} work on every model.
     */
    @ParameterizedTest
    @CsvSource({"bert,seqcls", "distilbert,qa", "roberta,seqcls", "electra,qa", "deberta-v2,seqcls"})
    void taskExportsEmbedAsLibtorch(String family, String head, @TempDir Path tmp) {
        Path src = GOLDEN.resolve(family).resolve(head);
        Path out = tmp.resolve(family + "-" + head);
        ModelExport.export(src, out, new OnnxExport.Options(14, false));
        try (Embedder torch = new Embedder(src, 64, 3); Embedder onnx = new Embedder(out, 64, 3)) {
            for (boolean normalize : new boolean[] {true, false}) {
                float[][] a = torch.embed(TEXTS, normalize);
                float[][] b = onnx.embed(TEXTS, normalize);
                for (int i = 0; i < TEXTS.size(); i++) {
                    float d = maxDiff(a[i], b[i]);
                    assertTrue(d < 1e-5, family + " " + head + " normalize " + normalize + " text " + i + ": " + d);
                }
            }
        }
    }
}
