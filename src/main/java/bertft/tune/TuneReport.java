package bertft.tune;

import bertft.report.Html;
import bertft.report.Svg;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * {@code tune.md} and {@code report.html} of {@code bert-ft tune}, from {@code tune.json}: the best settings, the
 * winner's spread over seeds, every trial with its metric per rung, and the metric against each dimension.
 */
final class TuneReport {
    private TuneReport() {}

    static String markdown(JsonObject s) {
        String metric = s.get("metric").getAsString();
        StringBuilder sb = new StringBuilder("# Tune: ").append(s.get("task").getAsString()).append("\n\n");
        sb.append(lead(s)).append("\n\n");
        String checked = CheckSet.headline(s);
        if (!checked.isEmpty()) {
            sb.append(checked).append("\n\n");
        }
        if (s.has("check_points")) {
            sb.append("| run | validation ").append(metric).append(" (chosen on) | check set ").append(metric)
                    .append(" (measured on) |\n|---|---|---|\n");
            for (JsonElement e : s.getAsJsonArray("check_points")) {
                JsonObject p = e.getAsJsonObject();
                sb.append("| ").append(p.get("label").getAsString()).append(" | ")
                        .append(num(p.get("validation").getAsDouble())).append(" | ")
                        .append(num(p.get("check").getAsDouble())).append(" |\n");
            }
            sb.append("\n");
        }
        String searches = Searches.text(s);
        if (!searches.isEmpty()) {
            sb.append(searches).append("\n\n");
        }
        sb.append("Best settings (`").append(s.get("best_yaml").getAsString()).append("`):\n\n");
        s.getAsJsonObject("best").getAsJsonObject("settings").entrySet()
                .forEach(e -> sb.append("- ").append(e.getKey()).append(": ").append(e.getValue().getAsString()).append('\n'));
        sb.append("\nSearch: ").append(s.get("stopped").getAsString()).append(". Search ")
                .append(Budget.text(s.get("search_seconds").getAsDouble())).append(", retraining (the seeds' training) ")
                .append(Budget.text(s.get("retrain_seconds").getAsDouble()))
                .append(s.has("defaults") ? ", the defaults' runs " + Budget.text(s.getAsJsonObject("defaults")
                        .get("seconds").getAsDouble()) : "").append(", this run's wall time ")
                .append(Budget.text(s.get("wall_seconds").getAsDouble())).append(".\n\n## Trials\n\n");
        List<String> header = header(s, metric);
        sb.append("| ").append(String.join(" | ", header)).append(" |\n|")
                .append("---|".repeat(header.size())).append('\n');
        for (List<String> row : rows(s)) {
            sb.append("| ").append(String.join(" | ", row)).append(" |\n");
        }
        sb.append("\n").append(rule(s)).append("; a trial goes on when it is"
                + " in the best half of those that reached its rung. The metric at a rung is the best validation ")
                .append(metric).append(" up to then.\n");
        return sb.toString();
    }

    static String html(JsonObject s) {
        String metric = s.get("metric").getAsString();
        Html h = new Html("bert-ft tune: " + s.get("task").getAsString());
        h.box("ok", lead(s));
        String checked = CheckSet.headline(s);
        if (!checked.isEmpty()) {
            // a gain the check set does not bear out is the thing to warn about
            h.box(checked.contains("confirms") ? "ok" : "warn", checked);
        }
        if (!Searches.text(s).isEmpty()) {
            h.p(Searches.text(s));
        }
        JsonObject w = s.getAsJsonObject("winner");
        List<String> names = new ArrayList<>(List.of("trials", "search time", "retraining time"));
        List<String> values = new ArrayList<>(List.of(Integer.toString(s.getAsJsonArray("trials").size()),
                Budget.text(s.get("search_seconds").getAsDouble()),
                Budget.text(s.get("retrain_seconds").getAsDouble())));
        if (!refit(w)) {
            names.add("validation " + metric + " (seeds)");
            values.add(pm(w.getAsJsonObject("validation")));
        }
        if (w.has("test")) {
            names.add(testName(s) + " " + metric + " (seeds)");
            values.add(pm(w.getAsJsonObject("test")));
        }
        if (s.has("defaults") && s.getAsJsonObject("defaults").has("test")) {
            names.add("defaults' check set " + metric + " (seeds)");
            values.add(pm(s.getAsJsonObject("defaults").getAsJsonObject("test")));
        }
        h.cards(names, values);
        if (s.has("check_points")) {
            h.h2("Chosen on validation, measured on the check set");
            checkChart(h, s, metric);
        }
        h.h2("Best settings");
        List<List<String>> best = new ArrayList<>();
        s.getAsJsonObject("best").getAsJsonObject("settings").entrySet()
                .forEach(e -> best.add(List.of(e.getKey(), e.getValue().getAsString())));
        h.table(List.of("key", "value"), best);
        h.p("As a task file: " + s.get("best_yaml").getAsString() + " (bert-ft train best.yaml). The winner's runs, "
                + "one per seed: " + w.get("dir").getAsString() + "/report.html.");
        h.h2("Trials");
        h.p("Search ended: " + s.get("stopped").getAsString() + ". " + rule(s) + "; a trial goes on when it is in the "
                + "best half of those that reached its rung. The metric at a rung is the best validation " + metric
                + " up to then; '—' marks a key the trial's strategy does not use.");
        h.table(header(s, metric), rows(s));
        h.h2(metric + " against each dimension");
        h.row();
        for (JsonElement e : s.getAsJsonArray("space")) {
            chart(h, s, e.getAsJsonObject(), metric);
        }
        h.end();
        return h.toString();
    }

