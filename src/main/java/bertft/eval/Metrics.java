package bertft.eval;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** An evaluation result: named scalar metrics plus a JSON form with the details. */
public interface Metrics {

    /** The scalar metrics by name, e.g. {@code accuracy}, {@code macro_f1}; the names match the JSON keys. */
    Map<String, Double> scalars();

    /** The result as pretty-printed JSON. */
    String toJson();

    /**
     * Precision, recall, F1 and support per class (per label of a multi-label task, per entity type of a tagger), in
     * label order; empty when the task has none (regression, QA).
     */
    default Map<String, Scores> perClass() {
        return Map.of();
    }

    /** Gold against predicted counts (classes, or entity types); null when the task has none. */
    default Confusion confusionMatrix() {
        return null;
    }

    /**
     * A result as a report file holds it ({@link #toJson}'s form, read back): its scalars are the JSON's numeric
     * entries, per class and confusion read from {@code per_class} / {@code per_label} / {@code per_type} and
     * {@code confusion_matrix} / {@code type_confusion}; {@code toJson} gives the JSON back as it was.
     */
    static Metrics fromJson(JsonObject json) {
        Map<String, Double> scalars = new LinkedHashMap<>();
        Map<String, Scores> perClass = new LinkedHashMap<>();
        Confusion confusion = null;
        for (Map.Entry<String, JsonElement> e : json.entrySet()) {
            JsonElement v = e.getValue();
            if (v.isJsonPrimitive() && v.getAsJsonPrimitive().isNumber()) {
                scalars.put(e.getKey(), v.getAsDouble());
            } else if (v.isJsonObject() && e.getKey().startsWith("per_")) {
                for (Map.Entry<String, JsonElement> c : v.getAsJsonObject().entrySet()) {
                    JsonObject s = c.getValue().getAsJsonObject();
                    perClass.put(c.getKey(), new Scores(s.get("precision").getAsDouble(), s.get("recall").getAsDouble(),
                            s.get("f1").getAsDouble(), s.get("support").getAsLong()));
                }
            } else if (v.isJsonObject() && List.of("confusion_matrix", "type_confusion").contains(e.getKey())) {
                JsonObject c = v.getAsJsonObject();
                confusion = new Confusion(List.of(Json.GSON.fromJson(c.get("labels"), String[].class)),
                        Json.GSON.fromJson(c.get("matrix"), long[][].class));
            }
        }
        String text = Json.GSON.toJson(json);
        Map<String, Scores> classes = java.util.Collections.unmodifiableMap(perClass);
        Confusion matrix = confusion;
        return new Metrics() {
            @Override
            public Map<String, Double> scalars() {
                return java.util.Collections.unmodifiableMap(scalars);
            }

            @Override
            public String toJson() {
                return text;
            }

            @Override
            public Map<String, Scores> perClass() {
                return classes;
            }

            @Override
            public Confusion confusionMatrix() {
                return matrix;
            }
        };
    }

    /** One scalar by name. */
    default double metric(String name) {
        Double v = scalars().get(name);
        if (v == null) {
            throw new IllegalArgumentException("no metric " + name + " in " + scalars().keySet());
        }
        return v;
    }
}
