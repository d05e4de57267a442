package bertft.serve;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.IntConsumer;

/**
 * The HTTP/1.1 side of {@link Server}: one thread per connection, at most {@code maxConnections} connections (more
 * are answered 503 by the accepting thread, which never waits on a client), a deadline on every read and write,
 * and JSON answers even for requests too broken to route.
 *
 * <p>Why not the JDK's {@code com.sun.net.httpserver}, which {@code serve} ran on before: it reads request heads on
 * its handler pool with no deadline (64 connections sending one byte each froze the server, {@code /health}
 * included), and it answers a malformed head ({@code Content-Length: abc}, {@code GET /%zz}) with an HTML page
 * naming a Java exception before any handler sees the request; its {@code sun.net.httpserver.*} properties are
 * read once per JVM, in whole seconds, and change neither.
 */
final class Http implements AutoCloseable {
    /**
     * Deadlines in milliseconds: for a request's line and headers (from its first byte; also for the first byte of
     * a connection's first request), for the next request on a kept-alive connection, for a body, for an answer
     * to be taken by the client. A connection that misses one is closed.
     */
    record Timeouts(long headMs, long idleMs, long bodyMs, long writeMs) {
        static final Timeouts DEFAULT = new Timeouts(10_000, 30_000, 30_000, 30_000);
    }

    /** A request: its method, its path (percent-decoded, without the query), headers by lower-case name, body. */
    record Request(String method, String path, Map<String, List<String>> headers, byte[] body) {
        String header(String name) {
            List<String> v = headers.get(name);
            return v == null ? null : v.get(0);
        }
    }

    /** An answer; {@code headers} are sent besides Content-Type and Content-Length. */
    record Reply(int status, String contentType, byte[] body, Map<String, String> headers) {
        static Reply json(int status, JsonElement body) {
            return new Reply(status, "application/json", body.toString().getBytes(StandardCharsets.UTF_8), Map.of());
        }
    }

    /** A request that cannot be served: the status and the message of its JSON error. */
    static final class HttpError extends RuntimeException {
        private static final long serialVersionUID = 1L;
        final int status;
        private final String type;
        private final Map<String, String> headers;

        HttpError(int status, String message) {
            this(status, message, switch (status) { // TEI's names
                case 429 -> "Overloaded";
                case 500 -> "Backend";
                case 503 -> "Unhealthy";
                default -> "Validation";
            }, Map.of());
        }

        HttpError(int status, String message, String type, Map<String, String> headers) {
            super(message, null, false, false);
            this.status = status;
            this.type = type;
            this.headers = headers;
        }

        Reply reply() {
            JsonObject o = new JsonObject();
            o.addProperty("error", getMessage());
            o.addProperty("error_type", type);
            Reply r = Reply.json(status, o);
            return new Reply(r.status(), r.contentType(), r.body(), headers);
        }
    }

    /** What answers requests; it runs on the connection's thread and may throw {@link HttpError}. */
    interface Handler {
        Reply handle(Request request);
    }

    private static final int MAX_LINE = 8192;
    private static final int MAX_HEAD = 65536;
    private static final int MAX_HEADER_LINES = 100;
    /** What is read and dropped of a refused request's body, so the client sees the answer, not a reset. */
    private static final long DRAIN = 16L << 20;

    private final ServerSocket listener;
    private final Handler handler;
    private final int maxConnections;
    private final long maxBody;
    private final Timeouts timeouts;
    private final IntConsumer refused;
    private final Set<Socket> open = ConcurrentHashMap.newKeySet();
    private final AtomicInteger busy = new AtomicInteger();
    private final ExecutorService threads;
    private final ScheduledThreadPoolExecutor watchdog;
    private final Thread acceptor;
    private volatile boolean closed;

