package bertft.task;

import bertft.TextFiles;
import bertft.UserError;
import bertft.task.TaskSpec.Kind;
import bertft.task.TaskSpec.Origin;
import bertft.task.TaskSpec.Source;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.yaml.snakeyaml.nodes.Node;
import org.yaml.snakeyaml.nodes.NodeTuple;

/** Reads a task file and command-line overrides into a checked {@link TaskSpec}. */
public final class TaskFiles {
    private TaskFiles() {}

    /**
     * Loads {@code yaml} (may be null: options only) with {@code cliOverrides} on top.
     *
     * <p>Overrides map a key, with or without the leading {@code --}, to the text the user typed; they are
     * parsed like task-file values and win over them. Precedence: command line, file, strategy preset, default.
     *
     * @throws UserError naming the file and line, or the option, of the first mistake
     */
    public static TaskSpec load(Path yaml, Map<String, String> cliOverrides) {
        return load(yaml, cliOverrides, Keys.TRAIN, false);
    }

    /**
     * As {@link #load}, for the library: {@code settings} are task keys a program set, and messages name them as keys
     * ({@code epochs: must be > 0}, {@code unknown key 'x'}), not as command-line options.
     */
    public static TaskSpec loadSettings(Path yaml, Map<String, String> settings) {
        return load(yaml, settings, Keys.TRAIN, true);
    }

    /** As {@link #load}, for {@code bert-ft adapt}: its own keys, no {@code task}, at least one {@code text} file. */
    public static TaskSpec loadAdapt(Path yaml, Map<String, String> cliOverrides) {
        return load(yaml, cliOverrides, Keys.ADAPT, false);
    }

    /** {@code api}: the overrides come from a program (named as keys), not from the command line (as options). */
    private static TaskSpec load(Path yaml, Map<String, String> cliOverrides, List<Key> keys, boolean api) {
        String fileName = yaml == null ? null : yaml.toString();
        Map<String, Object> set = new LinkedHashMap<>();
        Map<String, Origin> origins = new LinkedHashMap<>();
        if (yaml != null) {
            Node root = Values.compose(read(yaml), fileName);
            if (root == null) {
                throw new UserError(fileName + ": empty task file (it needs at least 'task:' and 'train:')");
            }
            Values.Where document = new Values.Where(fileName, null);
            for (Map.Entry<String, NodeTuple> e : Values.mapping(root, document, Keys.names(keys)).entrySet()) {
                Key key = Keys.get(e.getKey());
                Object v = Values.parse(key, e.getValue().getValueNode(), new Values.Where(fileName, key.name()));
                if (v != null) {
                    set.put(key.name(), v);
                    origins.put(key.name(), new Origin(Source.FILE,
                            fileName + ":" + Values.line(e.getValue().getKeyNode())));
                }
            }
        }
        for (Map.Entry<String, String> e : cliOverrides.entrySet()) {
            String name = e.getKey().startsWith("--") ? e.getKey().substring(2) : e.getKey();
            Key key = keys.stream().filter(k -> k.name().equals(name)).findFirst().orElse(null);
            String dash = api ? "" : "--";
            if (key == null) {
                String near = Keys.nearest(name, Keys.names(keys));
                throw new UserError("unknown " + (api ? "key" : "option") + " '" + dash + name + "'"
                        + (near == null ? "" : " (did you mean '" + dash + near + "'?)"));
            }
            set.put(name, Values.parseText(key, e.getValue(), new Values.Where(null, name, dash + name)));
            origins.put(name, new Origin(Source.CLI, dash + name));
        }
        return new Resolver(yaml, keys, set, origins, api).resolve();
    }

    /** Fills presets and defaults into the explicit settings, then checks the settings against each other. */
    private static final class Resolver {
        private final Path yaml;
        private final List<Key> keys;
        private final Map<String, Object> values = new LinkedHashMap<>();
        private final Map<String, Origin> origins;
        private final boolean api;

        Resolver(Path yaml, List<Key> keys, Map<String, Object> set, Map<String, Origin> origins, boolean api) {
            this.api = api;
            this.yaml = yaml;
            this.keys = keys;
            this.values.putAll(set);
            this.origins = new LinkedHashMap<>(origins);
        }

