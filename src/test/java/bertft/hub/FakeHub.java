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

    private final HttpServer hub;
    private final HttpServer cdn;
    private final ExecutorService threads = Executors.newCachedThreadPool();

    FakeHub() throws IOException {
        InetAddress local = InetAddress.getByName("127.0.0.1");
        hub = HttpServer.create(new InetSocketAddress(local, 0), 0);
        cdn = HttpServer.create(new InetSocketAddress(local, 0), 0);
        hub.createContext("/", this::resolve);
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
            send(ex, 404, Map.of("X-Error-Code", "RevisionNotFound"), null);
            return;
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

    private static String gitSha(byte[] data) {
        return hex(sha("SHA-1", data));
    }

    private void blob(HttpExchange ex) throws IOException {
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
