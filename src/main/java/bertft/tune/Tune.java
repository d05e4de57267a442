package bertft.tune;

import bertft.AtomicFiles;
import bertft.UserError;
import bertft.run.Compare;
import bertft.run.Comparison;
import bertft.run.Reports;
import bertft.run.TrainJob;
import bertft.task.Interval;
import bertft.task.TaskFiles;
import bertft.task.TaskSpec;
import bertft.train.Trainer;
import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;

/**
 * {@code bert-ft tune}: a budgeted search over a task's strategy and hyper-parameters, then the winner retrained
 * over several seeds.
 *
 * <p>The output directory holds {@code search.json} (what is searched: a re-run must match it),
 * {@code search.yaml} (the task without its test split: trials never see it), {@code trials/tNNN/} (one
 * {@code train} run directory per trial, paused between rungs with its resume state), {@code trials.jsonl} (the
 * time of every rung trained), {@code winner-tNNN/} (a {@code compare} of the winner over the seeds),
 * {@code defaults/} (the task before tuning over the same seeds) and the results: {@code tune.json}, {@code tune.md},
 * {@code report.html} and {@code best.yaml}. Re-running the same command goes on where a killed tune stopped: the
 * search replays its decisions from what is on disk.
 *
 * <p>The check set: a tune ranks trials on the validation set, so the winner's validation figure is selected on it
 * and flatters the winner. The check set (the task's test, else a stratified {@code check-split} of train, 0.1
 * unless set) is never ranked on: the winner and the defaults are scored on it with the same seeds after the search,
 * and the report gives both gains side by side.
 */
public final class Tune {
    /**
     * What to search and how.
     *
     * @param common task settings of every run (command-line options), without {@code out}
     * @param metric the validation metric that ranks trials; null: the task's (early-stopping's, else the kind's)
     * @param seed the search's seed (which settings are drawn, and every trial's training seed); null: the task's
     * @param rungs where halving compares trials: after equal epochs, or at equal shares of their schedules
     * @param refit retrain the winner on all of train (the validation split given back), keeping its last epoch
     */
    public record Options(Path task, Map<String, String> common, Space space, Budget budget, List<Long> seeds,
            String metric, Long seed, Rungs rungs, boolean refit, Path out) {}

    private static final Gson GSON = new GsonBuilder().setPrettyPrinting().serializeSpecialFloatingPointValues()
            .disableHtmlEscaping().create();
    private static final String KEEP_EVERY_EPOCH = "1000000";
    /** Frozen runs' encoder features, shared by trials (and the winner's seeds) of the same pooling and tokens. */
    private static final String FEATURES = "features";
    /** What a refit leaves out of the task: the validation split, and what only works with validation. */
    private static final Set<String> REFIT_DROPS = Set.of("validation-split", "early-stopping");
    /** The check-split a table task without a test split gets. */
    static final String DEFAULT_CHECK_SPLIT = "0.1";

    private final Options o;
    /** Progress, held until the first trial has checked its input. */
    private final bertft.Held err;
    /** The command line's settings, with the default check-split when the tune adds it. */
    private Map<String, String> common;
    /** The check set as the report names it, or null when the task can have none (qa, token tasks without test). */
    private String check;
    private TaskSpec base;
    private String metric;
    private boolean lower;
    private long seed;
    /** Settings every run adds to the command line's: the metric's checkpoint selection when not the task's. */
    private final Map<String, String> extra = new LinkedHashMap<>();
    private final Map<String, Double> journal = new LinkedHashMap<>();
    /** Trials whose training failed (diverged), by trial number: they score nothing and go no further. */
    private final Map<Integer, String> failures = new LinkedHashMap<>();

    public Tune(Options o, PrintStream err) {
        this.o = o;
        this.err = bertft.Held.over(err);
    }

    /** Runs (or goes on with) the tune; returns the path of {@code report.html}. */
    public Path run() {
        return err.during(this::tune);
    }

