package bertft.task;

import java.util.List;

/**
 * One task setting: its kebab-case name (YAML key and, with {@code --}, CLI option), type, default and help.
 *
 * @param name the key, e.g. {@code learning-rate}
 * @param type how its text is parsed
 * @param defaultText the default as it would be written in a task file; null when the key is unset by default
 * @param allowed the allowed values of a {@link Type#CHOICE}; empty otherwise
 * @param range the allowed numeric range, e.g. {@code >= 1}, {@code > 0} or {@code [0, 1)}; null for no limit
 * @param description one line of help
 */
public record Key(String name, Type type, String defaultText, List<String> allowed, String range,
        String description) {

    /** How a key's value is written. */
    public enum Type {
        STRING, PATH, INT, LONG, DOUBLE, BOOL, CHOICE,
        /** A list of strings: a YAML list, or comma-separated text. */
        LIST,
        /** {@code {polarity: [ratings]}}, see {@link SentimentMap}. */
        SENTIMENT_MAP,
        /** {@code {metric: m, patience: n, mode: max|min}}, see {@link EarlyStopping}. */
        EARLY_STOPPING,
        /** {@code {token-dropout: p, token-mask: p}}, see {@link Augment}. */
        AUGMENT,
        /** {@code epoch}, a number of steps, {@code 500 steps}, {@code 1 epoch} or {@code auto}, see {@link Interval}. */
        INTERVAL
    }

    /** The command-line long option, e.g. {@code --learning-rate}. */
    public String option() {
        return "--" + name;
    }

    /** This key with another default (a command whose measured best differs from {@code train}'s). */
    public Key withDefault(String text) {
        return new Key(name, type, text, allowed, range, description);
    }

    /** Whether the key has no default value (it stays null unless set or filled by a preset). */
    public boolean optional() {
        return defaultText == null;
    }
}
