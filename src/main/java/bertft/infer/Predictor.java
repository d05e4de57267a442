package bertft.infer;

import ai.djl.huggingface.tokenizers.Encoding;
import bertft.data.Batcher;
import bertft.model.Finite;
import bertft.model.Objective;
import bertft.model.TaskModel;
import java.util.Arrays;
import java.util.List;

/** Runs a classifier over encodings in length-sorted batches and returns scores in input order. */
public final class Predictor {
    private final Forward forward;
    private final Objective objective;
    private final int batchSize;

    public Predictor(TaskModel model, Objective objective, int batchSize) {
        this(Forward.of(model), objective, batchSize);
    }

    /** A predictor over any runtime's forward pass (libtorch or ONNX Runtime). */
    public Predictor(Forward forward, Objective objective, int batchSize) {
        this.forward = forward;
        this.objective = objective;
        this.batchSize = batchSize;
    }

    /** Scores per input: class probabilities (softmax or sigmoid), or the regression value. */
    public float[][] scores(List<Encoding> encodings) {
        float[][] out = logits(encodings);
        for (int i = 0; i < out.length; i++) {
            out[i] = objective.scores(out[i]);
        }
        return out;
    }

    /** The model's raw outputs per input, in input order; safe to call from several threads at once. */
    public float[][] logits(List<Encoding> encodings) {
        int[] lengths = encodings.stream().mapToInt(e -> e.getIds().length).toArray();
        return Batcher.rowsInOrder(lengths, batchSize, idx -> {
            float[] logits = forward.logits(Arrays.stream(idx).mapToObj(encodings::get).toList()); // (B, C)
            Finite.requireOutputs(logits, "the model's scores");
            return logits;
        });
    }
}
