package bertft;

import bertft.checkpoint.TensorData;
import bertft.model.AdapterDir;
import bertft.model.Bert;
import bertft.model.BertConfig;
import bertft.model.Checkpoint;
import bertft.model.Peft;
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
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

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
                        TaskModel.Head.CLASSIFIER, 2, TaskModel.Pooling.MEAN, 0.1, seed, "tiny", true)) {
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

    /**
     * A tiny random classifier as bert-ft saves one (id2label, bert_ft_task), untrained: for the commands that
     * need a fine-tuned model, when what they print matters more than what it predicts.
     */
    public static Path classifier(Path dir, long seed, String... labels) {
        JsonObject id2label = new JsonObject();
        for (int i = 0; i < labels.length; i++) {
            id2label.addProperty(Integer.toString(i), labels[i]);
        }
        JsonObject task = new JsonObject();
        task.addProperty("task", "classification");
        task.addProperty("max_length", 32);
        JsonObject extra = new JsonObject();
        extra.add("id2label", id2label);
        extra.add("bert_ft_task", task);
        return withHead(dir, seed, "classifier", labels.length, extra);
    }

    /**
     * A tiny random token classifier as bert-ft saves one (BertForTokenClassification, id2label, bert_ft_task with
     * {@code maxLength}), untrained: for the commands that tag, when how they answer matters more than what.
     */
    public static Path tagger(Path dir, long seed, int maxLength, String... labels) {
        JsonObject id2label = new JsonObject();
        JsonObject label2id = new JsonObject();
        for (int i = 0; i < labels.length; i++) {
            id2label.addProperty(Integer.toString(i), labels[i]);
            label2id.addProperty(labels[i], i);
        }
        JsonObject task = new JsonObject();
        task.addProperty("task", "token-classification");
        task.addProperty("max_length", maxLength);
        JsonObject extra = new JsonObject();
        com.google.gson.JsonArray arch = new com.google.gson.JsonArray();
        arch.add("BertForTokenClassification");
        extra.add("architectures", arch);
        extra.add("id2label", id2label);
        extra.add("label2id", label2id);
        extra.add("bert_ft_task", task);
        return withHead(dir, seed, "classifier", labels.length, extra);
    }

    /** A tiny random extractive-QA model (qa_outputs), with windows that fit its 64 positions. */
    public static Path qa(Path dir, long seed) {
        JsonObject task = new JsonObject();
        task.addProperty("task", "qa");
        task.addProperty("max_length", 64);
        task.addProperty("doc_stride", 16);
        task.addProperty("max_query_length", 16);
        JsonObject extra = new JsonObject();
        extra.add("bert_ft_task", task);
        return withHead(dir, seed, "qa_outputs", 2, extra);
    }

    /**
     * A tiny LoRA adapter run on {@code base} (a {@link #checkpoint}), as bert-ft saves one: r 4, alpha 8 on query and
     * value with random A and B (so it changes the outputs), a random head over {@code pooling} with these labels,
     * id2label and bert_ft_task.
     */
    public static Path lora(Path dir, Path base, long seed, TaskModel.Pooling pooling, String... labels) {
        Checkpoint ckpt = Checkpoint.read(base);
        Peft.Config cfg = new Peft.Config(Peft.Type.LORA, 4, 8, 0.1, List.of("query", "value"), List.of(), "none",
                false);
        Random rng = new Random(seed);
        Map<String, TensorData> t = new LinkedHashMap<>();
        for (String m : Peft.matching(ckpt.config(), cfg.targets(), "test")) {
            t.put(m + ".lora_A.weight", Bert.init(m + ".lora_A.weight", new long[] {4, 32}, 0.3, rng));
            t.put(m + ".lora_B.weight", Bert.init(m + ".lora_B.weight", new long[] {32, 4}, 0.3, rng));
        }
        JsonObject id2label = new JsonObject();
        for (int i = 0; i < labels.length; i++) {
            id2label.addProperty(Integer.toString(i), labels[i]);
        }
        JsonObject task = new JsonObject();
        task.addProperty("task", "classification");
        task.addProperty("max_length", 32);
        JsonObject extra = new JsonObject();
        extra.add("id2label", id2label);
        extra.add("bert_ft_task", task);
        try (TaskModel model = TaskModel.create(ckpt, TaskModel.Head.CLASSIFIER, labels.length, pooling, 0.1, seed,
                "tiny", false); BertTokenizer tok = tokenizer(64)) {
            model.attach(Peft.load(cfg, ckpt.config(), t, "tiny"));
            Files.createDirectories(dir);
            AdapterDir.fill(dir, model, extra, base.toString(), tok);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return dir;
    }

    /**
     * A tiny random checkpoint with a head {@code head} ({@code classifier}, {@code qa_outputs}) of {@code outputs}
     * and {@code extra} in its config (architectures, id2label, problem_type, bert_ft_task, ...).
     */
    public static Path withHead(Path dir, long seed, String head, int outputs, JsonObject extra) {
        try (Bert bert = bert(seed); BertTokenizer tok = tokenizer(64)) {
            Random rng = new Random(seed);
            Map<String, TensorData> heads = new LinkedHashMap<>();
            heads.put(head + ".weight", Bert.init(head + ".weight", new long[] {outputs, 32}, 0.5, rng));
            heads.put(head + ".bias", Bert.init(head + ".bias", new long[] {outputs}, 0.5, rng));
            new Checkpoint(bert.config().withJson(extra), bert.tensors(), heads).write(dir, tok);
        }
        return dir;
    }
}
