package bertft.run;

import bertft.model.TaskModel;
import bertft.task.TaskSpec;
import java.util.function.Predicate;
import bertft.train.Unfreezing;

/**
 * A task's fine-tuning strategy as the trainer needs it: which depths train when, and the per-depth LR decay.
 *
 * <p>{@code frozen}: head only (encoder in eval mode; features cached). {@code top-k}: head + top k layers.
 * {@code full} and {@code llrd}: everything ({@code llrd} decays the LR with depth). {@code gradual} and
 * {@code ulmfit}: head first, one more depth every {@code unfreeze-every}, embeddings last. {@code lora},
 * {@code ia3}, {@code bitfit}: every depth, but only the parameters {@link #trains} names. {@code setfit}: the
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

    /**
     * Whether only the head and added or selected parameters train, every pretrained weight frozen: {@code lora},
     * {@code ia3} (an adapter's parameters) and {@code bitfit} (the biases).
     */
    public boolean parameterEfficient() {
        return name.equals("lora") || name.equals("ia3") || name.equals("bitfit");
    }

    /**
     * Which parameters of {@code model} train under a parameter-efficient strategy: the head (with BERT's pooler
     * where it is used), and the adapter's parameters (lora, ia3) with the biases {@code lora-bias} names, or every
     * bias (bitfit). Other strategies: all that {@link TaskModel#trainable} allows.
     */
    public Predicate<String> trains(TaskModel model, TaskSpec spec) {
        if (!parameterEfficient()) {
            return model::trainable;
        }
        String pooler = model.family().prefix() + ".pooler.";
        Predicate<String> head = n -> model.isHead(n) || n.startsWith(pooler);
        Predicate<String> own;
        if (name.equals("bitfit")) {
            own = n -> n.endsWith(".bias");
        } else {
            String bias = spec.loraBias();
            String prefix = model.family().prefix() + ".";
            own = n -> TaskModel.isAdapterParam(n) || n.endsWith(".bias") && (bias.equals("all")
                    || bias.equals("lora_only") && model.peft() != null && n.startsWith(prefix)
                    && model.peft().adapts(n.substring(prefix.length(), n.length() - ".bias".length())));
        }
        return head.or(own).and(model::trainable);
    }

    /** Whether the encoder never trains, so its outputs can be computed once. */
    public boolean frozen() {
        return unfreezing().every() == 0 && unfreezing().depth() == 0;
    }
}
