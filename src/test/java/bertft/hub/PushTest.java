package bertft.hub;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import bertft.Tiny;
import bertft.UserError;
import bertft.cli.CliTest;
import bertft.run.TrainJobTest;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code bert-ft push} against the loopback Hub: round trip, auth, someone else's repo, network loss, PRs. */
class PushTest {
    static final String TOKEN = "hf_SECRETtoken0123456789abcdef";

    @TempDir
    static Path shared;
    static Path run;
    static Path dev;

    @TempDir
    Path tmp;

    @BeforeAll
    static void train() throws IOException {
        Path model = Tiny.checkpoint(shared.resolve("tiny"), 3);
        TrainJobTest.data(shared, "train.csv", 64, 1);
        dev = TrainJobTest.data(shared, "dev.csv", 24, 2);
        run = shared.resolve("reviews");
        var r = CliTest.run("train", TrainJobTest.task(shared, model, "").toString(), "--out", run.toString(),
                "--epochs", "1", "--seed", "7");
        assertEquals(0, r.code(), r.err());
    }

    @AfterEach
    void clear() {
        for (String p : List.of("HF_ENDPOINT", "HF_HUB_CACHE", "HF_TOKEN", "HF_HOME", "HF_TOKEN_PATH")) {
            System.clearProperty(p);
        }
    }

    private void use(FakeHub hub, String token) {
        System.setProperty("HF_ENDPOINT", hub.endpoint().toString());
        System.setProperty("HF_HUB_CACHE", tmp.resolve("cache").toString());
        System.setProperty("HF_HOME", tmp.resolve("hf-home").toString());
        if (token != null) {
            System.setProperty("HF_TOKEN", token);
        }
    }

    @Test
    void pushThenClassifyFromTheHubGivesTheSamePredictionsAndTheTokenIsWrittenNowhere() throws Exception {
        Path local = tmp.resolve("local.csv");
        var before = CliTest.run("classify", dev.toString(), "--model", run.toString(), "--out", local.toString());
        assertEquals(0, before.code(), before.err());
        try (FakeHub hub = new FakeHub()) {
            hub.writers.put(TOKEN, "me");
            use(hub, TOKEN);
            var push = CliTest.run("push", run.toString(), "--repo", "me/reviews");
            assertEquals(0, push.code(), push.err());
            FakeHub.Repo repo = hub.repos.get("me/reviews");
            assertTrue(push.out().startsWith("pushed " + repo.files().size() + " files ("), push.out());
            assertTrue(push.out().contains("1 large file sent) to me/reviews@main: commit " + repo.commit()),
                    push.out());
            assertTrue(repo.files().keySet().containsAll(List.of("config.json", "model.safetensors", "tokenizer.json",
                    "vocab.txt", "README.md", "report.html")), repo.files().keySet().toString());
            assertFalse(repo.files().containsKey("task.yaml") || repo.files().containsKey("metrics.jsonl"));
            assertEquals(java.util.Set.of("model.safetensors"), repo.lfs());
            assertTrue(java.util.Arrays.equals(Files.readAllBytes(run.resolve("model.safetensors")),
                    repo.files().get("model.safetensors")));
            String card = new String(repo.files().get("README.md"), StandardCharsets.UTF_8);
            assertTrue(card.contains("bert-ft classify texts.txt --model me/reviews") && !card.contains("ORG/"), card);

            Path remote = tmp.resolve("remote.csv");
            var after = CliTest.run("classify", dev.toString(), "--model", "me/reviews", "--out", remote.toString());
            assertEquals(0, after.code(), after.err());
            assertEquals(Files.readString(local), Files.readString(remote), "the same predictions from the Hub");

            // pushed again: the Hub has the weights, so only the commit goes
            var again = CliTest.run("push", run.toString(), "--repo", "me/reviews", "--message", "again");
            assertEquals(0, again.code(), again.err());
            assertTrue(again.out().contains("0 large files sent"), again.out());
            assertEquals(1, hub.count("CDN PUT"), String.join("\n", hub.log));

            for (String text : List.of(push.out(), push.err(), after.out(), after.err(), again.out(), again.err(),
                    String.join("\n", hub.seen), String.join("\n", hub.log))) {
                assertFalse(text.contains(TOKEN), "the token leaked: " + text);
            }
            for (byte[] f : repo.files().values()) {
                assertFalse(new String(f, StandardCharsets.ISO_8859_1).contains(TOKEN), "the token went to the Hub");
            }
        }
        try (Stream<Path> files = Stream.concat(Files.walk(run), Files.walk(tmp))) {
            for (Path f : files.filter(Files::isRegularFile).toList()) {
                assertFalse(new String(Files.readAllBytes(f), StandardCharsets.ISO_8859_1).contains(TOKEN),
                        "the token is in " + f);
            }
        }
    }

    @Test
    void aRefusedTokenIsOneLineNamingWhereItCameFrom() throws Exception {
        try (FakeHub hub = new FakeHub()) {
            hub.writers.put(TOKEN, "me");
            use(hub, "hf_wrong");
            var r = CliTest.run("push", run.toString(), "--repo", "me/reviews");
            assertEquals(2, r.code());
            assertEquals("bert-ft: " + hub.endpoint() + " refused the token from HF_TOKEN (HTTP 401 to create the repo"
                    + " of me/reviews): it is invalid or expired; create a write token at " + hub.endpoint()
                    + "/settings/tokens", r.err().strip());
            assertFalse(r.err().contains("hf_wrong"));

            System.clearProperty("HF_TOKEN");
            System.setProperty("HF_TOKEN_PATH", tmp.resolve("token").toString());
            Files.writeString(tmp.resolve("token"), "hf_stale\n");
            var file = CliTest.run("push", run.toString(), "--repo", "me/reviews");
            assertEquals(2, file.code());
            assertTrue(file.err().contains("refused the token from the token file " + tmp.resolve("token")),
                    file.err());

            Files.delete(tmp.resolve("token"));
            var none = CliTest.run("push", run.toString(), "--repo", "me/reviews");
            assertEquals(2, none.code());
            assertTrue(none.err().startsWith("bert-ft: push needs a HuggingFace token that can write: set HF_TOKEN, or"
                    + " log in with `huggingface-cli login` (no token (HF_TOKEN is unset and "), none.err());
            assertTrue(hub.repos.isEmpty(), "nothing was created");
        }
    }

