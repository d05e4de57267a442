package bertft.serve;

import bertft.JsonMessages;
import bertft.UserError;
import bertft.api.Answer;
import bertft.api.ModelInfo;
import bertft.api.ModelOptions;
import bertft.api.Prediction;
import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import com.google.gson.Strictness;
import com.google.gson.stream.JsonReader;
import com.google.gson.stream.JsonToken;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.StringReader;
import java.net.BindException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * {@code bert-ft serve}: a model over HTTP with the routes of HuggingFace's text-embeddings-inference (TEI) —
 * {@code POST /predict}, {@code POST /embed}, {@code GET /health}, {@code GET /info}, {@code GET /metrics} — plus
 * {@code POST /qa}. Concurrent requests are batched dynamically ({@link DynamicBatcher}); errors are JSON
 * {@code {"error": ..., "error_type": ...}} naming the field or limit.
 *
 * <p>It runs on the JDK's {@link HttpServer} with a bounded thread pool: handlers only parse JSON and wait for
 * their batch, so a blocking server is enough, and it adds no dependency to the library.
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
     */
    public record Settings(String host, int port, int maxBatchSize, long maxWaitMs, long maxBody, int maxInputs) {}

    /** Requests handled at once; further ones wait in a queue of {@link #QUEUE}, then on the accepting thread. */
    static final int QUEUE = 512;
    /** How long shutdown waits for requests in flight. */
    static final long GRACE_MS = 30_000;
    private static final List<String> ROUTES = List.of("/predict", "/embed", "/qa", "/health", "/info", "/metrics");

    private final Backend backend;
    private final Settings settings;
    private final HttpServer http;
    private final ThreadPoolExecutor handlers;
    private final Metrics metrics = new Metrics();
    private final DynamicBatcher<Backend.Text, Prediction> predict;
    private final DynamicBatcher<Backend.EmbedInput, float[]> embed;
    private final DynamicBatcher<Backend.Question, List<Answer>> qa;
    private final AtomicInteger inFlight = new AtomicInteger();
    private volatile boolean closing;
    private boolean closed;

    /** Binds the port, loads {@code model} through the library API and starts serving. */
    public static Server start(String model, ModelOptions options, Settings settings) {
        HttpServer http = bind(settings);
        try {
            return new Server(new Backend(model, options.withBatchSize(settings.maxBatchSize())), settings, http);
        } catch (RuntimeException | Error e) {
            http.stop(0);
            throw e;
        }
    }

    static HttpServer bind(Settings s) {
        InetSocketAddress address = new InetSocketAddress(s.host(), s.port());
        if (address.isUnresolved()) {
            throw new UserError("--host " + s.host() + ": unknown host; use an address such as 127.0.0.1 or 0.0.0.0");
        }
        try {
            return HttpServer.create(address, 0);
        } catch (BindException e) {
            throw new UserError("--port " + s.port() + ": cannot listen on " + s.host() + ":" + s.port() + " ("
                    + e.getMessage() + "); stop what uses it or choose another --port");
        } catch (IOException e) {
            throw new UserError("--host " + s.host() + ": cannot listen there (" + e.getMessage() + ")");
        }
    }

    Server(Backend backend, Settings settings, HttpServer http) {
        this.backend = backend;
        this.settings = settings;
        this.http = http;
        int threads = Math.max(16, 2 * settings.maxBatchSize());
        this.handlers = new ThreadPoolExecutor(threads, threads, 60, TimeUnit.SECONDS, new ArrayBlockingQueue<>(QUEUE),
                r -> {
                    Thread t = new Thread(r, "bert-ft-http");
                    t.setDaemon(true);
                    return t;
                }, new ThreadPoolExecutor.CallerRunsPolicy()); // full: the accepting thread serves, clients wait
        int max = settings.maxBatchSize();
        long wait = settings.maxWaitMs();
        this.predict = backend.classifies() ? new DynamicBatcher<>("predict", backend::predict, max, wait,
                n -> metrics.batch("/predict", n)) : null;
        this.qa = backend.answers() ? new DynamicBatcher<>("qa", backend::answer, max, wait,
                n -> metrics.batch("/qa", n)) : null;
        this.embed = new DynamicBatcher<>("embed", backend::embed, max, wait, n -> metrics.batch("/embed", n));
        http.createContext("/", this::handle);
        http.setExecutor(handlers);
        http.start();
    }

    /** The port listened on (the one chosen when {@link Settings#port()} was 0). */
    public int port() {
        return http.getAddress().getPort();
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

    /** An HTTP answer. */
    private record Reply(int status, String contentType, byte[] body) {
        static Reply json(int status, JsonElement body) {
            return new Reply(status, "application/json", body.toString().getBytes(StandardCharsets.UTF_8));
        }
    }

    /** A request that cannot be served: the status and the message of its JSON error. */
    static final class HttpError extends RuntimeException {
        private static final long serialVersionUID = 1L;
        final int status;

        HttpError(int status, String message) {
            super(message, null, false, false);
            this.status = status;
        }

        Reply reply() {
            JsonObject o = new JsonObject();
            o.addProperty("error", getMessage());
            o.addProperty("error_type", switch (status) { // TEI's names
                case 500 -> "Backend";
                case 503 -> "Unhealthy";
                default -> "Validation";
            });
            return Reply.json(status, o);
        }
    }

    private void handle(HttpExchange ex) {
        long start = System.nanoTime();
        inFlight.incrementAndGet();
        String path = ex.getRequestURI().getPath();
        String route = ROUTES.contains(path) ? path : "other";
        int status = 500;
        try {
            Reply r;
            try {
                r = closing ? new HttpError(503, "the server is shutting down").reply() : route(path, ex);
            } catch (HttpError e) {
                r = e.reply();
            } catch (RuntimeException | Error e) {
                r = new HttpError(500, String.valueOf(e.getMessage())).reply();
            }
            status = r.status();
            drain(ex);
            ex.getResponseHeaders().set("Content-Type", r.contentType());
            ex.sendResponseHeaders(r.status(), r.body().length == 0 ? -1 : r.body().length);
            try (OutputStream os = ex.getResponseBody()) {
                os.write(r.body());
            }
        } catch (IOException e) {
            status = 499; // the client went away
        } finally {
            ex.close();
            metrics.request(route, status, (System.nanoTime() - start) / 1e9);
            inFlight.decrementAndGet();
        }
    }

    private Reply route(String path, HttpExchange ex) {
        String method = ex.getRequestMethod();
        boolean post = path.equals("/predict") || path.equals("/embed") || path.equals("/qa");
        if (!ROUTES.contains(path)) {
            throw new HttpError(404, "no route " + path + "; the routes are POST /predict /embed /qa, GET /health /info"
                    + " /metrics");
        }
        if (!method.equals(post ? "POST" : "GET")) {
            ex.getResponseHeaders().set("Allow", post ? "POST" : "GET");
            throw new HttpError(405, method + " " + path + ": use " + (post ? "POST" : "GET"));
        }
        return switch (path) {
            case "/health" -> Reply.json(200, status("ok"));
            case "/info" -> Reply.json(200, infoJson());
            case "/metrics" -> new Reply(200, "text/plain; version=0.0.4; charset=utf-8",
                    metrics.text().getBytes(StandardCharsets.UTF_8));
            case "/predict" -> predict(body(ex));
            case "/embed" -> embed(body(ex));
            default -> qa(body(ex));
        };
    }

    private static JsonObject status(String s) {
        JsonObject o = new JsonObject();
        o.addProperty("status", s);
        return o;
    }

    // ---- request bodies ----

    /** The body as a JSON object: 413 beyond --max-body, 400 when it is not JSON, 422 when not an object. */
    private JsonObject body(HttpExchange ex) {
        String length = ex.getRequestHeaders().getFirst("Content-Length");
        if (length != null && length.strip().matches("\\d{1,18}") && Long.parseLong(length.strip()) > settings.maxBody()) {
            throw tooLarge();
        }
        byte[] bytes;
        try {
            bytes = ex.getRequestBody().readNBytes((int) Math.min(Integer.MAX_VALUE - 8, settings.maxBody() + 1));
        } catch (IOException e) {
            throw new HttpError(400, "could not read the request body: " + e.getMessage());
        }
        if (bytes.length > settings.maxBody()) {
            throw tooLarge();
        }
        String text = new String(bytes, StandardCharsets.UTF_8);
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

    private HttpError tooLarge() {
        return new HttpError(413, "body: larger than --max-body " + settings.maxBody() + " bytes");
    }

    /** Reads and drops what is left of the body (up to 16 MiB), so the client is not cut off mid-send. */
    private static void drain(HttpExchange ex) {
        try (InputStream in = ex.getRequestBody()) {
            long left = 16L << 20;
            byte[] buf = new byte[8192];
            for (int n; left > 0 && (n = in.read(buf)) > 0; left -= n) {
                // dropped
            }
        } catch (IOException e) {
            // the client went away; answering will say so
        }
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

    private Reply predict(JsonObject o) {
        if (predict == null) {
            throw wrongModel("/predict", "a classifier");
        }
        List<Backend.Text> texts = inputs(o, true);
        boolean raw = bool(o, "raw_scores", false);
        List<Prediction> out = await(predict.submit(texts));
        JsonArray all = new JsonArray();
        for (Prediction p : out) {
            all.add(scores(p, raw));
        }
        return Reply.json(200, o.get("inputs").isJsonArray() ? all : all.get(0));
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

    private Reply embed(JsonObject o) {
        boolean normalize = bool(o, "normalize", true);
        List<Backend.EmbedInput> texts = inputs(o, false).stream()
                .map(t -> new Backend.EmbedInput(t.text(), normalize)).toList();
        JsonArray all = new JsonArray();
        for (float[] v : await(embed.submit(texts))) {
            JsonArray row = new JsonArray(v.length);
            for (float x : v) {
                row.add(x);
            }
            all.add(row);
        }
        return Reply.json(200, all);
    }

    private Reply qa(JsonObject o) {
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
        JsonArray answers = new JsonArray();
        for (Answer a : await(qa.submit(List.of(new Backend.Question(question, context, topK)))).get(0)) {
            JsonObject j = new JsonObject();
            j.addProperty("answer", a.text());
            j.addProperty("score", a.score());
            j.addProperty("probability", a.probability());
            j.addProperty("start", a.start());
            j.addProperty("end", a.end());
            answers.add(j);
        }
        return Reply.json(200, answers);
    }

    private HttpError wrongModel(String route, String what) {
        ModelInfo i = backend.info();
        return new HttpError(404, route + " needs " + what + "; " + i.model() + " is a " + i.task() + " model (see GET"
                + " /info)");
    }

    /** The model's outputs; its errors become 422 (it refused the input) or 500 (it failed). */
    private static <T> T await(CompletableFuture<T> f) {
        try {
            return f.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new HttpError(503, "interrupted");
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            if (cause instanceof UserError) {
                throw new HttpError(422, cause.getMessage());
            }
            if (cause instanceof IllegalStateException && "the server is shutting down".equals(cause.getMessage())) {
                throw new HttpError(503, cause.getMessage());
            }
            throw new HttpError(500, "the model failed: " + cause);
        }
    }

    private JsonObject infoJson() {
        ModelInfo i = backend.info();
        JsonObject o = new JsonObject();
        o.addProperty("model_id", i.model());
        o.addProperty("model_dtype", i.runtime().equals("onnx-int8") ? "int8" : "float32");
        JsonObject type = new JsonObject();
        if (backend.classifies()) {
            JsonObject id2label = new JsonObject();
            JsonObject label2id = new JsonObject();
            List<String> labels = i.labels().isEmpty() ? List.of("LABEL_0") : i.labels();
            for (int k = 0; k < labels.size(); k++) {
                id2label.addProperty(Integer.toString(k), labels.get(k));
                label2id.addProperty(labels.get(k), k);
            }
            JsonObject c = new JsonObject();
            c.add("id2label", id2label);
            c.add("label2id", label2id);
            type.add("classifier", c);
        } else if (backend.answers()) {
            type.add("question_answering", new JsonObject());
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
        while (inFlight.get() > 0 && System.nanoTime() < deadline) {
            try {
                Thread.sleep(5);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        http.stop(0);
        handlers.shutdown();
        try {
            handlers.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        for (DynamicBatcher<?, ?> b : new DynamicBatcher<?, ?>[] {predict, embed, qa}) {
            if (b != null) {
                b.close();
            }
        }
        backend.close();
    }

    /** Requests being handled now. */
    int inFlight() {
        return inFlight.get();
    }
}
