package bertft.serve;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.IntConsumer;
import org.eclipse.jetty.http.HttpException;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.HttpStatus;
import org.eclipse.jetty.io.AbstractConnection;
import org.eclipse.jetty.io.Connection;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.io.EndPoint;
import org.eclipse.jetty.server.Connector;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.server.handler.ErrorHandler;
import org.eclipse.jetty.server.handler.SizeLimitHandler;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.thread.QueuedThreadPool;
import org.eclipse.jetty.util.thread.Scheduler;

/**
 * The HTTP/1.1 side of {@link Server}, on Eclipse Jetty's core API: a non-blocking connector (a slow client holds
 * a socket, never a thread), at most {@code maxConnections} connections (more are answered 503 at once), Jetty's
 * idle timeout plus deadlines for a first head and a whole body, and JSON answers even for requests Jetty refuses
 * before any handler sees them.
 *
 * <p>Requests are read and answered asynchronously: the body is collected by Jetty, {@link Route} returns a future
 * (the model call is batched by {@link DynamicBatcher}), and no thread waits on a client or on the model.
 */
final class Jetty implements AutoCloseable {
    /**
     * Deadlines in milliseconds: for a request's line and headers to arrive (on a new connection from its opening;
     * on a kept-alive one from the first byte of the next request), for any
     * read or write to make progress (Jetty's idle timeout: a kept-alive connection, a stalled head or body, a
     * client not taking its answer), and for a whole body to arrive. A connection that misses one is closed.
     */
    record Timeouts(long headMs, long idleMs, long bodyMs) {
        static final Timeouts DEFAULT = new Timeouts(10_000, 30_000, 30_000);
    }

    /** A request: its method, its path (percent-decoded, without the query) and its body. */
    record Request(String method, String path, byte[] body) {}

    /** What answers requests: it returns at once, the future completes with the answer (or an {@link HttpError}). */
    interface Route {
        CompletableFuture<Reply> handle(Request request);
    }

    /** Request line and headers, in bytes; beyond, 431 (or 414 for the line alone), as Jetty decides. */
    private static final int MAX_HEAD = 16384;

    private final org.eclipse.jetty.server.Server jetty;
    private final ServerConnector connector;
    private final int port;
    private final int maxConnections;
    private final long maxBody;
    private final Timeouts timeouts;
    private final IntConsumer refused;
    private final AtomicInteger open = new AtomicInteger();
    private final AtomicInteger busy = new AtomicInteger();
    private final Map<Connection, HeadWatch> watches = new java.util.concurrent.ConcurrentHashMap<>();

    /**
     * Starts serving on {@code listener}; {@code refused} is told the status of every request answered without
     * reaching {@code route} (malformed, too large, too many connections).
     */
    Jetty(ServerSocketChannel listener, Route route, int maxConnections, long maxBody, Timeouts timeouts,
            IntConsumer refused) {
        this.maxConnections = maxConnections;
        this.maxBody = maxBody;
        this.timeouts = timeouts;
        this.refused = refused;
        // threads parse and write; none waits on a client or the model, so a small pool serves every connection
        QueuedThreadPool threads = new QueuedThreadPool(32, 4);
        threads.setName("bert-ft-http");
        threads.setDaemon(true);
        jetty = new org.eclipse.jetty.server.Server(threads);
        HttpConfiguration config = new HttpConfiguration();
        config.setSendServerVersion(false);
        config.setRequestHeaderSize(MAX_HEAD);
        config.setIdleTimeout(timeouts.idleMs());
        // not setMinRequestDataRate: only Jetty's servlet layer reads it; and not MinimumDataRateHandler, whose rate
        // counts every request's bytes, so one slow client passes while others send; a body deadline instead
        connector = new ServerConnector(jetty, 1, 1, new Capped(config));
        connector.setIdleTimeout(timeouts.idleMs());
        jetty.addConnector(connector);
        SizeLimitHandler limit = new SizeLimitHandler(maxBody, -1);
        limit.setHandler(new Dispatch(route));
        jetty.setHandler(limit);
        jetty.setErrorHandler(new JsonErrors());
        try {
            connector.open(listener);
            jetty.start();
        } catch (Exception e) {
            close();
            throw new IllegalStateException("the HTTP server did not start: " + e.getMessage(), e);
        }
        port = connector.getLocalPort(); // the connector forgets it once closed
    }

    /** The port listened on. */
    int port() {
        return port;
    }

    /** Requests read and not yet answered. */
    int busy() {
        return busy.get();
    }

    /** Connections open now. */
    int connections() {
        return open.get();
    }

    private void answered(HeadWatch watch) {
        busy.decrementAndGet();
        if (watch != null && watch.inFlight.decrementAndGet() == 0) {
            watch.waitForNext();
        }
    }

