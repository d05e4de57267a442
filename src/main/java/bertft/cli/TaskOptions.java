package bertft.cli;

import bertft.task.Key;
import bertft.task.TaskFiles;
import bertft.task.TaskSpec;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;

/**
 * Every task-file key as a long option of the same name ({@code learning-rate} -> {@code --learning-rate}),
 * added to a command at start-up from the task key registry, so the two spellings can never drift apart.
 */
final class TaskOptions {
    private TaskOptions() {}

    /** Adds one option per task key to {@code command}, skipping names the command already defines. */
    static void addTo(CommandLine command) {
        addTo(command, TaskSpec.keys());
    }

    /** As {@link #addTo(CommandLine)} for another command's keys; list keys may be repeated ({@code --text a --text b}). */
    static void addTo(CommandLine command, List<Key> keys) {
        CommandSpec spec = command.getCommandSpec();
        for (Key k : keys) {
            if (spec.findOption(k.option()) != null) {
                continue;
            }
            String help = k.description()
                    + (k.allowed().isEmpty() ? "" : " (" + String.join(" | ", k.allowed()) + ")")
                    + (k.defaultText() == null ? "" : " Default: " + k.defaultText() + ".");
            OptionSpec.Builder b = OptionSpec.builder(k.option()).paramLabel(label(k)).description(help);
            spec.addOption(k.type() == Key.Type.LIST ? b.type(List.class).auxiliaryTypes(String.class).build()
                    : b.type(String.class).build());
        }
    }

    private static String label(Key k) {
        return switch (k.type()) {
            case INT, LONG -> "N";
            case DOUBLE -> "X";
            case PATH -> "PATH";
            case BOOL -> "true|false";
            case CHOICE -> "CHOICE";
            case LIST -> "A,B,...";
            default -> "VALUE";
        };
    }

    /**
     * The task of a training command: {@code task} with the command line's keys, or with {@code --resume DIR} the
     * run's own task.yaml (or {@code task}, when given) writing into DIR; {@code missing} says what to give when
     * neither is.
     */
    static TaskSpec loadOrResume(Path task, Path resume, CommandSpec spec, String missing) {
        if (resume != null) {
            Path saved = resume.resolve("task.yaml");
            if (!java.nio.file.Files.exists(saved)) {
                throw new bertft.UserError("--resume " + resume + ": not a run directory (no task.yaml)");
            }
            return load(task != null ? task : saved, spec, Map.of("out", resume.toString()));
        }
        if (task == null) {
            throw new bertft.UserError(missing);
        }
        return load(task, spec, Map.of());
    }

    /** The task-key options the user gave, by key name. */
    static Map<String, String> overrides(CommandSpec spec) {
        return overrides(spec, TaskSpec.keys());
    }

    /** The options of {@code keys} the user gave, by key name (repeated list options joined by commas). */
    static Map<String, String> overrides(CommandSpec spec, List<Key> keys) {
        Map<String, String> out = new LinkedHashMap<>();
        CommandLine.ParseResult pr = spec.commandLine().getParseResult();
        for (Key k : keys) {
            if (pr.hasMatchedOption(k.option())) {
                Object v = pr.matchedOptionValue(k.option(), "");
                out.put(k.name(), v instanceof List<?> l ? String.join(",", l.stream().map(String::valueOf).toList())
                        : v.toString());
            }
        }
        return out;
    }

    /** The resolved task: file (may be null), then command-line overrides, then {@code extra} (command-specific). */
    static TaskSpec load(Path file, CommandSpec spec, Map<String, String> extra) {
        Map<String, String> o = overrides(spec);
        extra.forEach(o::putIfAbsent);
        return TaskFiles.load(file, o);
    }
}
