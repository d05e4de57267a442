package bertft.hub;

import bertft.UserError;
import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.ConnectException;
import java.net.HttpURLConnection;
import java.net.NoRouteToHostException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One commit of files to a Hub model repo, with the requests huggingface_hub 0.16 makes for
 * {@code create_repo(exist_ok=True)} + {@code create_branch(exist_ok=True)} + {@code create_commit}:
 *
 * <ol>
 *   <li>{@code POST /api/repos/create} {@code {"name", "organization", "private"}}; 409 means it exists;</li>
 *   <li>{@code POST /api/models/{repo}/branch/{revision}} for a branch other than main (409: exists);</li>
 *   <li>{@code POST /api/models/{repo}/preupload/{revision}}: each file's path, size, sha256 and first 512 bytes
 *       (base64); the Hub answers {@code uploadMode} "lfs" or "regular" per file;</li>
 *   <li>{@code POST /{repo}.git/info/lfs/objects/batch} (git-lfs batch API, basic auth {@code access_token}):
 *       objects the Hub already has come back without actions and are not sent again, so a push that was cut off
 *       re-runs cleanly; the others are PUT to the {@code upload} href (whole, or in the parts a {@code chunk_size}
 *       header asks for, then a completion POST), then POSTed to {@code verify};</li>
 *   <li>{@code POST /api/models/{repo}/commit/{revision}} ({@code ?create_pr=1}) with an ndjson body: a header
 *       (summary, description), then one line per file: {@code file} (base64 content) or {@code lfsFile} (oid).</li>
 * </ol>
 *
 * 5xx and 429 answers, timeouts and cut connections are retried with back-off; the token goes only to the
 * endpoint's own origin and never into a message.
 */
public final class HubUpload {
    private static final int SAMPLE = 512;

    private final HubSettings settings;
    private final HubClient client;
    public HubUpload(HubSettings settings) {
        this.settings = settings;
        this.client = new HubClient(settings);
    }

    /** A file to commit: where it goes in the repo and its bytes on disk. */
    public record Addition(String path, Path file) {}

    /** What the Hub answered: the commit, its URL and (with {@code createPr}) the pull request's URL. */
    public record Commit(String oid, String url, String pullRequestUrl, int files, long bytes, int lfsSent) {}

    /** The settings of a push: repo ({@code org/name}), branch, visibility of a new repo, message, PR or not. */
    public record Target(String repo, String revision, boolean privateRepo, String message, boolean createPr) {}

    private record Info(Addition addition, long size, String sha256, byte[] sample) {}

    /** Creates the repo when missing and commits {@code files} to it in one commit. */
    public Commit push(Target t, List<Addition> files) {
        if (settings.token() == null) {
            throw new UserError("push needs a HuggingFace token that can write: set HF_TOKEN, or log in with"
                    + " `huggingface-cli login` (" + settings.tokenSource() + ")");
        }
        List<Info> infos = new ArrayList<>();
        long bytes = 0;
        for (Addition a : files) {
            Info i = info(a);
            infos.add(i);
            bytes += i.size();
        }
        try {
            createRepo(t);
            if (!t.revision().equals(HubId.DEFAULT_REVISION) && !t.createPr()) {
                createBranch(t);
            }
            Map<String, String> modes = uploadModes(t, infos);
            List<Info> lfs = infos.stream().filter(i -> "lfs".equals(modes.get(i.addition().path()))).toList();
            int sent = lfs.isEmpty() ? 0 : uploadLfs(t, lfs);
            JsonObject c = commit(t, infos, modes);
            return new Commit(c.get("commitOid").getAsString(), c.get("commitUrl").getAsString(),
                    t.createPr() && c.has("pullRequestUrl") ? c.get("pullRequestUrl").getAsString() : null,
                    infos.size(), bytes, sent);
        } catch (HubClient.Unreachable e) {
            throw new UserError("cannot reach " + settings.endpoint() + " (" + e.getMessage() + ") to push "
                    + t.repo() + ": check the network and HF_ENDPOINT, then push again (files the Hub already"
                    + " has are not sent twice)", e);
        }
    }

