package bertft.cli;

import bertft.hub.HubCache;
import bertft.hub.HubSettings;
import bertft.hub.Progress;
import bertft.model.BertConfig;
import bertft.model.ModelStore;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/** {@code bert-ft models}: the bundled models and what the cache holds. */
@Command(name = "models", mixinStandardHelpOptions = true,
        description = "List bundled models, imported ones, and the models in the HuggingFace cache (id, revision, size).")
final class ModelsCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        out.println("Bundled (imported into the cache on first use):");
        for (ModelStore.Bundled b : ModelStore.BUNDLED) {
            boolean imported = Files.exists(ModelStore.modelsDir().resolve(b.alias()).resolve("model.safetensors"));
            out.printf("  %-12s %s  %s%s%n", b.alias(), b.hfId(), b.description(), imported ? "  [imported]" : "");
        }
        out.println("Cache: " + ModelStore.modelsDir());
        for (Path dir : ModelStore.cached()) {
            String summary;
            try {
                BertConfig c = BertConfig.read(dir.resolve("config.json"));
                summary = String.format("%d layers, hidden %d, %d heads, %.1fM parameters", c.numHiddenLayers(),
                        c.hiddenSize(), c.numAttentionHeads(), ModelStore.parameterCount(c) / 1e6);
            } catch (RuntimeException e) {
                summary = "unreadable: " + e.getMessage();
            }
            out.printf("  %-12s %s%n", dir.getFileName(), summary);
        }
        HubCache hub = new HubCache(HubSettings.fromEnvironment().cache());
        out.println("HuggingFace cache: " + hub.root());
        for (HubCache.Entry e : hub.list()) {
            out.printf("  %-40s %-30s %s%n", e.repo(), revisions(e), Progress.bytes(e.bytes()));
        }
        out.flush();
        return 0;
    }

    /** {@code main -> 1a2b3c4}, and snapshots fetched by commit alone; {@code -} when there is neither. */
    private static String revisions(HubCache.Entry e) {
        List<String> parts = new ArrayList<>();
        e.refs().forEach((rev, commit) -> parts.add(rev + " -> " + shortCommit(commit)));
        for (String snapshot : e.snapshots()) {
            if (!e.refs().containsValue(snapshot)) {
                parts.add(shortCommit(snapshot));
            }
        }
        return parts.isEmpty() ? "-" : String.join(", ", parts);
    }

    private static String shortCommit(String commit) {
        return commit.substring(0, Math.min(7, commit.length()));
    }
}
