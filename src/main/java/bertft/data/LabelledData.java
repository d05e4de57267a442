package bertft.data;

import bertft.UserError;
import bertft.data.TableReader.Problem;
import bertft.data.TableReader.Row;
import bertft.task.TaskSpec.Kind;
import bertft.task.TaskSpec;
import com.google.gson.JsonElement;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.Consumer;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * The examples of one labelled file for a task, checked row by row, with counts per label.
 *
 * <p>Every problem names file and line ({@code reviews.csv:42: label 'meh' is not one of [negative, positive]});
 * reading goes through the whole file and then fails with the first problem and how many more there are, so one
 * run shows the extent of the damage. Sentiment rows whose rating the sentiment-map leaves out are skipped and
 * counted, not errors. QA data is SQuAD JSON, read by {@link SquadData}.
 */
public final class LabelledData {
    /** The problem of a row whose text is an empty or blank string, which unlabelled readers may skip. */
    public static final String EMPTY_TEXT = "empty text";

    private static final Pattern NUMBER = Pattern.compile("[+-]?(\\d+\\.?\\d*|\\.\\d+)([eE][+-]?\\d+)?");

    private final String file;
    private final Kind kind;
    private final List<String> labels;
    private final List<Example> examples;
    private final long[] counts;
    private final Map<String, Long> skippedRatings;

    private LabelledData(String file, Kind kind, List<String> labels, List<Example> examples, long[] counts,
            Map<String, Long> skippedRatings) {
        this.file = file;
        this.kind = kind;
        this.labels = labels;
        this.examples = Collections.unmodifiableList(examples);
        this.counts = counts;
        this.skippedRatings = Collections.unmodifiableMap(skippedRatings);
    }

    /**
     * The label names in id order: the task's {@code labels}; for sentiment without them, the sentiment-map's
     * polarities; for classification and multilabel without them, {@link #inferLabels} from {@code train} (the
     * caller should warn then, since the ids depend on the data); none for regression and qa.
     */
    public static List<String> labels(TaskSpec spec, List<Path> train) {
        return switch (spec.task()) {
            case REGRESSION, QA -> List.of();
            case TOKEN_CLASSIFICATION -> spec.labels() != null ? spec.labels() : List.of(); // TaggedData infers them
            case SENTIMENT -> spec.labels() != null ? spec.labels() : spec.sentimentMap().names();
            case CLASSIFICATION, MULTILABEL -> spec.labels() != null ? spec.labels() : inferLabels(spec, train);
        };
    }

    /**
     * The distinct label names of the training files' label column, sorted so the ids do not depend on row or
     * file order. Multilabel cells are split on the label-separator. Bad rows are left for {@link #read} to report.
     */
    public static List<String> inferLabels(TaskSpec spec, List<Path> train) {
        TreeSet<String> names = new TreeSet<>();
        for (Path file : train) {
            try (TableReader table = TableReader.open(file, null, spec.encoding(), p -> { })) {
                requireColumns(table, List.of(spec.labelColumn()));
                for (Row row : table) {
                    String cell = row.get(spec.labelColumn());
                    if (cell == null) {
                        continue;
                    }
                    names.addAll(spec.task() == Kind.MULTILABEL ? split(cell, spec.labelSeparator()) : names(cell));
                }
            }
        }
        if (names.isEmpty()) {
            throw new UserError(train.stream().map(Path::toString).collect(Collectors.joining(" + "))
                    + ": no labels in column '" + spec.labelColumn() + "'");
        }
        return List.copyOf(names);
    }

    /**
     * The training files as one table: each read and checked as {@link #read(TaskSpec, List, Path)} does, the
     * examples in file order, named {@code a.csv + b.csv} in messages.
     */
    public static LabelledData read(TaskSpec spec, List<String> labels, List<Path> files) {
        if (files.size() == 1) {
            return read(spec, labels, files.get(0));
        }
        List<Example> examples = new ArrayList<>();
        long[] counts = new long[labels.size()];
        Map<String, Long> skipped = new TreeMap<>();
        List<String> names = new ArrayList<>();
        for (Path file : files) {
            LabelledData part = read(spec, labels, file);
            names.add(part.file);
            examples.addAll(part.examples);
            for (int i = 0; i < counts.length; i++) {
                counts[i] += part.counts[i];
            }
            part.skippedRatings.forEach((rating, n) -> skipped.merge(rating, n, Long::sum));
        }
        return new LabelledData(String.join(" + ", names), spec.task(), List.copyOf(labels), examples, counts,
                skipped);
    }

