package bertft.task;

import bertft.UserError;
import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.yaml.snakeyaml.DumperOptions;
import org.yaml.snakeyaml.Yaml;

/**
 * Every setting of one fine-tuning task, checked and resolved; immutable. Built by {@link TaskFiles#load}.
 *
 * <p>Getters are named after the keys ({@code learning-rate} -> {@link #learningRate()}); {@link #get(String)}
 * reads any key by name. Optional keys without a value return null (documented per getter).
 */
public final class TaskSpec {

    /** What the task learns; the YAML spelling is the lower-case name. */
    public enum Kind {
        CLASSIFICATION("accuracy", "accuracy", "macro_f1", "micro_f1", "weighted_f1", "loss"),
        SENTIMENT("accuracy", "accuracy", "macro_f1", "micro_f1", "weighted_f1", "loss"),
        MULTILABEL("micro_f1", "micro_f1", "macro_f1", "subset_accuracy", "loss"),
        REGRESSION("pearson", "mse", "pearson", "spearman", "loss"),
        QA("f1", "exact_match", "f1", "loss"),
        /** A tag per word (named entities): entity-level scores as seqeval counts them (no validation loss). */
        TOKEN_CLASSIFICATION("f1", "f1", "precision", "recall", "token_accuracy");

        private final String mainMetric;
        private final List<String> metrics;

        Kind(String mainMetric, String... metrics) {
            this.mainMetric = mainMetric;
            this.metrics = List.of(metrics);
        }

        /** The metric early stopping and model selection use by default. */
        public String mainMetric() {
            return mainMetric;
        }

        /** The metric names evaluation reports for this kind (the keys of its JSON; {@code loss} from the trainer). */
        public List<String> metrics() {
            return metrics;
        }

        /** Whether lower values of {@code metric} are better. */
        public static boolean lowerIsBetter(String metric) {
            return metric.equals("loss") || metric.equals("mse");
        }

        /** The kind a task file or config spells {@code name} ({@code token-classification}). */
        public static Kind parse(String name) {
            return valueOf(name.toUpperCase(Locale.ROOT).replace('-', '_'));
        }

        /** The spelling in task files. */
        @Override
        public String toString() {
            return name().toLowerCase(Locale.ROOT).replace('_', '-');
        }
    }

    /** Where a resolved value came from. */
    public enum Source { FILE, CLI, PRESET, DEFAULT }

    /**
     * Where a value came from, in detail.
     *
     * @param source the kind of origin
     * @param detail {@code tasks/sst2.yaml:7} (file), {@code --batch-size} (cli), {@code strategy ulmfit}
     *     (preset), empty (default)
     */
    public record Origin(Source source, String detail) {
        @Override
        public String toString() {
            String s = source.name().toLowerCase(Locale.ROOT);
            return detail.isEmpty() ? s : s + " " + detail;
        }
    }

    private final Path file;
    private final Map<String, Object> values;
    private final Map<String, Origin> provenance;
    private final List<Key> keys;

    TaskSpec(Path file, List<Key> keys, Map<String, Object> values, Map<String, Origin> provenance) {
        this.file = file;
        this.keys = keys;
        this.values = Collections.unmodifiableMap(new LinkedHashMap<>(values));
        this.provenance = Collections.unmodifiableMap(new LinkedHashMap<>(provenance));
    }

    /** The registry of keys, in the order task files list them, for generating CLI options and help. */
    public static List<Key> keys() {
        return Keys.TRAIN;
    }

    /** The keys of {@code bert-ft adapt} task files, for generating its options. */
    public static List<Key> adaptKeys() {
        return Keys.ADAPT;
    }

    /** The task file this came from; null when built from command-line options only. */
    public Path file() {
        return file;
    }

    /**
     * The resolved value of {@code key} as parsed: String, Path (as written, not resolved against data-dir),
     * Integer, Long, Double, Boolean, List, {@link Kind}, {@link SentimentMap}, {@link EarlyStopping},
     * {@link Augment}, {@link Interval}, or null when unset.
     */
    public Object get(String key) {
        if (!values.containsKey(key)) {
            throw new IllegalArgumentException("no task key " + key);
        }
        return values.get(key);
    }