    private Path tune() {
        long started = System.nanoTime();
        check();
        Boolean created = prepareOut();
        // 1) the search, trial by trial and rung by rung
        // a refit sees the validation rows too: its epochs are longer by that share
        double retrainRuns = o.seeds().size() / (o.refit() ? 1 - base.validationSplit() : 1);
        Search search = new Search(o.space(), seed, base.strategy(), base.epochs(), o.rungs(), o.budget(), retrainRuns,
                lower, err).defaults(check == null ? 0 : retrainRuns * base.epochs());
        List<Trial> trials;
        try {
            trials = search.run(this::train);
        } catch (RuntimeException | Error e) {
            if (created != null) {
                forget(created, e);
            }
            throw e;
        }
        Trial best = Halving.best(trials, lower);
        if (best == null) {
            throw new UserError("tune: no trial has a validation " + metric + " (see " + o.out().resolve("trials")
                    + "/*/metrics.jsonl)");
        }
        // 2) the winner over every seed, through compare (its finished runs are kept on a re-run)
        err.printf("== tune: best trial %d %s, validation %s %.4f; retraining%s with seeds %s%n", best.id,
                best.settings, metric, best.latest(), o.refit() ? " on all of train" : "", o.seeds());
        Map<String, String> winner = winnerSettings(best);
        String strategy = winner.getOrDefault("strategy", base.strategy());
        winner.remove("strategy");
        Path winnerDir = o.out().resolve("winner-" + best.name() + (o.refit() ? "-refit" : ""));
        Path winnerTask = o.task();
        if (o.refit()) {
            // the user's task without the split and what needs validation; data paths stay relative to data-dir
            winnerTask = o.out().resolve("refit.yaml");
            AtomicFiles.writeString(winnerTask, TaskYaml.edit(o.task(), Map.of("name", base.name()), REFIT_DROPS));
        }
        Comparison compare = new Compare(winnerTask, winner, winnerDir, err).featureDir(o.out().resolve(FEATURES))
                .run(List.of(strategy), o.seeds());
        // 3) the defaults over the same seeds: the gain the check set measures is against the recipe before tuning
        Comparison defaults = null;
        Path defaultsDir = null;
        if (check != null) {
            Map<String, String> d = new LinkedHashMap<>(common);
            d.putAll(extra);
            d.remove("strategy");
            if (o.refit()) {
                d.keySet().removeAll(REFIT_DROPS);
            }
            defaultsDir = o.out().resolve(o.refit() ? "defaults-refit" : "defaults");
            err.printf("== tune: the defaults (the task before tuning) with seeds %s, scored on the check set%n",
                    o.seeds());
            defaults = new Compare(winnerTask, d, defaultsDir, err).featureDir(o.out().resolve(FEATURES))
                    .run(List.of(base.strategy()), o.seeds());
        }
        // 4) what was found: trial weights stay, their resume states go
        for (Trial t : trials) {
            AtomicFiles.deleteTree(o.out().resolve("trials").resolve(t.name()).resolve("last"));
        }
        AtomicFiles.deleteTree(o.out().resolve(FEATURES));
        JsonObject summary = summary(trials, best, search, compare, winnerTask, winnerDir,
                (System.nanoTime() - started) / 1e9);
        if (defaults != null) {
            CheckSet.add(summary, check, defaults, defaultsDir, lower);
        } else {
            summary.addProperty("check_set", "none: a " + base.task() + " task's check set is its test file, and it has"
                    + " none");
        }
        summary.add("searches", Searches.count(o.out(), o.task(), validationSet()));
        AtomicFiles.writeString(o.out().resolve("best.yaml"), bestYaml(best, summary));
        AtomicFiles.writeString(o.out().resolve("tune.json"), GSON.toJson(summary));
        AtomicFiles.writeString(o.out().resolve("tune.md"), TuneReport.markdown(summary));
        AtomicFiles.writeString(o.out().resolve("report.html"), TuneReport.html(summary));
        err.println("tune: " + o.out().resolve("report.html") + " (also tune.md, tune.json; best settings: "
                + o.out().resolve("best.yaml") + ")");
        return o.out().resolve("report.html");
    }

