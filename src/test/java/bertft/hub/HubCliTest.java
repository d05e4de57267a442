package bertft.hub;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import bertft.cli.CliTest;
import java.nio.file.Files;
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

    /**
     * {@code --model org/adapter} where the Hub repo is a PEFT adapter (adapter_config.json, no config.json): the
     * adapter is fetched, its base by base_model_name_or_path (another Hub id) too, and classify prints PEFT's
     * probabilities, as for the adapter directory; then offline from the cache.
     */
    @Test
    void aPeftAdapterByHubIdLoadsOnItsBaseFromTheHub() throws Exception {
        Path golden = java.nio.file.Paths.get("..", "shared", "golden", "peft", "bert-lora");
        Path repo = Files.createDirectories(tmp.resolve("adapter-repo"));
        for (String f : java.util.List.of("adapter_model.safetensors", "README.md")) {
            Files.copy(golden.resolve(f), repo.resolve(f));
        }
        com.google.gson.JsonObject cfg = com.google.gson.JsonParser.parseString(
                Files.readString(golden.resolve("adapter_config.json"))).getAsJsonObject();
        cfg.addProperty("base_model_name_or_path", "org/bert-seqcls");
        Files.writeString(repo.resolve("adapter_config.json"), cfg.toString());
        String text = "w31 w40 w55 w10";
        CliTest.Run local = CliTest.run("classify", "--model", golden.toString(), "--text", text);
        assertEquals(0, local.code(), local.err());
        String[] args = {"classify", "--model", "org/bert-lora", "--text", text};
        try (FakeHub hub = new FakeHub()) {
            hub.add("org/bert-seqcls", java.nio.file.Paths.get("..", "shared", "golden", "families", "bert", "seqcls"),
                    null, false);
            hub.add("org/bert-lora", repo, null, false);
            System.setProperty("HF_ENDPOINT", hub.endpoint().toString());
            System.setProperty("HF_HUB_CACHE", tmp.resolve("hub").toString());
            CliTest.Run online = CliTest.run(args);
            assertEquals(0, online.code(), online.err());
            assertEquals(local.out(), online.out(), "the adapter by Hub id answers as the adapter directory");
            CliTest.Run notAModel = CliTest.run("classify", "--model", "org/nothing", "--text", text);
            assertEquals(2, notAModel.code());
        }
        CliTest.Run offline = CliTest.run("classify", "--offline", "--model", "org/bert-lora", "--text", text);
        assertEquals(0, offline.code(), offline.err());
        assertEquals(local.out(), offline.out());
    }

    @Test
    void classifyWithAHubSentimentModelThenOffline() throws Exception {
        Path cache = tmp.resolve("hub");
        String[] args = {"classify", "--model", "org/roberta-sentiment", "--text", "w5 w17 w42 w8 w91 w33"};
        CliTest.Run online;
        try (FakeHub hub = new FakeHub()) {
            hub.add("org/roberta-sentiment", FakeHub.robertaSentiment(tmp.resolve("repo")), null, false);
            System.setProperty("HF_ENDPOINT", hub.endpoint().toString());
            System.setProperty("HF_HUB_CACHE", cache.toString());
            online = CliTest.run(args);
            assertEquals(0, online.code(), online.err());
            assertTrue(online.out().matches("(neg|neu|pos)  0\\.\\d{4}  neg=0\\.\\d{4}  neu=0\\.\\d{4}  pos=0\\.\\d{4}  w5 w17 w42"
                    + " w8 w91 w33\\s*"), online.out());
            assertTrue(hub.log.stream().anyMatch(l -> l.contains("pytorch_model.bin")), "weights came from the Hub");
        }
        String[] offline = java.util.Arrays.copyOf(args, args.length + 1);
        offline[args.length] = "--offline";
        CliTest.Run again = CliTest.run(offline);
        assertEquals(0, again.code(), again.err());
        assertEquals(online.out(), again.out(), "the cached model classifies the same without the Hub");
    }

    @Test
    void aRobertaRepoWithVocabJsonAndMergesTxtIsFetchedAndTokenized() throws Exception {
        Path repo = FakeHub.robertaSentiment(tmp.resolve("repo"));
        Files.delete(repo.resolve("tokenizer.json"));
        bertft.text.ByteLevelBpeTest.repo(repo);
        try (FakeHub hub = new FakeHub()) {
            hub.add("org/bpe", repo, null, false);
            System.setProperty("HF_ENDPOINT", hub.endpoint().toString());
            System.setProperty("HF_HUB_CACHE", tmp.resolve("hub").toString());
            CliTest.Run r = CliTest.run("classify", "--model", "org/bpe", "--text", "hello world");
            assertEquals(0, r.code(), r.err());
            assertTrue(hub.log.stream().anyMatch(l -> l.contains("merges.txt")), String.join("\n", hub.log));
        }
    }
}