    /** The headline: best settings, and the winner's mean over seeds. */
    private static String lead(JsonObject s) {
        String metric = s.get("metric").getAsString();
        JsonObject b = s.getAsJsonObject("best");
        JsonObject w = s.getAsJsonObject("winner");
        String retrained = refit(w) ? "retrained on all of train (refit, the validation rows included)"
                : "retrained";
        // a refit has no validation; otherwise the kept (best) epochs' figure, and the last epochs' beside it
        String validation = refit(w) ? "" : ": validation " + metric + " " + pm(w.getAsJsonObject("validation"))
                + (w.has("validation_last_epoch") ? ", each run at its best epoch ("
                        + pm(w.getAsJsonObject("validation_last_epoch")) + " at its last)" : "");
        return String.format(Locale.ROOT, "Best: trial %d %s, validation %s %.4f after %s epochs of the search; "
                + "%s with seeds %s%s%s.", b.get("trial").getAsInt(), settings(b.getAsJsonObject("settings")), metric,
                b.get("value").getAsDouble(), Space.format(b.get("epochs_trained").getAsDouble()), retrained,
                w.get("seeds").getAsString(), validation,
                w.has("test") ? (validation.isEmpty() ? ": " : ", ") + testName(s) + " " + metric + " "
                        + pm(w.getAsJsonObject("test")) : "");
    }

    private static List<String> header(JsonObject s, String metric) {
        List<String> h = new ArrayList<>(List.of("trial"));
        s.getAsJsonArray("space").forEach(d -> h.add(d.getAsJsonObject().get("key").getAsString()));
        s.getAsJsonArray("rungs").forEach(r -> h.add(metric + " @" + r.getAsString()));
        h.addAll(List.of("status", "time (s)"));
        return h;
    }

    private static List<List<String>> rows(JsonObject s) {
        List<List<String>> rows = new ArrayList<>();
        int best = s.getAsJsonObject("best").get("trial").getAsInt();
        for (JsonElement e : s.getAsJsonArray("trials")) {
            JsonObject t = e.getAsJsonObject();
            JsonObject settings = t.getAsJsonObject("settings");
            List<String> row = new ArrayList<>();
            row.add(t.get("trial").getAsInt() + (t.get("trial").getAsInt() == best ? " (best)" : ""));
            s.getAsJsonArray("space").forEach(d -> {
                String k = d.getAsJsonObject().get("key").getAsString();
                row.add(settings.has(k) ? settings.get(k).getAsString() : "—");
            });
            for (int k = 0; k < s.getAsJsonArray("rungs").size(); k++) {
                double v = k < t.getAsJsonArray("rungs").size()
                        ? t.getAsJsonArray("rungs").get(k).getAsJsonObject().get("value").getAsDouble() : Double.NaN;
                row.add(k >= t.getAsJsonArray("rungs").size() ? "" : Double.isNaN(v) ? "—"
                        : String.format(Locale.ROOT, "%.4f", v));
            }
            row.add(t.get("status").getAsString());
            row.add(String.format(Locale.ROOT, "%.1f", t.get("seconds").getAsDouble()));
            rows.add(row);
        }
        return rows;
    }