        TaskSpec resolve() {
            String strategy = (String) values.getOrDefault("strategy", Keys.get("strategy").defaultText());
            Map<String, String> preset = Keys.PRESETS.getOrDefault(strategy, Map.of());
            Map<String, Object> resolved = new LinkedHashMap<>();
            Map<String, Origin> provenance = new LinkedHashMap<>();
            for (Key k : keys) {
                String n = k.name();
                if (values.containsKey(n)) {
                    resolved.put(n, values.get(n));
                    provenance.put(n, origins.get(n));
                } else if (preset.containsKey(n)) {
                    resolved.put(n, Values.parseText(k, preset.get(n), new Values.Where(null, n)));
                    provenance.put(n, new Origin(Source.PRESET, "strategy " + strategy));
                } else {
                    resolved.put(n, defaultValue(k, resolved));
                    provenance.put(n, new Origin(Source.DEFAULT, ""));
                }
                if (n.equals("name")) {
                    origins.put(n, provenance.get(n));
                    checkName((String) resolved.get(n));
                }
            }
            values.clear();
            values.putAll(resolved);
            origins.putAll(provenance);
            if (keys == Keys.ADAPT) {
                checkAdapt();
            } else {
                check();
            }
            provenance.replaceAll((k, v) -> origins.getOrDefault(k, v)); // a check may say where a value came from
            return new TaskSpec(yaml, keys, values, provenance);
        }

        /** The name becomes a directory under runs/: one plain path component, never a way out of runs/. */
        private void checkName(String name) {
            if (name.equals(".") || name.equals("..") || name.contains("/") || name.contains("\\")
                    || name.chars().anyMatch(Character::isISOControl)) {
                throw error("name", "'" + name.replaceAll("\\p{Cntrl}", "?") + "' is not a name: it names the "
                        + "directory under runs/, so no '/', '\\', '..' or control characters (set 'out' to choose "
                        + "another directory)");
            }
        }

        private Object defaultValue(Key k, Map<String, Object> resolved) {
            if (k.defaultText() == null) {
                return null;
            }
            return switch (k.defaultText()) {
                case Keys.FILE_NAME -> yaml == null ? (keys == Keys.ADAPT ? "adapt" : "task")
                        : yaml.getFileName().toString().replaceFirst("\\.ya?ml$", "");
                case Keys.RUNS_NAME -> Path.of("runs", (String) resolved.get("name"));
                default -> Values.parseText(k, k.defaultText(), new Values.Where(null, k.name()));
            };
        }

        /** Each file a list key names must be a valid path (they are resolved against data-dir when read). */
        private void checkFiles(String... fileKeys) {
            for (String key : fileKeys) {
                List<?> names = (List<?>) values.get(key);
                for (Object name : names == null ? List.of() : names) {
                    Values.path((String) name, where(yaml, key, origins.get(key)));
                }
            }
        }

        private void checkAdapt() {
            if (values.get("text") == null || ((List<?>) values.get("text")).isEmpty()) {
                throw new UserError((yaml == null ? (api ? "missing key 'text'" : "missing option --text")
                        : yaml + ": missing key 'text'")
                        + " (the unlabelled text files to adapt on)");
            }
            checkFiles("text");
            if (((Interval) values.get("eval-every")).unit() == Interval.Unit.AUTO) {
                throw error("eval-every", "'auto' is only for unfreeze-every; use 'epoch' or a number of steps");
            }
        }

