package bertft.run;

import bertft.UserError;
import bertft.model.BertConfig;
import bertft.task.TaskSpec;

/**
 * Task settings whose valid range depends on the model, checked once its config.json is read and before any
 * work: {@code max-length} against max_position_embeddings, {@code unfreeze-layers} against num_hidden_layers.
 */
public final class ModelLimits {
    private ModelLimits() {}

    /** Throws a UserError placed where the setting was made, with the range this model allows. */
    public static void check(TaskSpec spec, BertConfig config, Object model) {
        TaskSpec.Source lengthFrom = spec.provenance().get("max-length").source();
        // a default above a small model's positions is cut to fit; a length the user asked for is not
        if (lengthFrom == TaskSpec.Source.FILE || lengthFrom == TaskSpec.Source.CLI) {
            config.requireLength(spec.where("max-length") + " " + spec.maxLength(), spec.maxLength(), 4, model);
        }
        Integer k = spec.unfreezeLayers();
        int layers = config.numHiddenLayers();
        if (spec.strategy().equals("top-k") && k != null && k > layers) {
            throw new UserError(spec.where("unfreeze-layers") + " " + k + ": " + model + " has " + layers
                    + " layers (num_hidden_layers); use 0 to " + layers);
        }
    }
}
