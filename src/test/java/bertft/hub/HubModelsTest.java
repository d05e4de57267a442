package bertft.hub;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import bertft.UserError;
import bertft.checkpoint.SafeTensors;
import bertft.checkpoint.TensorData;
import bertft.model.Checkpoint;
import bertft.text.BertTokenizer;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Hub ids fetched from a local fake Hub into HuggingFace's cache layout, and read back offline. */
class HubModelsTest {
    @TempDir
    Path tmp;
    FakeHub hub;
    Path tiny;
    Path cache;
    FakeHub.Repo repo;

    @BeforeEach
    void start() throws Exception {
        hub = new FakeHub();
        tiny = FakeHub.tinyCheckpoint(tmp.resolve("tiny"), 3);
        repo = hub.add("org/tiny", tiny, null, false);
        cache = tmp.resolve("hub");
    }

    @AfterEach
    void stop() {
        hub.close();
    }

    private Path resolve(String id) {
        return resolve(id, hub.settings(cache));
    }

    private static Path resolve(String id, HubSettings settings) {
        return new HubModels(settings).resolve(HubId.parse(id).orElseThrow());
    }

    private byte[] weights() {
        return repo.files().get("model.safetensors");
    }

    @Test
    void downloadsIntoHuggingFaceCacheLayoutAndLoads() throws Exception {
        Path snapshot = resolve("org/tiny");
        Path repoDir = cache.resolve("models--org--tiny");
        assertEquals(repoDir.resolve("snapshots").resolve(repo.commit()), snapshot);
        assertEquals(repo.commit(), Files.readString(repoDir.resolve("refs/main")), "refs/main: the commit, no newline");
        for (String file : List.of("config.json", "tokenizer.json", "tokenizer_config.json", "model.safetensors")) {
            Path link = snapshot.resolve(file);
            assertTrue(Files.isSymbolicLink(link), file);
            String etag = FakeHub.etag(repo, file);
            assertEquals(Paths.get("../../blobs/" + etag), Files.readSymbolicLink(link), file);
            assertArrayEquals(repo.files().get(file), Files.readAllBytes(repoDir.resolve("blobs").resolve(etag)), file);
        }
        assertFalse(Files.exists(snapshot.resolve("vocab.txt")), "tokenizer.json is enough");
        assertTrue(Files.exists(cache.resolve(".locks/models--org--tiny/" + FakeHub.etag(repo, "model.safetensors")
                + ".lock")));

        Checkpoint ckpt = Checkpoint.read(snapshot);
        Map<String, TensorData> expected = SafeTensors.read(tiny.resolve("model.safetensors"));
        assertArrayEquals(expected.get("encoder.layer.1.output.dense.weight").toFloats(),
                ckpt.encoder().get("encoder.layer.1.output.dense.weight").toFloats());
        try (BertTokenizer tok = BertTokenizer.load(snapshot, 16)) {
            assertTrue(tok.tokenId("[MASK]") >= 0);
        }

        hub.log.clear();
        assertEquals(snapshot, resolve("org/tiny"));
        assertEquals(List.of("HEAD /org/tiny/resolve/main/config.json"), hub.log,
                "a cached commit costs one HEAD and no download");
        hub.log.clear();
        assertEquals(snapshot, resolve("org/tiny@" + repo.commit()));
        assertEquals(List.of("HEAD /org/tiny/resolve/" + repo.commit() + "/config.json"), hub.log);
    }