    @Test
    void aRepoOfSomeoneElseIsRefusedWith403() throws Exception {
        try (FakeHub hub = new FakeHub()) {
            hub.writers.put(TOKEN, "me");
            hub.add("someone/model", FakeHub.tinyCheckpoint(tmp.resolve("theirs"), 1), null, false);
            use(hub, TOKEN);
            var r = CliTest.run("push", run.toString(), "--repo", "someone/model");
            assertEquals(2, r.code());
            assertEquals("bert-ft: the token from HF_TOKEN may not write to someone/model on " + hub.endpoint()
                    + " (HTTP 403 to prepare the upload: You don't have the rights to write to someone/model): the repo"
                    + " or its namespace belongs to someone else, or the token is read-only; push to a repo of yours or"
                    + " use a write token", r.err().strip());
            assertFalse(hub.repos.get("someone/model").files().containsKey("README.md"), "their repo is unchanged");

            var bad = CliTest.run("push", run.toString(), "--repo", "reviews");
            assertEquals(2, bad.code());
            assertEquals("bert-ft: --repo reviews: not ORG/NAME (letters, digits, '-', '_', '.'; the branch goes in"
                    + " --revision)", bad.err().strip().lines().findFirst().orElse(""));
        }
    }

    @Test
    void aCutUploadIsRetriedAndAPushThatGaveUpRerunsCleanly() throws Exception {
        try (FakeHub hub = new FakeHub()) {
            hub.writers.put(TOKEN, "me");
            HubUpload up = new HubUpload(hub.settings(tmp.resolve("cache")).withToken(TOKEN));
            List<HubUpload.Addition> files = List.of(new HubUpload.Addition("config.json", run.resolve("config.json")),
                    new HubUpload.Addition("model.safetensors", run.resolve("model.safetensors")));
            HubUpload.Target t = new HubUpload.Target("me/cut", "main", false, "up", false);

            hub.cutPuts.set(1);
            hub.failCommits.set(1);
            HubUpload.Commit c = up.push(t, files);
            assertEquals(1, c.lfsSent());
            assertEquals(2, hub.count("CDN PUT"), "the cut PUT was sent again");
            assertEquals(2, hub.count("POST /api/models/me/cut/commit/main"), "a 503 commit was retried");

            HubUpload.Target t2 = new HubUpload.Target("me/lost", "main", true, "up", false);
            hub.blobs.clear();
            hub.cutPuts.set(100);
            UserError e = assertThrows(UserError.class, () -> up.push(t2, files));
            assertTrue(e.getMessage().startsWith("cannot reach " + hub.endpoint() + " (PUT /upload/"), e.getMessage());
            assertTrue(e.getMessage().contains(" failed 3 times, last: ") && e.getMessage().endsWith(") to push me/lost: check the"
                    + " network and HF_ENDPOINT, then push again (files the Hub already has are not sent twice)"),
                    e.getMessage());
            assertTrue(hub.repos.get("me/lost").files().isEmpty(), "no commit after a failed upload");
            hub.cutPuts.set(0);
            up.push(t2, files);
            assertTrue(java.util.Arrays.equals(Files.readAllBytes(run.resolve("model.safetensors")),
                    hub.repos.get("me/lost").files().get("model.safetensors")));
        }
    }

    @Test
    void multipartBranchesAndPullRequests() throws Exception {
        try (FakeHub hub = new FakeHub()) {
            hub.writers.put(TOKEN, "me");
            hub.chunkSize = 4096;
            use(hub, TOKEN);
            var main = CliTest.run("push", run.toString(), "--repo", "me/parts", "--private");
            assertEquals(0, main.code(), main.err());
            assertTrue(hub.count("CDN PUT /upload/") > 2, String.join("\n", hub.log));
            assertTrue(java.util.Arrays.equals(Files.readAllBytes(run.resolve("model.safetensors")),
                    hub.repos.get("me/parts").files().get("model.safetensors")), "the parts join to the file");

            var branch = CliTest.run("push", run.toString(), "--repo", "me/parts", "--revision", "dev");
            assertEquals(0, branch.code(), branch.err());
            assertTrue(branch.out().contains("to me/parts@dev: commit " + hub.repos.get("me/parts@dev").commit()),
                    branch.out());
            assertTrue(hub.log.contains("POST /api/models/me/parts/branch/dev"), String.join("\n", hub.log));

            var pr = CliTest.run("push", run.toString(), "--repo", "me/parts", "--create-pr", "--message", "try");
            assertEquals(0, pr.code(), pr.err());
            assertTrue(pr.out().contains("pull request: " + hub.endpoint() + "/me/parts/discussions/1"), pr.out());
            assertTrue(hub.log.contains("POST /api/models/me/parts/commit/main?create_pr=1"), String.join("\n", hub.log));
            assertNull(hub.repos.get("me/parts@refs/pr/2"));
        }
    }
}
