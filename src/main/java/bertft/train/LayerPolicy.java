package bertft.train;

import bertft.model.Family;

/**
 * Which parameters train, and at what learning rate, by their depth below the head.
 *
 * <p>Depth is read from the HuggingFace name through the model's {@link Family}: head ({@code classifier},
 * {@code qa_outputs}, ...) and pooler 0, layer i ({@code bert.encoder.layer.i}, {@code distilbert.transformer.layer.i})
 * L - i, embeddings ({@code bert.embeddings}, ELECTRA's {@code embeddings_project}) L + 1. Layer-wise decay gives depth d the rate
 * {@code lr * decay^d}; unfreezing exposes depths 0..k, one more at each gradual step, embeddings last.
 */
public final class LayerPolicy {
    private final Family family;
    private final int layers;
    private final double decay;
    private final Double headLr;

    /**
     * @param family names the layers and embeddings
     * @param layers the encoder's layer count L
     * @param decay per-depth LR multiplier (1 for none)
     * @param headLr a separate rate for depth 0, or null for {@code lr}
     */
    public LayerPolicy(Family family, int layers, double decay, Double headLr) {
        this.family = family;
        this.layers = layers;
        this.decay = decay;
        this.headLr = headLr;
    }

    /** Depths run 0 (head) .. L + 1 (embeddings). */
    public int maxDepth() {
        return layers + 1;
    }

    public int depth(String name) {
        int layer = family.layerIndex(name);
        if (layer >= 0) {
            return layers - layer;
        }
        if (family.isEmbedding(name)) {
            return layers + 1;
        }
        return 0; // head and pooler
    }


    /** This parameter's learning rate at a step whose schedule multiplier is {@code scheduleFactor}; a separate
     * head rate warms up and decays too. */
    public double lr(String name, double lr, double scheduleFactor) {
        return lrAtDepth(depth(name), lr, scheduleFactor);
    }

    /** The learning rate of every parameter at depth {@code d}. */
    public double lrAtDepth(int d, double lr, double scheduleFactor) {
        if (d == 0 && headLr != null) {
            return headLr * scheduleFactor;
        }
        return lr * scheduleFactor * Math.pow(decay, d);
    }

    /** The parameter group at depth {@code d}, for logs: {@code head}, {@code layer.5}, ..., {@code embeddings}. */
    public String group(int d) {
        return d == 0 ? "head" : d > layers ? "embeddings" : "layer." + (layers - d);
    }

    /**
     * Weight decay applies to weight matrices only, not to biases and LayerNorms ({@code LayerNorm},
     * DistilBERT's {@code sa_layer_norm}), as HuggingFace's Trainer.
     */
    public static boolean decays(String name) {
        return !name.endsWith(".bias") && !name.contains("LayerNorm") && !name.contains("layer_norm");
    }
}
