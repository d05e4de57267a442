package bertft.tune;

import bertft.run.Comparison;
import bertft.run.Reports;
import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;

/**
 * The winner against the defaults on the validation set (where it was chosen) and on the check set (where it was
 * not): {@code defaults}, {@code gain} and {@code check_points} of {@code tune.json}, and the sentence the reports
 * lead with.
 */
final class CheckSet {
    /** How many of the best finished trials the chart shows beside the winner and the defaults. */
    static final int TOP = 5;

    private CheckSet() {}

    /**
     * Adds the defaults' runs (their comparison, run in {@code dir}), the gains and the chart's points to the summary
     * {@code s}.
     */
    static void add(JsonObject s, String check, Comparison defaults, Path dir, boolean lower) {
        String metric = s.get("metric").getAsString();
        JsonObject w = s.getAsJsonObject("winner");
        Comparison.Row row = defaults.strategies().get(0);
        JsonObject d = new JsonObject();
        d.addProperty("dir", dir.toString());
        d.addProperty("strategy", row.strategy());
        d.add("validation", row.validation().toJson());
        d.addProperty("train_seconds_mean", row.trainSecondsMean());
        d.addProperty("seconds", Math.round(row.trainSecondsMean() * row.runs() * 10) / 10.0);
        if (!row.validationLastEpoch().isEmpty()) {
            d.add("validation_last_epoch", row.validationLastEpoch().toJson());
        }
        if (!row.test().isEmpty()) {
            d.add("test", row.test().toJson());
        }
        s.add("defaults", d);
        s.addProperty("check_set", check);

        // gains signed so that + is better; in points (x100) for the metrics of [0, 1], as is
        double sign = lower ? -1 : 1;
        double scale = lower ? 1 : 100;
        JsonObject g = new JsonObject();
        g.addProperty("unit", lower ? metric : "points");
        double selected = s.getAsJsonObject("best").get("value").getAsDouble();
        double dv = mean(d.getAsJsonObject("validation"));
        if (Double.isFinite(dv)) {
            g.addProperty("validation_selected", sign * (selected - dv) * scale);
            double wv = mean(w.getAsJsonObject("validation"));
            if (Double.isFinite(wv)) {
                g.addProperty("validation_retrained", sign * (wv - dv) * scale);
            }
        }
        double[] wt = values(w.getAsJsonObject("test"));
        double[] dt = values(d.getAsJsonObject("test"));
        if (wt.length > 0 && wt.length == dt.length) {
            // paired by seed: the same seeds, so the spread is that of the difference, not of either side
            double[] diff = new double[wt.length];
            for (int i = 0; i < wt.length; i++) {
                diff[i] = sign * (wt[i] - dt[i]) * scale;
            }
            if (java.util.Arrays.stream(diff).allMatch(Double::isFinite)) { // (a pearson of constant predictions)
                g.addProperty("check", mean(diff));
                g.addProperty("check_sd", sd(diff));
                g.addProperty("seeds", diff.length);
            }
        }
        g.addProperty("verdict", verdict(g));
        s.add("gain", g);

        JsonArray points = new JsonArray();
        double wx = Double.isFinite(mean(w.getAsJsonObject("validation"))) ? mean(w.getAsJsonObject("validation"))
                : selected;
        point(points, "winner (mean of seeds)", wx, mean(w.getAsJsonObject("test")));
        point(points, "defaults (mean of seeds)", dv, mean(d.getAsJsonObject("test")));
        List<JsonObject> finished = new ArrayList<>();
        for (JsonElement e : s.getAsJsonArray("trials")) {
            JsonObject t = e.getAsJsonObject();
            if (t.get("status").getAsString().equals("finished") && Double.isFinite(t.get("value").getAsDouble())) {
                finished.add(t);
            }
        }
        Comparator<JsonObject> byValue = Comparator.comparingDouble(t -> t.get("value").getAsDouble());
        finished.sort(lower ? byValue : byValue.reversed());
        for (JsonObject t : finished.subList(0, Math.min(TOP, finished.size()))) {
            // a trial whose task carves the check set out of train is scored on it when it finishes; never ranked by it
            JsonObject report = report(Path.of(t.get("dir").getAsString()).resolve("report.json"));
            double y = report == null ? Double.NaN : Reports.number(report.getAsJsonObject("test") == null ? null
                    : report.getAsJsonObject("test").get("metrics"), metric);
            point(points, "trial " + t.get("trial").getAsInt(), t.get("value").getAsDouble(), y);
        }
        s.add("check_points", points);
    }

