package bertft.serve;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import bertft.Tiny;
import bertft.api.ModelOptions;
import bertft.api.Prediction;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code serve} against slow, malformed and hostile clients, over raw sockets: it keeps answering others, answers
 * JSON (never the HTML of an exception), and frees what such clients hold.
 */
class HostileClientsTest {
    @TempDir
    static Path tmp;
    static Path clf;
    static Backend backend;

    @BeforeAll
    static void model() {
        clf = Tiny.classifier(tmp.resolve("clf"), 5, "neg", "pos");
    }

    @AfterAll
    static void close() {
        if (backend != null) {
            backend.close();
        }
    }

    static Server.Settings settings(int maxConnections) {
        return new Server.Settings("127.0.0.1", 0, 8, 1, 1 << 16, 8, maxConnections);
    }

    static Server server(Backend b, Server.Settings set, Jetty.Timeouts t, long healthMs) {
        return new Server(b, set, Server.bind(set), t, healthMs);
    }

    /** A backend that the test can break and mend, counting model calls; it shares the real model. */
    static final class Switchable extends Backend {
        final AtomicBoolean broken = new AtomicBoolean();
        final AtomicInteger calls = new AtomicInteger();
        volatile long delayMs;

        Switchable(Backend real) {
            super(real);
        }

        @Override
        List<Prediction> predict(List<Text> inputs) {
            calls.incrementAndGet();
            try {
                Thread.sleep(delayMs);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            if (broken.get()) {
                throw new IllegalStateException("ORT_RUNTIME_EXCEPTION in node /bert/Gather_7, /srv/models/m.onnx");
            }
            return super.predict(inputs);
        }

        @Override
        public synchronized void close() {
            // the shared real model is closed once, at the end
        }
    }

    static synchronized Backend real() {
        if (backend == null) {
            backend = new Backend(clf.toString(), ModelOptions.defaults());
        }
        return backend;
    }

    /** A parsed HTTP answer. */
    record Answer(int status, Map<String, String> headers, String body) {
        JsonObject json() {
            assertTrue(headers.getOrDefault("content-type", "").startsWith("application/json"), headers.toString());
            return JsonParser.parseString(body).getAsJsonObject();
        }
    }

    /** Sends {@code request} as is and reads the answer (the whole connection, until closed or 5 s pass). */
    static Answer raw(Server s, byte[] request) throws IOException {
        try (Socket c = new Socket()) {
            c.connect(new InetSocketAddress("127.0.0.1", s.port()), 5_000);
            c.setSoTimeout(5_000);
            c.getOutputStream().write(request);
            c.getOutputStream().flush();
            c.shutdownOutput(); // a request cut short ends here rather than at a deadline
            return read(c.getInputStream());
        }
    }

    static Answer raw(Server s, String request) throws IOException {
        return raw(s, request.getBytes(StandardCharsets.ISO_8859_1));
    }

    static Answer read(InputStream in) throws IOException {
        return read(in, false);
    }

    /** One answer: status line, headers, Content-Length bytes of body (none for HEAD). */
    static Answer read(InputStream in, boolean head) throws IOException {
        String status = line(in);
        Map<String, String> headers = new LinkedHashMap<>();
        for (String h = line(in); !h.isEmpty(); h = line(in)) {
            int colon = h.indexOf(':');
            headers.put(h.substring(0, colon).toLowerCase(Locale.ROOT), h.substring(colon + 1).strip());
        }
        byte[] body = head ? new byte[0] : in.readNBytes(Integer.parseInt(headers.getOrDefault("content-length", "0")));
        return new Answer(Integer.parseInt(status.split(" ")[1]), headers, new String(body, StandardCharsets.UTF_8));
    }

    static String line(InputStream in) throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        for (int c = in.read(); c != '\n'; c = in.read()) {
            if (c < 0) {
                throw new IOException("closed after '" + b + "'");
            }
            b.write(c);
        }
        return b.toString(StandardCharsets.ISO_8859_1).stripTrailing();
    }