    /**
     * A Chinese BERT as hfl/chinese-roberta-wwm-ext ships one (model_type bert, a Chinese vocab.txt and a
     * tokenizer_config.json, no tokenizer.json) works by id: fetched, then every CJK character one token.
     */
    @Test
    void aChineseBertWithOnlyVocabTxtWorksById() throws Exception {
        Path zh = FakeHub.tinyCheckpoint(tmp.resolve("zh"), 5);
        List<String> vocab = new java.util.ArrayList<>(bertft.Tiny.vocab());
        List<String> chinese = List.of("房", "间", "很", "干", "净", "，", "。", "好");
        for (int i = 0; i < chinese.size(); i++) {
            vocab.set(16 + i, chinese.get(i)); // same size as the tiny model's embedding table
        }
        Files.write(zh.resolve("vocab.txt"), vocab);
        Files.delete(zh.resolve("tokenizer.json"));
        Files.writeString(zh.resolve("tokenizer_config.json"), "{\"do_lower_case\": true, \"tokenizer_class\": \"BertTokenizer\"}");
        hub.add("hfl/chinese-tiny", zh, null, false);
        Path snapshot = resolve("hfl/chinese-tiny");
        assertFalse(Files.exists(snapshot.resolve("tokenizer.json")));
        assertEquals("bert", Checkpoint.read(snapshot).config().modelType());
        try (BertTokenizer tok = BertTokenizer.load(snapshot, 32, vocab.size())) {
            assertArrayEquals(new long[] {2, 16, 17, 18, 19, 20, 21, 18, 23, 22, 3}, tok.encode("房间很干净，很好。").getIds());
        }
    }

    @Test
    void resumesAfterACutConnection() throws Exception {
        hub.cutNext = true;
        Path snapshot = resolve("org/tiny");
        assertArrayEquals(weights(), Files.readAllBytes(snapshot.resolve("model.safetensors")));
        List<String> cdn = hub.log.stream().filter(l -> l.startsWith("CDN")).toList();
        assertEquals(2, cdn.size(), cdn.toString());
        assertFalse(cdn.get(0).contains("range="), cdn.toString());
        assertTrue(cdn.get(1).contains("range=bytes=" + weights().length / 2 + "-"), cdn.toString());
        assertNoPartialFiles();
    }

    @Test
    void resumesAPartialFileLeftByAnEarlierRun() throws Exception {
        String etag = FakeHub.etag(repo, "model.safetensors");
        Path part = cache.resolve("models--org--tiny/blobs/" + etag + ".incomplete");
        Files.createDirectories(part.getParent());
        Files.write(part, java.util.Arrays.copyOf(weights(), 1000));
        Path snapshot = resolve("org/tiny");
        assertArrayEquals(weights(), Files.readAllBytes(snapshot.resolve("model.safetensors")));
        assertEquals(1, hub.count("CDN GET /cdn/" + etag + " range=bytes=1000-"), hub.log.toString());
        assertNoPartialFiles();
    }

    @Test
    void checksumMismatchRemovesTheDownload() throws Exception {
        hub.corrupt = true;
        UserError e = assertThrows(UserError.class, () -> resolve("org/tiny"));
        assertTrue(e.getMessage().contains("org/tiny/model.safetensors: sha256 mismatch (expected "
                + FakeHub.etag(repo, "model.safetensors")), e.getMessage());
        Path repoDir = cache.resolve("models--org--tiny");
        assertFalse(Files.exists(repoDir.resolve("blobs/" + FakeHub.etag(repo, "model.safetensors"))));
        assertFalse(Files.exists(repoDir.resolve("snapshots/" + repo.commit() + "/model.safetensors")));
        assertNoPartialFiles();

        hub.corrupt = false;
        assertTrue(Files.exists(resolve("org/tiny").resolve("model.safetensors")), "a rerun succeeds");
    }

    @Test
    void privateRepoNeedsTheToken() throws Exception {
        hub.add("org/private", tiny, "hf_secret", false);
        UserError none = assertThrows(UserError.class, () -> resolve("org/private"));
        assertEquals("model 'org/private' (revision main) not found on " + hub.endpoint() + ": check the id, or set"
                + " HF_TOKEN if it is private", none.getMessage());
        UserError wrong = assertThrows(UserError.class,
                () -> resolve("org/private", hub.settings(cache).withToken("hf_wrong")));
        assertTrue(wrong.getMessage().contains("needs authentication (HTTP 401)")
                && wrong.getMessage().contains("HF_TOKEN"), wrong.getMessage());

        hub.log.clear();
        Path snapshot = resolve("org/private", hub.settings(cache).withToken("hf_secret"));
        assertTrue(Files.isRegularFile(snapshot.resolve("model.safetensors")));
        assertTrue(hub.log.stream().filter(l -> l.startsWith("HEAD")).allMatch(l -> l.endsWith(" auth")), hub.log.toString());
        assertTrue(hub.count("CDN GET") > 0 && hub.log.stream().filter(l -> l.startsWith("CDN"))
                .noneMatch(l -> l.contains("auth")), "the token never goes to the CDN: " + hub.log);
    }

