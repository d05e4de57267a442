package bertft.run;

import ai.djl.engine.Engine;
import bertft.Version;
import bertft.task.Key;
import bertft.task.TaskSpec;
import com.google.gson.JsonObject;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;

/** Where a report's numbers came from: model and data hashes, settings, seed, versions, wall time, machine. */
final class Provenance {
    private Provenance() {}

    /** The settings that shape an evaluation; the others (epochs, learning rate, ...) belong to training. */
    private static final java.util.Set<String> EVALUATION_KEYS = java.util.Set.of("task", "model", "validation",
            "text-column", "text-pair-column", "label-column", "label-separator", "labels", "rating-column",
            "sentiment-map", "max-length", "eval-batch-size", "threshold", "pooling", "doc-stride", "max-query-length",
            "max-answer-length", "n-best", "null-threshold", "version-2", "encoding");

    /** The files a run read: the training files, then the others (null where not set). */
    static Path[] files(List<Path> train, Path... others) {
        return java.util.stream.Stream.concat(train.stream(), java.util.Arrays.stream(others)).toArray(Path[]::new);
    }

    /** Provenance of a training run of {@code spec} with the model in {@code modelDir}; {@code data}: files read. */
    static JsonObject of(TaskSpec spec, Path modelDir, double wallSeconds, Path... data) {
        return of(spec, true, modelDir, wallSeconds, data);
    }

    /**
     * Provenance of a run; an evaluation ({@code training} false) records only the settings that shape it and
     * points at the model's own task.yaml for how it was trained.
     */
    static JsonObject of(TaskSpec spec, boolean training, Path modelDir, double wallSeconds, Path... data) {
        JsonObject o = new JsonObject();
        JsonObject model = new JsonObject();
        model.addProperty("source", spec.model());
        model.addProperty("path", modelDir.toAbsolutePath().normalize().toString());
        Path weights = modelDir.resolve("model.safetensors");
        model.addProperty("sha256", Files.exists(weights) ? Reports.sha256(weights) : "none (no model.safetensors)");
        o.add("model", model);
        JsonObject files = new JsonObject();
        for (Path p : data) {
            if (p != null && Files.isRegularFile(p)) {
                files.addProperty(p.toString(), "sha256 " + Reports.sha256(p));
            }
        }
        o.add("data", files);
        if (training) {
            o.addProperty("seed", spec.seed());
        } else if (Files.exists(modelDir.resolve("task.yaml"))) {
            o.addProperty("trained_with", modelDir.resolve("task.yaml").toString());
        }
        JsonObject settings = new JsonObject();
        for (Key k : TaskSpec.keys()) {
            Object v = spec.get(k.name());
            if (v != null && (training || EVALUATION_KEYS.contains(k.name()))) {
                settings.addProperty(k.name(), String.valueOf(v));
            }
        }
        o.add("settings", settings);
        o.addProperty("wall_seconds", Math.round(wallSeconds * 10) / 10.0);
        o.addProperty("finished", Instant.now().toString());
        o.add("versions", versions());
        o.add("machine", machine());
        return o;
    }

    static JsonObject versions() {
        JsonObject v = new JsonObject();
        v.addProperty("bert-ft", Version.get());
        v.addProperty("java", System.getProperty("java.version") + " (" + System.getProperty("java.vm.name") + ")");
        try {
            v.addProperty("djl", Engine.getDjlVersion());
            v.addProperty("pytorch", Engine.getEngine("PyTorch").getVersion());
        } catch (RuntimeException | LinkageError e) {
            v.addProperty("djl", "unknown (" + e.getMessage() + ")");
        }
        return v;
    }

    static JsonObject machine() {
        JsonObject m = new JsonObject();
        m.addProperty("os", System.getProperty("os.name") + " " + System.getProperty("os.version") + " "
                + System.getProperty("os.arch"));
        m.addProperty("cores", Runtime.getRuntime().availableProcessors());
        if (ManagementFactory.getOperatingSystemMXBean() instanceof com.sun.management.OperatingSystemMXBean os) {
            m.addProperty("memory_gib", Math.round(os.getTotalMemorySize() / (double) (1L << 30) * 10) / 10.0);
        }
        m.addProperty("java_max_heap_gib", Math.round(Runtime.getRuntime().maxMemory() / (double) (1L << 30) * 10) / 10.0);
        m.addProperty("threads", bertft.model.Torch.threads());
        return m;
    }
}
