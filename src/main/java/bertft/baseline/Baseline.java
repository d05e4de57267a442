package bertft.baseline;

import bertft.data.Example;
import bertft.task.TaskSpec;
import java.util.List;

/**
 * The bag-of-words baseline of a table task, trained on the same training split as the fine-tuned model and
 * scoring examples the same way (class probabilities, label probabilities or values), so the same metrics apply.
 */
public final class Baseline {
    private final TfIdf tfidf;
    private final LinearModel model;
    private final LinearModel.Loss loss;
    private final double seconds;

    private Baseline(TfIdf tfidf, LinearModel model, LinearModel.Loss loss, double seconds) {
        this.tfidf = tfidf;
        this.model = model;
        this.loss = loss;
        this.seconds = seconds;
    }

    /** Fits TF-IDF (terms in 2+ texts) and the linear model; {@code outputs} is the label count (1 for regression). */
    public static Baseline train(TaskSpec.Kind kind, List<Example> train, int outputs, long seed) {
        if (kind == TaskSpec.Kind.QA) {
            throw new IllegalArgumentException("no bag-of-words baseline for extractive QA");
        }
        long t0 = System.nanoTime();
        List<String> texts = train.stream().map(Baseline::text).toList();
        TfIdf tfidf = TfIdf.fit(texts, 2);
        TfIdf.Row[] x = texts.stream().map(tfidf::transform).toArray(TfIdf.Row[]::new);
        LinearModel.Loss loss = switch (kind) {
            case MULTILABEL -> LinearModel.Loss.SIGMOID;
            case REGRESSION -> LinearModel.Loss.SQUARED;
            default -> LinearModel.Loss.SOFTMAX;
        };
        float[][] y = new float[train.size()][];
        for (int i = 0; i < y.length; i++) {
            Example e = train.get(i);
            y[i] = new float[outputs];
            switch (loss) {
                case SOFTMAX -> y[i][e.label()] = 1;
                case SIGMOID -> {
                    for (int id : e.labels()) {
                        y[i][id] = 1;
                    }
                }
                case SQUARED -> y[i][0] = (float) e.value();
            }
        }
        LinearModel.Settings s = new LinearModel.Settings(LinearModel.Settings.DEFAULT.learningRate(),
                LinearModel.Settings.DEFAULT.l2(), LinearModel.Settings.DEFAULT.epochs(), seed);
        LinearModel model = LinearModel.train(x, y, loss, tfidf.features(), s);
        return new Baseline(tfidf, model, loss, (System.nanoTime() - t0) / 1e9);
    }

    /** One row of scores per example, in the fine-tuned model's format. */
    public float[][] scores(List<Example> examples) {
        return examples.stream().map(e -> model.scores(tfidf.transform(text(e)))).toArray(float[][]::new);
    }

    /** What the baseline is, for reports. */
    public String description() {
        String head = switch (loss) {
            case SOFTMAX -> "logistic regression";
            case SIGMOID -> "one-vs-rest logistic regression";
            case SQUARED -> "linear least squares";
        };
        return "TF-IDF (word 1-2 grams, " + tfidf.features() + " features) + " + head;
    }

    public int features() {
        return tfidf.features();
    }

    public double seconds() {
        return seconds;
    }

    private static String text(Example e) {
        return e.textPair() == null ? e.text() : e.text() + " \n " + e.textPair();
    }
}
