package bertft.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;
import ai.djl.training.GradientCollector;
import bertft.Tiny;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;
import org.junit.jupiter.api.Test;

/** Gradient checkpointing gives the gradients of the step it replaces, dropout included. */
class CheckpointingTest {

    /**
     * Every parameter's gradient after one training forward (dropout on) and backward of a loss over the last hidden
     * state, the pooler and the first layer's output; {@code recompute} false: the same seeded stages recorded as usual.
     */
    private static Map<String, float[]> gradients(Bert bert, boolean recompute, Predicate<String> trained) {
        bert.params().forEach((k, p) -> p.setRequiresGradient(trained.test(k)));
        Map<String, float[]> out = new LinkedHashMap<>();
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray ids = m.create(new long[] {2, 50, 60, 61, 3, 2, 70, 3, 0, 0}, new Shape(2, 5));
            NDArray types = m.create(new long[] {0, 0, 0, 1, 1, 0, 0, 1, 0, 0}, new Shape(2, 5));
            NDArray mask = m.create(new long[] {1, 1, 1, 1, 1, 1, 1, 1, 0, 0}, new Shape(2, 5));
            Torch.seed(11);
            try (Checkpointing c = Checkpointing.open(recompute);
                    GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                List<NDArray> layers = new ArrayList<>();
                NDArray h = bert.forward(ids, types, mask, true, layers);
                NDArray loss = bert.pool(h).square().sum().add(h.square().sum()).add(layers.get(0).mul(0.5f).sum());
                gc.backward(loss);
                c.backward();
            }
            for (Map.Entry<String, NDArray> e : bert.params().entrySet()) {
                NDArray g = JniUtils.getGradient((PtNDArray) e.getValue());
                out.put(e.getKey(), g == null ? null : g.toFloatArray());
                if (g != null) {
                    JniUtils.zeroGrad((PtNDArray) e.getValue());
                    g.close();
                }
            }
        }
        return out;
    }

    private static void assertSameGradients(Map<String, float[]> expected, Map<String, float[]> actual) {
        assertEquals(expected.keySet(), actual.keySet());
        for (String k : expected.keySet()) {
            if (expected.get(k) == null) {
                assertNull(actual.get(k), k + ": frozen, no gradient buffer");
                continue;
            }
            assertNotNull(actual.get(k), k);
            float scale = 0;
            for (float v : expected.get(k)) {
                scale = Math.max(scale, Math.abs(v));
            }
            assertArrayEquals(expected.get(k), actual.get(k), 1e-5f * Math.max(1, scale), k);
        }
    }

    @Test
    void everyParameterGetsTheGradientOfTheStepItReplaces() {
        try (Bert bert = Tiny.bert(5)) {
            Map<String, float[]> plain = gradients(bert, false, k -> true);
            Map<String, float[]> checkpointed = gradients(bert, true, k -> true);
            assertSameGradients(plain, checkpointed);
            assertTrue(plain.values().stream().allMatch(g -> g != null), "everything trains");
            float[] words = plain.get("embeddings.word_embeddings.weight");
            assertTrue(java.util.stream.IntStream.range(0, words.length).anyMatch(i -> words[i] != 0),
                    "the gradient reaches the embeddings");
        }
    }

    @Test
    void frozenLowerLayersAreNotRunAgainAndGetNoGradient() {
        try (Bert bert = Tiny.bert(6)) {
            Predicate<String> top = k -> k.startsWith("encoder.layer.1.") || k.startsWith("pooler.");
            Map<String, float[]> plain = gradients(bert, false, top);
            Map<String, float[]> checkpointed = gradients(bert, true, top);
            assertSameGradients(plain, checkpointed);
            assertNull(checkpointed.get("encoder.layer.0.output.dense.weight"));
            assertNotNull(checkpointed.get("encoder.layer.1.output.dense.weight"));
        }
    }

    @Test
    void aLoraAdapterOnAFrozenBaseGetsTheSameGradients() {
        try (Bert bert = Tiny.bert(7)) {
            Peft.Config cfg = new Peft.Config(Peft.Type.LORA, 4, 8, 0.1, List.of("query", "value"), List.of(), "none", false);
            try (Peft lora = Peft.create(cfg, bert.config(), 3)) {
                lora.params().values().forEach(p -> p.setRequiresGradient(true));
                bert.adapter(lora);
                List<Map<String, float[]>> runs = new ArrayList<>();
                for (boolean recompute : new boolean[] {false, true}) {
                    gradients(bert, recompute, k -> false);
                    Map<String, float[]> g = new LinkedHashMap<>();
                    lora.params().forEach((k, p) -> {
                        NDArray grad = JniUtils.getGradient((PtNDArray) p);
                        g.put(k, grad.toFloatArray());
                        JniUtils.zeroGrad((PtNDArray) p);
                        grad.close();
                    });
                    runs.add(g);
                }
                assertSameGradients(runs.get(0), runs.get(1));
                bert.adapter(null);
            }
        }
    }
}
