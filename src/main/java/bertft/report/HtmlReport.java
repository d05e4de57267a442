package bertft.report;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * {@code report.html} of a train or evaluate run, composed from {@code report.json} and the run's
 * {@code metrics.jsonl}: headline numbers, the bag-of-words baseline and its verdict, learning curves, then per
 * evaluated split the task's details (per class, confusion, calibration, mistakes, label distribution; or
 * thresholds, scatter, QA breakdowns), and provenance.
 */
public final class HtmlReport {
    private HtmlReport() {}

    /** The page for {@code report} (report.json) and {@code log} (metrics.jsonl records, possibly empty). */
    public static String render(JsonObject report, List<JsonObject> log) {
        String task = str(report, "task");
        String kind = str(report, "kind");
        Html h = new Html("bert-ft report: " + task + " (" + kind + ")");
        headline(h, report);
        if (report.has("baseline")) {
            Sections.baseline(h, report.getAsJsonObject("baseline"));
        }
        if (report.has("distillation")) {
            JsonObject d = report.getAsJsonObject("distillation");
            h.h2("Distillation: teacher" + (d.getAsJsonArray("models").size() > 2 ? "s" : "") + " and student");
            h.table(distillationHeader(d), distillationRows(d));
            h.p(distillationNote(d));
        }
        if (report.has("training")) {
            Curves.training(h, report.getAsJsonObject("training"), log);
        }
        Curves.domain(h, report, log);
        JsonObject trainLabels = report.has("train_label_distribution")
                ? report.getAsJsonObject("train_label_distribution") : null;
        for (String split : List.of("validation", "test")) {
            if (report.has(split) && report.getAsJsonObject(split).has("metrics")) {
                h.h2(cap(split) + (report.has(split + "_data") ? ": " + str(report, split + "_data") : ""));
                Sections.split(h, report.getAsJsonObject(split), trainLabels);
            }
        }
        if (report.has("provenance")) {
            h.h2("Provenance");
            h.table(List.of("what", "value"), flatten("", report.getAsJsonObject("provenance")));
        }
        return h.toString();
    }

    /** The columns of the distillation table (report.html and report.md). */
    public static List<String> distillationHeader(JsonObject d) {
        return List.of("model", "role", "layers", "parameters", "size MB", "validation " + str(d, "metric"),
                "sentences/s (torch)", "sentences/s (int8 ONNX)");
    }

    /** One row per teacher, the ensemble (when there are several teachers) and the student. */
    public static List<List<String>> distillationRows(JsonObject d) {
        List<List<String>> rows = new java.util.ArrayList<>();
        for (com.google.gson.JsonElement e : d.getAsJsonArray("models")) {
            JsonObject r = e.getAsJsonObject();
            rows.add(List.of(str(r, "model"), str(r, "role"), opt(r, "layers"), opt(r, "parameters"),
                    r.has("size_bytes") ? String.format(java.util.Locale.ROOT, "%.1f",
                            r.get("size_bytes").getAsDouble() / (1 << 20)) : "",
                    r.has("validation") ? fmt(r.get("validation").getAsDouble()) : "", opt(r, "sentences_per_s"),
                    opt(r, "sentences_per_s_int8")));
        }
        return rows;
    }

    /** Retention and the settings, in a sentence. */
    public static String distillationNote(JsonObject d) {
        return (d.has("retention") ? String.format(java.util.Locale.ROOT, "Retention (student / %s): %.1f%%. ",
                d.getAsJsonArray("models").size() > 2 ? "ensemble" : "teacher", 100 * d.get("retention").getAsDouble())
                : "") + String.format(java.util.Locale.ROOT, "Temperature %s, alpha %s, %s transfer texts; the "
                + "teachers' outputs were computed once in %ss. ", str(d, "temperature"), str(d, "alpha"),
                str(d, "transfer_texts"), str(d, "teacher_outputs_seconds"))
                + (d.has("speed_rounds") ? "Speed: the validation set's sentences a second, every model warmed up and"
                + " then run " + str(d, "speed_rounds") + " times in turn in one process (median), on libtorch and on"
                + " its int8 ONNX export." : "Speed: inference over the validation set in this process.");
    }