    /**
     * Where the user set {@code key}, to start a message: {@code tasks/x.yaml:7: max-length}, {@code --max-length},
     * or the file and key for defaults and presets.
     */
    public String where(String key) {
        return TaskFiles.where(file, key, provenance.get(key));
    }

    /** Where each resolved value came from, for every key, in registry order. */
    public Map<String, Origin> provenance() {
        return provenance;
    }

    public String name() {
        return (String) values.get("name");
    }

    public Kind task() {
        return (Kind) values.get("task");
    }

    public String model() {
        return (String) values.get("model");
    }

    public Path dataDir() {
        return (Path) values.get("data-dir");
    }

    /** The training files resolved against data-dir, read as one table (one SQuAD set for qa); empty when unset. */
    public List<Path> train() {
        return files("train");
    }

    /** The training files, or a UserError saying how to set them (for the commands that train). */
    public List<Path> requireTrain() {
        if (train().isEmpty()) {
            throw new UserError((file == null ? "" : file + ": ") + "no training file: set 'train:' or --train");
        }
        return train();
    }

    /** The validation file resolved against data-dir, or null. */
    public Path validation() {
        return resolve("validation");
    }

    /** The test file resolved against data-dir, or null. */
    public Path test() {
        return resolve("test");
    }

    /** Whether the run is validated: a validation file, or (not for qa) a validation-split of train. */
    public boolean validates() {
        return validation() != null || (validationSplit() != null && task() != Kind.QA);
    }

    /** The held-out fraction of train (or of adapt's text), or null for none. */
    public Double validationSplit() {
        return (Double) values.get("validation-split");
    }

    /** The fraction of train held out as the test set (the same rows for every seed), or null for none. */
    public Double testSplit() {
        return (Double) values.get("test-split");
    }

    /** Examples per class to draw from train, or null for all of them. */
    public Integer trainPerClass() {
        return (Integer) values.get("train-per-class");
    }

    /** The seed of the train-per-class draw: sample-seed, else seed. */
    public long sampleSeed() {
        Long s = (Long) values.get("sample-seed");
        return s != null ? s : seed();
    }

    /** One of logistic, differentiable (strategy setfit). */
    public String setfitHead() {
        return (String) values.get("setfit-head");
    }

    /** The most pairs SetFit draws, or null for no cap. */
    public Integer setfitPairs() {
        return (Integer) values.get("setfit-pairs");
    }

    /** SetFit's num_iterations (pairs of each kind per example), or null for every unique pair. */
    public Integer setfitIterations() {
        return (Integer) values.get("setfit-iterations");
    }

    /** The fraction of train held out, stratified, as a check set scored as the test set, or null for none. */
    public Double checkSplit() {
        return (Double) values.get("check-split");
    }

    /** Adapt's unlabelled text files resolved against data-dir (empty when unset). */
    public List<Path> text() {
        return files("text");
    }

    public double mlmProbability() {
        return (Double) values.get("mlm-probability");
    }

    public boolean wholeWordMask() {
        return (Boolean) values.get("whole-word-mask");
    }

    public boolean lineByLine() {
        return (Boolean) values.get("line-by-line");
    }

    public String textColumn() {
        return (String) values.get("text-column");
    }

    /** The second text column of sentence-pair tasks, or null. */
    public String textPairColumn() {
        return (String) values.get("text-pair-column");
    }

    public String labelColumn() {
        return (String) values.get("label-column");
    }

    public String labelSeparator() {
        return (String) values.get("label-separator");
    }

    /** The label names in id order, or null when the task file leaves them to be inferred from training data. */
    @SuppressWarnings("unchecked")
    public List<String> labels() {
        return (List<String>) values.get("labels");
    }

    public String ratingColumn() {
        return (String) values.get("rating-column");
    }

    public SentimentMap sentimentMap() {
        return (SentimentMap) values.get("sentiment-map");
    }

