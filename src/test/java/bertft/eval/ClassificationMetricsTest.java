package bertft.eval;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.util.List;
import org.junit.jupiter.api.Test;

class ClassificationMetricsTest {
    private static final List<String> ABC = List.of("a", "b", "c");

    @Test
    void matchesScikitLearn() {
        // y = [0,0,0,1,1,2], p = [0,0,1,1,2,2]. By hand: a P 1 R 2/3 F1 .8; b P .5 R .5 F1 .5; c P .5 R 1 F1 2/3.
        // sklearn: accuracy_score 0.6667, f1_score macro 0.6556, micro 0.6667, weighted 0.6778.
        ClassificationMetrics m = ClassificationMetrics.compute(new int[] {0, 0, 0, 1, 1, 2},
                new int[] {0, 0, 1, 1, 2, 2}, ABC);
        assertEquals(4.0 / 6, m.accuracy(), 1e-12);
        assertEquals(4.0 / 6, m.microF1(), 1e-12);
        assertEquals((0.8 + 0.5 + 2.0 / 3) / 3, m.macroF1(), 1e-12);
        assertEquals((3 * 0.8 + 2 * 0.5 + 2.0 / 3) / 6, m.weightedF1(), 1e-12);
        assertEquals(new Scores(1, 2.0 / 3, 0.8, 3), m.perClass(0));
        assertEquals(new Scores(0.5, 1, 2.0 / 3, 1), m.perClass(2));
        assertArrayEquals(new long[][] {{2, 1, 0}, {0, 1, 1}, {0, 0, 1}}, m.confusion());
    }

    @Test
    void zeroDivisionGivesZeroLikeScikitLearn() {
        // b is never predicted, c never occurs: f1_score(y, p, labels=[0,1,2], average=..., zero_division=0)
        // gives macro 0.8/3 = 0.2667 and weighted (2*0.8)/3 = 0.5333.
        ClassificationMetrics m = ClassificationMetrics.compute(new int[] {0, 0, 1}, new int[] {0, 0, 0}, ABC);
        assertEquals(new Scores(0, 0, 0, 1), m.perClass(1));
        assertEquals(new Scores(0, 0, 0, 0), m.perClass(2));
        assertEquals(0.8 / 3, m.macroF1(), 1e-12);
        assertEquals(1.6 / 3, m.weightedF1(), 1e-12);
    }

    @Test
    void jsonHasTheDocumentedShape() {
        ClassificationMetrics m = ClassificationMetrics.compute(new int[] {0, 1}, new int[] {0, 0},
                List.of("negative", "positive"));
        JsonObject json = JsonParser.parseString(m.toJson()).getAsJsonObject();
        assertEquals(List.of("accuracy", "macro_f1", "micro_f1", "weighted_f1", "per_class", "confusion_matrix"),
                List.copyOf(json.keySet()));
        assertEquals(0.5, json.get("accuracy").getAsDouble());
        JsonObject negative = json.getAsJsonObject("per_class").getAsJsonObject("negative");
        assertEquals(0.5, negative.get("precision").getAsDouble());
        assertEquals(1, negative.get("support").getAsInt());
        assertEquals("{\"labels\":[\"negative\",\"positive\"],\"matrix\":[[1,0],[1,0]]}",
                json.get("confusion_matrix").toString());
        assertEquals(0.5, m.metric("accuracy"));
        assertThrows(IllegalArgumentException.class, () -> m.metric("f1"));
    }

    @Test
    void programmingMistakesAreRejected() {
        assertThrows(IllegalArgumentException.class, () -> ClassificationMetrics.compute(new int[] {0}, new int[] {},
                ABC));
        assertThrows(IllegalArgumentException.class, () -> ClassificationMetrics.compute(new int[] {3},
                new int[] {0}, ABC));
    }
}
