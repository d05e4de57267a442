package bertft.run;

import bertft.UserError;
import bertft.model.ModelStore;
import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * The model a command runs: {@code --model} (a run or checkpoint directory, bundled alias or Hub id), or without it
 * the newest finished run in {@code ./runs} whose head fits the command.
 */
public final class ModelChoice {
    /** Where runs are looked for when there is no {@code --model}: {@code ./runs} (system property bertft.runs for tests). */
    static Path runs() {
        return Path.of(System.getProperty("bertft.runs", "runs"));
    }

    /** The head a command needs. */
    public enum Need {
        CLASSIFIER("ForSequenceClassification", "a classifier",
                "bert-ft train tasks/reviews-sentiment.yaml (the README's quick start), or --model with a Hub id such as"
                        + " distilbert-base-uncased-finetuned-sst-2-english"),
        QA("ForQuestionAnswering", "a question-answering head",
                "bert-ft train squad-task.yaml (task: qa), or --model with a Hub id such as"
                        + " deepset/roberta-base-squad2"),
        TAGGER("ForTokenClassification", "a token-classification head",
                "bert-ft train tasks/wnut17.yaml --data-dir ../shared/datasets, or --model with a Hub id such as"
                        + " dslim/bert-base-NER");

        final String suffix;
        final String what;
        final String suggestion;

        Need(String suffix, String what, String suggestion) {
            this.suffix = suffix;
            this.what = what;
            this.suggestion = suggestion;
        }
    }

    private ModelChoice() {}

    /** The checkpoint directory for {@code --model}, or the newest fitting run (named on {@code err}). */
    public static Path resolve(String model, Need need, PrintWriter err) {
        if (model != null) {
            return ModelStore.resolve(model);
        }
        Path runs = runs();
        Path run = newestRun(runs, need).orElseThrow(() -> new UserError("no --model, and no finished run with "
                + need.what + " in " + runs.toAbsolutePath() + ": train one with " + need.suggestion));
        err.println("bert-ft: using " + run + " (the newest finished run in " + runs + " with " + need.what
                + "; --model picks another)");
        err.flush();
        return run;
    }

    /**
     * The newest finished run under {@code runs} (report.json written, no {@code last/} resume state left) whose
     * config.json names a {@code *For...} architecture that fits {@code need}.
     */
    static Optional<Path> newestRun(Path runs, Need need) {
        if (!Files.isDirectory(runs)) {
            return Optional.empty();
        }
        try (Stream<Path> dirs = Files.list(runs)) {
            List<Path> fitting = dirs.filter(d -> Files.isRegularFile(d.resolve("report.json"))
                    && Files.isRegularFile(d.resolve("config.json")) && !Files.exists(d.resolve("last"))
                    && fits(d.resolve("config.json"), need)).toList();
            return fitting.stream().max(Comparator.comparing(d -> modified(d.resolve("report.json"))));
        } catch (IOException e) {
            throw new UserError(runs + ": cannot list: " + e.getMessage());
        }
    }

    private static boolean fits(Path config, Need need) {
        try {
            JsonObject o = JsonParser.parseString(Files.readString(config)).getAsJsonObject();
            JsonArray arch = o.has("architectures") ? o.getAsJsonArray("architectures") : new JsonArray();
            return arch.size() > 0 && arch.get(0).getAsString().endsWith(need.suffix);
        } catch (IOException | RuntimeException e) {
            return false; // not a run this command can use; others may be
        }
    }

    private static FileTime modified(Path p) {
        try {
            return Files.getLastModifiedTime(p);
        } catch (IOException e) {
            return FileTime.fromMillis(0);
        }
    }
}