    @Test
    void gatedRepoSaysSo() {
        hub.add("org/gated", tiny, "hf_secret", true);
        UserError e = assertThrows(UserError.class, () -> resolve("org/gated"));
        assertTrue(e.getMessage().contains("is gated") && e.getMessage().contains("HF_TOKEN"), e.getMessage());
    }

    @Test
    void unknownRepoAndRevision() {
        UserError repoErr = assertThrows(UserError.class, () -> resolve("org/nope"));
        assertEquals("model 'org/nope' (revision main) not found on " + hub.endpoint() + ": check the id, or set"
                + " HF_TOKEN if it is private", repoErr.getMessage());
        UserError rev = assertThrows(UserError.class, () -> resolve("org/tiny@v9"));
        assertTrue(rev.getMessage().startsWith("model 'org/tiny' (revision v9): no such revision"), rev.getMessage());
    }

    @Test
    void noSupportedWeightFileListsWhatWasTried() throws Exception {
        Path dir = Files.createDirectories(tmp.resolve("bare"));
        Files.copy(tiny.resolve("config.json"), dir.resolve("config.json"));
        Files.copy(tiny.resolve("vocab.txt"), dir.resolve("vocab.txt"));
        FakeHub.Repo bare = hub.add("bare", dir, null, false);
        UserError e = assertThrows(UserError.class, () -> resolve("bare"));
        assertEquals("model 'bare' (revision main, commit " + bare.commit().substring(0, 7) + ") has no supported"
                + " weight file: tried model.safetensors, model.safetensors.index.json, pytorch_model.bin", e.getMessage());
        Path noExist = cache.resolve("models--bare/.no_exist/" + bare.commit());
        for (String f : List.of("tokenizer.json", "model.safetensors", "model.safetensors.index.json",
                "pytorch_model.bin")) {
            assertTrue(Files.exists(noExist.resolve(f)), "marker for " + f);
        }
        hub.log.clear();
        assertThrows(UserError.class, () -> resolve("bare"));
        assertEquals(1, hub.log.size(), "known-missing files are not asked for again: " + hub.log);
    }

    @Test
    void sentencePieceOnlyRepoAsDebertaV3Ships() throws Exception {
        Path dir = Files.createDirectories(tmp.resolve("spm"));
        for (String f : List.of("config.json", "model.safetensors")) {
            Files.copy(tiny.resolve(f), dir.resolve(f));
        }
        Files.write(dir.resolve("spm.model"), bertft.text.SentencePieceTest.model(new byte[0], 1));
        Files.writeString(dir.resolve("tokenizer_config.json"), "{\"do_lower_case\": false, \"vocab_type\": \"spm\"}");
        hub.add("microsoft/deberta-v3-tiny", dir, null, false);
        Path snapshot = resolve("microsoft/deberta-v3-tiny");
        assertTrue(Files.exists(snapshot.resolve("spm.model")));
        assertTrue(hub.log.stream().anyMatch(l -> l.contains("special_tokens_map.json")), "asked for: " + hub.log);
        try (BertTokenizer tok = BertTokenizer.load(snapshot, 16)) {
            assertArrayEquals(new long[] {1, 5, 6, 2}, tok.encode("hello world").getIds());
        }
        assertEquals(snapshot, resolve("microsoft/deberta-v3-tiny", hub.settings(cache).withOffline(true)));

        Path none = Files.createDirectories(tmp.resolve("none"));
        Files.copy(tiny.resolve("config.json"), none.resolve("config.json"));
        FakeHub.Repo bare = hub.add("org/none", none, null, false);
        UserError e = assertThrows(UserError.class, () -> resolve("org/none"));
        assertEquals("model 'org/none' (revision main, commit " + bare.commit().substring(0, 7) + ") has no tokenizer:"
                + " tried tokenizer.json, vocab.txt, vocab.json + merges.txt, spm.model", e.getMessage());
    }

