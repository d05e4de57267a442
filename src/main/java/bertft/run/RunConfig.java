package bertft.run;

import bertft.task.TaskSpec;
import bertft.task.TaskSpec.Kind;
import com.google.gson.JsonObject;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The task settings a run's {@code config.json} records under {@code bert_ft_task} (in the snake_case of
 * HuggingFace configs), so that evaluate, classify, qa, tag and serve use a run as it was trained without its task
 * file: one table that {@link Reports#configExtra} writes and {@link TrainedModel#spec} reads back.
 */
final class RunConfig {
    private RunConfig() {}

    /** A task key, its name in the config, and the kinds of task whose runs record it. */
    record Entry(String key, String configKey, Set<Kind> kinds) {}

    private static final Set<Kind> ALL = EnumSet.allOf(Kind.class);

    /** In the order the config lists them (after {@code task}). */
    static final List<Entry> ENTRIES = List.of(
            new Entry("max-length", "max_length", ALL),
            new Entry("threshold", "threshold", EnumSet.of(Kind.MULTILABEL)),
            new Entry("doc-stride", "doc_stride", EnumSet.of(Kind.QA, Kind.TOKEN_CLASSIFICATION)),
            new Entry("max-query-length", "max_query_length", EnumSet.of(Kind.QA)),
            new Entry("max-answer-length", "max_answer_length", EnumSet.of(Kind.QA)),
            new Entry("n-best", "n_best", EnumSet.of(Kind.QA)),
            new Entry("version-2", "version_2", EnumSet.of(Kind.QA)),
            new Entry("null-threshold", "null_threshold", EnumSet.of(Kind.QA)),
            new Entry("tag-scheme", "tag_scheme", EnumSet.of(Kind.TOKEN_CLASSIFICATION)),
            new Entry("label-all-tokens", "label_all_tokens", EnumSet.of(Kind.TOKEN_CLASSIFICATION)),
            new Entry("strict", "strict", EnumSet.of(Kind.TOKEN_CLASSIFICATION)));

    /** {@code bert_ft_task}: the kind, then every entry of this kind with the task's value. */
    static JsonObject write(TaskSpec spec) {
        JsonObject task = new JsonObject();
        task.addProperty("task", spec.task().toString());
        for (Entry e : ENTRIES) {
            if (e.kinds().contains(spec.task())) {
                Object v = spec.get(e.key());
                if (v instanceof Number n) {
                    task.addProperty(e.configKey(), n);
                } else if (v instanceof Boolean b) {
                    task.addProperty(e.configKey(), b);
                } else {
                    task.addProperty(e.configKey(), String.valueOf(v));
                }
            }
        }
        return task;
    }

    /** The task keys {@code task} records, as option values, into {@code options} where they are not set. */
    static void read(JsonObject task, Map<String, String> options) {
        for (Entry e : ENTRIES) {
            if (task.has(e.configKey())) {
                options.putIfAbsent(e.key(), task.get(e.configKey()).getAsString());
            }
        }
    }
}
