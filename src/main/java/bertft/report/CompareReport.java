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
        // the split the ranking used: validation, else test, else the training loss ("train")
        String split = c.has("decided_by") ? str(c, "decided_by") : "validation";
        String decided = split.equals("train") ? "train_loss" : split;
        String decidedName = split.equals("train") ? "training loss" : split + " " + metric;
        Html h = new Html("bert-ft strategy comparison: " + str(c, "task"));
        List<JsonObject> rows = new ArrayList<>();
        c.getAsJsonArray("strategies").forEach(e -> rows.add(e.getAsJsonObject()));
        if (c.has("best")) {
            JsonObject best = rows.stream().filter(r -> str(r, "strategy").equals(str(c, "best"))).findFirst()
                    .orElse(rows.get(0));
            h.box("ok", "Winner: " + str(c, "best") + " with " + decidedName + " " + pm(best.getAsJsonObject(decided))
                    + (split.equals("validation") ? "." : ", ranked by " + str(c, "decided_by_text") + "."));
            if (c.has("note")) {
                h.box(str(c, "note").contains("within seed noise") ? "warn" : "note", cap(str(c, "note")) + ".");
            }
            if (c.has("measured_by_text")) {
                h.p("Decided by " + str(c, "decided_by_text") + "; measured on " + str(c, "measured_by_text") + ".");
            }
        } else {
            h.box("warn", "No winner: no run has a validation or test " + metric + " or a training loss.");
        }
        List<String> splits = new ArrayList<>();
        for (String sp : List.of("validation", "test")) {
            if (rows.stream().anyMatch(r -> r.has(sp) && r.getAsJsonObject(sp).has("mean"))) {
                splits.add(sp);
            }
        }
        List<List<String>> table = new ArrayList<>();
        for (JsonObject r : rows) {
            table.add(List.of(str(r, "strategy"), str(r, "runs"), pm(r.getAsJsonObject("validation")),
                    r.has("test") ? pm(r.getAsJsonObject("test")) : "", pm(r.getAsJsonObject("train_loss")),
                    fmt(dbl(r, "train_seconds_mean")),
                    String.format(Locale.ROOT, "%,d", r.get("trainable_parameters").getAsLong()),
                    r.has("saved_bytes") ? String.format(Locale.ROOT, "%,d B (%s)", r.get("saved_bytes").getAsLong(),
                            str(r, "saved_file")) : ""));
        }
        h.h2("Strategies");
        h.p("Mean ± sample standard deviation over seeds; time is the mean training time per run; training loss is "
                + "the mean over each run's last epoch. Ranked by " + (c.has("decided_by_text")
                        ? str(c, "decided_by_text") : "validation " + metric) + ".");
        h.table(List.of("strategy", "seeds", "validation " + metric, "test " + metric, "training loss",
                "train time (s)", "trainable parameters", "saved weights"), table);

        List<String> names = rows.stream().map(r -> str(r, "strategy")).toList();
        int k = names.size();
        double[][] v = new double[splits.size()][k];
        double[][] sd = new double[splits.size()][k];
        double[] decider = new double[k];
        for (int i = 0; i < k; i++) {
            for (int s = 0; s < splits.size(); s++) {
                JsonObject st = rows.get(i).has(splits.get(s)) ? rows.get(i).getAsJsonObject(splits.get(s))
                        : new JsonObject();
                v[s][i] = dbl(st, "mean");
                sd[s][i] = dbl(st, "sd");
            }
            decider[i] = rows.get(i).has(decided) ? dbl(rows.get(i).getAsJsonObject(decided), "mean") : Double.NaN;
        }
        JsonObject baseline = c.has("baseline") ? c.getAsJsonObject("baseline") : null;
        String refSplit = splits.isEmpty() ? "validation" : splits.get(0);
        Double ref = baseline != null && baseline.has(refSplit) ? baseline.get(refSplit).getAsDouble() : null;
        if (!splits.isEmpty()) {
            h.figure(Svg.bars(metric + " by strategy", metric, names, splits, v, sd, ref, "baseline"), "Bars: mean over "
                    + "seeds; whiskers: ± one standard deviation" + (ref != null ? "; dashed: the bag-of-words baseline on "
                            + refSplit + "." : "."));
        }
        double[] time = rows.stream().mapToDouble(r -> dbl(r, "train_seconds_mean")).toArray();
        h.figure(Svg.scatter(decidedName + " vs training time", "training time per run (s)", decidedName, time,
                decider, names, false), (split.equals("train") ? "Further down" : "Further up") + " is better, further"
                + " left is cheaper" + (java.util.Arrays.stream(decider).allMatch(Double::isFinite) ? "."
                        : "; strategies without a value are left out."));
        // cost against accuracy: trained parameters span 1e3..1e8 across strategies, so on a log axis
        double[] logParams = rows.stream().mapToDouble(r -> Math.log10(Math.max(1, r.get("trainable_parameters")
                .getAsLong()))).toArray();
        h.figure(Svg.scatter(decidedName + " vs trained parameters", "trained parameters (log10)", decidedName,
                logParams, decider, names, false), "Cost and accuracy of each strategy: x is log10 of the parameters"
                + " that train (3 = a thousand, 6 = a million); the saved weights are in the table.");

        if (baseline != null) {
            h.h2("Transfer gain");
            List<String> scores = new ArrayList<>();
            for (String sp : List.of("validation", "test")) {
                if (baseline.has(sp)) {
                    scores.add(sp + " " + metric + " " + str(baseline, sp));
                }
            }
            h.p("Baseline: " + str(baseline, "model") + " — " + String.join(", ", scores) + ".");
            if (baseline.has("verdict")) {
                h.box(baseline.has("negative_transfer") && baseline.get("negative_transfer").getAsBoolean() ? "warn"
                        : "ok", str(baseline, "verdict"));
            }
        }
        h.h2("Runs");
        List<List<String>> runs = new ArrayList<>();
        for (JsonObject r : rows) {
            List<String> vals = new ArrayList<>();
            if (r.has(decided)) {
                r.getAsJsonObject(decided).getAsJsonArray("values").forEach(x -> vals.add(HtmlReport.text(x)));
            }
            runs.add(List.of(str(r, "strategy"), String.join(", ", vals)));
        }
        h.table(List.of("strategy", decidedName + " per seed"), runs);
        if (c.has("provenance")) {
            h.h2("Provenance");
            List<List<String>> prov = HtmlReport.flatten("", c.getAsJsonObject("provenance"));
            prov.add(List.of("wall time of this compare (s)", str(c, "wall_seconds")));
            h.table(List.of("what", "value"), prov);
        }
        return h.toString();
    }

    /**
     * {@code report.html} of a data-efficiency comparison ({@code compare --train-per-class}): the choice at each
     * size, the metric against examples per class (one line per strategy, a band of ± one standard deviation over
     * the draws) and the table of mean ± sd and time per run.
     */
    public static String renderEfficiency(JsonObject c) {
        String metric = str(c, "metric");
        String split = str(c, "split");
        Html h = new Html("bert-ft data efficiency: " + str(c, "task"));
        for (JsonElement e : c.getAsJsonArray("choices")) {
            h.box("ok", cap(str(e.getAsJsonObject(), "text")) + ".");
        }
        List<String> sizes = new ArrayList<>();
        c.getAsJsonArray("train_per_class").forEach(e -> sizes.add(e.getAsString()));
        List<JsonObject> perSize = new ArrayList<>();
        c.getAsJsonArray("sizes").forEach(e -> perSize.add(e.getAsJsonObject()));
        List<String> strategies = new ArrayList<>();
        perSize.get(0).getAsJsonArray("strategies").forEach(e -> strategies.add(str(e.getAsJsonObject(), "strategy")));
        List<Svg.Band> bands = new ArrayList<>();
        List<List<String>> table = new ArrayList<>();
        for (String s : strategies) {
            double[] mean = new double[sizes.size()];
            double[] sd = new double[sizes.size()];
            List<String> cells = new ArrayList<>(List.of(s));
            for (int i = 0; i < perSize.size(); i++) {
                JsonObject row = row(perSize.get(i), s);
                JsonObject st = row == null || !row.has(split) ? new JsonObject() : row.getAsJsonObject(split);
                mean[i] = st.has("mean") ? dbl(st, "mean") : Double.NaN;
                sd[i] = st.has("sd") ? dbl(st, "sd") : 0;
                cells.add(pm(st) + (row == null ? "" : " (" + fmt(dbl(row, "train_seconds_mean")) + " s)"));
            }
            bands.add(new Svg.Band(s, mean, sd));
            table.add(cells);
        }
        h.h2("Data efficiency");
        h.figure(Svg.bands(split + " " + metric + " by examples per class", "training examples per class",
                split + " " + metric, sizes, bands), "Lines: mean over " + str(c, "draws") + " draws of the training "
                        + "examples; bands: ± one standard deviation.");
        List<String> header = new ArrayList<>(List.of("strategy"));
        sizes.forEach(n -> header.add(n + " per class"));
        h.p(cap(split) + " " + metric + ", mean ± sample standard deviation over draws; mean training time per run"
                + " in brackets.");
        h.table(header, table);
        if (c.has("provenance")) {
            h.h2("Provenance");
            List<List<String>> prov = HtmlReport.flatten("", c.getAsJsonObject("provenance"));
            prov.add(List.of("wall time of this compare (s)", str(c, "wall_seconds")));
            h.table(List.of("what", "value"), prov);
        }
        return h.toString();
    }

    /** The row of {@code strategy} in one size's summary, or null. */
    private static JsonObject row(JsonObject size, String strategy) {
        for (JsonElement e : size.getAsJsonArray("strategies")) {
            if (str(e.getAsJsonObject(), "strategy").equals(strategy)) {
                return e.getAsJsonObject();
            }
        }
        return null;
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
