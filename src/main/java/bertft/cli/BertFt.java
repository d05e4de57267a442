package bertft.cli;

import bertft.ExitCode;
import bertft.UserError;
import picocli.CommandLine.Command;
import picocli.CommandLine.IExecutionExceptionHandler;
import picocli.CommandLine.IVersionProvider;
import picocli.CommandLine.Option;
import picocli.CommandLine;

/** The {@code bert-ft} command: fine-tune, evaluate and run BERT-family encoders. */
@Command(name = "bert-ft", mixinStandardHelpOptions = true, versionProvider = BertFt.Version.class,
        description = "Fine-tune pretrained BERT-family encoders (HuggingFace checkpoints) for classification "
                + "and question answering, in Java.",
        subcommands = {TrainCommand.class, AdaptCommand.class, EvaluateCommand.class, ClassifyCommand.class,
                CompareCommand.class, QaCommand.class, EmbedCommand.class, ExportCommand.class, ModelsCommand.class,
                BenchCommand.class, TuneCommand.class, ServeCommand.class, TagCommand.class, DistillCommand.class,
                MergeCommand.class, PushCommand.class, CompletionCommand.class,
                CommandLine.HelpCommand.class})
public final class BertFt {
    @Option(names = "--verbose", scope = CommandLine.ScopeType.INHERIT,
            description = "Show stack traces for errors.")
    boolean verbose;

    @Option(names = "--offline", scope = CommandLine.ScopeType.INHERIT,
            description = "Use HuggingFace Hub models from the cache only, never the network (as HF_HUB_OFFLINE=1).")
    boolean offline;

    @Option(names = "--threads", scope = CommandLine.ScopeType.INHERIT, paramLabel = "N", converter = Ints.Threads.class,
            description = "Threads for libtorch's matrix and elementwise work (default: $BERT_FT_THREADS, else every "
                    + "core). Waiting threads sleep rather than spin, so a busy machine slows bert-ft in proportion; "
                    + "use 1 when several bert-ft processes share few cores. serve runs N model calls at once, one "
                    + "thread each.")
    void threads(int n) {
        System.setProperty(bertft.model.Torch.THREADS_PROPERTY, Integer.toString(n));
    }

    @Option(names = "--device", scope = CommandLine.ScopeType.INHERIT, paramLabel = "cpu|gpu[:N]",
            converter = Device.class,
            description = "Where tensors live (default: $BERT_FT_DEVICE, else the engine's first GPU when DJL's PyTorch "
                    + "engine runs a CUDA libtorch and sees one, else the CPU). See docs/speed.md for a GPU set-up.")
    void device(String d) {
        System.setProperty(bertft.model.Torch.DEVICE_PROPERTY, d);
    }

    /** {@code cpu}, {@code gpu} or {@code gpu:N}, checked when parsed (whether the GPU exists, at first use). */
    static final class Device implements CommandLine.ITypeConverter<String> {
        @Override
        public String convert(String text) {
            String d = text.strip().toLowerCase(java.util.Locale.ROOT);
            if (!d.matches("cpu|gpu(:\\d{1,4})?")) {
                throw new CommandLine.TypeConversionException("not a device; use cpu, gpu or gpu:N");
            }
            return d;
        }
    }

    public static void main(String[] args) {
        System.exit(commandLine().execute(args));
    }

    /** The configured command line: user errors print one line, other failures a short message. */
    public static CommandLine commandLine() {
        CommandLine cl = new CommandLine(new BertFt());
        TaskOptions.addTo(cl.getSubcommands().get("train"));
        TaskOptions.addTo(cl.getSubcommands().get("compare"));
        TaskOptions.addTo(cl.getSubcommands().get("tune"));
        TaskOptions.addTo(cl.getSubcommands().get("distill"));
        TaskOptions.addTo(cl.getSubcommands().get("adapt"), bertft.task.TaskSpec.adaptKeys());
        cl.setExecutionExceptionHandler(errors());
        cl.setParameterExceptionHandler(BertFt::badArguments);
        cl.setExecutionStrategy(BertFt::execute);
        return cl;
    }

