package bertft.tune;

import bertft.UserError;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What a search may spend: a number of trials, wall-clock seconds, or both (null: no limit of that kind). The
 * time counts the trials' training and keeps back what retraining the current best with every seed will take.
 */
public final class Budget {
    private static final Pattern PART = Pattern.compile("(\\d+(?:\\.\\d+)?)([hms])");

    final Integer trials;
    final Double seconds;
    private double spent;

    public Budget(Integer trials, Double seconds) {
        this.trials = trials;
        this.seconds = seconds;
    }

    /** Whether trial number {@code started + 1} may start. */
    boolean mayStart(int started) {
        return trials == null || started < trials;
    }

    /**
     * Whether a unit of work expected to take {@code next} seconds fits, with {@code reserve} seconds kept for
     * the retraining of the winner.
     */
    boolean fits(double next, double reserve) {
        return seconds == null || spent + next + reserve <= seconds;
    }

    void spend(double s) {
        spent += s;
    }

    double spent() {
        return spent;
    }

    /** {@code 2h}, {@code 90m}, {@code 1h30m}, {@code 45s}, {@code 1.5h} -> seconds. */
    public static double seconds(String text) {
        String t = text.strip().toLowerCase(Locale.ROOT);
        Matcher m = PART.matcher(t);
        double total = 0;
        int at = 0;
        while (m.find() && m.start() == at) {
            total += Double.parseDouble(m.group(1)) * switch (m.group(2)) {
                case "h" -> 3600;
                case "m" -> 60;
                default -> 1;
            };
            at = m.end();
        }
        if (at == 0 || at != t.length()) {
            throw new UserError("--budget " + text + ": not a duration (e.g. 2h, 90m, 1h30m, 600s)");
        }
        if (total <= 0) {
            throw new UserError("--budget " + text + ": must be more than 0");
        }
        return total;
    }

    /** {@code 2h 0m}, {@code 14m 5s}, for reports. */
    static String text(double seconds) {
        long s = Math.round(seconds);
        return s >= 3600 ? String.format("%dh %02dm", s / 3600, s % 3600 / 60)
                : s >= 60 ? String.format("%dm %02ds", s / 60, s % 60) : s + "s";
    }
}
