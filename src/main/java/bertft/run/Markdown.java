package bertft.run;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import java.util.Map;

/** The detail sections of report.md: per-class scores, confusion matrix, breakdowns, worst examples. */
final class Markdown {
    private Markdown() {}

    static void details(JsonObject report, StringBuilder sb, JsonObject trainLabels) {
        JsonObject m = report.getAsJsonObject("metrics");
        JsonObject perClass = m.has("per_class") ? m.getAsJsonObject("per_class")
                : m.has("per_label") ? m.getAsJsonObject("per_label")
                : m.has("per_type") ? m.getAsJsonObject("per_type") : null;
        if (perClass != null) {
            sb.append(m.has("per_type") ? "Entities by type\n\n| type |" : "| label |")
                    .append(" precision | recall | f1 | support |\n|---|---|---|---|---|\n");
            for (Map.Entry<String, JsonElement> e : perClass.entrySet()) {
                JsonObject c = e.getValue().getAsJsonObject();
                sb.append("| ").append(cell(e.getKey())).append(" | ").append(num(c, "precision")).append(" | ")
                        .append(num(c, "recall")).append(" | ").append(num(c, "f1")).append(" | ")
                        .append(num(c, "support")).append(" |\n");
            }
            sb.append('\n');
        }
        if (m.has("confusion_matrix") || m.has("type_confusion")) {
            boolean types = m.has("type_confusion");
            JsonObject cm = m.getAsJsonObject(types ? "type_confusion" : "confusion_matrix");
            JsonArray labels = cm.getAsJsonArray("labels");
            sb.append(types ? "Entity types (rows: gold, columns: the predicted entity overlapping it most; O: missed"
                    + " or spurious)\n\n| |" : "Confusion matrix (rows: gold, columns: predicted)\n\n| |");
            labels.forEach(l -> sb.append(' ').append(cell(l.getAsString())).append(" |"));
            sb.append("\n|---|").append("---|".repeat(labels.size())).append('\n');
            JsonArray rows = cm.getAsJsonArray("matrix");
            for (int i = 0; i < rows.size(); i++) {
                sb.append("| ").append(cell(labels.get(i).getAsString())).append(" |");
                rows.get(i).getAsJsonArray().forEach(v -> sb.append(' ').append(v.getAsLong()).append(" |"));
                sb.append('\n');
            }
            sb.append('\n');
        }
        if (report.has("calibration")) {
            JsonObject c = report.getAsJsonObject("calibration");
            sb.append("Calibration: expected calibration error (ECE) ").append(num(c, "ece"))
                    .append("\n\n| confidence | examples | mean confidence | accuracy |\n|---|---|---|---|\n");
            for (JsonElement e : c.getAsJsonArray("bins")) {
                JsonObject b = e.getAsJsonObject();
                if (b.get("n").getAsLong() > 0) {
                    sb.append(String.format(java.util.Locale.ROOT, "| %.1f-%.1f | ", b.get("lo").getAsDouble(),
                            b.get("hi").getAsDouble())).append(num(b, "n")).append(" | ").append(num(b, "confidence"))
                            .append(" | ").append(num(b, "accuracy")).append(" |\n");
                }
            }
            sb.append('\n');
        }
        if (report.has("thresholds")) {
            sb.append("F1 by decision threshold\n\n| threshold | micro_f1 | macro_f1 |\n|---|---|---|\n");
            for (JsonElement e : report.getAsJsonArray("thresholds")) {
                JsonObject t = e.getAsJsonObject();
                sb.append("| ").append(num(t, "threshold")).append(" | ").append(num(t, "micro_f1")).append(" | ")
                        .append(num(t, "macro_f1")).append(" |\n");
            }
            sb.append('\n');
        }
        if (report.has("label_distribution")) {
            JsonObject d = report.getAsJsonObject("label_distribution");
            JsonObject gold = d.getAsJsonObject("gold");
            JsonObject pred = d.getAsJsonObject("predicted");
            sb.append("Label distribution (examples)\n\n| label |").append(trainLabels != null ? " train |" : "")
                    .append(" evaluation (gold) | evaluation (predicted) |\n|---|")
                    .append(trainLabels != null ? "---|" : "").append("---|---|\n");
            for (String label : gold.keySet()) {
                sb.append("| ").append(cell(label)).append(" | ");
                if (trainLabels != null) {
                    sb.append(num(trainLabels, label)).append(" | ");
                }
                sb.append(num(gold, label)).append(" | ").append(num(pred, label)).append(" |\n");
            }
            sb.append('\n');
        }
        for (String key : new String[] {"by_question_word", "by_answer_length"}) {
            if (report.has(key)) {
                sb.append(key.replace('_', ' ')).append("\n\n| | n | exact_match | f1 |\n|---|---|---|---|\n");
                for (Map.Entry<String, JsonElement> e : report.getAsJsonObject(key).entrySet()) {
                    JsonObject r = e.getValue().getAsJsonObject();
                    sb.append("| ").append(cell(e.getKey())).append(" | ").append(num(r, "n")).append(" | ")
                            .append(num(r, "exact_match")).append(" | ").append(num(r, "f1")).append(" |\n");
                }
                sb.append('\n');
            }
        }
        if (report.has("errors")) {
            sb.append("Most confident mistakes\n\n| line | text | gold | predicted | score |\n|---|---|---|---|---|\n");
            JsonArray errors = report.getAsJsonArray("errors");
            for (int i = 0; i < Math.min(10, errors.size()); i++) {
                JsonObject e = errors.get(i).getAsJsonObject();
                sb.append("| ").append(num(e, "line")).append(" | ").append(cell(e.get("text").getAsString()))
                        .append(" | ").append(cell(e.get("gold").getAsString())).append(" | ")
                        .append(cell(e.get("predicted").getAsString())).append(" | ").append(num(e, "score"))
                        .append(" |\n");
            }
            sb.append('\n');
        }
        if (report.has("by_sentence_length")) {
            sb.append("Entity scores by sentence length (words)\n\n| words | sentences | entities | precision | recall"
                    + " | f1 |\n|---|---|---|---|---|---|\n");
            for (Map.Entry<String, JsonElement> e : report.getAsJsonObject("by_sentence_length").entrySet()) {
                JsonObject b = e.getValue().getAsJsonObject();
                sb.append("| ").append(e.getKey()).append(" | ").append(num(b, "sentences")).append(" | ")
                        .append(num(b, "entities")).append(" | ").append(num(b, "precision")).append(" | ")
                        .append(num(b, "recall")).append(" | ").append(num(b, "f1")).append(" |\n");
            }
            sb.append('\n');
        }
        if (report.has("worst_sentences") && !report.getAsJsonArray("worst_sentences").isEmpty()) {
            sb.append("Sentences with the most entity errors\n\n| line | text | gold | predicted |\n|---|---|---|---|\n");
            for (JsonElement e : report.getAsJsonArray("worst_sentences")) {
                JsonObject w = e.getAsJsonObject();
                sb.append("| ").append(w.get("line").getAsLong()).append(" | ").append(cell(w.get("text").getAsString()))
                        .append(" | ").append(cell(w.get("gold").getAsString())).append(" | ")
                        .append(cell(w.get("predicted").getAsString())).append(" |\n");
            }
            sb.append('\n');
        }
        if (report.has("worst")) {
            sb.append("Worst answers (F1 0, most confident first)\n\n| question | predicted | gold |\n|---|---|---|\n");
            JsonArray worst = report.getAsJsonArray("worst");
            for (int i = 0; i < Math.min(10, worst.size()); i++) {
                JsonObject w = worst.get(i).getAsJsonObject();
                sb.append("| ").append(cell(w.get("question").getAsString())).append(" | ")
                        .append(cell(w.get("predicted").getAsString())).append(" | ")
                        .append(cell(w.get("gold").getAsString())).append(" |\n");
            }
            sb.append('\n');
        }
    }

