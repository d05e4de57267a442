package bertft.run;

import bertft.UserError;
import bertft.task.TaskFiles;
import bertft.task.TaskSpec;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Runs a task under several strategies and seeds (each into its own run directory, skipped when its report
 * exists) and summarises them in {@code compare.json} and {@code compare.md}.
 */
public final class Compare {
    private final Path task;
    private final Map<String, String> common;
    private final Path out;
    /** Progress, held until the first run has checked its input (the data and model are every run's). */
    private final bertft.Held err;
    private Path featureDir;

    public Compare(Path task, Map<String, String> common, Path out, PrintStream err) {
        this.task = task;
        this.common = common;
        this.out = out;
        this.err = bertft.Held.over(err);
    }

    /** One strategy's runs. */
    record Row(String label, List<Comparison.Run> runs) {}

    /** Frozen runs keep and share their encoder features in {@code dir} ({@link TrainJob#featureDir}). */
    public Compare featureDir(Path dir) {
        this.featureDir = dir;
        return this;
    }

    /** Runs (or reads) every strategy and seed; returns what it wrote as compare.json, typed. */
    public Comparison run(List<String> strategies, List<Long> seeds) {
        return err.during(() -> compare(strategies, seeds));
    }

    private Comparison compare(List<String> strategies, List<Long> seeds) {
        long started = System.nanoTime();
        validate(strategies, seeds);
        List<Row> rows = new ArrayList<>();
        for (String s : strategies) {
            Map<String, String> o = overrides(s);
            List<Comparison.Run> runs = new ArrayList<>();
            for (long seed : seeds) {
                Map<String, String> all = settings(s, o, seed);
                runs.add(runOrRead(all, Path.of(all.get("out")), s + ", seed " + seed));
            }
            rows.add(new Row(s, runs));
        }
        TaskSpec base = TaskFiles.load(task, common);
        String metric = base.earlyStopping() != null && base.earlyStopping().metric() != null
                ? base.earlyStopping().metric() : base.task().mainMetric();
        Comparison summary = summarise(base, metric, rows);
        write(summary.toJson(), started, seeds, null, Compare::markdown, bertft.report.CompareReport::render,
                "comparison");
        return summary;
    }

    /**
     * The data-efficiency comparison: every strategy at every size of {@code train-per-class}, over {@code draws}
     * draws of the training examples (sample-seed 1, 2, ...; the same draws for every strategy) and every seed;
     * then compare.json/md and report.html with accuracy against examples per class and the choice at each size.
     */
    public void run(List<String> strategies, List<Long> seeds, List<Integer> sizes, int draws) {
        err.during(() -> {
            compare(strategies, seeds, sizes, draws);
            return null;
        });
    }

    private void compare(List<String> strategies, List<Long> seeds, List<Integer> sizes, int draws) {
        long started = System.nanoTime();
        validate(strategies, seeds);
        validateSizes(strategies, seeds, sizes, draws);
        TaskSpec base = TaskFiles.load(task, common);
        String metric = base.earlyStopping() != null && base.earlyStopping().metric() != null
                ? base.earlyStopping().metric() : base.task().mainMetric();
        JsonArray perSize = new JsonArray();
        for (int size : sizes) {
            List<Row> rows = new ArrayList<>();
            for (String s : strategies) {
                Map<String, String> o = overrides(s);
                List<Comparison.Run> runs = new ArrayList<>();
                for (int d = 1; d <= draws; d++) {
                    for (long seed : seeds) {
                        Map<String, String> all = settings(s, o, seed);
                        all.put("train-per-class", Integer.toString(size));
                        all.put("sample-seed", Integer.toString(d));
                        Path dir = out.resolve("n" + size).resolve(dirName(s) + "-draw" + d + "-seed" + seed);
                        all.put("out", dir.toString());
                        runs.add(runOrRead(all, dir, s + ", " + size + " per class, draw " + d + ", seed " + seed));
                    }
                }
                rows.add(new Row(s, runs));
            }
            JsonObject summary = summarise(base, metric, rows).toJson();
            summary.remove("baseline"); // one baseline per size is not what the efficiency report shows
            summary.addProperty("per_class", size);
            perSize.add(summary);
        }
        JsonObject summary = efficiency(base.name(), metric, sizes, perSize);
        summary.addProperty("draws", draws);
        write(summary, started, seeds, "1.." + draws, Compare::efficiencyMarkdown,
                bertft.report.CompareReport::renderEfficiency, "data efficiency");
    }

