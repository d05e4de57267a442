package bertft.cli;

import bertft.task.Key;
import bertft.task.TaskFiles;
import bertft.task.TaskSpec;
import java.nio.file.Path;
import java.util.LinkedHashMap;
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
        CommandSpec spec = command.getCommandSpec();
        for (Key k : TaskSpec.keys()) {
            if (spec.findOption(k.option()) != null) {
                continue;
            }
            String help = k.description()
                    + (k.allowed().isEmpty() ? "" : " (" + String.join(" | ", k.allowed()) + ")")
                    + (k.defaultText() == null ? "" : " Default: " + k.defaultText() + ".");
            spec.addOption(OptionSpec.builder(k.option()).paramLabel(label(k)).type(String.class)
                    .description(help).build());
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

    /** The task-key options the user gave, by key name. */
    static Map<String, String> overrides(CommandSpec spec) {
        Map<String, String> out = new LinkedHashMap<>();
        CommandLine.ParseResult pr = spec.commandLine().getParseResult();
        for (Key k : TaskSpec.keys()) {
            if (pr.hasMatchedOption(k.option())) {
                out.put(k.name(), pr.matchedOptionValue(k.option(), ""));
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
