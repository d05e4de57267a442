package bertft.cli;

import bertft.tune.Budget;
import bertft.tune.Rungs;
import bertft.tune.Space;
import bertft.tune.Tune;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code bert-ft tune}: a budgeted search over strategy and hyper-parameters, then the winner over seeds. */
@Command(name = "tune", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Search the task's strategy and hyper-parameters within a budget: trials drawn at random from "
                + "--space, stopped early by successive halving on the validation metric at epoch ends (rungs after 1, "
                + "2, 4, ... epochs). The winner is retrained with every --seeds seed and tested once; writes "
                + "tune.json, tune.md, report.html and best.yaml. Re-run the same command to go on with a killed "
                + "tune. Every train option applies to all runs.")
final class TuneCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Parameters(index = "0", paramLabel = "TASK.yaml", description = "The task file.")
    Path task;

    @Option(names = "--space", required = true, paramLabel = "KEY=VALUES;...",
            description = "Task keys to search, ';'-separated: a list (strategy=full,llrd,top-2), a range "
                    + "(epochs=2..6: integers; warmup-ratio=0..0.2: real) or a log range "
                    + "(learning-rate=2e-5..3e-4:log). layer-decay applies to llrd/ulmfit trials only, unfreeze-every "
                    + "to gradual/ulmfit, unfreeze-layers to top-k.")
    String space;

    @Option(names = "--trials", paramLabel = "N", converter = Ints.Positive.class,
            description = "Most trials to start (default: 12 without --budget, else no limit).")
    Integer trials;

    @Option(names = "--budget", paramLabel = "TIME",
            description = "Wall time for the search and the winner's retraining: 2h, 90m, 1h30m, 600s.")
    String budget;

    @Option(names = "--seeds", split = ",", paramLabel = "N", converter = Ints.Seed.class, defaultValue = "1,2,3",
            description = "Seeds the winner is retrained with (default: ${DEFAULT-VALUE}).")
    List<Long> seeds;

    @Option(names = "--metric", paramLabel = "NAME",
            description = "Validation metric that ranks trials (default: the task's early-stopping metric, else "
                    + "accuracy, micro_f1, pearson or f1 by task kind).")
    String metric;

    @Option(names = "--seed", paramLabel = "S",
            description = "Seed of the search: the settings drawn and every trial's training (default: the task's).")
    Long seed;

    @Option(names = "--rungs", paramLabel = "epochs|schedule", defaultValue = "epochs",
            converter = RungsConverter.class,
            description = "Where halving compares trials: after 1, 2, 4, ... epochs (epochs, the default), or after a "
                    + "quarter, a half and all of each trial's own epochs (schedule: long trials are not judged while "
                    + "their learning rate is still high).")
    Rungs rungs;

    /** Lower-case names on the command line. */
    static final class RungsConverter implements picocli.CommandLine.ITypeConverter<Rungs> {
        @Override
        public Rungs convert(String value) {
            return switch (value) {
                case "epochs" -> Rungs.EPOCHS;
                case "schedule" -> Rungs.SCHEDULE;
                default -> throw new picocli.CommandLine.TypeConversionException("'" + value
                        + "': one of epochs, schedule");
            };
        }
    }

    @Option(names = "--refit",
            description = "Retrain the winner on all of train, the validation-split rows included, with its settings"
                    + " and epochs; each seed keeps its last epoch's model and is tested once (needs validation-split;"
                    + " re-running a finished tune with --refit reuses its search).")
    boolean refit;

    @Override
    public Integer call() {
        PrintStream err = WriterStream.of(spec.commandLine().getErr());
        Map<String, String> common = TaskOptions.overrides(spec);
        Space parsed = Space.parse(space);
        Budget b = new Budget(trials != null ? trials : budget == null ? Integer.valueOf(12) : null,
                budget == null ? null : Budget.seconds(budget));
        Path out = common.containsKey("out") ? Path.of(common.remove("out"))
                : Path.of("runs", bertft.task.TaskFiles.load(task, common).name() + "-tune");
        new Tune(new Tune.Options(task, common, parsed, b, seeds, metric, seed, rungs, refit, out), err).run();
        return 0;
    }
}