    /**
     * Adds the wall time and provenance ({@code sampleSeeds} null: no draws) to {@code summary} and writes it as
     * compare.json and, rendered from it then, compare.md and report.html; said on stderr as {@code what}.
     */
    private void write(JsonObject summary, long started, List<Long> seeds, String sampleSeeds,
            java.util.function.Function<JsonObject, String> markdown, java.util.function.Function<JsonObject, String> html,
            String what) {
        summary.addProperty("wall_seconds", Math.round((System.nanoTime() - started) / 1e8) / 10.0);
        summary.add("provenance", provenance(task, seeds, sampleSeeds));
        bertft.AtomicFiles.createDirectories(out);
        bertft.AtomicFiles.writeString(out.resolve("compare.json"),
                new GsonBuilder().setPrettyPrinting().create().toJson(summary));
        bertft.AtomicFiles.writeString(out.resolve("compare.md"), markdown.apply(summary));
        bertft.AtomicFiles.writeString(out.resolve("report.html"), html.apply(summary));
        err.println(what + ": " + out.resolve("report.html") + " (also compare.md, compare.json)");
    }

    /**
     * Where a compare of {@code task} over {@code seeds} (and draws {@code sampleSeeds}, or null) comes from: the task
     * file, the seeds, bert-ft's and its libraries' versions, the machine.
     */
    public static JsonObject provenance(Path task, List<Long> seeds, String sampleSeeds) {
        JsonObject provenance = new JsonObject();
        provenance.addProperty("task_file", task.toAbsolutePath().toString());
        provenance.addProperty("seeds", seeds.toString());
        if (sampleSeeds != null) {
            provenance.addProperty("sample_seeds", sampleSeeds);
        }
        provenance.add("versions", Provenance.versions());
        provenance.add("machine", Provenance.machine());
        return provenance;
    }

    /**
     * Trains the run into {@code dir} unless its report is there (resuming one that was cut short); its figures, from
     * the run's report in memory or, for a run finished before, from report.json.
     */
    private Comparison.Run runOrRead(Map<String, String> all, Path dir, String what) {
        Path report = dir.resolve("report.json");
        if (!Files.exists(report)) {
            err.printf("== compare: %s -> %s%n", what, dir);
            return Comparison.Run.of(new TrainJob(TaskFiles.load(task, all), err).featureDir(featureDir)
                    .run(Files.exists(dir.resolve("last/trainer_state.json"))).report());
        }
        err.printf("== compare: %s: done before (%s)%n", what, report);
        return Comparison.Run.of(read(report));
    }

    /** Sizes and draws checked before the first run: each size resolves for every strategy. */
    void validateSizes(List<String> strategies, List<Long> seeds, List<Integer> sizes, int draws) {
        if (draws < 1) {
            throw new UserError("--draws: must be >= 1, got " + draws);
        }
        for (int i = 0; i < sizes.size(); i++) {
            if (sizes.indexOf(sizes.get(i)) < i) {
                throw new UserError("--train-per-class: " + sizes.get(i) + " appears twice");
            }
        }
        for (String s : strategies) {
            for (int size : sizes) {
                Map<String, String> all = settings(s, overrides(s), seeds.get(0));
                all.put("train-per-class", Integer.toString(size));
                try {
                    TaskFiles.load(task, all);
                } catch (UserError e) {
                    throw new UserError("--strategies " + s + " with --train-per-class " + size + ": "
                            + e.getMessage(), e);
                }
            }
        }
    }

