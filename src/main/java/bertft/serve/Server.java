package bertft.serve;

import bertft.JsonMessages;
import bertft.UserError;
import bertft.api.Answer;
import bertft.api.ModelInfo;
import bertft.api.ModelOptions;
import bertft.api.Prediction;
import bertft.api.Tagger;
import bertft.infer.EntityGrouping;
import bertft.onnx.OnnxModelError;
import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import com.google.gson.Strictness;
import com.google.gson.stream.JsonReader;
import com.google.gson.stream.JsonToken;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringReader;
import java.net.BindException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.NetworkInterface;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CoderResult;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Function;

/**
 * {@code bert-ft serve}: a model over HTTP with the routes of HuggingFace's text-embeddings-inference (TEI) —
 * {@code POST /predict}, {@code POST /embed}, {@code GET /health}, {@code GET /info}, {@code GET /metrics} — plus
 * {@code POST /qa} and {@code POST /tag} (HuggingFace's Inference API for token classification). Concurrent requests are batched dynamically ({@link DynamicBatcher}); errors are JSON
 * {@code {"error": ..., "error_type": ...}} naming the field or limit.
 *
 * <p>HTTP is Eclipse Jetty's ({@link Jetty}): non-blocking connections, a bounded number of them and deadlines on
 * every read, so slow clients cannot starve the others; routes parse JSON and answer when their batch does.
 */
public final class Server implements AutoCloseable {
    /**
     * How the server listens and batches.
     *
     * @param host the address to bind (127.0.0.1: this machine only)
     * @param port the port (0: any free one, see {@link #port()})
     * @param maxBatchSize inputs per model call at most
     * @param maxWaitMs how long a batch waits for more requests after its first
     * @param maxBody request bodies larger than this many bytes are refused (413)
     * @param maxInputs inputs per request at most (413)
     * @param maxConnections connections open at once at most; more are answered 503 at once
     * @param modelCalls model calls that run at once at most, per route (each takes its own batch)
     */
    public record Settings(String host, int port, int maxBatchSize, long maxWaitMs, long maxBody, int maxInputs,
            int maxConnections, int modelCalls) {
        /** One model call at a time. */
        public Settings(String host, int port, int maxBatchSize, long maxWaitMs, long maxBody, int maxInputs,
                int maxConnections) {
            this(host, port, maxBatchSize, maxWaitMs, maxBody, maxInputs, maxConnections, 1);
        }
    }

    /** How long shutdown waits for requests in flight. */
    static final long GRACE_MS = 30_000;
    /** How long a model call that answered vouches for {@code /health}; after that it runs a test input. */
    static final long HEALTHY_FOR_MS = 2_000;
    private static final List<String> ROUTES = List.of("/predict", "/embed", "/qa", "/tag", "/health", "/info",
            "/metrics");

    private final Backend backend;
    private final Settings settings;
    private final Jetty http;
    private final PrintWriter log;
    private final long healthTimeoutMs;
    private final Metrics metrics = new Metrics();
    private final DynamicBatcher<Backend.Text, Prediction> predict;
    private final DynamicBatcher<Backend.EmbedInput, float[]> embed;
    private final DynamicBatcher<Backend.Question, List<Answer>> qa;
    private final DynamicBatcher<Backend.TagInput, List<Tagger.Entity>> tag;
    private final Object probeLock = new Object();
    private CompletableFuture<?> probe; // the test input /health waits on, shared by concurrent checks
    private volatile boolean closing;
    private boolean closed;

    /** Binds the port, loads {@code model} through the library API and starts serving. */
    public static Server start(String model, ModelOptions options, Settings settings) {
        return start(model, Map.of(), options, settings);
    }

