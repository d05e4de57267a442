package bertft.run;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What {@code compare} found, typed: one {@link Row} per strategy over its runs, the split that ranked them, the
 * winner and the bag-of-words baseline. {@code tune} reads it in memory; it becomes JSON where compare.json is
 * written ({@link #toJson}).
 *
 * @param decidedBy the split that ranked the strategies: {@code validation}, {@code test} or {@code train} (the
 *     training loss of the last epoch)
 * @param measuredBy which split measured the runs apart from the deciding one, in words, or null
 * @param best the winning strategy, or null when nothing could rank them
 * @param note the winner's caveat (others within seed noise, one seed only), or null
 * @param baseline the baseline beside the winner with its verdict, or null
 */
public record Comparison(String task, String metric, String decidedBy, String measuredBy, List<Row> strategies,
        String best, String note, JsonObject baseline) {

    public Comparison {
        strategies = List.copyOf(strategies);
    }

    /** A figure over a strategy's runs, in run order. */
    public record Stat(double[] values) {
        public Stat {
            values = values.clone();
        }

        @Override
        public double[] values() {
            return values.clone();
        }

        public boolean isEmpty() {
            return values.length == 0;
        }

        public double mean() {
            return Arrays.stream(values).average().orElse(Double.NaN);
        }

        /** Sample standard deviation (0 for one value). */
        public double sd() {
            if (values.length < 2) {
                return 0;
            }
            double m = mean();
            double s = 0;
            for (double x : values) {
                s += (x - m) * (x - m);
            }
            return Math.sqrt(s / (values.length - 1));
        }

        /** {@code {"values": [...], "mean", "sd", "min", "max"}} (only the values when there are none). */
        public JsonObject toJson() {
            JsonObject o = new JsonObject();
            JsonArray all = new JsonArray();
            for (double x : values) {
                all.add(x);
            }
            o.add("values", all);
            if (values.length > 0) {
                o.addProperty("mean", mean());
                o.addProperty("sd", sd());
                o.addProperty("min", Arrays.stream(values).min().getAsDouble());
                o.addProperty("max", Arrays.stream(values).max().getAsDouble());
            }
            return o;
        }
    }

    /**
     * One strategy over its runs.
     *
     * @param validationLastEpoch the validation metric of each run's last evaluation (beside the kept epoch's)
     * @param savedBytes the weights the first run keeps on disk ({@code savedFile}), or -1 when unknown
     */
    public record Row(String strategy, int runs, Stat validation, Stat validationLastEpoch, Stat test,
            Stat trainLoss, double trainSecondsMean, long trainableParameters, long savedBytes, String savedFile) {

        /** The figure a split ranks by: validation, test, or the training loss. */
        public Stat on(String split) {
            return switch (split) {
                case "validation" -> validation;
                case "test" -> test;
                default -> trainLoss;
            };
        }

        /** The row as compare.json holds it. */
        public JsonObject toJson() {
            JsonObject s = new JsonObject();
            s.addProperty("strategy", strategy);
            s.addProperty("runs", runs);
            s.add("validation", validation.toJson());
            if (!validationLastEpoch.isEmpty()) {
                s.add("validation_last_epoch", validationLastEpoch.toJson());
            }
            if (!test.isEmpty()) {
                s.add("test", test.toJson());
            }
            s.add("train_loss", trainLoss.toJson());
            s.addProperty("train_seconds_mean", trainSecondsMean);
            s.addProperty("trainable_parameters", trainableParameters);
            if (savedBytes >= 0) {
                s.addProperty("saved_bytes", savedBytes);
                s.addProperty("saved_file", savedFile);
            }
            return s;
        }
    }

    /**
     * What compare reads of one finished run (its report, from the run in memory or report.json).
     *
     * @param dir the run directory, or null when the report names none
     * @param testData the test split's file as the report names it, or null
     * @param baseline the report's {@code baseline} section, or null
     */
    public record Run(Map<String, Double> validation, Map<String, Double> test, double seconds,
            long trainableParameters, Path dir, String testData, JsonObject baseline) {

        /** The figures of a run's report ({@code report.json}'s form). */
        public static Run of(JsonObject report) {
            JsonObject training = report.getAsJsonObject("training");
            return new Run(metrics(report, "validation"), metrics(report, "test"),
                    training.get("seconds").getAsDouble(), training.get("trainable_parameters").getAsLong(),
                    report.has("model") ? Path.of(report.get("model").getAsString()) : null,
                    report.has("test_data") ? report.get("test_data").getAsString() : null,
                    report.has("baseline") ? report.getAsJsonObject("baseline") : null);
        }

        private static Map<String, Double> metrics(JsonObject report, String split) {
            return report.has(split) ? Evaluation.fromJson(report.getAsJsonObject(split)).metrics()
                    : new LinkedHashMap<>();
        }
    }

    /** The sentence naming the split that ranked the strategies. */
    public String decidedByText() {
        return switch (decidedBy) {
            case "validation" -> "validation " + metric;
            case "test" -> "test " + metric + " (the task has no validation split)";
            default -> "training loss over the last epoch (the task has neither a validation nor a test split)";
        };
    }

    /** compare.json's body (its caller adds wall time and provenance). */
    public JsonObject toJson() {
        JsonObject o = new JsonObject();
        o.addProperty("task", task);
        o.addProperty("metric", metric);
        o.addProperty("decided_by", decidedBy);
        o.addProperty("decided_by_text", decidedByText());
        if (measuredBy != null) {
            o.addProperty("measured_by_text", measuredBy);
        }
        JsonArray rows = new JsonArray();
        strategies.forEach(r -> rows.add(r.toJson()));
        o.add("strategies", rows);
        if (best != null) {
            o.addProperty("best", best);
            if (note != null) {
                o.addProperty("note", note);
            }
        }
        if (baseline != null) {
            o.add("baseline", baseline.deepCopy());
        }
        return o;
    }
}
