package bertft.run;

import ai.djl.huggingface.tokenizers.Encoding;
import bertft.data.LabelledData;
import bertft.infer.InferenceRuntime;
import bertft.infer.Predictor;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The inference speed of several classifiers, measured together so that their ratios hold on a shared machine: every
 * model is loaded on every runtime asked for, runs the texts once to warm up (the JIT, libtorch's first calls at each
 * shape), then {@link #ROUNDS} times in turn; each gets the median of its rounds. Measured apart, one cold pass each,
 * a 3-layer student looked 1.24-1.58x its teacher on libtorch; warmed and interleaved it is 1.9x (docs/distill.md).
 */
final class SpeedCheck {
    static final int ROUNDS = 3;

    private SpeedCheck() {}

    /** A model on a runtime. */
    record Key(Path dir, InferenceRuntime runtime) {}

    /**
     * Sentences per second of each model in {@code dirs} on each of {@code runtimes} over {@code data}'s texts (in eval
     * batches of {@code batchSize}); a model that does not load on a runtime (no ONNX export for its family) has no
     * entry, and that is said on {@code err}.
     */
    static Map<Key, Double> measure(List<Path> dirs, List<InferenceRuntime> runtimes, LabelledData data, int batchSize,
            PrintWriter err) {
        Map<Key, TrainedModel> models = new LinkedHashMap<>();
        Map<Key, Predictor> predictors = new LinkedHashMap<>();
        Map<Key, List<Encoding>> inputs = new LinkedHashMap<>();
        try {
            for (Path dir : dirs) {
                for (InferenceRuntime runtime : runtimes) {
                    Key key = new Key(dir, runtime);
                    try {
                        TrainedModel m = TrainedModel.load(dir, runtime, err);
                        models.put(key, m);
                        predictors.put(key, new Predictor(m.forward(), TaskData.objective(m.kind()), batchSize));
                        inputs.put(key, TaskData.features(data, m.tokenizer()).encodings());
                    } catch (RuntimeException e) {
                        err.printf("speed of %s on %s not measured: %s%n", dir, runtime.name().toLowerCase(
                                java.util.Locale.ROOT).replace('_', '-'), e.getMessage());
                    }
                }
            }
            Map<Key, double[]> rates = new LinkedHashMap<>();
            for (int round = -1; round < ROUNDS; round++) { // round -1 warms up
                for (Map.Entry<Key, Predictor> e : predictors.entrySet()) {
                    List<Encoding> in = inputs.get(e.getKey());
                    long t0 = System.nanoTime();
                    e.getValue().logits(in);
                    double rate = in.size() / Math.max(1e-9, (System.nanoTime() - t0) / 1e9);
                    if (round >= 0) {
                        rates.computeIfAbsent(e.getKey(), k -> new double[ROUNDS])[round] = rate;
                    }
                }
            }
            Map<Key, Double> out = new LinkedHashMap<>();
            rates.forEach((k, r) -> out.put(k, median(r)));
            return out;
        } finally {
            models.values().forEach(TrainedModel::close);
        }
    }

    private static double median(double[] xs) {
        double[] s = xs.clone();
        Arrays.sort(s);
        return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
    }
}