    /**
     * Binds the port, loads the base model {@code model} once with {@code adapters} (name to adapter directory or Hub
     * id, in order; none: {@code model} alone) and starts serving; a request picks its adapter by its body's
     * {@code "adapter"} or the route {@code /adapters/NAME/predict}.
     */
    public static Server start(String model, Map<String, String> adapters, ModelOptions options, Settings settings) {
        ServerSocketChannel listener = bind(settings);
        try {
            ModelOptions o = options.withBatchSize(settings.maxBatchSize());
            return new Server(adapters.isEmpty() ? new Backend(model, o) : new Backend(model, adapters, o), settings,
                    listener);
        } catch (RuntimeException | Error e) {
            try {
                listener.close();
            } catch (IOException x) {
                e.addSuppressed(x);
            }
            throw e;
        }
    }

    static ServerSocketChannel bind(Settings s) {
        if (s.host() == null || s.host().isBlank()) {
            throw new UserError("--host: empty; use an address such as 127.0.0.1 (this machine only) or 0.0.0.0 (every"
                    + " interface)");
        }
        InetSocketAddress address = new InetSocketAddress(s.host(), s.port());
        if (address.isUnresolved()) {
            throw new UserError("--host " + s.host() + ": unknown host; use an address such as 127.0.0.1 or 0.0.0.0");
        }
        ServerSocketChannel socket = null;
        try {
            socket = ServerSocketChannel.open();
            socket.bind(address, 128);
            return socket;
        } catch (IOException e) {
            try {
                if (socket != null) {
                    socket.close();
                }
            } catch (IOException x) {
                e.addSuppressed(x);
            }
            if (!local(address.getAddress())) {
                throw new UserError("--host " + s.host() + ": not an address of this machine, so the server cannot"
                        + " listen there; use 127.0.0.1 (this machine only), 0.0.0.0 (every interface) or one of this"
                        + " machine's addresses");
            }
            if (String.valueOf(e.getMessage()).contains("ermission denied")) {
                throw new UserError("--port " + s.port() + ": not allowed to listen on it (ports below 1024 usually"
                        + " need root); choose a --port of 1024 or more");
            }
            if (e instanceof BindException) {
                throw new UserError("--port " + s.port() + ": cannot listen on " + s.host() + ":" + s.port() + " ("
                        + e.getMessage() + "); stop what uses it or choose another --port");
            }
            throw new UserError("--host " + s.host() + ": cannot listen there (" + e.getMessage() + ")");
        }
    }

    /** Whether {@code a} is an address of this machine (or the wildcard), so that binding it can work. */
    private static boolean local(InetAddress a) {
        try {
            return a.isAnyLocalAddress() || a.isLoopbackAddress() || NetworkInterface.getByInetAddress(a) != null;
        } catch (IOException e) {
            return true; // cannot tell: let the other messages speak
        }
    }

    Server(Backend backend, Settings settings, ServerSocketChannel listener) {
        this(backend, settings, listener, Jetty.Timeouts.DEFAULT, 10_000);
    }

    /** With the deadlines of {@code timeouts}, and {@code /health} waiting up to {@code healthTimeoutMs}. */
    Server(Backend backend, Settings settings, ServerSocketChannel listener, Jetty.Timeouts timeouts,
            long healthTimeoutMs) {
        this.backend = backend;
        this.settings = settings;
        this.log = backend.log();
        this.healthTimeoutMs = healthTimeoutMs;
        int max = settings.maxBatchSize();
        long wait = settings.maxWaitMs();
        int calls = settings.modelCalls();
        this.predict = backend.classifies() ? new DynamicBatcher<>("predict", backend::predict, calls, max, wait,
                n -> metrics.batch("/predict", n)) : null;
        this.qa = backend.answers() ? new DynamicBatcher<>("qa", backend::answer, calls, max, wait,
                n -> metrics.batch("/qa", n)) : null;
        this.tag = backend.tags() ? new DynamicBatcher<>("tag", backend::tag, calls, max, wait,
                n -> metrics.batch("/tag", n)) : null;
        this.embed = new DynamicBatcher<>("embed", backend::embed, calls, max, wait, n -> metrics.batch("/embed", n));
        this.http = new Jetty(listener, this::handle, settings.maxConnections(), settings.maxBody(), timeouts,
                status -> metrics.request("other", status, 0));
    }

