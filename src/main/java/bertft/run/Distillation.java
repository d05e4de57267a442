package bertft.run;

import ai.djl.huggingface.tokenizers.Encoding;
import ai.djl.ndarray.NDManager;
import bertft.UserError;
import bertft.data.Batcher;
import bertft.data.Example;
import bertft.data.Features;
import bertft.data.LabelledData;
import bertft.infer.InferenceRuntime;
import bertft.model.Checkpoint;
import bertft.model.Objective;
import bertft.model.TaskModel;
import bertft.model.Torch;
import bertft.task.TaskSpec;
import bertft.text.BertTokenizer;
import bertft.train.DistillObjective;
import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * {@code bert-ft distill}'s teachers: fine-tuned runs of the same task, checked before anything is written; their
 * outputs on the training examples and the transfer texts computed once (tables: each teacher with its own tokenizer;
 * QA and tags: on the student's windows), kept on disk by {@link TeacherCache} for later runs, and averaged over an
 * ensemble; their validation scores, sizes and speed for the report beside the student's; and distill-hidden's
 * {@link bertft.train.HiddenMatch}.
 */
final class Distillation {
    /** One teacher run, read once. */
    record Teacher(Path dir, Checkpoint checkpoint) {}

    /** What the student trains on: the labelled examples then the transfer texts, and the teachers' targets. */
    record Lesson(Features train, int labelled, List<float[]> soft, double seconds) {}

    private final TaskSpec spec;
    private final List<Teacher> teachers = new ArrayList<>();
    private final JsonArray models = new JsonArray();
    private double teacherSeconds;
    private int transferTexts;

    private Distillation(TaskSpec spec) {
        this.spec = spec;
    }

    /** Reads every teacher: a run directory with the head of this task's kind. */
    static Distillation open(TaskSpec spec) {
        Distillation d = new Distillation(spec);
        TaskModel.Head head = head(spec.task());
        for (Path dir : spec.teachers()) {
            if (!Files.isRegularFile(dir.resolve("config.json"))) {
                throw new UserError("teacher " + dir + ": not a run directory (no config.json)");
            }
            Checkpoint c = Checkpoint.read(dir);
            if (!TaskModel.hasHead(c, head)) {
                throw new UserError("teacher " + dir + ": has no " + headName(head) + " head (distill needs a run of"
                        + " a " + spec.task() + " task)");
            }
            d.teachers.add(new Teacher(dir, c));
        }
        return d;
    }

    /** The head a teacher (and the student) of this kind of task has. */
    static TaskModel.Head head(TaskSpec.Kind kind) {
        return switch (kind) {
            case QA -> TaskModel.Head.QA;
            case TOKEN_CLASSIFICATION -> TaskModel.Head.TOKEN;
            default -> TaskModel.Head.CLASSIFIER;
        };
    }

    private static String headName(TaskModel.Head head) {
        return switch (head) {
            case QA -> "question-answering";
            case TOKEN -> "token-classification";
            default -> "sequence-classification";
        };
    }

    /** The first teacher (a shallower student is copied from it). */
    Teacher first() {
        return teachers.get(0);
    }

    /** The student that keeps {@code student-layers} of the first teacher's layers. */
    Checkpoint shallowStudent() {
        Checkpoint c = first().checkpoint();
        return c.keepLayers(TaskSpec.studentLayers(spec.studentLayers(), c.config().numHiddenLayers(),
                where("student-layers")));
    }

    /** Where the user set {@code key}, for messages ({@code tasks/x.yaml:3: key} or {@code --key}). */
    private String where(String key) {
        TaskSpec.Origin o = spec.provenance().get(key);
        return switch (o.source()) {
            case FILE -> o.detail() + ": " + key;
            case CLI -> o.detail();
            default -> key;
        };
    }

    /**
     * Each teacher must be a run of this kind of task with these labels, in this order. QA and token-classification
     * teachers read the student's own windows (their targets are per token), so their tokenizer must be the
     * student's ({@code studentTokenizer}: the directory it is read from) and take windows of {@code maxLength}.
     */
    void check(List<String> labels, Path studentTokenizer, int maxLength) {
        Objective want = TaskData.objective(spec.task());
        TaskModel.Head head = head(spec.task());
        for (Teacher t : teachers) {
            JsonObject json = t.checkpoint().config().json();
            if (head == TaskModel.Head.CLASSIFIER) {
                String problem = json.has("problem_type") && !json.get("problem_type").isJsonNull()
                        ? json.get("problem_type").getAsString() : Objective.SINGLE_LABEL.problemType;
                if (!problem.equals(want.problemType)) {
                    throw new UserError("teacher " + t.dir() + ": a " + problem + " model, and this task is "
                            + spec.task() + " (" + want.problemType + ")");
                }
            }
            // spans, tags and hidden states are matched token by token: the teacher reads the student's windows
            boolean sameTokens = head != TaskModel.Head.CLASSIFIER || spec.distillHidden() && t == first();
            if (sameTokens && !BertTokenizer.definition(t.dir()).equals(BertTokenizer.definition(studentTokenizer))) {
                throw new UserError(head != TaskModel.Head.CLASSIFIER
                        ? "teacher " + t.dir() + ": its tokenizer is not the student's (distilling a " + spec.task()
                                + " task needs the same word pieces: a student of the teacher's vocabulary, or"
                                + " student-layers)"
                        : where("distill-hidden") + ": teacher " + t.dir() + " has another tokenizer than the student;"
                                + " hidden states are matched token by token (a student of the teacher's vocabulary,"
                                + " or student-layers)");
            }
            int positions = t.checkpoint().config().maxTokens();
            if (sameTokens && positions < maxLength) {
                throw new UserError("teacher " + t.dir() + ": takes at most " + positions + " tokens, and the"
                        + " student's windows are " + maxLength + " (lower max-length to " + positions + ")");
            }
            if (want == Objective.REGRESSION || head == TaskModel.Head.QA) {
                continue;
            }
            List<String> own = new ArrayList<>();
            JsonObject id2label = json.has("id2label") ? json.getAsJsonObject("id2label") : new JsonObject();
            for (int i = 0; id2label.has(Integer.toString(i)); i++) {
                own.add(id2label.get(Integer.toString(i)).getAsString());
            }
            if (!own.equals(labels)) {
                throw new UserError("teacher " + t.dir() + ": labels " + own + " are not this task's " + labels
                        + " (the same names in the same order are needed)");
            }
        }
    }

    /**
     * The hidden-state loss of {@code distill-hidden} (else null): the first teacher, loaded once more to run on
     * every batch, and the layer of it each of the {@code student}'s layers learns from.
     */
    bertft.train.HiddenMatch hiddenMatch(bertft.model.BertConfig student, NDManager parent) {
        if (!spec.distillHidden()) {
            return null;
        }
        Teacher t = first();
        bertft.model.BertConfig tc = t.checkpoint().config();
        int[] kept = spec.studentLayers() == null ? null
                : TaskSpec.studentLayers(spec.studentLayers(), tc.numHiddenLayers(), where("student-layers"));
        TaskModel model = TaskModel.load(t.checkpoint(), head(spec.task()), t.dir().toString());
        return new bertft.train.HiddenMatch(model, bertft.train.HiddenMatch.mapping(student.numHiddenLayers(),
                tc.numHiddenLayers(), kept), student.hiddenSize(), tc.hiddenSize(), spec.distillHiddenWeight(),
                student.initializerRange(), spec.seed(), parent);
    }

    /** The texts of {@code text} (read as adapt reads them), which only the teachers label. */
    List<String> transferTexts() {
        List<String> docs = new ArrayList<>();
        for (Path f : spec.text()) {
            docs.addAll(bertft.data.Corpus.documents(f, spec));
        }
        transferTexts = docs.size();
        return docs;
    }

    /**
     * The teachers' averaged targets on the training examples (or windows) then {@code docs}, and the student's
     * features of both ({@code tok}); also each teacher's (and, for tables, the ensemble's) validation scores, size and
     * speed for the report. Each teacher's logits are read from {@link TeacherCache} when an earlier run computed
     * them for the same teacher and inputs, and written there when not.
     */
    Lesson teach(TrainJob.Prepared data, List<String> docs, BertTokenizer tok, PrintStream err) {
        long t0 = System.nanoTime();
        DistillObjective.Kind kind = kind(spec.task());
        TaskModel.Head head = head(spec.task());
        boolean table = head == TaskModel.Head.CLASSIFIER;
        Objective objective = TaskData.objective(spec.task());
        LabelledData train = data.trainData();
        LabelledData validation = data.validationData();
        int labelled = data.train().size();
        // the student's inputs: its training features, then the transfer texts
        List<Encoding> enc = new ArrayList<>(data.train().encodings());
        List<float[]> targets = new ArrayList<>(data.train().targets());
        float[] none = new float[targets.isEmpty() ? 1 : targets.get(0).length];
        for (String d : docs) {
            enc.add(tok.encode(d));
            targets.add(none); // no label: the objective gives transfer texts the teachers' loss alone
        }
        int n = enc.size();
        List<List<float[]>> perExample = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            perExample.add(new ArrayList<>());
        }
        List<float[][]> validationScores = new ArrayList<>();
        String metric = spec.task().mainMetric();
        for (Teacher t : teachers) {
            try (TaskModel model = TaskModel.load(t.checkpoint(), head, t.dir().toString())) {
                JsonObject row = row("teacher", t.dir().toString(), t.checkpoint(), t.dir());
                List<String> said = new ArrayList<>();
                if (table) { // each teacher reads the texts with its own tokenizer
                    int maxLength = Math.min(spec.maxLength(), t.checkpoint().config().maxTokens());
                    try (BertTokenizer ttok = BertTokenizer.load(t.dir(), maxLength,
                            t.checkpoint().config().vocabSize())) {
                        List<Encoding> own = new ArrayList<>(n);
                        for (Example e : train.examples()) {
                            own.add(TaskData.encode(ttok, e));
                        }
                        for (String d : docs) {
                            own.add(ttok.encode(d));
                        }
                        float[][] logits = outputs(t, model, own, 0, n + " examples", said, err).rows();
                        for (int i = 0; i < n; i++) {
                            perExample.get(i).add(DistillObjective.soft(kind, logits[i], 0, logits[i].length,
                                    spec.distillTemperature()));
                        }
                        if (validation != null) {
                            Features vf = TaskData.features(validation, ttok);
                            TeacherCache.Entry v = outputs(t, model, vf.encodings(), 0, "validation", said, err);
                            float[][] scores = scores(objective, v.rows());
                            validationScores.add(scores);
                            row.addProperty("validation", score(validation, data.labels(), scores, metric));
                        }
                    }
                } else { // spans and tags: the student's own windows (the same tokenizer, checked)
                    int outputs = data.outputs();
                    float[][] logits = outputs(t, model, enc, outputs, n + " windows", said, err).rows();
                    for (int i = 0; i < n; i++) {
                        perExample.get(i).add(DistillObjective.soft(kind, logits[i], logits[i].length / outputs,
                                outputs, spec.distillTemperature()));
                    }
                    if (spec.validates()) {
                        long v0 = System.nanoTime();
                        Double v = data.evaluator().evaluate(model).metrics().get(metric);
                        said.add(String.format("validation scored in %.1fs", (System.nanoTime() - v0) / 1e9));
                        if (v != null) {
                            row.addProperty("validation", v);
                        }
                    }
                }
                models.add(row);
                err.printf("teacher %s: %s%s%n", t.dir(), String.join("; ", said), row.has("validation")
                        ? String.format(", validation %s %.4f", metric, row.get("validation").getAsDouble()) : "");
            }
        }
        if (teachers.size() > 1 && !validationScores.isEmpty()) {
            float[][] mean = new float[validation.size()][];
            for (int i = 0; i < mean.length; i++) {
                List<float[]> rows = new ArrayList<>();
                for (float[][] s : validationScores) {
                    rows.add(s[i]);
                }
                mean[i] = DistillObjective.mean(rows);
            }
            JsonObject ensemble = new JsonObject();
            ensemble.addProperty("role", "ensemble");
            ensemble.addProperty("model", "mean of the " + teachers.size() + " teachers' " + (objective
                    == Objective.REGRESSION ? "values" : "probabilities"));
            ensemble.addProperty("validation", score(validation, data.labels(), mean, metric));
            models.add(ensemble);
        }
        List<float[]> soft = new ArrayList<>(n);
        for (List<float[]> rows : perExample) {
            soft.add(DistillObjective.mean(rows));
        }
        teacherSeconds = (System.nanoTime() - t0) / 1e9;
        err.printf("teachers' outputs ready for %d %s (%d labelled, %d transfer texts) in %.1fs%n", n,
                table ? "examples" : "windows", labelled, docs.size(), teacherSeconds);
        return new Lesson(new Features(enc, targets), labelled, soft, teacherSeconds);
    }

    /**
     * {@code t}'s logits over {@code inputs}, one row per input (spans and tags: the input's real positions only,
     * (T, outputs) row-major), from the cache when an earlier run computed them, else computed now and cached; what
     * happened is added to {@code said} (a damaged cache file gets a line of its own).
     *
     * @param width outputs per token of spans and tags (0 for a classifier's one row per input)
     */
    private static TeacherCache.Entry outputs(Teacher t, TaskModel model, List<Encoding> inputs, int width,
            String what, List<String> said, PrintStream err) {
        Path file = TeacherCache.location(t.dir(), model.head().name(), inputs);
        long limit = TeacherCache.LIMIT.bytes(); // a bad setting is said before the teacher runs
        try {
            TeacherCache.Entry e = TeacherCache.read(file, inputs.size());
            if (e != null) {
                said.add(String.format("outputs on %s read from %s (computed earlier in %.1fs)", what, file, e.seconds()));
                return e;
            }
        } catch (TeacherCache.Damaged d) {
            err.printf("teacher %s: %s is damaged (%s); computing its outputs again%n", t.dir(), file, d.getMessage());
        }
        long t0 = System.nanoTime();
        Features f = new Features(inputs, List.of());
        float[][] rows = logits(model, f);
        if (width > 0) {
            for (int i = 0; i < rows.length; i++) { // drop the batch's padding: rows are (T, width)
                int positions = 0;
                for (long m : inputs.get(i).getAttentionMask()) {
                    positions += (int) m;
                }
                rows[i] = java.util.Arrays.copyOf(rows[i], positions * width);
            }
        }
        double seconds = (System.nanoTime() - t0) / 1e9;
        PrintWriter log = new PrintWriter(err, true);
        TeacherCache.write(file, rows, seconds, limit, log);
        log.flush();
        said.add(String.format("outputs on %s computed in %.1fs (cached in %s)", what, seconds, file));
        return new TeacherCache.Entry(rows, seconds);
    }

    /** The objective's kind of targets for a classification-style task. */
    static DistillObjective.Kind kind(TaskSpec.Kind kind) {
        return switch (kind) {
            case MULTILABEL -> DistillObjective.Kind.SIGMOID;
            case QA -> DistillObjective.Kind.SPANS;
            case TOKEN_CLASSIFICATION -> DistillObjective.Kind.TOKENS;
            case REGRESSION -> DistillObjective.Kind.VALUE;
            default -> DistillObjective.Kind.CLASSES;
        };
    }

    /** Inference logits (B, C) of every example, in input order. */
    static float[][] logits(TaskModel model, Features f) {
        return Batcher.rowsInOrder(f.lengths(), 64, idx -> {
            try (NDManager m = Torch.newManager()) {
                return model.forward(f.batch(idx, m)).toFloatArray();
            }
        });
    }

    private static float[][] scores(Objective objective, float[][] logits) {
        float[][] out = new float[logits.length][];
        for (int i = 0; i < logits.length; i++) {
            out[i] = objective.scores(logits[i]);
        }
        return out;
    }

    private double score(LabelledData data, List<String> labels, float[][] scores, String metric) {
        Map<String, Double> m = Scoring.table(spec, data, labels, scores).metrics();
        return m.getOrDefault(metric, Double.NaN);
    }

    /**
     * Adds each teacher's and the student's (the last row) validation sentences/s on libtorch and on int8 ONNX,
     * measured together ({@link SpeedCheck}), so the rows compare.
     */
    private void speeds(JsonArray rows, Path student, LabelledData validation, PrintStream err) {
        List<Path> dirs = new ArrayList<>();
        teachers.forEach(t -> dirs.add(t.dir()));
        dirs.add(student);
        PrintWriter log = new PrintWriter(err, true);
        long t0 = System.nanoTime();
        Map<SpeedCheck.Key, Double> speed = SpeedCheck.measure(dirs, List.of(InferenceRuntime.TORCH,
                InferenceRuntime.ONNX_INT8), validation, spec.evalBatchSize(), log);
        log.printf("speeds measured in %.1fs (%d models, warmed, %d rounds in turn)%n", (System.nanoTime() - t0) / 1e9,
                dirs.size(), SpeedCheck.ROUNDS);
        int teacher = 0;
        for (JsonElement e : rows) {
            JsonObject r = e.getAsJsonObject();
            Path dir = switch (r.get("role").getAsString()) {
                case "teacher" -> dirs.get(teacher++);
                case "student" -> student;
                default -> null; // the ensemble: its teachers' rows say its cost
            };
            if (dir != null) {
                Double torch = speed.get(new SpeedCheck.Key(dir, InferenceRuntime.TORCH));
                Double int8 = speed.get(new SpeedCheck.Key(dir, InferenceRuntime.ONNX_INT8));
                if (torch != null) {
                    r.addProperty("sentences_per_s", Math.round(torch * 10) / 10.0);
                }
                if (int8 != null) {
                    r.addProperty("sentences_per_s_int8", Math.round(int8 * 10) / 10.0);
                }
            }
        }
    }

    /** A model's row of the report: role, path, layers, parameters, size of model.safetensors. */
    private static JsonObject row(String role, String name, Checkpoint c, Path dir) {
        JsonObject o = new JsonObject();
        o.addProperty("role", role);
        o.addProperty("model", name);
        o.addProperty("layers", c.config().numHiddenLayers());
        long params = 0;
        for (var t : c.hfWeights().values()) {
            long size = 1;
            for (long d : t.shape()) {
                size *= d;
            }
            params += size;
        }
        o.addProperty("parameters", params);
        try {
            o.addProperty("size_bytes", Files.size(dir.resolve("model.safetensors")));
        } catch (java.io.IOException e) {
            // a sharded or .bin checkpoint: no single file to measure
        }
        return o;
    }

    /**
     * The report's {@code distillation} entry: every teacher (and the ensemble) beside the saved student in
     * {@code out}, whose validation score is {@code student}; retention is the student's score over the best
     * teacher's (the ensemble's, when there is one).
     */
    JsonObject report(Path out, Double student, LabelledData validation, PrintStream err) {
        JsonObject o = new JsonObject();
        o.addProperty("metric", spec.task().mainMetric());
        o.addProperty("temperature", spec.distillTemperature());
        o.addProperty("alpha", spec.distillAlpha());
        o.addProperty("transfer_texts", transferTexts);
        o.addProperty("teacher_outputs_seconds", Math.round(teacherSeconds * 10) / 10.0);
        if (spec.studentLayers() != null) {
            o.addProperty("student_layers", spec.studentLayers());
        }
        JsonArray rows = models.deepCopy();
        Checkpoint saved = Checkpoint.read(out);
        JsonObject s = row("student", out.toString(), saved, out);
        rows.add(s);
        if (validation != null && head(spec.task()) == TaskModel.Head.CLASSIFIER) {
            speeds(rows, out, validation, err);
            o.addProperty("speed_rounds", SpeedCheck.ROUNDS);
        }
        if (student != null) {
            s.addProperty("validation", student);
            double reference = Double.NaN;
            for (JsonElement e : models) {
                JsonObject r = e.getAsJsonObject();
                if (r.has("validation") && (r.get("role").getAsString().equals("ensemble") || Double.isNaN(reference)
                        || r.get("validation").getAsDouble() > reference)) {
                    reference = r.get("validation").getAsDouble();
                }
            }
            if (!Double.isNaN(reference) && reference != 0) {
                o.addProperty("retention", student / reference);
            }
        }
        o.add("models", rows);
        return o;
    }
}
