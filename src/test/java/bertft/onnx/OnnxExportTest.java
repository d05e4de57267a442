package bertft.onnx;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.huggingface.tokenizers.Encoding;
import bertft.UserError;
import bertft.infer.Embedder;
import bertft.infer.InferenceRuntime;
import bertft.run.ModelExport;
import bertft.run.TrainedModel;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.List;
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
            return new float[][] {torch.forward().logits(enc), onnx.forward().logits(enc)};
        }
    }

    @ParameterizedTest
    @CsvSource({"bert,seqcls", "bert,qa", "distilbert,seqcls", "distilbert,qa", "roberta,seqcls", "roberta,qa",
        "xlm-roberta,seqcls", "electra,seqcls", "electra,qa"})
    void taskHeadsMatchLibtorch(String family, String head, @TempDir Path tmp) {
        Path src = GOLDEN.resolve(family).resolve(head);
        Path file = ModelExport.export(src, tmp.resolve("export"), new OnnxExport.Options(14, false));
        assertEquals(tmp.resolve("export").resolve("model.onnx"), file);
        float[][] r = bothRuntimes(src, tmp.resolve("export"));
        float d = maxDiff(r[0], r[1]);
        assertTrue(d < 1e-4, family + " " + head + ": max |diff| " + d);
    }

    @ParameterizedTest
    @ValueSource(strings = {"bert", "distilbert", "roberta", "electra"})
    void baseModelEmbeddingsMatchLibtorch(String family, @TempDir Path tmp) {
        Path src = GOLDEN.resolve(family).resolve("base");
        ModelExport.export(src, tmp.resolve("export"), new OnnxExport.Options(14, false));
        try (Embedder torch = new Embedder(src, 64, 3); Embedder onnx = new Embedder(tmp.resolve("export"), 64, 3)) {
            float[][] a = torch.embed(TEXTS);
            float[][] b = onnx.embed(TEXTS);
            for (int i = 0; i < TEXTS.size(); i++) {
                float d = maxDiff(a[i], b[i]);
                assertTrue(d < 1e-4, family + " text " + i + ": max |diff| " + d);
            }
        }
    }

    /** Opset 17 writes LayerNormalization as one op; the numbers stay the same. */
    @Test
    void opset17MatchesLibtorch(@TempDir Path tmp) {
        Path src = GOLDEN.resolve("bert").resolve("seqcls");
        ModelExport.export(src, tmp.resolve("export"), new OnnxExport.Options(17, false));
        float[][] r = bothRuntimes(src, tmp.resolve("export"));
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

    @Test
    void debertaIsRefusedInOneLine(@TempDir Path tmp) {
        UserError e = assertThrows(UserError.class, () -> ModelExport.export(GOLDEN.resolve("deberta-v2")
                .resolve("seqcls"), tmp.resolve("x"), new OnnxExport.Options(14, false)));
        assertTrue(e.getMessage().contains("deberta-v2 cannot be exported"), e.getMessage());
        assertTrue(!Files.exists(tmp.resolve("x")), "nothing written");
    }
}
