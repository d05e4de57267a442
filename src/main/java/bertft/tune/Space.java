package bertft.tune;

import bertft.UserError;
import bertft.data.LabelledData;
import bertft.data.SquadData;
import bertft.model.BertConfig;
import bertft.model.ModelStore;
import bertft.run.ModelLimits;
import bertft.task.Key;
import bertft.task.TaskFiles;
import bertft.task.TaskSpec;
import java.math.BigDecimal;
import java.math.MathContext;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;

/**
 * The search space of {@code bert-ft tune --space}: task keys with the values to try, written
 * {@code "strategy=full,llrd; learning-rate=2e-5..3e-4:log; epochs=2..6"}.
 *
 * <p>A dimension is a list of values ({@code a,b,c}), or a range {@code LO..HI}: integers when both ends are
 * written as integers, else real numbers; {@code :log} samples it log-uniformly. Keys that mean something only
 * under some strategies ({@link #ONLY_FOR}) are left unset in a trial of another strategy. A strategy value
 * {@code top-K} is strategy top-k with unfreeze-layers K, as in {@code compare}.
 */
public final class Space {
    /** Keys that mean something only under the listed strategies: a trial of another strategy leaves them unset. */
    static final Map<String, List<String>> ONLY_FOR = Map.ofEntries(
            Map.entry("layer-decay", List.of("llrd", "ulmfit")),
            Map.entry("unfreeze-every", List.of("gradual", "ulmfit")),
            Map.entry("unfreeze-layers", List.of("top-k")),
            Map.entry("cache-features", List.of("frozen")),
            Map.entry("lora-r", List.of("lora")),
            Map.entry("lora-alpha", List.of("lora")),
            Map.entry("lora-dropout", List.of("lora")),
            Map.entry("lora-bias", List.of("lora")),
            Map.entry("use-rslora", List.of("lora")),
            Map.entry("lora-targets", List.of("lora", "ia3")),
            Map.entry("setfit-head", List.of("setfit")),
            Map.entry("setfit-pairs", List.of("setfit")),
            Map.entry("setfit-iterations", List.of("setfit")));

    /** Keys a search cannot vary, and why. */
    private static final Map<String, String> FIXED = Map.of(
            "name", "it names the runs", "task", "it is what is learnt", "out", "use --out",
            "eval-every", "the halving compares trials at the end of each epoch",
            "test", "it is the check set, scored after the search", "test-split", "it is the check set, scored after"
                    + " the search", "check-split", "it is the check set, scored after the search");

    /**
     * Keys that choose the rows or how they are read: each value is checked by reading the data as a trial would
     * (files exist, labels fit the rows), so a bad one is refused before the first trial, not by it.
     */
    private static final Set<String> DATA = Set.of("data-dir", "train", "validation", "text-column", "text-pair-column",
            "label-column", "label-separator", "labels", "rating-column", "sentiment-map", "version-2", "domain-text");

    /** One searched key: a list of values, or a numeric range (integers when both ends are, maybe log-uniform). */
    public record Dimension(String key, String text, List<String> values, double lo, double hi, boolean integer,
            boolean log) {
        /** Whether the dimension is a list of values rather than a range. */
        public boolean isList() {
            return values != null;
        }

        /** One value drawn with {@code r}: a listed value, or a number in the range. */
        String sample(SplittableRandom r) {
            if (isList()) {
                return values.get(r.nextInt(values.size()));
            }
            double u = r.nextDouble();
            if (integer) {
                double x = log ? Math.exp(Math.log(lo) + u * (Math.log(hi + 1) - Math.log(lo))) : lo + u * (hi + 1 - lo);
                return Long.toString((long) Math.max(lo, Math.min(hi, Math.floor(x))));
            }
            double x = log ? Math.exp(Math.log(lo) + u * (Math.log(hi) - Math.log(lo))) : lo + u * (hi - lo);
            return format(Math.max(lo, Math.min(hi, round(x))));
        }

        /** The values whose check stands for the whole dimension: every listed value, or both ends. */
        List<String> checkpoints() {
            return isList() ? values : List.of(integer ? Long.toString((long) lo) : format(lo),
                    integer ? Long.toString((long) hi) : format(hi));
        }

        /** {@code --space: key=text: message}, a long key or text cut (a list of 10k values is not echoed whole). */
        UserError error(String message) {
            return new UserError("--space: " + UserError.cut(key) + "=" + UserError.cut(text) + ": " + message);
        }
    }

    private final List<Dimension> dimensions;

    private Space(List<Dimension> dimensions) {
        this.dimensions = List.copyOf(dimensions);
    }

    public List<Dimension> dimensions() {
        return dimensions;
    }

    /** The searched keys, in the order given. */
    public List<String> keys() {
        return dimensions.stream().map(Dimension::key).toList();
    }

    /** The dimension of {@code key}, or null. */
    public Dimension get(String key) {
        return dimensions.stream().filter(d -> d.key().equals(key)).findFirst().orElse(null);
    }

