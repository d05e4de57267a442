package bertft.serve;

import bertft.api.Adapters;
import bertft.api.Answer;
import bertft.api.Classifier;
import bertft.api.Embedder;
import bertft.api.ModelInfo;
import bertft.api.ModelOptions;
import bertft.api.Prediction;
import bertft.api.QuestionAnswerer;
import bertft.api.Tagger;
import bertft.infer.EntityGrouping;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The model a server runs, through the library API: a {@link Classifier}, {@link QuestionAnswerer} or
 * {@link Tagger} for a task model, and an {@link Embedder} for a base model, or on the first {@code /embed} for a task model (its encoder,
 * mean-pooled).
 */
class Backend implements AutoCloseable {
    /** One text or text pair to classify, by the adapter named (null: the model's own head, or the only adapter). */
    record Text(String text, String pair, String adapter) {
        Text(String text, String pair) {
            this(text, pair, null);
        }
    }

    /** One text to embed. */
    record EmbedInput(String text, boolean normalize) {}

    /** One question over a context, with how many answers to keep. */
    record Question(String question, String context, int topK) {}

    /** One text to tag, with how its pieces become entities. */
    record TagInput(String text, EntityGrouping.Aggregation aggregation) {}

    private final String model;
    private final ModelOptions options;
    private final String task;
    private final Classifier classifier;
    private final Adapters adapters; // several adapters on one base (--adapter), else null
    private final QuestionAnswerer qa;
    private final Tagger tagger;
    private Embedder embedder;

    Backend(String model, ModelOptions options) {
        this.model = model;
        this.options = options;
        this.task = ModelInfo.task(model);
        boolean tags = task.equals("token-classification");
        this.classifier = task.equals("qa") || task.equals("embed") || tags ? null : Classifier.load(model, options);
        this.qa = task.equals("qa") ? QuestionAnswerer.load(model, options) : null;
        this.tagger = tags ? Tagger.load(model, options) : null;
        this.embedder = task.equals("embed") ? Embedder.load(model, options) : null;
        this.adapters = null;
    }

    /** The base model {@code base} with {@code adapters} (name to adapter directory or Hub id) on it. */
    Backend(String base, Map<String, String> adapters, ModelOptions options) {
        this.model = base;
        this.options = options;
        this.task = "classification";
        this.classifier = null;
        this.qa = null;
        this.tagger = null;
        this.embedder = null;
        Adapters a = Adapters.load(base, options);
        try {
            adapters.forEach(a::add);
        } catch (RuntimeException e) {
            a.close();
            throw e;
        }
        this.adapters = a;
    }

    /** For tests that wrap a backend. */
    Backend(Backend b) {
        this.model = b.model;
        this.options = b.options;
        this.task = b.task;
        this.classifier = b.classifier;
        this.adapters = b.adapters;
        this.qa = b.qa;
        this.tagger = b.tagger;
        this.embedder = b.embedder;
    }

    /** The loaded model's description (for a base model, the embedder's). */
    ModelInfo info() {
        if (adapters != null) {
            ModelInfo first = adapters.classifier(adapters.names().get(0)).info();
            return new ModelInfo(model, first.path(), task, first.modelType(), List.of(), first.maxLength(),
                    first.runtime());
        }
        return classifier != null ? classifier.info() : qa != null ? qa.info() : tagger != null ? tagger.info()
                : embedder.info();
    }

    /** Where the server logs what it does not tell clients. */
    PrintWriter log() {
        return options.log();
    }

    boolean classifies() {
        return classifier != null || adapters != null;
    }

    /** The adapters' names in the order given; empty when the model is served alone. */
    List<String> adapterNames() {
        return adapters == null ? List.of() : adapters.names();
    }

    /** An adapter's description (its labels, task and directory). */
    ModelInfo adapterInfo(String name) {
        return adapters.classifier(name).info();
    }

    boolean answers() {
        return qa != null;
    }

    boolean tags() {
        return tagger != null;
    }

    /** Predictions in input order; singles and pairs each go to the model once. */
    List<Prediction> predict(List<Text> inputs) {
        List<Integer> singles = new ArrayList<>();
        List<Integer> pairs = new ArrayList<>();
        for (int i = 0; i < inputs.size(); i++) {
            (inputs.get(i).pair() == null ? singles : pairs).add(i);
        }
        Prediction[] out = new Prediction[inputs.size()];
        for (List<Integer> group : List.of(singles, pairs)) {
            if (group.isEmpty()) {
                continue;
            }
            List<String> texts = group.stream().map(i -> inputs.get(i).text()).toList();
            List<String> second = group == pairs ? group.stream().map(i -> inputs.get(i).pair()).toList() : null;
            List<Prediction> p = adapters == null ? classifier.predictPairs(texts, second)
                    : adapters.predictPairs(group.stream().map(i -> adapter(inputs.get(i))).toList(), texts, second);
            for (int k = 0; k < group.size(); k++) {
                out[group.get(k)] = p.get(k);
            }
        }
        return List.of(out);
    }

