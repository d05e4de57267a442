package bertft.cli;

import bertft.UserError;
import bertft.hub.HubId;
import bertft.hub.HubSettings;
import bertft.hub.HubUpload;
import bertft.hub.Progress;
import bertft.run.ModelCard;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code bert-ft push}: a run's model, tokenizer, config, model card and report.html to a Hub repo, in one commit. */
@Command(name = "push", mixinStandardHelpOptions = true,
        description = {"Upload a run to the HuggingFace Hub in one commit: config.json, the weights, the tokenizer"
                + " files, modeling_bertft.py when the head needs it, the model card README.md and report.html. "
                + "Creates the repo when missing. Token: HF_TOKEN, else the file `huggingface-cli login` writes "
                + "($HF_HOME/token); HF_ENDPOINT is honoured."})
final class PushCommand implements Callable<Integer> {
    /** The files of a run that go to the Hub, when present (weights shards are matched below). */
    static final List<String> FILES = List.of("config.json", "model.safetensors", "model.safetensors.index.json",
            "pytorch_model.bin", "tokenizer.json", "tokenizer_config.json", "special_tokens_map.json", "vocab.txt",
            "vocab.json", "merges.txt", "spm.model", "sentencepiece.bpe.model", "added_tokens.json",
            "modeling_bertft.py", ModelCard.FILE, "report.html");

    @Spec
    CommandSpec spec;

    @Parameters(index = "0", paramLabel = "RUN", description = "A finished run directory (bert-ft train's --out).")
    Path run;

    @Option(names = "--repo", required = true, paramLabel = "ORG/NAME", converter = RepoId.class,
            description = "The Hub repo: your user name or an organisation you can write to, then the model's name.")
    String repo;

    @Option(names = "--private", description = "Create the repo private (a repo that exists keeps its visibility).")
    boolean privateRepo;

    @Option(names = "--revision", paramLabel = "BRANCH", defaultValue = HubId.DEFAULT_REVISION,
            converter = Branch.class, description = "The branch to commit to, created from main when missing"
                    + " (default: ${DEFAULT-VALUE}).")
    String revision;

    @Option(names = "--message", paramLabel = "TEXT", description = "The commit message (default: \"Upload <run>"
            + " with bert-ft\").")
    String message;

    @Option(names = "--create-pr", description = "Open a pull request with the commit instead of committing to"
            + " the branch.")
    boolean createPr;

    /** {@code org/name} as huggingface_hub checks repo ids, with the namespace required. */
    static final class RepoId implements ITypeConverter<String> {
        @Override
        public String convert(String value) {
            if (value.contains("@") || !value.contains("/") || HubId.parse(value).isEmpty()) {
                throw new picocli.CommandLine.TypeConversionException("'" + value + "' is not ORG/NAME (letters, digits,"
                        + " '-', '_', '.'; the branch goes in --revision)");
            }
            return value;
        }
    }

    /** A branch name as the Hub takes one. */
    static final class Branch implements ITypeConverter<String> {
        @Override
        public String convert(String value) {
            if (HubId.parse("x@" + value).isEmpty()) {
                throw new picocli.CommandLine.TypeConversionException("'" + value + "' is not a branch name");
            }
            return value;
        }
    }

    @Override
    public Integer call() {
        if (!Files.isDirectory(run) || !Files.isRegularFile(run.resolve("config.json"))) {
            throw new UserError(run + ": not a run directory (no config.json); give the --out of a finished"
                    + " `bert-ft train`");
        }
        bertft.run.RunDir.warnIfUnfinished(run, spec.commandLine().getErr());
        if (!Files.exists(run.resolve(ModelCard.FILE)) && Files.exists(run.resolve("report.json"))) {
            ModelCard.write(run, null); // a run from before model cards
        }
        HubSettings settings = HubSettings.fromEnvironment();
        String name = run.toAbsolutePath().normalize().getFileName().toString();
        Path card = null;
        try {
            List<HubUpload.Addition> files = new ArrayList<>();
            for (String f : files()) {
                Path p = run.resolve(f);
                if (f.equals(ModelCard.FILE)) {
                    card = withRepo(p, name);
                    p = card;
                }
                files.add(new HubUpload.Addition(f, p));
            }
            if (files.stream().noneMatch(a -> a.path().endsWith(".safetensors") || a.path().endsWith(".bin"))) {
                throw new UserError(run + ": has no model.safetensors or pytorch_model.bin to push");
            }
            String msg = message != null ? message : "Upload " + name + " with bert-ft";
            HubUpload.Commit c = new HubUpload(settings).push(new HubUpload.Target(repo, revision, privateRepo, msg,
                    createPr), files);
            PrintWriter out = spec.commandLine().getOut();
            out.printf("pushed %d files (%s, %d large file%s sent) to %s@%s: commit %s%n", c.files(),
                    Progress.bytes(c.bytes()), c.lfsSent(), c.lfsSent() == 1 ? "" : "s", repo, revision, c.oid());
            out.println(c.pullRequestUrl() != null ? "pull request: " + c.pullRequestUrl() : c.url());
            out.flush();
            return 0;
        } finally {
            if (card != null) {
                try {
                    Files.deleteIfExists(card);
                } catch (IOException e) {
                    // a temporary file; the system's temp cleaner gets it
                }
            }
        }
    }

    /** The run's files that go to the Hub, in {@link #FILES} order, weight shards after the index. */
    private List<String> files() {
        List<String> out = new ArrayList<>();
        for (String f : FILES) {
            if (Files.isRegularFile(run.resolve(f))) {
                out.add(f);
            }
        }
        try (DirectoryStream<Path> s = Files.newDirectoryStream(run, "model-*-of-*.safetensors")) {
            List<String> shards = new ArrayList<>();
            s.forEach(p -> shards.add(p.getFileName().toString()));
            shards.sort(null);
            out.addAll(shards);
        } catch (IOException e) {
            throw new UserError(run + ": cannot list: " + e.getMessage());
        }
        return out;
    }

    /** A temporary copy of the card whose usage lines name the repo it goes to instead of ORG/NAME. */
    private Path withRepo(Path card, String name) {
        try {
            String text = Files.readString(card, StandardCharsets.UTF_8);
            Path tmp = Files.createTempFile("bert-ft-card", ".md");
            Files.writeString(tmp, text.replace("ORG/" + name, repo), StandardCharsets.UTF_8);
            return tmp;
        } catch (IOException e) {
            throw new UserError(card + ": cannot read: " + e.getMessage());
        }
    }
}
