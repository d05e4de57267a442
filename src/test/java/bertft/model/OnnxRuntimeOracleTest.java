package bertft.model;

import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Model;
import ai.djl.inference.Predictor;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.translate.NoopTranslator;
import bertft.text.Batch;
import bertft.text.BertTokenizer;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** bert-ft's bundled models against ONNX Runtime running the original ONNX file each was imported from. */
@Tag("slow")
class OnnxRuntimeOracleTest {

    @Test
    void lastHiddenStateMatchesOnnxRuntimeOnAPaddedBatch(@TempDir Path tmp) throws Exception {
        double worst = worstDifference("minilm", "all-minilm-l6-v2.onnx", tmp, List.of(
                "The quick brown fox jumps over the lazy dog.", "Short one.",
                "Transfer learning adapts a pretrained encoder to a small labelled task, layer by layer."));
        assertTrue(worst < 1e-4, "max |diff| vs ONNX Runtime " + worst);
    }

    /** The bundled Chinese encoder on Chinese, mixed Chinese/English and punctuation-heavy sentences. */
    @Test
    void bgeSmallZhMatchesOnnxRuntimeOnChineseText(@TempDir Path tmp) throws Exception {
        double worst = worstDifference("bge-small-zh", "bge-small-zh-v1.5.onnx", tmp, List.of(
                "房间比较干净，但是窗户打不开，空气不太好。早餐很好。",
                "用iPhone 15 Pro拍的照片很清晰，BERT模型在CPU上跑得也不慢！",
                "……“好吃”？！（送餐太慢了）——差评；【下次】不会再点了～～～",
                "很快"));
        assertTrue(worst < 1e-4, "max |diff| vs ONNX Runtime " + worst);
    }

    /** Max |bert-ft - ONNX Runtime| over the real tokens of a padded batch, for a bundled model and its ONNX file. */
    private static double worstDifference(String alias, String onnxResource, Path tmp, List<String> texts)
            throws Exception {
        Path onnx = tmp.resolve("model.onnx");
        try (InputStream in = OnnxRuntimeOracleTest.class.getClassLoader().getResourceAsStream(onnxResource)) {
            Files.copy(in, onnx);
        }
        Path dir = ModelStore.resolve(alias);
        Checkpoint ckpt = Checkpoint.read(dir);
        try (Bert bert = Bert.fromTensors(ckpt.config(), ckpt.encoder(), alias);
                BertTokenizer tok = BertTokenizer.load(dir, 128);
                NDManager m = NDManager.newBaseManager();
                Model ort = Model.newInstance(alias, "OnnxRuntime")) {
            Batch b = Batch.of(texts.stream().map(tok::encode).toList(), m);
            float[] ours = bert.forward(b.inputIds(), b.tokenTypeIds(), b.attentionMask(), false).toFloatArray();
            float[] mask = b.attentionMask().toType(ai.djl.ndarray.types.DataType.FLOAT32, false).toFloatArray();

            ort.load(tmp, "model");
            try (Predictor<NDList, NDList> p = ort.newPredictor(new NoopTranslator());
                    NDManager om = NDManager.newBaseManager("OnnxRuntime")) {
                NDList in = new NDList(
                        arr(om, b.inputIds(), "input_ids"),
                        arr(om, b.attentionMask(), "attention_mask"),
                        arr(om, b.tokenTypeIds(), "token_type_ids"));
                float[] theirs = p.predict(in).get(0).toFloatArray();
                assertTrue(ours.length == theirs.length);
                int h = ckpt.config().hiddenSize();
                double worst = 0;
                for (int i = 0; i < ours.length; i++) {
                    if (mask[i / h] == 1f) { // padded positions are garbage in both and never used
                        worst = Math.max(worst, Math.abs(ours[i] - theirs[i]));
                    }
                }
                return worst;
            }
        }
    }

    private static NDArray arr(NDManager m, NDArray a, String name) {
        NDArray out = m.create(a.toLongArray(), a.getShape());
        out.setName(name);
        return out;
    }

}