    /**
     * The head deadline for every request of a connection: its first from the connection's opening, each later one
     * from the first byte of it that came while no request was being answered. Checked a few times a deadline, so a
     * head is cut off between one and one and a quarter deadlines after it began.
     */
    private final class HeadWatch implements Runnable {
        private final Connection connection;
        private final AtomicInteger inFlight = new AtomicInteger();
        private long messages;
        private long bytes;
        /** When the head being waited for began (nanoTime), or -1 while none is. */
        private long began = System.nanoTime();

        HeadWatch(Connection connection) {
            this.connection = connection;
        }

        void start() {
            connector.getScheduler().schedule(this, tick(), TimeUnit.MILLISECONDS);
        }

        /** The last request is answered: what the connection has read so far is not the next head. */
        synchronized void waitForNext() {
            messages = connection.getMessagesIn();
            bytes = connection.getBytesIn();
            began = -1;
        }

        private long tick() {
            return Math.max(1, timeouts.headMs() / 4);
        }

        @Override
        public synchronized void run() {
            EndPoint endPoint = connection.getEndPoint();
            if (!endPoint.isOpen()) {
                return;
            }
            long now = System.nanoTime();
            if (inFlight.get() > 0 || connection.getMessagesIn() != messages) {
                // a request came or is being answered: wait for the first byte of the next one
                messages = connection.getMessagesIn();
                bytes = connection.getBytesIn();
                began = -1;
            } else if (began < 0 && connection.getBytesIn() > bytes) {
                began = now;
            } else if (began >= 0 && now - began > timeouts.headMs() * 1_000_000L) {
                endPoint.close(new TimeoutException("head deadline"));
                return;
            }
            connector.getScheduler().schedule(this, tick(), TimeUnit.MILLISECONDS);
        }
    }

    private String tooLarge() {
        return "body: larger than --max-body " + maxBody + " bytes";
    }

    /** Reads the body without blocking, hands the request to {@link Route} and writes what it answers. */
    private final class Dispatch extends Handler.Abstract { // JSON is parsed here: not on Jetty's selector thread
        private final Route route;

        Dispatch(Route route) {
            this.route = route;
        }

        @Override
        public boolean handle(org.eclipse.jetty.server.Request request, Response response, Callback callback) {
            String method = request.getMethod();
            String path;
            try {
                path = path(request);
            } catch (HttpError e) {
                refused.accept(e.status);
                send(response, e.reply(), true, callback);
                return true;
            }
            busy.incrementAndGet();
            HeadWatch watch = watches.get(request.getConnectionMetaData().getConnection());
            if (watch != null) {
                watch.inFlight.incrementAndGet();
            }
            // the idle timeout alone would let a client that sends a byte now and then hold its connection for ever
            EndPoint endPoint = request.getConnectionMetaData().getConnection().getEndPoint();
            Scheduler.Task late = connector.getScheduler().schedule(() -> endPoint.close(new TimeoutException(
                    "body deadline")), timeouts.bodyMs(), TimeUnit.MILLISECONDS);
            Callback done = Callback.from(() -> {
                answered(watch);
                callback.succeeded();
            }, x -> {
                answered(watch);
                callback.failed(x);
            });
            // SizeLimitHandler refuses a body past --max-body first (413); this limit only bounds the array
            Content.Source.asByteArrayAsync(request, (int) Math.min(Integer.MAX_VALUE - 8, maxBody + 1))
                    .whenComplete((body, x) -> late.cancel())
                    .thenCompose(body -> route.handle(new Request(method, path, body)))
                    .whenComplete((reply, failure) -> {
                        if (failure == null) {
                            send(response, reply, false, done);
                        } else {
                            answerFailure(request, response, failure, done);
                        }
                    });
            return true;
        }

        /** A body that could not be read: Jetty's status in JSON; a client gone or past its deadline: nothing. */
        private void answerFailure(org.eclipse.jetty.server.Request request, Response response, Throwable failure,
                Callback done) {
            Throwable x = failure instanceof java.util.concurrent.CompletionException && failure.getCause() != null
                    ? failure.getCause() : failure;
            if (x instanceof HttpError e) {
                send(response, e.reply(), false, done);
            } else if (x instanceof HttpException h) {
                refused.accept(h.getCode());
                send(response, new HttpError(h.getCode(), message(h.getCode(), h.getReason())).reply(), true, done);
            } else { // timed out or closed mid-body: the connection goes without an answer (Jetty would write a 500)
                request.getConnectionMetaData().getConnection().getEndPoint().close(x);
                done.failed(x);
            }
        }
    }

