package bertft;

import bertft.checkpoint.Checkpoint;
import bertft.model.Bert;
import bertft.model.BertConfig;
import bertft.model.TaskModel;
import bertft.text.BertTokenizer;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.List;
import java.util.Map;

/** A tiny random BERT over {@code vocab/tiny-vocab.txt}, for fast tests. */
public final class Tiny {
    public static final Path VOCAB = Paths.get("vocab", "tiny-vocab.txt");

    private Tiny() {}

    public static List<String> vocab() {
        try {
            return Files.readAllLines(VOCAB, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** 2 layers, hidden 32, 4 heads, intermediate 64, 64 positions. */
    public static BertConfig config() {
        return BertConfig.of(vocab().size(), 32, 2, 4, 64, 64);
    }

    public static Bert bert(long seed) {
        return Bert.random(config(), true, seed);
    }

    public static BertTokenizer tokenizer(int maxLength) {
        return BertTokenizer.of(BertTokenizer.fromVocab(vocab(), true), maxLength);
    }

    /** Writes a tiny (untrained) sentiment classifier: labels negative, positive; mean pooling. */
    public static Path classifier(Path dir, long seed) {
        try (Bert bert = bert(seed); BertTokenizer tok = tokenizer(64);
                TaskModel m = TaskModel.create(new Checkpoint(bert.config(), bert.tensors(), Map.of()),
                        TaskModel.Head.CLASSIFIER, 2, TaskModel.Pooling.MEAN, 0.1, seed, "tiny")) {
            JsonObject extra = JsonParser.parseString("{\"id2label\": {\"0\": \"negative\", \"1\": \"positive\"},"
                    + " \"label2id\": {\"negative\": 0, \"positive\": 1}}").getAsJsonObject();
            m.checkpoint(extra).write(dir, tok);
        }
        return dir;
    }

    /** Writes a tiny checkpoint directory (config.json, model.safetensors, tokenizer files). */
    public static Path checkpoint(Path dir, long seed) {
        try (Bert bert = bert(seed); BertTokenizer tok = tokenizer(64)) {
            new Checkpoint(bert.config(), bert.tensors(), Map.of()).write(dir, tok);
        }
        return dir;
    }
}
