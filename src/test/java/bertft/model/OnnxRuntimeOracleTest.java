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

/** bert-ft's MiniLM against ONNX Runtime running the original ONNX file it was imported from. */
@Tag("slow")
class OnnxRuntimeOracleTest {

    @Test
    void lastHiddenStateMatchesOnnxRuntimeOnAPaddedBatch(@TempDir Path tmp) throws Exception {
        Path onnx = tmp.resolve("model.onnx");
        try (InputStream in = getClass().getClassLoader().getResourceAsStream("all-minilm-l6-v2.onnx")) {
            Files.copy(in, onnx);
        }
        Path dir = ModelStore.resolve("minilm");
        Checkpoint ckpt = Checkpoint.read(dir);
        List<String> texts = List.of("The quick brown fox jumps over the lazy dog.", "Short one.",
                "Transfer learning adapts a pretrained encoder to a small labelled task, layer by layer.");
        try (Bert bert = Bert.fromTensors(ckpt.config(), ckpt.encoder(), "minilm");
                BertTokenizer tok = BertTokenizer.load(dir, 128);
                NDManager m = NDManager.newBaseManager();
                Model ort = Model.newInstance("minilm", "OnnxRuntime")) {
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
                assertTrue(worst < 1e-4, "max |diff| vs ONNX Runtime " + worst);
            }
        }
    }

    private static NDArray arr(NDManager m, NDArray a, String name) {
        NDArray out = m.create(a.toLongArray(), a.getShape());
        out.setName(name);
        return out;
    }

}
