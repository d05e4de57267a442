package bertft.run;

import bertft.data.Example;
import bertft.data.LabelledData;
import bertft.eval.Calibration;
import bertft.eval.ClassificationMetrics;
import bertft.eval.Metrics;
import bertft.eval.MultiLabelMetrics;
import bertft.eval.RegressionMetrics;
import bertft.eval.SquadMetrics;
import bertft.qa.QaPostprocess;
import bertft.data.SquadData;
import bertft.task.TaskSpec;
import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Predictions against gold answers: the {@code report.json} body for each kind of task. */
public final class Scoring {
    private Scoring() {}

    /** The numeric entries of a report's {@code metrics} (a report read from a file; see {@link Evaluation}). */
    public static Map<String, Double> summary(JsonObject report) {
        return Evaluation.fromJson(report).metrics();
    }

    /** Scores (probabilities or values, one row per example) of a classification-style task. */
    public static Evaluation table(TaskSpec spec, LabelledData data, List<String> labels, float[][] scores) {
        List<Example> ex = data.examples();
        int n = ex.size();
        Metrics metrics;
        double loss = 0;
        JsonArray predictions = new JsonArray();
        JsonObject extra = new JsonObject();
        Calibration calibration = null;
        switch (spec.task()) {
            case MULTILABEL -> {
                boolean[][] gold = new boolean[n][];
                boolean[][] pred = new boolean[n][];
                for (int i = 0; i < n; i++) {
                    gold[i] = ex.get(i).multiHot(labels.size());
                    pred[i] = new boolean[labels.size()];
                    for (int c = 0; c < labels.size(); c++) {
                        double p = Math.min(1 - 1e-7, Math.max(1e-7, scores[i][c]));
                        pred[i][c] = p >= spec.threshold();
                        loss -= gold[i][c] ? Math.log(p) : Math.log(1 - p);
                    }
                }
                loss /= (double) n * labels.size();
                metrics = MultiLabelMetrics.compute(gold, pred, labels);
                extra.add("thresholds", thresholds(gold, scores, labels));
                extra.add("label_distribution", multiLabelDistribution(gold, pred, labels));
            }
            case REGRESSION -> {
                double[] gold = new double[n];
                double[] pred = new double[n];
                for (int i = 0; i < n; i++) {
                    gold[i] = ex.get(i).value();
                    pred[i] = scores[i][0];
                    loss += (pred[i] - gold[i]) * (pred[i] - gold[i]);
                }
                loss /= n;
                metrics = RegressionMetrics.compute(gold, pred);
                extra.add("scatter", scatter(gold, pred, 1000));
            }
            default -> {
                int[] gold = new int[n];
                int[] pred = new int[n];
                for (int i = 0; i < n; i++) {
                    gold[i] = ex.get(i).label();
                    pred[i] = argmax(scores[i]);
                    loss -= Math.log(Math.max(1e-12, scores[i][gold[i]]));
                    if (pred[i] != gold[i]) {
                        JsonObject miss = new JsonObject();
                        miss.addProperty("line", ex.get(i).line());
                        miss.addProperty("text", ex.get(i).text());
                        miss.addProperty("gold", labels.get(gold[i]));
                        miss.addProperty("predicted", labels.get(pred[i]));
                        miss.addProperty("score", scores[i][pred[i]]);
                        predictions.add(miss);
                    }
                }
                loss /= n;
                metrics = ClassificationMetrics.compute(gold, pred, labels);
                double[] confidence = new double[n];
                boolean[] correct = new boolean[n];
                for (int i = 0; i < n; i++) {
                    confidence[i] = scores[i][pred[i]];
                    correct[i] = pred[i] == gold[i];
                }
                calibration = Calibration.compute(confidence, correct, 10);
                extra.add("label_distribution", labelDistribution(gold, pred, labels));
            }
        }
        JsonObject details = new JsonObject();
        if (!predictions.isEmpty()) {
            details.add("errors", worst(predictions, 50));
        }
        extra.entrySet().forEach(e -> details.add(e.getKey(), e.getValue()));
        Map<String, Number> figures = new LinkedHashMap<>();
        figures.put("loss", loss);
        figures.put("n", n);
        return new Evaluation(metrics, figures, calibration, details);
    }

