package bertft.eval;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Single-label classification: accuracy, macro / micro / weighted F1, per-class scores and the confusion matrix
 * (rows gold, columns predicted, in label order). Matches scikit-learn with {@code labels=range(k)} and
 * {@code zero_division=0}.
 */
public final class ClassificationMetrics implements Metrics {
    private final List<String> labels;
    private final long[][] confusion;
    private final Scores[] perClass;
    private final double accuracy;
    private final double macroF1;
    private final double microF1;
    private final double weightedF1;

    private ClassificationMetrics(List<String> labels, long[][] confusion) {
        this.labels = List.copyOf(labels);
        this.confusion = confusion;
        int k = labels.size();
        perClass = new Scores[k];
        long n = 0;
        long correct = 0;
        double f1Sum = 0;
        double weighted = 0;
        for (int c = 0; c < k; c++) {
            long predicted = 0;
            long support = 0;
            for (int other = 0; other < k; other++) {
                predicted += confusion[other][c];
                support += confusion[c][other];
            }
            long tp = confusion[c][c];
            perClass[c] = Scores.of(tp, predicted - tp, support - tp);
            n += support;
            correct += tp;
            f1Sum += perClass[c].f1();
            weighted += support * perClass[c].f1();
        }
        accuracy = Scores.ratio(correct, n);
        // Every wrong prediction is one false positive and one false negative: micro F1 = accuracy.
        microF1 = Scores.ratio(2.0 * correct, 2.0 * correct + 2.0 * (n - correct));
        macroF1 = f1Sum / k;
        weightedF1 = Scores.ratio(weighted, n);
    }

    /** Metrics of {@code predicted} against {@code gold}, both class ids into {@code labels}. */
    public static ClassificationMetrics compute(int[] gold, int[] predicted, List<String> labels) {
        if (gold.length != predicted.length || gold.length == 0 || labels.isEmpty()) {
            throw new IllegalArgumentException("need equally long, non-empty gold (" + gold.length + ") and predicted ("
                    + predicted.length + ") ids and some labels");
        }
        int k = labels.size();
        long[][] confusion = new long[k][k];
        for (int i = 0; i < gold.length; i++) {
            if (gold[i] < 0 || gold[i] >= k || predicted[i] < 0 || predicted[i] >= k) {
                throw new IllegalArgumentException("example " + i + ": id outside [0, " + k + ")");
            }
            confusion[gold[i]][predicted[i]]++;
        }
        return new ClassificationMetrics(labels, confusion);
    }

    public double accuracy() {
        return accuracy;
    }

    public double macroF1() {
        return macroF1;
    }

    public double microF1() {
        return microF1;
    }

    public double weightedF1() {
        return weightedF1;
    }

    /** Scores of class {@code id}. */
    public Scores perClass(int id) {
        return perClass[id];
    }

    /** Counts of (gold row, predicted column), a copy. */
    public long[][] confusion() {
        long[][] copy = new long[confusion.length][];
        for (int i = 0; i < confusion.length; i++) {
            copy[i] = confusion[i].clone();
        }
        return copy;
    }

    @Override
    public Map<String, Scores> perClass() {
        Map<String, Scores> m = new LinkedHashMap<>();
        for (int c = 0; c < perClass.length; c++) {
            m.put(labels.get(c), perClass[c]);
        }
        return m;
    }

    @Override
    public Confusion confusionMatrix() {
        return new Confusion(labels, confusion);
    }

    public List<String> labels() {
        return labels;
    }

    @Override
    public Map<String, Double> scalars() {
        Map<String, Double> m = new LinkedHashMap<>();
        m.put("accuracy", accuracy);
        m.put("macro_f1", macroF1);
        m.put("micro_f1", microF1);
        m.put("weighted_f1", weightedF1);
        return m;
    }

    /**
     * {@code {"accuracy", "macro_f1", "micro_f1", "weighted_f1", "per_class": {label: {precision, recall, f1,
     * support}}, "confusion_matrix": {"labels": [...], "matrix": [[...]]}}}.
     */
    @Override
    public String toJson() {
        Map<String, Object> json = new LinkedHashMap<>(scalars());
        json.put("per_class", perLabel(labels, perClass));
        Map<String, Object> matrix = new LinkedHashMap<>();
        matrix.put("labels", labels);
        matrix.put("matrix", confusion);
        json.put("confusion_matrix", matrix);
        return Json.GSON.toJson(json);
    }

    static Map<String, Object> perLabel(List<String> labels, Scores[] scores) {
        Map<String, Object> out = new LinkedHashMap<>();
        for (int c = 0; c < scores.length; c++) {
            Map<String, Object> s = new LinkedHashMap<>();
            s.put("precision", scores[c].precision());
            s.put("recall", scores[c].recall());
            s.put("f1", scores[c].f1());
            s.put("support", scores[c].support());
            out.put(labels.get(c), s);
        }
        return out;
    }
}
