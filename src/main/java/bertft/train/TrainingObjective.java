package bertft.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import bertft.checkpoint.TensorData;
import java.nio.file.Path;
import java.util.Map;

/**
 * What one kind of training learns, for the one loop ({@link Trainer}): the loss of a micro-batch of training
 * examples, and any trainable state of its own. Everything else (batching, seeds, micro-batches, accumulation,
 * clipping, AdamW, the schedule, EMA, evaluation cadence, resume, logging, fault points) is the loop's; which
 * parameters train at each step and at what rate is a {@link ParameterPolicy}'s.
 *
 * <p>Implementations: {@link SupervisedObjective} (classification, multi-label, regression, QA spans),
 * {@link DomainAdversarialObjective} (DANN around it), {@link TokenObjective}, {@link DistillObjective} (a teacher's
 * cached outputs), {@link PairObjective} (SetFit's contrastive pairs), and adapt's masked-LM objective. A new way to train (token
 * tags, contrastive pairs, distillation from a teacher) is a new class of this interface, about 100 lines:
 * <ol>
 *   <li>{@link #lengths}: the token count of every training example, in index order (the loop buckets batches by
 *       length with it and counts tokens/s).
 *   <li>{@link #loss}: build the micro-batch {@code part} (indices into those examples) in {@code m}, run the model
 *       in training mode (dropout; the loop has seeded it from the micro-step), return the mean loss over the
 *       part. The loop weights it by the part's share of the batch and by the accumulation, and back-propagates.
 *       Anything random beyond dropout is drawn from a {@code Random} seeded from {@link Pass} (epoch, micro-step)
 *       so that a resumed run draws the same.
 *   <li>Own trainable parameters (a teacher's projection, a domain classifier): {@link #params} (they take
 *       gradients, are clipped and updated with the model's), and {@link #state} / {@link #restore} so that
 *       {@code --resume} brings them back (they are written inside the resume state's directory, atomically).
 *   <li>Extra figures per step (a domain loss, a distillation temperature): {@link #stepped}.
 * </ol>
 */
public interface TrainingObjective {
    /**
     * Where the loop is when it asks for a loss.
     *
     * @param step optimizer steps done (0-based index of the step this micro-batch accumulates into)
     * @param totalSteps the run's optimizer steps
     * @param epoch 0-based epoch
     * @param batch the batch's index in this epoch's order
     * @param microStep batches done since the start of training ({@code epoch * batches + batch})
     * @param encoderTrains whether any encoder weight trains at this step (if not, the encoder runs without dropout)
     */
    record Pass(long step, long totalSteps, int epoch, int batch, long microStep, boolean encoderTrains) {}

    /**
     * A micro-batch's loss.
     *
     * @param value what is back-propagated (a scalar)
     * @param logged what the step's logged loss averages (DANN: the task's part only)
     */
    record Loss(NDArray value, double logged) {
        /** A loss logged as it is back-propagated. */
        public static Loss of(NDArray value) {
            return new Loss(value, value.getFloat());
        }
    }

    /** Token counts of the training examples, in index order. */
    int[] lengths();

    /** The mean loss over the training examples {@code part}, a micro-batch of the batch {@code pass} is at. */
    Loss loss(int[] part, Pass pass, NDManager m);

    /** Trainable parameters besides the model's, by name (updated with the model's; not part of the model). */
    default Map<String, NDArray> params() {
        return Map.of();
    }

    /** This objective's own state for the resume state: file name -> tensors. */
    default Map<String, Map<String, TensorData>> state() {
        return Map.of();
    }

    /** Restores {@link #state} from the resume state's directory {@code dir}. */
    default void restore(Path dir) {}

    /** After optimizer step {@code step} (1-based): extra figures for the listener. */
    default void stepped(long step, Trainer.Listener listener) {}
}
