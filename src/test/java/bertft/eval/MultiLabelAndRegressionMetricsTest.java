package bertft.eval;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

class MultiLabelAndRegressionMetricsTest {

    @Test
    void multiLabelMatchesScikitLearn() {
        // Y = [[1,0,1],[0,1,0],[1,1,0]], P = [[1,0,0],[0,1,0],[1,0,1]]. Per label: F1 1, 2/3, 0.
        // sklearn: f1_score micro = 2*3/(2*3+1+2) = 0.6667, macro 0.5556; accuracy_score (subset) 1/3.
        boolean[][] gold = {{true, false, true}, {false, true, false}, {true, true, false}};
        boolean[][] pred = {{true, false, false}, {false, true, false}, {true, false, true}};
        MultiLabelMetrics m = MultiLabelMetrics.compute(gold, pred, List.of("x", "y", "z"));
        assertEquals(6.0 / 9, m.microF1(), 1e-12);
        assertEquals((1 + 2.0 / 3) / 3, m.macroF1(), 1e-12);
        assertEquals(1.0 / 3, m.subsetAccuracy(), 1e-12);
        assertEquals(new Scores(1, 0.5, 2.0 / 3, 2), m.perLabel(1));
        assertEquals(new Scores(0, 0, 0, 1), m.perLabel(2));
        assertTrue(m.toJson().contains("\"per_label\""));
        assertEquals(List.of("micro_f1", "macro_f1", "subset_accuracy"), List.copyOf(m.scalars().keySet()));
    }

    @Test
    void regressionMatchesScipy() {
        // By hand: mse (1+0+0+1+1)/5 = 0.6; Pearson 7/sqrt(10*6.8) = 0.848875;
        // ranks of p: [1.5, 1.5, 3, 5, 4], scipy.stats.spearmanr = 8.5/sqrt(10*9.5) = 0.872082.
        RegressionMetrics m = RegressionMetrics.compute(new double[] {1, 2, 3, 4, 5}, new double[] {2, 2, 3, 5, 4});
        assertEquals(0.6, m.mse(), 1e-12);
        assertEquals(7 / Math.sqrt(68), m.pearson(), 1e-12);
        assertEquals(8.5 / Math.sqrt(95), m.spearman(), 1e-12);
        assertArrayEquals(new double[] {2, 3.5, 3.5, 1}, RegressionMetrics.ranks(new double[] {10, 20, 20, 5}));
    }

    @Test
    void constantInputHasNoCorrelation() {
        RegressionMetrics m = RegressionMetrics.compute(new double[] {1, 2, 3}, new double[] {2, 2, 2});
        assertTrue(Double.isNaN(m.pearson()));
        assertTrue(m.toJson().contains("\"pearson\": null"), m.toJson());
    }
}
