package bertft.run;

import bertft.AtomicFiles;
import bertft.UserError;
import bertft.Version;
import bertft.hub.HubId;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.yaml.snakeyaml.DumperOptions;
import org.yaml.snakeyaml.Yaml;

/**
 * A run's {@code README.md} in the Hub's model-card format: YAML front matter ({@code library_name},
 * {@code base_model}, {@code pipeline_tag}, {@code tags}, {@code metrics}, a {@code model-index} with every
 * validation, test and {@code evaluate} result so the Hub shows them), then what the model is, its labels, how it
 * was trained, its scores, time and hardware, data provenance (file names and hashes), how to use it, and limits.
 *
 * <p>It is rendered from what the run directory holds: {@code config.json}, {@code report.json} and the
 * {@code report.json} of each {@code eval-*} directory in it, so {@code train} and {@code evaluate} write the same
 * card for the same results. A card without the {@link #MARK} line was edited by hand, and is left alone.
 */
public final class ModelCard {
    public static final String FILE = "README.md";
    /** The line that says bert-ft may rewrite the card; delete it to keep a card edited by hand as it is. */
    public static final String MARK = "<!-- written by bert-ft; `bert-ft evaluate` adds its results here."
            + " Delete this line to keep your own edits. -->";

    /** Report numbers that are no score to show on the Hub: the loss and the example count. */
    private static final Set<String> NOT_SCORES = Set.of("loss", "n");

    private ModelCard() {}

    /** One set of results: which split or file, the metrics, and (for evaluate) the data file. */
    record Result(String split, String data, Map<String, Double> metrics) {}

    /**
     * Writes the card of the run in {@code runDir}, with {@code extraEvaluation} (an evaluate report directory
     * outside the run, or null) among its results; returns false (and writes nothing) when the card was edited.
     */
    public static boolean write(Path runDir, Path extraEvaluation) {
        Path file = runDir.resolve(FILE);
        try {
            if (Files.exists(file) && !Files.readString(file, StandardCharsets.UTF_8).contains(MARK)) {
                return false;
            }
        } catch (IOException e) {
            throw new UserError(file + ": cannot read: " + e.getMessage());
        }
        AtomicFiles.writeString(file, render(runDir, extraEvaluation));
        return true;
    }

    /** The card's text. */
    static String render(Path runDir, Path extraEvaluation) {
        JsonObject config = json(runDir.resolve("config.json"));
        JsonObject report = json(runDir.resolve("report.json"));
        if (config == null || report == null) {
            throw new UserError(runDir + ": has no config.json and report.json; a model card needs a finished run");
        }
        List<Result> results = new ArrayList<>();
        for (String split : List.of("validation", "test")) {
            if (report.has(split)) {
                results.add(new Result(split, fileName(report, split + "_data"), Scoring.summary(report
                        .getAsJsonObject(split))));
            }
        }
        Set<Path> evals = new LinkedHashSet<>(evaluations(runDir));
        if (extraEvaluation != null) {
            evals.add(extraEvaluation.toAbsolutePath().normalize());
        }
        for (Path dir : evals) {
            JsonObject e = json(dir.resolve("report.json"));
            if (e != null && e.has("validation")) {
                String data = fileName(e, "validation_data");
                results.add(new Result("evaluate " + data, data, Scoring.summary(e.getAsJsonObject("validation"))));
            }
        }
        return "---\n" + frontMatter(runDir, config, report, results) + "---\n" + MARK + "\n\n"
                + body(runDir, config, report, results);
    }

    /** The eval-* report directories of a run, sorted by name. */
    private static List<Path> evaluations(Path runDir) {
        List<Path> out = new ArrayList<>();
        try (DirectoryStream<Path> s = Files.newDirectoryStream(runDir, "eval-*")) {
            s.forEach(p -> {
                if (Files.isRegularFile(p.resolve("report.json"))) {
                    out.add(p.toAbsolutePath().normalize());
                }
            });
        } catch (IOException e) {
            // no evaluations to show
        }
        out.sort(null);
        return out;
    }

