package bertft.model;

import bertft.AtomicFiles;
import bertft.Fault;
import bertft.UserError;
import bertft.checkpoint.PyTorchBin;
import bertft.checkpoint.SafeTensors;
import bertft.checkpoint.TensorData;
import bertft.text.BertTokenizer;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A HuggingFace checkpoint directory, engine-free: config, encoder weights (base-model keys such as BertModel's,
 * without the task model's {@code bert.} / {@code roberta.} / ... prefix) and task-head weights
 * ({@code classifier.*}, {@code qa_outputs.*}, ...).
 */
public record Checkpoint(BertConfig config, Map<String, TensorData> encoder, Map<String, TensorData> heads) {

    /** Where a family's base model keeps its weights, below the prefix of task models. */
    private static final List<String> ENCODER_ROOTS = List.of("embeddings.", "embeddings_project.", "encoder.",
            "transformer.", "pooler.");

    /** Reads config.json and the weights of a checkpoint directory (a PEFT adapter's: merged into its base). */
    public static Checkpoint read(Path dir) {
        return read(dir, null);
    }

    /**
     * Reads a checkpoint directory; a PEFT adapter directory (adapter_config.json, no model weights) is read as its
     * base ({@code base} if given, else base_model_name_or_path) with the adapter merged in.
     */
    public static Checkpoint read(Path dir, Path base) {
        if (!Files.isDirectory(dir)) {
            throw new UserError(dir + ": no such checkpoint directory");
        }
        if (!hasWeights(dir)) {
            if (AdapterDir.is(dir)) {
                return AdapterDir.readMerged(dir, base);
            }
            if (Files.exists(dir.resolve(AdapterDir.WEIGHTS))) {
                throw new UserError(dir + ": has " + AdapterDir.WEIGHTS + " but no " + AdapterDir.CONFIG
                        + " (copy the adapter's config from where it was trained)");
            }
        }
        BertConfig config = BertConfig.read(dir.resolve("config.json"));
        Map<String, TensorData> weights = readWeights(dir);
        for (Map.Entry<String, TensorData> e : weights.entrySet()) {
            if (!e.getValue().allFinite()) {
                throw new UserError(dir + ": weight " + e.getKey() + " holds NaN or infinite values (a damaged or "
                        + "diverged checkpoint; re-download or retrain it)");
            }
        }
        return split(config, weights, dir.toString());
    }

    /** Whether the directory holds model weights of its own (not only an adapter). */
    public static boolean hasWeights(Path dir) {
        return Files.exists(dir.resolve("model.safetensors")) || Files.exists(dir.resolve("model.safetensors.index.json"))
                || Files.exists(dir.resolve("pytorch_model.bin"));
    }

    /** Reads model.safetensors, a sharded index, or (without running pickle code) pytorch_model.bin. */
    public static Map<String, TensorData> readWeights(Path dir) {
        Path single = dir.resolve("model.safetensors");
        Path index = dir.resolve("model.safetensors.index.json");
        Path bin = dir.resolve("pytorch_model.bin");
        if (Files.exists(single)) {
            return SafeTensors.read(single);
        } else if (Files.exists(index)) {
            return SafeTensors.readIndexed(index);
        } else if (Files.exists(bin)) {
            return PyTorchBin.read(bin);
        }
        throw noWeights(dir);
    }

    private static UserError noWeights(Path dir) {
        return new UserError(dir + ": no weights (needs model.safetensors, model.safetensors.index.json"
                + " or pytorch_model.bin)");
    }

    /**
     * The float weights' shapes by name, as {@link #readWeights} would name them, from the files' headers alone (no
     * tensor is read): what {@link CheckpointTask} looks at when the config does not say which head a model has.
     */
    public static Map<String, long[]> shapes(Path dir) {
        Path single = dir.resolve("model.safetensors");
        Path index = dir.resolve("model.safetensors.index.json");
        Path bin = dir.resolve("pytorch_model.bin");
        if (Files.exists(single)) {
            return SafeTensors.shapes(single);
        } else if (Files.exists(index)) {
            return SafeTensors.shapesIndexed(index);
        } else if (Files.exists(bin)) {
            return PyTorchBin.shapes(bin);
        }
        throw noWeights(dir);
    }

    /**
     * Sorts checkpoint keys into encoder (base-model names, the family's prefix such as {@code roberta.} stripped)
     * and heads (the family's head names, unprefixed); drops what HuggingFace drops (pretraining heads, buffers);
     * rejects unknown keys.
     */
    public static Checkpoint split(BertConfig config, Map<String, TensorData> weights, String source) {
        Family family = config.family();
        String prefix = family.prefix() + ".";
        Map<String, TensorData> encoder = new LinkedHashMap<>();
        Map<String, TensorData> heads = new LinkedHashMap<>();
        List<String> unexpected = new ArrayList<>();
        for (Map.Entry<String, TensorData> e : weights.entrySet()) {
            boolean prefixed = e.getKey().startsWith(prefix);
            String key = prefixed ? e.getKey().substring(prefix.length()) : e.getKey();
            if (family.ignored().stream().anyMatch(key::startsWith)) {
                continue;
            }
            if (!prefixed && family.headPrefixes().stream().anyMatch(key::startsWith)) {
                heads.put(key, e.getValue());
            } else if (ENCODER_ROOTS.stream().anyMatch(key::startsWith)) {
                encoder.put(key, e.getValue());
            } else {
                unexpected.add(e.getKey());
            }
        }
        if (!unexpected.isEmpty()) {
            throw new UserError(source + ": unexpected weight(s) " + unexpected.subList(0, Math.min(5, unexpected.size()))
                    + (unexpected.size() > 5 ? " and " + (unexpected.size() - 5) + " more" : "")
                    + " for model_type " + family.modelType());
        }
        return new Checkpoint(config, encoder, heads);
    }

    /**
     * A shallower copy that keeps the encoder layers {@code layers} (increasing indices), renumbered from 0, with
     * the embeddings, pooler and heads as they are, and {@code num_hidden_layers} set to their count: DistilBERT's
     * initialisation of a student from its teacher's layers.
     */
    public Checkpoint keepLayers(int[] layers) {
        Family family = config.family();
        Map<Integer, Integer> renumber = new java.util.HashMap<>();
        for (int i = 0; i < layers.length; i++) {
            renumber.put(layers[i], i);
        }
        Map<String, TensorData> kept = new LinkedHashMap<>();
        encoder.forEach((k, v) -> {
            java.util.regex.Matcher m = family.layer().matcher(k);
            if (!m.find()) {
                kept.put(k, v);
            } else if (renumber.containsKey(Integer.parseInt(m.group(1)))) {
                kept.put(k.substring(0, m.start(1)) + renumber.get(Integer.parseInt(m.group(1))) + k.substring(m.end(1)),
                        v);
            }
        });
        BertConfig c = config;
        BertConfig shallow = new BertConfig(c.vocabSize(), c.hiddenSize(), layers.length, c.numAttentionHeads(),
                c.intermediateSize(), c.hiddenAct(), c.maxPositionEmbeddings(), c.typeVocabSize(), c.layerNormEps(),
                c.hiddenDropoutProb(), c.attentionProbsDropoutProb(), c.initializerRange(), c.json());
        return new Checkpoint(shallow, kept, heads);
    }

    /** All weights under the names HuggingFace's task models use: the family's prefix when a head exists. */
    public Map<String, TensorData> hfWeights() {
        Map<String, TensorData> out = new LinkedHashMap<>();
        String prefix = heads.isEmpty() ? "" : config.family().prefix() + ".";
        encoder.forEach((k, v) -> out.put(prefix + k, v));
        out.putAll(heads);
        return out;
    }

    /**
     * Writes config.json, model.safetensors and the tokenizer files as directory {@code dir}, atomically: everything
     * goes to a temporary sibling first, which then replaces {@code dir}.
     */
    public void write(Path dir, BertTokenizer tokenizer) {
        AtomicFiles.writeDirectory(dir, tmp -> fill(tmp, tokenizer));
    }

    /**
     * Writes the model files into an existing directory (a run directory holding other files too), each file
     * through a temporary and a rename, config.json last so a reader never sees new config with old weights
     * half-written.
     */
    public static void writeInto(Path dir, Checkpoint ckpt, BertTokenizer tokenizer) {
        AtomicFiles.writeInto(dir, "model", "config.json", tmp -> {
            ckpt.fill(tmp, tokenizer);
            Fault.at("save-model");
        });
    }

    /** Writes config.json, model.safetensors and the tokenizer files into the (new, empty) directory {@code dir}. */
    public void fill(Path dir, BertTokenizer tokenizer) throws IOException {
        Files.writeString(dir.resolve("config.json"), config.toJsonString() + "\n", StandardCharsets.UTF_8);
        SafeTensors.write(dir.resolve("model.safetensors"), hfWeights());
        tokenizer.save(dir);
        if (config.json().has("auto_map") && config.json().get("auto_map").toString().contains("modeling_bertft.")) {
            try (java.io.InputStream in = Checkpoint.class.getResourceAsStream(REMOTE_CODE)) {
                Files.write(dir.resolve(REMOTE_CODE), in.readAllBytes());
            }
        }
    }

    /**
     * The Python file that gives Transformers the heads it has no class for (see TaskModel#remoteCode), written
     * beside a config whose {@code auto_map} names it.
     */
    public static final String REMOTE_CODE = "modeling_bertft.py";
}
