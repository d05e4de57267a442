package bertft.task;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Which ratings mean which polarity, e.g. {@code {negative: [1, 2], positive: [4, 5]}}; other ratings are skipped.
 *
 * @param polarities polarity name to its ratings, in the order written
 */
public record SentimentMap(Map<String, List<Double>> polarities) {

    public SentimentMap {
        Map<String, List<Double>> copy = new LinkedHashMap<>();
        polarities.forEach((name, ratings) -> copy.put(name, List.copyOf(ratings)));
        polarities = Collections.unmodifiableMap(copy);
    }

    /** The polarity names in the order written. */
    public List<String> names() {
        return List.copyOf(polarities.keySet());
    }

    /** The polarity of {@code rating}, or null when the map leaves it out. */
    public String polarity(double rating) {
        for (Map.Entry<String, List<Double>> e : polarities.entrySet()) {
            if (e.getValue().contains(rating)) {
                return e.getKey();
            }
        }
        return null;
    }
}
