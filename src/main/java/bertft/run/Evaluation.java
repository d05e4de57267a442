package bertft.run;

import bertft.eval.Calibration;
import bertft.eval.Confusion;
import bertft.eval.Metrics;
import bertft.eval.Scores;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * One model scored on one split, as every {@link Evaluator} returns it, typed: the task's scores (headline metrics,
 * per class, confusion), figures of the split beside them ({@code loss}, {@code n}), the calibration of a
 * single-label classifier, and the details only the report files and their renderers read (worst errors, label
 * distributions, QA's breakdowns and predictions, the tagger's sentence figures). It becomes JSON only where a
 * report is written ({@link #toJson}); one read back from a report ({@link #fromJson}) has the same typed parts.
 */
public final class Evaluation {
    /** Nothing scored (no validation set). */
    public static final Evaluation NONE = new Evaluation(null, Map.of(), null, new JsonObject());

    private final Metrics scores;
    private final Map<String, Number> figures;
    private final Calibration calibration;
    private final JsonObject details;
    /** The report's {@code metrics} section, rendered once from the scores and figures (null: nothing scored). */
    private final JsonObject metricsJson;
    private final Map<String, Double> metrics;

    /**
     * @param scores the task's scores (null: nothing scored)
     * @param figures numbers of the split written after the scores in {@code metrics} ({@code loss}, {@code n})
     * @param calibration a single-label classifier's calibration, else null
     * @param details the report's other sections, in order
     */
    public Evaluation(Metrics scores, Map<String, ? extends Number> figures, Calibration calibration, JsonObject details) {
        this.scores = scores;
        this.figures = Collections.unmodifiableMap(new LinkedHashMap<>(figures));
        this.calibration = calibration;
        this.details = details.deepCopy();
        this.metricsJson = scores == null ? null : metricsJson(scores, this.figures);
        Map<String, Double> m = new LinkedHashMap<>();
        if (metricsJson != null) {
            metricsJson.entrySet().stream()
                    .filter(e -> e.getValue().isJsonPrimitive() && e.getValue().getAsJsonPrimitive().isNumber())
                    .forEach(e -> m.put(e.getKey(), e.getValue().getAsDouble()));
        }
        this.metrics = Collections.unmodifiableMap(m);
    }

    /**
     * The numbers of the report's {@code metrics}, in its order: the headline metrics by name (what early stopping,
     * {@code compare}, {@code tune}, distillation and the baseline read) and the split's counts.
     */
    public Map<String, Double> metrics() {
        return metrics;
    }

    /** Precision, recall, F1 and support per class (label, entity type); empty for regression and QA. */
    public Map<String, Scores> perClass() {
        return scores == null ? Map.of() : scores.perClass();
    }

    /** Gold against predicted counts, or null (multi-label, regression, QA). */
    public Confusion confusion() {
        return scores == null ? null : scores.confusionMatrix();
    }

    /** A single-label classifier's calibration, or null. */
    public Calibration calibration() {
        return calibration;
    }

    /** The report as {@code report.json} holds it for this split: a new object the caller may change. */
    public JsonObject toJson() {
        JsonObject report = new JsonObject();
        if (metricsJson != null) {
            report.add("metrics", metricsJson.deepCopy());
        }
        if (calibration != null) {
            report.add("calibration", JsonParser.parseString(calibration.toJson()));
        }
        details.deepCopy().entrySet().forEach(e -> report.add(e.getKey(), e.getValue()));
        return report;
    }

    /** The evaluation a report's section holds (a report.json read back). */
    public static Evaluation fromJson(JsonObject report) {
        JsonObject details = report.deepCopy();
        JsonElement m = details.remove("metrics");
        JsonElement c = details.remove("calibration");
        return new Evaluation(m == null ? null : Metrics.fromJson(m.getAsJsonObject()), Map.of(),
                c == null ? null : Calibration.fromJson(c.getAsJsonObject()), details);
    }

    private static JsonObject metricsJson(Metrics scores, Map<String, Number> figures) {
        JsonObject m = JsonParser.parseString(scores.toJson()).getAsJsonObject();
        figures.forEach((k, v) -> m.addProperty(k, v));
        return m;
    }
}
