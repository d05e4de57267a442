package bertft.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import bertft.Tiny;
import bertft.data.Features;
import bertft.model.Bert;
import bertft.model.Checkpoint;
import bertft.model.TaskModel;
import bertft.text.BertTokenizer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Frozen-encoder features kept on disk: read back by a run of the same encoder, pooling and tokens, and only then. */
class FeatureCacheTest {
    static final List<String> TEXTS = List.of("great phone", "bad battery life", "the movie was great", "bad");

    static Features features(BertTokenizer tok, List<String> texts) {
        return new Features(texts.stream().map(tok::encode).toList(),
                texts.stream().map(t -> new float[] {0}).toList());
    }

    static TaskModel model(Bert bert, TaskModel.Pooling pooling) {
        return TaskModel.create(new Checkpoint(bert.config(), bert.tensors(), Map.of()), TaskModel.Head.CLASSIFIER, 2,
                pooling, 0.1, 1, "tiny", false);
    }

    static float[][] rows(FeatureCache c) {
        try (NDManager m = NDManager.newBaseManager()) {
            int[] all = java.util.stream.IntStream.range(0, c.size()).toArray();
            NDArray a = c.batch(all, m);
            int h = (int) a.getShape().get(1);
            float[] flat = a.toFloatArray();
            float[][] r = new float[c.size()][];
            for (int i = 0; i < r.length; i++) {
                r[i] = java.util.Arrays.copyOfRange(flat, i * h, (i + 1) * h);
            }
            return r;
        }
    }

    @Test
    void aSecondRunReadsTheSameFeaturesAndAnythingElseComputesItsOwn(@TempDir Path dir) throws Exception {
        try (Bert bert = Tiny.bert(1); BertTokenizer tok = Tiny.tokenizer(32);
                TaskModel mean = model(bert, TaskModel.Pooling.MEAN);
                TaskModel cls = model(bert, TaskModel.Pooling.CLS)) {
            Features f = features(tok, TEXTS);
            FeatureCache.Stored first = FeatureCache.computeOrRead(dir, mean, f, 2);
            assertFalse(first.read());
            FeatureCache.Stored second = FeatureCache.computeOrRead(dir, mean, f, 3);
            assertTrue(second.read(), "the same encoder, pooling and tokens: read back");
            float[][] computed = rows(FeatureCache.compute(mean, f, 4));
            float[][] a = rows(first.cache());
            float[][] b = rows(second.cache());
            for (int i = 0; i < TEXTS.size(); i++) {
                assertArrayEquals(computed[i], a[i], 1e-6f, "row " + i);
                assertArrayEquals(a[i], b[i], 0f, "row " + i + " read back exactly");
            }
            // another pooling, other texts, other encoder weights: other keys, computed again
            assertNotEquals(FeatureCache.key(mean, f), FeatureCache.key(cls, f));
            Features other = features(tok, List.of("great phone", "bad battery", "the movie was great", "bad"));
            assertNotEquals(FeatureCache.key(mean, f), FeatureCache.key(mean, other));
            assertFalse(FeatureCache.computeOrRead(dir, cls, f, 2).read());
            assertFalse(FeatureCache.computeOrRead(dir, mean, other, 2).read());
            String before = FeatureCache.key(mean, f);
            NDArray w = mean.params().get("bert.encoder.layer.1.output.dense.weight");
            w.set(w.add(1e-3f).toFloatArray());
            assertNotEquals(before, FeatureCache.key(mean, f), "a changed encoder weight changes the key");
            // the classifier head is not part of the key: features are what the head reads
            NDArray head = mean.params().get("classifier.weight");
            String withHead = FeatureCache.key(mean, f);
            head.set(head.add(1f).toFloatArray());
            assertEquals(withHead, FeatureCache.key(mean, f));
            try (var files = Files.list(dir)) {
                assertEquals(3, files.filter(p -> p.getFileName().toString().startsWith("features-")).count());
            }
            // a damaged file is computed again and written over
            Path file = dir.resolve("features-" + FeatureCache.key(cls, f) + ".safetensors");
            Files.writeString(file, "not safetensors");
            FeatureCache.Stored again = FeatureCache.computeOrRead(dir, cls, f, 2);
            assertFalse(again.read());
            assertTrue(FeatureCache.computeOrRead(dir, cls, f, 2).read());
        }
    }
}
