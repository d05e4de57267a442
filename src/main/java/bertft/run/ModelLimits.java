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
        if (spec.strategy().equals("top-k") && k != null) {
            requireLayers(spec.where("unfreeze-layers") + " " + k, k, "", 0, config, model);
        }
    }

    /**
     * Throws a UserError unless the model has the top {@code k} encoder layers: {@code where: MODEL has N layers
     * (num_hidden_layers); use PREFIXlowest to PREFIXN}, e.g. {@code use top-1 to top-2} for {@code bench --strategy}.
     */
    public static void requireLayers(String where, int k, String prefix, int lowest, BertConfig config, Object model) {
        int layers = config.numHiddenLayers();
        if (k > layers) {
            throw new UserError(where + ": " + model + " has " + layers + " layers (num_hidden_layers); use " + prefix
                    + lowest + " to " + prefix + layers);
        }
    }
}