    /**
     * The data-efficiency summary: per size the strategies' figures ({@link #summarise}), the split the curve is
     * drawn on (test where the runs have one: it is not the split any run selected its epoch on), and the choice
     * at each size with its margin over the next best.
     */
    static JsonObject efficiency(String task, String metric, List<Integer> sizes, JsonArray perSize) {
        boolean test = false;
        for (var e : perSize) {
            for (var r : e.getAsJsonObject().getAsJsonArray("strategies")) {
                test |= r.getAsJsonObject().has("test") && r.getAsJsonObject().getAsJsonObject("test").has("mean");
            }
        }
        String split = test ? "test" : "validation";
        boolean lower = TaskSpec.Kind.lowerIsBetter(metric);
        JsonObject o = new JsonObject();
        o.addProperty("task", task);
        o.addProperty("metric", metric);
        o.addProperty("split", split);
        JsonArray sizeArray = new JsonArray();
        sizes.forEach(sizeArray::add);
        o.add("train_per_class", sizeArray);
        o.add("sizes", perSize);
        JsonArray choices = new JsonArray();
        for (var e : perSize) {
            JsonObject size = e.getAsJsonObject();
            String best = null;
            String next = null;
            double bestMean = Double.NaN;
            double nextMean = Double.NaN;
            for (var r : size.getAsJsonArray("strategies")) {
                JsonObject row = r.getAsJsonObject();
                JsonObject st = row.getAsJsonObject(split);
                if (st == null || !st.has("mean")) {
                    continue;
                }
                double m = st.get("mean").getAsDouble();
                if (best == null || (lower ? m < bestMean : m > bestMean)) {
                    next = best;
                    nextMean = bestMean;
                    best = row.get("strategy").getAsString();
                    bestMean = m;
                } else if (next == null || (lower ? m < nextMean : m > nextMean)) {
                    next = row.get("strategy").getAsString();
                    nextMean = m;
                }
            }
            if (best == null) {
                continue;
            }
            JsonObject c = new JsonObject();
            c.addProperty("per_class", size.get("per_class").getAsInt());
            c.addProperty("strategy", best);
            c.addProperty("mean", bestMean);
            String text = "with " + size.get("per_class").getAsInt() + " per class: " + best;
            if (next != null) {
                double points = Math.abs(bestMean - nextMean) * 100;
                c.addProperty("next", next);
                c.addProperty("margin_points", Math.round(points * 10) / 10.0);
                text += String.format(java.util.Locale.ROOT, ", +%.1f points over %s", points, next);
            }
            c.addProperty("text", text);
            choices.add(c);
        }
        o.add("choices", choices);
        return o;
    }

    /** compare.md of a data-efficiency comparison: the table (strategy x size, mean ± sd, time) and the choices. */
    static String efficiencyMarkdown(JsonObject s) {
        String metric = s.get("metric").getAsString();
        String split = s.get("split").getAsString();
        List<Integer> sizes = new ArrayList<>();
        s.getAsJsonArray("train_per_class").forEach(e -> sizes.add(e.getAsInt()));
        StringBuilder sb = new StringBuilder("# Data efficiency: ").append(s.get("task").getAsString())
                .append("\n\n").append(split).append(' ').append(metric).append(", mean ± sd over ")
                .append(s.get("draws").getAsInt()).append(" draws of the training examples (and every seed); mean"
                        + " training time per run in brackets.\n\n| strategy |");
        StringBuilder rule = new StringBuilder("|---|");
        for (int n : sizes) {
            sb.append(' ').append(n).append(" per class |");
            rule.append("---|");
        }
        sb.append('\n').append(rule).append('\n');
        List<String> strategies = new ArrayList<>();
        s.getAsJsonArray("sizes").get(0).getAsJsonObject().getAsJsonArray("strategies")
                .forEach(e -> strategies.add(e.getAsJsonObject().get("strategy").getAsString()));
        for (String strategy : strategies) {
            sb.append("| ").append(strategy).append(" |");
            for (var e : s.getAsJsonArray("sizes")) {
                JsonObject row = strategyRow(e.getAsJsonObject(), strategy);
                sb.append(' ').append(row == null || !row.has(split) ? "" : pm(row.getAsJsonObject(split)))
                        .append(row == null ? "" : " (" + row.get("train_seconds_mean").getAsDouble() + " s)")
                        .append(" |");
            }
            sb.append('\n');
        }
        sb.append('\n');
        for (var c : s.getAsJsonArray("choices")) {
            sb.append("- ").append(c.getAsJsonObject().get("text").getAsString()).append('\n');
        }
        if (s.has("wall_seconds")) {
            sb.append("\nWall time of this compare: ").append(s.get("wall_seconds").getAsDouble()).append(" s\n");
        }
        return sb.toString();
    }

