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
            "unfreeze-layers K; all = every strategy. Every train option applies to all runs.",
            "--train-per-class 8,16,32,64 --draws 5: every strategy at every size over 5 draws of the training",
            "examples, with the data-efficiency chart and table and the choice of strategy at each size."})
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

    @Option(names = "--train-per-class", split = ",", paramLabel = "N", converter = Ints.Positive.class,
            description = "Examples per class: run every strategy at each size (e.g. 8,16,32,64) and draw the"
                    + " data-efficiency chart (accuracy against examples per class).")
    List<Integer> trainPerClass;

    @Option(names = "--draws", paramLabel = "N", defaultValue = "1", converter = Ints.Positive.class,
            description = "Draws of the training examples per size (sample-seed 1..N; with --train-per-class;"
                    + " default: ${DEFAULT-VALUE}).")
    int draws;

    @Override
    public Integer call() {
        PrintStream err = WriterStream.of(spec.commandLine().getErr());
        Map<String, String> common = TaskOptions.overrides(spec);
        common.remove("train-per-class"); // compare's own list of sizes, not the task key
        if (common.containsKey("strategy") || common.containsKey("seed")) {
            throw new UserError("compare: use --strategies and --seeds instead of --strategy and --seed");
        }
        if (common.containsKey("sample-seed")) {
            throw new UserError("compare: --sample-seed is set per draw; use --draws");
        }
        if (trainPerClass == null && spec.commandLine().getParseResult().hasMatchedOption("--draws")) {
            throw new UserError("compare: --draws needs --train-per-class (the sizes to draw)");
        }
        TaskSpec base = bertft.task.TaskFiles.load(task, common);
        Path out = common.containsKey("out") ? Path.of(common.get("out"))
                : Path.of("runs", base.name() + "-compare");
        if (strategies.size() == 1 && strategies.get(0).equals("all")) {
            strategies = List.of("setfit", "frozen", "top-2", "full", "llrd", "gradual", "ulmfit");
        }
        if (trainPerClass != null) {
            new Compare(task, common, out, err).run(strategies, seeds, trainPerClass, draws);
            return 0;
        }
        new Compare(task, common, out, err).run(strategies, seeds);
        return 0;
    }
}
