package bertft.api;

import bertft.run.TrainJob;
import bertft.task.TaskFiles;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.Map;

/**
 * Fine-tunes a model as {@code bert-ft train} does: from a task file and/or task keys (the keys of
 * {@code tasks/*.yaml}, e.g. {@code task}, {@code train}, {@code model}, {@code strategy}, {@code epochs},
 * {@code out}), writing a run directory that {@link Classifier#load} and {@link QuestionAnswerer#load} take.
 *
 * <pre>{@code
 * FineTuning.Result r = FineTuning.run(Path.of("tasks/sst2.yaml"), Map.of("epochs", "1"), new FineTuning.Listener() {
 *     public void evaluated(long step, int epoch, Map<String, Double> metrics) { System.out.println(metrics); }
 * });
 * }</pre>
 */
public final class FineTuning {
    private FineTuning() {}

    /** Told of training progress; every method does nothing unless overridden. Called on the training thread. */
    public interface Listener {
        /** After optimizer step {@code step} of {@code totalSteps}, in {@code epoch} (0-based). */
        default void step(long step, long totalSteps, int epoch, double loss, double learningRate) {}

        /** After scoring the validation split at {@code step}: metric name to value. */
        default void evaluated(long step, int epoch, Map<String, Double> metrics) {}
    }

    /**
     * A finished run.
     *
     * @param dir the run directory (the best model as a HuggingFace checkpoint, reports, metrics.jsonl)
     * @param metric the metric the best model was chosen by
     * @param validation the best model's validation metrics (empty without a validation split)
     * @param test its test metrics (empty without a test split)
     * @param seconds wall time of the run
     */
    public record Result(Path dir, String metric, Map<String, Double> validation, Map<String, Double> test,
            double seconds) {
        public Result {
            validation = Map.copyOf(validation);
            test = Map.copyOf(test);
        }
    }

    /**
     * Trains the task of {@code taskFile} with {@code overrides} (task keys to values as on the command line;
     * they win over the file), logging to stderr.
     *
     * @throws bertft.UserError on a bad task file, key or value (one line naming it), or a run directory in the way
     */
    public static Result run(Path taskFile, Map<String, String> overrides, Listener listener) {
        return run(taskFile, overrides, listener, System.err);
    }

    /** Trains a task given entirely by keys ({@code task}, {@code train}, ...), without a task file. */
    public static Result run(Map<String, String> taskKeys, Listener listener) {
        return run(null, taskKeys, listener, System.err);
    }

    /** As {@link #run(Path, Map, Listener)}, logging to {@code log}. */
    public static Result run(Path taskFile, Map<String, String> overrides, Listener listener, PrintStream log) {
        Listener l = listener != null ? listener : new Listener() {};
        TrainJob.Progress progress = new TrainJob.Progress() {
            @Override
            public void step(long step, long total, int epoch, double loss, double learningRate) {
                l.step(step, total, epoch, loss, learningRate);
            }

            @Override
            public void evaluated(long step, int epoch, Map<String, Double> metrics) {
                l.evaluated(step, epoch, metrics);
            }
        };
        // settings a program passes are task keys, and its errors name them so (not as --options)
        TrainJob.Result r = new TrainJob(TaskFiles.loadSettings(taskFile, overrides), log).progress(progress).run(false);
        return new Result(r.dir(), r.metric(), r.validation(), r.test(), r.seconds());
    }
}