    /** The baseline comparison and its verdict. */
    static void baseline(JsonObject b, StringBuilder sb) {
        if (b == null) {
            return;
        }
        sb.append("## Transfer gain: fine-tuned vs bag-of-words baseline\n\n");
        if (b.has("skipped")) {
            sb.append("No baseline: ").append(b.get("skipped").getAsString()).append("\n\n");
            return;
        }
        String metric = b.get("metric").getAsString();
        sb.append("| model | validation ").append(metric).append(" | test ").append(metric).append(" |\n|---|---|---|\n");
        JsonObject ft = b.getAsJsonObject("fine_tuned");
        JsonObject base = b.getAsJsonObject("baseline");
        sb.append("| fine-tuned ").append(cell(b.get("fine_tuned_model").getAsString())).append(" | ")
                .append(num(ft, "validation")).append(" | ").append(num(ft, "test")).append(" |\n");
        sb.append("| ").append(cell(b.get("model").getAsString())).append(" | ").append(num(base, "validation"))
                .append(" | ").append(num(base, "test")).append(" |\n\n");
        if (b.has("verdict")) {
            sb.append(b.get("negative_transfer").getAsBoolean() ? "**" : "").append(b.get("verdict").getAsString())
                    .append(b.get("negative_transfer").getAsBoolean() ? "**" : "").append("\n\n");
        }
    }

    /** The provenance block as a list. */
    static void provenance(JsonObject p, StringBuilder sb) {
        if (p == null) {
            return;
        }
        sb.append("## Provenance\n\n");
        for (java.util.List<String> row : bertft.report.HtmlReport.flatten("", p)) {
            sb.append("- ").append(row.get(0)).append(": ").append(row.get(1).replace("\n", " ")).append('\n');
        }
        sb.append('\n');
    }

    private static String num(JsonObject o, String key) {
        return o.has(key) && !o.get(key).isJsonNull() ? Reports.fmt(o.get(key).getAsDouble()) : "";
    }

    private static String cell(String s) {
        String t = s.replace("|", "\\|").replace("\n", " ");
        return t.length() > 120 ? t.substring(0, 117) + "..." : t;
    }
}
