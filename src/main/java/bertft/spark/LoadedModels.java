package bertft.spark;

import bertft.api.Classifier;
import bertft.api.Embedder;
import bertft.api.ModelOptions;
import bertft.api.Tagger;
import bertft.model.Torch;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import org.apache.spark.SparkFiles;

/**
 * The models of this JVM: each loaded once, on first use, and shared by every task the JVM runs (the API's models
 * are thread-safe), so an executor holds one copy whatever its cores. Kept until the JVM exits.
 */
final class LoadedModels {
    private static final Map<String, AutoCloseable> MODELS = new HashMap<>();

    private LoadedModels() {}

    static Classifier classifier(String model, ModelOptions options, int threads) {
        return (Classifier) get("classify", model, options, threads, () -> Classifier.load(local(model), options));
    }

    static Tagger tagger(String model, ModelOptions options, int threads) {
        return (Tagger) get("tag", model, options, threads, () -> Tagger.load(local(model), options));
    }

    static Embedder embedder(String model, ModelOptions options, int threads) {
        return (Embedder) get("embed", model, options, threads, () -> Embedder.load(local(model), options));
    }

    /** One model per kind, name and settings (a threshold or runtime of its own is another model). */
    private static AutoCloseable get(String kind, String model, ModelOptions options, int threads,
            Supplier<AutoCloseable> load) {
        return get(kind + " " + options + " " + model, threads, load);
    }

    /** Loads under the lock: concurrent tasks wait for the first one's model rather than load their own. */
    private static synchronized AutoCloseable get(String key, int threads, Supplier<AutoCloseable> load) {
        AutoCloseable m = MODELS.get(key);
        if (m == null) {
            // one intra-op thread per task core (spark.task.cpus) unless the user chose: tasks run side by side
            if (System.getProperty(Torch.THREADS_PROPERTY) == null && System.getenv("BERT_FT_THREADS") == null) {
                System.setProperty(Torch.THREADS_PROPERTY, Integer.toString(threads));
            }
            m = load.get();
            MODELS.put(key, m);
        }
        return m;
    }

    /**
     * Where {@code model} is on this JVM: the path as given when it exists here (a shared file system, or an
     * archive YARN unpacked into the working directory: {@code --archives model.tgz#model}), else a copy Spark
     * shipped into its files directory ({@code --archives} on a client-mode driver, {@code SparkContext.addFile(dir,
     * true)}, {@code --files}) by that relative path or by the directory's name; else the name as given (an alias
     * or Hub id).
     */
    static String local(String model) {
        try {
            if (Files.exists(Path.of(model)) || org.apache.spark.SparkEnv.get() == null) {
                return model;
            }
            for (String name : List.of(model, Path.of(model).getFileName().toString())) {
                Path shipped = Path.of(SparkFiles.get(name));
                if (!Path.of(name).isAbsolute() && Files.exists(shipped)) {
                    return shipped.toString();
                }
            }
            return model;
        } catch (InvalidPathException e) {
            return model; // an alias or Hub id
        }
    }
}
