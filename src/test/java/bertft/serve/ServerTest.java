package bertft.serve;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import bertft.Tiny;
import bertft.UserError;
import bertft.api.Answer;
import bertft.api.Classifier;
import bertft.api.Embedder;
import bertft.api.ModelOptions;
import bertft.api.Prediction;
import bertft.api.QuestionAnswerer;
import bertft.cli.CliTest;
import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code bert-ft serve} on tiny random models, over real HTTP on an ephemeral port. */
class ServerTest {
    static final List<String> TEXTS = List.of("the movie was great", "awful price and bad battery", "it was the phone",
            "love it", "the product was and it movie price terrible hate", "bad", "the phone was great and it was a"
            + " movie");

    @TempDir
    static Path tmp;
    static Path clf;
    static Server server;
    static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    @BeforeAll
    static void start() {
        clf = Tiny.classifier(tmp.resolve("clf"), 5, "neg", "neu", "pos");
        server = Server.start(clf.toString(), ModelOptions.defaults(), settings(0, 20, 1 << 20, 8));
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    static Server.Settings settings(int port, long waitMs, long maxBody, int maxInputs) {
        return new Server.Settings("127.0.0.1", port, 32, waitMs, maxBody, maxInputs, 512);
    }

    record Reply(int status, String body) {
        JsonElement json() {
            return JsonParser.parseString(body);
        }

        String error() {
            return json().getAsJsonObject().get("error").getAsString();
        }
    }

    static Reply post(Server s, String route, String body) throws Exception {
        HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create(s.url() + route))
                .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
        return new Reply(r.statusCode(), r.body());
    }

