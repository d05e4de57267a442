package bertft.run;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * One model scored on one split, as every {@link Evaluator} returns it: the headline metrics by name, in the
 * report's order (what early stopping, {@code compare}, {@code tune}, distillation and the baseline read), and the
 * split's whole section of {@code report.json} (per class, confusion matrix, calibration, worst errors; QA's
 * breakdowns and predictions; the entity scores of tagging), which only the report files and their renderers read,
 * so it stays in the form it is written in.
 */
public record Evaluation(Map<String, Double> metrics, JsonObject report) {
    /** Nothing scored (no validation set). */
    public static final Evaluation NONE = new Evaluation(Map.of(), new JsonObject());

    public Evaluation {
        metrics = Collections.unmodifiableMap(new LinkedHashMap<>(metrics));
    }

    /** The evaluation a report's section holds: its metrics are the numeric entries of its {@code metrics}. */
    public static Evaluation fromJson(JsonObject report) {
        Map<String, Double> metrics = new LinkedHashMap<>();
        JsonObject m = report.getAsJsonObject("metrics");
        if (m != null) {
            for (Map.Entry<String, JsonElement> e : m.entrySet()) {
                if (e.getValue().isJsonPrimitive() && e.getValue().getAsJsonPrimitive().isNumber()) {
                    metrics.put(e.getKey(), e.getValue().getAsDouble());
                }
            }
        }
        return new Evaluation(metrics, report.deepCopy());
    }

    /** The section as {@code report.json} holds it (a copy: the caller may add to it or take parts out). */
    public JsonObject toJson() {
        return report.deepCopy();
    }
}
