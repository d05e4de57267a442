package bertft.model;

import bertft.TextFiles;
import bertft.UserError;
import bertft.checkpoint.SafeTensors;
import bertft.checkpoint.TensorData;
import bertft.text.BertTokenizer;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonNull;
import com.google.gson.JsonObject;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * A PEFT adapter directory, as {@code save_pretrained} writes it and {@code PeftModel.from_pretrained} reads it:
 * {@code adapter_config.json} and {@code adapter_model.safetensors} (keys {@code base_model.model.<task-model key>}:
 * {@code .lora_A.weight}, {@code .lora_B.weight}, {@code .ia3_l}, and the {@code modules_to_save} head). A bert-ft
 * adapter run also holds config.json (labels, task) and the tokenizer, so it loads by its directory alone; its base
 * is {@code base_model_name_or_path} (a path, relative to the directory or not, a bundled alias or a Hub id).
 */
public final class AdapterDir {
    public static final String CONFIG = "adapter_config.json";
    public static final String WEIGHTS = "adapter_model.safetensors";
    static final String PREFIX = "base_model.model.";

    private AdapterDir() {}

    /** Whether {@code dir} is an adapter directory (it has adapter_config.json). */
    public static boolean is(Path dir) {
        return Files.isRegularFile(dir.resolve(CONFIG));
    }

    /**
     * An adapter as read: its config, its tensors by encoder name, the encoder weights it replaces (trained biases,
     * BERT's pooler) and the task head it carries ({@code modules_to_save}), all checked against the base.
     */
    public record Adapter(Peft.Config config, String base, Map<String, TensorData> adapter,
            Map<String, TensorData> encoder, Map<String, TensorData> heads) {}

