package bertft.run;

import bertft.UserError;
import bertft.data.Example;
import bertft.model.BertConfig;
import bertft.model.Objective;
import bertft.model.TaskModel;
import bertft.task.TaskSpec;
import bertft.train.ContrastivePairs;
import bertft.train.SetFitHead;
import com.google.gson.JsonObject;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code strategy: setfit} (Tunstall et al., 2022) wired into a run: the training pairs, checked where they are
 * built, and the head fitted before every evaluation, so the saved model is body and head together.
 */
final class SetFit {
    /** SetFit's differentiable head rate when head-learning-rate is not set. */
    static final double HEAD_RATE = 1e-2;

    private SetFit() {}

    /**
     * The pairs of the run's training examples; refuses a model whose classifier does not read the pooled vector
     * directly, a single class, and a class with one example (it would have no positive pair).
     */
    static ContrastivePairs pairs(TaskSpec spec, TrainJob.Prepared data, BertConfig config) {
        if (config.family().classifier().dense != null) {
            throw new UserError(spec.where("strategy") + ": setfit fits a linear head on the sentence embedding,"
                    + " and a " + config.family().modelType() + " classifier has a hidden layer ("
                    + config.family().classifier().dense + "); use a BERT-family model (model_type bert)");
        }
        List<String> labels = data.labels();
        List<int[]> gold = new ArrayList<>();
        long[] counts = new long[labels.size()];
        for (Example e : data.trainData().examples()) {
            int[] ids = e.labels() != null ? e.labels() : new int[] {e.label()};
            gold.add(ids);
            for (int id : ids) {
                counts[id]++;
            }
        }
        if (spec.task() != TaskSpec.Kind.MULTILABEL) {
            for (int c = 0; c < labels.size(); c++) {
                if (counts[c] == 1) {
                    throw new UserError(spec.where("strategy") + ": setfit: class '" + labels.get(c) + "' has a"
                            + " single training example in " + data.trainData().file() + ", so no positive pair (two"
                            + " texts of one class); give it at least 2 (or train-per-class 2 or more)");
                }
            }
        }
        ContrastivePairs pairs = ContrastivePairs.of(gold, spec.setfitIterations(), spec.setfitPairs(), spec.seed());
        if (pairs.negatives() == 0) {
            throw new UserError(spec.where("strategy") + ": setfit: every training example of "
                    + data.trainData().file() + " has the same label, so there is no negative pair; it needs two"
                    + " classes or more");
        }
        return pairs;
    }

    /** The head the run fits before each evaluation (logistic or differentiable). */
    static SetFitHead head(TaskSpec spec, TaskModel model, TrainJob.Prepared data, Objective objective) {
        return new SetFitHead(model, data.train(), spec.task() == TaskSpec.Kind.MULTILABEL,
                spec.setfitHead().equals("differentiable"), objective,
                spec.headLearningRate() != null ? spec.headLearningRate() : HEAD_RATE, spec.seed(),
                spec.evalBatchSize());
    }

    /** Fits the head and says so on {@code err}. */
    static void fit(SetFitHead head, PrintStream err) {
        SetFitHead.Fitted f = head.fit();
        err.printf("setfit head: %s on %d embeddings, %d %s%s (%.1fs)%n", f.head().equals("logistic")
                ? "logistic regression" : "differentiable linear head", f.examples(), f.iterations(),
                f.head().equals("logistic") ? "iterations" : "steps",
                f.converged() ? "" : ", not converged", f.seconds());
    }

    /** The header's pair counts. */
    static String describe(ContrastivePairs p) {
        return String.format(" (%d pairs: %d same-label, %d different-label)", p.size(), p.positives(),
                p.negatives());
    }

    /** report.json's {@code training.setfit}: pair counts and the last head fit. */
    static JsonObject summary(ContrastivePairs p, SetFitHead head) {
        JsonObject o = new JsonObject();
        o.addProperty("pairs", p.size());
        o.addProperty("positive_pairs", p.positives());
        o.addProperty("negative_pairs", p.negatives());
        o.addProperty("unique_positive_pairs", p.uniquePositives());
        o.addProperty("unique_negative_pairs", p.uniqueNegatives());
        SetFitHead.Fitted f = head.last();
        if (f != null) {
            o.addProperty("head", f.head());
            o.addProperty("head_iterations", f.iterations());
            o.addProperty("head_converged", f.converged());
            o.addProperty("head_seconds", Math.round(f.seconds() * 100) / 100.0);
        }
        return o;
    }
}