    public int maxLength() {
        return (Integer) values.get("max-length");
    }

    public int batchSize() {
        return (Integer) values.get("batch-size");
    }

    public int evalBatchSize() {
        return (Integer) values.get("eval-batch-size");
    }

    public double epochs() {
        return (Double) values.get("epochs");
    }

    public double learningRate() {
        return (Double) values.get("learning-rate");
    }

    /** Epochs of adapt that train only the masked-LM head before {@link #epochs()} of adapting everything. */
    public double headEpochs() {
        return (Double) values.get("head-epochs");
    }

    /** The head's learning rate, or null to use {@link #learningRate()}. */
    public Double headLearningRate() {
        return (Double) values.get("head-learning-rate");
    }

    public double warmupRatio() {
        return (Double) values.get("warmup-ratio");
    }

    /** One of linear, cosine, constant, slanted-triangular. */
    public String schedule() {
        return (String) values.get("schedule");
    }

    public double weightDecay() {
        return (Double) values.get("weight-decay");
    }

    /** Clipping norm; 0 means no clipping. */
    public double maxGradNorm() {
        return (Double) values.get("max-grad-norm");
    }

    public int gradientAccumulation() {
        return (Integer) values.get("gradient-accumulation");
    }

    /** Whether training recomputes each encoder layer in backward instead of keeping its activations. */
    public boolean gradientCheckpointing() {
        return (Boolean) values.get("gradient-checkpointing");
    }

    /** Examples per forward/backward pass, or null for the whole batch in one. */
    public Integer microBatchSize() {
        return (Integer) values.get("micro-batch-size");
    }

    public long seed() {
        return (Long) values.get("seed");
    }

    /** The character encoding of the task's tables: UTF-8, or GB18030 for {@code encoding: gbk}. */
    public java.nio.charset.Charset encoding() {
        return "gbk".equals(values.get("encoding")) ? java.nio.charset.Charset.forName("GB18030")
                : java.nio.charset.StandardCharsets.UTF_8;
    }

    /** One of cls, mean, pooler, sentence. */
    public String pooling() {
        return (String) values.get("pooling");
    }

    /** The decay of the weights' moving average ({@code ema-decay}), or null when none is kept. */
    public Double emaDecay() {
        return (Double) values.get("ema-decay");
    }

    /** Classifier dropout, or null to use the model's hidden_dropout_prob. */
    public Double dropout() {
        return (Double) values.get("dropout");
    }

    /** Early stopping with metric and mode filled in, or null when off. */
    public EarlyStopping earlyStopping() {
        return (EarlyStopping) values.get("early-stopping");
    }

    /** One of none, balanced. */
    public String classWeights() {
        return (String) values.get("class-weights");
    }

    /** Steps or epochs between validations (never {@code auto}). */
    public Interval evalEvery() {
        return (Interval) values.get("eval-every");
    }

    public double threshold() {
        return (Double) values.get("threshold");
    }

    /** One of frozen, top-k, full, llrd, gradual, ulmfit, setfit. */
    public String strategy() {
        return (String) values.get("strategy");
    }

    /** Top layers trained under top-k (always set then), or null. */
    public Integer unfreezeLayers() {
        return (Integer) values.get("unfreeze-layers");
    }

    public int loraR() {
        return (Integer) values.get("lora-r");
    }

    public double loraAlpha() {
        return (Double) values.get("lora-alpha");
    }

    public double loraDropout() {
        return (Double) values.get("lora-dropout");
    }

    /** LoRA's (or IA3's) target modules, or null for the family's defaults. */
    @SuppressWarnings("unchecked")
    public List<String> loraTargets() {
        return (List<String>) values.get("lora-targets");
    }

    public String loraBias() {
        return (String) values.get("lora-bias");
    }

    public boolean useRslora() {
        return (Boolean) values.get("use-rslora");
    }

    /** Whether the strategy trains a PEFT adapter (lora, ia3), saved in PEFT's format. */
    public boolean adapterStrategy() {
        return strategy().equals("lora") || strategy().equals("ia3");
    }

