package bertft.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import bertft.infer.Embedder;
import bertft.text.Batch;
import bertft.text.BertTokenizer;
import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** The bundled MiniLM against outputs of HuggingFace Transformers ({@code ../shared/golden/minilm.json}). */
@Tag("slow")
class MiniLmGoldenTest {
    static final Path GOLDEN = Paths.get("..", "shared", "golden", "minilm.json");
    static JsonArray examples;
    static Path dir;

    @BeforeAll
    static void load() throws IOException {
        examples = JsonParser.parseString(Files.readString(GOLDEN)).getAsJsonObject().getAsJsonArray("examples");
        dir = ModelStore.resolve("minilm");
    }

    @Test
    void tokenIdsMatchHuggingFace() {
        try (BertTokenizer tok = BertTokenizer.load(dir, 512)) {
            for (JsonElement e : examples) {
                JsonObject ex = e.getAsJsonObject();
                long[] expected = longs(ex.getAsJsonArray("input_ids"));
                assertArrayEquals(expected, tok.encode(ex.get("text").getAsString()).getIds(), ex.get("text").toString());
            }
        }
    }

    @Test
    void lastHiddenStateMatchesWithin1e4() {
        Checkpoint ckpt = Checkpoint.read(dir);
        try (Bert bert = Bert.fromTensors(ckpt.config(), ckpt.encoder(), "minilm");
                BertTokenizer tok = BertTokenizer.load(dir, 512)) {
            double worst = 0;
            for (JsonElement e : examples) {
                JsonObject ex = e.getAsJsonObject();
                try (NDManager m = NDManager.newBaseManager()) {
                    Batch b = Batch.of(List.of(tok.encode(ex.get("text").getAsString())), m);
                    float[] got = bert.forward(b.inputIds(), b.tokenTypeIds(), b.attentionMask(), false).toFloatArray();
                    float[] want = floats2d(ex.getAsJsonArray("last_hidden_state"));
                    assertEquals(want.length, got.length);
                    for (int i = 0; i < got.length; i++) {
                        worst = Math.max(worst, Math.abs(got[i] - want[i]));
                    }
                }
            }
            assertTrue(worst < 1e-4, "max |diff| " + worst);
        }
    }

    @Test
    void sentenceEmbeddingsMatchAndBatchingDoesNotChangeThem() {
        List<String> texts = new ArrayList<>();
        examples.forEach(e -> texts.add(e.getAsJsonObject().get("text").getAsString()));
        try (Embedder embedder = new Embedder(dir, 512, 3)) {
            float[][] got = embedder.embed(texts); // batches of 3 mixing lengths: padding is exercised
            for (int i = 0; i < texts.size(); i++) {
                float[] want = floats1d(examples.get(i).getAsJsonObject().getAsJsonArray("mean_pooled_normalized"));
                double dot = 0;
                for (int j = 0; j < want.length; j++) {
                    dot += got[i][j] * want[j];
                }
                assertTrue(dot >= 0.99999, texts.get(i) + ": cosine " + dot);
            }
            int eat = texts.indexOf("A man is eating food.");
            int ride = texts.indexOf("A man is riding a horse.");
            double cos = 0;
            for (int j = 0; j < got[eat].length; j++) {
                cos += got[eat][j] * got[ride][j];
            }
            assertEquals(0.247, cos, 0.01);
        }
    }

    static long[] longs(JsonArray a) {
        long[] out = new long[a.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = a.get(i).getAsLong();
        }
        return out;
    }

    static float[] floats1d(JsonArray a) {
        float[] out = new float[a.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = a.get(i).getAsFloat();
        }
        return out;
    }

    static float[] floats2d(JsonArray rows) {
        int h = rows.get(0).getAsJsonArray().size();
        float[] out = new float[rows.size() * h];
        for (int r = 0; r < rows.size(); r++) {
            System.arraycopy(floats1d(rows.get(r).getAsJsonArray()), 0, out, r * h, h);
        }
        return out;
    }
}
