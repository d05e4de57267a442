package bertft.hub;

import bertft.UserError;
import java.io.IOException;
import java.io.InputStream;
import java.net.ConnectException;
import java.net.HttpURLConnection;
import java.net.NoRouteToHostException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Objects;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The Hub's file endpoints, {@code {endpoint}/{repo}/resolve/{revision}/{file}}, as huggingface_hub uses them: a
 * HEAD for the commit, ETag and size (read from the redirect itself for LFS files, which point to a CDN), then a
 * GET of the file, resumed with a Range header. 5xx and 429 answers, timeouts and cut connections are retried
 * with exponential back-off; the token is only ever sent to the endpoint's own origin.
 */
public final class HubClient {
    private static final Pattern CONTENT_RANGE = Pattern.compile("bytes (\\d+)-(\\d+)/(\\d+|\\*)");
    private static final int MAX_REDIRECTS = 10;

    private final HubSettings settings;

    public HubClient(HubSettings settings) {
        this.settings = settings;
    }

    public HubSettings settings() {
        return settings;
    }

    /**
     * What a HEAD said about a file. {@code exists} is false for a file the repo does not have (its commit may
     * then be null); {@code size} is -1 when unknown; {@code location} is where to GET it.
     */
    public record FileMeta(String file, boolean exists, String commit, String etag, long size, URI location) {}

    /** The network could not be reached at all (no route, refused, unknown host, timed out on every try). */
    static final class Unreachable extends RuntimeException {
        private static final long serialVersionUID = 1L;

        Unreachable(String message, Throwable cause) {
            super(message, cause);
        }
    }

    /** A status worth retrying (5xx, 429). */
    static final class RetryableStatus extends IOException {
        private static final long serialVersionUID = 1L;
        final int status;

        RetryableStatus(int status, URI uri) {
            super("HTTP " + status + " from " + uri);
            this.status = status;
        }
    }

    /** The URL of a file at a revision; the revision is one path segment (a slash in it is encoded). */
    public URI resolveUrl(HubId id, String revision, String file) {
        StringBuilder sb = new StringBuilder(settings.endpoint().toString()).append('/').append(id.repo())
                .append("/resolve/").append(encode(revision));
        for (String part : file.split("/")) {
            sb.append('/').append(encode(part));
        }
        return URI.create(sb.toString());
    }

