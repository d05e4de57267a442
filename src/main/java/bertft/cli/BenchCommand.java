package bertft.cli;

import bertft.bench.Bench;
import bertft.checkpoint.Checkpoint;
import bertft.checkpoint.ModelStore;
import bertft.model.Bert;
import bertft.UserError;
import java.nio.file.Path;
import java.util.List;
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

    @Option(names = "--shapes", split = ",", defaultValue = "32x64,16x128,8x384",
            description = "Training-step shapes, BATCHxLENGTH (default: ${DEFAULT-VALUE}).")
    List<String> shapes;

    @Override
    public Integer call() {
        Path dir = ModelStore.resolve(model);
        Checkpoint ckpt = Checkpoint.read(dir);
        try (Bert bert = Bert.fromTensors(ckpt.config(), ckpt.encoder(), dir.toString())) {
            new Bench(bert, spec.commandLine().getOut(), Math.max(1, repeats)).run(parse(shapes));
        }
        return 0;
    }

    private static int[][] parse(List<String> shapes) {
        int[][] out = new int[shapes.size()][];
        for (int i = 0; i < out.length; i++) {
            String[] bt = shapes.get(i).toLowerCase(java.util.Locale.ROOT).split("x");
            try {
                out[i] = new int[] {Integer.parseInt(bt[0].strip()), Integer.parseInt(bt[1].strip())};
            } catch (RuntimeException e) {
                throw new UserError("--shapes: '" + shapes.get(i) + "' is not BATCHxLENGTH (e.g. 32x64)");
            }
        }
        return out;
    }
}
