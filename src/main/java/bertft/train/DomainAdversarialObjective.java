package bertft.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import bertft.checkpoint.TensorData;
import bertft.model.TaskModel;
import bertft.text.Batch;
import java.nio.file.Path;
import java.util.Map;

/**
 * DANN: the task's loss on the labelled source batch plus the {@link DomainAdversary}'s loss of source vs target
 * features; the domain classifier is this objective's own parameters (updated with the model's, kept in the
 * resume state, not in the saved model). A batch is never split here: TaskFiles refuses micro-batch-size with it.
 */
public final class DomainAdversarialObjective implements TrainingObjective {
    /** The domain classifier's weights in the resume state. */
    public static final String DOMAIN_FILE = "domain_classifier.safetensors";

    private final SupervisedObjective task;
    private final DomainAdversary adversary;

    public DomainAdversarialObjective(SupervisedObjective task, DomainAdversary adversary) {
        this.task = task;
        this.adversary = adversary;
    }

    @Override
    public int[] lengths() {
        return task.lengths();
    }

    @Override
    public Loss loss(int[] part, Pass pass, NDManager m) {
        TaskModel model = task.model();
        Batch b = task.batch(part, pass, m);
        NDArray hidden = model.encode(b, pass.encoderTrains()); // (B, T, H)
        NDArray loss = task.taskLoss(model.head(hidden, b.attentionMask(), true), part, m);
        double logged = loss.getFloat(); // the task's loss is what the step logs; the domain's is logged apart
        NDArray domain = adversary.loss(model, model.features(hidden, b.attentionMask()), pass.encoderTrains(),
                pass.epoch(), pass.batch(), (double) pass.step() / pass.totalSteps(), m);
        return new Loss(loss.add(domain), logged);
    }

    @Override
    public Map<String, NDArray> params() {
        return adversary.params();
    }

    @Override
    public Map<String, Map<String, TensorData>> state() {
        return Map.of(DOMAIN_FILE, adversary.tensors());
    }

    @Override
    public void restore(Path dir) {
        Trainer.required(dir, DOMAIN_FILE, "domain-adversarial training").forEach(adversary::load);
    }

    @Override
    public void stepped(long step, Trainer.Listener listener) {
        double[] d = adversary.last();
        listener.domain(step, d[0], d[1], d[2]);
    }
}
