package bertft.api;

import ai.djl.huggingface.tokenizers.Encoding;
import bertft.UserError;
import bertft.infer.Predictor;
import bertft.model.Objective;
import bertft.run.TaskData;
import bertft.run.TrainedModel;
import bertft.task.TaskSpec;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A text classifier (single-label, multi-label or regression) loaded from a fine-tuned model; thread-safe.
 *
 * <pre>{@code
 * try (Classifier c = Classifier.load("runs/sst2")) {
 *     Prediction p = c.predict("a gripping, funny film");
 *     System.out.println(p.label() + "\t" + p.score());
 * }
 * }</pre>
 */
public final class Classifier implements AutoCloseable {
    private final TrainedModel model;
    private final Objective objective;
    private final double threshold;
    private final Predictor predictor;
    private final ModelInfo info;

    private Classifier(TrainedModel model, String name, ModelOptions options) {
        this.model = model;
        this.objective = TaskData.objective(model.kind());
        this.threshold = options.threshold() != null ? options.threshold() : model.spec(null, Map.of()).threshold();
        this.predictor = new Predictor(model.forward(), objective, options.batchSize());
        this.info = Models.info(model, name, options);
    }

    /** A classifier over a model already loaded (an adapter on a shared base, see {@link Adapters}). */
    static Classifier of(TrainedModel model, String name, ModelOptions options) {
        return new Classifier(model, name, options);
    }

    /** Loads {@code model} (run or checkpoint directory, ONNX export, alias or Hub id) with the default options. */
    public static Classifier load(String model) {
        return load(model, ModelOptions.defaults());
    }

    /** Loads {@code model} as {@link #load(String)}, on the runtime and batch size of {@code options}. */
    public static Classifier load(String model, ModelOptions options) {
        TrainedModel m = Models.load(model, options);
        try {
            if (m.kind() == TaskSpec.Kind.QA) {
                throw new UserError(model + ": is a question-answering model; load it with QuestionAnswerer (on the"
                        + " command line: use `bert-ft qa`)");
            }
            if (m.kind() == TaskSpec.Kind.TOKEN_CLASSIFICATION) {
                throw new UserError(model + ": is a token-classification model; load it with Tagger (on the command"
                        + " line: use `bert-ft tag`)");
            }
            return new Classifier(m, model, options);
        } catch (RuntimeException e) {
            m.close();
            throw e;
        }
    }

    /** Loads a model directory or ONNX file. */
    public static Classifier load(Path model, ModelOptions options) {
        return load(Inputs.notNull("model", model).toString(), options);
    }

    /** The prediction for one text. */
    public Prediction predict(String text) {
        return predict(List.of(Inputs.text("text", text))).get(0);
    }

    /** Predictions in input order; texts are length-sorted into batches and truncated to the model's max length. */
    public List<Prediction> predict(List<String> texts) {
        return predictPairs(texts, null);
    }

    /** The prediction for a text pair (premise and hypothesis, question and passage, ...). */
    public Prediction predict(String text, String textPair) {
        return predictPairs(List.of(Inputs.text("text", text)), List.of(Inputs.text("textPair", textPair))).get(0);
    }

    /**
     * Predictions for {@code texts[i]} paired with {@code pairs[i]} ({@code pairs} null: single texts), in input
     * order.
     *
     * @throws UserError when a text or pair is blank (as the command line refuses empty text)
     */
    public List<Prediction> predictPairs(List<String> texts, List<String> pairs) {
        Inputs.texts("texts", texts);
        if (pairs != null && Inputs.texts("pairs", pairs).size() != texts.size()) {
            throw new IllegalArgumentException(texts.size() + " texts but " + pairs.size() + " pairs");
        }
        List<Encoding> enc = new ArrayList<>(texts.size());
        for (int i = 0; i < texts.size(); i++) {
            enc.add(encode(texts.get(i), pairs == null ? null : pairs.get(i)));
        }
        float[][] logits = predictor.logits(enc);
        List<Prediction> out = new ArrayList<>(logits.length);
        for (float[] l : logits) {
            out.add(prediction(l));
        }
        return out;
    }

    /** A text (and its pair, or null) as this model's tokenizer encodes it. */
    Encoding encode(String text, String pair) {
        return pair == null ? model.tokenizer().encode(text) : model.tokenizer().encode(text, pair);
    }

    /** The libtorch model (for an adapter on a shared base: its head and adapter). */
    TrainedModel model() {
        return model;
    }

    Prediction prediction(float[] logits) {
        float[] s = objective.scores(logits);
        double[] raw = new double[logits.length];
        for (int c = 0; c < logits.length; c++) {
            raw[c] = logits[c];
        }
        if (objective == Objective.REGRESSION) {
            return new Prediction(null, s[0], Map.of(), List.of(), raw);
        }
        List<String> names = model.labels();
        Map<String, Double> probabilities = new LinkedHashMap<>();
        int best = 0;
        for (int c = 0; c < s.length; c++) {
            probabilities.put(names.get(c), (double) s[c]);
            best = s[c] > s[best] ? c : best;
        }
        List<String> on = new ArrayList<>();
        if (objective == Objective.MULTI_LABEL) {
            for (int c = 0; c < s.length; c++) {
                if (s[c] >= threshold) {
                    on.add(names.get(c));
                }
            }
        } else {
            on.add(names.get(best));
        }
        return new Prediction(String.join("|", on), s[best], probabilities, on, raw);
    }

    /** Label names by id (empty for regression). */
    public List<String> labels() {
        return objective == Objective.REGRESSION ? List.of() : model.labels();
    }

    /** What this model is: task, labels, max length, runtime. */
    public ModelInfo info() {
        return info;
    }

    /** Frees the model (its native memory); calls after this fail. */
    @Override
    public void close() {
        model.close();
    }
}
