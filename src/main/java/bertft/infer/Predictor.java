package bertft.infer;

import ai.djl.huggingface.tokenizers.Encoding;
import bertft.model.Finite;
import bertft.model.TaskModel;
import bertft.data.Batcher;
import bertft.model.Objective;
import java.util.ArrayList;
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
        float[][] out = new float[encodings.size()][];
        for (int[] idx : Batcher.inference(lengths, batchSize)) {
            List<Encoding> batch = new ArrayList<>(idx.length);
            for (int i : idx) {
                batch.add(encodings.get(i));
            }
            float[] logits = forward.logits(batch); // (B, C)
            Finite.requireOutputs(logits, "the model's scores");
            int c = logits.length / idx.length;
            for (int k = 0; k < idx.length; k++) {
                out[idx[k]] = java.util.Arrays.copyOfRange(logits, k * c, (k + 1) * c);
            }
        }
        return out;
    }
}
