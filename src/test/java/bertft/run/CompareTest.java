package bertft.run;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import bertft.Tiny;
import bertft.cli.CliTest;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** compare end to end on the tiny BERT: two strategies, two seeds, then compare.json / .md and report.html. */
class CompareTest {

    @Test
    void compareWritesTheTableChartsWinnerAndBaseline(@TempDir Path tmp) throws IOException {
        Path model = Tiny.checkpoint(tmp.resolve("tiny"), 3);
        TrainJobTest.data(tmp, "train.csv", 64, 1);
        TrainJobTest.data(tmp, "dev.csv", 32, 2);
        Path out = tmp.resolve("cmp");
        var r = CliTest.run("compare", TrainJobTest.task(tmp, model, "").toString(), "--strategies", "frozen,full",
                "--seeds", "1,2", "--epochs", "1", "--out", out.toString());
        assertEquals(0, r.code(), r.err());
        for (String f : List.of("compare.json", "compare.md", "report.html", "frozen-seed1/report.html",
                "full-seed2/report.html")) {
            assertTrue(Files.exists(out.resolve(f)), f);
        }
        JsonObject c = JsonParser.parseString(Files.readString(out.resolve("compare.json"))).getAsJsonObject();
        assertEquals(2, c.getAsJsonArray("strategies").size());
        JsonObject baseline = c.getAsJsonObject("baseline");
        assertTrue(baseline.has("verdict") && baseline.has("validation"), c.toString());
        String html = Files.readString(out.resolve("report.html"));
        for (String s : List.of("Winner: " + c.get("best").getAsString(), "frozen", "full", "accuracy by strategy",
                "vs training time", "Transfer gain", baseline.get("verdict").getAsString().substring(0, 40)
                        .replace("'", "&#39;"), "Provenance", "cores")) {
            assertTrue(html.contains(s), "compare report.html has " + s);
        }
        assertTrue(Files.readString(out.resolve("compare.md")).contains("Baseline: TF-IDF"));
        TrainJobTest.keepForBrowserCheck(out.resolve("report.html"), "compare-report.html");
    }
}
