package bertft.serve;

import static bertft.serve.ServerTest.assertScores;
import static bertft.serve.ServerTest.get;
import static bertft.serve.ServerTest.json;
import static bertft.serve.ServerTest.post;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import bertft.Tiny;
import bertft.api.Classifier;
import bertft.api.ModelOptions;
import bertft.api.Prediction;
import bertft.model.TaskModel;
import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code serve --model BASE --adapter a=DIR --adapter b=DIR}: each request through its own adapter. */
class AdapterRouteTest {
    @TempDir
    static Path tmp;
    static Path base;
    static Path a;
    static Path b;
    static Server server;
    static Classifier aloneA;
    static Classifier aloneB;

    @BeforeAll
    static void start() {
        base = Tiny.checkpoint(tmp.resolve("base"), 1);
        a = Tiny.lora(tmp.resolve("a"), base, 2, TaskModel.Pooling.POOLER, "neg", "pos");
        b = Tiny.lora(tmp.resolve("b"), base, 3, TaskModel.Pooling.MEAN, "x", "y", "z");
        Map<String, String> adapters = new LinkedHashMap<>();
        adapters.put("a", a.toString());
        adapters.put("b", b.toString());
        server = Server.start(base.toString(), adapters, ModelOptions.defaults(), ServerTest.settings(0, 20, 1 << 20, 8));
        aloneA = Classifier.load(a.toString());
        aloneB = Classifier.load(b.toString());
    }

    @AfterAll
    static void stop() {
        server.close();
        aloneA.close();
        aloneB.close();
    }

    @Test
    void aRequestPicksItsAdapterByBodyOrRoute() throws Exception {
        ServerTest.Reply one = post(server, "/predict", json(Map.of("inputs", "love it", "adapter", "a")));
        assertEquals(200, one.status(), one.body());
        assertScores(aloneA.predict("love it"), one.json().getAsJsonArray(), false);
        ServerTest.Reply many = post(server, "/adapters/b/predict", json(Map.of("inputs", ServerTest.TEXTS)));
        assertEquals(200, many.status(), many.body());
        List<Prediction> want = aloneB.predict(ServerTest.TEXTS);
        for (int i = 0; i < want.size(); i++) {
            assertScores(want.get(i), many.json().getAsJsonArray().get(i).getAsJsonArray(), false);
        }
        ServerTest.Reply same = post(server, "/adapters/a/predict", "{\"inputs\": [\"bad\"], \"adapter\": \"a\"}");
        assertScores(aloneA.predict("bad"), same.json().getAsJsonArray().get(0).getAsJsonArray(), false);
        assertEquals(200, get(server, "/health").status());
    }

    @Test
    void noAdapterOrAnUnknownOneNamesTheChoices() throws Exception {
        ServerTest.Reply none = post(server, "/predict", json(Map.of("inputs", "love it")));
        assertEquals(400, none.status());
        assertEquals("adapter: missing; this server runs several adapters (a, b): send {\"adapter\": \"a\", ...} or"
                + " POST /adapters/a/predict", none.error());
        ServerTest.Reply unknown = post(server, "/predict", json(Map.of("inputs", "love it", "adapter", "c")));
        assertEquals(404, unknown.status());
        assertEquals("adapter 'c': not loaded; the adapters are a, b", unknown.error());
        assertEquals(404, post(server, "/adapters/c/predict", json(Map.of("inputs", "x"))).status());
        ServerTest.Reply both = post(server, "/adapters/a/predict", json(Map.of("inputs", "x", "adapter", "b")));
        assertEquals(400, both.status());
        assertTrue(both.error().contains("the body names 'b' but the route 'a'"), both.error());
        assertEquals(422, post(server, "/predict", "{\"inputs\": \"x\", \"adapter\": 3}").status());
        assertEquals(405, get(server, "/adapters/a/predict").status());
        assertEquals(404, post(server, "/adapters/a/embed", json(Map.of("inputs", "x"))).status());
    }

