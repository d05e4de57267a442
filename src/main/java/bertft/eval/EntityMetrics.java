package bertft.eval;

import bertft.eval.Entities.Entity;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * Token classification scored as {@code seqeval} scores it: entity-level precision, recall and F1, micro-averaged
 * over all entities and per entity type (an entity counts only when type, first and last tag all match), and token
 * accuracy. Besides: the entity-type confusion, where each gold entity meets the predicted entity overlapping it
 * most (column {@code O}: missed) and each predicted entity overlapping no gold one is spurious (row {@code O}).
 */
public final class EntityMetrics implements Metrics {
    /** The confusion's name for "no entity" (missed or spurious). */
    public static final String NONE = "O";

    private final Scores micro;
    private final Map<String, Scores> perType;
    private final double tokenAccuracy;
    private final List<String> confusionLabels;
    private final long[][] confusion;

    private EntityMetrics(Scores micro, Map<String, Scores> perType, double tokenAccuracy, List<String> labels,
            long[][] confusion) {
        this.micro = micro;
        this.perType = perType;
        this.tokenAccuracy = tokenAccuracy;
        this.confusionLabels = labels;
        this.confusion = confusion;
    }

    /** Scores sentences of {@code predicted} tags against {@code gold} ones, sentence by sentence. */
    public static EntityMetrics compute(List<List<String>> gold, List<List<String>> predicted, Entities.Mode mode) {
        if (gold.size() != predicted.size() || gold.isEmpty()) {
            throw new IllegalArgumentException("need as many predicted sentences (" + predicted.size() + ") as gold ("
                    + gold.size() + "), at least one");
        }
        Set<List<Object>> goldSet = new HashSet<>();
        Set<List<Object>> predSet = new HashSet<>();
        Set<String> types = new TreeSet<>();
        long tokens = 0;
        long same = 0;
        List<List<Entity>> golds = new ArrayList<>();
        List<List<Entity>> preds = new ArrayList<>();
        for (int s = 0; s < gold.size(); s++) {
            List<String> g = gold.get(s);
            List<String> p = predicted.get(s);
            if (g.size() != p.size()) {
                throw new IllegalArgumentException("sentence " + s + ": " + g.size() + " gold tags, " + p.size()
                        + " predicted");
            }
            for (int i = 0; i < g.size(); i++) {
                same += g.get(i).equals(p.get(i)) ? 1 : 0;
            }
            tokens += g.size();
            List<Entity> ge = Entities.of(g, mode);
            List<Entity> pe = Entities.of(p, mode);
            golds.add(ge);
            preds.add(pe);
            for (Entity e : ge) {
                goldSet.add(List.of(s, e));
                types.add(e.type());
            }
            for (Entity e : pe) {
                predSet.add(List.of(s, e));
                types.add(e.type());
            }
        }
        Map<String, Scores> perType = new LinkedHashMap<>();
        for (String t : types) {
            perType.put(t, scores(filter(goldSet, t), filter(predSet, t)));
        }
        List<String> labels = new ArrayList<>(types);
        labels.add(NONE);
        long[][] confusion = confusion(golds, preds, labels);
        return new EntityMetrics(scores(goldSet, predSet), perType, Scores.ratio(same, tokens), List.copyOf(labels),
                confusion);
    }

    private static Scores scores(Set<List<Object>> gold, Set<List<Object>> pred) {
        long tp = pred.stream().filter(gold::contains).count();
        return Scores.of(tp, pred.size() - tp, gold.size() - tp);
    }

    private static Set<List<Object>> filter(Set<List<Object>> entities, String type) {
        Set<List<Object>> out = new HashSet<>();
        for (List<Object> e : entities) {
            if (((Entity) e.get(1)).type().equals(type)) {
                out.add(e);
            }
        }
        return out;
    }

    private static long[][] confusion(List<List<Entity>> golds, List<List<Entity>> preds, List<String> labels) {
        int none = labels.size() - 1;
        long[][] m = new long[labels.size()][labels.size()];
        for (int s = 0; s < golds.size(); s++) {
            Set<Entity> matched = new HashSet<>();
            for (Entity g : golds.get(s)) {
                Entity best = null;
                int bestOverlap = 0;
                for (Entity p : preds.get(s)) {
                    int overlap = Math.min(g.last(), p.last()) - Math.max(g.first(), p.first()) + 1;
                    if (overlap > bestOverlap) {
                        best = p;
                        bestOverlap = overlap;
                    }
                }
                m[labels.indexOf(g.type())][best == null ? none : labels.indexOf(best.type())]++;
                if (best != null) {
                    matched.add(best);
                }
            }
            for (Entity p : preds.get(s)) {
                boolean overlapsGold = golds.get(s).stream()
                        .anyMatch(g -> Math.min(g.last(), p.last()) >= Math.max(g.first(), p.first()));
                if (!overlapsGold && !matched.contains(p)) {
                    m[none][labels.indexOf(p.type())]++;
                }
            }
        }
        return m;
    }

    /** Micro-averaged entity scores (support: gold entities). */
    public Scores micro() {
        return micro;
    }

    /** Scores per entity type, types in alphabetical order. */
    public Map<String, Scores> perType() {
        return perType;
    }

    public double tokenAccuracy() {
        return tokenAccuracy;
    }

    /** Entity types then {@link #NONE}: the rows (gold) and columns (predicted) of {@link #confusion()}. */
    public List<String> confusionLabels() {
        return confusionLabels;
    }

    /** Gold type (row) against the type of the predicted entity overlapping it most (column), a copy. */
    public long[][] confusion() {
        long[][] copy = new long[confusion.length][];
        for (int i = 0; i < confusion.length; i++) {
            copy[i] = confusion[i].clone();
        }
        return copy;
    }

    @Override
    public Map<String, Scores> perClass() {
        return java.util.Collections.unmodifiableMap(perType);
    }

    @Override
    public Confusion confusionMatrix() {
        return new Confusion(confusionLabels, confusion);
    }

    @Override
    public Map<String, Double> scalars() {
        Map<String, Double> m = new LinkedHashMap<>();
        m.put("f1", micro.f1());
        m.put("precision", micro.precision());
        m.put("recall", micro.recall());
        m.put("token_accuracy", tokenAccuracy);
        return m;
    }

    /**
     * {@code {"f1", "precision", "recall", "token_accuracy", "entities", "per_type": {type: {precision, recall, f1,
     * support}}, "type_confusion": {"labels": [...], "matrix": [[...]]}}}.
     */
    @Override
    public String toJson() {
        Map<String, Object> json = new LinkedHashMap<>(scalars());
        json.put("entities", micro.support());
        List<String> types = new ArrayList<>(perType.keySet());
        json.put("per_type", ClassificationMetrics.perLabel(types, perType.values().toArray(Scores[]::new)));
        Map<String, Object> matrix = new LinkedHashMap<>();
        matrix.put("labels", confusionLabels);
        matrix.put("matrix", confusion);
        json.put("type_confusion", matrix);
        return Json.GSON.toJson(json);
    }
}
