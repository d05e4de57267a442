package bertft;

import bertft.checkpoint.Checkpoint;
import bertft.model.Bert;
import bertft.model.BertConfig;
import bertft.text.BertTokenizer;
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

    /** Writes a tiny checkpoint directory (config.json, model.safetensors, tokenizer files). */
    public static Path checkpoint(Path dir, long seed) {
        try (Bert bert = bert(seed); BertTokenizer tok = tokenizer(64)) {
            new Checkpoint(bert.config(), bert.tensors(), Map.of()).write(dir, tok);
        }
        return dir;
    }
}
