package bertft.eval;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Multi-label classification: micro and macro F1, subset accuracy (every label right) and per-label scores.
 * Matches scikit-learn's {@code f1_score(average=...)} and {@code accuracy_score} on indicator matrices, with
 * {@code zero_division=0}.
 */
public final class MultiLabelMetrics implements Metrics {
    private final List<String> labels;
    private final Scores[] perLabel;
    private final double microF1;
    private final double macroF1;
    private final double subsetAccuracy;

    private MultiLabelMetrics(List<String> labels, Scores[] perLabel, double microF1, double macroF1,
            double subsetAccuracy) {
        this.labels = List.copyOf(labels);
        this.perLabel = perLabel;
        this.microF1 = microF1;
        this.macroF1 = macroF1;
        this.subsetAccuracy = subsetAccuracy;
    }

    /** Metrics of {@code predicted} against {@code gold}: one row per example, one column per label. */
    public static MultiLabelMetrics compute(boolean[][] gold, boolean[][] predicted, List<String> labels) {
        int k = labels.size();
        if (gold.length != predicted.length || gold.length == 0 || k == 0) {
            throw new IllegalArgumentException("need equally long, non-empty gold (" + gold.length + ") and predicted ("
                    + predicted.length + ") rows and some labels");
        }
        long[] tp = new long[k];
        long[] fp = new long[k];
        long[] fn = new long[k];
        long exact = 0;
        for (int i = 0; i < gold.length; i++) {
            if (gold[i].length != k || predicted[i].length != k) {
                throw new IllegalArgumentException("row " + i + ": expected " + k + " labels");
            }
            exact += Arrays.equals(gold[i], predicted[i]) ? 1 : 0;
            for (int c = 0; c < k; c++) {
                tp[c] += gold[i][c] && predicted[i][c] ? 1 : 0;
                fp[c] += !gold[i][c] && predicted[i][c] ? 1 : 0;
                fn[c] += gold[i][c] && !predicted[i][c] ? 1 : 0;
            }
        }
        Scores[] scores = new Scores[k];
        double f1Sum = 0;
        for (int c = 0; c < k; c++) {
            scores[c] = Scores.of(tp[c], fp[c], fn[c]);
            f1Sum += scores[c].f1();
        }
        Scores micro = Scores.of(Arrays.stream(tp).sum(), Arrays.stream(fp).sum(), Arrays.stream(fn).sum());
        return new MultiLabelMetrics(labels, scores, micro.f1(), f1Sum / k, (double) exact / gold.length);
    }

    public double microF1() {
        return microF1;
    }

    public double macroF1() {
        return macroF1;
    }

    public double subsetAccuracy() {
        return subsetAccuracy;
    }

    /** Scores of label {@code id}. */
    public Scores perLabel(int id) {
        return perLabel[id];
    }

    @Override
    public Map<String, Scores> perClass() {
        Map<String, Scores> m = new LinkedHashMap<>();
        for (int c = 0; c < perLabel.length; c++) {
            m.put(labels.get(c), perLabel[c]);
        }
        return m;
    }

    @Override
    public Map<String, Double> scalars() {
        Map<String, Double> m = new LinkedHashMap<>();
        m.put("micro_f1", microF1);
        m.put("macro_f1", macroF1);
        m.put("subset_accuracy", subsetAccuracy);
        return m;
    }

    /** {@code {"micro_f1", "macro_f1", "subset_accuracy", "per_label": {label: {precision, recall, f1, support}}}}. */
    @Override
    public String toJson() {
        Map<String, Object> json = new LinkedHashMap<>(scalars());
        json.put("per_label", ClassificationMetrics.perLabel(labels, perLabel));
        return Json.GSON.toJson(json);
    }
}