    /** The port listened on (the one chosen when {@link Settings#port()} was 0). */
    public int port() {
        return http.port();
    }

    /** {@code http://host:port}. */
    public String url() {
        String host = settings.host().contains(":") ? "[" + settings.host() + "]" : settings.host();
        return "http://" + host + ":" + port();
    }

    /** What the server runs. */
    public ModelInfo info() {
        return backend.info();
    }

    /** {@code /adapters/NAME/predict}: an adapter's own route. */
    private static final java.util.regex.Pattern ADAPTER_ROUTE = java.util.regex.Pattern.compile(
            "/adapters/([^/]+)/predict");

    private CompletableFuture<Reply> handle(Jetty.Request request) {
        long start = System.nanoTime();
        String path = request.path();
        String route = ROUTES.contains(path) ? path : ADAPTER_ROUTE.matcher(path).matches() ? "/predict" : "other";
        CompletableFuture<Reply> r;
        try {
            r = closing ? CompletableFuture.failedFuture(new HttpError(503, "the server is shutting down"))
                    : route(request);
        } catch (RuntimeException | Error e) {
            r = CompletableFuture.failedFuture(e);
        }
        return r.exceptionally(x -> {
            Throwable e = x instanceof CompletionException && x.getCause() != null ? x.getCause() : x;
            if (e instanceof HttpError h) {
                return h.reply();
            }
            // a bug here: the detail is for the log, not the client
            log("internal error on " + request.method() + " " + path, e);
            return new HttpError(500, "internal error while answering " + route + "; the server's log has the"
                    + " details").reply();
        }).thenApply(reply -> {
            metrics.request(route, reply.status(), (System.nanoTime() - start) / 1e9);
            return reply;
        });
    }

    private void log(String what, Throwable e) {
        synchronized (log) {
            log.println("bert-ft: serve: " + what + ": " + e);
            log.flush();
        }
    }

    private CompletableFuture<Reply> route(Jetty.Request request) {
        String path = request.path();
        java.util.regex.Matcher adapterRoute = ADAPTER_ROUTE.matcher(path);
        boolean post = path.equals("/predict") || path.equals("/embed") || path.equals("/qa") || path.equals("/tag")
                || adapterRoute.matches();
        if (!ROUTES.contains(path) && !adapterRoute.matches()) {
            throw new HttpError(404, "no route " + path + "; the routes are POST /predict /embed /qa /tag"
                    + (backend.adapterNames().isEmpty() ? "" : " /adapters/NAME/predict") + ", GET /health /info"
                    + " /metrics");
        }
        String method = request.method().equals("HEAD") && !post ? "GET" : request.method(); // HEAD: GET, no body
        if (!method.equals(post ? "POST" : "GET")) {
            throw new HttpError(405, request.method() + " " + path + ": use " + (post ? "POST" : "GET"), "Validation",
                    Map.of("Allow", post ? "POST" : "GET, HEAD"));
        }
        return switch (path) {
            case "/health" -> health();
            case "/info" -> CompletableFuture.completedFuture(Reply.json(200, infoJson()));
            case "/metrics" -> CompletableFuture.completedFuture(new Reply(200, "text/plain; version=0.0.4;"
                    + " charset=utf-8", metrics.text().getBytes(StandardCharsets.UTF_8), Map.of()));
            case "/predict" -> predict(body(request), null);
            case "/embed" -> embed(body(request));
            case "/tag" -> tag(body(request));
            case "/qa" -> qa(body(request));
            default -> predict(body(request), adapterRoute.group(1));
        };
    }