    @Test
    void infoListsTheAdaptersWithTheirLabels() throws Exception {
        JsonObject info = get(server, "/info").json().getAsJsonObject();
        assertEquals(base.toString(), info.get("model_id").getAsString());
        JsonArray adapters = info.getAsJsonArray("adapters");
        assertEquals(2, adapters.size());
        assertEquals("a", adapters.get(0).getAsJsonObject().get("name").getAsString());
        assertEquals("[\"neg\",\"pos\"]", adapters.get(0).getAsJsonObject().get("labels").toString());
        assertEquals("[\"x\",\"y\",\"z\"]", adapters.get(1).getAsJsonObject().get("labels").toString());
        assertEquals(b.toString(), adapters.get(1).getAsJsonObject().get("path").getAsString());
    }

    /** Concurrent clients on both adapters: batches mix them, and every answer is its own adapter's. */
    @Test
    void concurrentRequestsForDifferentAdaptersShareBatchesAndGetTheirOwnAnswers() throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(8);
        try {
            List<Future<?>> runs = new ArrayList<>();
            for (int c = 0; c < 8; c++) {
                int client = c;
                runs.add(pool.submit(() -> {
                    for (int k = 0; k < 12; k++) {
                        String text = ServerTest.TEXTS.get((client + k) % ServerTest.TEXTS.size());
                        boolean useA = (client + k) % 2 == 0;
                        ServerTest.Reply r = post(server, "/predict", json(Map.of("inputs", text, "adapter",
                                useA ? "a" : "b")));
                        assertEquals(200, r.status(), r.body());
                        assertScores((useA ? aloneA : aloneB).predict(text), r.json().getAsJsonArray(), false);
                    }
                    return null;
                }));
            }
            for (Future<?> f : runs) {
                f.get();
            }
        } finally {
            pool.shutdown();
        }
        String metrics = get(server, "/metrics").body();
        assertTrue(metrics.contains("batch_size_count{route=\"/predict\"}"), metrics);
    }

    /** Seeded hostile bodies on the adapter routes: always a 4xx JSON error or a 200, never a 500. */
    @Test
    void hostileBodiesOnAdapterRoutesStay4xxJson() throws Exception {
        Random rng = new Random(35);
        String[] parts = {"{", "}", "[", "]", "\"adapter\"", "\"inputs\"", ":", ",", "\"a\"", "\"b\"", "null", "3",
            "\"\"", "\"\\u0000\"", "true", "\"/..\"", "{\"adapter\": {}}", "\"love it\""};
        String[] routes = {"/predict", "/adapters/a/predict", "/adapters/%2e%2e/predict", "/adapters//predict",
            "/adapters/b/predict"};
        for (int i = 0; i < 60; i++) {
            StringBuilder body = new StringBuilder();
            int n = rng.nextInt(8);
            for (int k = 0; k < n; k++) {
                body.append(parts[rng.nextInt(parts.length)]);
            }
            String route = routes[rng.nextInt(routes.length)];
            ServerTest.Reply r = post(server, route, body.toString());
            assertTrue(r.status() == 200 || r.status() >= 400 && r.status() < 500, route + " " + body + ": "
                    + r.status() + " " + r.body());
            if (r.status() != 200) {
                assertTrue(r.json().getAsJsonObject().has("error"), r.body());
            }
        }
    }

    @Test
    void aServerWithoutAdaptersRefusesOneByName() throws Exception {
        Path clf = Tiny.classifier(tmp.resolve("clf"), 5, "neg", "pos");
        try (Server plain = Server.start(clf.toString(), ModelOptions.defaults(), ServerTest.settings(0, 20, 1 << 20,
                8))) {
            ServerTest.Reply r = post(plain, "/predict", json(Map.of("inputs", "x", "adapter", "a")));
            assertEquals(404, r.status());
            assertTrue(r.error().startsWith("adapter 'a': this server runs no adapters"), r.error());
            assertEquals(404, post(plain, "/adapters/a/predict", json(Map.of("inputs", "x"))).status());
        }
    }
}
