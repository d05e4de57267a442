package bertft.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import bertft.checkpoint.TensorData;
import java.util.LinkedHashMap;
import java.util.Map;

/** An encoder whose parameters are keyed by its family's HuggingFace base-model names (no task prefix). */
public interface Encoder extends AutoCloseable {
    /** The config.json (family fields included; raw json via {@code config().json()}). */
    BertConfig config();

    /** The parameters by HuggingFace base-model name, without prefix, in checkpoint order; live. */
    Map<String, NDArray> params();

    /** The manager that owns the parameters; optimizer state belongs here too. */
    NDManager manager();

    /** A copy of every parameter as engine-free tensors, for saving. */
    default Map<String, TensorData> tensors() {
        Map<String, TensorData> out = new LinkedHashMap<>();
        params().forEach((k, v) -> out.put(k, Bert.toTensorData(v)));
        return out;
    }

    /** (B,T) int64 ids, (B,T) type ids or null, (B,T) mask -> last_hidden_state (B,T,H). */
    default NDArray forward(NDArray inputIds, NDArray tokenTypeIds, NDArray attentionMask, boolean training) {
        return forward(inputIds, tokenTypeIds, attentionMask, training, null);
    }

    /**
     * As {@link #forward(NDArray, NDArray, NDArray, boolean)}, adding every layer's output (B,T,H), first layer
     * first, to {@code layers} when it is not null (distillation's hidden-state loss): they stay alive, and part of
     * the graph, until the step's manager closes.
     */
    NDArray forward(NDArray inputIds, NDArray tokenTypeIds, NDArray attentionMask, boolean training,
            java.util.List<NDArray> layers);

    /**
     * Routes the encoder's linear layers through a PEFT adapter (LoRA, IA3), or back to plain ones (null); the
     * adapter's parameters stay the caller's.
     */
    void adapter(Peft peft);

    /** The attached adapter, or null. */
    Peft adapter();

    /** Frees the parameters (and whatever else lives in {@link #manager()}). */
    @Override
    default void close() {
        manager().close();
    }
}