    private static String frontMatter(Path runDir, JsonObject config, JsonObject report, List<Result> results) {
        Map<String, Object> y = new LinkedHashMap<>();
        y.put("library_name", "transformers");
        String base = baseModel(report);
        if (base != null) {
            y.put("base_model", base);
        }
        String kind = java.util.Objects.requireNonNullElse(str(report, "kind"), "classification"); // older reports
        y.put("pipeline_tag", pipelineTag(kind));
        List<String> tags = new ArrayList<>(List.of("bert-ft", str(config, "model_type"), pipelineTag(kind)));
        if (remoteCode(config)) {
            tags.add("custom_code");
        }
        y.put("tags", tags);
        Set<String> metrics = new LinkedHashSet<>();
        results.forEach(r -> metrics.addAll(r.metrics().keySet()));
        metrics.removeAll(NOT_SCORES);
        y.put("metrics", new ArrayList<>(metrics));
        List<Object> res = new ArrayList<>();
        for (Result r : results) {
            Map<String, Object> task = new LinkedHashMap<>();
            task.put("type", pipelineTag(kind));
            task.put("name", kind);
            Map<String, Object> dataset = new LinkedHashMap<>();
            dataset.put("name", str(report, "task") + (r.data() == null ? "" : " (" + r.data() + ")"));
            dataset.put("type", str(report, "task"));
            dataset.put("split", r.split());
            List<Object> ms = new ArrayList<>();
            r.metrics().forEach((k, v) -> {
                if (!NOT_SCORES.contains(k) && Double.isFinite(v)) {
                    Map<String, Object> m = new LinkedHashMap<>();
                    m.put("type", k);
                    m.put("value", Math.round(v * 1e6) / 1e6);
                    m.put("name", r.split() + " " + k);
                    ms.add(m);
                }
            });
            Map<String, Object> one = new LinkedHashMap<>();
            one.put("task", task);
            one.put("dataset", dataset);
            one.put("metrics", ms);
            res.add(one);
        }
        Map<String, Object> entry = new LinkedHashMap<>();
        entry.put("name", runDir.toAbsolutePath().normalize().getFileName().toString());
        entry.put("results", res);
        y.put("model-index", List.of(entry));
        DumperOptions o = new DumperOptions();
        o.setDefaultFlowStyle(DumperOptions.FlowStyle.BLOCK);
        o.setWidth(120);
        return new Yaml(o).dump(y);
    }

