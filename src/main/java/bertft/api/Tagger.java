package bertft.api;

import ai.djl.huggingface.tokenizers.Encoding;
import bertft.UserError;
import bertft.infer.EntityGrouping;
import bertft.infer.Predictor;
import bertft.model.ModelStore;
import bertft.model.Objective;
import bertft.run.Tagging;
import bertft.run.TrainedModel;
import bertft.task.TaskSpec;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * A token classifier (named entities and other tags per word) loaded from a fine-tuned model; thread-safe.
 * {@link #tag(String)} answers as HuggingFace's {@code pipeline("ner", aggregation_strategy=...)} does with a fast
 * tokenizer: the same entities, words and code-point offsets.
 *
 * <pre>{@code
 * try (Tagger t = Tagger.load("runs/wnut17")) {
 *     for (Tagger.Entity e : t.tag("Empire State Building = ESB . Pretty bad storm here last evening ."))
 *         System.out.println(e.entityGroup() + "\t" + e.word() + "\t" + e.start() + "-" + e.end());
 * }
 * }</pre>
 */
public final class Tagger implements AutoCloseable {
    /**
     * One entity of raw text.
     *
     * @param entityGroup the type ({@code location}); under aggregation {@code none} the piece's tag
     *     ({@code B-location}, the pipeline's {@code entity})
     * @param score the mean (grouped) or the piece's probability
     * @param word the text as the tokenizer decodes the pieces ({@code empire state building})
     * @param start first code point in the input text
     * @param end one past the last code point: {@code text.substring} by code points
     * @param index the piece's position in the model's input under {@code none}; -1 otherwise
     */
    public record Entity(String entityGroup, double score, String word, int start, int end, int index) {}

    private final TrainedModel model;
    private final Predictor predictor;
    private final ModelInfo info;
    private final int stride;
    private final int batchSize;

    private Tagger(TrainedModel model, String name, ModelOptions options) {
        this.model = model;
        this.predictor = new Predictor(model.forward(), Objective.SINGLE_LABEL, options.batchSize());
        this.info = Models.info(model, name, options);
        this.stride = model.spec(null, Map.of()).docStride();
        this.batchSize = options.batchSize();
    }

    /** Loads {@code model} (run or checkpoint directory, alias or Hub id) with the default options. */
    public static Tagger load(String model) {
        return load(model, ModelOptions.defaults());
    }

    /** Loads {@code model} on the runtime and batch size of {@code options}. */
    public static Tagger load(String model, ModelOptions options) {
        Inputs.notNull("options", options);
        Path dir = ModelStore.resolve(Inputs.model(model));
        TrainedModel m = Models.load(dir, options);
        try {
            if (m.kind() != TaskSpec.Kind.TOKEN_CLASSIFICATION) {
                throw new UserError(model + ": is a " + m.kind() + " model, not a token classifier"
                        + " (*ForTokenClassification); load it with "
                        + (m.kind() == TaskSpec.Kind.QA ? "QuestionAnswerer" : "Classifier"));
            }
            return new Tagger(m, model, options);
        } catch (RuntimeException e) {
            m.close();
            throw e;
        }
    }

    /** Loads a model directory. */
    public static Tagger load(Path model, ModelOptions options) {
        return load(Inputs.notNull("model", model).toString(), options);
    }

    /** The entities of one text, pieces grouped as the pipeline's {@code simple} aggregation groups them. */
    public List<Entity> tag(String text) {
        return tag(List.of(Inputs.text("text", text)), EntityGrouping.Aggregation.SIMPLE).get(0);
    }

    /**
     * The entities of each text, in input order, under {@code aggregation}; a text longer than the model's max
     * length is truncated (as the 4.31 pipeline does without a stride).
     */
    public List<List<Entity>> tag(List<String> texts, EntityGrouping.Aggregation aggregation) {
        Inputs.texts("texts", texts);
        Inputs.notNull("aggregation", aggregation);
        List<Encoding> enc = new ArrayList<>(texts.size());
        for (String t : texts) {
            enc.add(model.tokenizer().encode(t));
        }
        float[][] logits = predictor.logits(enc);
        int classes = model.labels().size();
        List<List<Entity>> out = new ArrayList<>(texts.size());
        for (int i = 0; i < texts.size(); i++) {
            List<EntityGrouping.Piece> pieces = Tagging.pieces(texts.get(i), enc.get(i), logits[i], classes,
                    model.tokenizer());
            List<Entity> entities = new ArrayList<>();
            for (EntityGrouping.Entity e : EntityGrouping.entities(pieces, model.labels(), aggregation,
                    EntityGrouping::wordPieceText)) {
                entities.add(new Entity(e.label(), e.score(), e.word(), e.start(), e.end(), e.index()));
            }
            out.add(entities);
        }
        return out;
    }

    /**
     * A tag per word of pre-split sentences (CoNLL): each word read from the window where it sits furthest from an
     * edge, so no word of a long sentence is cut off.
     */
    public List<List<String>> tagWords(List<List<String>> sentences) {
        Inputs.notNull("sentences", sentences);
        return Tagging.predict(model.forward(), sentences, model.labels(), model.tokenizer(),
                model.tokenizer().maxLength(), stride, batchSize);
    }

    /** The tags in id order (id2label). */
    public List<String> labels() {
        return model.labels();
    }

    /** What was loaded: source, runtime, task, labels, max length. */
    public ModelInfo info() {
        return info;
    }

    @Override
    public void close() {
        model.close();
    }
}
