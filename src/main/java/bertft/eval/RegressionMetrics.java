package bertft.eval;

import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.stream.IntStream;

/**
 * Regression: mean squared error, Pearson and Spearman correlation (ties get their average rank, as in
 * scipy.stats.spearmanr). A correlation with a constant input is undefined: NaN, written as null in JSON.
 */
public final class RegressionMetrics implements Metrics {
    private final double mse;
    private final double pearson;
    private final double spearman;

    private RegressionMetrics(double mse, double pearson, double spearman) {
        this.mse = mse;
        this.pearson = pearson;
        this.spearman = spearman;
    }

    /** Metrics of {@code predicted} against {@code gold}. */
    public static RegressionMetrics compute(double[] gold, double[] predicted) {
        if (gold.length != predicted.length || gold.length == 0) {
            throw new IllegalArgumentException("need equally long, non-empty gold (" + gold.length + ") and predicted ("
                    + predicted.length + ") values");
        }
        double se = 0;
        for (int i = 0; i < gold.length; i++) {
            se += (gold[i] - predicted[i]) * (gold[i] - predicted[i]);
        }
        return new RegressionMetrics(se / gold.length, pearson(gold, predicted),
                pearson(ranks(gold), ranks(predicted)));
    }

    /** Pearson's r; NaN when either input is constant. */
    public static double pearson(double[] x, double[] y) {
        double mx = Arrays.stream(x).average().orElse(Double.NaN);
        double my = Arrays.stream(y).average().orElse(Double.NaN);
        double sxy = 0;
        double sxx = 0;
        double syy = 0;
        for (int i = 0; i < x.length; i++) {
            sxy += (x[i] - mx) * (y[i] - my);
            sxx += (x[i] - mx) * (x[i] - mx);
            syy += (y[i] - my) * (y[i] - my);
        }
        return sxx == 0 || syy == 0 ? Double.NaN : sxy / Math.sqrt(sxx * syy);
    }

    /** 1-based ranks, tied values sharing the average of their ranks. */
    public static double[] ranks(double[] v) {
        Integer[] order = IntStream.range(0, v.length).boxed().toArray(Integer[]::new);
        Arrays.sort(order, Comparator.comparingDouble(i -> v[i]));
        double[] rank = new double[v.length];
        for (int start = 0; start < v.length; ) {
            int end = start;
            while (end + 1 < v.length && v[order[end + 1]] == v[order[start]]) {
                end++;
            }
            double average = (start + end) / 2.0 + 1;
            for (int j = start; j <= end; j++) {
                rank[order[j]] = average;
            }
            start = end + 1;
        }
        return rank;
    }

    public double mse() {
        return mse;
    }

    public double pearson() {
        return pearson;
    }

    public double spearman() {
        return spearman;
    }

    @Override
    public Map<String, Double> scalars() {
        Map<String, Double> m = new LinkedHashMap<>();
        m.put("mse", mse);
        m.put("pearson", pearson);
        m.put("spearman", spearman);
        return m;
    }

    /** {@code {"mse", "pearson", "spearman"}}, undefined correlations as null. */
    @Override
    public String toJson() {
        Map<String, Double> json = new LinkedHashMap<>();
        scalars().forEach((k, v) -> json.put(k, Double.isNaN(v) ? null : v));
        return Json.GSON.toJson(json);
    }
}
