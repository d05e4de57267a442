package bertft.run;

import bertft.AtomicFiles;
import bertft.UserError;
import bertft.task.TaskSpec;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.yaml.snakeyaml.Yaml;

/**
 * A run directory as {@code train} leaves it: {@code task.yaml} says which task it belongs to, and {@code last/}
 * (the resume state) exists only while the run is unfinished.
 */
public final class RunDir {
    private RunDir() {}

    /**
     * Makes {@code out} ready for {@code train}: refuses a file, a directory with other things in it, a run of
     * another task, or an unfinished run (without {@code --resume}), unless {@code overwrite}; then creates it and
     * removes temporaries that killed runs left there.
     */
    static void prepare(Path out, TaskSpec spec, boolean resume, boolean overwrite) {
        if (Files.exists(out) && !Files.isDirectory(out)) {
            throw new UserError(out + ": is a file, not a directory; give --out a new directory");
        }
        if (!resume && !overwrite && Files.isDirectory(out)) {
            List<String> entries = entries(out);
            String what = task(out.resolve("task.yaml"));
            String step = resumeStep(out);
            if (!entries.isEmpty() && what == null) {
                throw new UserError(out + ": is not empty (" + summary(entries) + ") and is not a bert-ft run; give"
                        + " --out a new or empty directory, or add --overwrite to write into it anyway");
            }
            if (what != null && !what.equals(describe(spec.name(), spec.task().toString()))) {
                throw new UserError(out + ": holds a run of another task (" + what + "); give another --out, or add"
                        + " --overwrite to replace it");
            }
            if (step != null) {
                throw new UserError(out + ": holds an unfinished run of this task (stopped after step " + step
                        + "); continue it with `bert-ft train --resume " + out + "`, or add --overwrite to start over");
            }
        }
        AtomicFiles.createDirectories(out);
        AtomicFiles.cleanStaleIn(out);
    }

    /** One warning line on {@code err} when {@code dir} is a run whose training has not finished. */
    public static void warnIfUnfinished(Path dir, PrintWriter err) {
        String step = resumeStep(dir);
        if (step != null) {
            err.println("warning: " + dir + " is an unfinished run (training stopped after step " + step
                    + ", or is still going); this is its best model so far. Continue it with: bert-ft train --resume "
                    + dir);
            err.flush();
        }
    }

    /** The step the resume state of {@code dir} is at, or null when {@code dir} has none (a finished run). */
    static String resumeStep(Path dir) {
        Path state = dir.resolve("last").resolve("trainer_state.json");
        if (!Files.isRegularFile(state)) {
            return null;
        }
        try {
            return JsonParser.parseString(Files.readString(state, StandardCharsets.UTF_8)).getAsJsonObject()
                    .get("step").getAsString();
        } catch (IOException | RuntimeException e) {
            return "?";
        }
    }

    /** "name (kind)" of the run whose task.yaml this is, or null when it is none. */
    private static String task(Path taskYaml) {
        if (!Files.isRegularFile(taskYaml)) {
            return null;
        }
        try {
            Object o = new Yaml().load(Files.readString(taskYaml, StandardCharsets.UTF_8));
            if (o instanceof Map<?, ?> m && m.get("name") != null && m.get("task") != null) {
                return describe(m.get("name").toString(), m.get("task").toString());
            }
        } catch (IOException | RuntimeException e) {
            // not a task file bert-ft wrote
        }
        return null;
    }

    private static String describe(String name, String kind) {
        return "'" + name + "', " + kind;
    }

    private static List<String> entries(Path dir) {
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString() + (Files.isDirectory(p) ? "/" : "")).sorted().toList();
        } catch (IOException e) {
            throw AtomicFiles.cannotWrite(dir, e);
        }
    }

    private static String summary(List<String> entries) {
        int shown = Math.min(4, entries.size());
        return "holds " + String.join(", ", entries.subList(0, shown))
                + (entries.size() > shown ? " and " + (entries.size() - shown) + " more" : "");
    }
}
