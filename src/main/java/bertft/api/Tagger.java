package bertft.api;

import ai.djl.huggingface.tokenizers.Encoding;
import bertft.UserError;
import bertft.infer.EntityGrouping;
import bertft.infer.Predictor;
import bertft.model.Objective;
import bertft.run.Tagging;
import bertft.run.TrainedModel;
import bertft.task.TaskSpec;
import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
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
    private final int specials; // [CLS] and [SEP] (<s>, </s>): what a window holds besides pieces

    private Tagger(TrainedModel model, String name, ModelOptions options) {
        this.model = model;
        this.predictor = new Predictor(model.forward(), Objective.SINGLE_LABEL, options.batchSize());
        this.info = Models.info(model, name, options);
        this.stride = model.spec(null, Map.of()).docStride();
        this.batchSize = options.batchSize();
        this.specials = (int) java.util.Arrays.stream(model.tokenizer().encode("a").getSpecialTokenMask()).sum();
    }

    /** Loads {@code model} (run or checkpoint directory, alias or Hub id) with the default options. */
    public static Tagger load(String model) {
        return load(model, ModelOptions.defaults());
    }

    /** Loads {@code model} on the runtime and batch size of {@code options}. */
    public static Tagger load(String model, ModelOptions options) {
        TrainedModel m = Models.load(model, options);
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
     * The entities of each text, in input order, under {@code aggregation}; a text longer than the model's max length
     * is cut into windows overlapping by the model's doc-stride (default: half a window), as {@link #tag(List,
     * EntityGrouping.Aggregation, int)}.
     */
    public List<List<Entity>> tag(List<String> texts, EntityGrouping.Aggregation aggregation) {
        return tag(texts, aggregation, stride);
    }

    /**
     * The entities of each text, in input order, under {@code aggregation}, as HuggingFace's pipeline answers with
     * {@code stride}: a text longer than the model's max length is cut into windows of word pieces, consecutive
     * windows sharing {@code stride} pieces, so no text is lost; each window is tagged and aggregated on its own,
     * then of the entities that overlap, the longest (then the most confident) is kept. A text that fits is one
     * window. Under {@code none} an entity's index counts pieces from the start of the whole text.
     *
     * @param stride pieces shared by consecutive windows: 0 or more, less than a window holds
     */
    public List<List<Entity>> tag(List<String> texts, EntityGrouping.Aggregation aggregation, int stride) {
        Inputs.texts("texts", texts);
        Inputs.notNull("aggregation", aggregation);
        int room = checkStride(stride);
        List<Encoding> enc = new ArrayList<>(texts.size());
        int[] first = new int[texts.size() + 1];
        for (int i = 0; i < texts.size(); i++) {
            first[i] = enc.size();
            enc.addAll(model.tokenizer().windows(texts.get(i), model.tokenizer().maxLength(), stride));
        }
        first[texts.size()] = enc.size();
        float[][] logits = predictor.logits(enc);
        int classes = model.labels().size();
        List<List<Entity>> out = new ArrayList<>(texts.size());
        for (int i = 0; i < texts.size(); i++) {
            List<EntityGrouping.Entity> all = new ArrayList<>();
            for (int w = first[i]; w < first[i + 1]; w++) {
                List<EntityGrouping.Piece> pieces = Tagging.pieces(texts.get(i), enc.get(w), logits[w], classes,
                        model.tokenizer());
                int offset = (w - first[i]) * (room - stride); // window k starts k steps into the text's pieces
                for (EntityGrouping.Entity e : EntityGrouping.entities(pieces, model.labels(), aggregation,
                        model.tokenizer()::tokensToString)) {
                    all.add(e.index() < 0 ? e : new EntityGrouping.Entity(e.label(), e.score(), e.word(), e.start(),
                            e.end(), e.index() + offset));
                }
            }
            if (first[i + 1] - first[i] > 1) {
                all = EntityGrouping.overlapping(all);
            }
            out.add(all.stream().map(e -> new Entity(e.label(), e.score(), e.word(), e.start(), e.end(), e.index()))
                    .toList());
        }
        return out;
    }

    /**
     * Entities as HuggingFace's pipeline (and its Inference API) lists them: {@code entity_group}, {@code score},
     * {@code word}, {@code start}, {@code end}; under {@code none}, {@code entity} and {@code index} instead of
     * {@code entity_group}.
     */
    public static JsonArray json(List<Entity> entities, EntityGrouping.Aggregation aggregation) {
        boolean none = aggregation == EntityGrouping.Aggregation.NONE;
        JsonArray a = new JsonArray();
        for (Entity e : entities) {
            JsonObject o = new JsonObject();
            o.addProperty(none ? "entity" : "entity_group", e.entityGroup());
            o.addProperty("score", e.score());
            if (none) {
                o.addProperty("index", e.index());
            }
            o.addProperty("word", e.word());
            o.addProperty("start", e.start());
            o.addProperty("end", e.end());
            a.add(o);
        }
        return a;
    }

    /** The stride {@link #tag(List, EntityGrouping.Aggregation)} uses: the model's doc-stride. */
    public int stride() {
        return stride;
    }

    /**
     * A tag per word of pre-split sentences (CoNLL): each word read from the window where it sits furthest from an
     * edge, so no word of a long sentence is cut off.
     */
    public List<List<String>> tagWords(List<List<String>> sentences) {
        return tagWords(sentences, stride);
    }

    /** {@link #tagWords(List)} with windows sharing {@code stride} pieces. */
    public List<List<String>> tagWords(List<List<String>> sentences, int stride) {
        Inputs.notNull("sentences", sentences);
        checkStride(stride);
        return Tagging.predict(model.forward(), sentences, model.labels(), model.tokenizer(),
                model.tokenizer().maxLength(), stride, batchSize);
    }

    /** Word pieces a window holds besides its special tokens: a stride must be less. */
    public int windowPieces() {
        return model.tokenizer().maxLength() - specials;
    }

    /** {@link #windowPieces()}, after checking that {@code stride} is less. */
    private int checkStride(int stride) {
        int room = windowPieces();
        if (stride < 0 || stride >= room) {
            throw new UserError("stride " + stride + ": must be at least 0 and less than the " + room + " pieces a"
                    + " window of max length " + model.tokenizer().maxLength() + " holds");
        }
        return room;
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
