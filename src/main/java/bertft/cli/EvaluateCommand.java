package bertft.cli;

import bertft.data.LabelledData;
import bertft.data.SquadData;
import bertft.data.TaggedData;
import bertft.run.Evaluator;
import bertft.run.ModelChoice;
import bertft.run.Reports;
import bertft.run.Scoring;
import bertft.run.Tagging;
import bertft.run.TaskData;
import bertft.run.TrainedModel;
import bertft.task.TaskSpec;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonObject;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code bert-ft evaluate}: score a fine-tuned model on labelled data. */
@Command(name = "evaluate", mixinStandardHelpOptions = true,
        description = {"Score a fine-tuned model on labelled data: report.json (metrics, per class, confusion "
                + "matrix; for QA exact_match/f1, predictions.json, nbest.json; for token classification entity "
                + "F1 per type and predictions.conll), report.md and report.html."})
final class EvaluateCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--model", paramLabel = "MODEL", description = {"A run directory, any HuggingFace"
            + " *ForSequenceClassification / *ForTokenClassification / *ForQuestionAnswering checkpoint directory, or"
            + " Hub id.", "Default: the newest finished run in ./runs whose head fits --data (SQuAD .json: QA;"
            + " .conll/.bio: a tagger; else a classifier)."})
    String model;

    @Option(names = "--base", paramLabel = "MODEL", description = "For a PEFT adapter directory as --model: the base"
            + " model (directory, bundled name or Hub id) instead of its adapter_config.json's base_model_name_or_path.")
    String base;

    @Option(names = "--data", required = true, paramLabel = "FILE",
            description = "Labelled CSV/TSV/JSONL (classification), SQuAD JSON (QA), or CoNLL/JSON lines of"
                    + " tokens and tags (token classification).")
    Path data;

    @Option(names = "--task", paramLabel = "TASK.yaml",
            description = "Task file for column names and settings (default: what the model was trained for).")
    Path task;

    @Option(names = "--out", paramLabel = "DIR", description = "Report directory (default: MODEL/eval-<data name> for"
            + " a bert-ft run, ./eval-<data name> for other checkpoints and Hub ids).")
    Path out;

    @Option(names = "--text-column", paramLabel = "NAME", description = "Text column (without --task).")
    String textColumn;

    @Option(names = "--label-column", paramLabel = "NAME", description = "Label column (without --task).")
    String labelColumn;

    @Option(names = "--baseline-train", paramLabel = "FILE",
            description = "Training data for the bag-of-words baseline shown beside the model's score (default: the "
                    + "training file in the model's task.yaml, when it still exists).")
    Path baselineTrain;

    @Option(names = "--strict", description = "Token classification: score entities in seqeval's strict mode"
            + " (iob2 and bioes tags).")
    boolean strict;

    @picocli.CommandLine.Mixin
    RuntimeOption runtime;

    @Override
    public Integer call() throws Exception {
        long t0 = System.nanoTime();
        if (out != null && out.toString().isEmpty()) {
            throw new bertft.UserError("--out: empty value"); // as train, compare and adapt say
        }
        if (out != null && Files.exists(out) && !Files.isDirectory(out)) {
            throw new bertft.UserError("--out " + out + ": is a file; evaluate writes a directory of reports");
        }
        String name = data.toString().toLowerCase(java.util.Locale.ROOT);
        ModelChoice.Need need = name.endsWith(".json") ? ModelChoice.Need.QA
                : name.endsWith(".conll") || name.endsWith(".bio") ? ModelChoice.Need.TAGGER
                : ModelChoice.Need.CLASSIFIER;
        Path model = ModelChoice.resolve(this.model, need, spec.commandLine().getErr());
        refuseRunDirectory(model);
        bertft.run.RunDir.warnIfUnfinished(model, spec.commandLine().getErr());
        try (TrainedModel m = TrainedModel.load(model, runtime.value(), spec.commandLine().getErr(),
                base == null ? null : Path.of(base))) {
            Map<String, String> o = new LinkedHashMap<>();
            if (textColumn != null) {
                o.put("text-column", textColumn);
            }
            if (labelColumn != null) {
                o.put("label-column", labelColumn);
            }
            o.put("data-dir", ".");
            o.put("validation", data.toString());
            if (strict) {
                o.put("strict", "true");
            }
            TaskSpec t = m.spec(task, o);
            JsonObject report;
            LabelledData d = null;
            String tagged = null;
            if (m.kind() == TaskSpec.Kind.TOKEN_CLASSIFICATION) {
                TaggedData gold = TaggedData.read(data, m.labels());
                TaggedData.Scheme scheme = TaggedData.Scheme.parse(t.tagScheme());
                scheme = scheme != null ? scheme : TaggedData.detect(java.util.List.of(gold));
                if (t.unknownTags().equals("O")) {
                    gold = gold.unknownAsO(scheme, m.labels(), spec.commandLine().getErr()::println);
                }
                gold.check(scheme, m.labels());
                java.util.List<java.util.List<String>> predicted = Tagging.predict(m.forward(),
                        gold.sentences().stream().map(TaggedData.Sentence::words).toList(), m.labels(), m.tokenizer(),
                        m.tokenizer().maxLength(), t.docStride(), t.evalBatchSize());
                report = Tagging.report(gold, predicted, Tagging.mode(t.strict(), scheme)).toJson();
                tagged = Tagging.conll(gold, predicted);
            } else if (m.kind() == TaskSpec.Kind.QA) {
                report = Evaluator.qa(t, SquadData.read(data, t.version2()), m.tokenizer()).evaluate(m.forward()).toJson();
            } else {
                d = LabelledData.read(t, m.labels(), data);
                report = Evaluator.table(t, d, TaskData.features(d, m.tokenizer()), m.labels()).evaluate(m.forward()).toJson();
            }
            String stem = data.getFileName().toString().replaceFirst("\\.[^.]+$", "");
            Path dir = out != null ? out : m.isRun() ? model.resolve("eval-" + stem) : Path.of("eval-" + stem);
            bertft.AtomicFiles.createDirectories(dir);
            var gson = new GsonBuilder().setPrettyPrinting().disableHtmlEscaping().create();
            if (tagged != null) {
                bertft.AtomicFiles.writeString(dir.resolve("predictions.conll"), tagged);
            }
            if (report.has("predictions")) {
                bertft.AtomicFiles.writeString(dir.resolve("predictions.json"), gson.toJson(report.remove("predictions")));
                bertft.AtomicFiles.writeString(dir.resolve("nbest.json"), gson.toJson(report.remove("nbest")));
            }
            JsonObject training = new JsonObject();
            training.addProperty("data", data.toString());
            JsonObject extra = Reports.evaluationExtras(t, model, m.labels(), data, d, report, baselineTrain,
                    (System.nanoTime() - t0) / 1e9);
            // which runtime gave these numbers: auto resolves to onnx or torch
            extra.getAsJsonObject("provenance").getAsJsonObject("model").addProperty("runtime", m.runtime());
            Reports.write(t, dir, training, report, null, extra);
            PrintWriter pw = spec.commandLine().getOut();
            boolean finished = m.isRun() && Files.exists(model.resolve("report.json"));
            if (finished && !bertft.run.ModelCard.write(model, dir)) {
                spec.commandLine().getErr().println("note: " + model.resolve(bertft.run.ModelCard.FILE) + " was edited"
                        + " (no bert-ft line in it); its results are not updated");
            }
            Scoring.summary(report).forEach((k, v) -> pw.printf("%s %s%n", k, Reports.fmt(v)));
            pw.println("report: " + dir.resolve("report.html") + " (also report.md, report.json)");
            pw.flush();
        }
        return 0;
    }

    /**
     * The reports go beside what the model's directory or a run directory holds only in a directory of their own:
     * a run's report.json is its training report, and evaluate's would replace it.
     */
    private void refuseRunDirectory(Path model) throws java.io.IOException {
        if (out == null || !Files.isDirectory(out)) {
            return;
        }
        String stem = data.getFileName().toString().replaceFirst("\\.[^.]+$", "");
        if (Files.isDirectory(model) && Files.isSameFile(out, model)) {
            throw new bertft.UserError("--out " + out + ": is the model's own directory, whose report evaluate would"
                    + " replace; leave --out out (a run's reports go to " + model.resolve("eval-" + stem) + ") or name"
                    + " another directory");
        }
        if (Files.exists(out.resolve("task.yaml"))) {
            throw new bertft.UserError("--out " + out + ": is a run directory (it has a task.yaml), whose report"
                    + " evaluate would replace; name another directory, e.g. " + out.resolve("eval-" + stem));
        }
    }
}
