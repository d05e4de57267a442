package bertft.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import bertft.Tiny;
import bertft.checkpoint.TensorData;
import bertft.text.Batch;
import bertft.text.BertTokenizer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BertTest {

    @Test
    void forwardGivesOneHiddenVectorPerToken() {
        try (Bert bert = Tiny.bert(1); NDManager m = NDManager.newBaseManager()) {
            NDArray ids = m.create(new long[] {2, 50, 60, 3, 2, 70, 3, 0}, new Shape(2, 4));
            NDArray mask = m.create(new long[] {1, 1, 1, 1, 1, 1, 1, 0}, new Shape(2, 4));
            NDArray h = bert.forward(ids, null, mask, false);
            assertEquals(new Shape(2, 4, 32), h.getShape());
            assertEquals(new Shape(2, 32), bert.pool(h).getShape());
        }
    }

    @Test
    void paddingDoesNotChangeRealTokens() {
        try (Bert bert = Tiny.bert(2); BertTokenizer tok = Tiny.tokenizer(64); NDManager m = NDManager.newBaseManager()) {
            var shortText = tok.encode("good movie");
            var longText = tok.encode("the battery broke after two days , never again");
            Batch alone = Batch.of(List.of(shortText), m);
            Batch padded = Batch.of(List.of(shortText, longText), m);
            NDArray a = bert.forward(alone.inputIds(), alone.tokenTypeIds(), alone.attentionMask(), false);
            NDArray b = bert.forward(padded.inputIds(), padded.tokenTypeIds(), padded.attentionMask(), false);
            int t = shortText.getIds().length;
            assertTrue(padded.inputIds().getShape().get(1) > t, "the batch must actually be padded");
            float[] x = a.get("0, :, :").toFloatArray();
            float[] y = b.get("0, :" + t + ", :").toFloatArray();
            assertArrayEquals(x, y, 1e-5f);
        }
    }

    @Test
    void dropoutOnlyInTraining() {
        try (Bert bert = Tiny.bert(3); NDManager m = NDManager.newBaseManager()) {
            NDArray ids = m.create(new long[] {2, 50, 60, 61, 62, 3}, new Shape(1, 6));
            NDArray mask = m.ones(new Shape(1, 6), ai.djl.ndarray.types.DataType.INT64);
            float[] eval1 = bert.forward(ids, null, mask, false).toFloatArray();
            float[] eval2 = bert.forward(ids, null, mask, false).toFloatArray();
            float[] train = bert.forward(ids, null, mask, true).toFloatArray();
            assertArrayEquals(eval1, eval2);
            assertFalse(java.util.Arrays.equals(eval1, train), "dropout must change training outputs");
        }
    }

    @Test
    void everyParameterReceivesAGradient() {
        try (Bert bert = Tiny.bert(4); NDManager m = NDManager.newBaseManager()) {
            bert.params().values().forEach(p -> p.setRequiresGradient(true));
            NDArray ids = m.create(new long[] {2, 50, 60, 3, 2, 70, 3, 0}, new Shape(2, 4));
            NDArray types = m.create(new long[] {0, 0, 1, 1, 0, 0, 1, 0}, new Shape(2, 4));
            NDArray mask = m.create(new long[] {1, 1, 1, 1, 1, 1, 1, 0}, new Shape(2, 4));
            try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                NDArray h = bert.forward(ids, types, mask, true);
                NDArray loss = bert.pool(h).square().sum().add(h.square().sum());
                gc.backward(loss);
            }
            List<String> noGrad = new ArrayList<>();
            for (Map.Entry<String, NDArray> e : bert.params().entrySet()) {
                NDArray g = e.getValue().getGradient();
                g.attach(m);
                if (g.abs().sum().getFloat() == 0f) {
                    noGrad.add(e.getKey());
                }
            }
            assertEquals(List.of(), noGrad);
        }
    }

    @Test
    void frozenLayersGetNoGradientBuffer() {
        // top-1: only the last layer trains; lower layers and embeddings stay without .grad (backward stops there)
        try (Bert bert = Tiny.bert(4); NDManager m = NDManager.newBaseManager()) {
            int top = bert.config().numHiddenLayers() - 1;
            bert.params().forEach((k, p) -> p.setRequiresGradient(k.startsWith("encoder.layer." + top + ".")));
            NDArray ids = m.create(new long[] {2, 50, 60, 3, 2, 70, 3, 0}, new Shape(2, 4));
            NDArray mask = m.create(new long[] {1, 1, 1, 1, 1, 1, 1, 0}, new Shape(2, 4));
            try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                gc.backward(bert.forward(ids, null, mask, true).square().sum());
            }
            for (Map.Entry<String, NDArray> e : bert.params().entrySet()) {
                boolean trains = e.getKey().startsWith("encoder.layer." + top + ".");
                NDArray g = ai.djl.pytorch.jni.JniUtils.getGradient((ai.djl.pytorch.engine.PtNDArray) e.getValue());
                if (trains) {
                    g.attach(m);
                    assertTrue(g.abs().sum().getFloat() > 0, e.getKey());
                } else {
                    assertEquals(null, g, e.getKey() + " is frozen: no gradient buffer");
                }
            }
        }
    }

    @Test
    void saveThenLoadIsBitIdentical(@TempDir Path tmp) {
        Path dir = Tiny.checkpoint(tmp.resolve("tiny"), 5);
        Checkpoint back = Checkpoint.read(dir);
        try (Bert original = Tiny.bert(5); Bert loaded = Bert.fromTensors(back.config(), back.encoder(), "test")) {
            Map<String, TensorData> a = original.tensors();
            Map<String, TensorData> b = loaded.tensors();
            assertEquals(a.keySet(), b.keySet());
            for (String k : a.keySet()) {
                assertArrayEquals(a.get(k).shape(), b.get(k).shape(), k);
                assertArrayEquals(a.get(k).toFloats(), b.get(k).toFloats(), 0f, k);
            }
            assertEquals(original.config().toJson(), back.config().toJson());
        }
    }
}
