package bertft.tune;

import java.util.Comparator;
import java.util.List;

/**
 * Asynchronous successive halving (ASHA, Li et al. 2020) at epoch boundaries: rung k ends after
 * {@code 2^k} epochs (1, 2, 4, ...), or at the trial's own end when it is shorter ({@link Rungs#EPOCHS}), or at a
 * quarter, a half and all of the trial's epochs ({@link Rungs#SCHEDULE}); a trial goes on to the next rung when it
 * is in the best half of the trials that reached its rung.
 */
final class Halving {
    /** Of the trials that reach a rung, 1 in ETA goes on. */
    static final int ETA = 2;

    private Halving() {}

    /**
     * The trial to train on to its next rung: the best one, at the highest rung, that is among the best
     * {@code members / ETA} of the trials that reached that rung and is not finished; null when none is.
     */
    static Trial promotion(List<Trial> trials, boolean lowerIsBetter) {
        int top = trials.stream().mapToInt(Trial::rung).max().orElse(-1);
        for (int k = top; k >= 0; k--) {
            int rung = k;
            List<Trial> members = trials.stream().filter(t -> t.rung() >= rung)
                    .sorted(order(t -> t.values.get(rung), lowerIsBetter)).toList();
            for (Trial t : members.subList(0, members.size() / ETA)) {
                if (t.rung() == rung && !t.finished) {
                    return t;
                }
            }
        }
        return null;
    }

    /**
     * The winner: the best latest metric among the trials that finished and those at the highest rung reached
     * (a trial stopped at a lower rung lost there); null before any trial has a metric.
     */
    static Trial best(List<Trial> trials, boolean lowerIsBetter) {
        int top = trials.stream().mapToInt(Trial::rung).max().orElse(-1);
        return trials.stream().filter(t -> t.rung() >= 0 && (t.finished || t.rung() == top))
                .filter(t -> !Double.isNaN(t.latest())).min(order(Trial::latest, lowerIsBetter)).orElse(null);
    }

    /** Best first (NaN last), ties by trial number. */
    static Comparator<Trial> order(java.util.function.ToDoubleFunction<Trial> value, boolean lowerIsBetter) {
        return Comparator.<Trial>comparingDouble(t -> {
            double v = value.applyAsDouble(t);
            return Double.isNaN(v) ? Double.POSITIVE_INFINITY : lowerIsBetter ? v : -v;
        }).thenComparingInt(t -> t.id);
    }
}