    public double layerDecay() {
        return (Double) values.get("layer-decay");
    }

    /** How often one more layer is unfrozen (set under gradual and ulmfit), or null. */
    public Interval unfreezeEvery() {
        return (Interval) values.get("unfreeze-every");
    }

    /** Token noise; {@link Augment#NONE} when not set. */
    public Augment augment() {
        Augment a = (Augment) values.get("augment");
        return a == null ? Augment.NONE : a;
    }

    /** Target-domain text files resolved against data-dir (empty when unset). */
    public List<Path> domainText() {
        return files("domain-text");
    }

    /** The DANN weight lambda, or null for plain fine-tuning. */
    public Double domainAdversarial() {
        return (Double) values.get("domain-adversarial");
    }

    /** The run directories to distill from (as written: relative to the working directory); empty when unset. */
    @SuppressWarnings("unchecked")
    public List<Path> teachers() {
        List<String> names = (List<String>) values.get("teacher");
        return names == null ? List.of() : names.stream().map(Path::of).toList();
    }

    /** Whether this run distills from teachers instead of learning the labels alone. */
    public boolean distills() {
        return !teachers().isEmpty();
    }

    /** {@code student-layers} as written (a count or a list of layer indices, checked), or null. */
    public String studentLayers() {
        return (String) values.get("student-layers");
    }

    public double distillTemperature() {
        return (Double) values.get("distill-temperature");
    }

    public double distillAlpha() {
        return (Double) values.get("distill-alpha");
    }

    /** Whether the student's hidden states also learn the teacher's ({@code distill-hidden}). */
    public boolean distillHidden() {
        return (Boolean) values.get("distill-hidden");
    }

    public double distillHiddenWeight() {
        return (Double) values.get("distill-hidden-weight");
    }

    /**
     * The teacher layers a shallower student keeps: K evenly spaced ({@code round(i (L - 1) / (K - 1))}, so the
     * first and last always; K = 1 keeps the last), or the listed indices. {@code where} names the setting.
     *
     * @throws UserError when K is more than the teacher has or an index is past its last layer
     */
    public static int[] studentLayers(String text, int teacherLayers, String where) {
        int[] listed = parseLayers(text, where);
        if (!text.contains(",")) {
            int k = listed[0];
            if (k > teacherLayers) {
                throw new UserError(where + ": " + k + " is more layers than the teacher has (" + teacherLayers + ")");
            }
            int[] out = new int[k];
            for (int i = 0; i < k; i++) {
                out[i] = k == 1 ? teacherLayers - 1 : (int) Math.round(i * (teacherLayers - 1) / (double) (k - 1));
            }
            return out;
        }
        for (int i : listed) {
            if (i >= teacherLayers) {
                throw new UserError(where + ": layer " + i + " is past the teacher's last layer (" + (teacherLayers - 1)
                        + "; layers count from 0)");
            }
        }
        return listed;
    }

    /** A count (at least 1) or increasing layer indices (from 0), as written in {@code student-layers}. */
    static int[] parseLayers(String text, String where) {
        String[] parts = text.split(",", -1);
        int[] out = new int[parts.length];
        for (int i = 0; i < parts.length; i++) {
            try {
                out[i] = Integer.parseInt(parts[i].strip());
            } catch (NumberFormatException e) {
                throw new UserError(where + ": '" + text + "' is not a layer count or a list of layer indices"
                        + " (e.g. 3, or 0,2,4)");
            }
        }
        if (parts.length == 1 && out[0] < 1) {
            throw new UserError(where + ": " + out[0] + " keeps no layer; give 1 or more (or a list such as 0,2,4)");
        }
        for (int i = 0; i < out.length; i++) {
            if (parts.length > 1 && (out[i] < 0 || (i > 0 && out[i] <= out[i - 1]))) {
                throw new UserError(where + ": '" + text + "' must list layer indices from 0 in increasing order");
            }
        }
        return out;
    }

    public boolean cacheFeatures() {
        return (Boolean) values.get("cache-features");
    }