    /** The row of {@code strategy} in one size's summary, or null. */
    static JsonObject strategyRow(JsonObject size, String strategy) {
        for (var e : size.getAsJsonArray("strategies")) {
            if (e.getAsJsonObject().get("strategy").getAsString().equals(strategy)) {
                return e.getAsJsonObject();
            }
        }
        return null;
    }

    /** The settings of one run: the common ones, the strategy's, the seed and the run directory. */
    private Map<String, String> settings(String label, Map<String, String> strategy, long seed) {
        Map<String, String> all = new LinkedHashMap<>(common);
        all.putAll(strategy);
        all.put("seed", Long.toString(seed));
        all.put("out", out.resolve(dirName(label) + "-seed" + seed).toString());
        return all;
    }

    /** {@code frozen:learning-rate=1e-3} -> {@code frozen_learning-rate=1e-3}. */
    private static String dirName(String label) {
        return label.replaceAll("[^A-Za-z0-9._=-]+", "_");
    }

    /**
     * Every strategy, override and seed checked before the first run trains: the settings of each run resolve,
     * fit the model (layers, positions), and no two runs share a directory.
     */
    void validate(List<String> strategies, List<Long> seeds) {
        for (int i = 0; i < seeds.size(); i++) {
            if (seeds.indexOf(seeds.get(i)) < i) {
                throw new UserError("--seeds: " + seeds.get(i) + " appears twice");
            }
        }
        Map<String, String> dirs = new LinkedHashMap<>();
        Map<String, bertft.model.BertConfig> configs = new LinkedHashMap<>();
        for (String s : strategies) {
            try {
                Map<String, String> o = overrides(s);
                String previous = dirs.put(dirName(s), s);
                if (previous != null) {
                    throw new UserError(previous.equals(s) ? "appears twice"
                            : "has the same run directory as '" + previous + "'");
                }
                TaskSpec spec = TaskFiles.load(task, settings(s, o, seeds.get(0)));
                bertft.model.BertConfig config = configs.computeIfAbsent(spec.model(), m -> bertft.model.BertConfig
                        .read(bertft.model.ModelStore.resolve(m).resolve("config.json")));
                ModelLimits.check(spec, config, spec.model());
            } catch (UserError e) {
                throw new UserError("--strategies " + s + ": " + e.getMessage(), e);
            }
        }
    }

