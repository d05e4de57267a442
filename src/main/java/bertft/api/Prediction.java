package bertft.api;

import java.util.List;
import java.util.Map;

/**
 * One text's prediction.
 *
 * @param label the most probable label (classification), the labels at or above the threshold joined by {@code |}
 *     (multi-label), or null (regression)
 * @param score the probability of {@code label} (for multi-label: of the most probable label), or the predicted
 *     value (regression)
 * @param probabilities every label's probability in label-id order (softmax, or sigmoid for multi-label); empty
 *     for regression
 * @param labels the labels predicted: one for classification, any number for multi-label, none for regression
 * @param logits the model's raw outputs in label-id order
 */
public record Prediction(String label, double score, Map<String, Double> probabilities, List<String> labels,
        double[] logits) {
    public Prediction {
        probabilities = java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(probabilities));
        labels = List.copyOf(labels);
        logits = logits.clone();
    }

    /** The model's raw outputs in label-id order (a copy). */
    @Override
    public double[] logits() {
        return logits.clone();
    }
}
