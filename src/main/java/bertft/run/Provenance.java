package bertft.run;

import ai.djl.engine.Engine;
import bertft.cli.BertFt;
import bertft.task.Key;
import bertft.task.TaskSpec;
import com.google.gson.JsonObject;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;

/** Where a report's numbers came from: model and data hashes, settings, seed, versions, wall time, machine. */
final class Provenance {
    private Provenance() {}

    /** Provenance of a run of {@code spec} with the model in {@code modelDir}; {@code data} are the files read. */
    static JsonObject of(TaskSpec spec, Path modelDir, double wallSeconds, Path... data) {
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
        o.addProperty("seed", spec.seed());
        JsonObject settings = new JsonObject();
        for (Key k : TaskSpec.keys()) {
            Object v = spec.get(k.name());
            if (v != null) {
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
        v.addProperty("bert-ft", BertFt.version());
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
        String threads = System.getenv("BERT_FT_THREADS");
        if (threads != null) {
            m.addProperty("BERT_FT_THREADS", threads);
        }
        return m;
    }
}