    /**
     * {@code top-2} -> strategy top-k, unfreeze-layers 2; {@code frozen:learning-rate=1e-3} -> overrides. Errors
     * say what is wrong with the label; {@link #validate} says which label.
     */
    static Map<String, String> overrides(String label) {
        String[] parts = label.split(":", -1);
        Map<String, String> o = new LinkedHashMap<>();
        String name = parts[0].strip();
        List<String> known = TaskSpec.keys().stream().filter(k -> k.name().equals("strategy")).findFirst()
                .orElseThrow().allowed();
        if (name.matches("top-\\d+")) {
            o.put("strategy", "top-k");
            o.put("unfreeze-layers", name.substring(4));
        } else if (known.contains(name)) {
            o.put("strategy", name);
        } else {
            throw new UserError("'" + name + "' is not a strategy (one of " + String.join(", ", known)
                    + "; top-K is top-k with unfreeze-layers K)");
        }
        for (int i = 1; i < parts.length; i++) {
            String[] kv = parts[i].split("=", 2);
            if (kv.length != 2) {
                throw new UserError("'" + parts[i] + "' is not KEY=VALUE");
            }
            String key = kv[0].strip().replaceFirst("^--", "");
            if (List.of("strategy", "seed", "out", "train-per-class", "sample-seed").contains(key)) {
                throw new UserError("'" + key + "' cannot be set per strategy (use --strategies, --seeds, --out,"
                        + " --train-per-class, --draws)");
            }
            o.put(key, kv[1].strip());
        }
        return o;
    }

    private static JsonObject read(Path report) {
        try {
            return JsonParser.parseString(Files.readString(report, StandardCharsets.UTF_8)).getAsJsonObject();
        } catch (IOException | RuntimeException e) {
            throw new UserError(report + ": unreadable (delete the run directory to redo it): " + e.getMessage());
        }
    }

    /**
     * One row per strategy, the winner and the baseline. The ranking uses the validation metric; a task without a
     * validation split is ranked by its test metric, and one with neither by the training loss of the last epoch;
     * {@code decidedBy} says which.
     */
    static Comparison summarise(TaskSpec base, String metric, List<Row> rows) {
        String split = rows.stream().anyMatch(r -> values(r.runs(), "validation", metric).length > 0) ? "validation"
                : rows.stream().anyMatch(r -> values(r.runs(), "test", metric).length > 0) ? "test" : "train";
        boolean lower = split.equals("train") || TaskSpec.Kind.lowerIsBetter(metric);
        List<Comparison.Row> strategies = new ArrayList<>();
        Comparison.Row best = null;
        for (Row r : rows) {
            List<List<JsonObject>> logs = r.runs().stream().map(Compare::runLog).toList();
            Comparison.Run first = r.runs().get(0);
            long[] saved = {-1};
            String savedFile = savedWeights(first.dir(), saved);
            Comparison.Row row = new Comparison.Row(r.label(), r.runs().size(),
                    new Comparison.Stat(values(r.runs(), "validation", metric)),
                    new Comparison.Stat(logs.stream().mapToDouble(l -> lastValidation(l, metric))
                            .filter(Double::isFinite).toArray()),
                    new Comparison.Stat(values(r.runs(), "test", metric)),
                    new Comparison.Stat(logs.stream().mapToDouble(Compare::lastEpochLoss).filter(Double::isFinite)
                            .toArray()),
                    Math.round(r.runs().stream().mapToDouble(Comparison.Run::seconds).average().orElse(0) * 10) / 10.0,
                    first.trainableParameters(), saved[0], savedFile);
            strategies.add(row);
            Comparison.Stat d = row.on(split);
            if (!d.isEmpty() && (best == null || (lower ? d.mean() < best.on(split).mean()
                    : d.mean() > best.on(split).mean()))) {
                best = row;
            }
        }
        String note = null;
        if (best != null) {
            // within noise: another strategy's mean is inside the larger of the two spreads
            Comparison.Stat b = best.on(split);
            List<String> close = new ArrayList<>();
            for (Comparison.Row row : strategies) {
                Comparison.Stat d = row.on(split);
                if (row != best && !d.isEmpty() && Math.abs(d.mean() - b.mean()) <= Math.max(b.sd(), d.sd())) {
                    close.add(row.strategy());
                }
            }
            if (!close.isEmpty()) {
                note = best.strategy() + " is best, but " + String.join(", ", close)
                        + " within seed noise (difference <= one standard deviation)";
            } else if (rows.get(0).runs().size() < 2) {
                note = "one seed per strategy: run with --seeds 1,2,3 to see the seed noise";
            }
        }
        return new Comparison(base.name(), metric, split, measuredBy(rows, split, metric), strategies,
                best == null ? null : best.strategy(), note, baseline(rows, split, metric, best));
    }

