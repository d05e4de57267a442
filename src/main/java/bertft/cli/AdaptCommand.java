package bertft.cli;

import bertft.UserError;
import bertft.adapt.AdaptJob;
import bertft.task.TaskFiles;
import bertft.task.TaskSpec;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code bert-ft adapt}: continued masked-LM pretraining on unlabelled text; every adapt key is also an option. */
@Command(name = "adapt", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Continue a model's masked-LM pretraining on unlabelled in-domain text (domain adaptation);",
            "writes --out (default runs/<name>): the adapted *ForMaskedLM checkpoint, which train takes as model,",
            "adapt.json (held-out masked-LM loss and perplexity before and after), metrics.jsonl and task.yaml.",
            "Every adapt task-file key is also an option; without a task file, --text is relative to the current"
                    + " directory."})
final class AdaptCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Parameters(index = "0", arity = "0..1", paramLabel = "TASK.yaml", description = "An adapt task file (optional).")
    Path task;

    @Option(names = "--resume", paramLabel = "DIR",
            description = "Continue the interrupted adapt run in DIR from its last checkpoint, with DIR/task.yaml.")
    Path resume;

    @Option(names = "--overwrite", description = "Write into --out even when it holds other files or an adapt of"
            + " another model or task.")
    boolean overwrite;

    @Override
    public Integer call() {
        PrintStream err = WriterStream.of(spec.commandLine().getErr());
        Map<String, String> options = TaskOptions.overrides(spec, TaskSpec.adaptKeys());
        TaskSpec t;
        if (resume != null) {
            Path saved = resume.resolve("task.yaml");
            if (!Files.exists(saved)) {
                throw new UserError("--resume " + resume + ": not a run directory (no task.yaml)");
            }
            if (trainingRun(saved)) {
                throw new UserError("--resume " + resume + ": is a training run, not an adapt run; continue it with"
                        + " `bert-ft train --resume " + resume + "`");
            }
            options.putIfAbsent("out", resume.toString());
            t = TaskFiles.loadAdapt(task != null ? task : saved, options);
        } else {
            if (task == null) {
                options.putIfAbsent("data-dir", ".");
            }
            t = TaskFiles.loadAdapt(task, options);
        }
        AdaptJob.Result r = new AdaptJob(t, err).run(resume != null, overwrite);
        spec.commandLine().getOut().printf("%s: held-out masked-LM loss %.4f -> %.4f, perplexity %.2f -> %.2f%n",
                r.dir(), r.lossBefore(), r.lossAfter(), r.perplexityBefore(), r.perplexityAfter());
        spec.commandLine().getOut().flush();
        return 0;
    }

    /** Whether {@code taskYaml} is a train task (it names a {@code task:} kind, which adapt tasks have not). */
    private static boolean trainingRun(Path taskYaml) {
        try {
            Object o = new org.yaml.snakeyaml.Yaml().load(bertft.TextFiles.read(taskYaml, bertft.TextFiles.TASK_FILE,
                    "a task file"));
            return o instanceof Map<?, ?> m && m.containsKey("task");
        } catch (RuntimeException e) {
            return false; // not YAML bert-ft wrote: loading it as an adapt task says what is wrong
        }
    }
}