    static Answer get(Server s, String path) throws IOException {
        return raw(s, "GET " + path + " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    }

    static Answer post(Server s, String path, byte[] body) throws IOException {
        ByteArrayOutputStream r = new ByteArrayOutputStream();
        r.writeBytes(("POST " + path + " HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: "
                + body.length + "\r\nConnection: close\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1));
        r.writeBytes(body);
        return raw(s, r.toByteArray());
    }

    static Answer post(Server s, String path, String body) throws IOException {
        return post(s, path, body.getBytes(StandardCharsets.UTF_8));
    }

    /** Opens {@code n} connections that each send {@code bytes} and then nothing. */
    static List<Socket> slow(Server s, int n, String bytes) throws IOException {
        List<Socket> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            Socket c = new Socket("127.0.0.1", s.port());
            c.getOutputStream().write(bytes.getBytes(StandardCharsets.ISO_8859_1));
            c.getOutputStream().flush();
            out.add(c);
        }
        return out;
    }

    static void closeAll(List<Socket> sockets) throws IOException {
        for (Socket c : sockets) {
            c.close();
        }
    }

    static void within(long ms, String what, ThrowingRunnable r) throws Exception {
        long start = System.nanoTime();
        r.run();
        long took = (System.nanoTime() - start) / 1_000_000;
        assertTrue(took < ms, what + " took " + took + " ms, more than " + ms);
    }

    interface ThrowingRunnable {
        void run() throws Exception;
    }

    static void awaitConnections(Server s, int n) throws InterruptedException {
        for (long end = System.nanoTime() + 10_000_000_000L; s.connections() != n; Thread.sleep(20)) {
            assertTrue(System.nanoTime() < end, s.connections() + " connections open, expected " + n);
        }
    }

    @Test
    void twoHundredSlowClientsHoldingConnectionsDoNotStopHealthOrPredict() throws Exception {
        Server.Settings set = settings(512);
        try (Server s = server(new Switchable(real()), set, Jetty.Timeouts.DEFAULT, 5_000)) {
            // half stop in the request line, half in a body they promised
            List<Socket> held = slow(s, 100, "P");
            held.addAll(slow(s, 100, "POST /predict HTTP/1.1\r\nHost: x\r\nContent-Length: 50\r\n\r\n{"));
            awaitConnections(s, 200);
            within(3_000, "/health", () -> assertEquals(200, get(s, "/health").status()));
            within(3_000, "/predict", () -> {
                Answer a = post(s, "/predict", "{\"inputs\": \"love it\"}");
                assertEquals(200, a.status(), a.body());
            });
            // the slow clients were still held (the answered ones may not have left yet)
            assertTrue(s.connections() >= 200, s.connections() + " connections");
            closeAll(held);
            awaitConnections(s, 0); // their threads noticed and left
            assertEquals(200, get(s, "/health").status());
        }
    }

    @Test
    void slowClientsMissTheirDeadlinesAndAreClosed() throws Exception {
        Server.Settings set = settings(512);
        Jetty.Timeouts quick = new Jetty.Timeouts(800, 800, 800);
        try (Server s = server(new Switchable(real()), set, quick, 5_000)) {
            List<Socket> held = slow(s, 100, "G"); // slow head
            held.addAll(slow(s, 50, "POST /predict HTTP/1.1\r\nHost: x\r\nContent-Length: 50\r\n\r\n{")); // slow body
            held.addAll(slow(s, 50, "")); // nothing at all
            long start = System.nanoTime();
            awaitConnections(s, 0);
            long took = (System.nanoTime() - start) / 1_000_000;
            assertTrue(took < 5_000, "closed after " + took + " ms");
            for (Socket c : held) {
                assertClosedByServer(c);
            }
            closeAll(held);
            assertEquals(200, get(s, "/health").status());
            assertEquals(200, post(s, "/predict", "{\"inputs\": \"love it\"}").status());
            // an idle kept-alive connection is closed after its deadline too
            try (Socket c = new Socket("127.0.0.1", s.port())) {
                c.setSoTimeout(5_000);
                c.getOutputStream().write("GET /health HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
                assertEquals(200, read(c.getInputStream()).status());
                assertEquals(-1, c.getInputStream().read());
            }
        }
    }

    @Test
    void clientsThatTrickleBytesAreCutOffByTheHeadAndBodyDeadlines() throws Exception {
        Server.Settings set = settings(64);
        // a byte every 300 ms never lets the 800 ms idle timeout fire
        try (Server s = server(new Switchable(real()), set, new Jetty.Timeouts(800, 800, 800), 5_000);
                Socket head = new Socket("127.0.0.1", s.port());
                Socket body = new Socket("127.0.0.1", s.port());
                Socket second = new Socket("127.0.0.1", s.port())) {
            body.getOutputStream().write("POST /predict HTTP/1.1\r\nHost: x\r\nContent-Length: 500\r\n\r\n{"
                    .getBytes(StandardCharsets.US_ASCII));
            // a kept-alive connection: one whole request answered, then the next head a byte at a time
            second.getOutputStream().write("GET /info HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            second.setSoTimeout(5_000);
            String status = new java.io.BufferedReader(new java.io.InputStreamReader(second.getInputStream(),
                    StandardCharsets.US_ASCII)).readLine();
            assertEquals("HTTP/1.1 200 OK", status);
            long start = System.nanoTime();
            boolean headOpen = true;
            boolean bodyOpen = true;
            boolean secondOpen = true;
            for (int i = 0; i < 20 && (headOpen || bodyOpen || secondOpen); i++) {
                Thread.sleep(300);
                try {
                    head.getOutputStream().write('G');
                } catch (IOException e) {
                    headOpen = false;
                }
                try {
                    body.getOutputStream().write(' ');
                } catch (IOException e) {
                    bodyOpen = false;
                }
                try {
                    second.getOutputStream().write('G');
                } catch (IOException e) {
                    secondOpen = false;
                }
            }
            long took = (System.nanoTime() - start) / 1_000_000;
            assertFalse(headOpen || bodyOpen || secondOpen, "still open after " + took + " ms: head " + headOpen
                    + ", body " + bodyOpen + ", second head " + secondOpen);
            for (Socket c : List.of(head, body)) { // closed without an answer
                assertClosedByServer(c);
            }
            awaitConnections(s, 0);
            assertEquals(200, get(s, "/health").status());
        }
    }

    @Test
    void pastMaxConnectionsTheAnswerIs503AtOnceAndServingResumes() throws Exception {
        Server.Settings set = settings(8);
        try (Server s = server(new Switchable(real()), set, Jetty.Timeouts.DEFAULT, 5_000)) {
            List<Socket> held = slow(s, 8, "P");
            awaitConnections(s, 8);
            for (int i = 0; i < 20; i++) { // the accepting thread answers each at once, never waits on a client
                within(2_000, "overload answer", () -> {
                    Answer a = get(s, "/health");
                    assertEquals(503, a.status(), a.body());
                    assertEquals("Overloaded", a.json().get("error_type").getAsString());
                    assertTrue(a.json().get("error").getAsString().contains("--max-connections"), a.body());
                    assertEquals("1", a.headers().get("retry-after"));
                });
            }
            closeAll(held);
            awaitConnections(s, 0);
            assertEquals(200, get(s, "/health").status());
            String metrics = get(s, "/metrics").body();
            assertTrue(metrics.contains("bertft_requests_total{route=\"other\",status=\"503\"} 20"), metrics);
        }
    }

    @Test
    void malformedHeadsAreJson400sWithoutExceptionNames() throws Exception {
        Server.Settings set = settings(64);
        try (Server s = server(new Switchable(real()), set, Jetty.Timeouts.DEFAULT, 5_000)) {
            // Jetty's words, one line each; HTTP/1.1 requests need a Host header (RFC 9112, 3.2)
            String[][] cases = {
                {"POST /predict HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n", "400", "Invalid Content-Length"},
                {"POST /predict HTTP/1.1\r\nHost: x\r\nContent-Length: 10^23\r\n\r\n", "400", "Invalid Content-Length"},
                {"POST /predict HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n", "400", "Invalid Content-Length"},
                {"POST /predict HTTP/1.1\r\nHost: x\r\nContent-Length: 100000000000000000000000\r\n\r\n", "400",
                    "request: Bad Request"},
                {"POST /predict HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\n", "413",
                    "body: larger than --max-body 65536 bytes"},
                {"POST /predict HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n", "400",
                    "Multiple Content-Lengths"},
                {"POST /predict HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n", "400",
                    "Transfer-Encoding and Content-Length"},
                {"POST /predict HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n\r\n", "400", "Bad Transfer-Encoding"},
                {"GET /%zz HTTP/1.1\r\nHost: x\r\n\r\n", "400", "request: Bad Request"},
                {"GET /health% HTTP/1.1\r\nHost: x\r\n\r\n", "400", "request: Bad Request"},
                {"GET /he\0alth HTTP/1.1\r\nHost: x\r\n\r\n", "400", "Illegal character CNTL=0x0"},
                {"GET /%00 HTTP/1.1\r\nHost: x\r\n\r\n", "400", "request: Bad Request"},
                {"GET /%ff HTTP/1.1\r\nHost: x\r\n\r\n", "400", "Bad UTF-8 encoding"},
                {"GET /health\r\n\r\n", "505", "HTTP/0.9 not supported"},
                {"GET health HTTP/1.1\r\nHost: x\r\n\r\n", "400", "request: Bad Request"},
                {"GET /health HTTP/2.0\r\n\r\n", "426", "Upgrade Required"},
                {"GET /health HTTP/1.1\r\n\r\n", "400", "No Host"},
                {"GET /health HTTP/1.1\r\nHost: x\r\nHost: y\r\n\r\n", "400", "Duplicate Host"},
                {"GET /health HTTP/1.1\r\nHost: x\r\nno colon\r\n\r\n", "400", "Illegal character"},
                {"GET /health HTTP/1.1\r\nHost: x\r\nX: a\0b\r\n\r\n", "400", "Illegal character CNTL=0x0"},
                {"BR@KEN /health HTTP/1.1\r\nHost: x\r\n\r\n", "400", "Illegal character"},
                {"GET /" + "a".repeat(20000) + " HTTP/1.1\r\nHost: x\r\n\r\n", "414", "URI Too Long"},
                {"GET /health HTTP/1.1\r\nHost: x\r\n" + ("X-A: " + "b".repeat(60) + "\r\n").repeat(300) + "\r\n", "431",
                    "Request Header Fields Too Large"},
                {"POST /predict HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", "400", "request: "},
            };
            for (String[] c : cases) {
                Answer a = raw(s, c[0]);
                String what = c[0].replace("\r\n", "|") + " -> " + a;
                assertEquals(Integer.parseInt(c[1]), a.status(), what);
                assertTrue(a.json().get("error").getAsString().contains(c[2]), what);
                assertFalse(a.body().contains("Exception") || a.body().contains("<h1>"), what);
                assertEquals("close", a.headers().get("connection"), what);
            }
            assertEquals(200, get(s, "/health").status());
        }
    }

    @Test
    void bodiesAreReadByContentLengthOrChunksAndHeadAnswersAsGetWithoutABody() throws Exception {
        Server.Settings set = settings(64);
        try (Server s = server(new Switchable(real()), set, Jetty.Timeouts.DEFAULT, 5_000)) {
            Answer chunked = raw(s, "POST /predict HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
                    + "8;ext=1\r\n{\"inputs\r\n9\r\n\": \"bad\"}\r\n0\r\nX-Trailer: y\r\n\r\n");
            assertEquals(200, chunked.status(), chunked.body());
            Answer chunkedTooLarge = raw(s, "POST /predict HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
                    + Integer.toHexString(70_000) + "\r\n" + "a".repeat(70_000) + "\r\n0\r\n\r\n");
            assertEquals(413, chunkedTooLarge.status(), chunkedTooLarge.body());
            assertEquals("body: larger than --max-body 65536 bytes", chunkedTooLarge.json().get("error").getAsString());
            // Expect: 100-continue (curl sends it for larger bodies) gets its interim answer first
            try (Socket c = new Socket("127.0.0.1", s.port())) {
                c.setSoTimeout(5_000);
                OutputStream out = c.getOutputStream();
                out.write(("POST /predict HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 19\r\n\r\n")
                        .getBytes(StandardCharsets.US_ASCII));
                assertEquals("HTTP/1.1 100 Continue", line(c.getInputStream()));
                assertEquals("", line(c.getInputStream()));
                out.write("{\"inputs\": \"love\"}\n".getBytes(StandardCharsets.US_ASCII));
                assertEquals(200, read(c.getInputStream()).status());
                // kept alive: a second request on the same connection
                out.write("HEAD /health HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
                assertEquals(200, read(c.getInputStream(), true).status());
                // and a third: so the HEAD answer carried no body (it would be read as this answer's start)
                out.write("GET /health HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
                Answer third = read(c.getInputStream());
                assertEquals(200, third.status());
                assertEquals("{\"status\":\"ok\"}", third.body());
            }
            // HTTP/1.0 keeps the connection only when asked, and is told so (closing is its default: no header)
            try (Socket c = new Socket("127.0.0.1", s.port())) {
                c.setSoTimeout(5_000);
                OutputStream out = c.getOutputStream();
                out.write("GET /health HTTP/1.0\r\nConnection: keep-alive\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
                assertEquals("keep-alive", read(c.getInputStream()).headers().get("connection"));
                out.write("GET /health HTTP/1.0\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
                assertFalse(read(c.getInputStream()).headers().containsKey("connection"));
                assertEquals(-1, c.getInputStream().read());
            }
            for (String route : List.of("/health", "/info", "/metrics")) {
                Answer g = get(s, route);
                try (Socket c = new Socket("127.0.0.1", s.port())) {
                    c.setSoTimeout(5_000);
                    c.getOutputStream().write(("HEAD " + route + " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
                            .getBytes(StandardCharsets.US_ASCII));
                    Answer h = read(c.getInputStream(), true);
                    assertEquals(200, h.status(), route);
                    assertEquals(g.headers().get("content-type"), h.headers().get("content-type"), route);
                    assertTrue(Integer.parseInt(h.headers().get("content-length")) > 0, route);
                    assertEquals(-1, c.getInputStream().read(), route + ": HEAD has no body");
                }
            }
            Answer headPost = raw(s, "HEAD /predict HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
            assertEquals(405, headPost.status());
            assertEquals("POST", headPost.headers().get("allow"));
            assertEquals("GET, HEAD", post(s, "/health", "{}").headers().get("allow"));
        }
    }

    @Test
    void invalidUtf8BodiesAre400NamingTheByte() throws Exception {
        Server.Settings set = settings(64);
        try (Server s = server(new Switchable(real()), set, Jetty.Timeouts.DEFAULT, 5_000)) {
            byte[] prefix = "{\"inputs\": \"caf".getBytes(StandardCharsets.UTF_8);
            for (byte[] bad : new byte[][] {{(byte) 0xe9}, {(byte) 0xc3}, {(byte) 0xff, 'x'}, {(byte) 0xed, (byte) 0xa0,
                (byte) 0x80}}) { // Latin-1 é, a cut sequence, never UTF-8, a surrogate
                byte[] body = new byte[prefix.length + bad.length + 2];
                System.arraycopy(prefix, 0, body, 0, prefix.length);
                System.arraycopy(bad, 0, body, prefix.length, bad.length);
                body[body.length - 2] = '"';
                body[body.length - 1] = '}';
                Answer a = post(s, "/predict", body);
                assertEquals(400, a.status(), a.body());
                assertTrue(a.json().get("error").getAsString().startsWith("body: not UTF-8 at byte " + prefix.length
                        + " (0x" + String.format("%02x", bad[0] & 0xff) + ")"), a.body());
            }
            assertEquals(200, post(s, "/predict", "{\"inputs\": \"café 😀\"}").status());
        }
    }

    @Test
    void healthRunsATestInputAndIs503WhenTheModelFails() throws Exception {
        Server.Settings set = settings(64);
        StringWriter log = new StringWriter();
        Backend logged = new Backend(clf.toString(), ModelOptions.defaults().withLog(new PrintWriter(log, true)));
        Switchable b = new Switchable(logged);
        try (logged; Server s = server(b, set, Jetty.Timeouts.DEFAULT, 1_000)) {
            assertEquals(200, get(s, "/health").status());
            assertEquals(1, b.calls.get(), "one test input");
            b.broken.set(true);
            Thread.sleep(Server.HEALTHY_FOR_MS + 100); // past what the last success vouches for
            Answer down = get(s, "/health");
            assertEquals(503, down.status(), down.body());
            assertEquals("Unhealthy", down.json().get("error_type").getAsString());
            assertEquals("the model failed on a test input; the server's log has the details",
                    down.json().get("error").getAsString());
            assertFalse(down.body().contains("Gather") || down.body().contains("/srv"), down.body());
            assertTrue(log.toString().contains("Gather_7"), log.toString());
            // a model that hangs: 503 after the health timeout, not a hung /health
            b.broken.set(false);
            b.delayMs = 3_000;
            within(2_500, "/health on a hanging model", () -> {
                Answer slow = get(s, "/health");
                assertEquals(503, slow.status(), slow.body());
                assertTrue(slow.json().get("error").getAsString().contains("did not answer a test input within 1000"
                        + " ms"), slow.body());
            });
            b.delayMs = 0;
            Thread.sleep(2_500); // the hanging test input finishes
            assertEquals(200, get(s, "/health").status());
            // many checks at once share the test inputs: a flood of /health is not a flood of model calls
            Thread.sleep(Server.HEALTHY_FOR_MS + 100);
            b.delayMs = 300;
            int before = b.calls.get();
            ExecutorService clients = Executors.newFixedThreadPool(16);
            try {
                List<Future<Answer>> all = new ArrayList<>();
                for (int i = 0; i < 64; i++) {
                    all.add(clients.submit(() -> get(s, "/health")));
                }
                for (Future<Answer> f : all) {
                    assertEquals(200, f.get(20, TimeUnit.SECONDS).status());
                }
            } finally {
                clients.shutdown();
            }
            assertTrue(b.calls.get() - before <= 2, (b.calls.get() - before) + " model calls for 64 checks");
        }
    }

    @Test
    void aModelThatCannotEmbedIsA500NamingTheRouteNotA422() throws Exception {
        Server.Settings set = settings(64);
        StringWriter log = new StringWriter();
        Backend logged = new Backend(clf.toString(), ModelOptions.defaults().withLog(new PrintWriter(log, true)));
        AtomicInteger loads = new AtomicInteger();
        Backend noEncoder = new Backend(logged) {
            @Override
            bertft.api.Embedder loadEmbedder() { // as an ONNX export without the encoder's output fails
                loads.incrementAndGet();
                throw new bertft.UserError("/srv/models/m/model.onnx: has no output 'sentence_embedding'");
            }
        };
        try (logged; Server s = server(noEncoder, set, Jetty.Timeouts.DEFAULT, 5_000)) {
            for (int i = 0; i < 2; i++) {
                Answer a = post(s, "/embed", "{\"inputs\": \"love it\"}");
                assertEquals(500, a.status(), a.body());
                assertEquals("Backend", a.json().get("error_type").getAsString());
                assertEquals("this model cannot serve /embed: its encoder could not be loaded for embeddings; the"
                        + " server's log has the details", a.json().get("error").getAsString());
            }
            assertEquals(1, loads.get(), "a failed load is not retried on every request");
            assertTrue(log.toString().contains("/srv/models/m/model.onnx: has no output 'sentence_embedding'"),
                    log.toString());
            assertEquals(200, post(s, "/predict", "{\"inputs\": \"love it\"}").status());
        }
    }

    @Test
    void seededRandomHeadsAlwaysGetJsonOrNothingAndTheServerKeepsServing() throws Exception {
        Server.Settings set = settings(64);
        Jetty.Timeouts quick = new Jetty.Timeouts(1_000, 1_000, 1_000);
        String[] valid = {
            "GET /health HTTP/1.1\r\nHost: x\r\n\r\n",
            "POST /predict HTTP/1.1\r\nHost: x\r\nContent-Length: 18\r\n\r\n{\"inputs\": \"bad\"}\n",
            "POST /predict HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n4\r\n{\"in\r\n0\r\n\r\n",
        };
        String alphabet = "\0\r\n :%/?#;,\t\u007f\u00ff0123456789abcdefGHPOST-Length";
        Random rng = new Random(32);
        try (Server s = server(new Switchable(real()), set, quick, 5_000)) {
            for (int i = 0; i < 300; i++) {
                StringBuilder r = new StringBuilder(valid[rng.nextInt(valid.length)]);
                for (int k = 1 + rng.nextInt(4); k > 0; k--) {
                    int at = rng.nextInt(r.length());
                    switch (rng.nextInt(3)) {
                        case 0 -> r.insert(at, alphabet.charAt(rng.nextInt(alphabet.length())));
                        case 1 -> r.deleteCharAt(at);
                        default -> r.setCharAt(at, alphabet.charAt(rng.nextInt(alphabet.length())));
                    }
                }
                String request = r.toString();
                Answer a;
                try {
                    a = raw(s, request.getBytes(StandardCharsets.ISO_8859_1));
                } catch (IOException e) {
                    continue; // closed without an answer (a request cut short): allowed
                }
                String what = request.replace("\r\n", "|") + " -> " + a;
                assertTrue(a.status() >= 200 && a.status() < 600 && a.status() != 500, what);
                assertTrue(a.headers().getOrDefault("content-type", "").startsWith("application/json"), what);
                JsonParser.parseString(a.body()); // JSON, whatever the status
                assertFalse(a.body().contains("Exception") || a.body().contains("<h1>"), what);
            }
            assertEquals(200, get(s, "/health").status());
            awaitConnections(s, 0);
        }
    }

    /** The server closed {@code c}: end of stream (or a reset), not a read timeout. */
    private static void assertClosedByServer(Socket c) throws IOException {
        c.setSoTimeout(2_000);
        try {
            assertEquals(-1, c.getInputStream().read());
        } catch (SocketTimeoutException e) {
            throw new AssertionError("still open", e);
        } catch (IOException e) {
            // reset: closed too
        }
    }
}