    /**
     * Which split measured the runs, apart from the one that decided: the test split (a check-split of train, a
     * test-split or a test file, as the first run's report names it); null when the runs have none.
     */
    static String measuredBy(List<Row> rows, String decidedBy, String metric) {
        String data = rows.stream().flatMap(r -> r.runs().stream()).map(Comparison.Run::testData)
                .filter(java.util.Objects::nonNull).findFirst().orElse(null);
        if (data == null) {
            return null;
        }
        String on = "test " + metric + " on " + data + (data.contains("(check-split ") ? ", the check set" : "");
        return decidedBy.equals("test") ? on + ": the split that decided, so the best strategy's figure is selected on"
                + " it (add a validation split to measure apart from the choice)"
                : on + ", which decided nothing: unbiased for the best strategy";
    }

    /**
     * The cost on disk of a strategy: the weights its run directory keeps ({@code adapter_model.safetensors} for an
     * adapter run, else model.safetensors): the file's name, its size in {@code bytes[0]}; null (and -1) when the
     * run names no directory or it holds neither.
     */
    static String savedWeights(Path dir, long[] bytes) {
        if (dir != null) {
            for (String f : List.of(bertft.model.AdapterDir.WEIGHTS, "model.safetensors")) {
                try {
                    bytes[0] = Files.size(dir.resolve(f));
                    return f;
                } catch (IOException e) {
                    // not this one (or not readable): the next, else no size
                }
            }
        }
        bytes[0] = -1;
        return null;
    }

    /** A run's metrics.jsonl, read once for the figures below; empty when the report names no run directory. */
    private static List<JsonObject> runLog(Comparison.Run run) {
        return run.dir() != null ? Reports.readLog(run.dir().resolve("metrics.jsonl")) : List.of();
    }

    /** The mean training loss over the last epoch of a run's log; NaN when it has none. */
    static double lastEpochLoss(List<JsonObject> log) {
        List<JsonObject> steps = log.stream()
                .filter(x -> !Double.isNaN(Reports.number(x, "loss")) && !Double.isNaN(Reports.number(x, "epoch")))
                .toList();
        double last = steps.stream().mapToDouble(x -> Reports.number(x, "epoch")).max().orElse(Double.NaN);
        return steps.stream().filter(x -> Reports.number(x, "epoch") == last)
                .mapToDouble(x -> Reports.number(x, "loss")).average().orElse(Double.NaN);
    }

    /**
     * The validation metric of a run's last evaluation in its log; NaN when it has none. Beside the kept (best)
     * epoch's it shows how much of a run's figure is the choice of epoch.
     */
    static double lastValidation(List<JsonObject> log, String metric) {
        double last = Double.NaN;
        for (JsonObject x : log) {
            double v = Reports.number(x.get("validation"), metric);
            if (!Double.isNaN(v)) {
                last = v;
            }
        }
        return last;
    }

    /**
     * The bag-of-words baseline every run trained (the same data and seed-independent up to SGD order: the first
     * run's) beside the winner's mean score on the deciding split, with the negative-transfer verdict; null when there
     * is no like-for-like number (ranked by the training loss, or on another metric than the baseline's).
     */
    static JsonObject baseline(List<Row> rows, String split, String metric, Comparison.Row best) {
        if (rows.isEmpty() || rows.get(0).runs().isEmpty() || best == null) {
            return null;
        }
        JsonObject b = rows.get(0).runs().get(0).baseline();
        if (b == null || !b.has("baseline") || !b.getAsJsonObject("baseline").has(split)
                || !metric.equals(b.get("metric").getAsString())) {
            return null;
        }
        JsonObject o = new JsonObject();
        o.addProperty("model", b.get("model").getAsString());
        b.getAsJsonObject("baseline").entrySet().forEach(e -> o.add(e.getKey(), e.getValue().deepCopy()));
        double base = o.get(split).getAsDouble();
        double mean = best.on(split).mean();
        boolean lower = TaskSpec.Kind.lowerIsBetter(metric);
        boolean negative = !(lower ? mean < base : mean > base);
        o.addProperty("split", split);
        o.addProperty("negative_transfer", negative);
        o.addProperty("verdict", Transfer.verdict(metric, "mean " + split, mean, base, negative)
                .replace("the fine-tuned model's", "the best strategy's"));
        return o;
    }

