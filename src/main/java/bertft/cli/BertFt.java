package bertft.cli;

import bertft.UserError;
import java.io.IOException;
import java.io.InputStream;
import java.util.Properties;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.IExecutionExceptionHandler;
import picocli.CommandLine.IVersionProvider;
import picocli.CommandLine.Option;

/** The {@code bert-ft} command: fine-tune, evaluate and run BERT-family encoders. */
@Command(name = "bert-ft", mixinStandardHelpOptions = true, versionProvider = BertFt.Version.class,
        description = "Fine-tune pretrained BERT-family encoders (HuggingFace checkpoints) for classification "
                + "and question answering, in Java.",
        subcommands = {TrainCommand.class, AdaptCommand.class, EvaluateCommand.class, ClassifyCommand.class, CompareCommand.class,
                QaCommand.class, EmbedCommand.class, ModelsCommand.class, BenchCommand.class,
                CommandLine.HelpCommand.class})
public final class BertFt {
    /** Exit code for a user mistake (bad file, bad option value). */
    public static final int USER_ERROR = 2;

    @Option(names = "--verbose", scope = CommandLine.ScopeType.INHERIT,
            description = "Show stack traces for errors.")
    boolean verbose;

    @Option(names = "--offline", scope = CommandLine.ScopeType.INHERIT,
            description = "Use HuggingFace Hub models from the cache only, never the network (as HF_HUB_OFFLINE=1).")
    boolean offline;

    public static void main(String[] args) {
        System.exit(commandLine().execute(args));
    }

    /** The configured command line: user errors print one line, other failures a short message. */
    public static CommandLine commandLine() {
        CommandLine cl = new CommandLine(new BertFt());
        TaskOptions.addTo(cl.getSubcommands().get("train"));
        TaskOptions.addTo(cl.getSubcommands().get("compare"));
        TaskOptions.addTo(cl.getSubcommands().get("adapt"), bertft.task.TaskSpec.adaptKeys());
        cl.setExecutionExceptionHandler(errors());
        cl.setExecutionStrategy(BertFt::execute);
        return cl;
    }

    /** Runs the command; {@code --offline} is {@code HF_HUB_OFFLINE=1} for its duration (see HubSettings). */
    private static int execute(CommandLine.ParseResult parseResult) {
        boolean offline = false;
        for (CommandLine.ParseResult pr = parseResult; pr != null; pr = pr.subcommand()) {
            offline |= pr.hasMatchedOption("--offline");
        }
        if (!offline) {
            return new CommandLine.RunLast().execute(parseResult);
        }
        String before = System.getProperty(OFFLINE);
        System.setProperty(OFFLINE, "1");
        try {
            return new CommandLine.RunLast().execute(parseResult);
        } finally {
            if (before == null) {
                System.clearProperty(OFFLINE);
            } else {
                System.setProperty(OFFLINE, before);
            }
        }
    }

    private static final String OFFLINE = "HF_HUB_OFFLINE";

    private static IExecutionExceptionHandler errors() {
        return (e, cl, parseResult) -> {
            boolean verbose = parseResult.hasMatchedOption("--verbose");
            if (verbose) {
                e.printStackTrace(cl.getErr());
            }
            Throwable user = e;
            while (user != null && !(user instanceof UserError)) {
                user = user.getCause();
            }
            if (user != null) {
                cl.getErr().println("bert-ft: " + user.getMessage());
                return USER_ERROR;
            }
            cl.getErr().println("bert-ft: internal error: " + e + (verbose ? "" : " (--verbose shows where)"));
            return 1;
        };
    }

    /** Reads the version Maven filtered into the jar. */
    static final class Version implements IVersionProvider {
        @Override
        public String[] getVersion() {
            return new String[] {"bert-ft " + version()};
        }
    }

    public static String version() {
        Properties p = new Properties();
        try (InputStream in = BertFt.class.getResourceAsStream("/bertft-version.properties")) {
            if (in != null) {
                p.load(in);
            }
        } catch (IOException e) {
            return "unknown";
        }
        return p.getProperty("version", "unknown");
    }
}