    /**
     * The winner's task settings: the command line's, the metric's selection and the best trial's; for a refit, without
     * the validation split.
     */
    private Map<String, String> winnerSettings(Trial best) {
        Map<String, String> winner = new LinkedHashMap<>(common);
        winner.putAll(extra);
        winner.putAll(best.settings);
        if (o.refit()) {
            winner.keySet().removeAll(REFIT_DROPS);
        }
        return winner;
    }

    /** Every setting checked before anything is written or trained. */
    private void check() {
        common = new LinkedHashMap<>(o.common());
        base = TaskFiles.load(o.task(), common);
        if (!base.validates()) {
            throw new UserError("tune: " + o.task() + " has no validation split to compare trials on; set validation,"
                    + " or add --validation-split 0.1 (the test split is kept for the winner)");
        }
        if (o.refit() && base.validation() != null) {
            throw new UserError("--refit: the task validates on " + base.validation() + ", not on rows of train;"
                    + " refit gives the winner back the rows of --validation-split, so use that instead of a"
                    + " validation file, or leave --refit out");
        }
        Interval every = base.evalEvery();
        if (every.unit() != Interval.Unit.EPOCHS || every.amount() != 1) {
            throw new UserError("tune: eval-every is '" + every + "'; tune compares trials at the end of each epoch,"
                    + " so it needs 'epoch' (add --eval-every epoch)");
        }
        String selects = base.earlyStopping() != null && base.earlyStopping().metric() != null
                ? base.earlyStopping().metric() : base.task().mainMetric();
        metric = o.metric() != null ? o.metric() : selects;
        if (!base.task().metrics().contains(metric)) {
            throw new UserError("--metric " + metric + ": not one of " + base.task().metrics() + " (task "
                    + base.task() + ")");
        }
        if (!metric.equals(selects)) {
            if (base.earlyStopping() != null) {
                throw new UserError("--metric " + metric + ": the task's early-stopping keeps the best model by "
                        + selects + "; set its metric to " + metric + " or leave --metric out");
            }
            // each run keeps its best model by the metric the search ranks by
            extra.put("early-stopping", "{metric: " + metric + ", patience: " + KEEP_EVERY_EPOCH + "}");
        }
        lower = TaskSpec.Kind.lowerIsBetter(metric);
        checkSet();
        Map<String, String> all = new LinkedHashMap<>(common);
        all.putAll(extra);
        o.space().check(o.task(), all);
        for (int i = 0; i < o.seeds().size(); i++) {
            if (o.seeds().indexOf(o.seeds().get(i)) < i) {
                throw new UserError("--seeds: " + o.seeds().get(i) + " appears twice");
            }
        }
        seed = o.seed() != null ? o.seed() : base.seed();
    }

    /**
     * Where the winner is measured: the task's test file or test-split, else a check-split of train (0.1 unless the
     * command line sets it), carved before the validation split so that no trial trains on it or is ranked by it.
     */
    private void checkSet() {
        if (base.test() != null) {
            check = "test " + base.test();
        } else if (base.testSplit() != null) {
            check = "test-split " + Space.format(base.testSplit()) + " of train";
        } else if (base.task() != TaskSpec.Kind.QA && base.task() != TaskSpec.Kind.TOKEN_CLASSIFICATION) {
            if (base.checkSplit() == null) {
                common.put("check-split", DEFAULT_CHECK_SPLIT);
                base = TaskFiles.load(o.task(), common);
            }
            check = "check-split " + Space.format(base.checkSplit()) + " of train (stratified, the same rows for every"
                    + " run)";
        }
        if (check != null && !check.startsWith("test ") && (o.space().keys().contains("train")
                || o.space().keys().contains("data-dir"))) {
            err.println("warning: --space searches the training data, so the check set (" + check + ") is other rows"
                    + " for the winner and the defaults when their train differs; give the task a test file to"
                    + " compare them on the same rows");
        }
    }