    /** Runs the command; {@code --offline} is {@code HF_HUB_OFFLINE=1} for its duration (see HubSettings). */
    private static int execute(CommandLine.ParseResult parseResult) {
        boolean offline = false;
        boolean help = false;
        for (CommandLine.ParseResult pr = parseResult; pr != null; pr = pr.subcommand()) {
            offline |= pr.hasMatchedOption("--offline");
            help |= pr.isUsageHelpRequested() || pr.isVersionHelpRequested();
        }
        if (!help) {
            // $BERT_FT_THREADS is checked as --threads is, before the command does any work
            try {
                bertft.model.Torch.threads();
            } catch (UserError e) {
                parseResult.commandSpec().commandLine().getErr().println("bert-ft: " + e.getMessage());
                parseResult.commandSpec().commandLine().getErr().flush();
                return ExitCode.USER_ERROR;
            }
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

    /** A command line picocli cannot parse: one line naming the option and value, instead of the whole usage. */
    private static int badArguments(CommandLine.ParameterException ex, String[] args) {
        CommandLine cl = ex.getCommandLine();
        cl.getErr().println("bert-ft: " + describe(ex));
        cl.getErr().flush();
        return ExitCode.USER_ERROR;
    }

    static String describe(CommandLine.ParameterException ex) {
        CommandLine.Model.ArgSpec arg = ex.getArgSpec();
        if (arg != null && ex.getValue() != null && ex.getCause() instanceof CommandLine.TypeConversionException t) {
            String name = arg instanceof CommandLine.Model.OptionSpec o ? o.longestName() : arg.paramLabel();
            // picocli's own converters say "'abc' is not an int"
            String why = t.getMessage().replace("'" + ex.getValue() + "' is ", "");
            return name + " " + UserError.cut(ex.getValue()) + ": " + why;
        }
        String help = "`" + ex.getCommandLine().getCommandSpec().qualifiedName() + " --help` lists the options";
        if (ex instanceof CommandLine.UnmatchedArgumentException u && !u.getSuggestions().isEmpty()) {
            String typo = u.getUnmatched().isEmpty() ? "" : u.getUnmatched().get(0);
            String best = u.getSuggestions().stream()
                    .min(java.util.Comparator.comparingInt(c -> editDistance(typo, c))).orElseThrow();
            return ex.getMessage() + " (did you mean " + best + "?)";
        }
        return ex.getMessage() + " (" + help + ")";
    }

    /**
     * Levenshtein distance: picocli lists its suggestions by a looser likeness, in which {@code --base} came before
     * {@code --batch-size} for {@code --batch-sise}.
     */
    static int editDistance(String a, String b) {
        int[] row = new int[b.length() + 1];
        for (int j = 0; j <= b.length(); j++) {
            row[j] = j;
        }
        for (int i = 1; i <= a.length(); i++) {
            int diagonal = row[0];
            row[0] = i;
            for (int j = 1; j <= b.length(); j++) {
                int up = row[j];
                row[j] = Math.min(Math.min(row[j] + 1, row[j - 1] + 1),
                        diagonal + (a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1));
                diagonal = up;
            }
        }
        return row[b.length()];
    }

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
                return ExitCode.USER_ERROR;
            }
            if (outOfMemory(e)) {
                cl.getErr().println("bert-ft: out of memory: try a smaller --batch-size, --max-length or --shapes "
                        + "(or more memory: BERT_FT_JAVA_OPTS=-Xmx... for Java's share)");
                return ExitCode.USER_ERROR;
            }
            cl.getErr().println("bert-ft: internal error: " + e + (verbose ? "" : " (--verbose shows where)"));
            return 1;
        };
    }

    /** Java's heap or the engine's allocator ran out (libtorch says so in its message). */
    static boolean outOfMemory(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            String m = String.valueOf(t.getMessage());
            if (t instanceof OutOfMemoryError || m.contains("not enough memory") || m.contains("can't allocate memory")
                    || m.contains("Cannot allocate memory")) {
                return true;
            }
        }
        return false;
    }

    /** Reads the version Maven filtered into the jar. */
    static final class Version implements IVersionProvider {
        @Override
        public String[] getVersion() {
            return new String[] {"bert-ft " + bertft.Version.get()};
        }
    }
}