    static Reply get(Server s, String route) throws Exception {
        HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create(s.url() + route)).build(),
                HttpResponse.BodyHandlers.ofString());
        return new Reply(r.statusCode(), r.body());
    }

    static String json(Object o) {
        return new com.google.gson.Gson().toJson(o);
    }

    /** The label and score of each entry; checks they are sorted by score, highest first. */
    static void assertScores(Prediction p, JsonArray scores, boolean raw) {
        List<String> labels = new ArrayList<>(p.probabilities().keySet());
        assertEquals(labels.size(), scores.size());
        double last = Double.POSITIVE_INFINITY;
        for (JsonElement e : scores) {
            String label = e.getAsJsonObject().get("label").getAsString();
            double score = e.getAsJsonObject().get("score").getAsDouble();
            assertTrue(score <= last, scores.toString());
            last = score;
            double expected = raw ? p.logits()[labels.indexOf(label)] : p.probabilities().get(label);
            assertEquals(expected, score, 1e-5, label);
        }
        assertEquals(p.label(), scores.get(0).getAsJsonObject().get("label").getAsString());
    }

    @Test
    void predictAnswersAsTheLibraryDoesInTeisShape() throws Exception {
        assertEquals(200, get(server, "/health").status());
        JsonObject info = get(server, "/info").json().getAsJsonObject();
        assertEquals(clf.toString(), info.get("model_id").getAsString());
        assertEquals(32, info.get("max_input_length").getAsInt());
        assertEquals("onnx", info.get("runtime").getAsString(), "auto, the default, resolved to what runs");
        assertEquals("pos", info.getAsJsonObject("model_type").getAsJsonObject("classifier")
                .getAsJsonObject("id2label").get("2").getAsString());
        try (Classifier c = Classifier.load(clf.toString())) {
            Reply one = post(server, "/predict", json(java.util.Map.of("inputs", TEXTS.get(0))));
            assertEquals(200, one.status(), one.body());
            assertScores(c.predict(TEXTS.get(0)), one.json().getAsJsonArray(), false); // a string: one list
            Reply many = post(server, "/predict", json(java.util.Map.of("inputs", TEXTS)));
            JsonArray lists = many.json().getAsJsonArray();
            assertEquals(TEXTS.size(), lists.size());
            List<Prediction> expected = c.predict(TEXTS);
            for (int i = 0; i < TEXTS.size(); i++) {
                assertScores(expected.get(i), lists.get(i).getAsJsonArray(), false);
            }
            Reply raw = post(server, "/predict", "{\"inputs\": [\"love it\"], \"raw_scores\": true}");
            assertScores(c.predict("love it"), raw.json().getAsJsonArray().get(0).getAsJsonArray(), true);
            // TEI's batch of [text] and [text, text_pair] items; plain strings mix in
            Reply pair = post(server, "/predict", "{\"inputs\": [[\"the movie was great\", \"awful price\"], \"bad\","
                    + " [\"love it\"]]}");
            assertScores(c.predict("the movie was great", "awful price"),
                    pair.json().getAsJsonArray().get(0).getAsJsonArray(), false);
            assertScores(c.predict("bad"), pair.json().getAsJsonArray().get(1).getAsJsonArray(), false);
            assertScores(c.predict("love it"), pair.json().getAsJsonArray().get(2).getAsJsonArray(), false);
        }
        // longer than the model's 32 tokens: truncated, as classify does
        String longText = "the movie was great ".repeat(40);
        try (Classifier c = Classifier.load(clf.toString())) {
            assertScores(c.predict(longText), post(server, "/predict", json(java.util.Map.of("inputs", longText)))
                    .json().getAsJsonArray(), false);
        }
    }

    @Test
    void embedUsesTheEncoderMeanPooledAndQaAnswersSpans() throws Exception {
        try (Embedder e = Embedder.load(clf.toString())) {
            Reply r = post(server, "/embed", json(java.util.Map.of("inputs", TEXTS.subList(0, 3))));
            assertEquals(200, r.status(), r.body());
            List<float[]> expected = e.embed(TEXTS.subList(0, 3), true);
            for (int i = 0; i < 3; i++) {
                assertArrayEquals(expected.get(i), floats(r.json().getAsJsonArray().get(i).getAsJsonArray()), 1e-5f);
            }
            Reply raw = post(server, "/embed", "{\"inputs\": \"love it\", \"normalize\": false}");
            assertArrayEquals(e.embed(List.of("love it"), false).get(0),
                    floats(raw.json().getAsJsonArray().get(0).getAsJsonArray()), 1e-5f);
        }
        Reply qaOnClassifier = post(server, "/qa", "{\"question\": \"a\", \"context\": \"b\"}");
        assertEquals(404, qaOnClassifier.status());
        assertTrue(qaOnClassifier.error().contains("question-answering"), qaOnClassifier.error());

        Path qaDir = Tiny.qa(tmp.resolve("qa"), 4);
        String context = "the phone 😀 was great and the battery was bad , the price was good and it was a movie";
        try (Server s = Server.start(qaDir.toString(), ModelOptions.defaults(), settings(0, 5, 1 << 20, 8));
                QuestionAnswerer qa = QuestionAnswerer.load(qaDir.toString())) {
            Reply r = post(s, "/qa", json(java.util.Map.of("question", "what was great ?", "context", context,
                    "top_k", 3)));
            assertEquals(200, r.status(), r.body());
            List<Answer> expected = qa.answers("what was great ?", context, 3);
            JsonArray got = r.json().getAsJsonArray();
            assertEquals(expected.size(), got.size());
            for (int i = 0; i < got.size(); i++) {
                JsonObject a = got.get(i).getAsJsonObject();
                assertEquals(expected.get(i).text(), a.get("answer").getAsString());
                assertEquals(expected.get(i).start(), a.get("start").getAsInt());
                assertEquals(expected.get(i).end(), a.get("end").getAsInt());
                assertEquals(expected.get(i).probability(), a.get("probability").getAsDouble(), 1e-5);
            }
            assertEquals(404, post(s, "/predict", "{\"inputs\": \"x\"}").status());
            assertEquals("question_answering", get(s, "/info").json().getAsJsonObject().getAsJsonObject("model_type")
                    .keySet().iterator().next());
            // the model refuses a question longer than its window: 422 with its reason
            Reply tooLong = post(s, "/qa", json(java.util.Map.of("question", "what was great ".repeat(30),
                    "context", context)));
            assertEquals(422, tooLong.status(), tooLong.body());
            assertTrue(tooLong.error().contains("longer than max-length"), tooLong.error());
            // the question's own length, not the 64 tokens the tokenizer cut it to
            assertTrue(tooLong.error().startsWith("question of 90 tokens"), tooLong.error());
        }
    }

    static float[] floats(JsonArray a) {
        float[] v = new float[a.size()];
        for (int i = 0; i < v.length; i++) {
            v[i] = a.get(i).getAsFloat();
        }
        return v;
    }

    @Test
    void concurrentRequestsAreBatchedAndAnsweredAsAlone() throws Exception {
        Path model = Tiny.classifier(tmp.resolve("batched"), 8, "a", "b");
        try (Server s = Server.start(model.toString(), ModelOptions.defaults(), settings(0, 50, 1 << 20, 8));
                Classifier c = Classifier.load(model.toString())) {
            ExecutorService clients = Executors.newFixedThreadPool(16);
            try {
                List<Future<Reply>> replies = new ArrayList<>();
                for (int i = 0; i < 64; i++) {
                    String text = TEXTS.get(i % TEXTS.size());
                    replies.add(clients.submit(() -> post(s, "/predict", json(java.util.Map.of("inputs", text)))));
                }
                for (int i = 0; i < replies.size(); i++) {
                    Reply r = replies.get(i).get(30, TimeUnit.SECONDS);
                    assertEquals(200, r.status(), r.body());
                    assertScores(c.predict(TEXTS.get(i % TEXTS.size())), r.json().getAsJsonArray(), false);
                }
            } finally {
                clients.shutdown();
            }
            String metrics = get(s, "/metrics").body();
            assertTrue(metrics.contains("bertft_requests_total{route=\"/predict\",status=\"200\"} 64"), metrics);
            long calls = metric(metrics, "bertft_batch_size_count{route=\"/predict\"}");
            long inputs = metric(metrics, "bertft_batch_size_sum{route=\"/predict\"}");
            long ofOne = metric(metrics, "bertft_batch_size_bucket{route=\"/predict\",le=\"1\"}");
            assertEquals(64, inputs);
            assertTrue(calls < 64 && ofOne < calls, "batches of more than one request: " + calls + " calls, " + ofOne
                    + " of one input\n" + metrics);
            assertTrue(metric(metrics, "bertft_request_duration_seconds_count{route=\"/predict\"}") == 64, metrics);
        }
    }

    static long metric(String text, String name) {
        Matcher m = Pattern.compile("(?m)^" + Pattern.quote(name) + " (\\S+)$").matcher(text);
        assertTrue(m.find(), name + " in\n" + text);
        return (long) Double.parseDouble(m.group(1));
    }

    @Test
    void badRequestsAreJsonErrorsNamingTheLimitOrField() throws Exception {
        try (Server s = Server.start(clf.toString(), ModelOptions.defaults(), settings(0, 1, 300, 4))) {
            Reply big = post(s, "/predict", json(java.util.Map.of("inputs", "word ".repeat(100))));
            assertEquals(413, big.status());
            assertTrue(big.error().contains("--max-body 300"), big.error());
            Reply many = post(s, "/predict", json(java.util.Map.of("inputs", List.of("a", "b", "c", "d", "e"))));
            assertEquals(413, many.status());
            assertTrue(many.error().contains("5 inputs, more than --max-inputs 4"), many.error());
            Reply malformed = post(s, "/predict", "{\"inputs\": [\"a\",");
            assertEquals(400, malformed.status());
            assertTrue(malformed.error().startsWith("malformed JSON: ") && malformed.error().contains("line 1"),
                    malformed.error());
            assertEquals(400, post(s, "/predict", "{inputs: 'single quotes'}").status());
            assertEquals(400, post(s, "/predict", "").status());
            String[][] wrong = {
                {"{\"inputs\": 3}", "inputs: expected a string, found a number"},
                {"{\"inputs\": [\"a\", {}]}", "inputs[1]: expected a string, [text] or [text, text_pair]"},
                {"{\"inputs\": [[\"a\", \"b\", \"c\"]]}", "inputs[0]: expected [text] or [text, text_pair], found a"
                    + " list of 3"},
                {"{\"inputs\": [[\"a\", 2]]}", "inputs[0][1]: expected a string, found a number"},
                {"{\"inputs\": \"a\", \"raw_scores\": \"yes\"}", "raw_scores: expected true or false"},
                {"{\"text\": \"a\"}", "inputs: missing"},
                {"{\"inputs\": []}", "inputs: empty list"},
                {"{\"inputs\": [\"a\", \"  \"]}", "inputs[1]: empty text"},
                {"[\"a\"]", "body: expected a JSON object, found a list"},
            };
            for (String[] w : wrong) {
                Reply r = post(s, "/predict", w[0]);
                assertEquals(422, r.status(), w[0] + " -> " + r.body());
                assertTrue(r.error().startsWith(w[1]), r.error());
            }
            Reply embedWrong = post(s, "/embed", "{\"inputs\": \"a\", \"normalize\": 1}");
            assertEquals(422, embedWrong.status());
            assertTrue(embedWrong.error().startsWith("normalize:"), embedWrong.error());
            assertEquals(404, get(s, "/nope").status());
            Reply method = get(s, "/predict");
            assertEquals(405, method.status());
            assertEquals(405, post(s, "/health", "{}").status());
            String metrics = get(s, "/metrics").body();
            assertTrue(metric(metrics, "bertft_errors_total{route=\"/predict\"}") >= 14, metrics);
            assertEquals(200, post(s, "/predict", "{\"inputs\": \"still serving\"}").status());
        }
    }

    @Test
    void modelFailuresAre500AndTheServerKeepsServing() throws Exception {
        Server.Settings set = settings(0, 30, 1 << 20, 8);
        java.io.StringWriter log = new java.io.StringWriter();
        Backend real = new Backend(clf.toString(), ModelOptions.defaults().withLog(new java.io.PrintWriter(log)));
        Backend failing = new Backend(real) {
            @Override
            List<Prediction> predict(List<Text> inputs) {
                if (inputs.stream().anyMatch(t -> t.text().equals("boom"))) {
                    throw new IllegalStateException("native failure on boom at /opt/models/m.onnx node /Gather_3");
                }
                if (inputs.stream().anyMatch(t -> t.text().equals("onnx"))) {
                    // what the ONNX runtime path throws when the export does not fit its input: a UserError on the
                    // command line, the model's fault here
                    throw new bertft.onnx.OnnxModelError("model.onnx: ONNX Runtime failed on this input: indices"
                            + " element out of data bounds", null);
                }
                return super.predict(inputs);
            }
        };
        try (Server s = new Server(failing, set, Server.bind(set))) {
            ExecutorService clients = Executors.newFixedThreadPool(4);
            try {
                // one failing request batched with good ones fails alone
                List<Future<Reply>> r = new ArrayList<>();
                for (String t : List.of("boom", "love it", "bad", "the phone")) {
                    r.add(clients.submit(() -> post(s, "/predict", json(java.util.Map.of("inputs", t)))));
                }
                Reply boom = r.get(0).get(30, TimeUnit.SECONDS);
                assertEquals(500, boom.status(), boom.body());
                // what failed in words; the class, path and node only in the server's log
                assertEquals("the model failed on this request; the server's log has the details", boom.error());
                for (String internal : List.of("IllegalStateException", "/opt/models", "Gather", "java.")) {
                    assertFalse(boom.body().contains(internal), boom.body());
                }
                assertTrue(log.toString().contains("java.lang.IllegalStateException: native failure on boom at"
                        + " /opt/models/m.onnx node /Gather_3"), log.toString());
                assertEquals("Backend", boom.json().getAsJsonObject().get("error_type").getAsString());
                for (int i = 1; i < 4; i++) {
                    assertEquals(200, r.get(i).get(30, TimeUnit.SECONDS).status());
                }
            } finally {
                clients.shutdown();
            }
            Reply onnx = post(s, "/predict", "{\"inputs\": \"onnx\"}");
            assertEquals(500, onnx.status(), onnx.body());
            assertEquals("the model failed on this request; the server's log has the details", onnx.error());
            assertEquals(200, post(s, "/predict", "{\"inputs\": \"love it\"}").status());
        }
    }

    @Test
    void closingFinishesTheRequestInFlightThenStopsListening() throws Exception {
        Server.Settings set = settings(0, 1, 1 << 20, 8);
        CountDownLatch entered = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        Backend slow = new Backend(new Backend(clf.toString(), ModelOptions.defaults())) {
            @Override
            List<Prediction> predict(List<Text> inputs) {
                entered.countDown();
                try {
                    release.await();
                } catch (InterruptedException e) {
                    throw new IllegalStateException(e);
                }
                return super.predict(inputs);
            }
        };
        Server s = new Server(slow, set, Server.bind(set));
        CompletableFuture<Reply> inFlight = CompletableFuture.supplyAsync(() -> {
            try {
                return post(s, "/predict", "{\"inputs\": \"love it\"}");
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
        assertTrue(entered.await(10, TimeUnit.SECONDS));
        CompletableFuture<Void> closing = CompletableFuture.runAsync(s::close);
        Thread.sleep(200);
        assertFalse(closing.isDone(), "close waits for the request in flight");
        Reply refused = get(s, "/health");
        assertEquals(503, refused.status(), "new requests are refused while closing");
        release.countDown();
        Reply done = inFlight.get(10, TimeUnit.SECONDS);
        assertEquals(200, done.status(), done.body());
        assertEquals(3, done.json().getAsJsonArray().size());
        closing.get(10, TimeUnit.SECONDS);
        Exception e = assertThrows(Exception.class, () -> get(s, "/health"));
        assertTrue(e instanceof ConnectException || e.getCause() instanceof ConnectException, e.toString());
    }

    @Test
    void sigtermLetsTheRequestsInFlightFinish() throws Exception {
        Path out = tmp.resolve("serve.out");
        Path err = tmp.resolve("serve.err");
        // batches wait 500 ms for company, so the requests are still in flight when the signal comes
        Process p = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx1g",
                "-Dai.djl.offline=true", "-cp", System.getProperty("java.class.path"), "bertft.cli.BertFt", "serve",
                "--model", clf.toString(), "--port", "0", "--max-wait-ms", "500")
                .redirectOutput(out.toFile()).redirectError(err.toFile()).start();
        try {
            String url = null;
            for (long deadline = System.nanoTime() + 60_000_000_000L; url == null; Thread.sleep(50)) {
                Matcher m = Pattern.compile("on (http://\\S+)").matcher(java.nio.file.Files.readString(out));
                url = m.find() ? m.group(1) : null;
                assertTrue(p.isAlive() && System.nanoTime() < deadline, "no URL line; stderr:\n"
                        + java.nio.file.Files.readString(err));
            }
            URI predict = URI.create(url + "/predict");
            assertEquals(200, HTTP.send(HttpRequest.newBuilder(URI.create(url + "/health")).build(),
                    HttpResponse.BodyHandlers.ofString()).statusCode());
            List<CompletableFuture<HttpResponse<String>>> inFlight = new ArrayList<>();
            for (String t : TEXTS.subList(0, 4)) {
                inFlight.add(HTTP.sendAsync(HttpRequest.newBuilder(predict).POST(HttpRequest.BodyPublishers.ofString(
                        json(java.util.Map.of("inputs", t)))).build(), HttpResponse.BodyHandlers.ofString()));
            }
            Thread.sleep(150);
            p.destroy(); // SIGTERM
            for (CompletableFuture<HttpResponse<String>> f : inFlight) {
                HttpResponse<String> r = f.get(30, TimeUnit.SECONDS);
                assertEquals(200, r.statusCode(), r.body());
                assertEquals(3, JsonParser.parseString(r.body()).getAsJsonArray().size());
            }
            assertTrue(p.waitFor(30, TimeUnit.SECONDS), "exits after the signal");
            assertEquals(143, p.exitValue()); // 128 + SIGTERM, after the shutdown hook
            assertTrue(java.nio.file.Files.readString(err).contains("stopping"), java.nio.file.Files.readString(err));
        } finally {
            p.destroyForcibly();
        }
    }

    @Test
    void optionsAreCheckedWhenParsedAndAPortInUseIsOneLine() {
        String model = clf.toString();
        for (String[] bad : new String[][] {{"--port", "70000"}, {"--port", "-1"}, {"--max-body", "1GB"},
            {"--max-batch-size", "0"}, {"--max-wait-ms", "-5"}, {"--max-inputs", "x"}}) {
            CliTest.Run r = CliTest.run("serve", "--model", model, bad[0], bad[1]);
            assertEquals(2, r.code(), r.err());
            assertEquals(1, r.err().strip().lines().count(), r.err());
            assertTrue(r.err().contains(bad[0]), r.err());
        }
        CliTest.Run inUse = CliTest.run("serve", "--model", model, "--port", Integer.toString(server.port()));
        assertEquals(2, inUse.code(), inUse.err());
        assertEquals(1, inUse.err().strip().lines().count(), inUse.err());
        assertTrue(inUse.err().contains("--port " + server.port()), inUse.err());
        UserError e = assertThrows(UserError.class, () -> Server.bind(settings(server.port(), 1, 1, 1)));
        assertTrue(e.getMessage().contains("choose another --port"), e.getMessage());
        // an empty host is refused when parsed (it printed http://:PORT)
        CliTest.Run empty = CliTest.run("serve", "--model", model, "--host", "");
        assertEquals(2, empty.code(), empty.err());
        assertEquals(1, empty.err().strip().lines().count(), empty.err());
        assertTrue(empty.err().contains("--host") && empty.err().contains("empty"), empty.err());
        // an address that is not this machine's blames the host, not the port
        CliTest.Run foreign = CliTest.run("serve", "--model", model, "--host", "192.0.2.1", "--port", "0");
        assertEquals(2, foreign.code(), foreign.err());
        assertEquals("bert-ft: --host 192.0.2.1: not an address of this machine, so the server cannot listen there;"
                + " use 127.0.0.1 (this machine only), 0.0.0.0 (every interface) or one of this machine's addresses",
                foreign.err().strip());
    }
}