    /** The space as the user would write it, one canonical spelling (what a resumed tune must match). */
    @Override
    public String toString() {
        return String.join("; ", dimensions.stream().map(d -> d.key() + "=" + d.text()).toList());
    }

    /**
     * Parses the text of {@code --space}; each mistake names its dimension:
     * {@code --space: learning-rate=abc..1: 'abc' is not a number}.
     */
    public static Space parse(String text) {
        List<Dimension> dims = new ArrayList<>();
        for (String part : text.split(";")) {
            if (part.isBlank()) {
                continue;
            }
            int eq = part.indexOf('=');
            if (eq < 0) {
                throw new UserError("--space: '" + UserError.cut(part.strip()) + "' is not KEY=VALUES (a list a,b,c or"
                        + " a range LO..HI, LO..HI:log)");
            }
            String key = part.substring(0, eq).strip().replaceFirst("^--", "");
            String spec = part.substring(eq + 1).strip();
            Dimension d = dimension(key, spec);
            if (dims.stream().anyMatch(x -> x.key().equals(key))) {
                throw d.error("'" + key + "' is searched twice");
            }
            dims.add(d);
        }
        if (dims.isEmpty()) {
            throw new UserError("--space: no dimensions (e.g. \"strategy=full,llrd; learning-rate=2e-5..2e-4:log\")");
        }
        return new Space(dims);
    }

    private static Dimension dimension(String key, String spec) {
        Dimension shell = new Dimension(key, spec, null, 0, 0, false, false);
        if (FIXED.containsKey(key)) {
            throw shell.error("'" + key + "' cannot be searched (" + FIXED.get(key) + ")");
        }
        Key k = TaskSpec.keys().stream().filter(x -> x.name().equals(key)).findFirst().orElse(null);
        if (k == null) {
            try {
                TaskFiles.load(null, Map.of(key, "")); // says what is unknown, with the nearest key
            } catch (UserError e) {
                throw shell.error(e.getMessage());
            }
            throw shell.error("not a task key");
        }
        boolean log = spec.endsWith(":log");
        String body = log ? spec.substring(0, spec.length() - 4).strip() : spec;
        if (body.isEmpty()) {
            throw shell.error("no values");
        }
        if (!body.contains("..")) {
            if (log) {
                throw shell.error(":log is for ranges (LO..HI:log)");
            }
            List<String> values = new ArrayList<>();
            for (String v : body.split(",", -1)) {
                if (v.isBlank()) {
                    throw shell.error("an empty value in the list");
                }
                if (values.contains(v.strip())) {
                    throw shell.error("'" + UserError.cut(v.strip()) + "' is listed twice");
                }
                values.add(v.strip());
            }
            return new Dimension(key, String.join(",", values), values, 0, 0, false, false);
        }
        String[] ends = body.split("\\.\\.", -1);
        if (ends.length != 2) {
            throw shell.error("a range is LO..HI");
        }
        if (!List.of(Key.Type.INT, Key.Type.LONG, Key.Type.DOUBLE).contains(k.type())) {
            throw shell.error("a range needs a numeric key, and " + key + " is not one (list its values: a,b,c)");
        }
        double lo = number(shell, ends[0].strip());
        double hi = number(shell, ends[1].strip());
        boolean integer = ends[0].strip().matches("-?\\d+") && ends[1].strip().matches("-?\\d+");
        if (!(lo < hi)) {
            throw shell.error("the range is empty (LO must be less than HI)");
        }
        if (log && lo <= 0) {
            throw shell.error("a log range needs LO > 0");
        }
        if (!integer && k.type() != Key.Type.DOUBLE) {
            throw shell.error(key + " takes whole numbers: write both ends as integers");
        }
        return new Dimension(key, ends[0].strip() + ".." + ends[1].strip() + (log ? ":log" : ""), null, lo, hi,
                integer, log);
    }

    private static double number(Dimension d, String text) {
        try {
            double v = Double.parseDouble(text);
            if (Double.isFinite(v) && !text.isEmpty() && !text.matches(".*[a-zA-Z&&[^eE]].*")) {
                return v;
            }
        } catch (NumberFormatException e) {
            // said below
        }
        throw d.error("'" + UserError.cut(text) + "' is not a number");
    }

