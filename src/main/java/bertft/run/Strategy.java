package bertft.run;

import bertft.task.TaskSpec;
import bertft.train.Unfreezing;

/**
 * A task's fine-tuning strategy as the trainer needs it: which depths train when, and the per-depth LR decay.
 *
 * <p>{@code frozen}: head only (encoder in eval mode; features cached). {@code top-k}: head + top k layers.
 * {@code full} and {@code llrd}: everything ({@code llrd} decays the LR with depth). {@code gradual} and
 * {@code ulmfit}: head first, one more depth every {@code unfreeze-every}, embeddings last. {@code setfit}: the
 * whole encoder on contrastive pairs (the head is fitted apart, {@link SetFit}).
 */
public record Strategy(String name, Unfreezing unfreezing, double layerDecay) {

    public static Strategy of(TaskSpec spec, long stepsPerEpoch, long totalSteps, int layers) {
        String name = spec.strategy();
        Unfreezing u = switch (name) {
            case "frozen" -> new Unfreezing(0, 0);
            case "top-k" -> new Unfreezing(spec.unfreezeLayers() == null ? 2 : spec.unfreezeLayers(), 0);
            case "gradual", "ulmfit" -> new Unfreezing(0, spec.unfreezeEvery().steps(stepsPerEpoch, totalSteps, layers));
            default -> Unfreezing.all();
        };
        return new Strategy(name, u, spec.layerDecay());
    }

    /** Whether the encoder never trains, so its outputs can be computed once. */
    public boolean frozen() {
        return unfreezing().every() == 0 && unfreezing().depth() == 0;
    }
}
