package bertft.report;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/** The training section: run summary and learning curves from {@code metrics.jsonl}. */
final class Curves {
    private static final int MAX_POINTS = 1200;

    private Curves() {}

    /**
     * Domain-adversarial runs: the domain classifier's accuracy per step (source vs target; 0.5 = the domains can no
     * longer be told apart, a proxy of the A-distance) and lambda, and the task metric on the source validation and
     * target test splits side by side.
     */
    static void domain(Html h, JsonObject report, List<JsonObject> log) {
        TreeMap<Long, JsonObject> steps = new TreeMap<>();
        for (JsonObject o : log) {
            if (o.has("domain") && o.has("step")) {
                steps.put(o.get("step").getAsLong(), o.getAsJsonObject("domain"));
            }
        }
        JsonObject adapted = report.has("adapted_model") ? report.getAsJsonObject("adapted_model") : null;
        if (steps.isEmpty() && adapted == null) {
            return;
        }
        h.h2("Domain adaptation");
        if (adapted != null) {
            h.p("The encoder was first adapted by bert-ft adapt (continued masked-LM pretraining) on "
                    + HtmlReport.str(adapted, "documents") + " documents: " + HtmlReport.str(adapted, "dir"));
            h.table(List.of("held-out masked LM", "before adapt", "after adapt"), List.of(
                    List.of("loss", HtmlReport.str(adapted.getAsJsonObject("before"), "loss"),
                            HtmlReport.str(adapted.getAsJsonObject("after"), "loss")),
                    List.of("perplexity", HtmlReport.str(adapted.getAsJsonObject("before"), "perplexity"),
                            HtmlReport.str(adapted.getAsJsonObject("after"), "perplexity"))));
        }
        splits(h, report);
        if (steps.isEmpty()) {
            return;
        }
        List<Long> xs = thin(new ArrayList<>(steps.keySet()));
        double[] x = xs.stream().mapToDouble(Long::doubleValue).toArray();
        double[] acc = xs.stream().mapToDouble(s -> steps.get(s).get("accuracy").getAsDouble()).toArray();
        double[] lambda = xs.stream().mapToDouble(s -> steps.get(s).get("lambda").getAsDouble()).toArray();
        h.figure(Svg.lines("domain classifier", "optimizer step", "accuracy / lambda", List.of(
                new Svg.Series("domain-classifier accuracy", x, acc), new Svg.Series("accuracy (EMA 0.9)", x, ema(acc)),
                new Svg.Series("lambda", x, lambda)), List.of()),
                "Domain-classifier accuracy on each step's source and target texts (0.5: indistinguishable), and"
                        + " the gradient-reversal weight lambda.");
    }

    /** The task metrics on the source validation and the target test splits side by side. */
    private static void splits(Html h, JsonObject report) {
        List<List<String>> rows = new ArrayList<>();
        for (String split : List.of("validation", "test")) {
            if (report.has(split) && report.getAsJsonObject(split).has("metrics")) {
                JsonObject m = report.getAsJsonObject(split).getAsJsonObject("metrics");
                for (String k : List.of("accuracy", "macro_f1", "micro_f1", "pearson")) {
                    if (m.has(k) && HtmlReport.isNumber(m.get(k))) {
                        rows.add(List.of(split.equals("validation") ? "source validation" : "target test", k,
                                HtmlReport.fmt(m.get(k).getAsDouble())));
                    }
                }
            }
        }
        if (!rows.isEmpty()) {
            h.table(List.of("split", "metric", "value"), rows);
        }
    }