    /**
     * One chart per dimension, of each trial's latest metric: points against a numeric key (log10 for a log
     * range), bars of the best and mean per value of a listed key.
     */
    private static void chart(Html h, JsonObject s, JsonObject dim, String metric) {
        String key = dim.get("key").getAsString();
        String type = dim.get("type").getAsString();
        List<String> xs = new ArrayList<>();
        List<Double> ys = new ArrayList<>();
        for (JsonElement e : s.getAsJsonArray("trials")) {
            JsonObject t = e.getAsJsonObject();
            double y = t.get("value").getAsDouble();
            if (t.getAsJsonObject("settings").has(key) && Double.isFinite(y)) {
                xs.add(t.getAsJsonObject("settings").get(key).getAsString());
                ys.add(y);
            }
        }
        if (xs.isEmpty()) {
            return;
        }
        String caption = "Each trial's metric at the last rung it reached (trials stopped early trained fewer epochs).";
        if (type.equals("list")) {
            List<String> listed = List.of(dim.get("values").getAsString().split(","));
            List<String> cats = xs.stream().distinct().sorted(java.util.Comparator.comparingInt(
                    v -> listed.contains(v) ? listed.indexOf(v) : listed.size())).toList();
            double[][] v = new double[2][cats.size()];
            boolean lower = s.get("lower_is_better").getAsBoolean();
            for (int c = 0; c < cats.size(); c++) {
                double best = Double.NaN;
                double sum = 0;
                int n = 0;
                for (int i = 0; i < xs.size(); i++) {
                    if (xs.get(i).equals(cats.get(c))) {
                        double y = ys.get(i);
                        best = Double.isNaN(best) || (lower ? y < best : y > best) ? y : best;
                        sum += y;
                        n++;
                    }
                }
                v[0][c] = best;
                v[1][c] = sum / n;
            }
            h.figure(Svg.bars(metric + " by " + key, metric, cats, List.of("best", "mean"), v, null, null, null),
                    caption);
            return;
        }
        boolean log = type.endsWith("log");
        double[] x = xs.stream().mapToDouble(v -> log ? Math.log10(Double.parseDouble(v)) : Double.parseDouble(v))
                .toArray();
        double[] y = ys.stream().mapToDouble(Double::doubleValue).toArray();
        h.figure(Svg.scatter(metric + " against " + key, log ? "log10 " + key : key, metric, x, y, null, false),
                caption);
    }

    /**
     * Validation (where the search chose) against the check set (where it did not) for the winner, the defaults and
     * the best finished trials: the distance from the dashed y = x line is the gap between chosen on and measured on.
     */
    private static void checkChart(Html h, JsonObject s, String metric) {
        List<String> labels = new ArrayList<>();
        List<double[]> xy = new ArrayList<>();
        for (JsonElement e : s.getAsJsonArray("check_points")) {
            JsonObject p = e.getAsJsonObject();
            double x = p.get("validation").getAsDouble();
            double y = p.get("check").getAsDouble();
            if (Double.isFinite(x) && Double.isFinite(y)) {
                labels.add(p.get("label").getAsString());
                xy.add(new double[] {x, y});
            }
        }
        if (xy.isEmpty()) {
            return;
        }
        h.figure(Svg.scatter("validation against check set " + metric, "validation " + metric + " (chosen on)",
                "check set " + metric + " (measured on)", xy.stream().mapToDouble(v -> v[0]).toArray(),
                xy.stream().mapToDouble(v -> v[1]).toArray(), labels, true),
                "The winner and the defaults: means over the seeds; trials: the search's run (one seed), scored on the"
                        + " check set when it finished, never ranked by it. Trials of a task whose check set is its test"
                        + " file are not scored on it. Dashed: y = x.");
    }

    private static String num(double v) {
        return Double.isFinite(v) ? String.format(Locale.ROOT, "%.4f", v) : "—";
    }

    /** {@code {strategy=llrd, learning-rate=3e-05}}. */
    private static String settings(JsonObject o) {
        List<String> parts = new ArrayList<>();
        o.entrySet().forEach(e -> parts.add(e.getKey() + "=" + e.getValue().getAsString()));
        return "{" + String.join(", ", parts) + "}";
    }

    /** What the runs' test split is: a check-split of train is called the check set, a test file or split "test". */
    private static String testName(JsonObject s) {
        return s.has("check_set") && s.get("check_set").getAsString().startsWith("check-split") ? "check set" : "test";
    }

    /** Where rungs end. */
    private static String rule(JsonObject s) {
        return s.get("rung_rule").getAsString();
    }

    /** Whether the winner was refit on all of train (then it has no validation split). */
    private static boolean refit(JsonObject winner) {
        return winner.has("refit") && winner.get("refit").getAsBoolean();
    }

    /** {@code 0.9123 ± 0.0040 (n=3)}. */
    static String pm(JsonObject st) {
        if (st == null || !st.has("mean")) {
            return "—";
        }
        return String.format(Locale.ROOT, "%.4f ± %.4f (n=%d)", st.get("mean").getAsDouble(), st.get("sd").getAsDouble(),
                st.getAsJsonArray("values").size());
    }
}