    /**
     * Checks every dimension against the task before anything trains: each listed value and both ends of each
     * range must make a valid task with {@code common} that fits the model (and each model searched): max-length
     * within its positions, unfreeze-layers within its layers; a value of a data key must read as a trial would
     * read it. A strategy-only key is checked under a strategy it applies to, and must have one among the trials'
     * strategies.
     */
    public void check(Path task, Map<String, String> common) {
        Map<String, BertConfig> configs = new LinkedHashMap<>();
        String taskStrategy = TaskFiles.load(task, common).strategy();
        List<String> strategies = get("strategy") == null ? List.of(taskStrategy)
                : get("strategy").checkpoints().stream().map(s -> expand(Map.of("strategy", s)).get("strategy")).toList();
        // strategy last: its check sets the keys it reads to their first values, which must be checked by then
        List<Dimension> order = new ArrayList<>(dimensions);
        order.sort(java.util.Comparator.comparing(d -> d.key().equals("strategy")));
        for (Dimension d : order) {
            List<String> only = ONLY_FOR.get(d.key());
            if (only != null && strategies.stream().noneMatch(only::contains)) {
                throw d.error("applies only to strategy " + String.join(" or ", only) + ", and no trial has one"
                        + (get("strategy") == null ? " (the task's strategy is " + taskStrategy + ")" : ""));
            }
            for (String v : d.checkpoints()) {
                Map<String, String> s = new LinkedHashMap<>(common);
                if (only != null) {
                    s.put("strategy", only.get(0));
                }
                s.put(d.key(), v);
                if (d.key().equals("strategy")) { // with the keys that strategy reads, as a trial would have them
                    String strategy = expand(Map.of("strategy", v)).get("strategy");
                    ONLY_FOR.forEach((key, to) -> {
                        if (to.contains(strategy) && get(key) != null) {
                            s.put(key, get(key).checkpoints().get(0));
                        }
                    });
                }
                try {
                    TaskSpec spec = TaskFiles.load(task, expand(s));
                    List<String> models = get("model") != null && !d.key().equals("model") ? get("model").values()
                            : List.of(spec.model());
                    for (String m : models) {
                        BertConfig config = configs.computeIfAbsent(m, x -> BertConfig.read(ModelStore.resolve(x)
                                .resolve("config.json")));
                        ModelLimits.check(spec, config, m);
                    }
                    if (DATA.contains(d.key())) {
                        readData(spec);
                    }
                } catch (UserError e) {
                    throw d.error(e.getMessage());
                }
            }
        }
    }

    /** Reads the rows a trial of {@code spec} trains and validates on, as its training reads them, and drops them. */
    private static void readData(TaskSpec spec) {
        List<Path> train = spec.requireTrain();
        if (spec.task() == TaskSpec.Kind.QA) {
            SquadData.read(train, spec.version2());
            if (spec.validation() != null) {
                SquadData.read(spec.validation(), spec.version2());
            }
            return;
        }
        if (spec.task() == TaskSpec.Kind.TOKEN_CLASSIFICATION) {
            bertft.run.Tagging.read(spec, new java.io.PrintStream(java.io.OutputStream.nullOutputStream()));
            return;
        }
        List<String> labels = spec.task() == TaskSpec.Kind.REGRESSION ? List.of("value") : spec.labels();
        if (labels == null || labels.isEmpty()) {
            labels = LabelledData.inferLabels(spec, train);
        }
        LabelledData.read(spec, labels, train);
        if (spec.validation() != null) {
            LabelledData.read(spec, labels, spec.validation());
        }
        for (Path f : spec.domainText()) {
            if (!Files.isRegularFile(f)) {
                throw new UserError(f + ": no such file (domain-text)");
            }
        }
    }

    /**
     * The settings of trial {@code trial}: drawn from a generator seeded by ({@code seed}, {@code trial}) only, so a
     * trial's settings do not depend on how the others went; a draw equal to one in {@code taken} is drawn again.
     * Null when 1000 draws found nothing new (a small finite space, used up).
     *
     * @param taskStrategy the strategy of trials when strategy is not searched
     */
    public Map<String, String> sample(long seed, int trial, String taskStrategy, Set<Map<String, String>> taken) {
        SplittableRandom r = new SplittableRandom(seed * 1_000_003L + trial);
        for (int attempt = 0; attempt < 1000; attempt++) {
            Map<String, String> s = new LinkedHashMap<>();
            for (Dimension d : dimensions) {
                s.put(d.key(), d.sample(r)); // every dimension draws, applicable or not: the stream stays aligned
            }
            s = expand(s);
            String strategy = s.getOrDefault("strategy", taskStrategy);
            s.keySet().removeIf(k -> ONLY_FOR.containsKey(k) && !ONLY_FOR.get(k).contains(strategy));
            if (!taken.contains(s)) {
                return s;
            }
        }
        return null;
    }

    /** {@code strategy=top-K} -> strategy top-k with unfreeze-layers K; other settings unchanged. */
    static Map<String, String> expand(Map<String, String> settings) {
        String s = settings.get("strategy");
        if (s == null || !s.matches("top-\\d+")) {
            return settings;
        }
        Map<String, String> out = new LinkedHashMap<>(settings);
        out.put("strategy", "top-k");
        out.put("unfreeze-layers", s.substring(4));
        return out;
    }

    /** Three significant digits: settings read as a person would write them. */
    private static double round(double x) {
        return x == 0 ? 0 : new BigDecimal(x).round(new MathContext(3)).doubleValue();
    }

    /** {@code 2.34e-05}, {@code 0.851}, {@code 3}. */
    static String format(double v) {
        double a = Math.abs(v);
        if (a != 0 && (a < 1e-3 || a >= 1e6)) {
            return String.format(Locale.ROOT, "%.2e", v).replaceFirst("\\.?0+e", "e");
        }
        return BigDecimal.valueOf(v).stripTrailingZeros().toPlainString();
    }
}