    /**
     * {@code report.html} of a {@code bert-ft adapt} run: held-out masked-LM perplexity before and after, the training
     * loss and the held-out loss over steps, and {@code adapt.json} in full.
     */
    static String adapt(JsonObject adapt, List<JsonObject> log) {
        Html h = new Html("bert-ft adapt: " + HtmlReport.str(adapt, "model"));
        h.cards(List.of("held-out perplexity before", "held-out perplexity after", "tokens/s"), List.of(
                HtmlReport.str(adapt.getAsJsonObject("before"), "perplexity"),
                HtmlReport.str(adapt.getAsJsonObject("after"), "perplexity"), HtmlReport.str(adapt, "tokens_per_s")));
        // a resumed run logs the steps after its last checkpoint again: the latest record per step wins
        TreeMap<Long, Double> train = new TreeMap<>();
        TreeMap<Long, Double> heldOut = new TreeMap<>();
        for (JsonObject o : log) {
            if (o.has("heldout")) {
                heldOut.put(o.get("step").getAsLong(), o.getAsJsonObject("heldout").get("loss").getAsDouble());
            } else if (o.has("loss") && o.has("step")) {
                train.put(o.get("step").getAsLong(), o.get("loss").getAsDouble());
            }
        }
        h.h2("Masked-LM loss");
        List<Svg.Series> series = new ArrayList<>();
        List<Long> xs = thin(new ArrayList<>(train.keySet()));
        if (!xs.isEmpty()) {
            double[] y = xs.stream().mapToDouble(train::get).toArray();
            double[] x = xs.stream().mapToDouble(Long::doubleValue).toArray();
            series.add(new Svg.Series("training batch", x, y));
            series.add(new Svg.Series("training (EMA 0.9)", x, ema(y)));
        }
        if (!heldOut.isEmpty()) {
            series.add(new Svg.Series("held-out", heldOut.keySet().stream().mapToDouble(Long::doubleValue).toArray(),
                    heldOut.values().stream().mapToDouble(Double::doubleValue).toArray()));
        }
        if (!series.isEmpty()) {
            h.figure(Svg.lines("masked-LM loss", "optimizer step", "cross-entropy", series, List.of()),
                    "Cross-entropy of the masked tokens: each training batch, and the held-out split's fixed masks"
                            + " (perplexity = exp(loss)).");
        }
        h.h2("Run");
        h.table(List.of("what", "value"), HtmlReport.flatten("", adapt));
        return h.toString();
    }

