package bertft.task;

import bertft.UserError;
import java.io.StringReader;
import java.math.BigDecimal;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;
import org.yaml.snakeyaml.error.Mark;
import org.yaml.snakeyaml.error.MarkedYAMLException;
import org.yaml.snakeyaml.error.YAMLException;
import org.yaml.snakeyaml.nodes.MappingNode;
import org.yaml.snakeyaml.nodes.Node;
import org.yaml.snakeyaml.nodes.NodeTuple;
import org.yaml.snakeyaml.nodes.ScalarNode;
import org.yaml.snakeyaml.nodes.SequenceNode;
import org.yaml.snakeyaml.nodes.Tag;

/**
 * Turns task-file nodes and command-line text into typed values, with the same rules for both.
 *
 * <p>Scalars are parsed from their text, never from YAML's own typing, so {@code batch-size: 32} in a file and
 * {@code --batch-size 32} on the command line go through one parser and fail with one message.
 */
final class Values {
    // Plain decimal or scientific notation; Double.parseDouble alone would also take "NaN", "0x1p3" and "1d".
    private static final Pattern NUMBER = Pattern.compile("[+-]?(\\d+\\.?\\d*|\\.\\d+)([eE][+-]?\\d+)?");
    private static final Pattern INTERVAL = Pattern.compile("(\\S+)\\s+(steps?|epochs?)");

    private Values() {}

    /**
     * Where a value was written, for messages: {@code tasks/x.yaml:7: key} in a file, else {@code setting}:
     * {@code --key} on the command line, {@code key} when the library's caller set it. {@code key} null means the
     * document itself.
     */
    record Where(String file, String key, String setting) {
        /** In a file, or on the command line ({@code --key}) when {@code file} is null. */
        Where(String file, String key) {
            this(file, key, "--" + key);
        }

        String at(Node node) {
            if (file == null) {
                return setting;
            }
            return file + ":" + line(node) + (key == null ? "" : ": " + key);
        }

        Where sub(String subKey) {
            return new Where(file, key + ": " + subKey, setting + ": " + subKey);
        }
    }

    /** 1-based line of a node. */
    static int line(Node node) {
        return node == null ? 1 : node.getStartMark().getLine() + 1;
    }

    /** Parses YAML into a node tree; SafeConstructor keeps arbitrary object construction out. */
    static Node compose(String text, String name) {
        LoaderOptions options = new LoaderOptions();
        options.setMaxAliasesForCollections(10);
        try {
            return new Yaml(new SafeConstructor(options)).compose(new StringReader(text));
        } catch (MarkedYAMLException e) {
            Mark mark = e.getProblemMark() != null ? e.getProblemMark() : e.getContextMark();
            String where = name.startsWith("--") ? name : name + ":" + (mark == null ? 1 : mark.getLine() + 1);
            throw new UserError(where + ": not valid YAML: " + e.getProblem());
        } catch (YAMLException e) {
            throw new UserError(name + ": not valid YAML: " + e.getMessage());
        }
    }

    /** The value of a task-file node; null for an explicit YAML null ({@code ~}, {@code null}, nothing). */
    static Object parse(Key key, Node node, Where w) {
        if (node instanceof ScalarNode s && s.getTag().equals(Tag.NULL)) {
            return null;
        }
        return switch (key.type()) {
            case LIST -> list(node, w);
            case SENTIMENT_MAP -> sentimentMap(node, w);
            case EARLY_STOPPING -> earlyStopping(node, w);
            case AUGMENT -> augment(node, w);
            default -> scalar(key, text(node, w), w.at(node));
        };
    }

    /** The value of command-line, preset or default text; lists and maps are read as YAML flow text. */
    static Object parseText(Key key, String text, Where w) {
        return switch (key.type()) {
            case LIST, SENTIMENT_MAP, EARLY_STOPPING, AUGMENT -> {
                Node node = compose(text, w.at(null));
                if (node == null || node instanceof ScalarNode s && s.getTag().equals(Tag.NULL)) {
                    throw new UserError(w.at(null) + ": empty value");
                }
                yield parse(key, node, w);
            }
            default -> scalar(key, text, w.at(null));
        };
    }

    /** The text of a scalar node; lists and maps are an error here. */
    static String text(Node node, Where w) {
        if (node instanceof ScalarNode s) {
            return s.getValue();
        }
        throw new UserError(w.at(node) + ": expected a single value, got a " + kind(node));
    }

