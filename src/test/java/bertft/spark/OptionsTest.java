package bertft.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;

import bertft.api.ModelOptions;
import bertft.infer.EntityGrouping;
import bertft.infer.InferenceRuntime;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/**
 * Spark's options carry {@link ModelOptions} whole: every setting survives the Java serialization that takes them to
 * the executors (the log writer stays behind), and the defaults are ModelOptions' own.
 */
class OptionsTest {
    /** Every ModelOptions setting away from its default, and a log writer that cannot travel. */
    private static final ModelOptions SET = ModelOptions.defaults().withRuntime(InferenceRuntime.TORCH)
            .withBatchSize(7).withMaxLength(33).withThreshold(0.25).withBase("models/base")
            .withLog(new PrintWriter(new StringWriter()));

    @Test
    void modelOptionsKeepEverySettingButTheLog() throws Exception {
        ModelOptions back = roundTrip(SET);
        assertEquals(InferenceRuntime.TORCH, back.runtime());
        assertEquals(7, back.batchSize());
        assertEquals(33, back.maxLength());
        assertEquals(0.25, back.threshold());
        assertEquals(Path.of("models/base"), back.base());
        assertNotNull(back.log()); // stderr on the executor
        assertEquals(SET, back);
        assertEquals(ModelOptions.defaults(), roundTrip(ModelOptions.defaults()));
        assertNull(roundTrip(ModelOptions.defaults()).threshold());
    }

    @Test
    void classifyOptionsKeepEverySetting() throws Exception {
        ClassifyOptions o = ClassifyOptions.defaults().withTextColumn("review").withTextPairColumn("other")
                .withModelOptions(SET);
        ClassifyOptions back = roundTrip(o);
        assertEquals(o, back);
        assertEquals("review", back.textColumn());
        assertEquals("other", back.textPairColumn());
        assertEquals(SET, back.modelOptions());
        assertEquals(0.5, roundTrip(ClassifyOptions.defaults().withThreshold(0.5)).modelOptions().threshold());
    }

    @Test
    void embedOptionsKeepEverySetting() throws Exception {
        EmbedOptions o = EmbedOptions.defaults().withTextColumn("t").withNormalize(false).withModelOptions(SET);
        EmbedOptions back = roundTrip(o);
        assertEquals(o, back);
        assertEquals("t", back.textColumn());
        assertEquals(false, back.normalize());
        assertEquals(33, back.maxLength());
        assertEquals(SET, back.modelOptions());
    }

    @Test
    void tagOptionsKeepEverySetting() throws Exception {
        TagOptions o = TagOptions.defaults().withTextColumn("t").withAggregation(EntityGrouping.Aggregation.FIRST)
                .withStride(5).withModelOptions(SET);
        TagOptions back = roundTrip(o);
        assertEquals(o, back);
        assertEquals(EntityGrouping.Aggregation.FIRST, back.aggregation());
        assertEquals(5, back.stride());
        assertEquals(SET, back.modelOptions());
    }

    /** The defaults are ModelOptions'; the constructors and with-ers written before keep working. */
    @Test
    void theDefaultsAreModelOptionsAndTheOldCallsStillWork() {
        assertEquals(ModelOptions.defaults(), ClassifyOptions.defaults().modelOptions());
        assertEquals(ModelOptions.defaults(), EmbedOptions.defaults().modelOptions());
        assertEquals(ModelOptions.defaults(), TagOptions.defaults().modelOptions());
        ClassifyOptions c = new ClassifyOptions("text", null, 8, null);
        assertEquals(8, c.batchSize());
        assertEquals(InferenceRuntime.AUTO, c.runtime());
        EmbedOptions e = new EmbedOptions("text", 4, 16, false, InferenceRuntime.ONNX).withBatchSize(3);
        assertEquals(ModelOptions.defaults().withBatchSize(3).withMaxLength(16).withRuntime(InferenceRuntime.ONNX),
                e.modelOptions());
        TagOptions t = new TagOptions("text", EntityGrouping.Aggregation.NONE, null, 2, InferenceRuntime.TORCH)
                .withRuntime(null);
        assertEquals(2, t.batchSize());
        assertEquals(InferenceRuntime.AUTO, t.runtime());
        assertEquals("batch size 0: must be at least 1", org.junit.jupiter.api.Assertions.assertThrows(
                IllegalArgumentException.class, () -> ClassifyOptions.defaults().withBatchSize(0)).getMessage());
    }

    @SuppressWarnings("unchecked")
    private static <T> T roundTrip(T o) throws IOException, ClassNotFoundException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ObjectOutputStream out = new ObjectOutputStream(bytes)) {
            out.writeObject(o);
        }
        try (ObjectInputStream in = new ObjectInputStream(new ByteArrayInputStream(bytes.toByteArray()))) {
            return (T) in.readObject();
        }
    }
}