    /** The adapter a text goes through: the one it names, else the first (the server lets that pass when one). */
    private String adapter(Text t) {
        return t.adapter() != null ? t.adapter() : adapters.names().get(0);
    }

    /** Embeddings in input order; normalised and raw inputs each go to the model once. */
    List<float[]> embed(List<EmbedInput> inputs) {
        Embedder e = embedder();
        float[][] out = new float[inputs.size()][];
        for (boolean normalize : new boolean[] {true, false}) {
            List<Integer> group = new ArrayList<>();
            for (int i = 0; i < inputs.size(); i++) {
                if (inputs.get(i).normalize() == normalize) {
                    group.add(i);
                }
            }
            if (!group.isEmpty()) {
                List<float[]> v = e.embed(group.stream().map(i -> inputs.get(i).text()).toList(), normalize);
                for (int k = 0; k < group.size(); k++) {
                    out[group.get(k)] = v.get(k);
                }
            }
        }
        return List.of(out);
    }

    /** Each question's answers, at most its own top k, best first; all windows batched together. */
    List<List<Answer>> answer(List<Question> inputs) {
        int k = inputs.stream().mapToInt(Question::topK).max().orElse(1);
        List<List<Answer>> all = qa.answers(inputs.stream().map(Question::question).toList(),
                inputs.stream().map(Question::context).toList(), k);
        List<List<Answer>> out = new ArrayList<>();
        for (int i = 0; i < inputs.size(); i++) {
            List<Answer> a = all.get(i);
            out.add(a.subList(0, Math.min(inputs.get(i).topK(), a.size())));
        }
        return out;
    }

    /** Each text's entities, in input order; the texts of one aggregation go to the model together. */
    List<List<Tagger.Entity>> tag(List<TagInput> inputs) {
        List<List<Tagger.Entity>> out = new ArrayList<>(java.util.Collections.nCopies(inputs.size(), null));
        for (EntityGrouping.Aggregation a : EntityGrouping.Aggregation.values()) {
            List<Integer> group = new ArrayList<>();
            for (int i = 0; i < inputs.size(); i++) {
                if (inputs.get(i).aggregation() == a) {
                    group.add(i);
                }
            }
            if (!group.isEmpty()) {
                List<List<Tagger.Entity>> e = tagger.tag(group.stream().map(i -> inputs.get(i).text()).toList(), a);
                for (int k = 0; k < group.size(); k++) {
                    out.set(group.get(k), e.get(k));
                }
            }
        }
        return out;
    }

    /**
     * A route this model cannot serve because of the model or the server, not the request (a 5xx, not a 422): its
     * message is for clients; the cause, which may name paths, classes or graph nodes, is for the log.
     */
    static final class Unavailable extends RuntimeException {
        private static final long serialVersionUID = 1L;

        Unavailable(String message, Throwable cause) {
            super(message, cause);
        }
    }

    private Unavailable noEmbedder; // why the embedder could not load: said again rather than tried again

    /**
     * The embedder, loaded on first use for a task model (only the batcher thread calls this). A task model that
     * cannot embed (an ONNX export without the encoder's output) is the server's problem, not the client's.
     */
    private synchronized Embedder embedder() {
        if (noEmbedder != null) {
            throw noEmbedder;
        }
        if (embedder == null) {
            try {
                embedder = loadEmbedder();
            } catch (RuntimeException e) {
                noEmbedder = new Unavailable("this model cannot serve /embed: its encoder could not be loaded for"
                        + " embeddings", e);
                throw noEmbedder;
            }
        }
        return embedder;
    }

    /** For tests that make loading fail. */
    Embedder loadEmbedder() {
        return Embedder.load(model, options);
    }

    @Override
    public synchronized void close() {
        if (classifier != null) {
            classifier.close();
        }
        if (adapters != null) {
            adapters.close();
        }
        if (qa != null) {
            qa.close();
        }
        if (tagger != null) {
            tagger.close();
        }
        if (embedder != null) {
            embedder.close();
        }
    }
}