    @Test
    void shardedWeightsAndVocabOnly() throws Exception {
        FakeHub.Repo sharded = hub.add("org/sharded", FakeHub.sharded(tiny, tmp.resolve("sharded")), null, false);
        Path snapshot = resolve("org/sharded");
        assertTrue(Files.isSymbolicLink(snapshot.resolve("model-00002-of-00002.safetensors")));
        assertTrue(Files.exists(cache.resolve("models--org--sharded/.no_exist/" + sharded.commit()
                + "/model.safetensors")));
        Checkpoint ckpt = Checkpoint.read(snapshot);
        assertEquals(SafeTensors.read(tiny.resolve("model.safetensors")).size(), ckpt.encoder().size());
        try (BertTokenizer tok = BertTokenizer.load(snapshot, 16)) {
            assertTrue(tok.tokenId("[CLS]") >= 0);
        }
    }

    @Test
    void retriesServerErrorsThenGivesUp() {
        hub.failHeads.set(2);
        assertTrue(Files.exists(resolve("org/tiny").resolve("config.json")), "two 503s, then the third try works");
        assertEquals(3, hub.count("HEAD /org/tiny/resolve/main/config.json"));

        hub.failHeads.set(100);
        UserError e = assertThrows(UserError.class, () -> resolve("org/other"));
        assertTrue(e.getMessage().startsWith(hub.endpoint() + " answered HTTP 503 to HEAD ")
                && e.getMessage().contains("3 times"), e.getMessage());
    }

    @Test
    void retriesATimeout() {
        hub.stallHeads.set(1);
        hub.stallMs = 1500;
        HubSettings impatient = HubSettings.from(name -> switch (name) {
            case "HF_ENDPOINT" -> hub.endpoint().toString();
            case "HF_HUB_CACHE" -> cache.toString();
            case "HF_HUB_ETAG_TIMEOUT" -> "0.3";
            default -> null;
        }, tmp.toString()).withRetries(3, java.time.Duration.ofMillis(5));
        assertTrue(Files.exists(resolve("org/tiny", impatient).resolve("config.json")));
        assertEquals(2, hub.count("HEAD /org/tiny/resolve/main/config.json"), hub.log.toString());
    }

    @Test
    void followsARenamedRepoButCachesUnderTheGivenId() throws Exception {
        hub.renamed.put("bert-base-uncased", "org/tiny");
        Path snapshot = resolve("bert-base-uncased");
        assertEquals(cache.resolve("models--bert-base-uncased/snapshots").resolve(repo.commit()), snapshot);
        assertArrayEquals(weights(), Files.readAllBytes(snapshot.resolve("model.safetensors")));
    }

    @Test
    void offlineUsesTheCacheOnly() throws Exception {
        HubSettings offline = hub.settings(cache).withOffline(true);
        UserError empty = assertThrows(UserError.class, () -> resolve("org/tiny", offline));
        assertTrue(empty.getMessage().startsWith("model 'org/tiny' (revision main) is not in the HuggingFace cache "
                + cache + " (no models--org--tiny/refs/main); offline mode"), empty.getMessage());
        assertTrue(hub.log.isEmpty(), "offline never calls the Hub: " + hub.log);

        Path snapshot = resolve("org/tiny");
        hub.close();
        assertEquals(snapshot, resolve("org/tiny", offline));
        assertEquals(snapshot, resolve("org/tiny@" + repo.commit(), offline));

        Files.delete(cache.resolve("models--org--tiny/blobs/" + FakeHub.etag(repo, "model.safetensors")));
        UserError incomplete = assertThrows(UserError.class, () -> resolve("org/tiny", offline));
        assertTrue(incomplete.getMessage().contains("is incomplete in the cache " + snapshot + ": missing a weight"
                + " file (model.safetensors, model.safetensors.index.json, pytorch_model.bin)"), incomplete.getMessage());
    }