    /**
     * What identifies the validation set, so that tunes that chose on the same one are counted: the validation
     * file's bytes, or the training files' bytes with the splits and the seed that carve it.
     */
    private String validationSet() {
        try {
            java.security.MessageDigest md = java.security.MessageDigest.getInstance("SHA-256");
            if (base.validation() != null) {
                md.update(Files.readAllBytes(base.validation()));
            } else {
                for (Path p : base.requireTrain()) {
                    md.update(Files.readAllBytes(p));
                }
                md.update(("validation-split " + base.validationSplit() + " seed " + seed + " check-split "
                        + base.checkSplit() + " test-split " + base.testSplit()).getBytes(StandardCharsets.UTF_8));
            }
            return java.util.HexFormat.of().formatHex(md.digest()).substring(0, 16);
        } catch (IOException | java.security.NoSuchAlgorithmException e) {
            return "unreadable: " + e.getMessage(); // (read by the trials already: not expected)
        }
    }

    /** What a re-run must match to go on with this tune. */
    private JsonObject fingerprint() {
        JsonObject f = new JsonObject();
        f.addProperty("task", o.task().toAbsolutePath().normalize().toString());
        f.addProperty("space", o.space().toString());
        f.addProperty("seed", seed);
        f.addProperty("metric", metric);
        if (o.rungs() != Rungs.EPOCHS) { // (absent from tunes made before there was a choice)
            f.addProperty("rungs", o.rungs().name().toLowerCase(java.util.Locale.ROOT));
        }
        f.add("settings", GSON.toJsonTree(new TreeMap<>(common)));
        return f;
    }

    /**
     * A new output directory, or the same tune's to go on with; anything else is refused. Returns null when it goes
     * on with a tune, else whether it created the directory.
     */
    private Boolean prepareOut() {
        Path out = o.out();
        Path search = out.resolve("search.json");
        JsonObject f = fingerprint();
        if (Files.isRegularFile(search)) {
            JsonObject before = read(search);
            if (!before.equals(f)) {
                throw new UserError(out + ": holds a tune of other settings (" + differences(before, f) + "); give"
                        + " another --out, or delete it to start over");
            }
            err.println("== tune: going on with the tune in " + out);
        } else if (Files.exists(out) && !(Files.isDirectory(out) && empty(out))) {
            throw new UserError(out + ": is not empty and is not a tune; give --out a new or empty directory");
        }
        Boolean created = Files.isRegularFile(search) ? null : !Files.exists(out);
        AtomicFiles.createDirectories(out.resolve("trials"));
        // the trials' task: the user's, without the test split (only the winner is tested) and named as it was
        AtomicFiles.writeString(out.resolve("search.yaml"), TaskYaml.edit(o.task(), Map.of("name", base.name()),
                Set.of("test")));
        AtomicFiles.writeString(search, GSON.toJson(f));
        for (JsonObject line : Reports.readLog(out.resolve("trials.jsonl"))) {
            journal.put(line.get("trial").getAsInt() + "/" + line.get("rung").getAsInt(),
                    line.get("seconds").getAsDouble());
            if (line.has("failed")) {
                failures.put(line.get("trial").getAsInt(), line.get("failed").getAsString());
            }
        }
        return created;
    }

    /**
     * A new tune that failed before its first trial saved anything (no rung trained, no resume state) takes back
     * what it wrote, so that the corrected command is not refused as "a tune of other settings"; one that got
     * further keeps its state to go on with.
     */
    private void forget(boolean created, Throwable failure) {
        Path out = o.out();
        try (var dirs = Files.list(out.resolve("trials"))) {
            if (Files.exists(out.resolve("trials.jsonl")) || dirs.anyMatch(d -> Files.exists(d.resolve("last"))
                    || Files.exists(d.resolve("report.json")))) {
                return;
            }
            AtomicFiles.deleteTree(out.resolve("trials"));
            AtomicFiles.deleteTree(out.resolve(FEATURES));
            Files.deleteIfExists(out.resolve("search.yaml"));
            Files.deleteIfExists(out.resolve("search.json"));
            if (created && empty(out)) {
                Files.delete(out);
            }
        } catch (IOException | RuntimeException e) {
            failure.addSuppressed(e);
        }
    }

