package bertft.cli;

import java.util.List;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Model.PositionalParamSpec;

/**
 * docs/cli.md, generated from the picocli command tree: every command with its description, parameters and options
 * (value, default, description). {@code CliDocsTest} fails when the file is stale; regenerate it with
 * {@code java -cp 'target/bert-ft.jar:target/lib/*' bertft.cli.CliDocs > docs/cli.md}.
 */
public final class CliDocs {
    private CliDocs() {}

    public static void main(String[] args) {
        System.out.print(markdown());
    }

    /** The page. */
    public static String markdown() {
        CommandLine root = BertFt.commandLine();
        StringBuilder sb = new StringBuilder("# Command-line reference\n\n")
                .append("<!-- generated from the picocli command tree by bertft.cli.CliDocs; do not edit: run\n")
                .append("     java -cp 'target/bert-ft.jar:target/lib/*' bertft.cli.CliDocs > docs/cli.md -->\n\n");
        sb.append(text(root.getCommandSpec().usageMessage().description())).append("\n\n");
        sb.append("Options of every command:\n\n");
        options(root.getCommandSpec(), sb);
        sb.append("\nCommands:\n\n");
        root.getSubcommands().forEach((name, sub) -> {
            if (!name.equals("help")) {
                sb.append("- [`").append(name).append("`](#bert-ft-").append(name).append("): ")
                        .append(first(sub.getCommandSpec().usageMessage().description())).append('\n');
            }
        });
        root.getSubcommands().forEach((name, sub) -> {
            if (name.equals("help")) {
                return;
            }
            CommandSpec spec = sub.getCommandSpec();
            sb.append("\n## bert-ft ").append(name).append("\n\n");
            sb.append(text(spec.usageMessage().description())).append("\n\n");
            sb.append("```\n").append(synopsis(sub)).append("```\n\n");
            if (!spec.positionalParameters().isEmpty()) {
                sb.append("| parameter | description |\n|---|---|\n");
                for (PositionalParamSpec p : spec.positionalParameters()) {
                    sb.append("| `").append(p.paramLabel()).append("` | ").append(cell(text(p.description())))
                            .append(" |\n");
                }
                sb.append('\n');
            }
            options(spec, sb);
        });
        return sb.toString();
    }

    private static void options(CommandSpec spec, StringBuilder sb) {
        sb.append("| option | value | default | description |\n|---|---|---|---|\n");
        for (OptionSpec o : spec.options()) {
            if (o.hidden() || o.inherited() || o.usageHelp() || o.versionHelp()) {
                continue;
            }
            String value = o.arity().max() == 0 ? "" : "`" + o.paramLabel() + "`";
            String def = o.defaultValue() != null ? o.defaultValue()
                    : o.arity().max() > 0 && o.initialValue() != null && !(o.initialValue() instanceof java.util
                            .Collection<?> c && c.isEmpty()) ? String.valueOf(o.initialValue()) : "";
            sb.append("| `").append(String.join("`, `", o.names())).append("` | ").append(value).append(" | ")
                    .append(def.isEmpty() ? "" : "`" + cell(def) + "`").append(" | ")
                    .append(cell(text(o.description()).replace("${DEFAULT-VALUE}", def))).append(" |\n");
        }
        if (spec.mixinStandardHelpOptions()) {
            sb.append("| `-h`, `--help` | | | Show the help and exit. |\n| `-V`, `--version` | | | Print the version"
                    + " and exit. |\n");
        }
    }

    private static String synopsis(CommandLine cl) {
        return cl.getHelp().synopsis(0).replaceAll("(?m)[ \\t]+$", "");
    }

    private static String text(String[] lines) {
        return String.join(" ", List.of(lines)).strip();
    }

    private static String first(String[] lines) {
        String t = text(lines);
        int dot = t.indexOf(". ");
        return dot < 0 ? t : t.substring(0, dot + 1);
    }

    private static String cell(String s) {
        return s.replace("|", "\\|").replace("\n", " ");
    }
}
