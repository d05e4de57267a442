package bertft.cli;

import bertft.run.TrainJob;
import bertft.task.TaskSpec;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code bert-ft train}: fine-tune on a task file; every task key is also an option. */
@Command(name = "train", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Fine-tune a model on a task file; writes the run directory (--out, default runs/<name>):",
            "the best model (HF checkpoint), metrics.jsonl, report.json, report.md and task.yaml.",
            "Every task-file key is also an option of the same name; the command line wins."})
final class TrainCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Parameters(index = "0", arity = "0..1", paramLabel = "TASK.yaml", description = "The task file.")
    Path task;

    @Option(names = "--resume", paramLabel = "DIR",
            description = "Continue the interrupted run in DIR from its last checkpoint (weights, optimizer, "
                    + "position), with the settings in DIR/task.yaml.")
    Path resume;

    @Option(names = "--overwrite",
            description = "Write into --out even when it holds other files, a run of another task or an unfinished "
                    + "run (files of the same names are replaced; others stay).")
    boolean overwrite;

    @Override
    public Integer call() {
        PrintStream err = WriterStream.of(spec.commandLine().getErr());
        TaskSpec t = TaskOptions.loadOrResume(task, resume, spec, "train: give a task file (e.g. tasks/sst2.yaml) or --resume DIR");
        new TrainJob(t, err).run(resume != null, overwrite);
        return 0;
    }
}
