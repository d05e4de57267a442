package bertft.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import bertft.checkpoint.TensorData;
import bertft.model.Bert;
import bertft.model.Torch;
import java.nio.FloatBuffer;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * An exponential moving average of the trained weights (Polyak averaging, {@code ema-decay}), kept beside them:
 * after optimizer step t each parameter that trained moves its average {@code 1 - d} of the way towards itself,
 * {@code d = min(decay, (1 + t) / (10 + t))} (the warm-up of TensorFlow's ExponentialMovingAverage with num_updates, so the first steps are not an average of
 * barely trained weights). A parameter's average starts as its value when it first trains, so a layer unfrozen
 * late averages only what it learned. Evaluation and the saved model see the average: {@link #swap} exchanges it
 * with the weights in place.
 */
public final class WeightAverage {
    private final double decay;
    private final Map<String, NDArray> average = new LinkedHashMap<>();

    public WeightAverage(double decay) {
        if (!(decay > 0 && decay < 1)) {
            throw new IllegalArgumentException("ema-decay must be in (0, 1), not " + decay);
        }
        this.decay = decay;
    }

    /** The decay applied after optimizer step {@code step} (1-based). */
    double decayAt(long step) {
        return Math.min(decay, (1.0 + step) / (10.0 + step));
    }

    /** Moves the average of every parameter that trains now towards it, after optimizer step {@code step}. */
    public void update(Map<String, NDArray> params, long step) {
        float d = (float) decayAt(step);
        params.forEach((name, p) -> {
            if (!p.hasGradient()) {
                return;
            }
            NDArray a = average.get(name);
            if (a == null) {
                a = p.getManager().zeros(p.getShape()); // in p's manager, as AdamW's moments
                average.put(name, a);
                if (!Torch.javaLoops(p)) {
                    a.addi(p);
                    return;
                }
                Torch.floats(a).put(Torch.floats(p));
                return;
            }
            if (!Torch.javaLoops(p)) {
                try (NDArray part = p.mul(1 - d)) {
                    a.muli(d).addi(part);
                }
                return;
            }
            FloatBuffer pf = Torch.floats(p);
            FloatBuffer af = Torch.floats(a);
            pieces(pf.capacity(), i -> af.put(i, d * af.get(i) + (1 - d) * pf.get(i)));
        });
    }

    /** Exchanges each averaged parameter's weights with its average (twice restores them). */
    public void swap(Map<String, NDArray> params) {
        average.forEach((name, a) -> {
            NDArray p = params.get(name);
            if (!Torch.javaLoops(p)) {
                try (NDArray w = p.duplicate()) {
                    p.muli(0).addi(a);
                    a.muli(0).addi(w);
                }
                return;
            }
            FloatBuffer pf = Torch.floats(p);
            FloatBuffer af = Torch.floats(a);
            pieces(pf.capacity(), i -> {
                float w = pf.get(i);
                pf.put(i, af.get(i));
                af.put(i, w);
            });
        });
    }

    /** The averages by parameter name, for the resume state. */
    public Map<String, TensorData> tensors() {
        Map<String, TensorData> out = new LinkedHashMap<>();
        average.forEach((name, a) -> out.put(name, Bert.toTensorData(a)));
        return out;
    }

    /** Restores the average of parameter {@code name} of {@code params} (resuming). */
    public void load(Map<String, NDArray> params, String name, TensorData t) {
        NDArray p = params.get(name);
        if (p == null || !java.util.Arrays.equals(p.getShape().getShape(), t.shape())) {
            throw new IllegalArgumentException("no parameter " + name + " of shape "
                    + java.util.Arrays.toString(t.shape()));
        }
        average.put(name, p.getManager().create(t.data().duplicate(), p.getShape(), DataType.FLOAT32));
    }

    private static void pieces(int n, java.util.function.IntConsumer element) {
        Torch.forEachPiece((n + AdamW.CHUNK - 1) / AdamW.CHUNK, k -> {
            for (int i = k * AdamW.CHUNK, end = Math.min(n, i + AdamW.CHUNK); i < end; i++) {
                element.accept(i);
            }
        });
    }
}
