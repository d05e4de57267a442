package bertft.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import bertft.model.Scalar;

/** Losses over a batch, as HuggingFace's task models compute them (mean over the batch). */
public final class Losses {
    private Losses() {}

    /**
     * Softmax cross-entropy; with class weights, the weighted mean sum(w_y nll) / sum(w_y) as torch's
     * CrossEntropyLoss computes it.
     *
     * @param logits (B, C)
     * @param labels (B) int64 class ids
     * @param classWeights (C) or null
     */
    public static NDArray crossEntropy(NDArray logits, NDArray labels, NDArray classWeights) {
        int c = (int) logits.getShape().get(1);
        NDArray oneHot = labels.oneHot(c); // (B, C)
        NDArray nll = logits.logSoftmax(-1).mul(oneHot).sum(new int[] {1}).neg(); // (B)
        if (classWeights == null) {
            return nll.mean();
        }
        NDArray w = oneHot.mul(classWeights).sum(new int[] {1}); // (B): weight of each row's class
        return nll.mul(w).sum().div(w.sum());
    }

    /** Sigmoid + binary cross-entropy, mean over all labels of all rows (torch's BCEWithLogitsLoss). */
    public static NDArray binaryCrossEntropy(NDArray logits, NDArray targets) {
        // max(x, 0) - x y + log(1 + exp(-|x|)): stable for large |x|
        NDArray t = targets.toType(DataType.FLOAT32, false);
        NDArray x = logits;
        return x.maximum(Scalar.of(x, 0)).sub(x.mul(t)).add(x.abs().neg().exp().add(1f).log()).mean();
    }

    /** Mean squared error between (B, 1) predictions and (B) targets. */
    public static NDArray meanSquaredError(NDArray predictions, NDArray targets) {
        return predictions.reshape(-1).sub(targets.toType(DataType.FLOAT32, false)).square().mean();
    }
}
