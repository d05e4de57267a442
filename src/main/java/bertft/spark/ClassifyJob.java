package bertft.spark;

import java.io.IOException;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code spark-submit --class bertft.spark.ClassifyJob bert-ft-spark.jar --model DIR --input PATH --output PATH}:
 * every input column plus predicted, score, one p_&lt;label&gt; per class and error (see {@link BertFt#classify}).
 */
@Command(name = "ClassifyJob", mixinStandardHelpOptions = true, description = {"Classify every row of a table with"
        + " a fine-tuned bert-ft model on Spark.", "Writes every input column plus predicted, score, one p_<label>"
        + " per class and error (null, or why the row's text could not be classified)."})
public final class ClassifyJob implements Callable<Integer> {
    @Mixin
    Job job;

    @Option(names = "--text-pair-column", paramLabel = "NAME", description = "Second text column of pair tasks.")
    String textPairColumn;

    @Override
    public Integer call() throws IOException {
        ClassifyOptions o = ClassifyOptions.defaults().withTextColumn(job.textColumn)
                .withTextPairColumn(textPairColumn).withBatchSize(job.batchSize).withRuntime(job.runtime);
        return job.run("classified", (df, counts) -> BertFt.classify(df, job.model, o, counts));
    }

    public static void main(String[] args) {
        Job.main(new ClassifyJob(), args);
    }
}