    private static String opt(JsonObject o, String key) {
        return o.has(key) ? text(o.get(key)) : "";
    }

    /** The page of a {@code bert-ft adapt} run, from its {@code adapt.json} and {@code metrics.jsonl} records. */
    public static String renderAdapt(JsonObject adapt, List<JsonObject> log) {
        return Curves.adapt(adapt, log);
    }

    private static void headline(Html h, JsonObject report) {
        List<String> names = new ArrayList<>();
        List<String> values = new ArrayList<>();
        for (String split : List.of("validation", "test")) {
            JsonObject r = report.has(split) ? report.getAsJsonObject(split) : null;
            if (r == null || !r.has("metrics")) {
                continue;
            }
            for (Map.Entry<String, JsonElement> e : r.getAsJsonObject("metrics").entrySet()) {
                if (isNumber(e.getValue()) && !e.getKey().equals("n")) {
                    names.add(split + " " + e.getKey().replace('_', ' '));
                    values.add(fmt(e.getValue().getAsDouble()));
                }
            }
        }
        if (report.has("baseline") && report.getAsJsonObject("baseline").has("gain")) {
            JsonObject b = report.getAsJsonObject("baseline");
            names.add("gain over baseline (" + str(b, "metric") + ")");
            values.add(String.format(Locale.ROOT, "%+.4f", b.get("gain").getAsDouble()));
        }
        if (!names.isEmpty()) {
            h.cards(names, values);
        } else {
            h.box("warn", "No evaluation: the task has no validation or test data.");
        }
    }

    /** Rows (key, value) of a JSON object, nested keys joined with dots, arrays comma-separated. */
    public static List<List<String>> flatten(String prefix, JsonObject o) {
        List<List<String>> rows = new ArrayList<>();
        for (Map.Entry<String, JsonElement> e : o.entrySet()) {
            String key = prefix.isEmpty() ? e.getKey() : prefix + "." + e.getKey();
            JsonElement v = e.getValue();
            if (v.isJsonObject()) {
                rows.addAll(flatten(key, v.getAsJsonObject()));
            } else if (v.isJsonArray()) {
                List<String> parts = new ArrayList<>();
                v.getAsJsonArray().forEach(x -> parts.add(text(x)));
                rows.add(List.of(key, String.join(", ", parts)));
            } else {
                rows.add(List.of(key, text(v)));
            }
        }
        return rows;
    }

    static String text(JsonElement v) {
        if (v == null || v.isJsonNull()) {
            return "n/a";
        }
        return isNumber(v) ? fmt(v.getAsDouble()) : v.isJsonPrimitive() ? v.getAsString() : v.toString();
    }

    static boolean isNumber(JsonElement e) {
        return e != null && e.isJsonPrimitive() && e.getAsJsonPrimitive().isNumber();
    }

    static String str(JsonObject o, String key) {
        return o.has(key) && !o.get(key).isJsonNull() ? text(o.get(key)) : "";
    }

    static double dbl(JsonObject o, String key) {
        return o.has(key) && isNumber(o.get(key)) ? o.get(key).getAsDouble() : Double.NaN;
    }

    static String fmt(double v) {
        return Svg.num(v);
    }

    static String cap(String s) {
        return s.isEmpty() ? s : Character.toUpperCase(s.charAt(0)) + s.substring(1);
    }

    static List<String> keys(JsonObject o) {
        return new ArrayList<>(o.keySet());
    }

    static double[] doubles(JsonArray a) {
        double[] out = new double[a.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = a.get(i).isJsonNull() ? Double.NaN : a.get(i).getAsDouble();
        }
        return out;
    }
}
