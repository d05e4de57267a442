package bertft.hub;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import bertft.cli.CliTest;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code --model org/name} through the CLI, {@code --offline}, and {@code bert-ft models}. */
class HubCliTest {
    @TempDir
    Path tmp;

    @AfterEach
    void clear() {
        System.clearProperty("HF_ENDPOINT");
        System.clearProperty("HF_HUB_CACHE");
        System.clearProperty("HF_HUB_OFFLINE");
    }

    @Test
    void embedWithAHubIdThenOfflineAndListed() throws Exception {
        Path cache = tmp.resolve("hub");
        FakeHub.Repo repo;
        try (FakeHub hub = new FakeHub()) {
            repo = hub.add("org/tiny", FakeHub.tinyCheckpoint(tmp.resolve("tiny"), 5), null, false);
            System.setProperty("HF_ENDPOINT", hub.endpoint().toString());
            System.setProperty("HF_HUB_CACHE", cache.toString());
            CliTest.Run online = CliTest.run("embed", "--model", "org/tiny", "--text", "good movie");
            assertEquals(0, online.code(), online.err());
            assertTrue(online.out().contains("\"embedding\""), online.out());
        }
        // the Hub is gone: --offline needs no network, and says what is missing for a model never fetched
        CliTest.Run offline = CliTest.run("embed", "--offline", "--model", "org/tiny", "--text", "good movie");
        assertEquals(0, offline.code(), offline.err());
        CliTest.Run missing = CliTest.run("embed", "--model", "org/other", "--text", "x", "--offline");
        assertEquals(2, missing.code());
        assertTrue(missing.err().startsWith("bert-ft: model 'org/other' (revision main) is not in the HuggingFace"
                + " cache"), missing.err());
        assertEquals(null, System.getProperty("HF_HUB_OFFLINE"), "--offline lasts one command");

        CliTest.Run models = CliTest.run("models");
        assertEquals(0, models.code(), models.err());
        assertTrue(models.out().contains("HuggingFace cache: " + cache), models.out());
        assertTrue(models.out().lines().anyMatch(l -> l.strip().startsWith("org/tiny")
                && l.contains("main -> " + repo.commit().substring(0, 7)) && l.endsWith("kB")), models.out());
    }
}