    private static String body(Path runDir, JsonObject config, JsonObject report, List<Result> results) {
        String name = runDir.toAbsolutePath().normalize().getFileName().toString();
        String kind = java.util.Objects.requireNonNullElse(str(report, "kind"), "classification"); // older reports
        JsonObject prov = report.getAsJsonObject("provenance");
        JsonObject settings = prov != null && prov.has("settings") ? prov.getAsJsonObject("settings") : new JsonObject();
        StringBuilder sb = new StringBuilder("# ").append(name).append("\n\n");
        String arch = config.has("architectures") ? config.getAsJsonArray("architectures").get(0).getAsString() : "?";
        String base = baseModel(report);
        sb.append("A ").append(str(config, "model_type")).append(" encoder").append(base == null ? ""
                : " (`" + base + "`)").append(" fine-tuned for ").append(kind).append(" with bert-ft ")
                .append(Version.get()).append(" on the task `").append(str(report, "task")).append("`. It is a ")
                .append("HuggingFace checkpoint (`").append(arch).append("`")
                .append(remoteCode(config) ? ", with its head in `modeling_bertft.py`" : "").append(").\n\n");

        sb.append("## Task and labels\n\n");
        List<String> labels = labels(config);
        sb.append("Task: ").append(kind);
        JsonObject task = config.getAsJsonObject("bert_ft_task");
        if (task != null && task.has("max_length")) {
            sb.append(", max length ").append(task.get("max_length").getAsString()).append(" tokens");
        }
        if (task != null && task.has("threshold")) {
            sb.append(", decision threshold ").append(task.get("threshold").getAsString());
        }
        if (config.has("bert_ft_pooling")) {
            sb.append(", pooling `").append(config.get("bert_ft_pooling").getAsString()).append('`');
        }
        sb.append(".\n");
        if (!labels.isEmpty()) {
            sb.append("Labels (index: name): ");
            for (int i = 0; i < labels.size(); i++) {
                sb.append(i == 0 ? "" : ", ").append(i).append(": `").append(labels.get(i)).append('`');
            }
            sb.append(".\n");
        }

        sb.append("\n## Training\n\n| setting | value |\n|---|---|\n");
        JsonObject training = report.getAsJsonObject("training");
        if (training != null && training.has("strategy")) {
            sb.append("| strategy | ").append(training.get("strategy").getAsString()).append(" |\n");
        }
        for (String k : List.of("epochs", "learning-rate", "batch-size", "max-length", "warmup-ratio", "weight-decay",
                "schedule", "layer-decay", "dropout", "pooling", "class-weights", "seed")) {
            if (settings.has(k)) {
                sb.append("| ").append(k).append(" | ").append(cell(settings.get(k).getAsString())).append(" |\n");
            }
        }
        sb.append("\nEvery setting, with where it came from, is in the run's `task.yaml` and `report.json`.\n");

        sb.append("\n## Evaluation\n\n");
        Set<String> metrics = new LinkedHashSet<>();
        results.forEach(r -> metrics.addAll(r.metrics().keySet()));
        if (results.isEmpty()) {
            sb.append("No validation or test data was scored.\n");
        } else {
            sb.append("| split | data |");
            metrics.forEach(m -> sb.append(' ').append(m).append(" |"));
            sb.append("\n|---|---|").append("---|".repeat(metrics.size())).append('\n');
            for (Result r : results) {
                sb.append("| ").append(cell(r.split())).append(" | ").append(r.data() == null ? "" : cell(r.data()))
                        .append(" |");
                metrics.forEach(m -> sb.append(' ').append(r.metrics().containsKey(m)
                        ? Reports.fmt(r.metrics().get(m)) : "").append(" |"));
                sb.append('\n');
            }
        }

        sb.append("\n## Training time and hardware\n\n");
        if (training != null && training.has("seconds")) {
            sb.append(String.format(java.util.Locale.ROOT, "Trained in %.1f s", training.get("seconds").getAsDouble()));
            if (training.has("steps")) {
                sb.append(", ").append(training.get("steps").getAsString()).append(" steps over ")
                        .append(training.get("examples").getAsString()).append(" examples");
            }
            if (training.has("tokens_per_s")) {
                sb.append(", ").append(training.get("tokens_per_s").getAsString()).append(" tokens/s");
            }
            sb.append(".\n");
        }
        JsonObject machine = prov == null ? null : prov.getAsJsonObject("machine");
        if (machine != null) {
            sb.append("Machine: ").append(str(machine, "os")).append(", ").append(str(machine, "cores"))
                    .append(" cores, ").append(str(machine, "memory_gib")).append(" GiB, ")
                    .append(str(machine, "threads")).append(" threads (CPU, libtorch through DJL).\n");
        }

        sb.append("\n## Data provenance\n\nThe data is not part of this repository; these are the files it was"
                + " trained and scored on:\n\n| file | sha256 |\n|---|---|\n");
        if (prov != null && prov.has("data")) {
            for (Map.Entry<String, JsonElement> e : prov.getAsJsonObject("data").entrySet()) {
                sb.append("| ").append(cell(Path.of(e.getKey()).getFileName().toString())).append(" | ")
                        .append(e.getValue().getAsString().replace("sha256 ", "")).append(" |\n");
            }
        }
        JsonObject model = prov == null ? null : prov.getAsJsonObject("model");
        if (model != null) {
            sb.append("\nBase model weights: sha256 ").append(str(model, "sha256")).append(".\n");
        }

        sb.append("\n## How to use\n\n").append(usage(name, kind, remoteCode(config)));

        sb.append("\n## Limitations\n\n");
        sb.append("- Scores above are on the data named there; they say little about text of another domain,"
                + " language or length.\n");
        if (task != null && task.has("max_length")) {
            sb.append("- Inputs longer than ").append(task.get("max_length").getAsString())
                    .append(" tokens are truncated").append(kind.equals("qa") ? " (QA reads long contexts in"
                            + " overlapping windows)" : "").append(".\n");
        }
        sb.append("- The model inherits the biases of its base model and of its training data.\n");
        if (remoteCode(config)) {
            sb.append("- In Python the head needs `trust_remote_code=True`: without it Transformers loads `")
                    .append(arch).append("`'s own head, which pools differently and gives other probabilities.\n");
        }
        return sb.toString();
    }

