package bertft.cli;

import bertft.UserError;
import bertft.run.Compare;
import bertft.task.TaskSpec;
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

/** {@code bert-ft compare}: one run per strategy and seed, then a comparison. */
@Command(name = "compare", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Train the task once per strategy and seed, then write compare.json and compare.md:",
            "per strategy the mean and spread of the validation metric, the test metric, time and trainable",
            "parameters, and the best strategy. Finished runs are kept and skipped when re-run.",
            "A strategy may carry its own settings: frozen:learning-rate=1e-3:epochs=10. top-K means top-k with",
            "unfreeze-layers K. Every train option applies to all runs."})
final class CompareCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Parameters(index = "0", paramLabel = "TASK.yaml", description = "The task file.")
    Path task;

    @Option(names = "--strategies", split = ",", paramLabel = "S[:KEY=VALUE...]",
            defaultValue = "frozen,top-2,full,llrd,gradual",
            description = "Strategies to compare (default: ${DEFAULT-VALUE}).")
    List<String> strategies;

    @Option(names = "--seeds", split = ",", paramLabel = "N", converter = Ints.Seed.class, defaultValue = "42",
            description = "Seeds; each strategy runs once per seed (default: ${DEFAULT-VALUE}).")
    List<Long> seeds;

    @Override
    public Integer call() {
        PrintStream err = WriterStream.of(spec.commandLine().getErr());
        Map<String, String> common = TaskOptions.overrides(spec);
        if (common.containsKey("strategy") || common.containsKey("seed")) {
            throw new UserError("compare: use --strategies and --seeds instead of --strategy and --seed");
        }
        TaskSpec base = bertft.task.TaskFiles.load(task, common);
        Path out = common.containsKey("out") ? Path.of(common.get("out"))
                : Path.of("runs", base.name() + "-compare");
        new Compare(task, common, out, err).run(strategies, seeds);
        return 0;
    }
}