    private static String encode(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8).replace("+", "%20");
    }

    /** The metadata of {@code file} at {@code revision}; errors for unknown repos and revisions, and for auth. */
    public FileMeta head(HubId id, String revision, String file) {
        URI uri = resolveUrl(id, revision, file);
        for (int hop = 0; hop <= MAX_REDIRECTS; hop++) {
            URI target = uri;
            HttpURLConnection c = retrying("HEAD " + target, attempt -> {
                HttpURLConnection h = open(target, "HEAD", 0, settings.metadataTimeout());
                int status = h.getResponseCode();
                if (status >= 500 || status == 429) {
                    h.disconnect();
                    throw new RetryableStatus(status, target);
                }
                return h;
            });
            try {
                int status = c.getResponseCode();
                String location = c.getHeaderField("Location");
                if (status >= 300 && status < 400 && location != null && URI.create(location).getHost() == null) {
                    // a relative redirect is a renamed repo: follow it for the metadata
                    uri = target.resolve(location);
                    continue;
                }
                if (status >= 400) {
                    return missingOrFail(status, c, id, revision, file);
                }
                String commit = c.getHeaderField("X-Repo-Commit");
                String etag = etag(c.getHeaderField("X-Linked-Etag") != null ? c.getHeaderField("X-Linked-Etag")
                        : c.getHeaderField("ETag"));
                if (commit == null || etag == null) {
                    throw new UserError(target + ": the answer has no " + (commit == null ? "X-Repo-Commit" : "ETag")
                            + " header; is HF_ENDPOINT (" + settings.endpoint() + ") a HuggingFace Hub?");
                }
                String size = c.getHeaderField("X-Linked-Size") != null ? c.getHeaderField("X-Linked-Size")
                        : c.getHeaderField("Content-Length");
                URI get = status >= 300 && location != null ? target.resolve(location) : target;
                return new FileMeta(file, true, HubCache.checkName(commit, "commit"), HubCache.checkName(etag, "ETag"),
                        size == null ? -1 : Long.parseLong(size.strip()), get);
            } catch (IOException e) {
                throw new Unreachable(why(e), e);
            } catch (NumberFormatException e) {
                throw new UserError(target + ": unreadable size header: " + e.getMessage());
            } finally {
                c.disconnect();
            }
        }
        throw new UserError(resolveUrl(id, revision, file) + ": more than " + MAX_REDIRECTS + " redirects");
    }

    /** The ETag without weak marker and quotes, as huggingface_hub names blobs. */
    static String etag(String header) {
        if (header == null) {
            return null;
        }
        String e = header.strip();
        if (e.startsWith("W/")) {
            e = e.substring(2);
        }
        return e.replace("\"", "");
    }

    private FileMeta missingOrFail(int status, HttpURLConnection c, HubId id, String revision, String file) {
        String code = Objects.requireNonNullElse(c.getHeaderField("X-Error-Code"), "");
        String where = "model '" + id.repo() + "' (revision " + revision + ")";
        boolean token = settings.token() != null;
        if (code.equals("RepositoryNotFound") && (status == 401 || status == 404)) {
            throw new UserError(where + " not found on " + settings.endpoint() + ": check the id, or set HF_TOKEN if it"
                    + " is private" + (token ? " (a token is set: it may lack access to this repo)" : ""));
        }
        if (code.equals("RevisionNotFound")) {
            throw new UserError(where + ": no such revision on " + settings.endpoint() + ": check the branch, tag or"
                    + " commit after '@'");
        }
        if (code.equals("GatedRepo")) {
            throw new UserError(where + " is gated: accept its conditions on " + settings.endpoint() + "/" + id.repo()
                    + ", then set HF_TOKEN to a token of that account");
        }
        if (status == 401 || status == 403) {
            throw new UserError(where + " on " + settings.endpoint() + " needs authentication (HTTP " + status + "): "
                    + (token ? "the token in HF_TOKEN (or the HF token file) was refused; check that it can read this"
                            + " repo" : "set HF_TOKEN to an access token that can read it"));
        }
        if (status == 404) {
            String commit = c.getHeaderField("X-Repo-Commit");
            return new FileMeta(file, false, commit == null ? null : HubCache.checkName(commit, "commit"), null, -1,
                    null);
        }
        throw new UserError(resolveUrl(id, revision, file) + ": HTTP " + status);
    }

    /** An open GET: the status (200 or 206), the offset its body starts at, its length (-1: unknown) and body. */
    record Body(HttpURLConnection connection, long start, long length, InputStream in) implements AutoCloseable {
        @Override
        public void close() {
            try {
                in.close();
            } catch (IOException e) {
                // the connection is dropped below anyway
            }
            connection.disconnect();
        }
    }

    /**
     * Starts a GET of {@code uri} from byte {@code offset}, following redirects. A server that ignores the Range
     * answers 200, so the body then starts at 0. IOExceptions (including {@link RetryableStatus}) are worth a
     * retry; {@link Unreachable} and {@link UserError} are not.
     */
    Body get(URI uri, long offset) throws IOException {
        URI target = uri;
        for (int hop = 0; hop <= MAX_REDIRECTS; hop++) {
            HttpURLConnection c = connect(target, "GET", offset, settings.downloadTimeout());
            int status = c.getResponseCode();
            if (status >= 300 && status < 400 && c.getHeaderField("Location") != null) {
                target = target.resolve(c.getHeaderField("Location"));
                c.disconnect();
                continue;
            }
            if (status >= 500 || status == 429) {
                c.disconnect();
                throw new RetryableStatus(status, target);
            }
            if (status == 416 && offset > 0) {
                // the partial file is as long as the whole one, or longer: start over
                c.disconnect();
                return get(target, 0);
            }
            if (status == 206) {
                Matcher m = CONTENT_RANGE.matcher(Objects.requireNonNullElse(c.getHeaderField("Content-Range"), ""));
                long start = m.matches() ? Long.parseLong(m.group(1)) : -1;
                if (start != offset) {
                    c.disconnect();
                    return get(target, 0);
                }
                return new Body(c, start, c.getContentLengthLong(), c.getInputStream());
            }
            if (status == 200) {
                return new Body(c, 0, c.getContentLengthLong(), c.getInputStream());
            }
            c.disconnect();
            if (status == 401 || status == 403 || status == 404) {
                throw new UserError(target.getScheme() + "://" + target.getAuthority() + target.getPath() + ": HTTP "
                        + status + " while downloading" + (settings.token() == null ? ": set HF_TOKEN if the repo is"
                        + " private or gated" : ""));
            }
            throw new UserError(target + ": HTTP " + status + " while downloading");
        }
        throw new UserError(uri + ": more than " + MAX_REDIRECTS + " redirects");
    }

    private HttpURLConnection connect(URI uri, String method, long offset, Duration timeout) throws IOException {
        try {
            HttpURLConnection c = open(uri, method, offset, timeout);
            c.getResponseCode();
            return c;
        } catch (ConnectException | UnknownHostException | NoRouteToHostException e) {
            throw new Unreachable(why(e), e);
        }
    }

    /** A network failure in words, without Java's exception names. */
    static String why(IOException e) {
        String m = e.getMessage() == null ? "" : e.getMessage().lines().findFirst().orElse("");
        if (e instanceof UnknownHostException) {
            return "unknown host " + m;
        }
        if (e instanceof ConnectException) {
            return "connection refused" + (m.isEmpty() || m.equalsIgnoreCase("connection refused") ? "" : " (" + m + ")");
        }
        if (e instanceof NoRouteToHostException) {
            return "no route to host";
        }
        if (e instanceof java.net.SocketTimeoutException || e instanceof java.net.http.HttpTimeoutException) {
            return "timed out";
        }
        if (e instanceof javax.net.ssl.SSLException) {
            return "TLS failed: " + m;
        }
        return m.isEmpty() ? "network error" : m;
    }

    private HttpURLConnection open(URI uri, String method, long offset, Duration timeout) throws IOException {
        HttpURLConnection c = (HttpURLConnection) uri.toURL().openConnection();
        c.setRequestMethod(method);
        c.setInstanceFollowRedirects(false);
        c.setConnectTimeout((int) timeout.toMillis());
        c.setReadTimeout((int) timeout.toMillis());
        c.setRequestProperty("User-Agent", "bert-ft; hf_hub-compatible");
        c.setRequestProperty("Accept-Encoding", "identity");
        if (settings.token() != null && sameOrigin(uri, settings.endpoint())) {
            c.setRequestProperty("Authorization", "Bearer " + settings.token());
        }
        if (offset > 0) {
            c.setRequestProperty("Range", "bytes=" + offset + "-");
        }
        return c;
    }

    /** Scheme, host and port equal: only then may the token go along (a CDN redirect never gets it). */
    static boolean sameOrigin(URI a, URI b) {
        return a.getScheme().equalsIgnoreCase(b.getScheme()) && a.getHost().equalsIgnoreCase(b.getHost())
                && port(a) == port(b);
    }

    private static int port(URI u) {
        return u.getPort() >= 0 ? u.getPort() : u.getScheme().equalsIgnoreCase("https") ? 443 : 80;
    }

    /** One try of a request. */
    interface Attempt<T> {
        T run(int attempt) throws IOException;
    }

    /**
     * Runs {@code op} up to {@code attempts} times, waiting {@code baseDelay * 2^(n-1)} before the n-th retry.
     * Refused connections and unknown hosts are not retried: the network is down or HF_ENDPOINT is wrong.
     */
    <T> T retrying(String what, Attempt<T> op) {
        IOException last = null;
        for (int attempt = 1; attempt <= settings.attempts(); attempt++) {
            if (attempt > 1) {
                pause(attempt - 1);
            }
            try {
                return op.run(attempt);
            } catch (ConnectException | UnknownHostException | NoRouteToHostException e) {
                throw new Unreachable(why(e), e);
            } catch (IOException e) {
                last = e;
            }
        }
        throw giveUp(what, last);
    }

    /** The error after the last try failed with {@code last}. */
    RuntimeException giveUp(String what, IOException last) {
        if (last instanceof RetryableStatus s) {
            return new UserError(settings.endpoint() + " answered HTTP " + s.status + " to " + what + " "
                    + settings.attempts()
                    + " times: the Hub may be down; try again later, or use --offline with a model in the cache");
        }
        return new Unreachable(what + " failed " + settings.attempts() + " times, last: " + why(last), last);
    }

    /** Waits before retry number {@code n} (1-based). */
    void pause(int n) {
        try {
            Thread.sleep(settings.baseDelay().toMillis() << Math.min(n - 1, 10));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new UserError("interrupted while waiting to retry a download");
        }
    }
}
