package bertft.hub;

import bertft.Tiny;
import bertft.checkpoint.SafeTensors;
import bertft.checkpoint.TensorData;
import bertft.model.Bert;
import bertft.model.BertConfig;
import bertft.model.Checkpoint;
import bertft.text.BertTokenizer;
import com.google.gson.JsonObject;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;

/**
 * The Hub's file endpoints on 127.0.0.1, with its headers: {@code X-Repo-Commit}, {@code ETag} (weak git sha1
 * for small files), LFS files as a 302 to a "CDN" on another port with {@code X-Linked-Etag} (sha256) and
 * {@code X-Linked-Size}, {@code X-Error-Code} on 401/403/404, and Range requests (206 + Content-Range) on the CDN.
 * Faults on demand: cut the next CDN body halfway, serve corrupted bytes, answer 503 to the next HEADs, slow
 * the CDN down.
 */
final class FakeHub implements AutoCloseable {
    /** A repo: one commit, its files, which of them are LFS, and who may read it. */
    record Repo(String commit, Map<String, byte[]> files, Set<String> lfs, String token, boolean gated) {}

    final Map<String, Repo> repos = new LinkedHashMap<>();
    /** One line per request: {@code METHOD path [auth] [range=...]}. */
    final List<String> log = Collections.synchronizedList(new ArrayList<>());
    volatile boolean cutNext;
    volatile boolean corrupt;
    final AtomicInteger failHeads = new AtomicInteger();
    volatile long cdnDelayMs;
    /** HEADs to answer only after {@link #stallMs}, to make the client time out. */
    final AtomicInteger stallHeads = new AtomicInteger();
    volatile long stallMs;
    /** Old repo ids, answered with a relative redirect to the new one, as the Hub does for renamed repos. */
    final Map<String, String> renamed = new LinkedHashMap<>();

    /** Write access: token -> the namespace (user or organisation) it may create repos in and push to. */
    final Map<String, String> writers = new LinkedHashMap<>();
    /** LFS storage: sha256 -> bytes, filled by PUTs to the storage URLs. */
    final Map<String, byte[]> blobs = new java.util.concurrent.ConcurrentHashMap<>();
    /** Every request body the write endpoints saw, to check that no token leaks into them. */
    final List<String> seen = Collections.synchronizedList(new ArrayList<>());
    /** PUTs to cut halfway through the body (the connection dropped), one per count. */
    final AtomicInteger cutPuts = new AtomicInteger();
    /** Commits to answer 503 first. */
    final AtomicInteger failCommits = new AtomicInteger();
    /** Multipart chunk size to ask for (0: a single PUT). */
    volatile int chunkSize;
    private int pullRequests;

    private final HttpServer hub;
    private final HttpServer cdn;
    private final ExecutorService threads = Executors.newCachedThreadPool();

    FakeHub() throws IOException {
        InetAddress local = InetAddress.getByName("127.0.0.1");
        hub = HttpServer.create(new InetSocketAddress(local, 0), 0);
        cdn = HttpServer.create(new InetSocketAddress(local, 0), 0);
        hub.createContext("/", this::resolve);
        hub.createContext("/api/", this::api);
        cdn.createContext("/", this::blob);
        hub.setExecutor(threads);
        cdn.setExecutor(threads);
        hub.start();
        cdn.start();
    }

    URI endpoint() {
        return URI.create("http://127.0.0.1:" + hub.getAddress().getPort());
    }

    /** Settings for this server: the given cache, no token, fast retries. */
    HubSettings settings(Path cache) {
        return HubSettings.from(name -> switch (name) {
            case "HF_ENDPOINT" -> endpoint().toString();
            case "HF_HUB_CACHE" -> cache.toString();
            case "HF_HOME" -> cache.resolveSibling("hf-home").toString();
            default -> null;
        }, cache.toString()).withRetries(3, java.time.Duration.ofMillis(5));
    }