    private static double[] values(List<Comparison.Run> runs, String split, String metric) {
        return runs.stream().map(r -> split.equals("validation") ? r.validation() : r.test())
                .filter(m -> m.containsKey(metric)).mapToDouble(m -> m.get(metric)).toArray();
    }

    static String markdown(JsonObject s) {
        String metric = s.get("metric").getAsString();
        StringBuilder sb = new StringBuilder("# Strategy comparison: ").append(s.get("task").getAsString())
                .append("\n\nRanked by ").append(s.get("decided_by_text").getAsString()).append("; mean ± sd over seeds.");
        if (s.has("measured_by_text")) {
            sb.append(" Measured on ").append(s.get("measured_by_text").getAsString()).append('.');
        }
        sb.append("\n\n| strategy | runs | validation ").append(metric).append(" | test ").append(metric)
                .append(" | training loss (last epoch) | train time (s) | trainable parameters | saved weights |\n"
                        + "|---|---|---|---|---|---|---|---|\n");
        for (var e : s.getAsJsonArray("strategies")) {
            JsonObject r = e.getAsJsonObject();
            sb.append("| ").append(r.get("strategy").getAsString()).append(" | ").append(r.get("runs").getAsInt())
                    .append(" | ").append(pm(r.getAsJsonObject("validation"))).append(" | ")
                    .append(r.has("test") ? pm(r.getAsJsonObject("test")) : "").append(" | ")
                    .append(r.has("train_loss") ? pm(r.getAsJsonObject("train_loss")) : "").append(" | ")
                    .append(r.get("train_seconds_mean").getAsDouble()).append(" | ")
                    .append(String.format("%,d", r.get("trainable_parameters").getAsLong())).append(" | ")
                    .append(savedText(r)).append(" |\n");
        }
        if (s.has("best")) {
            sb.append("\nBest: **").append(s.get("best").getAsString()).append("**");
            if (s.has("note")) {
                sb.append(" — ").append(s.get("note").getAsString());
            }
            sb.append('\n');
        }
        if (s.has("baseline")) {
            JsonObject b = s.getAsJsonObject("baseline");
            sb.append("\nBaseline: ").append(b.get("model").getAsString());
            if (b.has("validation")) {
                sb.append(", validation ").append(metric).append(' ')
                        .append(String.format("%.4f", b.get("validation").getAsDouble()));
            }
            if (b.has("test")) {
                sb.append(", test ").append(String.format("%.4f", b.get("test").getAsDouble()));
            }
            sb.append("\n\n").append(b.get("verdict").getAsString()).append('\n');
        }
        if (s.has("wall_seconds")) {
            sb.append("\nWall time of this compare: ").append(s.get("wall_seconds").getAsDouble()).append(" s\n");
        }
        return sb.toString();
    }

    /** {@code 893,096 B (adapter_model.safetensors)}, or empty without a size. */
    static String savedText(JsonObject row) {
        return row.has("saved_bytes") ? String.format("%,d B (%s)", row.get("saved_bytes").getAsLong(),
                row.get("saved_file").getAsString()) : "";
    }

    private static String pm(JsonObject st) {
        if (!st.has("mean")) {
            return "";
        }
        return String.format("%.4f ± %.4f", st.get("mean").getAsDouble(), st.get("sd").getAsDouble());
    }
}
