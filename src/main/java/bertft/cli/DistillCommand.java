package bertft.cli;

import bertft.UserError;
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

/**
 * {@code bert-ft distill}: {@code train} with one or more teachers, whose outputs the student learns (the
 * {@code teacher} key); every task key is also an option.
 */
@Command(name = "distill", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Distil fine-tuned teacher runs into a student (knowledge distillation).",
            "--teacher RUN, repeated for an ensemble whose probabilities are averaged; --student MODEL, or",
            "--student-layers K|0,2,4 for a shallower copy of the first teacher; --text FILE adds unlabelled",
            "transfer texts that only the teachers label. Writes an ordinary run directory (--out, default",
            "runs/<name>) whose report compares teacher(s) and student. Every task-file key is also an option."})
final class DistillCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Parameters(index = "0", arity = "0..1", paramLabel = "TASK.yaml", description = "The task file.")
    Path task;

    @Option(names = "--resume", paramLabel = "DIR",
            description = "Continue the interrupted distillation in DIR from its last checkpoint, with DIR/task.yaml.")
    Path resume;

    @Option(names = "--overwrite", description = "Write into --out even when it holds other files or another run.")
    boolean overwrite;

    @Override
    public Integer call() {
        PrintStream err = WriterStream.of(spec.commandLine().getErr());
        TaskSpec t = TaskOptions.loadOrResume(task, resume, spec, "distill: give a task file (e.g. tasks/sst2.yaml) and --teacher RUN");
        if (!t.distills()) {
            throw new UserError("distill: give --teacher RUN (a fine-tuned run directory of this task to distill from)");
        }
        TrainJob.Result r = new TrainJob(t, err).run(resume != null, overwrite);
        spec.commandLine().getOut().printf("%s: validation %s%n", r.dir(), r.validation());
        spec.commandLine().getOut().flush();
        return 0;
    }
}