    /** The entries of a mapping node by key text, in order; unknown and repeated keys are errors. */
    static Map<String, NodeTuple> mapping(Node node, Where w, List<String> names) {
        if (!(node instanceof MappingNode m)) {
            throw new UserError(w.at(node) + ": expected 'key: value' entries, got a " + kind(node));
        }
        Map<String, NodeTuple> out = new LinkedHashMap<>();
        for (NodeTuple t : m.getValue()) {
            String k = text(t.getKeyNode(), w);
            if (!names.contains(k)) {
                String near = Keys.nearest(k, names);
                throw new UserError(w.at(t.getKeyNode()) + ": unknown key '" + k + "'"
                        + (near == null ? "" : " (did you mean '" + near + "'?)"));
            }
            if (out.containsKey(k)) {
                throw new UserError(w.at(t.getKeyNode()) + ": '" + k + "' is set twice (first on line "
                        + line(out.get(k).getKeyNode()) + ")");
            }
            out.put(k, t);
        }
        return out;
    }

    /** A scalar of the key's type, range-checked; {@code where} prefixes any message. */
    static Object scalar(Key key, String text, String where) {
        String s = text.strip();
        if (s.isEmpty()) {
            throw new UserError(where + ": empty value");
        }
        Object value = switch (key.type()) {
            case STRING -> s;
            case PATH -> path(s, where);
            case INT -> (int) integer(s, where, Integer.MIN_VALUE, Integer.MAX_VALUE);
            case LONG -> integer(s, where, Long.MIN_VALUE, Long.MAX_VALUE);
            case DOUBLE -> number(s, where);
            case BOOL -> bool(s, where);
            case CHOICE -> choice(s, key.allowed(), where);
            case INTERVAL -> interval(s, where);
            default -> throw new IllegalStateException(key.type() + " is not a scalar type");
        };
        if (key.range() != null && value instanceof Number n && !inRange(n.doubleValue(), key.range())) {
            throw new UserError(where + ": must be " + (key.range().startsWith(">") ? "" : "in ") + key.range()
                    + ", got " + s);
        }
        return value;
    }

    static double number(String s, String where) {
        if (!NUMBER.matcher(s).matches()) {
            throw new UserError(where + ": expected a number, got '" + s + "'");
        }
        double d = Double.parseDouble(s);
        if (Double.isInfinite(d)) {
            throw new UserError(where + ": " + s + " is too large a number");
        }
        return d;
    }

    static long integer(String s, String where, long min, long max) {
        try {
            long v = Long.parseLong(s.startsWith("+") ? s.substring(1) : s);
            if (v >= min && v <= max) {
                return v;
            }
        } catch (NumberFormatException e) {
            // reported below, with the text
        }
        throw new UserError(where + ": expected an integer, got '" + s + "'");
    }

    static String choice(String s, List<String> allowed, String where) {
        if (!allowed.contains(s)) {
            throw new UserError(where + ": '" + s + "' is not one of " + allowed);
        }
        return s;
    }

    /** A number as a task file writes it: {@code 3}, {@code 0.0001}, never {@code 1.0E-4}. */
    static String number(double d) {
        return BigDecimal.valueOf(d).stripTrailingZeros().toPlainString();
    }

    /** Whether {@code v} lies in a range written {@code >= a}, {@code > a} or as an interval {@code [a, b)}. */
    static boolean inRange(double v, String range) {
        if (range.startsWith(">=")) {
            return v >= Double.parseDouble(range.substring(2).strip());
        }
        if (range.startsWith(">")) {
            return v > Double.parseDouble(range.substring(1).strip());
        }
        String[] ends = range.substring(1, range.length() - 1).split(",");
        double lo = Double.parseDouble(ends[0].strip());
        double hi = Double.parseDouble(ends[1].strip());
        return (range.startsWith("[") ? v >= lo : v > lo) && (range.endsWith("]") ? v <= hi : v < hi);
    }

    static Path path(String s, String where) {
        try {
            return Path.of(s);
        } catch (InvalidPathException e) {
            throw new UserError(where + ": not a valid path: '" + s + "'");
        }
    }

    private static boolean bool(String s, String where) {
        return switch (s.toLowerCase(Locale.ROOT)) {
            case "true", "yes", "on" -> true;
            case "false", "no", "off" -> false;
            default -> throw new UserError(where + ": expected true or false, got '" + s + "'");
        };
    }

    private static Interval interval(String s, String where) {
        String t = s.toLowerCase(Locale.ROOT);
        if (t.equals("auto")) {
            return new Interval(0, Interval.Unit.AUTO);
        }
        if (t.equals("epoch")) {
            return new Interval(1, Interval.Unit.EPOCHS);
        }
        Matcher m = INTERVAL.matcher(t);
        String amount = m.matches() ? m.group(1) : t;
        boolean epochs = m.matches() && m.group(2).startsWith("epoch");
        if (NUMBER.matcher(amount).matches()) {
            double v = Double.parseDouble(amount);
            if (epochs && v > 0) {
                return new Interval(v, Interval.Unit.EPOCHS);
            }
            if (!epochs && v >= 1 && v == Math.rint(v)) {
                return new Interval(v, Interval.Unit.STEPS);
            }
        }
        throw new UserError(where + ": expected 'epoch', a number of steps, '500 steps', '0.5 epochs' or 'auto', got '"
                + s + "'");
    }

