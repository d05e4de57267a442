package bertft.eval;

import java.util.Map;

/** An evaluation result: named scalar metrics plus a JSON form with the details. */
public interface Metrics {

    /** The scalar metrics by name, e.g. {@code accuracy}, {@code macro_f1}; the names match the JSON keys. */
    Map<String, Double> scalars();

    /** The result as pretty-printed JSON. */
    String toJson();

    /** One scalar by name. */
    default double metric(String name) {
        Double v = scalars().get(name);
        if (v == null) {
            throw new IllegalArgumentException("no metric " + name + " in " + scalars().keySet());
        }
        return v;
    }
}