    /**
     * Starts serving on {@code listener}; {@code refused} is told the status of every request answered here,
     * without reaching the handler (malformed, too large, too many connections).
     */
    Http(ServerSocket listener, Handler handler, int maxConnections, long maxBody, Timeouts timeouts,
            IntConsumer refused) {
        this.listener = listener;
        this.handler = handler;
        this.maxConnections = maxConnections;
        this.maxBody = maxBody;
        this.timeouts = timeouts;
        this.refused = refused;
        // unbounded on paper; the connection count bounds it (a thread per connection)
        this.threads = new ThreadPoolExecutor(0, Integer.MAX_VALUE, 30, TimeUnit.SECONDS, new SynchronousQueue<>(),
                daemon("bert-ft-http"));
        this.watchdog = new ScheduledThreadPoolExecutor(1, daemon("bert-ft-http-deadlines"));
        watchdog.setRemoveOnCancelPolicy(true);
        this.acceptor = daemon("bert-ft-http-accept").newThread(this::accept);
        acceptor.start();
    }

    private static java.util.concurrent.ThreadFactory daemon(String name) {
        return r -> {
            Thread t = new Thread(r, name);
            t.setDaemon(true);
            return t;
        };
    }

    /** The port listened on. */
    int port() {
        return listener.getLocalPort();
    }

    /** Requests read and not yet answered. */
    int busy() {
        return busy.get();
    }

    /** Connections open now. */
    int connections() {
        return open.size();
    }

    private void accept() {
        while (!closed) {
            Socket s;
            try {
                s = listener.accept();
            } catch (IOException e) {
                if (!closed) {
                    pause(); // e.g. out of file descriptors: try again shortly rather than spin
                }
                continue;
            }
            if (open.size() >= maxConnections) {
                overloaded(s);
                continue;
            }
            open.add(s);
            try {
                threads.execute(() -> serve(s));
            } catch (RejectedExecutionException e) { // closing
                open.remove(s);
                quietly(s);
            }
        }
    }