    /** Gold and predicted examples per label: {@code {"gold": {label: n}, "predicted": {label: n}}}. */
    static JsonObject labelDistribution(int[] gold, int[] pred, List<String> labels) {
        long[] g = new long[labels.size()];
        long[] p = new long[labels.size()];
        for (int i = 0; i < gold.length; i++) {
            g[gold[i]]++;
            p[pred[i]]++;
        }
        return distribution(labels, g, p);
    }

    private static JsonObject multiLabelDistribution(boolean[][] gold, boolean[][] pred, List<String> labels) {
        long[] g = new long[labels.size()];
        long[] p = new long[labels.size()];
        for (int i = 0; i < gold.length; i++) {
            for (int c = 0; c < labels.size(); c++) {
                g[c] += gold[i][c] ? 1 : 0;
                p[c] += pred[i][c] ? 1 : 0;
            }
        }
        return distribution(labels, g, p);
    }

    /** {@code {label: n}} in label order. */
    public static JsonObject counts(List<String> labels, long[] n) {
        JsonObject o = new JsonObject();
        for (int c = 0; c < labels.size(); c++) {
            o.addProperty(labels.get(c), n[c]);
        }
        return o;
    }

    private static JsonObject distribution(List<String> labels, long[] gold, long[] pred) {
        JsonObject o = new JsonObject();
        o.add("gold", counts(labels, gold));
        o.add("predicted", counts(labels, pred));
        return o;
    }

    /** Micro and macro F1 had the decision threshold been 0.1, 0.2, ..., 0.9. */
    private static JsonArray thresholds(boolean[][] gold, float[][] scores, List<String> labels) {
        JsonArray out = new JsonArray();
        for (int t = 1; t <= 9; t++) {
            double threshold = t / 10.0;
            boolean[][] pred = new boolean[gold.length][labels.size()];
            for (int i = 0; i < gold.length; i++) {
                for (int c = 0; c < labels.size(); c++) {
                    pred[i][c] = scores[i][c] >= threshold;
                }
            }
            MultiLabelMetrics m = MultiLabelMetrics.compute(gold, pred, labels);
            JsonObject row = new JsonObject();
            row.addProperty("threshold", threshold);
            row.addProperty("micro_f1", m.microF1());
            row.addProperty("macro_f1", m.macroF1());
            out.add(row);
        }
        return out;
    }

    /** Up to {@code max} (gold, predicted) pairs, evenly spread over the examples, for a scatter plot. */
    private static JsonArray scatter(double[] gold, double[] pred, int max) {
        JsonArray out = new JsonArray();
        int stride = Math.max(1, (gold.length + max - 1) / max);
        for (int i = 0; i < gold.length; i += stride) {
            JsonArray p = new JsonArray();
            p.add(gold[i]);
            p.add(pred[i]);
            out.add(p);
        }
        return out;
    }

    /** The most confident mistakes first. */
    private static JsonArray worst(JsonArray misses, int k) {
        List<JsonElement> list = new java.util.ArrayList<>();
        misses.forEach(list::add);
        list.sort((a, b) -> Double.compare(b.getAsJsonObject().get("score").getAsDouble(),
                a.getAsJsonObject().get("score").getAsDouble()));
        JsonArray out = new JsonArray();
        list.subList(0, Math.min(k, list.size())).forEach(out::add);
        return out;
    }

    static int argmax(float[] v) {
        int best = 0;
        for (int i = 1; i < v.length; i++) {
            if (v[i] > v[best]) {
                best = i;
            }
        }
        return best;
    }