    public Path out() {
        return (Path) values.get("out");
    }

    /** One of auto, iob2, iob1, bioes, bilou (token-classification). */
    public String tagScheme() {
        return (String) values.get("tag-scheme");
    }

    /** What a validation or test tag that is not a label becomes: {@code error} or {@code O} (token-classification). */
    public String unknownTags() {
        return (String) values.get("unknown-tags");
    }

    /** Whether every word piece carries its word's label in the loss, not only the first (token-classification). */
    public boolean labelAllTokens() {
        return (Boolean) values.get("label-all-tokens");
    }

    /** Whether entities are scored in seqeval's strict mode (token-classification, iob2 and bioes). */
    public boolean strict() {
        return (Boolean) values.get("strict");
    }

    public int docStride() {
        return (Integer) values.get("doc-stride");
    }

    public int maxQueryLength() {
        return (Integer) values.get("max-query-length");
    }

    public int maxAnswerLength() {
        return (Integer) values.get("max-answer-length");
    }

    public int nBest() {
        return (Integer) values.get("n-best");
    }

    public double nullThreshold() {
        return (Double) values.get("null-threshold");
    }

    public boolean version2() {
        return (Boolean) values.get("version-2");
    }

    /**
     * The resolved task as YAML, every key with its value and a comment saying where it came from; loading it
     * again gives the same settings.
     */
    public String toYaml() {
        StringBuilder sb = new StringBuilder("# bert-ft task '" + name() + "'"
                + (file == null ? "" : ", resolved from " + file) + "; each comment says where the value came from.\n");
        for (Key k : keys) {
            sb.append(k.name()).append(": ").append(yaml(values.get(k.name())))
                    .append("  # ").append(provenance.get(k.name())).append('\n');
        }
        return sb.toString();
    }

    @Override
    public String toString() {
        return "TaskSpec" + values;
    }

    private Path resolve(String key) {
        Path p = (Path) values.get(key);
        return p == null ? null : dataDir().resolve(p);
    }

    /** The files a list key names, resolved against data-dir; empty when unset. */
    @SuppressWarnings("unchecked")
    private List<Path> files(String key) {
        List<String> names = (List<String>) values.get(key);
        return names == null ? List.of() : names.stream().map(f -> dataDir().resolve(f)).toList();
    }

    private static String yaml(Object v) {
        if (v == null) {
            return "null";
        }
        if (v instanceof Double d) {
            return Values.number(d);
        }
        if (v instanceof Number || v instanceof Boolean) {
            return v.toString();
        }
        DumperOptions options = new DumperOptions();
        options.setDefaultFlowStyle(DumperOptions.FlowStyle.FLOW);
        options.setWidth(Integer.MAX_VALUE);
        options.setSplitLines(false);
        return new Yaml(options).dump(plain(v)).strip();
    }

    /** The value as plain strings, numbers, lists and maps, which SnakeYAML writes without tags. */
    private static Object plain(Object v) {
        if (v instanceof SentimentMap m) {
            Map<String, Object> out = new LinkedHashMap<>();
            m.polarities().forEach((name, ratings) ->
                    out.put(name, ratings.stream().map(TaskSpec::plainNumber).toList()));
            return out;
        }
        if (v instanceof EarlyStopping e) {
            Map<String, Object> out = new LinkedHashMap<>();
            out.put("metric", e.metric());
            out.put("patience", e.patience());
            out.put("mode", e.mode());
            return out;
        }
        if (v instanceof Augment a) {
            Map<String, Object> out = new LinkedHashMap<>();
            out.put("token-dropout", plainNumber(a.tokenDropout()));
            out.put("token-mask", plainNumber(a.tokenMask()));
            return out;
        }
        return v instanceof List ? v : v.toString();
    }

    /** An integral double as a long, so ratings read {@code [1, 2]}, not {@code [1.0, 2.0]}. */
    private static Object plainNumber(double d) {
        return d == Math.rint(d) && Math.abs(d) < 1e15 ? (Object) (long) d : (Object) d;
    }
}