    private static void pause() {
        try {
            Thread.sleep(10);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /**
     * 503 without reading the request: a few hundred bytes into a fresh socket's empty send buffer never block
     * the accepting thread; the socket closes a second later, once the client has had the answer.
     */
    private void overloaded(Socket s) {
        refused.accept(503);
        try {
            OutputStream out = s.getOutputStream();
            out.write(bytes(new HttpError(503, "the server is busy: " + maxConnections + " connections are open, as"
                    + " many as --max-connections allows; try again shortly", "Overloaded",
                    Map.of("Retry-After", "1")).reply(), false, false, false));
            out.flush();
            s.shutdownOutput();
            watchdog.schedule(() -> quietly(s), 1, TimeUnit.SECONDS);
        } catch (IOException | RejectedExecutionException e) {
            quietly(s);
        }
    }

    private void serve(Socket s) {
        try (s) {
            s.setTcpNoDelay(true);
            InputStream in = new BufferedInputStream(s.getInputStream(), 8192);
            OutputStream out = new BufferedOutputStream(s.getOutputStream(), 8192);
            for (boolean first = true; !closed && exchange(s, in, out, first); first = false) {
                // next request on this connection
            }
        } catch (IOException | RejectedExecutionException e) {
            // the client went away or missed a deadline (or the server is closing): nothing to answer
        } finally {
            open.remove(s);
        }
    }

    /** One request and its answer; false when the connection is to close. */
    private boolean exchange(Socket s, InputStream in, OutputStream out, boolean first) throws IOException {
        int b;
        try (Deadline d = new Deadline(s, first ? timeouts.headMs() : timeouts.idleMs())) {
            b = in.read();
        }
        if (b < 0) {
            return false;
        }
        Request request;
        boolean keepAlive;
        boolean http10;
        try {
            Head head;
            try (Deadline d = new Deadline(s, timeouts.headMs())) {
                head = head(b, in);
            }
            if (head.expectsContinue) {
                try (Deadline d = new Deadline(s, timeouts.writeMs())) {
                    out.write("HTTP/1.1 100 Continue\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1));
                    out.flush();
                }
            }
            byte[] body;
            try (Deadline d = new Deadline(s, timeouts.bodyMs())) {
                body = head.chunked ? chunked(in) : fixed(in, head.length);
            }
            request = new Request(head.method, head.path, head.headers, body);
            keepAlive = head.keepAlive;
            http10 = head.http10;
        } catch (Refused e) {
            refused.accept(e.error.status);
            try (Deadline d = new Deadline(s, timeouts.writeMs())) {
                out.write(bytes(e.error.reply(), false, false, false));
                out.flush();
            }
            s.shutdownOutput();
            // whatever the client is still sending: a body too large may take a while, anything else not
            try (Deadline d = new Deadline(s, e.error.status == 413 ? timeouts.bodyMs() : Math.min(1000,
                    timeouts.bodyMs()))) {
                in.skipNBytes(Math.min(DRAIN, e.left));
            } catch (IOException x) {
                // gone, or sent less: either way done
            }
            return false;
        }
        busy.incrementAndGet();
        try {
            Reply r;
            try {
                r = handler.handle(request);
            } catch (HttpError e) {
                r = e.reply();
            }
            try (Deadline d = new Deadline(s, timeouts.writeMs())) {
                out.write(bytes(r, request.method().equals("HEAD"), keepAlive && !closed, http10));
                out.flush();
            }
        } finally {
            busy.decrementAndGet();
        }
        return keepAlive;
    }

    /** A request refused before the handler: its error, and how much of its body may still be on the way. */
    private static final class Refused extends Exception {
        private static final long serialVersionUID = 1L;
        final HttpError error;
        final long left;

        Refused(int status, String message, long left) {
            super(message, null, false, false);
            this.error = new HttpError(status, message);
            this.left = left;
        }

        Refused(int status, String message) {
            this(status, message, DRAIN);
        }
    }

    private record Head(String method, String path, Map<String, List<String>> headers, long length, boolean chunked,
            boolean keepAlive, boolean http10, boolean expectsContinue) {}

    /** The request line and headers, {@code first} being the first byte already read. */
    private Head head(int first, InputStream in) throws IOException, Refused {
        String line = line(first, in, 414);
        while (line.isEmpty()) { // a stray CRLF between requests is allowed (RFC 9112, 2.2)
            line = line(in.read(), in, 414);
        }
        String[] parts = line.split(" ", -1);
        if (parts.length != 3 || !token(parts[0])) {
            throw new Refused(400, "request line: expected METHOD /path HTTP/1.1, found '" + printable(line) + "'");
        }
        String version = parts[2];
        if (!version.equals("HTTP/1.1") && !version.equals("HTTP/1.0")) {
            throw new Refused(version.matches("HTTP/\\d(\\.\\d)?") ? 505 : 400, "request line: HTTP version '"
                    + printable(version) + "' is not supported; use HTTP/1.1");
        }
        String path = path(parts[1]);
        Map<String, List<String>> headers = new LinkedHashMap<>();
        int size = line.length();
        for (int n = 0;; n++) {
            String h = line(in.read(), in, 431);
            size += h.length() + 2;
            if (h.isEmpty()) {
                break;
            }
            if (size > MAX_HEAD || n >= MAX_HEADER_LINES) {
                throw new Refused(431, "request headers: more than " + MAX_HEADER_LINES + " lines or " + MAX_HEAD
                        + " bytes");
            }
            int colon = h.indexOf(':');
            if (colon <= 0 || !token(h.substring(0, colon))) {
                throw new Refused(400, "request headers: expected 'Name: value', found '" + printable(h) + "'");
            }
            String value = h.substring(colon + 1).strip();
            if (value.chars().anyMatch(c -> c < 0x20 && c != '\t' || c == 0x7f)) {
                throw new Refused(400, "header " + h.substring(0, colon) + ": a control character in its value");
            }
            headers.computeIfAbsent(h.substring(0, colon).toLowerCase(Locale.ROOT), k -> new ArrayList<>()).add(value);
        }
        List<String> te = headers.get("transfer-encoding");
        List<String> cl = headers.get("content-length");
        long length = 0;
        if (te != null) {
            if (cl != null) {
                throw new Refused(400, "request headers: both Transfer-Encoding and Content-Length; send one");
            }
            if (te.size() != 1 || !te.get(0).equalsIgnoreCase("chunked")) {
                throw new Refused(501, "Transfer-Encoding: '" + printable(String.join(", ", te)) + "' is not"
                        + " supported; send the body with Content-Length or Transfer-Encoding: chunked");
            }
        } else if (cl != null) {
            String v = cl.get(0);
            if (cl.stream().anyMatch(x -> !x.equals(v)) || !v.matches("\\d+")) {
                throw new Refused(400, "Content-Length: '" + printable(String.join(", ", cl)) + "' is not a number"
                        + " of bytes");
            }
            length = v.length() > 18 ? Long.MAX_VALUE : Long.parseLong(v);
            if (length > maxBody) {
                throw new Refused(413, tooLarge(), length);
            }
        }
        String connection = String.join(",", headers.getOrDefault("connection", List.of())).toLowerCase(Locale.ROOT);
        boolean keepAlive = version.equals("HTTP/1.1") ? !connection.contains("close") : connection.contains("keep-alive");
        String expect = headers.containsKey("expect") ? headers.get("expect").get(0) : "";
        return new Head(parts[0], path, headers, length, te != null, keepAlive, version.equals("HTTP/1.0"),
                expect.equalsIgnoreCase("100-continue") && (te != null || length > 0));
    }

    private String tooLarge() {
        return "body: larger than --max-body " + maxBody + " bytes";
    }

    /** The path of a request target, percent-decoded (UTF-8); the query is dropped. */
    private static String path(String target) throws Refused {
        String t = target;
        if (t.regionMatches(true, 0, "http://", 0, 7) || t.regionMatches(true, 0, "https://", 0, 8)) { // absolute form
            int slash = t.indexOf('/', t.indexOf("//") + 2);
            t = slash < 0 ? "/" : t.substring(slash);
        }
        int end = t.length();
        for (char c : new char[] {'?', '#'}) {
            end = t.indexOf(c) >= 0 ? Math.min(end, t.indexOf(c)) : end;
        }
        t = t.substring(0, end);
        if (!t.startsWith("/")) {
            throw new Refused(400, "request target '" + printable(target) + "': expected a path starting with /");
        }
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        for (int i = 0; i < t.length(); i++) {
            char c = t.charAt(i);
            if (c < 0x21 || c == 0x7f) {
                throw new Refused(400, "request target: a control character (0x" + String.format("%02x", (int) c)
                        + ") at position " + i + "; percent-encode it");
            }
            if (c == '%') {
                int hi = i + 2 < t.length() ? Character.digit(t.charAt(i + 1), 16) : -1;
                int lo = i + 2 < t.length() ? Character.digit(t.charAt(i + 2), 16) : -1;
                if (hi < 0 || lo < 0) {
                    throw new Refused(400, "request target: '" + printable(t.substring(i, Math.min(i + 3, t.length())))
                            + "' at position " + i + " is not percent-encoding (% and two hex digits)");
                }
                bytes.write(hi * 16 + lo);
                i += 2;
            } else {
                bytes.write(c); // the line was read as ISO-8859-1: one char per byte
            }
        }
        String path;
        try {
            path = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(bytes.toByteArray()))
                    .toString();
        } catch (CharacterCodingException e) {
            throw new Refused(400, "request target: not UTF-8 once percent-decoded");
        }
        if (path.codePoints().anyMatch(c -> c < 0x20 || c == 0x7f)) {
            throw new Refused(400, "request target: percent-encodes a control character");
        }
        return path;
    }

    /**
     * A line without its CRLF (or bare LF), as ISO-8859-1; {@code first} is its first byte, already read; one
     * longer than {@link #MAX_LINE} is refused with {@code status}.
     */
    private static String line(int first, InputStream in, int status) throws IOException, Refused {
        StringBuilder sb = new StringBuilder();
        for (int b = first;; b = in.read()) {
            if (b < 0) {
                throw new EOFException("the client closed the connection mid-request");
            }
            if (b == '\n') {
                int n = sb.length();
                return n > 0 && sb.charAt(n - 1) == '\r' ? sb.substring(0, n - 1) : sb.toString();
            }
            if (sb.length() >= MAX_LINE) {
                throw new Refused(status, "request: a line longer than " + MAX_LINE + " bytes");
            }
            sb.append((char) b);
        }
    }

    private static boolean token(String s) {
        return !s.isEmpty() && s.chars().allMatch(c -> c > 0x20 && c < 0x7f && "\"(),/:;<=>?@[\\]{}".indexOf(c) < 0);
    }

    /** {@code s} with control characters as \xNN, cut at 100 characters: for messages. */
    private static String printable(String s) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < s.length() && i < 100; i++) {
            char c = s.charAt(i);
            sb.append(c < 0x20 && c != '\t' || c == 0x7f ? String.format("\\x%02x", (int) c) : String.valueOf(c));
        }
        return s.length() > 100 ? sb + "..." : sb.toString();
    }

