package bertft.run;

import static org.junit.jupiter.api.Assertions.assertEquals;

import bertft.task.TaskFiles;
import bertft.task.TaskSpec;
import bertft.task.TaskSpec.Kind;
import com.google.gson.JsonObject;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

/** The one table of task keys a run's config.json records: every key written is read back to the same value. */
class RunConfigTest {
    /** Every recorded key at a value other than its default, per kind. */
    private static final Map<String, String> SET = Map.ofEntries(Map.entry("max-length", "100"),
            Map.entry("threshold", "0.3"), Map.entry("doc-stride", "33"), Map.entry("max-query-length", "20"),
            Map.entry("max-answer-length", "11"), Map.entry("n-best", "7"), Map.entry("version-2", "true"),
            Map.entry("null-threshold", "0.25"), Map.entry("tag-scheme", "bioes"),
            Map.entry("label-all-tokens", "true"), Map.entry("strict", "true"));

    private static TaskSpec spec(Kind kind, Map<String, String> keys) {
        Map<String, String> o = new LinkedHashMap<>(keys);
        o.put("task", kind.toString());
        o.put("name", "t");
        o.put("model", "m");
        if (kind != Kind.QA && kind != Kind.REGRESSION) {
            o.put("labels", "negative,positive");
        }
        return TaskFiles.load(null, o);
    }

    @Test
    void everyRecordedKeySurvivesTheRoundTrip() {
        Set<String> covered = new TreeSet<>();
        for (Kind kind : Kind.values()) {
            Map<String, String> given = new LinkedHashMap<>();
            RunConfig.ENTRIES.stream().filter(e -> e.kinds().contains(kind)).forEach(e -> given.put(e.key(),
                    SET.get(e.key())));
            TaskSpec before = spec(kind, given);
            JsonObject written = Reports.configExtra(before, kind == Kind.QA || kind == Kind.REGRESSION ? List.of("value")
                    : List.of("negative", "positive")).getAsJsonObject("bert_ft_task");
            assertEquals(kind.toString(), written.get("task").getAsString());
            assertEquals(given.size() + 1, written.size(), kind + " writes its entries and no others: " + written);
            Map<String, String> read = new LinkedHashMap<>();
            RunConfig.read(written, read);
            assertEquals(given.keySet(), read.keySet(), kind + ": " + written);
            TaskSpec after = spec(kind, read);
            for (String key : given.keySet()) {
                assertEquals(before.get(key), after.get(key), kind + " " + key);
                assertEquals(SET.get(key), String.valueOf(after.get(key)), kind + " " + key + " as set, not a default");
                covered.add(key);
            }
        }
        assertEquals(new TreeSet<>(SET.keySet()), covered, "every entry of the table is tested");
    }
}