    /** The path, percent-decoded by Jetty; one it would pass but no route can have is refused here. */
    private static String path(org.eclipse.jetty.server.Request request) {
        String raw = request.getHttpURI().getPath();
        if (raw == null || !raw.startsWith("/")) {
            throw new HttpError(400, "request target '" + printable(String.valueOf(raw)) + "': expected a path starting"
                    + " with /");
        }
        String path = request.getHttpURI().getDecodedPath();
        if (path.codePoints().anyMatch(c -> c < 0x20 || c == 0x7f)) {
            throw new HttpError(400, "request target: percent-encodes a control character");
        }
        return path;
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

    /** Writes {@code reply}; {@code close}: the request was refused, so the connection goes after the answer. */
    private static void send(Response response, Reply reply, boolean close, Callback callback) {
        response.setStatus(reply.status());
        response.getHeaders().put(HttpHeader.CONTENT_TYPE, reply.contentType());
        response.getHeaders().put(HttpHeader.CONTENT_LENGTH, reply.body().length);
        reply.headers().forEach(response.getHeaders()::put);
        if (close) {
            response.getHeaders().put(HttpHeader.CONNECTION, "close");
        }
        response.write(true, ByteBuffer.wrap(reply.body()), callback); // HEAD: Jetty sends the headers only
    }

    /**
     * What Jetty says of a request it refuses, as one line for a JSON error: its reason when it has one and names
     * no Java class, else the status's standard reason.
     */
    private String message(int status, String reason) {
        if (status == HttpStatus.PAYLOAD_TOO_LARGE_413) {
            return tooLarge();
        }
        String standard = HttpStatus.getMessage(status);
        if (reason == null || reason.isBlank() || reason.contains("Exception") || reason.contains("java.")
                || reason.equals(standard)) {
            return "request: " + standard + (status == 400 ? " (a malformed request line, target or header)" : "");
        }
        return "request: " + printable(reason.lines().findFirst().orElse(reason));
    }

    /** Every error page Jetty writes itself (malformed heads, bad URIs, too-large heads), as bert-ft's JSON. */
    private final class JsonErrors extends ErrorHandler {
        @Override
        public boolean handle(org.eclipse.jetty.server.Request request, Response response, Callback callback) {
            int status = response.getStatus() > 0 ? response.getStatus() : 500;
            Object reason = request.getAttribute(ERROR_MESSAGE);
            Object cause = request.getAttribute(ERROR_EXCEPTION);
            if (cause instanceof HttpException h && h.getReason() != null) {
                reason = h.getReason();
            }
            refused.accept(status);
            send(response, new HttpError(status, message(status, reason == null ? null : reason.toString())).reply(),
                    true, callback);
            return true;
        }
    }

    /**
     * Jetty's HTTP/1.1 connections up to {@code maxConnections}; past that an {@link Overloaded} one, which answers
     * 503 without reading the request. A connection whose request head is not in by the head deadline is closed
     * ({@link HeadWatch}; Jetty's idle timeout alone would let a client that sends a byte now and then hold it for
     * ever).
     */
    private final class Capped extends HttpConnectionFactory {
        Capped(HttpConfiguration config) {
            super(config);
        }

        @Override
        public Connection newConnection(Connector connector, EndPoint endPoint) {
            if (open.incrementAndGet() > maxConnections) {
                open.decrementAndGet();
                refused.accept(503);
                return new Overloaded(endPoint, connector);
            }
            Connection c = super.newConnection(connector, endPoint);
            HeadWatch watch = new HeadWatch(c);
            watches.put(c, watch);
            c.addEventListener(new Connection.Listener() {
                @Override
                public void onClosed(Connection connection) {
                    open.decrementAndGet();
                    watches.remove(connection);
                }
            });
            watch.start();
            return c;
        }
    }

    /**
     * 503 at once, without reading the request; then what the client still sends is read and dropped until it
     * closes or a second passes, so that it reads the answer rather than a reset.
     */
    private final class Overloaded extends AbstractConnection {
        private final ByteBuffer drain = ByteBuffer.allocate(1024);

        Overloaded(EndPoint endPoint, Connector connector) {
            super(endPoint, connector.getExecutor());
        }

        @Override
        public void onOpen() {
            super.onOpen();
            getEndPoint().setIdleTimeout(1_000);
            Reply r = new HttpError(503, "the server is busy: " + maxConnections + " connections are open, as many as"
                    + " --max-connections allows; try again shortly", "Overloaded", Map.of("Retry-After", "1")).reply();
            StringBuilder head = new StringBuilder("HTTP/1.1 503 Service Unavailable\r\nContent-Type: ")
                    .append(r.contentType()).append("\r\nContent-Length: ").append(r.body().length).append("\r\n");
            r.headers().forEach((k, v) -> head.append(k).append(": ").append(v).append("\r\n"));
            head.append("Connection: close\r\n\r\n");
            getEndPoint().write(Callback.from(() -> {
                getEndPoint().shutdownOutput();
                fillInterested();
            }, x -> close()), ByteBuffer.wrap(head.toString().getBytes(StandardCharsets.ISO_8859_1)),
                    ByteBuffer.wrap(r.body()));
        }

        @Override
        public void onFillable() {
            try {
                int n;
                while ((n = getEndPoint().fill(drain.clear())) > 0) {
                    // dropped
                }
                if (n < 0) {
                    close();
                } else {
                    fillInterested();
                }
            } catch (IOException e) {
                close();
            }
        }
    }

    /** Stops accepting and closes every connection (answers in flight are the caller's to wait for). */
    @Override
    public void close() {
        try {
            jetty.stop();
        } catch (Exception e) {
            // closing anyway
        }
    }
}
