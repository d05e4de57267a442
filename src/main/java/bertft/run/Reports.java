package bertft.run;

import bertft.AtomicFiles;
import bertft.Sha256;
import bertft.UserError;
import bertft.Version;
import bertft.report.HtmlReport;
import bertft.task.TaskSpec;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import com.google.gson.JsonPrimitive;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;

/** What a run writes besides the model: config extras, task.yaml with provenance, report.json, .md and .html. */
public final class Reports {
    private Reports() {}

    /** HuggingFace config keys for the head (id2label, label2id, problem_type) and bert-ft's task settings. */
    public static JsonObject configExtra(TaskSpec spec, List<String> labels) {
        JsonObject o = new JsonObject();
        if (spec.task() != TaskSpec.Kind.QA) {
            JsonObject id2label = new JsonObject();
            JsonObject label2id = new JsonObject();
            for (int i = 0; i < labels.size(); i++) {
                id2label.addProperty(Integer.toString(i), labels.get(i));
                label2id.addProperty(labels.get(i), i);
            }
            o.add("id2label", id2label);
            o.add("label2id", label2id);
            if (spec.task() != TaskSpec.Kind.TOKEN_CLASSIFICATION) {
                o.addProperty("problem_type", TaskData.objective(spec.task()).problemType);
            }
        }
        JsonObject task = RunConfig.write(spec);
        o.add("bert_ft_task", task);
        return o;
    }

    /** The resolved task with its provenance, as the run's {@code task.yaml}. */
    public static void writeTask(TaskSpec spec, Path out, Path modelDir) {
        StringBuilder sb = new StringBuilder();
        sb.append("# Resolved by bert-ft ").append(Version.get()).append(" at ").append(Instant.now()).append('\n');
        sb.append("# model: ").append(modelDir.toAbsolutePath()).append(" (model.safetensors sha256 ")
                .append(sha256(modelDir.resolve("model.safetensors"))).append(")\n");
        List<Path> data = new java.util.ArrayList<>(spec.train());
        data.add(spec.validation());
        data.add(spec.test());
        data.addAll(spec.text());
        data.addAll(spec.domainText());
        for (Path p : data) {
            if (p != null && Files.exists(p)) {
                sb.append("# data: ").append(p).append(" sha256 ").append(sha256(p)).append('\n');
            }
        }
        sb.append("# where each value came from:\n");
        spec.provenance().forEach((k, v) -> sb.append("#   ").append(k).append(": ").append(v).append('\n'));
        sb.append(spec.toYaml());
        AtomicFiles.writeString(out.resolve("task.yaml"), sb.toString());
    }

    /**
     * report.json, report.md and report.html of a finished run; {@code extra} adds top-level entries (baseline,
     * provenance, train_label_distribution, validation_data, test_data) and may be null. The HTML also reads the
     * run's {@code metrics.jsonl} when {@code out} has one. Returns what report.json holds.
     */
    public static JsonObject write(TaskSpec spec, Path out, JsonObject training, JsonObject validation, JsonObject test,
            JsonObject extra) {
        JsonObject report = new JsonObject();
        report.addProperty("task", spec.name());
        report.addProperty("kind", spec.task().toString());
        report.addProperty("model", out.toString());
        report.add("training", training);
        if (validation != null) {
            report.add("validation", validation);
        }
        if (test != null) {
            report.add("test", test);
        }
        if (extra != null) {
            extra.entrySet().forEach(e -> report.add(e.getKey(), e.getValue()));
        }
        AtomicFiles.writeString(out.resolve("report.json"), new GsonBuilder().setPrettyPrinting().serializeSpecialFloatingPointValues()
                .disableHtmlEscaping().create().toJson(report));
        AtomicFiles.writeString(out.resolve("report.md"), markdown(spec, report));
        AtomicFiles.writeString(out.resolve("report.html"), HtmlReport.render(report, readLog(out.resolve("metrics.jsonl"))));
        return report;
    }

    /**
     * What {@code bert-ft evaluate} adds to its report: the baseline (trained on {@code baselineTrain}, else on
     * the training file the model's task.yaml names), the training label distribution, the data and provenance.
     */
    public static JsonObject evaluationExtras(TaskSpec spec, Path modelDir, List<String> labels, Path data,
            bertft.data.LabelledData examples, JsonObject report, Path baselineTrain, double seconds) {
        JsonObject extra = new JsonObject();
        extra.addProperty("validation_data", data.toString());
        List<Path> trainFiles = baselineTrain == null ? List.of() : List.of(baselineTrain);
        TaskSpec trainSpec = spec;
        if (trainFiles.isEmpty() && Files.exists(modelDir.resolve("task.yaml"))) {
            try {
                trainSpec = bertft.task.TaskFiles.load(modelDir.resolve("task.yaml"), java.util.Map.of());
                trainFiles = trainSpec.train();
            } catch (RuntimeException e) {
                trainFiles = List.of(); // a task.yaml that no longer resolves: no baseline, said below
            }
        }
        Path missing = trainFiles.stream().filter(f -> !Files.isRegularFile(f)).findFirst().orElse(null);
        if (spec.task() == TaskSpec.Kind.QA || spec.task() == TaskSpec.Kind.TOKEN_CLASSIFICATION) {
            extra.add("baseline", Transfer.baseline(spec, labels, null, java.util.Map.of(), java.util.Map.of(), ""));
        } else if (trainFiles.isEmpty() || missing != null) {
            JsonObject skipped = new JsonObject();
            skipped.addProperty("skipped", "no training data found for it (" + (trainFiles.isEmpty()
                    ? "the model has no task.yaml naming one" : missing + " does not exist")
                    + "); give --baseline-train FILE");
            extra.add("baseline", skipped);
        } else {
            bertft.data.LabelledData train = bertft.data.LabelledData.read(trainSpec, labels, trainFiles);
            if (spec.task() != TaskSpec.Kind.REGRESSION) {
                extra.add("train_label_distribution", Scoring.counts(labels, train.counts()));
            }
            extra.add("baseline", Transfer.baseline(spec, labels, train, java.util.Map.of("validation", examples),
                    java.util.Map.of("validation", report), modelDir.toString()));
        }
        extra.add("provenance", Provenance.of(spec, false, modelDir, seconds, Provenance.files(trainFiles, data)));
        return extra;
    }

