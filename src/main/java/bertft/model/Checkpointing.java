package bertft.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;
import java.util.ArrayList;
import java.util.List;

/**
 * Gradient checkpointing (HuggingFace's {@code gradient_checkpointing}): memory for compute. While a {@code
 * Checkpointing} is open on a thread, an encoder's training forward keeps only each stage's output (the embeddings',
 * then every layer's), computed without autograd's record; after the loss's backward, {@link #backward()} runs each
 * stage again from its kept input, top down, and back-propagates the gradient that reached its output. A training
 * step then holds one layer's activations at a time instead of all of them, and computes each layer's forward twice.
 *
 * <p>Dropout is replayed, not redrawn: before a stage runs (both times) the engine is seeded from one number drawn
 * per forward and the stage's index, so the second pass draws the masks the first did and the gradients are those
 * of the forward the loss saw. (The draws differ from a step without checkpointing, as a different seed's would.)
 * Stages below the lowest one with a trained parameter are run once and never again: nothing below needs their
 * gradient.
 */
public final class Checkpointing implements AutoCloseable {
    private static final ThreadLocal<Checkpointing> ACTIVE = new ThreadLocal<>();

    /** A stage's forward pass from the previous stage's output (null for the first). */
    @FunctionalInterface
    public interface Stage {
        NDArray run(NDArray input);
    }

    private record Chain(List<Stage> stages, NDArray[] outputs, int lowest, long seed) {}

    private final List<Chain> chains = new ArrayList<>();
    private final boolean recompute;

    private Checkpointing(boolean recompute) {
        this.recompute = recompute;
    }

    /** Turns checkpointing on for this thread's training forwards until closed. */
    public static Checkpointing open() {
        return open(true);
    }

    /**
     * With {@code recompute} false, the stages are seeded as with checkpointing but recorded by autograd as usual and
     * never run again: the step checkpointing must reproduce, for tests.
     */
    static Checkpointing open(boolean recompute) {
        Checkpointing c = new Checkpointing(recompute);
        ACTIVE.set(c);
        return c;
    }

    /** The families whose encoder ({@link Bert}) runs its layers as stages. */
    private static final java.util.Set<String> STAGED = java.util.Set.of("bert", "roberta", "xlm-roberta", "camembert",
            "electra");

    /**
     * Refuses {@code gradient-checkpointing} (set at {@code where}) for a model whose encoder does not run its
     * layers as stages: DistilBERT and DeBERTa-v2 would train as if it were off, with all the memory it was to save.
     */
    public static void requireSupport(BertConfig config, String where) {
        if (!STAGED.contains(config.modelType())) {
            throw new bertft.UserError(where + ": not available for " + config.modelType() + " models yet (BERT,"
                    + " RoBERTa, XLM-RoBERTa, CamemBERT and ELECTRA have it); remove it");
        }
    }

    /** The checkpointing open on this thread, or null. */
    static Checkpointing active() {
        return ACTIVE.get();
    }

    /**
     * Runs {@code stages} in turn within {@code step}'s scope and returns every stage's output; those at or above
     * {@code lowest} (the first stage with a trained parameter) take gradients, which {@link #backward()} carries
     * down. With {@code lowest} past the last stage nothing is trained: the outputs are plain.
     */
    NDArray[] forward(NDManager step, List<Stage> stages, int lowest) {
        long seed;
        try (NDArray s = step.randomInteger(0, Long.MAX_VALUE, new Shape(1), DataType.INT64)) {
            seed = s.toLongArray()[0];
        }
        NDArray[] out = new NDArray[stages.size()];
        boolean recording = JniUtils.isGradMode();
        JniUtils.setGradMode(recording && !recompute); // the reference step (tests) records as usual
        try {
            NDArray in = null;
            for (int i = 0; i < stages.size(); i++) {
                out[i] = run(step, stages.get(i), in, seed + i, y -> {
                    y.attach(step);
                    return y;
                });
                in = out[i];
            }
        } finally {
            JniUtils.setGradMode(recording);
        }
        if (recompute && recording && lowest < stages.size()) {
            for (int i = lowest; i < out.length; i++) {
                out[i].setRequiresGradient(true);
            }
            chains.add(new Chain(stages, out, lowest, seed));
        }
        return out;
    }

    /**
     * One stage from {@code in} (kept), seeded for dropout, its output handed to {@code use} within a scope of its
     * own that frees the stage's intermediates (and whatever {@code use} does not move out).
     */
    private static NDArray run(NDManager step, Stage stage, NDArray in, long seed,
            java.util.function.UnaryOperator<NDArray> use) {
        Torch.seed(seed);
        try (NDManager scope = step.newSubManager()) {
            if (in != null) {
                in.attach(scope);
            }
            NDArray result = use.apply(stage.run(in));
            if (in != null) {
                in.attach(step);
            }
            return result;
        }
    }

    /**
     * Back-propagates through every stage of every forward since the last call, latest forward first, after the
     * loss's own backward has put gradients on the kept outputs.
     */
    public void backward() {
        for (int c = chains.size() - 1; c >= 0; c--) {
            Chain chain = chains.get(c);
            NDManager step = chain.outputs()[0].getManager();
            for (int i = chain.outputs().length - 1; i >= chain.lowest(); i--) {
                // what reached this output: from the loss and from the stage above; none when neither used it
                NDArray grad = JniUtils.getGradient((PtNDArray) chain.outputs()[i]);
                if (grad == null) {
                    continue;
                }
                NDArray in = i == 0 ? null : chain.outputs()[i - 1];
                run(step, chain.stages().get(i), in, chain.seed() + i, y -> {
                    JniUtils.backward((PtNDArray) y, (PtNDArray) grad, false, false);
                    grad.close();
                    return null;
                });
            }
        }
        chains.clear();
    }

    @Override
    public void close() {
        chains.clear();
        ACTIVE.remove();
    }
}