        private void check() {
            if (values.get("task") == null) {
                Key task = Keys.get("task");
                throw new UserError((yaml == null ? (api ? "missing key 'task'" : "missing option --task")
                        : yaml + ": missing key 'task'")
                        + " (one of " + task.allowed() + ")");
            }
            Kind kind = Kind.parse((String) values.get("task"));
            values.put("task", kind);
            checkFiles("train", "domain-text", "text", "teacher");
            checkDistill(kind);
            if (values.get("strategy").equals("top-k") && values.get("unfreeze-layers") == null) {
                throw error("strategy", "top-k needs unfreeze-layers (how many top layers to train)");
            }
            if (((Interval) values.get("eval-every")).unit() == Interval.Unit.AUTO) {
                throw error("eval-every", "'auto' is only for unfreeze-every; use 'epoch' or a number of steps");
            }
            if (kind == Kind.SENTIMENT && values.get("labels") != null) {
                List<?> labels = (List<?>) values.get("labels");
                for (String polarity : ((SentimentMap) values.get("sentiment-map")).names()) {
                    if (!labels.contains(polarity)) {
                        throw error("sentiment-map", "polarity '" + polarity + "' is not one of the labels " + labels);
                    }
                }
            }
            if (values.get("domain-adversarial") != null) {
                if (values.get("domain-text") == null) {
                    throw error("domain-adversarial", "needs domain-text (the unlabelled target-domain text files)");
                }
                if (values.get("strategy").equals("frozen")) {
                    throw error("domain-adversarial", "does nothing with strategy frozen: the encoder must train to"
                            + " make the domains indistinguishable (use full, top-k, llrd, gradual or ulmfit)");
                }
                if (kind == Kind.QA || kind == Kind.TOKEN_CLASSIFICATION) {
                    throw error("domain-adversarial", "is for classification-style tasks, not " + kind);
                }
                Integer micro = (Integer) values.get("micro-batch-size");
                if (micro != null && micro < (Integer) values.get("batch-size")) {
                    throw error("micro-batch-size", "cannot split batches with domain-adversarial (each source batch"
                            + " meets a target batch of its size); lower batch-size instead");
                }
            }
            boolean spans = kind == Kind.QA;
            if ((spans || kind == Kind.TOKEN_CLASSIFICATION) && !"utf-8".equals(values.get("encoding"))) {
                throw error("encoding", "is for table tasks; " + kind + " files are read as UTF-8 (re-save as UTF-8)");
            }
            if (spans && values.get("validation-split") != null) {
                throw error("validation-split", "is for table tasks; give " + kind + " a validation file");
            }
            if (values.get("test-split") != null && (spans || values.get("test") != null)) {
                throw error("test-split", spans ? "is for table tasks; give " + kind + " a test file"
                        : "and test are both set; keep one");
            }
            if (values.get("check-split") != null && (spans || values.get("test") != null
                    || values.get("test-split") != null)) {
                throw error("check-split", spans ? "is for table tasks; give " + kind + " a test file"
                        : "and " + (values.get("test") != null ? "test" : "test-split") + " are both set; keep one"
                        + " (either is the check set)");
            }
            if (kind == Kind.TOKEN_CLASSIFICATION) {
                checkTokenTask();
            }
            if (values.get("train-per-class") != null && kind != Kind.CLASSIFICATION && kind != Kind.SENTIMENT) {
                throw error("train-per-class", "draws examples per class, for classification and sentiment tasks,"
                        + " not " + kind);
            }
            if (values.get("strategy").equals("setfit")) {
                checkSetFit(kind);
            }
            if (kind == Kind.QA) {
                int window = (Integer) values.get("max-length") - (Integer) values.get("max-query-length") - 3;
                if ((Integer) values.get("doc-stride") >= window) {
                    throw error("doc-stride", values.get("doc-stride") + " must be less than max-length - "
                            + "max-query-length - 3 = " + window + " (the context tokens per window)");
                }
            }
            EarlyStopping es = (EarlyStopping) values.get("early-stopping");
            if (es != null) {
                String metric = es.metric() == null ? kind.mainMetric() : es.metric();
                if (!kind.metrics().contains(metric)) {
                    throw error("early-stopping", "metric '" + metric + "' is not one of " + kind.metrics()
                            + " (task " + kind + ")");
                }
                if (values.get("validation") == null && values.get("validation-split") == null) {
                    throw error("early-stopping", "needs a validation file (set validation or validation-split)");
                }
                String mode = es.mode() != null ? es.mode() : Kind.lowerIsBetter(metric) ? "min" : "max";
                values.put("early-stopping", new EarlyStopping(metric, es.patience(), mode));
            }
        }

