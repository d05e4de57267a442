package bertft.spark;

import static bertft.spark.SparkJobTest.job;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import bertft.Tiny;
import bertft.cli.CliTest;
import bertft.infer.EntityGrouping;
import bertft.spark.SparkJobTest.Run;
import com.google.gson.JsonParser;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code TagJob} and {@link BertFt#tag} in Spark local mode: the entities {@code bert-ft tag --json} prints. */
@Tag("spark")
class TagJobTest {
    static SparkSession spark;
    static String threads;

    @BeforeAll
    static void start() {
        threads = System.getProperty(bertft.model.Torch.THREADS_PROPERTY);
        spark = SparkSession.builder().master("local[2]").appName("bert-ft test").config("spark.ui.enabled", false)
                .config("spark.sql.shuffle.partitions", 2).getOrCreate();
        spark.sparkContext().setLogLevel("ERROR");
    }

    @AfterAll
    static void stop() {
        spark.stop();
        if (threads == null) {
            System.clearProperty(bertft.model.Torch.THREADS_PROPERTY);
        } else {
            System.setProperty(bertft.model.Torch.THREADS_PROPERTY, threads);
        }
    }

    @Test
    void tagJobGivesTheEntitiesOfTheCliAndKeepsBadRows(@TempDir Path tmp) throws Exception {
        Path model = Tiny.tagger(tmp.resolve("m"), 5, 12, "O", "B-person", "I-person", "B-work", "I-work");
        String longText = "the man and guitar music was good the phone price day time food woman movie great bad";
        Path csv = tmp.resolve("in.csv");
        Files.writeString(csv, "id,text\n1,the man and guitar music\n2,\n3,\"a woman, the phone\"\n4," + longText
                + "\n");
        for (String how : List.of("simple", "none")) {
            Path out = tmp.resolve("out-" + how + ".json");
            Run run = job(new TagJob(), "--model", model.toString(), "--input", csv.toString(), "--output",
                    out.toString(), "--output-format", "json", "--aggregation", how, "--stride", "3");
            assertEquals(3, run.code(), run.err());
            assertTrue(run.err().matches("(?s)tagged 4 rows in [0-9.]+ s; 1 with an error .*"), run.err());
            List<Row> rows = spark.read().json(out.toString()).orderBy("id").collectAsList();
            assertEquals(4, rows.size());
            assertNull(rows.get(1).getAs("entities"));
            assertEquals("no 'text' value (null)", rows.get(1).getAs("error"));
            int entities = 0;
            for (int i : new int[] {0, 2, 3}) {
                Row r = rows.get(i);
                assertNull(r.getAs("error"));
                CliTest.Run cli = CliTest.run("tag", "--model", model.toString(), "--json", "--aggregation", how,
                        "--stride", "3", "--text", r.getAs("text"));
                assertEquals(0, cli.code(), cli.err());
                assertSameEntities(cli.out(), r.getAs("entities"), how + " row " + i);
                entities += JsonParser.parseString(r.getAs("entities")).getAsJsonArray().size();
            }
            assertTrue(entities > 0, "the random model tags something");
        }
        // the long text is tagged to its end (windows), not cut at the model's 12 tokens
        Dataset<Row> df = spark.createDataset(List.of(longText), org.apache.spark.sql.Encoders.STRING()).toDF("text");
        String json = BertFt.tag(df, model.toString(), TagOptions.defaults().withAggregation(
                EntityGrouping.Aggregation.NONE)).collectAsList().get(0).getAs("entities");
        assertTrue(JsonParser.parseString(json).getAsJsonArray().asList().stream()
                .anyMatch(e -> e.getAsJsonObject().get("start").getAsInt() > 60), json);
    }

    /** The same entities, keys and order; scores within 1e-4 (a text's batch mates pad it differently). */
    static void assertSameEntities(String expected, String actual, String what) {
        var want = JsonParser.parseString(expected).getAsJsonArray();
        var got = JsonParser.parseString(actual).getAsJsonArray();
        assertEquals(want.size(), got.size(), what + ": " + actual);
        for (int k = 0; k < want.size(); k++) {
            var w = want.get(k).getAsJsonObject().deepCopy();
            var g = got.get(k).getAsJsonObject().deepCopy();
            assertEquals(w.remove("score").getAsDouble(), g.remove("score").getAsDouble(), 1e-4, what);
            assertEquals(w, g, what);
        }
    }

    @Test
    void badOptionsAreOneLine(@TempDir Path tmp) throws Exception {
        Path model = Tiny.tagger(tmp.resolve("m"), 5, 12, "O", "B-x", "I-x");
        Path csv = tmp.resolve("in.csv");
        Files.writeString(csv, "text\nthe man\n");
        Run agg = job(new TagJob(), "--model", model.toString(), "--input", csv.toString(), "--output",
                tmp.resolve("o1").toString(), "--aggregation", "loud");
        assertEquals(2, agg.code());
        assertTrue(agg.err().startsWith("TagJob: --aggregation: 'loud' is not one of none, simple, first, average, max"),
                agg.err());
        Run stride = job(new TagJob(), "--model", model.toString(), "--input", csv.toString(), "--output",
                tmp.resolve("o2").toString(), "--stride", "10");
        assertEquals(2, stride.code());
        assertTrue(stride.err().contains("--stride 10: must be less than the 10 word pieces"), stride.err());
        assertFalse(Files.exists(tmp.resolve("o2")), "no output");
        Path clf = Tiny.classifier(tmp.resolve("clf"), 5, "a", "b");
        Run notTagger = job(new TagJob(), "--model", clf.toString(), "--input", csv.toString(), "--output",
                tmp.resolve("o3").toString());
        assertEquals(2, notTagger.code());
        assertTrue(notTagger.err().contains("not a token classifier"), notTagger.err());
    }
}