    private static byte[] fixed(InputStream in, long length) throws IOException {
        byte[] b = in.readNBytes((int) length); // at most --max-body, checked with the headers
        if (b.length < length) {
            throw new EOFException("the client closed the connection mid-body");
        }
        return b;
    }

    private byte[] chunked(InputStream in) throws IOException, Refused {
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        while (true) {
            String line = line(in.read(), in, 400);
            String size = line.split(";", 2)[0].strip();
            if (!size.matches("[0-9a-fA-F]{1,15}")) {
                throw new Refused(400, "chunked body: expected a chunk size in hex, found '" + printable(line) + "'");
            }
            long n = Long.parseLong(size, 16);
            if (n == 0) {
                while (!line(in.read(), in, 431).isEmpty()) {
                    // trailers: ignored
                }
                return body.toByteArray();
            }
            if (body.size() + n > maxBody) {
                throw new Refused(413, tooLarge());
            }
            body.write(fixed(in, n));
            if (!line(in.read(), in, 400).isEmpty()) {
                throw new Refused(400, "chunked body: a chunk longer than its size");
            }
        }
    }

    /** The answer on the wire; an HTTP/1.0 client keeps the connection only when told so. */
    private static byte[] bytes(Reply r, boolean head, boolean keepAlive, boolean http10) {
        StringBuilder h = new StringBuilder("HTTP/1.1 ").append(r.status()).append(' ').append(reason(r.status()))
                .append("\r\nContent-Type: ").append(r.contentType())
                .append("\r\nContent-Length: ").append(r.body().length).append("\r\n");
        r.headers().forEach((k, v) -> h.append(k).append(": ").append(v).append("\r\n"));
        h.append(!keepAlive ? "Connection: close\r\n" : http10 ? "Connection: keep-alive\r\n" : "").append("\r\n");
        byte[] top = h.toString().getBytes(StandardCharsets.ISO_8859_1);
        if (head) { // HEAD: GET's headers, Content-Length included, without the body
            return top;
        }
        byte[] all = java.util.Arrays.copyOf(top, top.length + r.body().length);
        System.arraycopy(r.body(), 0, all, top.length, r.body().length);
        return all;
    }

