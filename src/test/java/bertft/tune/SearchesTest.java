package bertft.tune;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.google.gson.JsonObject;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Which earlier tunes a tune counts as having chosen on its validation set. */
class SearchesTest {
    private static void tune(Path dir, String validationSet, int trials) throws IOException {
        Files.createDirectories(dir);
        Files.writeString(dir.resolve("tune.json"), "{\"trials\": [" + "{},".repeat(trials - 1) + "{}],"
                + " \"searches\": {\"validation_set\": \"" + validationSet + "\", \"earlier\": []}}");
    }

    @Test
    void onlyFinishedTunesOnTheSameValidationSetBesideItAreCounted(@TempDir Path tmp) throws IOException {
        tune(tmp.resolve("runs/a"), "abc", 3);
        tune(tmp.resolve("runs/b"), "other", 5); // another validation set
        Files.createDirectories(tmp.resolve("runs/c"));
        Files.writeString(tmp.resolve("runs/c/tune.json"), "{not json"); // unreadable: not counted, not fatal
        Files.createDirectories(tmp.resolve("runs/d")); // a tune still running: no tune.json yet
        tune(tmp.resolve("runs/self"), "abc", 9); // this tune's own earlier result (a re-run): not counted
        Path task = Files.writeString(tmp.resolve("task.yaml"), "task: classification\n");
        JsonObject s = Searches.count(tmp.resolve("runs/self"), task, "abc");
        assertEquals(2, s.get("search").getAsInt(), s.toString());
        assertEquals(tmp.resolve("runs/a").toString(), s.getAsJsonArray("earlier").get(0).getAsJsonObject().get("dir")
                .getAsString());
        assertEquals(3, s.get("earlier_trials").getAsInt());
        assertEquals(1, Searches.count(tmp.resolve("runs/new"), task, "xyz").get("search").getAsInt());
    }
}
