package bertft.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import bertft.checkpoint.TensorData;
import bertft.model.Bert;
import bertft.model.Scalar;
import bertft.model.TaskModel;
import bertft.text.Batch;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * Intermediate-layer distillation ({@code distill-hidden}, as TinyBERT's hidden-state loss): the mean squared error
 * between each student layer's output and its teacher layer's, over the batch's real tokens and the teacher's width,
 * averaged over the student's layers. Student layer i of K is matched to teacher layer {@link #mapping}: the layer a
 * shallower copy kept there, else {@code round(i (L - 1) / (K - 1))}. When the widths differ a linear projection
 * (student width -> teacher width, {@code distill_projection.*}) maps the student's states; it trains with the student
 * and is not part of the saved model. The teacher runs on every batch, without gradients: its hidden states are
 * (B, T, H) per layer, too big to cache for every example.
 */
public final class HiddenMatch implements AutoCloseable {
    /** The resume state's file of the projection. */
    public static final String FILE = "distill_projection.safetensors";

    private final TaskModel teacher;
    private final int[] mapping;
    private final double weight;
    private final ExtraParams params;
    private double last;

    /**
     * @param teacher the (first) teacher, run on the student's batches (the same tokenizer is needed); closed with this
     * @param mapping the teacher layer of each student layer
     * @param weight the loss's factor beside the output distillation loss
     * @param parent the projection's parameters live (and die) with it
     */
    public HiddenMatch(TaskModel teacher, int[] mapping, int studentWidth, int teacherWidth, double weight,
            double initializerRange, long seed, NDManager parent) {
        this.teacher = teacher;
        this.mapping = mapping.clone();
        this.weight = weight;
        this.params = new ExtraParams(parent);
        if (studentWidth != teacherWidth) {
            Random rng = new Random(seed * 0x9E3779B97F4A7C15L);
            load("distill_projection.weight", Bert.init("distill_projection.weight",
                    new long[] {teacherWidth, studentWidth}, initializerRange, rng));
            load("distill_projection.bias", Bert.init("distill_projection.bias", new long[] {teacherWidth},
                    initializerRange, rng));
        }
    }

    /**
     * The teacher layer each of the student's {@code k} layers learns from, out of the teacher's {@code l}:
     * {@code kept} (the layers a shallower copy kept) when given, else evenly spaced, first and last included
     * ({@code k = 1}: the last).
     */
    public static int[] mapping(int k, int l, int[] kept) {
        if (kept != null) {
            return kept.clone();
        }
        int[] out = new int[k];
        for (int i = 0; i < k; i++) {
            out[i] = k == 1 ? l - 1 : (int) Math.round(i * (l - 1) / (double) (k - 1));
        }
        return out;
    }

    /** Replaces a parameter's values (resume). */
    public void load(String name, TensorData t) {
        params.load(name, t);
    }

    /** The projection's parameters (none when the widths are equal). */
    public Map<String, NDArray> params() {
        return params.map();
    }

    /** A copy of the projection for the resume state. */
    public Map<String, TensorData> tensors() {
        return params.tensors();
    }

    /**
     * {@code weight} times the mean over the student's layers of the MSE between its (projected) states and the
     * teacher's mapped ones on batch {@code b}'s real tokens.
     *
     * @param student the student's layer outputs on {@code b}, first layer first
     */
    public NDArray loss(List<NDArray> student, Batch b, NDManager m) {
        List<NDArray> taught = new ArrayList<>();
        teacher.encode(b, false, taught);
        NDArray mask = b.attentionMask().toType(DataType.FLOAT32, false).expandDims(2); // (B, T, 1)
        double count = Math.max(1, mask.sum().getFloat());
        NDArray total = null;
        for (int i = 0; i < student.size(); i++) {
            NDArray s = student.get(i);
            if (!params.map().isEmpty()) {
                s = s.getNDArrayInternal().linear(s, params.map().get("distill_projection.weight"),
                        params.map().get("distill_projection.bias")).singletonOrThrow();
            }
            NDArray t = taught.get(mapping[i]).stopGradient();
            long width = t.getShape().get(2);
            NDArray mse = Scalar.div(s.sub(t).square().mul(mask).sum(), count * width);
            total = total == null ? mse : total.add(mse);
        }
        NDArray loss = Scalar.mul(total, weight / student.size());
        last = loss.getFloat();
        return loss;
    }

    /** The last batch's weighted hidden-state loss. */
    public double last() {
        return last;
    }

    /** Frees the projection and the teacher. */
    @Override
    public void close() {
        params.close();
        teacher.close();
    }
}