    private static String reason(int status) {
        return switch (status) {
            case 200 -> "OK";
            case 400 -> "Bad Request";
            case 404 -> "Not Found";
            case 405 -> "Method Not Allowed";
            case 413 -> "Content Too Large";
            case 414 -> "URI Too Long";
            case 422 -> "Unprocessable Content";
            case 429 -> "Too Many Requests";
            case 431 -> "Request Header Fields Too Large";
            case 500 -> "Internal Server Error";
            case 501 -> "Not Implemented";
            case 503 -> "Service Unavailable";
            case 505 -> "HTTP Version Not Supported";
            default -> "Status";
        };
    }

    /** Closes the socket unless cancelled first: a blocked read or write then fails and its thread moves on. */
    private final class Deadline implements AutoCloseable {
        private final ScheduledFuture<?> task;

        Deadline(Socket s, long ms) {
            this.task = watchdog.schedule(() -> quietly(s), ms, TimeUnit.MILLISECONDS);
        }

        @Override
        public void close() {
            task.cancel(false);
        }
    }

    private static void quietly(Socket s) {
        try {
            s.close();
        } catch (IOException e) {
            // closing anyway
        }
    }

    /** Stops accepting, closes every connection (answers in flight are the caller's to wait for) and the threads. */
    @Override
    public void close() {
        closed = true;
        try {
            listener.close();
        } catch (IOException e) {
            // closing anyway
        }
        try {
            acceptor.join(5_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        open.forEach(Http::quietly);
        threads.shutdown();
        watchdog.shutdownNow();
        try {
            threads.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
