package bertft.eval;

import java.util.List;

/**
 * Counts of gold (row) against predicted (column), both in {@code labels} order: the confusion matrix of a
 * classifier, or the entity-type confusion of a tagger (with {@link EntityMetrics#NONE} for missed and spurious).
 */
public record Confusion(List<String> labels, long[][] counts) {
    public Confusion {
        labels = List.copyOf(labels);
        long[][] copy = new long[counts.length][];
        for (int i = 0; i < counts.length; i++) {
            copy[i] = counts[i].clone();
        }
        counts = copy;
    }

    /** The count of gold {@code row} predicted as {@code column}. */
    public long count(int row, int column) {
        return counts[row][column];
    }

    @Override
    public long[][] counts() {
        long[][] copy = new long[counts.length][];
        for (int i = 0; i < counts.length; i++) {
            copy[i] = counts[i].clone();
        }
        return copy;
    }
}