    private static String usage(String name, String kind, boolean remote) {
        String repo = "ORG/" + name;
        StringBuilder sb = new StringBuilder("With bert-ft (a run directory or the Hub id):\n\n```\n");
        String javaType;
        String javaCall;
        if (kind.equals("qa")) {
            sb.append("bert-ft qa --model ").append(repo).append(" --context-file context.txt --question \"Who?\"\n");
            javaType = "QuestionAnswerer";
            javaCall = "m.answer(\"Who wrote it?\", \"It was written by Ada Lovelace.\")";
        } else if (kind.equals("token-classification")) {
            sb.append("bert-ft tag sentences.txt --model ").append(repo).append('\n');
            javaType = "Tagger";
            javaCall = "m.tag(\"Ada Lovelace lived in London\")";
        } else {
            sb.append("bert-ft classify texts.txt --model ").append(repo).append(" --out predictions.csv\n");
            javaType = "Classifier";
            javaCall = "m.predict(List.of(\"a text to classify\"))";
        }
        sb.append("```\n\nFrom Java (`dev.bertft:bert-ft`):\n\n```java\ntry (").append(javaType).append(" m = ")
                .append(javaType).append(".load(\"").append(repo).append("\")) {\n    System.out.println(")
                .append(javaCall).append(");\n}\n```\n\nFrom Python (Transformers):\n\n```python\n");
        String auto = kind.equals("qa") ? "AutoModelForQuestionAnswering"
                : kind.equals("token-classification") ? "AutoModelForTokenClassification"
                : "AutoModelForSequenceClassification";
        sb.append("from transformers import AutoTokenizer, ").append(auto).append("\n")
                .append("tokenizer = AutoTokenizer.from_pretrained(\"").append(repo).append("\")\n")
                .append("model = ").append(auto).append(".from_pretrained(\"").append(repo).append('"')
                .append(remote ? ", trust_remote_code=True" : "").append(")\n");
        if (!kind.equals("qa") && !kind.equals("token-classification")) {
            sb.append("logits = model(**tokenizer([\"a text to classify\"], return_tensors=\"pt\")).logits\n");
        }
        sb.append("```\n");
        return sb.toString();
    }

    /** Whether the head ships as remote code ({@code auto_map} in the config). */
    static boolean remoteCode(JsonObject config) {
        return config.has("auto_map");
    }

    /** The Hub id the run started from: the task's model when it is one, else the config's _name_or_path. */
    static String baseModel(JsonObject report) {
        if (report.has("base_model")) {
            return report.get("base_model").getAsString();
        }
        return null;
    }

    /**
     * The Hub id of the model a run started from, or null: a bundled alias's, {@code source} when it names no
     * directory and parses as a Hub id; else the {@code _name_or_path} of the directory's config when that is one.
     */
    public static String baseModel(String source, Path modelDir) {
        for (bertft.model.ModelStore.Bundled b : bertft.model.ModelStore.BUNDLED) {
            if (b.alias().equals(source)) {
                return b.hfId();
            }
        }
        if (source != null && !Files.isDirectory(Path.of(source)) && HubId.parse(source).isPresent()) {
            return HubId.parse(source).get().repo();
        }
        JsonObject c = json(modelDir.resolve("config.json"));
        String n = c == null ? null : str(c, "_name_or_path");
        return n != null && !n.isEmpty() && !n.startsWith("/") && !n.startsWith(".") && HubId.parse(n).isPresent()
                ? HubId.parse(n).get().repo() : null;
    }

    static String pipelineTag(String kind) {
        return switch (kind) {
            case "qa" -> "question-answering";
            case "token-classification" -> "token-classification";
            default -> "text-classification";
        };
    }

    private static List<String> labels(JsonObject config) {
        List<String> out = new ArrayList<>();
        JsonObject id2label = config.getAsJsonObject("id2label");
        for (int i = 0; id2label != null && id2label.has(Integer.toString(i)); i++) {
            out.add(id2label.get(Integer.toString(i)).getAsString());
        }
        return out;
    }

    private static String fileName(JsonObject o, String key) {
        String v = str(o, key);
        return v == null ? null : Path.of(v).getFileName().toString();
    }

    private static String str(JsonObject o, String key) {
        JsonElement e = o.get(key);
        return e == null || e.isJsonNull() ? null : e.isJsonPrimitive() ? e.getAsString() : e.toString();
    }

    private static String cell(String s) {
        return s.replace("|", "\\|").replace("\n", " ");
    }

    private static JsonObject json(Path file) {
        if (!Files.isRegularFile(file)) {
            return null;
        }
        try {
            return JsonParser.parseString(Files.readString(file, StandardCharsets.UTF_8)).getAsJsonObject();
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }

    /** The front matter of a card as SnakeYAML reads it (for tests and {@code push}'s check). */
    public static Map<String, Object> frontMatter(String card) {
        if (!card.startsWith("---\n")) {
            throw new UserError("README.md: no YAML front matter (it starts with ---)");
        }
        int end = card.indexOf("\n---\n", 3);
        if (end < 0) {
            throw new UserError("README.md: the front matter has no closing ---");
        }
        Object o = new Yaml().load(card.substring(4, end + 1));
        if (!(o instanceof Map<?, ?> m)) {
            throw new UserError("README.md: the front matter is not a YAML mapping");
        }
        Map<String, Object> out = new LinkedHashMap<>();
        m.forEach((k, v) -> out.put(String.valueOf(k), v));
        return out;
    }

}
