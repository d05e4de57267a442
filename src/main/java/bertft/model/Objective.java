package bertft.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import bertft.data.Features;
import bertft.model.Losses;
import bertft.model.Scalar;

/** What a classifier head is trained to do: its loss, and how logits become predictions. */
public enum Objective {
    /** One class per example: softmax + cross-entropy. */
    SINGLE_LABEL("single_label_classification"),
    /** Any number of labels per example: sigmoid + binary cross-entropy, thresholded. */
    MULTI_LABEL("multi_label_classification"),
    /** One real value: mean squared error. */
    REGRESSION("regression"),
    /** Extractive QA: a start and an end position, cross-entropy over tokens for each, averaged. */
    SPAN("question_answering");

    /** HuggingFace's {@code problem_type} for config.json. */
    public final String problemType;

    Objective(String problemType) {
        this.problemType = problemType;
    }

    /** The batch loss; {@code classWeights} (C) applies to single-label only and may be null. */
    public NDArray loss(NDArray logits, Features f, int[] idx, NDArray classWeights, NDManager m) {
        return switch (this) {
            case SINGLE_LABEL -> Losses.crossEntropy(logits, f.labels(idx, m), classWeights);
            case MULTI_LABEL -> Losses.binaryCrossEntropy(logits, f.targets(idx, m));
            case REGRESSION -> Losses.meanSquaredError(logits, f.targets(idx, m).reshape(-1));
            case SPAN -> {
                NDArray t = f.targets(idx, m).toType(ai.djl.ndarray.types.DataType.INT64, false); // (B, 2)
                NDArray start = Losses.crossEntropy(logits.get(":, :, 0"), t.get(":, 0"), null); // (B, T) logits
                NDArray end = Losses.crossEntropy(logits.get(":, :, 1"), t.get(":, 1"), null);
                yield Scalar.div(start.add(end), 2);
            }
        };
    }

    /** The logits turned into what users read: class probabilities (softmax or sigmoid) or the value. */
    public NDArray scores(NDArray logits) {
        return switch (this) {
            case SINGLE_LABEL -> logits.softmax(-1);
            case MULTI_LABEL -> logits.getNDArrayInternal().sigmoid();
            case REGRESSION, SPAN -> logits;
        };
    }

    /** As {@link #scores(NDArray)} for one row of logits, in Java (for logits from any runtime). */
    public float[] scores(float[] logits) {
        float[] out = logits.clone();
        switch (this) {
            case SINGLE_LABEL -> {
                float max = Float.NEGATIVE_INFINITY;
                for (float x : logits) {
                    max = Math.max(max, x);
                }
                double sum = 0;
                for (int i = 0; i < out.length; i++) {
                    out[i] = (float) Math.exp(logits[i] - max);
                    sum += out[i];
                }
                for (int i = 0; i < out.length; i++) {
                    out[i] = (float) (out[i] / sum);
                }
            }
            case MULTI_LABEL -> {
                for (int i = 0; i < out.length; i++) {
                    out[i] = (float) (1 / (1 + Math.exp(-logits[i])));
                }
            }
            case REGRESSION, SPAN -> { }
        }
        return out;
    }
}