    @Test
    void unreachableHubSuggestsOfflineOrUsesTheCache() throws Exception {
        int closed;
        try (ServerSocket s = new ServerSocket(0)) {
            closed = s.getLocalPort();
        }
        HubSettings down = HubSettings.from(name -> switch (name) {
            case "HF_ENDPOINT" -> "http://127.0.0.1:" + closed;
            case "HF_HUB_CACHE" -> cache.toString();
            default -> null;
        }, tmp.toString()).withRetries(2, java.time.Duration.ofMillis(1));
        UserError e = assertThrows(UserError.class, () -> resolve("org/tiny", down));
        assertTrue(e.getMessage().startsWith("cannot reach http://127.0.0.1:" + closed) && e.getMessage()
                .contains("use --offline (HF_HUB_OFFLINE=1)"), e.getMessage());
        assertTrue(e.getMessage().contains("(connection refused)") && !e.getMessage().contains("Exception"),
                "the reason in words: " + e.getMessage());

        Path snapshot = resolve("org/tiny");
        assertEquals(snapshot, resolve("org/tiny", down), "a complete cached snapshot is used when the Hub is down");
    }

    @Test
    void twoConcurrentDownloadsWriteOneBlob() throws Exception {
        hub.cdnDelayMs = 2;
        String etag = FakeHub.etag(repo, "model.safetensors");
        ExecutorService pool = Executors.newFixedThreadPool(2);
        try {
            Callable<Path> job = () -> resolve("org/tiny");
            Future<Path> a = pool.submit(job);
            Future<Path> b = pool.submit(job);
            assertEquals(a.get(), b.get());
            assertArrayEquals(weights(), Files.readAllBytes(a.get().resolve("model.safetensors")));
        } finally {
            pool.shutdownNow();
        }
        assertEquals(1, hub.count("CDN GET /cdn/" + etag), "one download, the other waited: " + hub.log);
        assertNoPartialFiles();
    }

    @Test
    void readsACacheWrittenByPython() throws Exception {
        // the tree huggingface_hub writes: blobs by etag, relative symlinks, refs/main without newline,
        // and a .no_exist marker for a file the repo lacks
        String commit = repo.commit();
        Path repoDir = cache.resolve("models--org--tiny");
        Path blobs = Files.createDirectories(repoDir.resolve("blobs"));
        Path snap = Files.createDirectories(repoDir.resolve("snapshots").resolve(commit));
        for (String file : List.of("config.json", "vocab.txt", "tokenizer_config.json", "model.safetensors")) {
            String etag = FakeHub.etag(repo, file);
            Files.write(blobs.resolve(etag), repo.files().get(file));
            Files.createSymbolicLink(snap.resolve(file), Paths.get("../../blobs/" + etag));
        }
        Files.createDirectories(repoDir.resolve("refs"));
        Files.writeString(repoDir.resolve("refs/main"), commit, StandardCharsets.UTF_8);
        Files.createDirectories(repoDir.resolve(".no_exist").resolve(commit));
        Files.createFile(repoDir.resolve(".no_exist").resolve(commit).resolve("tokenizer.json"));

        Path offline = resolve("org/tiny", hub.settings(cache).withOffline(true));
        assertEquals(snap, offline);
        assertEquals(2, Checkpoint.read(offline).config().numHiddenLayers());
        try (BertTokenizer tok = BertTokenizer.load(offline, 16)) {
            assertTrue(tok.tokenId("[SEP]") >= 0);
        }

        hub.log.clear();
        assertEquals(snap, resolve("org/tiny"));
        assertEquals(List.of("HEAD /org/tiny/resolve/main/config.json"), hub.log,
                "online, Python's blobs and its .no_exist marker are reused: " + hub.log);
    }

    private void assertNoPartialFiles() throws Exception {
        try (Stream<Path> s = Files.walk(cache)) {
            List<Path> partial = s.filter(p -> p.toString().endsWith(".incomplete") || p.toString().endsWith(".tmp"))
                    .toList();
            assertTrue(partial.isEmpty(), partial.toString());
        }
    }
}