    /** Reads and checks every row of {@code file} for the task, with {@code labels} defining the ids. */
    public static LabelledData read(TaskSpec spec, List<String> labels, Path file) {
        if (spec.task() == Kind.QA) {
            throw new IllegalArgumentException("qa data is SQuAD JSON; read it with SquadData");
        }
        Problems problems = new Problems();
        Rows rows = new Rows(spec, labels);
        String name;
        try (TableReader table = TableReader.open(file, null, spec.encoding(), problems)) {
            name = table.name();
            List<String> needed = new ArrayList<>(List.of(spec.textColumn(),
                    spec.task() == Kind.SENTIMENT ? spec.ratingColumn() : spec.labelColumn()));
            if (spec.textPairColumn() != null) {
                needed.add(spec.textPairColumn());
            }
            requireColumns(table, needed);
            for (Row row : table) {
                String bad = rows.add(row);
                if (bad != null) {
                    problems.accept(new Problem(name, row.line(), bad));
                }
            }
        }
        problems.throwIfAny();
        if (rows.examples.isEmpty()) {
            throw new UserError(name + ": no examples" + (rows.skipped.isEmpty() ? ""
                    : " (every rating is outside the sentiment-map " + spec.sentimentMap().polarities() + ")"));
        }
        return new LabelledData(name, spec.task(), List.copyOf(labels), rows.examples, rows.counts, rows.skipped);
    }

    /**
     * The texts of an unlabelled table, for prediction, lazily (constant memory). Rows with an empty or missing
     * text go to {@code onBadRow} and are left out.
     */
    public static Stream<Example> unlabelled(TableReader table, TaskSpec spec, Consumer<Problem> onBadRow) {
        return unlabelled(table, spec.textColumn(), spec.textPairColumn(), onBadRow);
    }

    /** As {@link #unlabelled(TableReader, TaskSpec, Consumer)}, the texts in {@code textColumn} (and {@code textPairColumn} unless null). */
    public static Stream<Example> unlabelled(TableReader table, String textColumn, String textPairColumn,
            Consumer<Problem> onBadRow) {
        List<String> needed = textPairColumn == null ? List.of(textColumn) : List.of(textColumn, textPairColumn);
        requireColumns(table, needed);
        return table.rows().map(row -> {
            String[] texts = new String[2];
            String bad = texts(row, textColumn, textPairColumn, texts);
            if (bad != null) {
                onBadRow.accept(new Problem(table.name(), row.line(), bad));
                return null;
            }
            return Example.unlabelled(texts[0], texts[1], row);
        }).filter(Objects::nonNull);
    }

    /**
     * A seeded split for a validation set carved from training data: {@code [rest, heldOut]}, {@code share} of the
     * examples (at least one) held out, named {@code file (validation-split S)} in messages.
     */
    public LabelledData[] split(double share, long seed) {
        return split(share, seed, "validation-split");
    }

    /** As {@link #split(double, long)}, naming the held-out part {@code file (KEY S)}. */
    public LabelledData[] split(double share, long seed, String key) {
        List<Integer> order = new ArrayList<>(java.util.stream.IntStream.range(0, examples.size()).boxed().toList());
        Collections.shuffle(order, new java.util.Random(seed));
        int held = (int) Math.max(1, Math.round(examples.size() * share));
        if (held >= examples.size()) {
            throw new UserError(file + ": " + key + " " + share + " leaves no training examples");
        }
        List<Example> rest = new ArrayList<>();
        List<Example> out = new ArrayList<>();
        for (int k = 0; k < order.size(); k++) {
            (k < held ? out : rest).add(examples.get(order.get(k)));
        }
        return new LabelledData[] {withExamples(file, rest), withExamples(file + " (" + key + " " + share + ")", out)};
    }

    /**
     * {@code n} examples of every class, drawn with {@code seed} (each class's examples shuffled in turn by one
     * generator, the first {@code n} kept) and returned in file order; {@code where} names the setting in messages.
     * Single-label data only.
     */
    public LabelledData perClass(int n, long seed, String where) {
        java.util.Random rng = new java.util.Random(seed);
        List<Integer> kept = new ArrayList<>();
        for (int c = 0; c < labels.size(); c++) {
            List<Integer> members = new ArrayList<>();
            for (int i = 0; i < examples.size(); i++) {
                if (examples.get(i).label() == c) {
                    members.add(i);
                }
            }
            if (members.size() < n) {
                throw new UserError(where + ": " + n + " is more than class '" + labels.get(c) + "' has ("
                        + members.size() + " example" + (members.size() == 1 ? "" : "s") + " in " + file
                        + "); lower it");
            }
            Collections.shuffle(members, rng);
            kept.addAll(members.subList(0, n));
        }
        Collections.sort(kept);
        return withExamples(file + " (" + n + " per class, sample-seed " + seed + ")",
                kept.stream().map(examples::get).toList());
    }

