package bertft.infer;

import ai.djl.huggingface.tokenizers.Encoding;
import ai.djl.ndarray.NDManager;
import bertft.model.TaskModel;
import bertft.model.Torch;
import bertft.text.Batch;
import java.util.List;

/**
 * A task model's inference pass over encodings padded together, on whichever runtime holds the model: libtorch
 * ({@link #of(TaskModel)}) or ONNX Runtime ({@code bertft.onnx.OnnxModel}).
 */
@FunctionalInterface
public interface Forward {
    /**
     * The logits of one batch, row-major: (B, C) for a classifier, (B, T, 2) start/end for QA, T the longest
     * encoding.
     */
    float[] logits(List<Encoding> batch);

    /** The libtorch model's forward pass (no dropout). */
    static Forward of(TaskModel model) {
        return batch -> {
            try (NDManager m = Torch.newManager()) {
                return model.forward(Batch.of(batch, m)).toFloatArray();
            }
        };
    }
}
