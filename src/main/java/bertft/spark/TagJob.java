package bertft.spark;

import bertft.infer.EntityGrouping;
import java.io.IOException;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code spark-submit --class bertft.spark.TagJob bert-ft-spark.jar --model DIR --input PATH --output PATH}: every
 * input column plus entities (the JSON list {@code bert-ft tag --json} prints) and error (see {@link BertFt#tag}).
 */
@Command(name = "TagJob", mixinStandardHelpOptions = true, description = {"Tag the entities of every row of a table"
        + " with a fine-tuned token-classification model on Spark.", "Writes every input column plus entities (a JSON"
        + " list of {entity_group, score, word, start, end}, as bert-ft tag --json prints it) and error."})
public final class TagJob implements Callable<Integer> {
    @Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Mixin
    Job job;

    EntityGrouping.Aggregation aggregation = EntityGrouping.Aggregation.SIMPLE;

    @Option(names = "--aggregation", defaultValue = "simple", paramLabel = "STRATEGY", description = "How pieces"
            + " become entities, as the pipeline's aggregation_strategy: none, simple, first, average, max (default:"
            + " ${DEFAULT-VALUE}).")
    void aggregation(String name) {
        try {
            aggregation = EntityGrouping.Aggregation.parse(name);
        } catch (IllegalArgumentException e) {
            throw new ParameterException(spec.commandLine(), "--aggregation: '" + name + "' is not one of none,"
                    + " simple, first, average, max");
        }
    }

    Integer stride;

    @Option(names = "--stride", paramLabel = "N", description = "Word pieces shared by consecutive windows of a text"
            + " longer than the model's max length (default: the model's doc-stride, half a window).")
    void stride(int n) {
        if (n < 0) {
            throw new ParameterException(spec.commandLine(), "--stride " + n + ": must be at least 0");
        }
        stride = n;
    }

    @Override
    public Integer call() throws IOException {
        TagOptions o = TagOptions.defaults().withTextColumn(job.textColumn).withAggregation(aggregation)
                .withStride(stride).withBatchSize(job.batchSize).withRuntime(job.runtime);
        return job.run("tagged", (df, counts) -> BertFt.tag(df, job.model, o, counts));
    }

    public static void main(String[] args) {
        Job.main(new TagJob(), args);
    }
}
