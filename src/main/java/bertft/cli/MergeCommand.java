package bertft.cli;

import bertft.UserError;
import bertft.model.AdapterDir;
import bertft.model.Checkpoint;
import bertft.text.BertTokenizer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code bert-ft merge}: a PEFT adapter folded into its base, written as an ordinary checkpoint of the family. */
@Command(name = "merge", mixinStandardHelpOptions = true,
        description = {"Fold a LoRA or IA3 adapter (a `strategy: lora|ia3` run, or a directory PEFT saved) into its"
                + " base: W + (alpha/r) B A (IA3: W scaled), written with the adapter's head as an ordinary checkpoint"
                + " (config.json, model.safetensors, tokenizer) that loads in Transformers without PEFT."})
final class MergeCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Parameters(paramLabel = "ADAPTER", description = "Adapter directory (adapter_config.json + adapter_model.safetensors).")
    Path adapter;

    @Option(names = "--out", required = true, paramLabel = "DIR", description = "The merged checkpoint's directory"
            + " (new or empty).")
    Path out;

    @Option(names = "--base", paramLabel = "MODEL", description = "The base model (directory, bundled name or Hub id)"
            + " instead of adapter_config.json's base_model_name_or_path.")
    String base;

    @Option(names = "--overwrite", description = "Replace a non-empty --out directory.")
    boolean overwrite;

    @Override
    public Integer call() throws IOException {
        if (!Files.isDirectory(adapter)) {
            throw new UserError(adapter + ": no such adapter directory");
        }
        if (!AdapterDir.is(adapter)) {
            throw new UserError(adapter + ": is not a PEFT adapter directory (no " + AdapterDir.CONFIG + ")"
                    + (Checkpoint.hasWeights(adapter) ? "; it is a full model already" : ""));
        }
        if (out.toString().isEmpty()) {
            throw new UserError("--out: empty value; name the merged checkpoint's directory");
        }
        if (Files.exists(out) && !Files.isDirectory(out)) {
            throw new UserError("--out " + out + ": is a file; merge writes a checkpoint directory");
        }
        if (Files.exists(out) && Files.isSameFile(out, adapter)) {
            throw new UserError("--out " + out + ": is the adapter directory itself; give a new directory");
        }
        if (Files.isDirectory(out) && !overwrite) {
            try (Stream<Path> s = Files.list(out)) {
                if (s.findAny().isPresent()) {
                    throw new UserError("--out " + out + ": is not empty; give a new or empty directory, or add"
                            + " --overwrite to replace it");
                }
            }
        }
        Path baseDir = AdapterDir.baseDir(adapter, base == null ? null : Path.of(base));
        Checkpoint merged = Checkpoint.read(adapter, base == null ? null : Path.of(base));
        // a bert-ft run carries its tokenizer; an adapter saved by PEFT uses its base's
        Path tokDir = Files.exists(adapter.resolve("tokenizer.json")) || Files.exists(adapter.resolve("vocab.txt"))
                ? adapter : baseDir;
        try (BertTokenizer tok = BertTokenizer.load(tokDir, merged.config().maxTokens(), merged.config().vocabSize())) {
            merged.write(out, tok);
        }
        spec.commandLine().getErr().printf("merged %s into its base %s: %s%n", adapter, baseDir, out);
        return 0;
    }
}
