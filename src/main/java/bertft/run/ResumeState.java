package bertft.run;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import bertft.AtomicFiles;
import bertft.Fault;
import bertft.UserError;
import bertft.checkpoint.SafeTensors;
import bertft.checkpoint.TensorData;
import bertft.model.Bert;
import bertft.model.Checkpoint;
import bertft.text.BertTokenizer;
import bertft.train.AdamW;
import bertft.train.Trainer;
import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * What {@code --resume} needs, kept in {@code <run>/last/}: the current weights (an HF checkpoint), the AdamW
 * moments and per-parameter step counts ({@code optimizer.safetensors}), and {@code trainer_state.json} (where
 * training stands, the best metric so far, evaluations without improvement).
 */
public final class ResumeState {
    private static final Gson GSON = new GsonBuilder().setPrettyPrinting().create();

    /** The loop's bookkeeping at a resumable point. */
    public record Progress(Trainer.Position next, double best, long bestStep, int badEvals, double elapsedSeconds) {}

    private ResumeState() {}

    /**
     * Saves the weights of {@code ckpt} with the optimizer and loop state (any model the loop trains), and the
     * loop's other state ({@code extras}: file name -> tensors; DANN's domain classifier, the moving average): every
     * file is written in the temporary directory that one rename makes {@code dir}, so a kill at any point leaves
     * either the previous state or this one, whole.
     */
    public static void save(Path dir, Checkpoint ckpt, BertTokenizer tok, AdamW adam, Progress p,
            Map<String, Map<String, TensorData>> extras) {
        AtomicFiles.writeDirectory(dir, tmp -> {
            ckpt.fill(tmp, tok);
            Fault.at("save-state");
            Map<String, TensorData> moments = new LinkedHashMap<>();
            JsonObject steps = new JsonObject();
            adam.states().forEach((name, s) -> {
                moments.put("m." + name, Bert.toTensorData(s.m()));
                moments.put("v." + name, Bert.toTensorData(s.v()));
                steps.addProperty(name, s.step());
            });
            SafeTensors.write(tmp.resolve("optimizer.safetensors"), moments);
            JsonObject state = new JsonObject();
            state.addProperty("step", p.next().step());
            state.addProperty("epoch", p.next().epoch());
            state.addProperty("batch", p.next().batch());
            state.addProperty("best", p.best());
            state.addProperty("best_step", p.bestStep());
            state.addProperty("bad_evals", p.badEvals());
            state.addProperty("elapsed_s", p.elapsedSeconds());
            state.add("optimizer_steps", steps);
            Files.writeString(tmp.resolve("trainer_state.json"), GSON.toJson(state), StandardCharsets.UTF_8);
            Fault.at("save-extras");
            extras.forEach((file, tensors) -> SafeTensors.write(tmp.resolve(file), tensors));
        });
    }

    /** Restores the optimizer state of {@code params} (by HuggingFace name) into {@code adam}; weights are loaded by
     * the caller from the same dir. */
    public static Progress load(Path dir, Map<String, NDArray> params, AdamW adam) {
        Path statePath = dir.resolve("trainer_state.json");
        if (!Files.exists(statePath)) {
            throw new UserError(dir + ": nothing to resume (no trainer_state.json)");
        }
        JsonObject state;
        try {
            state = JsonParser.parseString(Files.readString(statePath, StandardCharsets.UTF_8)).getAsJsonObject();
        } catch (IOException | RuntimeException e) {
            throw new UserError(statePath + ": unreadable: " + e.getMessage());
        }
        Map<String, TensorData> moments = SafeTensors.read(dir.resolve("optimizer.safetensors"));
        JsonObject steps = state.getAsJsonObject("optimizer_steps");
        for (String name : steps.keySet()) {
            NDArray p = params.get(name);
            if (p == null) {
                throw new UserError(dir + ": optimizer state for unknown parameter " + name);
            }
            NDManager m = p.getManager();
            adam.restore(name, array(m, moments.get("m." + name)), array(m, moments.get("v." + name)),
                    steps.get(name).getAsLong());
        }
        return new Progress(new Trainer.Position(state.get("step").getAsLong(), state.get("epoch").getAsInt(),
                state.get("batch").getAsInt()), state.get("best").getAsDouble(), state.get("best_step").getAsLong(),
                state.get("bad_evals").getAsInt(), state.get("elapsed_s").getAsDouble());
    }

    private static NDArray array(NDManager m, TensorData t) {
        return m.create(t.data().duplicate(), new Shape(t.shape()), DataType.FLOAT32);
    }
}