    /**
     * As {@link #split(double, long, String)}, but {@code share} of each label's examples (rounded, at least one
     * overall) so the held-out part keeps train's label mix; multilabel and regression rows are split as a whole.
     */
    public LabelledData[] stratifiedSplit(double share, long seed, String key) {
        List<Integer> order = new ArrayList<>(java.util.stream.IntStream.range(0, examples.size()).boxed().toList());
        Collections.shuffle(order, new java.util.Random(seed));
        Map<Integer, List<Integer>> byLabel = new java.util.TreeMap<>();
        for (int i : order) {
            Example e = examples.get(i);
            byLabel.computeIfAbsent(e.labels() == null ? e.label() : -1, k -> new ArrayList<>()).add(i);
        }
        java.util.Set<Integer> held = new java.util.HashSet<>();
        for (List<Integer> group : byLabel.values()) {
            held.addAll(group.subList(0, (int) Math.round(group.size() * share)));
        }
        if (held.isEmpty() && !order.isEmpty()) {
            held.add(order.get(0));
        }
        if (held.size() >= examples.size()) {
            throw new UserError(file + ": " + key + " " + share + " leaves no training examples");
        }
        List<Example> rest = new ArrayList<>();
        List<Example> out = new ArrayList<>();
        for (int k : order) {
            (held.contains(k) ? out : rest).add(examples.get(k));
        }
        return new LabelledData[] {withExamples(file, rest), withExamples(file + " (" + key + " " + share + ")", out)};
    }

    private LabelledData withExamples(String name, List<Example> list) {
        long[] c = new long[counts.length];
        for (Example e : list) {
            if (e.labels() != null) {
                for (int id : e.labels()) {
                    c[id]++;
                }
            } else if (e.label() >= 0) {
                c[e.label()]++;
            }
        }
        return new LabelledData(name, kind, labels, list, c, Map.of());
    }

    /** The file as named in messages. */
    public String file() {
        return file;
    }

    /** Label names in id order; empty for regression. */
    public List<String> labels() {
        return labels;
    }

    public List<Example> examples() {
        return examples;
    }

    public int size() {
        return examples.size();
    }

    /** Examples per label id (multilabel: rows carrying each label). */
    public long[] counts() {
        return counts.clone();
    }

    /** Rows skipped because the sentiment-map leaves their rating out, per rating as written; total in {@link #skipped()}. */
    public Map<String, Long> skippedRatings() {
        return skippedRatings;
    }

    public long skipped() {
        return skippedRatings.values().stream().mapToLong(Long::longValue).sum();
    }

    /**
     * One line for the log, e.g. {@code reviews.csv: 260 examples: negative 130, positive 130; 60 rows skipped,
     * rating not in sentiment-map: 3 (60)}.
     */
    public String summary() {
        StringBuilder sb = new StringBuilder(file + ": " + size() + " examples");
        if (kind == Kind.REGRESSION) {
            var stats = examples.stream().mapToDouble(Example::value).summaryStatistics();
            sb.append(": mean ").append(round(stats.getAverage())).append(", min ").append(round(stats.getMin()))
                    .append(", max ").append(round(stats.getMax()));
        } else {
            sb.append(": ");
            for (int i = 0; i < labels.size(); i++) {
                sb.append(i == 0 ? "" : ", ").append(labels.get(i)).append(' ').append(counts[i]);
            }
        }
        if (!skippedRatings.isEmpty()) {
            sb.append("; ").append(skipped()).append(" rows skipped, rating not in sentiment-map: ")
                    .append(skippedRatings.entrySet().stream().map(e -> e.getKey() + " (" + e.getValue() + ")")
                            .collect(Collectors.joining(", ")));
        }
        return sb.toString();
    }

    private static String round(double d) {
        return String.format(java.util.Locale.ROOT, "%.4g", d);
    }

    static void requireColumns(TableReader table, List<String> columns) {
        if (table.columns().isEmpty()) {
            throw new UserError(table.name() + ": empty file");
        }
        for (String c : columns) {
            if (!table.columns().contains(c)) {
                String only = table.columns().size() == 1 ? table.columns().get(0) : "";
                String hint = only.contains(",") ? "; is it comma-separated? (CSV: name it .csv or use --format csv)"
                        : only.contains("\t") ? "; is it tab-separated? (TSV: name it .tsv or use --format tsv)" : "";
                throw new UserError(table.name() + ": no column '" + c + "' (columns: "
                        + String.join(", ", table.columns()) + ")" + hint);
            }
        }
    }

    /** Fills text and pair from the row; returns what is wrong, or null. */
    private static String texts(Row row, String textColumn, String textPairColumn, String[] out) {
        String[] columns = {textColumn, textPairColumn};
        for (int i = 0; i < 2 && columns[i] != null; i++) {
            String t = row.get(columns[i]);
            if (row.notText(columns[i]) != null) {
                return row.notText(columns[i]);
            }
            if (t == null) {
                return "no '" + columns[i] + "' field";
            }
            if (t.isBlank()) {
                return i == 0 ? EMPTY_TEXT : "empty text pair ('" + columns[i] + "')";
            }
            out[i] = t;
        }
        return null;
    }