    private Info info(Addition a) {
        try (InputStream in = Files.newInputStream(a.file())) {
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            byte[] buf = new byte[1 << 16];
            ByteArrayOutputStream sample = new ByteArrayOutputStream();
            long size = 0;
            for (int n; (n = in.read(buf)) > 0; size += n) {
                sha.update(buf, 0, n);
                if (sample.size() < SAMPLE) {
                    sample.write(buf, 0, (int) Math.min(n, SAMPLE - sample.size()));
                }
            }
            return new Info(a, size, HexFormat.of().formatHex(sha.digest()), sample.toByteArray());
        } catch (IOException e) {
            throw new UserError(a.file() + ": cannot read: " + e.getMessage(), e);
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private void createRepo(Target t) {
        String[] parts = t.repo().split("/");
        JsonObject body = new JsonObject();
        body.addProperty("name", parts[1]);
        body.addProperty("organization", parts[0]);
        body.addProperty("private", t.privateRepo());
        Answer a = send("POST", api("repos/create"), "application/json", body.toString().getBytes(
                StandardCharsets.UTF_8), Auth.BEARER);
        if (a.status() == 409) {
            return; // exists: commit to it
        }
        if (a.status() == 403) {
            // no right to create in this namespace; huggingface_hub then checks whether the repo exists already
            Answer info = send("GET", api("models/" + t.repo()), null, null, Auth.BEARER);
            if (info.status() == 200) {
                return;
            }
        }
        check(a, t, "create the repo");
    }

    private void createBranch(Target t) {
        Answer a = send("POST", api("models/" + t.repo() + "/branch/" + enc(t.revision())), "application/json",
                "{}".getBytes(StandardCharsets.UTF_8), Auth.BEARER);
        if (a.status() != 409) {
            check(a, t, "create the branch " + t.revision());
        }
    }

    private Map<String, String> uploadModes(Target t, List<Info> infos) {
        Map<String, String> modes = new LinkedHashMap<>();
        for (int from = 0; from < infos.size(); from += 256) {
            JsonArray files = new JsonArray();
            for (Info i : infos.subList(from, Math.min(infos.size(), from + 256))) {
                JsonObject f = new JsonObject();
                f.addProperty("path", i.addition().path());
                f.addProperty("sample", Base64.getEncoder().encodeToString(i.sample()));
                f.addProperty("size", i.size());
                f.addProperty("sha", i.sha256());
                files.add(f);
            }
            JsonObject body = new JsonObject();
            body.add("files", files);
            Answer a = send("POST", api("models/" + t.repo() + "/preupload/" + enc(t.revision())
                    + (t.createPr() ? "?create_pr=1" : "")), "application/json",
                    body.toString().getBytes(StandardCharsets.UTF_8), Auth.BEARER);
            check(a, t, "prepare the upload");
            for (JsonElement e : a.json(t).getAsJsonArray("files")) {
                JsonObject f = e.getAsJsonObject();
                modes.put(f.get("path").getAsString(), f.get("uploadMode").getAsString());
            }
        }
        // empty files cannot go to LFS storage: huggingface_hub sends them as regular files
        infos.stream().filter(i -> i.size() == 0).forEach(i -> modes.put(i.addition().path(), "regular"));
        return modes;
    }

    /** The LFS objects the Hub does not have yet, sent; returns how many were sent. */
    private int uploadLfs(Target t, List<Info> lfs) {
        JsonObject body = new JsonObject();
        body.addProperty("operation", "upload");
        JsonArray transfers = new JsonArray();
        transfers.add("basic");
        transfers.add("multipart");
        body.add("transfers", transfers);
        JsonArray objects = new JsonArray();
        Map<String, Info> byOid = new LinkedHashMap<>();
        for (Info i : lfs) {
            JsonObject o = new JsonObject();
            o.addProperty("oid", i.sha256());
            o.addProperty("size", i.size());
            objects.add(o);
            byOid.put(i.sha256(), i);
        }
        body.add("objects", objects);
        body.addProperty("hash_algo", "sha256");
        URI batch = URI.create(settings.endpoint() + "/" + t.repo() + ".git/info/lfs/objects/batch");
        Answer a = send("POST", batch, "application/vnd.git-lfs+json", body.toString().getBytes(
                StandardCharsets.UTF_8), Auth.LFS);
        check(a, t, "start the large-file upload");
        int sent = 0;
        for (JsonElement e : a.json(t).getAsJsonArray("objects")) {
            JsonObject o = e.getAsJsonObject();
            Info i = byOid.get(o.get("oid").getAsString());
            if (o.has("error")) {
                throw new UserError(settings.endpoint() + " refused " + (i == null ? o.get("oid") : i.addition().path())
                        + ": " + o.getAsJsonObject("error").get("message").getAsString());
            }
            if (i == null || !o.has("actions")) {
                continue; // the Hub has this object already
            }
            JsonObject actions = o.getAsJsonObject("actions");
            JsonObject upload = actions.getAsJsonObject("upload");
            URI href = URI.create(upload.get("href").getAsString());
            JsonObject header = upload.has("header") ? upload.getAsJsonObject("header") : new JsonObject();
            Progress p = Progress.upload(i.addition().path(), i.size());
            if (header.has("chunk_size")) {
                multipart(t, i, href, header, p);
            } else {
                Answer put = put(href, i.addition().file(), 0, i.size(), p);
                check(put, t, "upload " + i.addition().path());
            }
            p.finish();
            if (actions.has("verify")) {
                JsonObject v = new JsonObject();
                v.addProperty("oid", i.sha256());
                v.addProperty("size", i.size());
                Answer verify = send("POST", URI.create(actions.getAsJsonObject("verify").get("href").getAsString()),
                        "application/vnd.git-lfs+json", v.toString().getBytes(StandardCharsets.UTF_8), Auth.VERIFY);
                check(verify, t, "verify " + i.addition().path());
            }
            sent++;
        }
        return sent;
    }

    /** huggingface_hub's multipart transfer: numbered part URLs in the header, then a completion POST. */
    private void multipart(Target t, Info i, URI href, JsonObject header, Progress p) {
        long chunk = header.get("chunk_size").getAsLong();
        List<Map.Entry<Integer, String>> parts = new ArrayList<>();
        header.entrySet().stream().filter(e -> e.getKey().matches("\\d+"))
                .forEach(e -> parts.add(Map.entry(Integer.parseInt(e.getKey()), e.getValue().getAsString())));
        parts.sort(Map.Entry.comparingByKey());
        if (chunk <= 0 || parts.size() != (i.size() + chunk - 1) / chunk) {
            throw new UserError(settings.endpoint() + ": invalid answer to the large-file upload of "
                    + i.addition().path() + " (" + parts.size() + " parts of " + chunk + " bytes)");
        }
        JsonArray done = new JsonArray();
        for (int k = 0; k < parts.size(); k++) {
            long from = k * chunk;
            Answer put = put(URI.create(parts.get(k).getValue()), i.addition().file(), from,
                    Math.min(chunk, i.size() - from), p);
            check(put, t, "upload part " + (k + 1) + " of " + i.addition().path());
            JsonObject part = new JsonObject();
            part.addProperty("partNumber", k + 1);
            part.addProperty("etag", put.etag());
            done.add(part);
        }
        JsonObject completion = new JsonObject();
        completion.addProperty("oid", i.sha256());
        completion.add("parts", done);
        Answer a = send("POST", href, "application/vnd.git-lfs+json", completion.toString().getBytes(
                StandardCharsets.UTF_8), Auth.NONE);
        check(a, t, "complete the upload of " + i.addition().path());
    }

    private JsonObject commit(Target t, List<Info> infos, Map<String, String> modes) {
        StringBuilder nd = new StringBuilder();
        JsonObject header = new JsonObject();
        header.addProperty("summary", t.message());
        header.addProperty("description", "");
        nd.append(line("header", header));
        for (Info i : infos) {
            JsonObject v = new JsonObject();
            v.addProperty("path", i.addition().path());
            if ("lfs".equals(modes.get(i.addition().path()))) {
                v.addProperty("algo", "sha256");
                v.addProperty("oid", i.sha256());
                v.addProperty("size", i.size());
                nd.append(line("lfsFile", v));
            } else {
                try {
                    v.addProperty("content", Base64.getEncoder().encodeToString(Files.readAllBytes(i.addition()
                            .file())));
                } catch (IOException e) {
                    throw new UserError(i.addition().file() + ": cannot read: " + e.getMessage(), e);
                }
                v.addProperty("encoding", "base64");
                nd.append(line("file", v));
            }
        }
        Answer a = send("POST", api("models/" + t.repo() + "/commit/" + enc(t.revision())
                + (t.createPr() ? "?create_pr=1" : "")), "application/x-ndjson",
                nd.toString().getBytes(StandardCharsets.UTF_8), Auth.BEARER);
        check(a, t, "commit");
        return a.json(t);
    }

    private static String line(String key, JsonObject value) {
        JsonObject o = new JsonObject();
        o.addProperty("key", key);
        o.add("value", value);
        return o + "\n";
    }

    private URI api(String path) {
        return URI.create(settings.endpoint() + "/api/" + path);
    }

    /** A revision as one path segment, as huggingface_hub quotes it ({@code safe=""}). */
    private static String enc(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8).replace("+", "%20");
    }

    /** A status and body; 2xx is success. */
    record Answer(int status, String body, String errorCode, String etag, URI uri) {
        JsonObject json(Target t) {
            try {
                return JsonParser.parseString(body).getAsJsonObject();
            } catch (RuntimeException e) {
                throw new UserError(uri + ": the answer is not JSON; is HF_ENDPOINT a HuggingFace Hub?");
            }
        }
    }

    /** Turns a failed answer into a one-line error naming the repo, the step and the token's source. */
    private void check(Answer a, Target t, String what) {
        if (a.status() >= 200 && a.status() < 300) {
            return;
        }
        String server = serverMessage(a);
        if (a.status() == 401) {
            throw new UserError(settings.endpoint() + " refused the token from " + settings.tokenSource()
                    + " (HTTP 401 to " + what + " of " + t.repo() + "): it is invalid or expired; create a write token"
                    + " at " + settings.endpoint() + "/settings/tokens");
        }
        if (a.status() == 403) {
            throw new UserError("the token from " + settings.tokenSource() + " may not write to " + t.repo() + " on "
                    + settings.endpoint() + " (HTTP 403 to " + what + server + "): the repo or its namespace belongs"
                    + " to someone else, or the token is read-only; push to a repo of yours or use a write token");
        }
        if (a.status() == 404) {
            throw new UserError(t.repo() + " on " + settings.endpoint() + ": not found (HTTP 404 to " + what + server
                    + ")" + ("RevisionNotFound".equals(a.errorCode()) ? "; check --revision" : ""));
        }
        throw new UserError(t.repo() + " on " + settings.endpoint() + ": HTTP " + a.status() + " to " + what + server);
    }

    private static String serverMessage(Answer a) {
        try {
            JsonObject o = JsonParser.parseString(a.body()).getAsJsonObject();
            if (o.has("error") && o.get("error").isJsonPrimitive()) {
                return ": " + o.get("error").getAsString().lines().findFirst().orElse("");
            }
        } catch (RuntimeException e) {
            // no JSON error body
        }
        return "";
    }

    private enum Auth { NONE, BEARER, LFS, VERIFY }

    private interface Request {
        Answer run() throws IOException;
    }

    /**
     * Runs {@code r} up to {@code attempts} times with doubling waits between, on 5xx/429 answers, timeouts and cut
     * connections; a refused connection or unknown host is not retried (the network or HF_ENDPOINT is wrong).
     */
    private Answer retrying(String what, Request r) {
        IOException last = null;
        for (int attempt = 1; attempt <= settings.attempts(); attempt++) {
            if (attempt > 1) {
                client.pause(attempt - 1);
            }
            try {
                return r.run();
            } catch (ConnectException | UnknownHostException | NoRouteToHostException e) {
                throw new HubClient.Unreachable(HubClient.why(e), e);
            } catch (IOException e) {
                last = e;
            }
        }
        if (last instanceof HubClient.RetryableStatus s) {
            throw new UserError(settings.endpoint() + " answered HTTP " + s.status + " to " + what + " "
                    + settings.attempts() + " times: the Hub may be down; push again later (files it already has are"
                    + " not sent twice)");
        }
        throw new HubClient.Unreachable(what + " failed " + settings.attempts() + " times, last: "
                + HubClient.why(last), last);
    }

    private Answer send(String method, URI uri, String type, byte[] body, Auth auth) {
        return retrying(method + " " + uri.getPath(), () -> {
            HttpURLConnection c = open(uri, method, auth);
            if (type != null) {
                c.setRequestProperty("Content-Type", type);
                c.setRequestProperty("Accept", type.startsWith("application/vnd.git-lfs") ? type : "application/json");
            }
            if (body != null) {
                c.setDoOutput(true);
                c.setFixedLengthStreamingMode(body.length);
                try (OutputStream out = c.getOutputStream()) {
                    out.write(body);
                }
            }
            return answer(c, uri);
        });
    }

    /** PUTs {@code length} bytes of {@code file} from {@code offset}; a cut connection starts the part again. */
    private Answer put(URI uri, Path file, long offset, long length, Progress p) {
        return retrying("PUT " + uri.getPath(), () -> {
            HttpURLConnection c = open(uri, "PUT", Auth.NONE);
            c.setDoOutput(true);
            c.setFixedLengthStreamingMode(length);
            long sent = 0;
            try (InputStream in = Files.newInputStream(file); OutputStream out = c.getOutputStream()) {
                in.skipNBytes(offset);
                byte[] buf = new byte[1 << 16];
                while (sent < length) {
                    int n = in.read(buf, 0, (int) Math.min(buf.length, length - sent));
                    if (n < 0) {
                        throw new UserError(file + ": changed while it was uploaded; push again");
                    }
                    out.write(buf, 0, n);
                    sent += n;
                    p.advance(n);
                }
            } catch (IOException e) {
                p.advance(-sent);
                c.disconnect();
                throw e;
            }
            return answer(c, uri);
        });
    }

    private HttpURLConnection open(URI uri, String method, Auth auth) throws IOException {
        HttpURLConnection c = (HttpURLConnection) uri.toURL().openConnection();
        c.setRequestMethod(method);
        c.setInstanceFollowRedirects(false);
        int timeout = (int) settings.downloadTimeout().toMillis();
        c.setConnectTimeout(timeout);
        c.setReadTimeout(Math.max(timeout, 60_000));
        c.setRequestProperty("User-Agent", "bert-ft; hf_hub-compatible");
        // the token goes to the Hub itself only, never to the storage URLs it hands out
        if (auth != Auth.NONE && HubClient.sameOrigin(uri, settings.endpoint())) {
            String user = auth == Auth.LFS ? "access_token" : "USER";
            c.setRequestProperty("Authorization", auth == Auth.BEARER ? "Bearer " + settings.token()
                    : "Basic " + Base64.getEncoder().encodeToString((user + ":" + settings.token())
                            .getBytes(StandardCharsets.UTF_8)));
        }
        return c;
    }

    /** The answer; 5xx and 429 throw so that {@link HubClient#retrying} tries again. */
    private static Answer answer(HttpURLConnection c, URI uri) throws IOException {
        try {
            int status = c.getResponseCode();
            if (status >= 500 || status == 429) {
                throw new HubClient.RetryableStatus(status, uri);
            }
            InputStream in = status >= 400 ? c.getErrorStream() : c.getInputStream();
            String body = in == null ? "" : new String(in.readAllBytes(), StandardCharsets.UTF_8);
            String etag = c.getHeaderField("ETag");
            return new Answer(status, body, c.getHeaderField("X-Error-Code"), etag, uri);
        } finally {
            c.disconnect();
        }
    }
}
