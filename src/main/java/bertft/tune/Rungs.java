package bertft.tune;

import java.util.List;

/** Where a trial's rungs end in {@link Halving}: {@code bert-ft tune --rungs}. */
public enum Rungs {
    /** After 1, 2, 4, ... epochs, or at the trial's own end: trials are compared after equal epochs. */
    EPOCHS,
    /**
     * After a quarter, a half and all of the trial's own epochs, rounded up to whole epochs (rungs that round
     * to the same epoch are one): trials are compared at the same point of their learning-rate schedules, so a
     * long trial is not judged while its rate is still high.
     */
    SCHEDULE;

    /** The epochs a trial of {@code epochs} has trained at the end of rung {@code rung}. */
    public double target(double epochs, int rung) {
        if (this == EPOCHS) {
            return Math.min(epochs, 1L << rung);
        }
        double[] ends = scheduleEnds(epochs);
        return ends[Math.min(rung, ends.length - 1)];
    }

    /** The rung at which a trial of {@code epochs} ends: the first that reaches its epochs. */
    public int lastRung(double epochs) {
        if (this == SCHEDULE) {
            return scheduleEnds(epochs).length - 1;
        }
        int k = 0;
        while ((1L << k) < epochs - 1e-9) {
            k++;
        }
        return k;
    }

    /** Rung {@code rung}'s column label in reports: its epochs ("1", "2", "4") or its share ("1/4", "1/2", "all"). */
    public String label(int rung) {
        return this == EPOCHS ? Long.toString(1L << rung) : List.of("1/4", "1/2", "all").get(rung);
    }

    /** Where rungs end, in words, for reports. */
    public String rule() {
        return this == EPOCHS ? "Each rung ends after 1, 2, 4, ... epochs (or at the trial's own end)"
                : "Each rung ends after a quarter, a half and all of the trial's own epochs (rounded up to whole"
                        + " epochs; columns 1/4, 1/2, all)";
    }

    private static double[] scheduleEnds(double epochs) {
        return java.util.stream.DoubleStream.of(Math.ceil(epochs / 4 - 1e-9), Math.ceil(epochs / 2 - 1e-9), epochs)
                .map(e -> Math.min(e, epochs)).distinct().toArray();
    }
}
