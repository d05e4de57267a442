package bertft.report;

import static bertft.report.HtmlReport.dbl;
import static bertft.report.HtmlReport.fmt;
import static bertft.report.HtmlReport.isNumber;
import static bertft.report.HtmlReport.str;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** The sections of one evaluated split, and the baseline comparison. */
final class Sections {
    private Sections() {}

    /** Fine-tuned vs bag-of-words baseline, with the verdict (negative transfer in a warning box). */
    static void baseline(Html h, JsonObject b) {
        h.h2("Transfer gain: fine-tuned model vs a bag-of-words baseline");
        if (b.has("skipped")) {
            h.box("note", "No baseline: " + str(b, "skipped"));
            return;
        }
        String metric = str(b, "metric");
        List<String> splits = new ArrayList<>();
        for (String s : List.of("validation", "test")) {
            if (b.has("baseline") && b.getAsJsonObject("baseline").has(s)) {
                splits.add(s);
            }
        }
        List<List<String>> rows = new ArrayList<>();
        for (String who : List.of("fine_tuned", "baseline")) {
            if (!b.has(who)) {
                continue;
            }
            JsonObject o = b.getAsJsonObject(who);
            List<String> row = new ArrayList<>();
            row.add(who.equals("baseline") ? str(b, "model") : "fine-tuned " + str(b, "fine_tuned_model"));
            splits.forEach(s -> row.add(o.has(s) ? metric(o.get(s)) : ""));
            rows.add(row);
        }
        List<String> header = new ArrayList<>(List.of("model"));
        splits.forEach(s -> header.add(s + " " + metric));
        h.table(header, rows);
        if (b.has("verdict")) {
            h.box(b.has("negative_transfer") && b.get("negative_transfer").getAsBoolean() ? "warn" : "ok",
                    str(b, "verdict"));
        }
        h.p(String.format(Locale.ROOT, "The baseline trained on the same %s training examples in %ss (seed %s).",
                str(b, "train_examples"), str(b, "seconds"), str(b, "seed")));
    }

    private static String metric(JsonElement v) {
        return v.isJsonNull() ? "n/a" : String.format(Locale.ROOT, "%.4f", v.getAsDouble());
    }

