package bertft.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import bertft.checkpoint.TensorData;
import bertft.model.Bert;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Trainable parameters that live beside the model, not in its checkpoint (DANN's domain classifier, distill-hidden's
 * projection): by name, in their own sub-manager, restored from and copied into the resume state.
 */
final class ExtraParams implements AutoCloseable {
    private final NDManager manager;
    private final Map<String, NDArray> params = new LinkedHashMap<>();

    /** Parameters that live (and die) with {@code parent}, or earlier with {@link #close}. */
    ExtraParams(NDManager parent) {
        this.manager = parent.newSubManager();
    }

    /** Sets (or replaces, on resume) a parameter's values; it requires a gradient. */
    void load(String name, TensorData t) {
        NDArray a = manager.create(t.data().duplicate(), new Shape(t.shape()), DataType.FLOAT32);
        a.setName(name);
        a.setRequiresGradient(true);
        NDArray old = params.put(name, a);
        if (old != null) {
            old.close();
        }
    }

    /** The parameters by name, in the order they were set. */
    Map<String, NDArray> map() {
        return params;
    }

    /** A copy of every parameter, for the resume state. */
    Map<String, TensorData> tensors() {
        Map<String, TensorData> out = new LinkedHashMap<>();
        params.forEach((k, v) -> out.put(k, Bert.toTensorData(v)));
        return out;
    }

    @Override
    public void close() {
        manager.close();
    }
}