    /** The lead's second sentence: both gains, and whether the check set bears the validation gain out. */
    static String headline(JsonObject s) {
        if (!s.has("gain")) {
            return s.has("check_set") ? "Check set " + s.get("check_set").getAsString() + ": the validation figures"
                    + " are selected on the validation set, and nothing measures the winner apart from it."
                    : "";
        }
        JsonObject g = s.getAsJsonObject("gain");
        JsonObject d = s.getAsJsonObject("defaults");
        String unit = g.get("unit").getAsString().equals("points") ? " points" : "";
        String fmt = unit.isEmpty() ? "%+.4f" : "%+.2f";
        StringBuilder sb = new StringBuilder("Against the defaults (the task before tuning, ")
                .append(d.get("strategy").getAsString()).append(", the same seeds)");
        if (unit.isEmpty()) {
            sb.append(", in ").append(g.get("unit").getAsString()).append(" signed so that + is better");
        }
        sb.append(": ");
        List<String> parts = new ArrayList<>();
        if (g.has("validation_selected")) {
            parts.add("validation " + f(fmt, g.get("validation_selected").getAsDouble()) + unit
                    + " (selected: the search's best trial, chosen on this set"
                    + (g.has("validation_retrained") ? "; " + f(fmt, g.get("validation_retrained").getAsDouble())
                            + " retrained" : "") + ")");
        }
        if (g.has("check")) {
            parts.add("check set " + f(fmt, g.get("check").getAsDouble()) + " ± " + f(fmt.replace("+", ""),
                    g.get("check_sd").getAsDouble()) + unit + " (unbiased: " + s.get("check_set").getAsString()
                    + ", scored once after the search)");
        } else {
            parts.add("no check-set score to compare");
        }
        return sb.append(String.join(", ", parts)).append(". ").append(g.get("verdict").getAsString()).toString()
                .strip();
    }

    private static String verdict(JsonObject g) {
        if (!g.has("check")) {
            return "";
        }
        double c = g.get("check").getAsDouble();
        double sd = g.get("check_sd").getAsDouble();
        boolean chosen = g.has("validation_selected") && g.get("validation_selected").getAsDouble() > 0;
        if (c > sd) {
            return "The check set confirms a gain" + (g.get("seeds").getAsInt() < 2
                    ? " (one seed: no spread to judge it by)." : ", beyond the seeds' spread.");
        }
        if (c >= -sd) {
            return "The check set shows no gain beyond the seeds' spread: " + (chosen
                    ? "the validation gain is selection on the validation set, not a better recipe."
                    : "the search found nothing better than the defaults.");
        }
        return "On the check set the defaults are better" + (chosen ? ": the validation gain is selection on the"
                + " validation set." : ".");
    }

    private static void point(JsonArray points, String label, double validation, double check) {
        JsonObject p = new JsonObject();
        p.addProperty("label", label);
        p.addProperty("validation", validation);
        p.addProperty("check", check);
        points.add(p);
    }

    private static JsonObject report(Path file) {
        try {
            return Files.isRegularFile(file)
                    ? JsonParser.parseString(Files.readString(file, StandardCharsets.UTF_8)).getAsJsonObject() : null;
        } catch (IOException | RuntimeException e) {
            return null; // a trial's report the chart cannot read: that trial has no point
        }
    }

    private static String f(String fmt, double v) {
        return String.format(Locale.ROOT, fmt, v + 0.0); // (+ 0.0: no "-0.0000" for a gain of zero)
    }

    static double mean(JsonObject stat) {
        return stat != null && stat.has("mean") ? stat.get("mean").getAsDouble() : Double.NaN;
    }

    private static double[] values(JsonObject stat) {
        if (stat == null || !stat.has("values")) {
            return new double[0];
        }
        double[] v = new double[stat.getAsJsonArray("values").size()];
        for (int i = 0; i < v.length; i++) {
            v[i] = stat.getAsJsonArray("values").get(i).getAsDouble();
        }
        return v;
    }

    private static double mean(double[] v) {
        return java.util.Arrays.stream(v).average().orElse(Double.NaN);
    }

    /** Sample standard deviation (0 for one value), as compare's. */
    private static double sd(double[] v) {
        if (v.length < 2) {
            return 0;
        }
        double m = mean(v);
        double q = 0;
        for (double x : v) {
            q += (x - m) * (x - m);
        }
        return Math.sqrt(q / (v.length - 1));
    }
}