    /** Everything known about one split's evaluation. */
    static void split(Html h, JsonObject r, JsonObject trainLabels) {
        JsonObject m = r.getAsJsonObject("metrics");
        List<List<String>> rows = new ArrayList<>();
        for (Map.Entry<String, JsonElement> e : m.entrySet()) {
            if (isNumber(e.getValue()) || e.getValue().isJsonNull()) {
                rows.add(List.of(e.getKey(), HtmlReport.text(e.getValue())));
            }
        }
        h.table(List.of("metric", "value"), rows);
        JsonObject perClass = m.has("per_class") ? m.getAsJsonObject("per_class")
                : m.has("per_label") ? m.getAsJsonObject("per_label")
                : m.has("per_type") ? m.getAsJsonObject("per_type") : null;
        if (perClass != null) {
            h.h3(m.has("per_class") ? "Per class" : m.has("per_type") ? "Entities by type"
                    : "Per label (at the task's threshold)");
            List<List<String>> pc = new ArrayList<>();
            for (Map.Entry<String, JsonElement> e : perClass.entrySet()) {
                JsonObject c = e.getValue().getAsJsonObject();
                pc.add(List.of(e.getKey(), fmt(dbl(c, "precision")), fmt(dbl(c, "recall")), fmt(dbl(c, "f1")),
                        fmt(dbl(c, "support"))));
            }
            h.table(List.of("label", "precision", "recall", "F1", "support"), pc);
        }
        if (m.has("confusion_matrix")) {
            confusion(h, m.getAsJsonObject("confusion_matrix"));
        }
        if (m.has("type_confusion")) {
            confusion(h, m.getAsJsonObject("type_confusion")); // O: a missed gold entity (column), a spurious one (row)
        }
        if (r.has("calibration")) {
            calibration(h, r.getAsJsonObject("calibration"));
        }
        if (r.has("thresholds")) {
            thresholds(h, r.getAsJsonArray("thresholds"));
        }
        if (r.has("scatter")) {
            JsonArray pts = r.getAsJsonArray("scatter");
            double[] x = new double[pts.size()];
            double[] y = new double[pts.size()];
            for (int i = 0; i < x.length; i++) {
                x[i] = pts.get(i).getAsJsonArray().get(0).getAsDouble();
                y[i] = pts.get(i).getAsJsonArray().get(1).getAsDouble();
            }
            h.h3("Predicted vs gold");
            h.figure(Svg.scatter("predicted vs gold", "gold", "predicted", x, y, null, true),
                    String.format(Locale.ROOT, "%d points; Pearson %s, Spearman %s; dashed: perfect prediction",
                            x.length, HtmlReport.text(m.get("pearson")), HtmlReport.text(m.get("spearman"))));
        }
        if (r.has("label_distribution")) {
            distribution(h, r.getAsJsonObject("label_distribution"), trainLabels);
        }
        if (r.has("errors")) {
            JsonArray errors = r.getAsJsonArray("errors");
            h.h3("Most confident mistakes");
            List<List<String>> rowsE = new ArrayList<>();
            for (int i = 0; i < Math.min(15, errors.size()); i++) {
                JsonObject e = errors.get(i).getAsJsonObject();
                rowsE.add(List.of(str(e, "line"), str(e, "text"), str(e, "gold"), str(e, "predicted"),
                        fmt(dbl(e, "score"))));
            }
            h.table(List.of("line", "text", "gold", "predicted", "confidence"), rowsE);
        }
        for (String key : List.of("by_question_word", "by_answer_length")) {
            if (r.has(key)) {
                breakdown(h, key.equals("by_question_word") ? "question word" : "gold answer length",
                        r.getAsJsonObject(key));
            }
        }
        if (r.has("by_sentence_length")) {
            h.h3("Entity scores by sentence length");
            List<List<String>> rowsL = new ArrayList<>();
            for (Map.Entry<String, JsonElement> e : r.getAsJsonObject("by_sentence_length").entrySet()) {
                JsonObject b = e.getValue().getAsJsonObject();
                rowsL.add(List.of(e.getKey(), str(b, "sentences"), str(b, "entities"), fmt(dbl(b, "precision")),
                        fmt(dbl(b, "recall")), fmt(dbl(b, "f1"))));
            }
            h.table(List.of("words", "sentences", "entities", "precision", "recall", "F1"), rowsL);
        }
        if (r.has("worst_sentences") && !r.getAsJsonArray("worst_sentences").isEmpty()) {
            h.h3("Sentences with the most entity errors");
            List<List<String>> rowsS = new ArrayList<>();
            for (JsonElement e : r.getAsJsonArray("worst_sentences")) {
                JsonObject w = e.getAsJsonObject();
                rowsS.add(List.of(str(w, "line"), str(w, "text"), str(w, "gold"), str(w, "predicted")));
            }
            h.table(List.of("line", "text", "gold", "predicted"), rowsS);
        }
        if (r.has("worst")) {
            JsonArray worst = r.getAsJsonArray("worst");
            h.h3("Worst answers (F1 0, most confident first)");
            List<List<String>> rowsW = new ArrayList<>();
            for (int i = 0; i < Math.min(15, worst.size()); i++) {
                JsonObject w = worst.get(i).getAsJsonObject();
                rowsW.add(List.of(str(w, "question"), str(w, "gold"), str(w, "predicted"), fmt(dbl(w, "score"))));
            }
            h.table(List.of("question", "gold", "predicted", "score"), rowsW);
        }
    }

    private static void confusion(Html h, JsonObject cm) {
        List<String> labels = new ArrayList<>();
        cm.getAsJsonArray("labels").forEach(l -> labels.add(l.getAsString()));
        JsonArray rows = cm.getAsJsonArray("matrix");
        int k = labels.size();
        double[][] counts = new double[k][k];
        double[][] norm = new double[k][k];
        String[][] countText = new String[k][k];
        String[][] normText = new String[k][k];
        for (int i = 0; i < k; i++) {
            double[] row = HtmlReport.doubles(rows.get(i).getAsJsonArray());
            double sum = java.util.Arrays.stream(row).sum();
            for (int j = 0; j < k; j++) {
                counts[i][j] = row[j];
                norm[i][j] = sum == 0 ? 0 : row[j] / sum;
                countText[i][j] = fmt(row[j]);
                normText[i][j] = String.format(Locale.ROOT, "%.0f%%", 100 * norm[i][j]);
            }
        }
        h.h3("Confusion matrix");
        h.row()
                .figure(Svg.heatMap("confusion matrix, counts", labels, labels, counts, countText, "gold", "predicted"),
                        "Counts; rows: gold label, columns: predicted.")
                .figure(Svg.heatMap("confusion matrix, row-normalised", labels, labels, norm, normText, "gold",
                        "predicted"), "Each row divided by its total: the diagonal is the recall of that class.")
                .end();
    }

