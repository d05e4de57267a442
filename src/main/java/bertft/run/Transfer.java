package bertft.run;

import bertft.baseline.Baseline;
import bertft.data.LabelledData;
import bertft.task.TaskSpec;
import com.google.gson.JsonObject;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Did transfer help? Trains the bag-of-words {@link Baseline} on the run's training split, scores it on the same
 * validation and test data as the fine-tuned model, and says so plainly when fine-tuning did not beat it.
 */
final class Transfer {
    private Transfer() {}

    /**
     * The report's {@code baseline} object; {@code fineTuned} maps split (validation, test) to the fine-tuned
     * model's report on it, {@code data} the same splits to their examples.
     */
    static JsonObject baseline(TaskSpec spec, List<String> labels, LabelledData train, Map<String, LabelledData> data,
            Map<String, JsonObject> fineTuned, String fineTunedModel) {
        JsonObject o = new JsonObject();
        if (spec.task() == TaskSpec.Kind.QA || spec.task() == TaskSpec.Kind.TOKEN_CLASSIFICATION) {
            o.addProperty("skipped", "there is no bag-of-words baseline for " + (spec.task() == TaskSpec.Kind.QA
                    ? "extractive QA" : "token classification"));
            return o;
        }
        if (train == null || fineTuned.isEmpty()) {
            o.addProperty("skipped", train == null ? "no training data to train it on"
                    : "no validation or test data to score it on");
            return o;
        }
        String metric = spec.task().mainMetric();
        Baseline b = Baseline.train(spec.task(), train.examples(), TaskData.outputs(spec.task(), labels), spec.seed());
        o.addProperty("model", b.description());
        o.addProperty("metric", metric);
        o.addProperty("train_examples", train.size());
        o.addProperty("seed", spec.seed());
        JsonObject ft = new JsonObject();
        JsonObject base = new JsonObject();
        JsonObject baseMetrics = new JsonObject();
        String split = null;
        for (String s : List.of("validation", "test")) {
            LabelledData d = data.get(s);
            JsonObject report = fineTuned.get(s);
            if (d == null || report == null) {
                continue;
            }
            Map<String, Double> mine = Scoring.table(spec, d, labels, b.scores(d.examples())).metrics();
            JsonObject m = new JsonObject();
            mine.forEach(m::addProperty);
            baseMetrics.add(s, m);
            base.addProperty(s, mine.get(metric));
            ft.addProperty(s, Scoring.summary(report).getOrDefault(metric, Double.NaN));
            split = s; // the verdict uses test when there is one
        }
        o.addProperty("seconds", Math.round(b.seconds() * 100) / 100.0);
        o.addProperty("fine_tuned_model", fineTunedModel);
        o.add("fine_tuned", ft);
        o.add("baseline", base);
        o.add("baseline_metrics", baseMetrics);
        if (split != null) {
            double mine = ft.get(split).getAsDouble();
            double theirs = base.get(split).getAsDouble();
            boolean lower = TaskSpec.Kind.lowerIsBetter(metric);
            boolean negative = !(lower ? mine < theirs : mine > theirs);
            o.addProperty("split", split);
            o.addProperty("gain", lower ? theirs - mine : mine - theirs);
            o.addProperty("negative_transfer", negative);
            o.addProperty("verdict", verdict(metric, split, mine, theirs, negative));
        }
        return o;
    }

    /** One plain sentence (two when transfer failed, with what to try). */
    static String verdict(String metric, String split, double fineTuned, double baseline, boolean negative) {
        if (negative) {
            return String.format(Locale.ROOT, "Negative transfer: the fine-tuned model's %s %s (%.4f) does not beat "
                    + "the bag-of-words baseline's (%.4f), so transfer from the pretrained model did not help here. "
                    + "Try another pretrained model, more training data or epochs, or the other end of the strategy "
                    + "range (frozen encoder vs full fine-tuning; `bert-ft compare` runs both).", split, metric,
                    fineTuned, baseline);
        }
        return String.format(Locale.ROOT, "Transfer helped: the fine-tuned model's %s %s (%.4f) beats the bag-of-words "
                + "baseline's (%.4f) by %.4f.", split, metric, fineTuned, baseline, Math.abs(fineTuned - baseline));
    }
}