    /**
     * 200 when the model answers: a model call answered in the last {@link #HEALTHY_FOR_MS}, or a test input does
     * now (as TEI does); 503 when it fails or takes longer than the health timeout. Concurrent checks share one
     * test input, so a flood of {@code /health} costs one model call at a time.
     */
    private CompletableFuture<Reply> health() {
        DynamicBatcher<?, ?> batcher = predict != null ? predict : qa != null ? qa : tag != null ? tag : embed;
        Reply ok = Reply.json(200, status("ok"));
        if (batcher.answeredWithin(TimeUnit.MILLISECONDS.toNanos(HEALTHY_FOR_MS))) {
            return CompletableFuture.completedFuture(ok);
        }
        CompletableFuture<?> f;
        synchronized (probeLock) {
            if (batcher.answeredWithin(TimeUnit.MILLISECONDS.toNanos(HEALTHY_FOR_MS))) {
                return CompletableFuture.completedFuture(ok); // a test input answered while this check waited
            }
            if (probe == null || probe.isDone()) {
                probe = predict != null ? predict.submit(List.of(new Backend.Text("health check", null,
                        backend.adapterNames().isEmpty() ? null : backend.adapterNames().get(0))))
                        : qa != null ? qa.submit(List.of(new Backend.Question("what is this ?", "a health check", 1)))
                        : tag != null ? tag.submit(List.of(new Backend.TagInput("health check",
                                EntityGrouping.Aggregation.SIMPLE)))
                        : embed.submit(List.of(new Backend.EmbedInput("health check", true)));
            }
            f = probe;
        }
        // a copy times out, not the shared test input: the next check may still see it answer
        return f.thenApply(x -> ok).orTimeout(healthTimeoutMs, TimeUnit.MILLISECONDS).exceptionally(x -> {
            Throwable e = x instanceof CompletionException && x.getCause() != null ? x.getCause() : x;
            if (e instanceof TimeoutException) {
                throw new HttpError(503, "the model did not answer a test input within " + healthTimeoutMs + " ms");
            }
            log("/health: the model failed on a test input", e);
            throw new HttpError(503, "the model failed on a test input; the server's log has the details");
        });
    }

    private static JsonObject status(String s) {
        JsonObject o = new JsonObject();
        o.addProperty("status", s);
        return o;
    }

    // ---- request bodies ----

    /** The body as a JSON object: 400 when it is not UTF-8 or not JSON, 422 when not an object. */
    private static JsonObject body(Jetty.Request request) {
        String text = utf8(request.body());
        if (text.isBlank()) {
            throw new HttpError(400, "malformed JSON: the body is empty; send a JSON object such as {\"inputs\": \"a text\"}");
        }
        JsonElement e;
        try {
            JsonReader r = new JsonReader(new StringReader(text));
            r.setStrictness(Strictness.STRICT);
            e = JsonParser.parseReader(r);
            if (r.peek() != JsonToken.END_DOCUMENT) {
                throw new HttpError(400, "malformed JSON: more after the first value at " + r.getPath());
            }
        } catch (JsonParseException | IOException | IllegalStateException x) {
            String where = JsonMessages.line(x) > 0 ? " at line " + JsonMessages.line(x) + " column "
                    + JsonMessages.column(x) : "";
            String what = JsonMessages.what(x);
            throw new HttpError(400, (what.startsWith("malformed JSON") ? what : "malformed JSON: " + what) + where);
        }
        if (!e.isJsonObject()) {
            throw new HttpError(422, "body: expected a JSON object, found " + kind(e));
        }
        return e.getAsJsonObject();
    }