    private static List<String> list(Node node, Where w) {
        List<String> items = new ArrayList<>();
        if (node instanceof SequenceNode seq) {
            for (Node item : seq.getValue()) {
                items.add(text(item, w).strip());
            }
        } else {
            for (String item : text(node, w).split(",", -1)) {
                items.add(item.strip());
            }
        }
        if (items.isEmpty()) {
            throw new UserError(w.at(node) + ": empty list");
        }
        for (int i = 0; i < items.size(); i++) {
            if (items.get(i).isEmpty()) {
                throw new UserError(w.at(node) + ": item " + (i + 1) + " is empty");
            }
            if (items.indexOf(items.get(i)) < i) {
                throw new UserError(w.at(node) + ": '" + items.get(i) + "' appears twice");
            }
        }
        return List.copyOf(items);
    }

    private static SentimentMap sentimentMap(Node node, Where w) {
        if (!(node instanceof MappingNode m)) {
            throw new UserError(w.at(node) + ": expected {polarity: [ratings], ...}, got a " + kind(node));
        }
        Map<String, List<Double>> polarities = new LinkedHashMap<>();
        for (NodeTuple t : m.getValue()) {
            String name = text(t.getKeyNode(), w).strip();
            if (polarities.containsKey(name)) {
                throw new UserError(w.at(t.getKeyNode()) + ": '" + name + "' is set twice");
            }
            Where sub = w.sub(name);
            List<Double> ratings = new ArrayList<>();
            for (String r : list(t.getValueNode(), sub)) {
                double rating = number(r, sub.at(t.getValueNode()));
                for (Map.Entry<String, List<Double>> e : polarities.entrySet()) {
                    if (e.getValue().contains(rating)) {
                        throw new UserError(sub.at(t.getValueNode()) + ": rating " + r + " is already "
                                + e.getKey());
                    }
                }
                ratings.add(rating);
            }
            polarities.put(name, ratings);
        }
        if (polarities.size() < 2) {
            throw new UserError(w.at(node) + ": needs at least two polarities, e.g. {negative: [1, 2], "
                    + "positive: [4, 5]}");
        }
        return new SentimentMap(polarities);
    }

    /** {@code {metric, patience, mode}}; a bare {@code true} means all defaults, {@code false} none. */
    private static EarlyStopping earlyStopping(Node node, Where w) {
        if (node instanceof ScalarNode s) {
            return bool(s.getValue().strip(), w.at(node)) ? new EarlyStopping(null, EarlyStopping.DEFAULT_PATIENCE,
                    null) : null;
        }
        Map<String, Node> entries = values(mapping(node, w, List.of("metric", "patience", "mode")));
        String metric = entries.containsKey("metric") ? text(entries.get("metric"), w.sub("metric")).strip() : null;
        int patience = EarlyStopping.DEFAULT_PATIENCE;
        if (entries.containsKey("patience")) {
            Where at = w.sub("patience");
            String p = text(entries.get("patience"), at).strip();
            patience = (int) integer(p, at.at(entries.get("patience")), Integer.MIN_VALUE, Integer.MAX_VALUE);
            if (patience < 1) {
                throw new UserError(at.at(entries.get("patience")) + ": must be >= 1, got " + p);
            }
        }
        String mode = null;
        if (entries.containsKey("mode")) {
            Where at = w.sub("mode");
            mode = choice(text(entries.get("mode"), at).strip(), List.of("max", "min"), at.at(entries.get("mode")));
        }
        return new EarlyStopping(metric, patience, mode);
    }

    private static Augment augment(Node node, Where w) {
        Map<String, Node> entries = values(mapping(node, w, List.of("token-dropout", "token-mask")));
        double[] p = new double[2];
        int i = 0;
        for (String name : List.of("token-dropout", "token-mask")) {
            if (entries.containsKey(name)) {
                Where at = w.sub(name);
                String text = text(entries.get(name), at).strip();
                p[i] = number(text, at.at(entries.get(name)));
                if (!inRange(p[i], "[0, 1)")) {
                    throw new UserError(at.at(entries.get(name)) + ": must be in [0, 1), got " + text);
                }
            }
            i++;
        }
        return new Augment(p[0], p[1]);
    }

    private static Map<String, Node> values(Map<String, NodeTuple> entries) {
        Map<String, Node> out = new LinkedHashMap<>();
        entries.forEach((k, t) -> out.put(k, t.getValueNode()));
        return out;
    }

    private static String kind(Node node) {
        if (node instanceof SequenceNode) {
            return "list";
        }
        return node instanceof MappingNode ? "mapping" : "single value";
    }
}
