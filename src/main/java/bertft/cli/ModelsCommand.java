package bertft.cli;

import bertft.checkpoint.ModelStore;
import bertft.model.BertConfig;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/** {@code bert-ft models}: the bundled models and what the cache holds. */
@Command(name = "models", mixinStandardHelpOptions = true, description = "List bundled and cached models.")
final class ModelsCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        out.println("Bundled (imported into the cache on first use):");
        for (ModelStore.Bundled b : ModelStore.BUNDLED) {
            boolean imported = Files.exists(ModelStore.modelsDir().resolve(b.alias()).resolve("model.safetensors"));
            out.printf("  %-10s %s  %s%s%n", b.alias(), b.hfId(), b.description(), imported ? "  [imported]" : "");
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
            out.printf("  %-10s %s%n", dir.getFileName(), summary);
        }
        out.flush();
        return 0;
    }
}