    private static void calibration(Html h, JsonObject c) {
        JsonArray bins = c.getAsJsonArray("bins");
        int k = bins.size();
        double[] lo = new double[k];
        double[] hi = new double[k];
        double[] acc = new double[k];
        double[] conf = new double[k];
        long[] n = new long[k];
        List<List<String>> rows = new ArrayList<>();
        for (int i = 0; i < k; i++) {
            JsonObject b = bins.get(i).getAsJsonObject();
            lo[i] = dbl(b, "lo");
            hi[i] = dbl(b, "hi");
            acc[i] = dbl(b, "accuracy");
            conf[i] = dbl(b, "confidence");
            n[i] = b.get("n").getAsLong();
            if (n[i] > 0) {
                rows.add(List.of(String.format(Locale.ROOT, "%.1f-%.1f", lo[i], hi[i]), Long.toString(n[i]),
                        fmt(conf[i]), fmt(acc[i])));
            }
        }
        double ece = dbl(c, "ece");
        h.h3("Calibration");
        h.row().figure(Svg.reliability("reliability diagram", lo, hi, acc, conf, n),
                String.format(Locale.ROOT, "Expected calibration error (ECE) %s. Bars: accuracy per confidence bin; "
                        + "dots: mean confidence; dashed: perfect calibration. Bars below the diagonal mean "
                        + "over-confidence.", fmt(ece)));
        h.table(List.of("confidence", "examples", "mean confidence", "accuracy"), rows).end();
    }

    private static void thresholds(Html h, JsonArray t) {
        double[] x = new double[t.size()];
        double[] micro = new double[t.size()];
        double[] macro = new double[t.size()];
        List<List<String>> rows = new ArrayList<>();
        for (int i = 0; i < x.length; i++) {
            JsonObject o = t.get(i).getAsJsonObject();
            x[i] = dbl(o, "threshold");
            micro[i] = dbl(o, "micro_f1");
            macro[i] = dbl(o, "macro_f1");
            rows.add(List.of(fmt(x[i]), fmt(micro[i]), fmt(macro[i])));
        }
        h.h3("F1 by decision threshold");
        h.row().figure(Svg.lines("F1 by threshold", "threshold", "F1", List.of(new Svg.Series("micro F1", x, micro),
                new Svg.Series("macro F1", x, macro)), List.of()), "Micro and macro F1 had every label used this threshold.")
                .table(List.of("threshold", "micro F1", "macro F1"), rows).end();
    }

    private static void distribution(Html h, JsonObject d, JsonObject train) {
        JsonObject gold = d.getAsJsonObject("gold");
        JsonObject pred = d.getAsJsonObject("predicted");
        List<String> labels = HtmlReport.keys(gold);
        List<String> series = new ArrayList<>();
        List<double[]> values = new ArrayList<>();
        List<JsonObject> sources = new ArrayList<>();
        if (train != null) {
            series.add("train (gold)");
            sources.add(train);
        }
        series.add("evaluation (gold)");
        sources.add(gold);
        series.add("evaluation (predicted)");
        sources.add(pred);
        List<List<String>> rows = new ArrayList<>();
        for (JsonObject src : sources) {
            double total = src.entrySet().stream().mapToDouble(e -> e.getValue().getAsDouble()).sum();
            double[] v = new double[labels.size()];
            for (int c = 0; c < labels.size(); c++) {
                v[c] = total == 0 || !src.has(labels.get(c)) ? 0 : 100 * src.get(labels.get(c)).getAsDouble() / total;
            }
            values.add(v);
        }
        for (int c = 0; c < labels.size(); c++) {
            List<String> row = new ArrayList<>();
            row.add(labels.get(c));
            for (JsonObject src : sources) {
                row.add(src.has(labels.get(c)) ? fmt(src.get(labels.get(c)).getAsDouble()) : "0");
            }
            rows.add(row);
        }
        h.h3("Label distribution");
        h.figure(Svg.bars("label distribution", "% of examples", labels, series, values.toArray(new double[0][]),
                null, null, null), "Share of examples per label (multi-label: of label occurrences).");
        List<String> header = new ArrayList<>(List.of("label"));
        header.addAll(series);
        h.table(header, rows);
    }

    private static void breakdown(Html h, String by, JsonObject b) {
        List<String> cats = HtmlReport.keys(b);
        double[][] v = new double[2][cats.size()];
        List<List<String>> rows = new ArrayList<>();
        for (int i = 0; i < cats.size(); i++) {
            JsonObject r = b.getAsJsonObject(cats.get(i));
            v[0][i] = dbl(r, "exact_match");
            v[1][i] = dbl(r, "f1");
            rows.add(List.of(cats.get(i), str(r, "n"), fmt(v[0][i]), fmt(v[1][i])));
        }
        h.h3("By " + by);
        h.figure(Svg.bars("EM and F1 by " + by, "score (%)", cats, List.of("exact match", "F1"), v, null, null, null),
                null);
        h.table(List.of(by, "questions", "exact match", "F1"), rows);
    }
}
