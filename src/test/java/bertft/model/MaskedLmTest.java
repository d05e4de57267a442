package bertft.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import bertft.checkpoint.TensorData;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Each family's masked-LM head by HuggingFace's names; the loss reaches the tied word embeddings. */
class MaskedLmTest {
    @ParameterizedTest
    @CsvSource({"bert, BertForMaskedLM, cls.predictions.transform.dense.weight, bert.",
        "roberta, RobertaForMaskedLM, lm_head.layer_norm.weight, roberta.",
        "distilbert, DistilBertForMaskedLM, vocab_transform.weight, distilbert."})
    void headIsNamedAsHuggingFaceNamesItAndTrainsTheTiedEmbeddings(String family, String arch, String headKey,
            String prefix) {
        Path dir = Path.of("..", "shared", "golden", "families", family, "base");
        BertConfig config = BertConfig.read(dir.resolve("config.json"));
        Map<String, TensorData> weights = Checkpoint.readWeights(dir);
        try (MaskedLm mlm = MaskedLm.create(config, weights, family, 1); NDManager m = NDManager.newBaseManager()) {
            assertFalse(mlm.headLoaded(), "a base model has no head: initialised");
            Checkpoint ckpt = mlm.checkpoint();
            assertEquals(arch, ckpt.config().json().getAsJsonArray("architectures").get(0).getAsString());
            assertTrue(ckpt.hfWeights().containsKey(headKey), ckpt.hfWeights().keySet().toString());
            assertTrue(ckpt.hfWeights().keySet().stream().filter(k -> !ckpt.heads().containsKey(k))
                    .allMatch(k -> k.startsWith(prefix)));
            String words = prefix + "embeddings.word_embeddings.weight";
            mlm.params().forEach((k, p) -> p.setRequiresGradient(mlm.trainable(k)));
            long[] ids = {5, 6, 7, 8, 9, 10, 11, 12};
            try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                NDArray loss = mlm.loss(m.create(ids, new Shape(2, 4)), m.ones(new Shape(2, 4)).toType(
                        ai.djl.ndarray.types.DataType.INT64, false), m.create(new long[] {1, 6}),
                        m.create(new long[] {6, 11}), true);
                assertTrue(Float.isFinite(loss.getFloat()));
                gc.backward(loss);
            }
            assertTrue(mlm.params().get(words).getGradient().abs().sum().getFloat() > 0, "tied decoder gradient");
        }
    }
}