    /** A multilabel cell: label names joined by the separator, or a JSON list of names (JSON lines). */
    private static List<String> split(String cell, String separator) {
        String s = cell.strip();
        List<String> out = new ArrayList<>();
        if (s.startsWith("[")) {
            try {
                for (JsonElement e : JsonParser.parseString(s).getAsJsonArray()) {
                    out.addAll(names(e.getAsString()));
                }
                return out;
            } catch (JsonParseException | IllegalStateException | UnsupportedOperationException e) {
                // not a JSON list after all: read it as separated names
            }
        }
        for (String part : s.split(Pattern.quote(separator), -1)) {
            out.addAll(names(part));
        }
        return out;
    }

    private static List<String> names(String cell) {
        String s = cell.strip();
        return s.isEmpty() ? List.of() : List.of(s);
    }

    /** Turns rows into examples for one task kind and keeps the counts. */
    private static final class Rows {
        final TaskSpec spec;
        final List<String> labels;
        final Map<String, Integer> ids = new HashMap<>();
        final List<Example> examples = new ArrayList<>();
        final long[] counts;
        final Map<String, Long> skipped = new TreeMap<>();

        Rows(TaskSpec spec, List<String> labels) {
            this.spec = spec;
            this.labels = labels;
            for (int i = 0; i < labels.size(); i++) {
                ids.put(labels.get(i), i);
            }
            counts = new long[labels.size()];
        }

        /** Adds the row's example, or skips it; returns what is wrong with the row, or null. */
        String add(Row row) {
            String[] texts = new String[2];
            String bad = texts(row, spec.textColumn(), spec.textPairColumn(), texts);
            if (bad != null) {
                return bad;
            }
            String column = spec.task() == Kind.SENTIMENT ? spec.ratingColumn() : spec.labelColumn();
            String cell = row.get(column);
            if (cell == null) {
                return "no '" + column + "' field";
            }
            cell = cell.strip();
            int label = -1;
            int[] multi = null;
            double value = Double.NaN;
            switch (spec.task()) {
                case CLASSIFICATION -> {
                    if (cell.isEmpty()) {
                        return "empty label";
                    }
                    if (!ids.containsKey(cell)) {
                        return "label '" + cell + "' is not one of " + labels;
                    }
                    label = ids.get(cell);
                }
                case SENTIMENT -> {
                    if (!NUMBER.matcher(cell).matches()) {
                        return cell.isEmpty() ? "empty rating" : "rating '" + cell + "' is not a number";
                    }
                    String polarity = spec.sentimentMap().polarity(Double.parseDouble(cell));
                    if (polarity == null) {
                        skipped.merge(cell, 1L, Long::sum);
                        return null;
                    }
                    if (!ids.containsKey(polarity)) {
                        return "rating " + cell + " means '" + polarity + "', which is not one of " + labels;
                    }
                    label = ids.get(polarity);
                }
                case MULTILABEL -> {
                    TreeSet<Integer> found = new TreeSet<>();
                    for (String name : split(cell, spec.labelSeparator())) {
                        if (!ids.containsKey(name)) {
                            return "label '" + name + "' is not one of " + labels;
                        }
                        found.add(ids.get(name));
                    }
                    multi = found.stream().mapToInt(Integer::intValue).toArray();
                }
                case REGRESSION -> {
                    if (!NUMBER.matcher(cell).matches()) {
                        return cell.isEmpty() ? "empty label" : "label '" + cell + "' is not a number";
                    }
                    value = Double.parseDouble(cell);
                    if (Double.isInfinite(value)) {
                        return "label '" + cell + "' is too large a number";
                    }
                }
                case QA, TOKEN_CLASSIFICATION -> throw new IllegalStateException(spec.task() + " rows are not table rows");
            }
            if (label >= 0) {
                counts[label]++;
            }
            for (int id : multi == null ? new int[0] : multi) {
                counts[id]++;
            }
            examples.add(new Example(row.line(), texts[0], texts[1], label, multi, value, row));
            return null;
        }
    }

    /** Keeps the first problem and counts the rest, so a badly broken huge file does not fill memory. */
    private static final class Problems implements Consumer<Problem> {
        private Problem first;
        private long count;

        @Override
        public void accept(Problem p) {
            if (first == null) {
                first = p;
            }
            count++;
        }

        void throwIfAny() {
            if (first != null) {
                throw new UserError(first + (count == 1 ? "" : " (and " + (count - 1) + " more "
                        + (count == 2 ? "problem" : "problems") + " in this file)"));
            }
        }
    }
}