    /** Adds the files of a directory as a repo; weights are LFS. */
    Repo add(String id, Path dir, String token, boolean gated) {
        Map<String, byte[]> files = new LinkedHashMap<>();
        try (Stream<Path> s = Files.list(dir)) {
            for (Path p : s.sorted().toList()) {
                files.put(p.getFileName().toString(), Files.readAllBytes(p));
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        Set<String> lfs = new java.util.HashSet<>();
        for (String f : files.keySet()) {
            if (f.endsWith(".safetensors") || f.endsWith(".bin")) {
                lfs.add(f);
            }
        }
        String commit = hex(sha("SHA-1", (id + files.keySet()).getBytes(StandardCharsets.UTF_8)));
        Repo r = new Repo(commit, files, lfs, token, gated);
        repos.put(id, r);
        return r;
    }

    /** A tiny BERT checkpoint (config, tokenizer.json, vocab.txt, tokenizer_config.json, model.safetensors). */
    static Path tinyCheckpoint(Path dir, long seed) {
        BertConfig config = Tiny.config();
        Random random = new Random(seed);
        Map<String, TensorData> weights = new LinkedHashMap<>();
        Bert.shapes(config, false).forEach((name, shape) -> {
            float[] v = new float[(int) TensorData.numel(shape)];
            for (int i = 0; i < v.length; i++) {
                v[i] = (float) (random.nextGaussian() * 0.02);
            }
            weights.put(name, TensorData.of(shape, v));
        });
        try (BertTokenizer tok = Tiny.tokenizer(64)) {
            new Checkpoint(config, weights, Map.of()).write(dir, tok);
        }
        return dir;
    }

    /**
     * A tiny RoBERTa sentiment model as a Hub repo ships one (config.json with id2label neg/neu/pos,
     * pytorch_model.bin, tokenizer.json): the golden {@code roberta/seqcls} files, copied.
     */
    static Path robertaSentiment(Path dir) throws IOException {
        Path golden = java.nio.file.Paths.get("..", "shared", "golden", "families", "roberta", "seqcls");
        Files.createDirectories(dir);
        for (String f : List.of("config.json", "pytorch_model.bin", "tokenizer.json")) {
            Files.copy(golden.resolve(f), dir.resolve(f));
        }
        return dir;
    }

    /** The same checkpoint as two safetensors shards + index, and vocab.txt as its only tokenizer file. */
    static Path sharded(Path tiny, Path dir) throws IOException {
        Files.createDirectories(dir);
        Map<String, TensorData> all = SafeTensors.read(tiny.resolve("model.safetensors"));
        Map<String, TensorData> a = new LinkedHashMap<>();
        Map<String, TensorData> b = new LinkedHashMap<>();
        JsonObject map = new JsonObject();
        int i = 0;
        for (var e : all.entrySet()) {
            String shard = i++ % 2 == 0 ? "model-00001-of-00002.safetensors" : "model-00002-of-00002.safetensors";
            (i % 2 == 1 ? a : b).put(e.getKey(), e.getValue());
            map.addProperty(e.getKey(), shard);
        }
        SafeTensors.write(dir.resolve("model-00001-of-00002.safetensors"), a);
        SafeTensors.write(dir.resolve("model-00002-of-00002.safetensors"), b);
        JsonObject index = new JsonObject();
        index.add("metadata", new JsonObject());
        index.add("weight_map", map);
        Files.writeString(dir.resolve("model.safetensors.index.json"), index.toString());
        for (String f : List.of("config.json", "vocab.txt", "tokenizer_config.json")) {
            Files.copy(tiny.resolve(f), dir.resolve(f));
        }
        return dir;
    }

    /** The name of a file's blob: sha256 for LFS files, git's blob sha1 for the others. */
    static String etag(Repo r, String file) {
        byte[] data = r.files().get(file);
        if (r.lfs().contains(file)) {
            return hex(sha("SHA-256", data));
        }
        byte[] header = ("blob " + data.length + "\0").getBytes(StandardCharsets.UTF_8);
        byte[] all = new byte[header.length + data.length];
        System.arraycopy(header, 0, all, 0, header.length);
        System.arraycopy(data, 0, all, header.length, data.length);
        return hex(sha("SHA-1", all));
    }

    long count(String prefix) {
        synchronized (log) {
            return log.stream().filter(l -> l.startsWith(prefix)).count();
        }
    }

    private void resolve(HttpExchange ex) throws IOException {
        String raw = ex.getRequestURI().getRawPath();
        if (raw.contains(".git/info/lfs/objects/")) {
            lfs(ex);
            return;
        }
        String auth = ex.getRequestHeaders().getFirst("Authorization");
        log.add(ex.getRequestMethod() + " " + raw + (auth != null ? " auth" : ""));
        if (ex.getRequestMethod().equals("HEAD") && failHeads.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
            send(ex, 503, Map.of(), null);
            return;
        }
        if (ex.getRequestMethod().equals("HEAD") && stallHeads.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
            sleep(stallMs);
        }
        int at = raw.indexOf("/resolve/");
        String id = raw.substring(1, Math.max(1, at));
        if (renamed.containsKey(id)) {
            send(ex, 307, Map.of("Location", "/" + renamed.get(id) + raw.substring(at)), null);
            return;
        }
        Repo repo = repos.get(id);
        if (at < 0 || repo == null) {
            send(ex, 404, Map.of("X-Error-Code", "RepositoryNotFound"), null);
            return;
        }
        if (repo.token() != null && !("Bearer " + repo.token()).equals(auth)) {
            if (repo.gated()) {
                send(ex, 403, Map.of("X-Error-Code", "GatedRepo"), null);
            } else if (auth == null) {
                send(ex, 401, Map.of("X-Error-Code", "RepositoryNotFound"), null);
            } else {
                send(ex, 401, Map.of(), null);
            }
            return;
        }
        String rest = raw.substring(at + "/resolve/".length());
        String revision = URLDecoder.decode(rest.substring(0, rest.indexOf('/')), StandardCharsets.UTF_8);
        String file = URLDecoder.decode(rest.substring(rest.indexOf('/') + 1), StandardCharsets.UTF_8);
        if (!revision.equals("main") && !revision.equals(repo.commit())) {
            repo = repos.get(id + "@" + revision);
            if (repo == null) {
                send(ex, 404, Map.of("X-Error-Code", "RevisionNotFound"), null);
                return;
            }
        }
        byte[] data = repo.files().get(file);
        if (data == null) {
            send(ex, 404, Map.of("X-Error-Code", "EntryNotFound", "X-Repo-Commit", repo.commit()), null);
            return;
        }
        String etag = etag(repo, file);
        if (repo.lfs().contains(file)) {
            send(ex, 302, Map.of("Location", "http://127.0.0.1:" + cdn.getAddress().getPort() + "/cdn/" + etag
                    + "?expires=1", "X-Repo-Commit", repo.commit(), "X-Linked-Etag", "\"" + etag + "\"",
                    "X-Linked-Size", Long.toString(data.length), "ETag", "\"" + gitSha(data) + "\""), null);
            return;
        }
        send(ex, 200, Map.of("ETag", "W/\"" + etag + "\"", "X-Repo-Commit", repo.commit()), data);
    }

    /** The namespace the request's Bearer (or basic) token may write to, or null when it has none. */
    private String writer(HttpExchange ex) {
        String auth = ex.getRequestHeaders().getFirst("Authorization");
        if (auth == null) {
            return null;
        }
        String token = auth.startsWith("Bearer ") ? auth.substring(7) : auth.startsWith("Basic ")
                ? new String(java.util.Base64.getDecoder().decode(auth.substring(6)), StandardCharsets.UTF_8)
                        .replaceFirst("^[^:]*:", "") : null;
        return writers.get(token);
    }

    private static com.google.gson.JsonObject body(HttpExchange ex, List<String> seen) throws IOException {
        String b = new String(ex.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
        seen.add(b);
        return com.google.gson.JsonParser.parseString(b).getAsJsonObject();
    }

    private static void json(HttpExchange ex, int status, Object body) throws IOException {
        ex.getResponseHeaders().add("Content-Type", "application/json");
        send(ex, status, Map.of(), String.valueOf(body).getBytes(StandardCharsets.UTF_8));
    }

    /** The write API: repos/create, models/{id}, and models/{id}/{preupload,commit,branch}/{revision}. */
    private void api(HttpExchange ex) throws IOException {
        String raw = ex.getRequestURI().getRawPath();
        String query = ex.getRequestURI().getRawQuery();
        log.add(ex.getRequestMethod() + " " + raw + (query == null ? "" : "?" + query));
        String who = writer(ex);
        if (raw.equals("/api/repos/create")) {
            var b = body(ex, seen);
            String id = b.get("organization").getAsString() + "/" + b.get("name").getAsString();
            if (who == null) {
                json(ex, 401, "{\"error\": \"Invalid username or password.\"}");
            } else if (!who.equals(b.get("organization").getAsString())) {
                json(ex, 403, "{\"error\": \"You don't have the rights to create a model under this namespace\"}");
            } else if (repos.containsKey(id)) {
                json(ex, 409, "{\"error\": \"You already created this model repo\"}");
            } else {
                repos.put(id, new Repo(hex(sha("SHA-1", id.getBytes(StandardCharsets.UTF_8))), new LinkedHashMap<>(),
                        new java.util.HashSet<>(), b.get("private").getAsBoolean() ? "private:" + who : null, false));
                json(ex, 200, "{\"url\": \"" + endpoint() + "/" + id + "\"}");
            }
            return;
        }
        String rest = raw.substring("/api/models/".length());
        String[] parts = rest.split("/");
        String id = parts[0] + "/" + parts[1];
        Repo repo = repos.get(id);
        if (repo == null) {
            send(ex, 404, Map.of("X-Error-Code", "RepositoryNotFound"), null);
            return;
        }
        if (parts.length == 2) {
            json(ex, 200, "{\"id\": \"" + id + "\"}");
            return;
        }
        if (who == null) {
            json(ex, 401, "{\"error\": \"Invalid credentials\"}");
            return;
        }
        if (!who.equals(parts[0])) {
            json(ex, 403, "{\"error\": \"You don't have the rights to write to " + id + "\"}");
            return;
        }
        String revision = URLDecoder.decode(parts[3], StandardCharsets.UTF_8);
        switch (parts[2]) {
            case "branch" -> {
                if (repos.containsKey(id + "@" + revision)) {
                    json(ex, 409, "{\"error\": \"exists\"}");
                } else {
                    repos.put(id + "@" + revision, repo);
                    json(ex, 200, "{}");
                }
            }
            case "preupload" -> {
                var files = new com.google.gson.JsonArray();
                for (var f : body(ex, seen).getAsJsonArray("files")) {
                    String path = f.getAsJsonObject().get("path").getAsString();
                    var o = new com.google.gson.JsonObject();
                    o.addProperty("path", path);
                    o.addProperty("uploadMode", path.endsWith(".safetensors") || path.endsWith(".bin") ? "lfs"
                            : "regular");
                    files.add(o);
                }
                var answer = new com.google.gson.JsonObject();
                answer.add("files", files);
                json(ex, 200, answer);
            }
            case "commit" -> commit(ex, id, revision, query != null && query.contains("create_pr=1"));
            default -> send(ex, 404, Map.of(), null);
        }
    }

    private void commit(HttpExchange ex, String id, String revision, boolean pr) throws IOException {
        String b = new String(ex.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
        seen.add(b);
        if (failCommits.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
            send(ex, 503, Map.of(), null);
            return;
        }
        Repo base = repos.get(revision.equals("main") ? id : id + "@" + revision);
        if (base == null) {
            send(ex, 404, Map.of("X-Error-Code", "RevisionNotFound"), null);
            return;
        }
        Map<String, byte[]> files = new LinkedHashMap<>(base.files());
        Set<String> lfs = new java.util.HashSet<>(base.lfs());
        for (String line : b.split("\n")) {
            var o = com.google.gson.JsonParser.parseString(line).getAsJsonObject();
            var v = o.getAsJsonObject("value");
            switch (o.get("key").getAsString()) {
                case "file" -> {
                    files.put(v.get("path").getAsString(), java.util.Base64.getDecoder().decode(v.get("content")
                            .getAsString()));
                    lfs.remove(v.get("path").getAsString());
                }
                case "lfsFile" -> {
                    byte[] data = blobs.get(v.get("oid").getAsString());
                    if (data == null) {
                        json(ex, 422, "{\"error\": \"LFS object not uploaded\"}");
                        return;
                    }
                    files.put(v.get("path").getAsString(), data);
                    lfs.add(v.get("path").getAsString());
                }
                default -> { }
            }
        }
        String commit = hex(sha("SHA-1", (id + files.keySet() + files.values().stream().mapToInt(java.util.Arrays::hashCode)
                .sum() + pullRequests).getBytes(StandardCharsets.UTF_8)));
        Repo next = new Repo(commit, files, lfs, base.token(), false);
        String url = endpoint() + "/" + id + "/commit/" + commit;
        if (pr) {
            int n = ++pullRequests;
            repos.put(id + "@refs/pr/" + n, next);
            json(ex, 200, "{\"commitOid\": \"" + commit + "\", \"commitUrl\": \"" + url
                    + "\", \"pullRequestUrl\": \"" + endpoint() + "/" + id + "/discussions/" + n + "\"}");
            return;
        }
        repos.put(revision.equals("main") ? id : id + "@" + revision, next);
        json(ex, 200, "{\"commitOid\": \"" + commit + "\", \"commitUrl\": \"" + url + "\"}");
    }

    /** The git-lfs batch endpoint and verify: objects already stored come back without actions. */
    private void lfs(HttpExchange ex) throws IOException {
        String raw = ex.getRequestURI().getRawPath();
        log.add(ex.getRequestMethod() + " " + raw);
        String who = writer(ex);
        String id = raw.substring(1, raw.indexOf(".git/"));
        if (who == null) {
            json(ex, 401, "{\"message\": \"Invalid credentials\"}");
            return;
        }
        if (!id.startsWith(who + "/")) {
            json(ex, 403, "{\"message\": \"forbidden\"}");
            return;
        }
        var b = body(ex, seen);
        if (raw.endsWith("/verify")) {
            json(ex, blobs.containsKey(b.get("oid").getAsString()) ? 200 : 404, "{}");
            return;
        }
        var objects = new com.google.gson.JsonArray();
        for (var e : b.getAsJsonArray("objects")) {
            var o = e.getAsJsonObject().deepCopy();
            String oid = o.get("oid").getAsString();
            if (!blobs.containsKey(oid)) {
                var upload = new com.google.gson.JsonObject();
                String href = "http://127.0.0.1:" + cdn.getAddress().getPort() + "/upload/" + oid;
                upload.addProperty("href", href);
                long size = o.get("size").getAsLong();
                if (chunkSize > 0) {
                    var header = new com.google.gson.JsonObject();
                    header.addProperty("chunk_size", Integer.toString(chunkSize));
                    for (int k = 0; k * (long) chunkSize < size; k++) {
                        header.addProperty(Integer.toString(k + 1), href + "?part=" + (k + 1));
                    }
                    upload.add("header", header);
                }
                var verify = new com.google.gson.JsonObject();
                verify.addProperty("href", endpoint() + "/" + id + ".git/info/lfs/objects/verify");
                var actions = new com.google.gson.JsonObject();
                actions.add("upload", upload);
                actions.add("verify", verify);
                o.add("actions", actions);
            }
            objects.add(o);
        }
        var answer = new com.google.gson.JsonObject();
        answer.add("objects", objects);
        json(ex, 200, answer);
    }

    /** Parts of multipart uploads, by oid. */
    private final Map<String, Map<Integer, byte[]>> parts = new java.util.concurrent.ConcurrentHashMap<>();

    /** A PUT to storage: the whole object, or one part of it; a cut drops the connection halfway. */
    private void store(HttpExchange ex) throws IOException {
        String path = ex.getRequestURI().getPath();
        String query = ex.getRequestURI().getQuery();
        log.add("CDN PUT " + path + (query == null ? "" : "?" + query)
                + (ex.getRequestHeaders().getFirst("Authorization") != null ? " auth" : ""));
        String oid = path.substring(path.lastIndexOf('/') + 1);
        InputStream in = ex.getRequestBody();
        if (cutPuts.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
            in.readNBytes(100);
            throw new IOException("cut"); // the connection drops mid-upload
        }
        byte[] data = in.readAllBytes();
        if (query != null && query.startsWith("part=")) {
            parts.computeIfAbsent(oid, k -> new java.util.concurrent.ConcurrentSkipListMap<>())
                    .put(Integer.parseInt(query.substring(5)), data);
            send(ex, 200, Map.of("ETag", "\"part-" + hex(sha("SHA-1", data)).substring(0, 8) + "\""), null);
            return;
        }
        if (!hex(sha("SHA-256", data)).equals(oid)) {
            send(ex, 400, Map.of(), null);
            return;
        }
        blobs.put(oid, data);
        send(ex, 200, Map.of("ETag", "\"x\""), null);
    }

    /** The completion of a multipart upload: parts joined in order, checked against the oid. */
    private void complete(HttpExchange ex) throws IOException {
        String path = ex.getRequestURI().getPath();
        log.add("CDN POST " + path);
        var b = body(ex, seen);
        String oid = path.substring(path.lastIndexOf('/') + 1);
        java.io.ByteArrayOutputStream all = new java.io.ByteArrayOutputStream();
        Map<Integer, byte[]> got = parts.getOrDefault(oid, Map.of());
        for (var e : b.getAsJsonArray("parts")) {
            byte[] part = got.get(e.getAsJsonObject().get("partNumber").getAsInt());
            if (part == null) {
                send(ex, 400, Map.of(), null);
                return;
            }
            all.write(part);
        }
        if (!hex(sha("SHA-256", all.toByteArray())).equals(oid)) {
            send(ex, 400, Map.of(), null);
            return;
        }
        blobs.put(oid, all.toByteArray());
        send(ex, 200, Map.of(), null);
    }

    private static String gitSha(byte[] data) {
        return hex(sha("SHA-1", data));
    }

    private void blob(HttpExchange ex) throws IOException {
        if (ex.getRequestMethod().equals("PUT")) {
            store(ex);
            return;
        }
        if (ex.getRequestMethod().equals("POST")) {
            complete(ex);
            return;
        }
        String range = ex.getRequestHeaders().getFirst("Range");
        String auth = ex.getRequestHeaders().getFirst("Authorization");
        String path = ex.getRequestURI().getPath();
        log.add("CDN " + ex.getRequestMethod() + " " + path + (auth != null ? " auth" : "")
                + (range != null ? " range=" + range : ""));
        String sha = path.substring(path.lastIndexOf('/') + 1);
        byte[] data = null;
        for (Repo r : repos.values()) {
            for (String f : r.lfs()) {
                if (etag(r, f).equals(sha)) {
                    data = r.files().get(f);
                }
            }
        }
        if (data == null) {
            send(ex, 404, Map.of(), null);
            return;
        }
        if (corrupt) {
            data = data.clone();
            data[data.length / 2] ^= 0x55;
        }
        int start = 0;
        Map<String, String> headers = new LinkedHashMap<>();
        headers.put("Accept-Ranges", "bytes");
        int status = 200;
        if (range != null) {
            start = Integer.parseInt(range.substring("bytes=".length(), range.indexOf('-')));
            if (start >= data.length) {
                send(ex, 416, Map.of("Content-Range", "bytes */" + data.length), null);
                return;
            }
            status = 206;
            headers.put("Content-Range", "bytes " + start + "-" + (data.length - 1) + "/" + data.length);
        }
        headers.forEach((k, v) -> ex.getResponseHeaders().add(k, v));
        int length = data.length - start;
        ex.sendResponseHeaders(status, length);
        OutputStream out = ex.getResponseBody();
        int stop = length;
        boolean cut = cutNext;
        if (cut) {
            cutNext = false;
            stop = length / 2;
        }
        for (int i = 0; i < stop; i += 1024) {
            out.write(data, start + i, Math.min(1024, stop - i));
            out.flush();
            if (cdnDelayMs > 0) {
                sleep(cdnDelayMs);
            }
        }
        if (cut) {
            // drop the connection mid-body, as a network failure would
            throw new IOException("cut");
        }
        out.close();
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static void send(HttpExchange ex, int status, Map<String, String> headers, byte[] body)
            throws IOException {
        headers.forEach((k, v) -> ex.getResponseHeaders().add(k, v));
        boolean head = ex.getRequestMethod().equals("HEAD");
        if (body == null || head) {
            if (body != null) {
                ex.getResponseHeaders().add("Content-Length", Integer.toString(body.length));
            }
            ex.sendResponseHeaders(status, -1);
        } else {
            ex.sendResponseHeaders(status, body.length);
            ex.getResponseBody().write(body);
        }
        ex.close();
    }

    static byte[] sha(String algorithm, byte[] data) {
        try {
            return MessageDigest.getInstance(algorithm).digest(data);
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    static String hex(byte[] b) {
        return HexFormat.of().formatHex(b);
    }

    @Override
    public void close() {
        hub.stop(0);
        cdn.stop(0);
        threads.shutdownNow();
    }
}
