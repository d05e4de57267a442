package bertft.cli;

import bertft.bench.Bench;
import bertft.checkpoint.Checkpoint;
import bertft.checkpoint.ModelStore;
import bertft.model.Bert;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code bert-ft bench}: GEMM peak, training-step and inference speed of a model on this machine. */
@Command(name = "bench", mixinStandardHelpOptions = true,
        description = "Measure fp32 GEMM GFLOP/s, training steps (forward, backward, clip, AdamW) at 32x64, "
                + "16x128 and 8x384, and inference at 64x64.")
final class BenchCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--model", defaultValue = ModelStore.DEFAULT, description = "Model (default: ${DEFAULT-VALUE}).")
    String model;

    @Option(names = "--repeats", defaultValue = "10", description = "Timed runs per figure; the median is shown.")
    int repeats;

    @Override
    public Integer call() {
        Path dir = ModelStore.resolve(model);
        Checkpoint ckpt = Checkpoint.read(dir);
        try (Bert bert = Bert.fromTensors(ckpt.config(), ckpt.encoder(), dir.toString())) {
            new Bench(bert, spec.commandLine().getOut(), Math.max(1, repeats)).run();
        }
        return 0;
    }
}