    /**
     * {@code o}'s field {@code key} as a number; NaN when {@code o} is not an object or the field is absent or not a
     * number, so a line of another shape in a log is passed over as {@link #readLog} passes over a partial one.
     */
    public static double number(JsonElement o, String key) {
        return o instanceof JsonObject x && x.get(key) instanceof JsonPrimitive p && p.isNumber() ? p.getAsDouble()
                : Double.NaN;
    }

    /** The records of a metrics.jsonl (none when there is no such file; unreadable lines are skipped). */
    public static List<JsonObject> readLog(Path file) {
        List<JsonObject> out = new java.util.ArrayList<>();
        if (!Files.exists(file)) {
            return out;
        }
        try {
            for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
                try {
                    out.add(JsonParser.parseString(line).getAsJsonObject());
                } catch (RuntimeException e) {
                    // a run killed mid-write leaves a partial last line: the curves just end earlier
                }
            }
        } catch (IOException e) {
            throw new UserError(file + ": cannot read: " + e.getMessage());
        }
        return out;
    }

    static String markdown(TaskSpec spec, JsonObject report) {
        StringBuilder sb = new StringBuilder("# ").append(spec.name()).append(" (").append(spec.task()).append(")\n\n");
        JsonObject t = report.getAsJsonObject("training");
        if (t != null) {
            sb.append("Training: ");
            t.entrySet().forEach(e -> sb.append(e.getKey()).append(' ').append(format(e.getValue())).append(", "));
            sb.setLength(sb.length() - 2);
            sb.append("\n\n");
        }
        for (String split : List.of("validation", "test")) {
            JsonObject r = report.getAsJsonObject(split);
            if (r == null) {
                continue;
            }
            sb.append("## ").append(split).append("\n\n| metric | value |\n|---|---|\n");
            Scoring.summary(r).forEach((k, v) -> sb.append("| ").append(k).append(" | ").append(fmt(v)).append(" |\n"));
            sb.append('\n');
            Markdown.details(r, sb, report.getAsJsonObject("train_label_distribution"));
        }
        Markdown.baseline(report.getAsJsonObject("baseline"), sb);
        if (report.has("distillation")) {
            JsonObject d = report.getAsJsonObject("distillation");
            sb.append("## Distillation\n\n| ").append(String.join(" | ", HtmlReport.distillationHeader(d)))
                    .append(" |\n|").append("---|".repeat(HtmlReport.distillationHeader(d).size())).append('\n');
            HtmlReport.distillationRows(d).forEach(r -> sb.append("| ").append(String.join(" | ", r)).append(" |\n"));
            sb.append('\n').append(HtmlReport.distillationNote(d)).append("\n\n");
        }
        Markdown.provenance(report.getAsJsonObject("provenance"), sb);
        return sb.toString();
    }

    static String format(JsonElement e) {
        if (e.isJsonObject()) { // setfit's pair counts and head: (pairs 144, head logistic, ...)
            StringBuilder sb = new StringBuilder("(");
            e.getAsJsonObject().entrySet().forEach(x -> sb.append(sb.length() > 1 ? ", " : "").append(x.getKey())
                    .append(' ').append(format(x.getValue())));
            return sb.append(')').toString();
        }
        return e.isJsonPrimitive() && e.getAsJsonPrimitive().isNumber() ? fmt(e.getAsDouble()) : e.getAsString();
    }

    public static String fmt(double v) {
        return v == Math.rint(v) && Math.abs(v) < 1e15 ? Long.toString((long) v) : String.format("%.4f", v);
    }

    /** Hashes already taken in this process, by file, size and modification time (a run hashes its data at the
     * start for task.yaml and again for the report; compare hashes the same files for every run). */
    private static final java.util.Map<String, String> HASHES = new java.util.concurrent.ConcurrentHashMap<>();

    static String sha256(Path file) {
        try {
            String key = file.toAbsolutePath().normalize() + "|" + Files.size(file) + "|"
                    + Files.getLastModifiedTime(file);
            String known = HASHES.get(key);
            if (known == null) {
                known = Sha256.of(file);
                HASHES.put(key, known);
            }
            return known;
        } catch (IOException e) {
            return "unreadable";
        }
    }
}
