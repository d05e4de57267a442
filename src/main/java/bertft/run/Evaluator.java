package bertft.run;

import ai.djl.ndarray.NDManager;
import bertft.data.Features;
import bertft.data.LabelledData;
import bertft.data.SquadData;
import bertft.data.TaggedData;
import bertft.eval.Entities;
import bertft.infer.Forward;
import bertft.infer.Predictor;
import bertft.model.Finite;
import bertft.model.Objective;
import bertft.model.TaskModel;
import bertft.model.Torch;
import bertft.qa.QaAnswerer;
import bertft.qa.QaPostprocess;
import bertft.task.TaskSpec;
import bertft.text.BertTokenizer;
import bertft.train.FeatureCache;
import java.util.List;
import java.util.stream.IntStream;

/**
 * Scores a model on a labelled set: an {@link Evaluation}, the headline metrics with the full report (per class,
 * confusion matrix, predictions) that {@code report.json} holds.
 */
public abstract class Evaluator {

    /** The model's evaluation on this set. */
    public Evaluation evaluate(TaskModel model) {
        return evaluate(Forward.of(model));
    }

    /** The evaluation of a model on any runtime (libtorch or ONNX Runtime). */
    public abstract Evaluation evaluate(Forward forward);

    /**
     * The same evaluation on encoder features computed once (frozen encoder), kept in {@code dir} when it is not
     * null ({@link FeatureCache#computeOrRead}).
     */
    public Evaluator cached(TaskModel model, int batchSize, java.nio.file.Path dir) {
        return this;
    }

    /** No validation set: nothing to score. */
    public static Evaluator none() {
        return new Evaluator() {
            @Override
            public Evaluation evaluate(Forward forward) {
                return Evaluation.NONE;
            }
        };
    }

    /** Classification, sentiment, multi-label or regression on a table. */
    public static Evaluator table(TaskSpec spec, LabelledData data, Features features, List<String> labels) {
        return new Table(spec, data, features, labels, null);
    }

    /** Extractive QA on SQuAD questions. */
    public static Evaluator qa(TaskSpec spec, List<SquadData.Question> questions, BertTokenizer tok) {
        return new Evaluator() {
            @Override
            public Evaluation evaluate(Forward forward) {
                QaAnswerer answerer = new QaAnswerer(forward, tok, qaSettings(spec));
                List<QaPostprocess.Prediction> predictions = answerer.answer(questions);
                return Scoring.qa(questions, predictions);
            }
        };
    }

    /** Token classification on tagged sentences: every word's predicted tag scored at the entity level. */
    public static Evaluator tokens(TaskSpec spec, TaggedData data, List<String> labels,
            TaggedData.Scheme scheme, BertTokenizer tok) {
        Entities.Mode mode = Tagging.mode(spec.strict(), scheme);
        List<List<String>> words = data.sentences().stream().map(TaggedData.Sentence::words).toList();
        return new Evaluator() {
            @Override
            public Evaluation evaluate(Forward forward) {
                List<List<String>> predicted = Tagging.predict(forward, words, labels, tok, tok.maxLength(),
                        spec.docStride(), spec.evalBatchSize());
                return Tagging.report(data, predicted, mode);
            }
        };
    }

    public static QaAnswerer.Settings qaSettings(TaskSpec spec) {
        return new QaAnswerer.Settings(spec.maxLength(), spec.docStride(), spec.maxQueryLength(), spec.nBest(),
                spec.maxAnswerLength(), spec.version2(), spec.nullThreshold(), spec.evalBatchSize());
    }

    private static final class Table extends Evaluator {
        private final TaskSpec spec;
        private final LabelledData data;
        private final Features features;
        private final List<String> labels;
        private final FeatureCache cache;

        Table(TaskSpec spec, LabelledData data, Features features, List<String> labels, FeatureCache cache) {
            this.spec = spec;
            this.data = data;
            this.features = features;
            this.labels = labels;
            this.cache = cache;
        }

        @Override
        public Evaluation evaluate(Forward forward) {
            Objective objective = TaskData.objective(spec.task());
            float[][] scores = new Predictor(forward, objective, spec.evalBatchSize()).scores(features.encodings());
            return Scoring.table(spec, data, labels, scores);
        }

        @Override
        public Evaluation evaluate(TaskModel model) {
            if (cache == null) {
                return super.evaluate(model);
            }
            Objective objective = TaskData.objective(spec.task());
            float[][] scores = new float[features.size()][];
            try (NDManager m = Torch.newManager()) {
                int[] all = IntStream.range(0, features.size()).toArray();
                float[] flat = objective.scores(model.headOnFeatures(cache.batch(all, m), false)).toFloatArray();
                Finite.requireOutputs(flat, "the model's scores");
                int c = flat.length / features.size();
                for (int i = 0; i < scores.length; i++) {
                    scores[i] = java.util.Arrays.copyOfRange(flat, i * c, (i + 1) * c);
                }
            }
            return Scoring.table(spec, data, labels, scores);
        }

        @Override
        public Evaluator cached(TaskModel model, int batchSize, java.nio.file.Path dir) {
            return new Table(spec, data, features, labels,
                    FeatureCache.computeOrRead(dir, model, features, batchSize).cache());
        }
    }
}