    private static String differences(JsonObject before, JsonObject now) {
        StringBuilder sb = new StringBuilder();
        Set<String> keys = new LinkedHashSet<>(now.keySet());
        keys.addAll(before.keySet());
        for (String k : keys) {
            if (!Objects.equals(now.get(k), before.get(k))) {
                sb.append(sb.length() == 0 ? "" : "; ").append(k).append(" was ")
                        .append(before.has(k) ? UserError.cut(before.get(k).toString()) : "not set");
            }
        }
        return sb.toString();
    }

    private static boolean empty(Path dir) {
        try (var s = Files.list(dir)) {
            return s.findAny().isEmpty();
        } catch (IOException e) {
            throw AtomicFiles.cannotWrite(dir, e);
        }
    }

    /**
     * The runner of the search: trains {@code t} to the end of {@code rung} in its run directory (resuming its
     * paused state), or, when a killed tune got that far already, reads how it went.
     */
    Search.Unit train(Trial t, int rung) {
        Path dir = o.out().resolve("trials").resolve(t.name());
        double target = o.rungs().target(t.epochs, rung);
        Double seconds = journal.get(t.id + "/" + rung);
        if (failures.containsKey(t.id)) {
            err.printf("== tune: trial %d, rung %d: failed before (%s)%n", t.id, rung, failures.get(t.id));
            return new Search.Unit(t.trained(), Double.NaN, seconds == null ? 0 : seconds, true);
        }
        boolean paused = target < t.epochs - 1e-9 && epochsSaved(dir) >= target - 1e-9; // (at its end: the report)
        if (seconds == null && (Files.exists(dir.resolve("report.json")) || paused)) {
            seconds = 0.0; // trained, then killed before its time was written
        }
        if (seconds != null) {
            err.printf("== tune: trial %d, rung %d: done before%n", t.id, rung);
        } else {
            Map<String, String> s = new LinkedHashMap<>(common);
            s.remove("test");
            s.putAll(extra);
            s.put("seed", Long.toString(seed));
            s.putAll(t.settings); // (a space may search the seed: selection over pure noise)
            s.put("out", dir.toString());
            TaskSpec spec = TaskFiles.load(o.out().resolve("search.yaml"), s);
            boolean resume = Files.exists(dir.resolve("last").resolve("trainer_state.json"));
            err.printf("== tune: trial %d %s: training to epoch %s of %s%s%n", t.id, t.settings, Space.format(target),
                    Space.format(t.epochs), resume ? " (resumed)" : "");
            long t0 = System.nanoTime();
            try {
                new TrainJob(spec, err).pauseAfterEpoch(target < t.epochs - 1e-9 ? (int) Math.round(target) : 0)
                        .featureDir(o.out().resolve(FEATURES)).run(resume, !resume);
            } catch (TrainJob.Paused p) {
                // the rung's end: the trial waits in last/ for a promotion
            } catch (Trainer.Diverged e) {
                failures.put(t.id, e.getMessage()); // a property of the settings: the search goes on without them
                err.printf("== tune: trial %d failed: %s%n", t.id, e.getMessage());
            }
            seconds = (System.nanoTime() - t0) / 1e9;
            journal.put(t.id + "/" + rung, seconds);
            JsonObject line = new JsonObject();
            line.addProperty("trial", t.id);
            line.addProperty("rung", rung);
            line.addProperty("seconds", seconds);
            if (failures.containsKey(t.id)) {
                line.addProperty("failed", failures.get(t.id));
            }
            append(o.out().resolve("trials.jsonl"), line.toString());
            if (failures.containsKey(t.id)) {
                return new Search.Unit(t.trained(), Double.NaN, seconds, true);
            }
        }
        double[] reached = value(dir, target, t.epochs);
        // finished by the end of this rung: all its epochs, or fewer when early-stopping ended it
        boolean finished = Files.exists(dir.resolve("report.json"))
                && value(dir, Double.MAX_VALUE, t.epochs)[1] <= target + 1e-9;
        return new Search.Unit(finished ? reached[1] : target, reached[0], seconds, finished);
    }