    static void training(Html h, JsonObject training, List<JsonObject> log) {
        h.h2("Training");
        h.table(List.of("setting", "value"), HtmlReport.flatten("", training));
        // a resumed run logs the steps after its last checkpoint again: the latest record per step wins
        TreeMap<Long, JsonObject> steps = new TreeMap<>();
        TreeMap<Long, JsonObject> evals = new TreeMap<>();
        TreeMap<Long, String> unfrozen = new TreeMap<>();
        for (JsonObject o : log) {
            if (!o.has("step")) {
                continue;
            }
            long step = o.get("step").getAsLong();
            if (o.has("loss") && !o.has("validation")) {
                steps.put(step, o);
            } else if (o.has("validation")) {
                evals.put(step, o.getAsJsonObject("validation"));
            } else if (o.has("unfrozen")) {
                unfrozen.put(step, o.get("unfrozen").getAsString());
            }
        }
        if (steps.isEmpty()) {
            return;
        }
        List<Svg.Marker> markers = new ArrayList<>();
        unfrozen.forEach((s, g) -> markers.add(new Svg.Marker(s, "+" + g)));
        String events = markers.isEmpty() ? "" : " Dashed verticals: gradual unfreezing (+group trains from there on).";
        h.h3("Learning curves");

        // 1) training loss, raw and smoothed, and validation loss
        List<Long> xs = thin(new ArrayList<>(steps.keySet()));
        double[] x = xs.stream().mapToDouble(Long::doubleValue).toArray();
        double[] loss = xs.stream().mapToDouble(s -> steps.get(s).get("loss").getAsDouble()).toArray();
        double[] smooth = ema(steps.values().stream().mapToDouble(o -> o.get("loss").getAsDouble()).toArray());
        Map<Long, Integer> index = new java.util.HashMap<>();
        steps.keySet().forEach(s -> index.put(s, index.size()));
        double[] smoothThin = xs.stream().mapToDouble(s -> smooth[index.get(s)]).toArray();
        List<Svg.Series> lossSeries = new ArrayList<>(List.of(new Svg.Series("train loss", x, loss),
                new Svg.Series("train loss (EMA 0.9)", x, smoothThin)));
        double[] ex = evals.keySet().stream().mapToDouble(Long::doubleValue).toArray();
        if (evals.values().stream().allMatch(v -> v.has("loss"))) {
            lossSeries.add(new Svg.Series("validation loss", ex,
                    evals.values().stream().mapToDouble(v -> v.get("loss").getAsDouble()).toArray()));
        }
        h.figure(Svg.lines("loss", "optimizer step", "loss", lossSeries, markers), "Loss per optimizer step." + events);

        // 2) validation metrics at each evaluation
        if (!evals.isEmpty()) {
            Map<String, double[]> metrics = new LinkedHashMap<>();
            int i = 0;
            for (JsonObject v : evals.values()) {
                for (Map.Entry<String, JsonElement> e : v.entrySet()) {
                    if (!e.getKey().equals("loss") && !e.getKey().equals("n") && HtmlReport.isNumber(e.getValue())) {
                        double[] arr = metrics.computeIfAbsent(e.getKey(), k -> filled(evals.size()));
                        arr[i] = e.getValue().getAsDouble();
                    }
                }
                i++;
            }
            List<Svg.Series> ms = new ArrayList<>();
            metrics.forEach((k, v) -> ms.add(new Svg.Series(k, ex, v)));
            h.figure(Svg.lines("validation metrics", "optimizer step", "validation metric", ms, markers),
                    "Validation metrics at each evaluation (" + evals.size() + " evaluations)." + events);
        }

        // 3) learning rate per parameter group (a group appears when it starts training)
        Map<String, double[]> rates = new LinkedHashMap<>();
        for (int j = 0; j < xs.size(); j++) {
            JsonObject o = steps.get(xs.get(j));
            if (o.has("lr_groups")) {
                for (Map.Entry<String, JsonElement> e : o.getAsJsonObject("lr_groups").entrySet()) {
                    rates.computeIfAbsent(e.getKey(), k -> filled(xs.size()))[j] = e.getValue().getAsDouble();
                }
            } else if (o.has("lr")) {
                rates.computeIfAbsent("lr", k -> filled(xs.size()))[j] = o.get("lr").getAsDouble();
            }
        }
        if (!rates.isEmpty()) {
            List<Svg.Series> rs = new ArrayList<>();
            rates.forEach((k, v) -> rs.add(new Svg.Series(k, x, v)));
            h.figure(Svg.lines("learning rate", "optimizer step", "learning rate", rs, markers),
                    "Learning rate of each parameter group; a group's line starts when it starts training." + events);
        }
    }

    /** At most {@link #MAX_POINTS} evenly spaced steps, the last always kept. */
    private static List<Long> thin(List<Long> steps) {
        if (steps.size() <= MAX_POINTS) {
            return steps;
        }
        List<Long> out = new ArrayList<>();
        double stride = (double) steps.size() / MAX_POINTS;
        for (int i = 0; i < MAX_POINTS; i++) {
            out.add(steps.get((int) (i * stride)));
        }
        out.set(out.size() - 1, steps.get(steps.size() - 1));
        return out;
    }

    private static double[] ema(double[] v) {
        double[] out = new double[v.length];
        double s = v.length > 0 ? v[0] : 0;
        for (int i = 0; i < v.length; i++) {
            s = 0.9 * s + 0.1 * v[i];
            out[i] = s;
        }
        return out;
    }

    private static double[] filled(int n) {
        double[] a = new double[n];
        java.util.Arrays.fill(a, Double.NaN);
        return a;
    }
}