    /** {@code bytes} as UTF-8; 400 naming the byte offset of the first invalid sequence (not U+FFFD). */
    static String utf8(byte[] bytes) {
        CharsetDecoder d = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT);
        ByteBuffer in = ByteBuffer.wrap(bytes);
        CharBuffer out = CharBuffer.allocate(bytes.length);
        CoderResult r = d.decode(in, out, true);
        if (!r.isError()) {
            r = d.flush(out);
        }
        if (r.isError()) {
            throw new HttpError(400, "body: not UTF-8 at byte " + in.position() + " (0x" + String.format("%02x",
                    bytes[in.position()] & 0xff) + "); send JSON in UTF-8");
        }
        return out.flip().toString();
    }

    private static String kind(JsonElement e) {
        if (e == null || e.isJsonNull()) {
            return "null";
        }
        if (e.isJsonObject()) {
            return "an object";
        }
        if (e.isJsonArray()) {
            return "a list";
        }
        var p = e.getAsJsonPrimitive();
        return p.isBoolean() ? "a boolean" : p.isNumber() ? "a number" : "a string";
    }

    private static String string(JsonElement e, String field) {
        if (e == null || !e.isJsonPrimitive() || !e.getAsJsonPrimitive().isString()) {
            throw new HttpError(422, field + ": expected a string, found " + kind(e));
        }
        if (e.getAsString().isBlank()) {
            throw new HttpError(422, field + ": empty text");
        }
        return e.getAsString();
    }

    private static boolean bool(JsonObject o, String field, boolean otherwise) {
        JsonElement e = o.get(field);
        if (e == null || e.isJsonNull()) {
            return otherwise;
        }
        if (!e.isJsonPrimitive() || !e.getAsJsonPrimitive().isBoolean()) {
            throw new HttpError(422, field + ": expected true or false, found " + kind(e));
        }
        return e.getAsBoolean();
    }

    /** {@code inputs}: a string, or a list of strings (or of [text, pair] lists when pairs are allowed). */
    private List<Backend.Text> inputs(JsonObject o, boolean pairs) {
        JsonElement in = o.get("inputs");
        if (in == null) {
            throw new HttpError(422, "inputs: missing; send {\"inputs\": \"a text\"} or {\"inputs\": [\"a\", \"b\"]}");
        }
        if (!in.isJsonArray()) {
            return List.of(new Backend.Text(string(in, "inputs"), null));
        }
        JsonArray a = in.getAsJsonArray();
        if (a.isEmpty()) {
            throw new HttpError(422, "inputs: empty list");
        }
        if (a.size() > settings.maxInputs()) {
            throw new HttpError(413, "inputs: " + a.size() + " inputs, more than --max-inputs " + settings.maxInputs());
        }
        List<Backend.Text> out = new ArrayList<>(a.size());
        for (int i = 0; i < a.size(); i++) {
            JsonElement e = a.get(i);
            String field = "inputs[" + i + "]";
            if (pairs && e.isJsonArray()) { // TEI's batch items: [text] or [text, text_pair]
                JsonArray p = e.getAsJsonArray();
                if (p.size() != 1 && p.size() != 2) {
                    throw new HttpError(422, field + ": expected [text] or [text, text_pair], found a list of "
                            + p.size());
                }
                out.add(new Backend.Text(string(p.get(0), field + "[0]"),
                        p.size() == 2 ? string(p.get(1), field + "[1]") : null));
            } else if (e.isJsonPrimitive() && e.getAsJsonPrimitive().isString()) {
                out.add(new Backend.Text(string(e, field), null));
            } else {
                throw new HttpError(422, field + ": expected a string" + (pairs ? ", [text] or [text, text_pair]" : "")
                        + ", found " + kind(e));
            }
        }
        return out;
    }

    // ---- routes ----

    private CompletableFuture<Reply> predict(JsonObject o, String routeAdapter) {
        if (predict == null) {
            throw wrongModel("/predict", "a classifier");
        }
        String adapter = adapter(o, routeAdapter);
        List<Backend.Text> texts = inputs(o, true).stream().map(t -> new Backend.Text(t.text(), t.pair(), adapter))
                .toList();
        boolean raw = bool(o, "raw_scores", false);
        return await("/predict", predict.submit(texts), out -> {
            JsonArray all = new JsonArray();
            for (Prediction p : out) {
                all.add(scores(p, raw));
            }
            return Reply.json(200, o.get("inputs").isJsonArray() ? all : all.get(0));
        });
    }

    /**
     * The adapter a request names, by its route or its body's {@code "adapter"}: with one adapter loaded it may name
     * none; with several, none is 400; an unknown one is 404; both lists the adapters loaded.
     */
    private String adapter(JsonObject o, String routeAdapter) {
        JsonElement e = o.get("adapter");
        String named = e == null || e.isJsonNull() ? null : string(e, "adapter");
        if (named != null && routeAdapter != null && !named.equals(routeAdapter)) {
            throw new HttpError(400, "adapter: the body names '" + named + "' but the route '" + routeAdapter
                    + "'; name one");
        }
        String name = routeAdapter != null ? routeAdapter : named;
        List<String> loaded = backend.adapterNames();
        if (loaded.isEmpty()) {
            if (name != null) {
                throw new HttpError(404, "adapter '" + name + "': this server runs no adapters (" + backend.info().model()
                        + " alone; start it with --adapter NAME=DIR to serve adapters)");
            }
            return null;
        }
        if (name == null) {
            if (loaded.size() == 1) {
                return loaded.get(0);
            }
            throw new HttpError(400, "adapter: missing; this server runs several adapters (" + String.join(", ", loaded)
                    + "): send {\"adapter\": \"" + loaded.get(0) + "\", ...} or POST /adapters/" + loaded.get(0)
                    + "/predict");
        }
        if (!loaded.contains(name)) {
            throw new HttpError(404, "adapter '" + name + "': not loaded; the adapters are " + String.join(", ", loaded));
        }
        return name;
    }

    /** One input's labels with their scores, highest first, as TEI lists them. */
    private JsonArray scores(Prediction p, boolean raw) {
        List<String> labels = new ArrayList<>(p.probabilities().keySet());
        double[] logits = p.logits();
        List<Map.Entry<String, Double>> scores = new ArrayList<>();
        if (labels.isEmpty()) { // regression: the value, named as HuggingFace names an unnamed output
            scores.add(Map.entry("LABEL_0", p.score()));
        } else {
            for (int c = 0; c < labels.size(); c++) {
                scores.add(Map.entry(labels.get(c), raw ? logits[c] : p.probabilities().get(labels.get(c))));
            }
        }
        scores.sort(Comparator.comparing((Map.Entry<String, Double> e) -> e.getValue()).reversed());
        JsonArray a = new JsonArray();
        for (Map.Entry<String, Double> e : scores) {
            JsonObject s = new JsonObject();
            s.addProperty("label", e.getKey());
            s.addProperty("score", e.getValue());
            a.add(s);
        }
        return a;
    }

    private CompletableFuture<Reply> embed(JsonObject o) {
        boolean normalize = bool(o, "normalize", true);
        List<Backend.EmbedInput> texts = inputs(o, false).stream()
                .map(t -> new Backend.EmbedInput(t.text(), normalize)).toList();
        return await("/embed", embed.submit(texts), out -> {
            JsonArray all = new JsonArray();
            for (float[] v : out) {
                JsonArray row = new JsonArray(v.length);
                for (float x : v) {
                    row.add(x);
                }
                all.add(row);
            }
            return Reply.json(200, all);
        });
    }

    private CompletableFuture<Reply> qa(JsonObject o) {
        if (qa == null) {
            throw wrongModel("/qa", "a question-answering model");
        }
        String question = string(o.get("question"), "question");
        String context = string(o.get("context"), "context");
        int topK = 1;
        JsonElement k = o.get("top_k");
        if (k != null && !k.isJsonNull()) {
            if (!k.isJsonPrimitive() || !k.getAsJsonPrimitive().isNumber() || k.getAsDouble() != Math.rint(k.getAsDouble())
                    || k.getAsDouble() < 1 || k.getAsDouble() > 100) {
                throw new HttpError(422, "top_k: expected a whole number from 1 to 100, found " + k);
            }
            topK = k.getAsInt();
        }
        return await("/qa", qa.submit(List.of(new Backend.Question(question, context, topK))), out -> {
            JsonArray answers = new JsonArray();
            for (Answer a : out.get(0)) {
                JsonObject j = new JsonObject();
                j.addProperty("answer", a.text());
                j.addProperty("score", a.score());
                j.addProperty("probability", a.probability());
                j.addProperty("start", a.start());
                j.addProperty("end", a.end());
                answers.add(j);
            }
            return Reply.json(200, answers);
        });
    }

    /**
     * HuggingFace's Inference API for token classification: {@code inputs} a text (answer: its entities) or a list
     * of texts (answer: a list per text); the aggregation in {@code parameters.aggregation_strategy} or
     * {@code aggregation} (default simple).
     */
    private CompletableFuture<Reply> tag(JsonObject o) {
        if (tag == null) {
            throw wrongModel("/tag", "a token-classification model");
        }
        EntityGrouping.Aggregation how = aggregation(o);
        List<Backend.TagInput> texts = inputs(o, false).stream().map(t -> new Backend.TagInput(t.text(), how)).toList();
        return await("/tag", tag.submit(texts), out -> {
            JsonArray all = new JsonArray();
            for (List<Tagger.Entity> e : out) {
                all.add(Tagger.json(e, how));
            }
            return Reply.json(200, o.get("inputs").isJsonArray() ? all : all.get(0));
        });
    }

    private static final String AGGREGATIONS = "none, simple, first, average, max";

    /** {@code parameters.aggregation_strategy} (the Inference API's) or {@code aggregation}; simple when neither. */
    private static EntityGrouping.Aggregation aggregation(JsonObject o) {
        JsonElement p = o.get("parameters");
        JsonElement strategy = null;
        if (p != null && !p.isJsonNull()) {
            if (!p.isJsonObject()) {
                throw new HttpError(422, "parameters: expected an object such as {\"aggregation_strategy\": \"simple\"},"
                        + " found " + kind(p));
            }
            for (String key : p.getAsJsonObject().keySet()) {
                if (!key.equals("aggregation_strategy")) {
                    throw new HttpError(422, "parameters." + key + ": not supported; /tag takes aggregation_strategy ("
                            + AGGREGATIONS + ")");
                }
            }
            strategy = p.getAsJsonObject().get("aggregation_strategy");
        }
        JsonElement top = o.get("aggregation");
        if (strategy != null && !strategy.isJsonNull() && top != null && !top.isJsonNull() && !strategy.equals(top)) {
            throw new HttpError(422, "aggregation: " + top + " differs from parameters.aggregation_strategy " + strategy
                    + "; give one of them");
        }
        String field = strategy != null && !strategy.isJsonNull() ? "parameters.aggregation_strategy" : "aggregation";
        JsonElement e = strategy != null && !strategy.isJsonNull() ? strategy : top;
        if (e == null || e.isJsonNull()) {
            return EntityGrouping.Aggregation.SIMPLE;
        }
        String name = string(e, field);
        try {
            return EntityGrouping.Aggregation.parse(name);
        } catch (IllegalArgumentException x) {
            throw new HttpError(422, field + ": '" + name + "' is not one of " + AGGREGATIONS);
        }
    }

    private HttpError wrongModel(String route, String what) {
        ModelInfo i = backend.info();
        return new HttpError(404, route + " needs " + what + "; " + i.model() + " is a " + i.task() + " model (see GET"
                + " /info)");
    }

    /**
     * The answer made of the model's outputs; its errors become 422 (it refused the input: a {@link UserError} other
     * than an {@link OnnxModelError}) or 500 (anything else is the model's or the server's fault; the detail, which
     * may name classes, paths or graph nodes, goes to the log and the client is told in words).
     */
    private <T> CompletableFuture<Reply> await(String route, CompletableFuture<T> f, Function<T, Reply> answer) {
        return f.handle((out, x) -> {
            if (x == null) {
                return answer.apply(out);
            }
            Throwable cause = x instanceof CompletionException && x.getCause() != null ? x.getCause() : x;
            // ONNX Runtime failing on an input is the model's fault (an export that does not fit its tokenizer), not
            // the client's, though the command line reports it as a user error
            if (cause instanceof UserError && !(cause instanceof OnnxModelError)) {
                throw new HttpError(422, cause.getMessage());
            }
            if (cause instanceof IllegalStateException && "the server is shutting down".equals(cause.getMessage())) {
                throw new HttpError(503, cause.getMessage());
            }
            log(route + ": the model failed", cause instanceof Backend.Unavailable u ? u.getCause() : cause);
            throw new HttpError(500, (cause instanceof Backend.Unavailable ? cause.getMessage()
                    : "the model failed on this request") + "; the server's log has the details");
        });
    }

    private JsonObject infoJson() {
        ModelInfo i = backend.info();
        JsonObject o = new JsonObject();
        o.addProperty("model_id", i.model());
        o.addProperty("model_dtype", i.runtime().equals("onnx-int8") ? "int8" : "float32");
        JsonObject type = new JsonObject();
        if (!backend.adapterNames().isEmpty()) {
            // each adapter has its labels: model_type says classifier, the adapters list says which labels
            type.add("classifier", new JsonObject());
            JsonArray adapters = new JsonArray();
            for (String name : backend.adapterNames()) {
                ModelInfo a = backend.adapterInfo(name);
                JsonObject j = new JsonObject();
                j.addProperty("name", name);
                j.addProperty("path", a.path());
                j.addProperty("task", a.task());
                JsonArray labels = new JsonArray();
                a.labels().forEach(labels::add);
                j.add("labels", labels);
                j.add("id2label", id2label(a.labels().isEmpty() ? List.of("LABEL_0") : a.labels()));
                adapters.add(j);
            }
            o.add("adapters", adapters);
        } else if (backend.classifies()) {
            JsonObject c = new JsonObject();
            c.add("id2label", id2label(i.labels().isEmpty() ? List.of("LABEL_0") : i.labels()));
            c.add("label2id", label2id(i.labels().isEmpty() ? List.of("LABEL_0") : i.labels()));
            type.add("classifier", c);
        } else if (backend.answers()) {
            type.add("question_answering", new JsonObject());
        } else if (backend.tags()) {
            JsonObject id2label = new JsonObject();
            JsonObject label2id = new JsonObject();
            for (int k = 0; k < i.labels().size(); k++) {
                id2label.addProperty(Integer.toString(k), i.labels().get(k));
                label2id.addProperty(i.labels().get(k), k);
            }
            JsonObject t = new JsonObject();
            t.add("id2label", id2label);
            t.add("label2id", label2id);
            type.add("token_classifier", t);
        } else {
            JsonObject e = new JsonObject();
            e.addProperty("pooling", "mean");
            type.add("embedding", e);
        }
        o.add("model_type", type);
        o.addProperty("max_input_length", i.maxLength());
        o.addProperty("max_batch_requests", settings.maxBatchSize());
        o.addProperty("max_client_batch_size", settings.maxInputs());
        o.addProperty("max_batch_wait_ms", settings.maxWaitMs());
        o.addProperty("max_body_bytes", settings.maxBody());
        o.addProperty("task", i.task());
        o.addProperty("architecture", i.modelType());
        o.addProperty("runtime", i.runtime());
        return o;
    }

    private static JsonObject id2label(List<String> labels) {
        JsonObject o = new JsonObject();
        for (int k = 0; k < labels.size(); k++) {
            o.addProperty(Integer.toString(k), labels.get(k));
        }
        return o;
    }

    private static JsonObject label2id(List<String> labels) {
        JsonObject o = new JsonObject();
        for (int k = 0; k < labels.size(); k++) {
            o.addProperty(labels.get(k), k);
        }
        return o;
    }

    // ---- shutdown ----

    /**
     * Stops gracefully: new requests are refused (503), those in flight finish (up to 30 s), then the port is
     * closed, the batchers stop and the model is closed.
     */
    @Override
    public void close() {
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
        }
        closing = true;
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(GRACE_MS);
        while (http.busy() > 0 && System.nanoTime() < deadline) {
            try {
                Thread.sleep(5);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        http.close();
        for (DynamicBatcher<?, ?> b : new DynamicBatcher<?, ?>[] {predict, embed, qa, tag}) {
            if (b != null) {
                b.close();
            }
        }
        backend.close();
    }

    /** Connections open now. */
    int connections() {
        return http.connections();
    }
}
