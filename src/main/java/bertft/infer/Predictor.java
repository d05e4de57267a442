package bertft.infer;

import ai.djl.huggingface.tokenizers.Encoding;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import bertft.model.Finite;
import bertft.model.TaskModel;
import bertft.text.Batch;
import bertft.train.Batcher;
import bertft.train.Objective;
import java.util.ArrayList;
import java.util.List;

/** Runs a classifier over encodings in length-sorted batches and returns scores in input order. */
public final class Predictor {
    private final TaskModel model;
    private final Objective objective;
    private final int batchSize;

    public Predictor(TaskModel model, Objective objective, int batchSize) {
        this.model = model;
        this.objective = objective;
        this.batchSize = batchSize;
    }

    /** Scores per input: class probabilities (softmax or sigmoid), or the regression value. */
    public float[][] scores(List<Encoding> encodings) {
        int[] lengths = encodings.stream().mapToInt(e -> e.getIds().length).toArray();
        float[][] out = new float[encodings.size()][];
        for (int[] idx : Batcher.inference(lengths, batchSize)) {
            try (NDManager m = NDManager.newBaseManager()) {
                List<Encoding> batch = new ArrayList<>(idx.length);
                for (int i : idx) {
                    batch.add(encodings.get(i));
                }
                NDArray scores = objective.scores(model.forward(Batch.of(batch, m))); // (B, C)
                int c = (int) scores.getShape().get(1);
                float[] flat = scores.toFloatArray();
                Finite.requireOutputs(flat, "the model's scores");
                for (int k = 0; k < idx.length; k++) {
                    out[idx[k]] = java.util.Arrays.copyOfRange(flat, k * c, (k + 1) * c);
                }
            }
        }
        return out;
    }
}