    /**
     * The best validation metric among the evaluations up to {@code target} epochs, and the epochs trained at the
     * last of them (NaN, 0 without any).
     */
    private double[] value(Path dir, double target, double epochs) {
        double best = Double.NaN;
        double trained = 0;
        for (JsonObject e : Reports.readLog(dir.resolve("metrics.jsonl"))) {
            double epoch = Reports.number(e, "epoch");
            double x = Reports.number(e.get("validation"), metric);
            double at = Math.min((int) epoch + 1, epochs);
            if (Double.isNaN(epoch) || Double.isNaN(x) || at > target + 1e-9) {
                continue; // not an evaluation (or not of this shape), or past the rung
            }
            if (Double.isNaN(best) || (lower ? x < best : x > best)) {
                best = x;
            }
            trained = Math.max(trained, at);
        }
        return new double[] {best, trained};
    }

    /** The whole epochs a paused trial has saved in its resume state (0 without one). */
    private static double epochsSaved(Path dir) {
        Path state = dir.resolve("last").resolve("trainer_state.json");
        if (!Files.isRegularFile(state)) {
            return 0;
        }
        JsonObject s = read(state);
        return s.get("batch").getAsInt() == 0 ? s.get("epoch").getAsInt() : 0;
    }

    private static void append(Path file, String line) {
        try {
            Files.writeString(file, line + "\n", StandardCharsets.UTF_8, StandardOpenOption.CREATE,
                    StandardOpenOption.APPEND);
        } catch (IOException e) {
            throw AtomicFiles.cannotWrite(file, e);
        }
    }

    private static JsonObject read(Path file) {
        try {
            return JsonParser.parseString(Files.readString(file, StandardCharsets.UTF_8)).getAsJsonObject();
        } catch (IOException | RuntimeException e) {
            throw new UserError(file + ": unreadable (" + e.getMessage() + "); delete it, or the tune's directory to"
                    + " start over");
        }
    }