    /**
     * QA: official SQuAD EM/F1, the predictions in the official format, n-best lists, breakdowns by question
     * word and answer length, and the worst examples.
     */
    public static Evaluation qa(List<SquadData.Question> questions, List<QaPostprocess.Prediction> predictions) {
        boolean v2 = questions.stream().anyMatch(q -> q.answers().isEmpty());
        Map<String, String> pred = new LinkedHashMap<>();
        Map<String, List<String>> gold = new LinkedHashMap<>();
        JsonObject nbest = new JsonObject();
        Map<String, double[]> byWord = new LinkedHashMap<>();
        Map<String, double[]> byLength = new LinkedHashMap<>();
        List<JsonObject> worst = new java.util.ArrayList<>();
        for (int i = 0; i < questions.size(); i++) {
            SquadData.Question q = questions.get(i);
            QaPostprocess.Prediction p = predictions.get(i);
            pred.put(q.id(), p.answer());
            List<String> golds = q.answers().stream().map(SquadData.Answer::text).toList();
            gold.put(q.id(), golds);
            JsonArray nb = new JsonArray();
            for (QaPostprocess.Span s : p.nbest()) {
                JsonObject o = new JsonObject();
                o.addProperty("text", s.text());
                o.addProperty("start", s.start());
                o.addProperty("end", s.end());
                o.addProperty("score", s.score());
                o.addProperty("probability", s.probability());
                nb.add(o);
            }
            nbest.add(q.id(), nb);
            double em = 0;
            double f1 = 0;
            for (String g : golds.isEmpty() ? List.of("") : golds) {
                em = Math.max(em, SquadMetrics.exactMatch(p.answer(), g) ? 1 : 0);
                f1 = Math.max(f1, SquadMetrics.f1(p.answer(), g, v2));
            }
            add(byWord, questionWord(q.question()), em, f1);
            add(byLength, answerLength(golds), em, f1);
            if (f1 == 0 && worst.size() < 1000) {
                JsonObject w = new JsonObject();
                w.addProperty("id", q.id());
                w.addProperty("question", q.question());
                w.addProperty("predicted", p.answer());
                w.addProperty("gold", golds.isEmpty() ? "" : golds.get(0));
                w.addProperty("score", p.nbest().isEmpty() ? 0 : p.nbest().get(0).score());
                worst.add(w);
            }
        }
        SquadMetrics metrics = SquadMetrics.compute(pred, gold, v2);
        JsonObject report = new JsonObject();
        report.add("by_question_word", breakdown(byWord));
        report.add("by_answer_length", breakdown(byLength));
        worst.sort((a, b) -> Double.compare(b.get("score").getAsDouble(), a.get("score").getAsDouble()));
        JsonArray w = new JsonArray();
        worst.stream().limit(25).forEach(w::add);
        report.add("worst", w);
        JsonObject predictionsJson = new JsonObject();
        pred.forEach(predictionsJson::addProperty);
        report.add("predictions", predictionsJson);
        report.add("nbest", nbest);
        return new Evaluation(metrics, Map.of("n", questions.size()), null, report);
    }

    private static void add(Map<String, double[]> m, String key, double em, double f1) {
        double[] v = m.computeIfAbsent(key, k -> new double[3]);
        v[0] += em;
        v[1] += f1;
        v[2]++;
    }

    private static JsonObject breakdown(Map<String, double[]> m) {
        JsonObject o = new JsonObject();
        m.entrySet().stream().sorted((a, b) -> Double.compare(b.getValue()[2], a.getValue()[2])).forEach(e -> {
            JsonObject row = new JsonObject();
            row.addProperty("n", (long) e.getValue()[2]);
            row.addProperty("exact_match", 100 * e.getValue()[0] / e.getValue()[2]);
            row.addProperty("f1", 100 * e.getValue()[1] / e.getValue()[2]);
            o.add(e.getKey(), row);
        });
        return o;
    }

    static String questionWord(String question) {
        String q = question.toLowerCase(java.util.Locale.ROOT);
        for (String w : List.of("what", "who", "whom", "whose", "when", "where", "which", "why", "how")) {
            if (q.matches(".*\\b" + w + "\\b.*")) {
                return w.startsWith("who") ? "who" : w;
            }
        }
        return "other";
    }

    static String answerLength(List<String> golds) {
        if (golds.isEmpty()) {
            return "no answer";
        }
        int words = golds.get(0).trim().split("\\s+").length;
        return words <= 1 ? "1 word" : words <= 3 ? "2-3 words" : words <= 6 ? "4-6 words" : "7+ words";
    }
}
