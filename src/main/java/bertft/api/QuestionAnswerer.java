package bertft.api;

import bertft.UserError;
import bertft.data.SquadData;
import bertft.qa.QaAnswerer;
import bertft.qa.QaPostprocess;
import bertft.run.Evaluator;
import bertft.run.TrainedModel;
import bertft.task.TaskSpec;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Extractive question answering with a fine-tuned QA model; long contexts are read in overlapping windows.
 * Thread-safe.
 *
 * <pre>{@code
 * try (QuestionAnswerer qa = QuestionAnswerer.load("deepset/roberta-base-squad2")) {
 *     Answer a = qa.answer("Who wrote it?", "It was written by Ada Lovelace in 1843.");
 * }
 * }</pre>
 */
public final class QuestionAnswerer implements AutoCloseable {
    private final TrainedModel model;
    private final TaskSpec spec;
    private final QaAnswerer answerer;
    private final ModelInfo info;

    private QuestionAnswerer(TrainedModel model, String name, ModelOptions options) {
        this.model = model;
        this.spec = model.spec(null, Map.of());
        QaAnswerer.Settings s = Evaluator.qaSettings(spec);
        this.answerer = new QaAnswerer(model.forward(), model.tokenizer(), new QaAnswerer.Settings(s.maxLength(),
                s.docStride(), s.maxQueryLength(), s.nBest(), s.maxAnswerLength(), s.version2(), s.nullThreshold(),
                options.batchSize()));
        this.info = Models.info(model, name, options);
    }

    /** Loads a QA model (run or checkpoint directory, ONNX export, alias or Hub id) with the default options. */
    public static QuestionAnswerer load(String model) {
        return load(model, ModelOptions.defaults());
    }

    /** Loads {@code model} on the runtime and batch size (windows per pass) of {@code options}. */
    public static QuestionAnswerer load(String model, ModelOptions options) {
        TrainedModel m = Models.load(model, options);
        try {
            if (m.kind() != TaskSpec.Kind.QA) {
                throw new UserError(model + ": has a " + m.kind() + " classifier head, not a question-answering head"
                        + " (qa_outputs); load it with Classifier (on the command line: use `bert-ft classify`)");
            }
            return new QuestionAnswerer(m, model, options);
        } catch (RuntimeException e) {
            m.close();
            throw e;
        }
    }

    /** The best answer, or null when the model finds none (SQuAD 2.0 models may say there is none). */
    public Answer answer(String question, String context) {
        QaPostprocess.Prediction p = predict(List.of(Inputs.text("question", question)),
                List.of(Inputs.text("context", context))).get(0);
        if (p.answer().isEmpty() || p.nbest().isEmpty()) {
            return null;
        }
        return answer(p.nbest().get(0));
    }

    /** Up to {@code topK} candidate answers, best first. */
    public List<Answer> answers(String question, String context, int topK) {
        return answers(List.of(Inputs.text("question", question)), List.of(Inputs.text("context", context)), topK)
                .get(0);
    }

    /**
     * Up to {@code topK} candidates for {@code questions[i]} over {@code contexts[i]}, best first; the windows of
     * all questions are batched together.
     */
    public List<List<Answer>> answers(List<String> questions, List<String> contexts, int topK) {
        if (topK < 1) {
            throw new IllegalArgumentException("top k " + topK + ": must be at least 1");
        }
        List<List<Answer>> out = new ArrayList<>();
        for (QaPostprocess.Prediction p : predict(questions, contexts)) {
            out.add(p.nbest().subList(0, Math.min(topK, p.nbest().size())).stream().map(QuestionAnswerer::answer)
                    .toList());
        }
        return out;
    }

    private List<QaPostprocess.Prediction> predict(List<String> questions, List<String> contexts) {
        if (Inputs.texts("questions", questions).size() != Inputs.texts("contexts", contexts).size()) {
            throw new IllegalArgumentException(questions.size() + " questions but " + contexts.size() + " contexts");
        }
        List<SquadData.Question> qs = new ArrayList<>();
        for (int i = 0; i < questions.size(); i++) {
            String q = questions.get(i);
            String ctx = contexts.get(i);
            int tokens = model.tokenizer().encode(q).getIds().length; // with [CLS] and [SEP], cut at max-length
            if (tokens + 3 >= spec.maxLength()) { // so the message counts the whole question, untruncated
                throw new UserError("question of " + model.tokenizer().length(q) + " tokens is longer than max-length "
                        + spec.maxLength() + " allows: '" + (q.length() > 60 ? q.substring(0, 60) + "...'" : q + "'"));
            }
            qs.add(new SquadData.Question(Integer.toString(i), "", ctx, q, List.of()));
        }
        return answerer.answer(qs);
    }

    private static Answer answer(QaPostprocess.Span s) {
        return new Answer(s.text(), s.start(), s.end(), s.score(), s.probability());
    }

    /** What this model is: task qa, max length, runtime. */
    public ModelInfo info() {
        return info;
    }

    /** Frees the model (its native memory); calls after this fail. */
    @Override
    public void close() {
        model.close();
    }
}