    /** adapter_config.json's settings; a missing or unreadable one, or another peft_type, is one line. */
    public static Peft.Config readConfig(Path dir, BertConfig base) {
        Path file = dir.resolve(CONFIG);
        JsonObject o = TextFiles.readJsonObject(file, TextFiles.TASK_FILE, "an adapter_config.json");
        String type = str(o, "peft_type", null, file);
        Peft.Type t;
        try {
            t = Peft.Type.valueOf(type.toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new UserError(file + ": peft_type " + type + " is not supported; bert-ft loads LORA and IA3");
        }
        List<String> targets = list(o, "target_modules", file);
        if (targets == null) {
            targets = Peft.defaultTargets(t, base.family());
        }
        List<String> ff = list(o, "feedforward_modules", file);
        try {
            return new Peft.Config(t, t == Peft.Type.LORA ? o.get("r").getAsInt() : 0,
                    t == Peft.Type.LORA ? o.get("lora_alpha").getAsDouble() : 0,
                    o.has("lora_dropout") && !o.get("lora_dropout").isJsonNull() ? o.get("lora_dropout").getAsDouble() : 0,
                    targets, ff == null ? (t == Peft.Type.IA3 ? Peft.defaultFeedforward(base.family()) : List.of()) : ff,
                    str(o, "bias", "none", file),
                    o.has("use_rslora") && !o.get("use_rslora").isJsonNull() && o.get("use_rslora").getAsBoolean());
        } catch (RuntimeException e) {
            throw new UserError(file + ": LORA needs numbers r and lora_alpha (" + e.getMessage() + ")");
        }
    }

    private static String str(JsonObject o, String key, String dflt, Path file) {
        JsonElement e = o.get(key);
        if (e == null || e.isJsonNull()) {
            if (dflt == null) {
                throw new UserError(file + ": missing " + key);
            }
            return dflt;
        }
        return e.getAsString();
    }

    private static List<String> list(JsonObject o, String key, Path file) {
        JsonElement e = o.get(key);
        if (e == null || e.isJsonNull()) {
            return null;
        }
        if (!e.isJsonArray()) {
            throw new UserError(file + ": " + key + " must be a list of module names (a regular expression is not "
                    + "supported)");
        }
        List<String> out = new ArrayList<>();
        e.getAsJsonArray().forEach(x -> out.add(x.getAsString()));
        return out;
    }

    /** The base an adapter directory names: {@code override} if given, else base_model_name_or_path. */
    public static Path baseDir(Path dir, Path override) {
        if (override != null) {
            return ModelStore.resolve(override.toString());
        }
        Path file = dir.resolve(CONFIG);
        String base = str(TextFiles.readJsonObject(file, TextFiles.TASK_FILE, "an adapter_config.json"),
                "base_model_name_or_path", null, file);
        Path relative = dir.resolve(base);
        if (!Path.of(base).isAbsolute() && Files.isDirectory(relative)) {
            return relative;
        }
        try {
            return ModelStore.resolve(base);
        } catch (UserError e) {
            throw new UserError(file + ": base_model_name_or_path '" + base + "' cannot be loaded (" + e.getMessage()
                    + "); name the base with --base");
        }
    }

    /** Reads an adapter directory against its base's checkpoint. */
    public static Adapter read(Path dir, Checkpoint base, String baseName) {
        Path file = dir.resolve(WEIGHTS);
        BertConfig c = base.config();
        Peft.Config cfg = readConfig(dir, c);
        checkSameBase(dir, c, baseName);
        if (!Files.isRegularFile(file)) {
            throw new UserError(dir + ": has " + CONFIG + " but no " + WEIGHTS);
        }
        String prefix = c.family().prefix() + ".";
        Set<String> encoderKeys = c.family().shapes().apply(c).keySet();
        Map<String, TensorData> adapter = new LinkedHashMap<>();
        Map<String, TensorData> encoder = new LinkedHashMap<>();
        Map<String, TensorData> heads = new LinkedHashMap<>();
        for (Map.Entry<String, TensorData> e : SafeTensors.read(file).entrySet()) {
            String k = e.getKey();
            if (!k.startsWith(PREFIX)) {
                throw new UserError(file + ": tensor " + k + " is not a PEFT adapter key (base_model.model.*)");
            }
            k = k.substring(PREFIX.length());
            if (!e.getValue().allFinite()) {
                throw new UserError(file + ": tensor " + k + " holds NaN or infinite values");
            }
            boolean own = k.endsWith(".lora_A.weight") || k.endsWith(".lora_B.weight") || k.endsWith(".ia3_l");
            if (k.startsWith(prefix)) {
                String name = k.substring(prefix.length());
                if (own) {
                    adapter.put(name, e.getValue());
                } else if (encoderKeys.contains(name) || name.startsWith("pooler.")) {
                    encoder.put(name, e.getValue());
                } else {
                    throw new UserError(file + ": tensor " + k + " is not a weight of a " + c.modelType() + " model");
                }
            } else if (!own && c.family().headPrefixes().stream().anyMatch(k::startsWith)) {
                heads.put(k, e.getValue());
            } else {
                throw new UserError(file + ": tensor " + k + " does not belong to a " + c.modelType() + " model (its "
                        + "weights are " + prefix + "*; an adapter made for another family?)");
            }
        }
        for (Map.Entry<String, TensorData> e : encoder.entrySet()) {
            TensorData b = base.encoder().get(e.getKey());
            if (b != null && !java.util.Arrays.equals(b.shape(), e.getValue().shape())) {
                throw new UserError(file + ": " + prefix + e.getKey() + " has shape "
                        + java.util.Arrays.toString(e.getValue().shape()) + ", the base's "
                        + java.util.Arrays.toString(b.shape()) + " (an adapter made for another base?)");
            }
        }
        Peft.expectedShapes(cfg, c, adapter, file.toString());
        return new Adapter(cfg, baseName, adapter, encoder, heads);
    }

    /** An adapter run's own config.json (if it has one) must be the base's family and sizes. */
    private static void checkSameBase(Path dir, BertConfig base, String baseName) {
        Path own = dir.resolve("config.json");
        if (!Files.isRegularFile(own)) {
            return;
        }
        BertConfig c = BertConfig.read(own);
        String mine = describe(c);
        String theirs = describe(base);
        if (!mine.equals(theirs)) {
            throw new UserError(dir + ": adapter was trained on a " + mine + " model; base " + baseName + " is a "
                    + theirs + " model");
        }
    }

    private static String describe(BertConfig c) {
        return c.modelType() + " (hidden_size " + c.hiddenSize() + ", " + c.numHiddenLayers() + " layers, "
                + "intermediate_size " + c.intermediateSize() + ", vocab " + c.vocabSize() + ")";
    }

    /** The base checkpoint with the adapter's encoder weights and head in place (not merged). */
    public static Checkpoint withHead(Checkpoint base, Adapter a, Path dir) {
        Map<String, TensorData> encoder = new LinkedHashMap<>(base.encoder());
        encoder.putAll(a.encoder());
        Map<String, TensorData> heads = new LinkedHashMap<>(base.heads());
        heads.putAll(a.heads());
        BertConfig config = Files.isRegularFile(dir.resolve("config.json")) ? BertConfig.read(dir.resolve("config.json"))
                : asTask(base.config(), dir, heads);
        JsonElement arch = config.json().get("architectures");
        if (arch != null && arch.isJsonArray() && arch.toString().matches(".*For(QuestionAnswering|TokenClassification).*")) {
            // HuggingFace builds these with add_pooling_layer=False: a merged checkpoint carrying the base's pooler
            // loads in Transformers with "unexpected keys"
            encoder.keySet().removeIf(k -> k.startsWith("pooler."));
        }
        return new Checkpoint(config, encoder, heads);
    }

    /**
     * The base's config as the task model a Python-made adapter (no config.json of its own) was trained as: PEFT
     * saves only the adapter, and the base is often a bare encoder ({@code BertModel}) that the user loaded as
     * {@code AutoModelForTokenClassification(base, num_labels=5)}. The architecture follows {@code task_type} (a
     * token classifier's {@code classifier} would otherwise read as a sequence classifier's), and the base's
     * id2label is dropped when the saved head has another number of outputs (HuggingFace then names them LABEL_i).
     */
    private static BertConfig asTask(BertConfig base, Path dir, Map<String, TensorData> heads) {
        TaskModel.Head head = taskHead(dir);
        if (head == null) {
            return base;
        }
        JsonObject json = withArchitecture(base, head);
        TensorData out = heads.get(TaskModel.outputLayer(base.family(), head) + ".weight");
        JsonElement id2label = json.get("id2label");
        if (head != TaskModel.Head.QA && out != null && id2label != null && id2label.isJsonObject()
                && id2label.getAsJsonObject().size() != out.shape()[0]) {
            json.remove("id2label");
            json.remove("label2id");
        }
        return base.withJson(json);
    }

    /** The head adapter_config.json's {@code task_type} names, or null where it names none bert-ft has. */
    private static TaskModel.Head taskHead(Path dir) {
        JsonElement type = TextFiles.readJsonObject(dir.resolve(CONFIG), TextFiles.TASK_FILE, "an adapter_config.json")
                .get("task_type");
        return type == null || type.isJsonNull() ? null : switch (type.getAsString()) {
            case "SEQ_CLS" -> TaskModel.Head.CLASSIFIER;
            case "QUESTION_ANS" -> TaskModel.Head.QA;
            case "TOKEN_CLS" -> TaskModel.Head.TOKEN;
            default -> null;
        };
    }

    private static JsonObject withArchitecture(BertConfig base, TaskModel.Head head) {
        JsonObject json = base.json().deepCopy();
        JsonArray arch = new JsonArray();
        arch.add(base.family().architecture() + head.suffix);
        json.add("architectures", arch);
        return json;
    }

    /**
     * What an adapter directory is, read without loading a weight: the config it loads with (its own config.json,
     * else its base's with the architecture {@code task_type} names, as {@link #withHead} makes it) and the shapes
     * of the tensors that can be heads (the adapter's, {@code base_model.model.} stripped, and the base's), for
     * {@link CheckpointTask}.
     */
    record Header(BertConfig config, java.util.function.Supplier<Map<String, long[]>> shapes) {}

    static Header header(Path dir, Path baseOverride) {
        Path own = dir.resolve("config.json");
        BertConfig config;
        if (Files.isRegularFile(own)) {
            config = BertConfig.read(own); // a bert-ft adapter run: its base is looked for only if the weights must tell
        } else {
            BertConfig base = BertConfig.read(baseDir(dir, baseOverride).resolve("config.json"));
            TaskModel.Head head = taskHead(dir);
            config = head == null ? base : base.withJson(withArchitecture(base, head));
        }
        return new Header(config, () -> {
            Map<String, long[]> shapes = new LinkedHashMap<>(Checkpoint.shapes(baseDir(dir, baseOverride)));
            if (Files.isRegularFile(dir.resolve(WEIGHTS))) {
                SafeTensors.shapes(dir.resolve(WEIGHTS)).forEach((k, v) -> shapes.put(
                        k.startsWith(PREFIX) ? k.substring(PREFIX.length()) : k, v));
            }
            return shapes;
        });
    }

    /**
     * An adapter directory as an ordinary checkpoint: its base (from {@code baseOverride} or the adapter config),
     * the adapter merged into the encoder weights, its head and (for a bert-ft run) its config.json.
     */
    public static Checkpoint readMerged(Path dir, Path baseOverride) {
        Path baseDir = baseDir(dir, baseOverride);
        if (is(baseDir)) {
            throw new UserError(dir + ": its base " + baseDir + " is an adapter itself; name a full model with --base");
        }
        Checkpoint base = Checkpoint.read(baseDir);
        Adapter a = read(dir, base, baseDir.toString());
        Checkpoint ckpt = withHead(base, a, dir);
        return new Checkpoint(ckpt.config(), Peft.merge(a.config(), base.config(), ckpt.encoder(), a.adapter()),
                ckpt.heads());
    }

    /** The PEFT {@code task_type} of a head. */
    public static String taskType(TaskModel.Head head) {
        return switch (head) {
            case CLASSIFIER -> "SEQ_CLS";
            case QA -> "QUESTION_ANS";
            case TOKEN -> "TOKEN_CLS";
        };
    }

    /**
     * Writes an adapter model into {@code dir} (a new directory being filled): config.json (the task model's, with
     * {@code configExtra}), the tokenizer, adapter_config.json and adapter_model.safetensors with the adapter, the
     * head (every head parameter and, when it trains, BERT's pooler: {@code modules_to_save}) and the biases
     * {@code bias} trains.
     */
    public static void fill(Path dir, TaskModel model, JsonObject configExtra, String base, BertTokenizer tok)
            throws IOException {
        Peft peft = model.peft();
        Checkpoint ckpt = model.checkpoint(configExtra);
        Files.writeString(dir.resolve("config.json"), ckpt.config().toJsonString() + "\n", StandardCharsets.UTF_8);
        tok.save(dir);
        String prefix = model.family().prefix() + ".";
        Map<String, TensorData> out = new LinkedHashMap<>();
        peft.tensors().forEach((k, v) -> out.put(PREFIX + prefix + k, v));
        Set<String> modulesToSave = new LinkedHashSet<>();
        ckpt.heads().forEach((k, v) -> {
            out.put(PREFIX + k, v);
            modulesToSave.add(k.split("\\.")[0]);
        });
        String bias = peft.config().bias();
        ckpt.encoder().forEach((k, v) -> {
            String module = k.endsWith(".bias") ? k.substring(0, k.length() - ".bias".length()) : null;
            boolean pooler = k.startsWith("pooler.") && model.trainable(prefix + k);
            if (pooler) {
                modulesToSave.add("pooler");
            }
            if (pooler || module != null && (bias.equals("all") || bias.equals("lora_only") && peft.adapts(module))) {
                out.put(PREFIX + prefix + k, v);
            }
        });
        SafeTensors.write(dir.resolve(WEIGHTS), out);
        Files.writeString(dir.resolve(CONFIG), configJson(peft.config(), model.head(), base,
                new ArrayList<>(modulesToSave)) + "\n", StandardCharsets.UTF_8);
    }

    /** adapter_config.json as PEFT 0.5 writes it. */
    static String configJson(Peft.Config c, TaskModel.Head head, String base, List<String> modulesToSave) {
        JsonObject o = new JsonObject();
        o.add("auto_mapping", JsonNull.INSTANCE);
        o.addProperty("base_model_name_or_path", base);
        o.addProperty("fan_in_fan_out", false);
        o.addProperty("inference_mode", true);
        o.add("layers_pattern", JsonNull.INSTANCE);
        o.add("layers_to_transform", JsonNull.INSTANCE);
        JsonArray save = new JsonArray();
        modulesToSave.forEach(save::add);
        o.add("modules_to_save", save);
        o.addProperty("peft_type", c.type().name());
        o.add("revision", JsonNull.INSTANCE);
        JsonArray targets = new JsonArray();
        c.targets().forEach(targets::add);
        o.add("target_modules", targets);
        o.addProperty("task_type", taskType(head));
        if (c.type() == Peft.Type.LORA) {
            o.addProperty("bias", c.bias());
            o.addProperty("init_lora_weights", true);
            if (c.alpha() == Math.rint(c.alpha())) {
                o.addProperty("lora_alpha", (long) c.alpha());
            } else {
                o.addProperty("lora_alpha", c.alpha());
            }
            o.addProperty("lora_dropout", c.dropout());
            o.addProperty("r", c.r());
            if (c.rslora()) {
                o.addProperty("use_rslora", true); // PEFT 0.5 predates rsLoRA: it would scale alpha / r
            }
        } else {
            JsonArray ff = new JsonArray();
            c.feedforward().forEach(ff::add);
            o.add("feedforward_modules", ff);
            o.addProperty("init_ia3_weights", true);
        }
        return new GsonBuilder().setPrettyPrinting().serializeNulls().create().toJson(o);
    }
}
