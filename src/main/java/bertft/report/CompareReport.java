package bertft.report;

import static bertft.report.HtmlReport.dbl;
import static bertft.report.HtmlReport.fmt;
import static bertft.report.HtmlReport.str;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * {@code report.html} of {@code bert-ft compare}, from {@code compare.json}: the winner (with a warning when the
 * gap is within seed noise), one row per strategy, bars with seed-spread error bars, metric against training
 * time, and the bag-of-words baseline.
 */
public final class CompareReport {
    private CompareReport() {}

    public static String render(JsonObject c) {
        String metric = str(c, "metric");
        Html h = new Html("bert-ft strategy comparison: " + str(c, "task"));
        List<JsonObject> rows = new ArrayList<>();
        c.getAsJsonArray("strategies").forEach(e -> rows.add(e.getAsJsonObject()));
        if (c.has("best")) {
            JsonObject best = rows.stream().filter(r -> str(r, "strategy").equals(str(c, "best"))).findFirst()
                    .orElse(rows.get(0));
            h.box("ok", "Winner: " + str(c, "best") + " with validation " + metric + " "
                    + pm(best.getAsJsonObject("validation")) + ".");
            if (c.has("note")) {
                h.box(str(c, "note").contains("within seed noise") ? "warn" : "note", cap(str(c, "note")) + ".");
            }
        }
        boolean test = rows.stream().anyMatch(r -> r.has("test") && r.getAsJsonObject("test").has("mean"));
        List<List<String>> table = new ArrayList<>();
        for (JsonObject r : rows) {
            table.add(List.of(str(r, "strategy"), str(r, "runs"), pm(r.getAsJsonObject("validation")),
                    r.has("test") ? pm(r.getAsJsonObject("test")) : "", fmt(dbl(r, "train_seconds_mean")),
                    String.format(Locale.ROOT, "%,d", r.get("trainable_parameters").getAsLong())));
        }
        h.h2("Strategies");
        h.p("Mean ± sample standard deviation over seeds; time is the mean training time per run.");
        h.table(List.of("strategy", "seeds", "validation " + metric, "test " + metric, "train time (s)",
                "trainable parameters"), table);

        List<String> names = rows.stream().map(r -> str(r, "strategy")).toList();
        int k = names.size();
        double[][] v = new double[test ? 2 : 1][k];
        double[][] sd = new double[test ? 2 : 1][k];
        for (int i = 0; i < k; i++) {
            v[0][i] = dbl(rows.get(i).getAsJsonObject("validation"), "mean");
            sd[0][i] = dbl(rows.get(i).getAsJsonObject("validation"), "sd");
            if (test) {
                JsonObject t = rows.get(i).has("test") ? rows.get(i).getAsJsonObject("test") : new JsonObject();
                v[1][i] = dbl(t, "mean");
                sd[1][i] = dbl(t, "sd");
            }
        }
        JsonObject baseline = c.has("baseline") ? c.getAsJsonObject("baseline") : null;
        Double ref = baseline != null && baseline.has("validation") ? baseline.get("validation").getAsDouble() : null;
        h.figure(Svg.bars(metric + " by strategy", metric, names, test ? List.of("validation", "test")
                : List.of("validation"), v, sd, ref, "baseline"), "Bars: mean over seeds; whiskers: ± one standard "
                + "deviation" + (ref != null ? "; dashed: the bag-of-words baseline on validation." : "."));
        double[] time = rows.stream().mapToDouble(r -> dbl(r, "train_seconds_mean")).toArray();
        h.figure(Svg.scatter(metric + " vs training time", "training time per run (s)", "validation " + metric, time,
                v[0], names, false), "Further up is better, further left is cheaper.");

        if (baseline != null) {
            h.h2("Transfer gain");
            h.p("Baseline: " + str(baseline, "model") + " — validation " + metric + " " + str(baseline, "validation")
                    + (baseline.has("test") ? ", test " + str(baseline, "test") : "") + ".");
            if (baseline.has("verdict")) {
                h.box(baseline.has("negative_transfer") && baseline.get("negative_transfer").getAsBoolean() ? "warn"
                        : "ok", str(baseline, "verdict"));
            }
        }
        h.h2("Runs");
        List<List<String>> runs = new ArrayList<>();
        for (JsonObject r : rows) {
            List<String> vals = new ArrayList<>();
            r.getAsJsonObject("validation").getAsJsonArray("values").forEach(x -> vals.add(HtmlReport.text(x)));
            runs.add(List.of(str(r, "strategy"), String.join(", ", vals)));
        }
        h.table(List.of("strategy", "validation " + metric + " per seed"), runs);
        if (c.has("provenance")) {
            h.h2("Provenance");
            List<List<String>> prov = HtmlReport.flatten("", c.getAsJsonObject("provenance"));
            prov.add(List.of("wall time of this compare (s)", str(c, "wall_seconds")));
            h.table(List.of("what", "value"), prov);
        }
        return h.toString();
    }

    private static String pm(JsonObject st) {
        if (st == null || !st.has("mean")) {
            return "";
        }
        JsonElement sd = st.get("sd");
        return String.format(Locale.ROOT, "%.4f ± %.4f", st.get("mean").getAsDouble(), sd.getAsDouble());
    }

    private static String cap(String s) {
        return HtmlReport.cap(s);
    }
}
