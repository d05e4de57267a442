package bertft.spark;

import java.io.IOException;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code spark-submit --class bertft.spark.EmbedJob bert-ft-spark.jar --model DIR --input PATH --output PATH}:
 * every input column plus embedding (L2-normalised floats) and error (see {@link BertFt#embed}).
 */
@Command(name = "EmbedJob", mixinStandardHelpOptions = true, description = {"Embed every row of a table with a "
        + "BERT-family encoder on Spark.", "Writes every input column plus embedding (the L2-normalised mean of the"
        + " last hidden state) and error; parquet or json output."})
public final class EmbedJob implements Callable<Integer> {
    @Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Mixin
    Job job;

    int maxLength = bertft.api.ModelOptions.DEFAULT_MAX_LENGTH;

    @Option(names = "--max-length", defaultValue = "" + bertft.api.ModelOptions.DEFAULT_MAX_LENGTH, paramLabel = "N", description = "Tokens per text, [CLS] "
            + "and [SEP] included (default: ${DEFAULT-VALUE}).")
    void maxLength(int n) {
        if (n < 2) {
            throw new ParameterException(spec.commandLine(), "--max-length " + n + ": must be at least 2");
        }
        maxLength = n;
    }

    @Override
    public Integer call() throws IOException {
        EmbedOptions o = EmbedOptions.defaults().withTextColumn(job.textColumn).withBatchSize(job.batchSize)
                .withMaxLength(maxLength).withRuntime(job.runtime);
        return job.run("embedded", (df, counts) -> BertFt.embed(df, job.model, o, counts));
    }

    public static void main(String[] args) {
        Job.main(new EmbedJob(), args);
    }
}