        /**
         * Distillation's keys: the transfer texts and students only with a teacher; one way to name the student
         * (which becomes the model trained); what it cannot combine with said here, before anything runs.
         */
        private void checkDistill(Kind kind) {
            boolean teacher = values.get("teacher") != null && !((List<?>) values.get("teacher")).isEmpty();
            if (!teacher && Boolean.TRUE.equals(values.get("distill-hidden"))) {
                throw error("distill-hidden", "is for distillation; set teacher (the fine-tuned run to distill from)");
            }
            for (String key : List.of("text", "student", "student-layers")) {
                if (!teacher && values.get(key) != null) {
                    throw error(key, "is for distillation; set teacher (the fine-tuned run to distill from)"
                            + (key.equals("text") ? ", or use the text with bert-ft adapt" : ""));
                }
            }
            if (!teacher) {
                return;
            }
            if (kind == Kind.QA && values.get("text") != null) {
                throw error("text", "transfer texts have no questions to answer; a qa task distills on its training"
                        + " questions alone (drop text)");
            }
            if (values.get("student") != null && values.get("student-layers") != null) {
                throw error("student-layers", "and student are both set; keep one");
            }
            if (values.get("student-layers") != null) {
                TaskSpec.parseLayers((String) values.get("student-layers"),
                        where(yaml, "student-layers", origins.get("student-layers")));
            }
            if (values.get("student") != null) {
                values.put("model", values.get("student"));
                origins.put("model", origins.get("student"));
            }
            for (String key : List.of("domain-adversarial", "augment")) {
                if (values.get(key) != null) {
                    throw error(key, "does not combine with distillation (teacher); drop one");
                }
            }
            if (!values.get("class-weights").equals("none")) {
                throw error("class-weights", "is not applied by distillation (teacher); drop it");
            }
        }

        /**
         * A sentence longer than max-length is cut into windows that overlap by doc-stride pieces; left at its
         * default (QA's 128 tokens of context), the stride is half a window here. Strict scoring needs a scheme
         * that marks where entities begin and end (seqeval's strict mode has no IOB1 or BILOU).
         */
        private void checkTokenTask() {
            int room = (Integer) values.get("max-length") - 2;
            if (origins.get("doc-stride").source() == Source.DEFAULT) {
                values.put("doc-stride", room / 2);
            } else if ((Integer) values.get("doc-stride") >= room) {
                throw error("doc-stride", values.get("doc-stride") + " must be less than max-length - 2 = " + room
                        + " (the word pieces per window)");
            }
            if (values.get("augment") != null) {
                throw error("augment", "is for classification-style tasks, not token-classification");
            }
            String scheme = (String) values.get("tag-scheme");
            if ((Boolean) values.get("strict") && (scheme.equals("iob1") || scheme.equals("bilou"))) {
                throw error("strict", "scores iob2 and bioes tags only (seqeval's strict mode), not " + scheme);
            }
        }

        /**
         * SetFit learns sentence embeddings from pairs of labelled texts, then a classifier over them: it needs
         * classes (not spans, tags or values) and a head that reads the pooled vector directly.
         */
        private void checkSetFit(Kind kind) {
            if (kind != Kind.CLASSIFICATION && kind != Kind.SENTIMENT && kind != Kind.MULTILABEL) {
                throw error("strategy", "setfit is for classification, sentiment and multilabel tasks, not " + kind);
            }
            if (values.get("pooling").equals("pooler")) {
                throw error("pooling", "pooler puts a dense layer between the sentence embedding and SetFit's head;"
                        + " use sentence (setfit's default), mean or cls");
            }
            if (values.get("domain-adversarial") != null) {
                throw error("domain-adversarial", "does not combine with strategy setfit");
            }
        }

        /** An error about {@code key}, placed where the user set it. */
        private UserError error(String key, String message) {
            return new UserError(where(yaml, key, origins.get(key)) + ": " + message);
        }
    }

    /** Where the user set {@code key} ({@code tasks/x.yaml:3: key} or {@code --key}), for messages. */
    static String where(Path yaml, String key, Origin o) {
        return switch (o.source()) {
            case FILE -> o.detail() + ": " + key;
            case CLI -> o.detail(); // --key, or key when a program set it
            default -> (yaml == null ? "" : yaml + ": ") + key;
        };
    }

    private static String read(Path yaml) {
        try {
            byte[] bytes;
            try (java.io.InputStream in = Files.newInputStream(yaml)) {
                bytes = in.readNBytes((int) TextFiles.TASK_FILE + 1);
            }
            if (bytes.length > TextFiles.TASK_FILE) {
                throw new UserError(yaml + ": larger than " + TextFiles.mib(TextFiles.TASK_FILE) + ", the limit for a "
                        + "task file (is it the data file?)");
            }
            return StandardCharsets.UTF_8.newDecoder().decode(ByteBuffer.wrap(bytes)).toString();
        } catch (NoSuchFileException e) {
            throw new UserError(yaml + ": no such task file");
        } catch (CharacterCodingException e) {
            throw new UserError(yaml + ": not valid UTF-8 (re-save it as UTF-8)");
        } catch (IOException e) {
            throw new UserError(yaml + ": cannot read: " + e.getMessage());
        }
    }
}