    /** tune.json: the search, every trial, the best settings and the winner over seeds. */
    private JsonObject summary(List<Trial> trials, Trial best, Search search, Comparison compare, Path winnerTask,
            Path winnerDir,
            double wallSeconds) {
        JsonObject s = new JsonObject();
        s.addProperty("task", base.name());
        s.addProperty("kind", base.task().toString());
        s.addProperty("metric", metric);
        s.addProperty("lower_is_better", lower);
        s.addProperty("seed", seed);
        JsonArray dims = new JsonArray();
        for (Space.Dimension d : o.space().dimensions()) {
            JsonObject j = new JsonObject();
            j.addProperty("key", d.key());
            j.addProperty("values", d.text());
            j.addProperty("type", d.isList() ? "list" : (d.integer() ? "int" : "real") + (d.log() ? " log" : ""));
            if (Space.ONLY_FOR.containsKey(d.key())) {
                j.addProperty("only_for", String.join(", ", Space.ONLY_FOR.get(d.key())));
            }
            dims.add(j);
        }
        s.add("space", dims);
        JsonObject budget = new JsonObject();
        if (o.budget().trials != null) {
            budget.addProperty("trials", o.budget().trials);
        }
        if (o.budget().seconds != null) {
            budget.addProperty("seconds", o.budget().seconds);
        }
        s.add("budget", budget);
        s.addProperty("stopped", search.stopped);
        JsonArray rungs = new JsonArray();
        int top = trials.stream().mapToInt(Trial::rung).max().orElse(-1);
        for (int k = 0; k <= top; k++) {
            rungs.add(o.rungs().label(k));
        }
        s.add("rungs", rungs);
        s.addProperty("rung_rule", o.rungs().rule());
        JsonArray all = new JsonArray();
        for (Trial t : trials) {
            JsonObject j = new JsonObject();
            j.addProperty("trial", t.id);
            j.addProperty("dir", o.out().resolve("trials").resolve(t.name()).toString());
            j.add("settings", GSON.toJsonTree(t.settings));
            j.addProperty("epochs", t.epochs);
            JsonArray v = new JsonArray();
            for (int k = 0; k < t.values.size(); k++) {
                JsonObject r = new JsonObject();
                r.addProperty("rung", k);
                r.addProperty("epochs", t.rungEpochs.get(k));
                r.addProperty("value", t.values.get(k));
                v.add(r);
            }
            j.add("rungs", v);
            j.addProperty("value", t.latest());
            j.addProperty("status", failures.containsKey(t.id) ? "failed: " + failures.get(t.id)
                    : t.finished ? "finished" : "stopped at epoch " + Space.format(t.trained()));
            j.addProperty("seconds", Math.round(t.seconds * 10) / 10.0);
            all.add(j);
        }
        s.add("trials", all);
        JsonObject b = new JsonObject();
        b.addProperty("trial", best.id);
        b.add("settings", GSON.toJsonTree(best.settings));
        b.addProperty("value", best.latest());
        b.addProperty("epochs_trained", best.trained());
        s.add("best", b);
        JsonObject w = new JsonObject();
        w.addProperty("dir", winnerDir.toString());
        w.addProperty("seeds", o.seeds().toString());
        w.addProperty("refit", o.refit());
        Comparison.Row row = compare.strategies().get(0);
        w.add("validation", row.validation().toJson());
        if (!row.validationLastEpoch().isEmpty()) {
            w.add("validation_last_epoch", row.validationLastEpoch().toJson());
        }
        if (!row.test().isEmpty()) {
            w.add("test", row.test().toJson());
        }
        w.addProperty("train_seconds_mean", row.trainSecondsMean());
        if (compare.baseline() != null) {
            w.add("baseline", compare.baseline());
        }
        s.add("winner", w);
        s.addProperty("search_seconds", Math.round(o.budget().spent() * 10) / 10.0);
        // the seeds' training time as their reports count it, so a retraining resumed in a later run counts whole
        double retrainSeconds = row.trainSecondsMean() * row.runs();
        s.addProperty("retrain_seconds", Math.round(retrainSeconds * 10) / 10.0);
        s.addProperty("wall_seconds", Math.round(wallSeconds * 10) / 10.0);
        s.addProperty("best_yaml", o.out().resolve("best.yaml").toString());
        JsonObject provenance = Compare.provenance(winnerTask, o.seeds(), null);
        provenance.add("search", fingerprint());
        s.add("provenance", provenance);
        return s;
    }

    /** The user's task file with the best settings (and the command line's), loadable by {@code bert-ft train}. */
    private String bestYaml(Trial best, JsonObject summary) {
        Map<String, String> set = new LinkedHashMap<>();
        set.put("name", base.name());
        set.putAll(winnerSettings(best));
        JsonObject w = summary.getAsJsonObject("winner");
        String split = o.refit() ? "test" : "validation";
        String header = String.format("# bert-ft tune: the best of %d trials (trial %d: validation %s %.4f after %s "
                + "epochs)%n# retrained%s with seeds %s: %s %s %s%n# train it: bert-ft train %s%n",
                summary.getAsJsonArray("trials").size(), best.id, metric, best.latest(), Space.format(best.trained()),
                o.refit() ? " on all of train" : "", o.seeds(), split, metric, TuneReport.pm(w.getAsJsonObject(split)),
                o.out().resolve("best.yaml"));
        JsonObject d = summary.getAsJsonObject("defaults");
        if (d != null) {
            // both numbers: the one chosen on and the one measured on, each beside the defaults'
            header += String.format("# chosen on validation %s: %.4f in the search, the defaults %s%n# measured on the"
                    + " check set (%s), scored once after the search: %s, the defaults %s%n", metric, best.latest(),
                    TuneReport.pm(d.getAsJsonObject("validation")), summary.get("check_set").getAsString(),
                    TuneReport.pm(w.getAsJsonObject("test")), TuneReport.pm(d.getAsJsonObject("test")));
        }
        return header + TaskYaml.edit(o.task(), set, o.refit() ? REFIT_DROPS : Set.of());
    }
}
