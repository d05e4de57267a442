package bertft.tune;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** One point of a search: its settings, how long it trains, its validation metric at each rung, its time. */
final class Trial {
    final int id;
    final Map<String, String> settings;
    /** The epochs the trial trains for when it is never stopped. */
    final double epochs;
    /** The metric at the end of rung k (the best over the epochs trained by then); NaN when it had none. */
    final List<Double> values = new ArrayList<>();
    /** The epochs trained at the end of rung k. */
    final List<Double> rungEpochs = new ArrayList<>();
    double seconds;
    /** Trained to its end (all its epochs, or stopped early by the task's early-stopping). */
    boolean finished;

    Trial(int id, Map<String, String> settings, double epochs) {
        this.id = id;
        this.settings = settings;
        this.epochs = epochs;
    }

    /** The highest rung reached; -1 before the first. */
    int rung() {
        return values.size() - 1;
    }

    /** The metric at the highest rung reached. */
    double latest() {
        return values.isEmpty() ? Double.NaN : values.get(values.size() - 1);
    }

    /** Epochs trained so far. */
    double trained() {
        return rungEpochs.isEmpty() ? 0 : rungEpochs.get(rungEpochs.size() - 1);
    }

    void record(double epochsTrained, double value, double unitSeconds, boolean done) {
        rungEpochs.add(epochsTrained);
        values.add(value);
        seconds += unitSeconds;
        finished = done;
    }

    /** {@code t007}: the trial's directory name. */
    String name() {
        return String.format("t%03d", id);
    }
}
