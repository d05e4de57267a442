package bertft.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import bertft.UserError;
import bertft.checkpoint.Checkpoint;
import bertft.checkpoint.TensorData;
import bertft.text.Batch;
import com.google.gson.JsonObject;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;

/**
 * A BERT encoder with a task head, named as HuggingFace's task models name theirs: {@code bert.*} for the
 * encoder, {@code classifier.*} for sequence classification, {@code qa_outputs.*} for extractive QA.
 *
 * <p>{@link #params()} is the one name-keyed view the trainer works on: freezing, layer-wise learning rates and
 * saving all read it.
 */
public final class TaskModel implements AutoCloseable {
    /** What the head computes. */
    public enum Head {
        /** Sequence classification (single-label, multi-label or regression): pooled vector -> logits. */
        CLASSIFIER("classifier", "BertForSequenceClassification"),
        /** Extractive QA: every token -> start and end logits. */
        QA("qa_outputs", "BertForQuestionAnswering");

        final String prefix;
        final String architecture;

        Head(String prefix, String architecture) {
            this.prefix = prefix;
            this.architecture = architecture;
        }
    }

    /** How a sequence becomes one vector: the pooler (dense + tanh on [CLS]), raw [CLS], or the mean of tokens. */
    public enum Pooling { POOLER, CLS, MEAN }

    private final Bert bert;
    private final Head head;
    private final Pooling pooling;
    private final double dropout;
    private final NDManager headManager;
    private final Map<String, NDArray> headParams = new LinkedHashMap<>();
    private final Map<String, NDArray> params = new LinkedHashMap<>();

    private TaskModel(Bert bert, Head head, Pooling pooling, double dropout, Map<String, TensorData> headTensors) {
        this.bert = bert;
        this.head = head;
        this.pooling = pooling;
        this.dropout = dropout;
        this.headManager = NDManager.newBaseManager();
        headTensors.forEach((k, t) -> {
            NDArray a = headManager.create(t.data().duplicate(), new Shape(t.shape()), DataType.FLOAT32);
            a.setName(k);
            headParams.put(k, a);
        });
        bert.params().forEach((k, v) -> params.put("bert." + k, v));
        params.putAll(headParams);
    }

    /**
     * Builds a task model from a checkpoint. A head already in the checkpoint is kept when its shape fits
     * {@code outputs}; otherwise (and for a missing pooler under {@link Pooling#POOLER}) the weights are
     * initialised as HuggingFace does: N(0, initializer_range), biases 0, from {@code seed}.
     */
    public static TaskModel create(Checkpoint ckpt, Head head, int outputs, Pooling pooling, double dropout,
            long seed, String source) {
        BertConfig c = ckpt.config();
        Random rng = new Random(seed);
        Map<String, TensorData> encoder = new LinkedHashMap<>(ckpt.encoder());
        if (head == Head.CLASSIFIER && pooling == Pooling.POOLER && !encoder.containsKey("pooler.dense.weight")) {
            long h = c.hiddenSize();
            encoder.put("pooler.dense.weight", Bert.init("pooler.dense.weight", new long[] {h, h}, c.initializerRange(), rng));
            encoder.put("pooler.dense.bias", Bert.init("pooler.dense.bias", new long[] {h}, c.initializerRange(), rng));
        }
        Map<String, TensorData> headTensors = new LinkedHashMap<>();
        long[] w = {outputs, c.hiddenSize()};
        TensorData existing = ckpt.heads().get(head.prefix + ".weight");
        boolean reuse = existing != null && Arrays.equals(existing.shape(), w);
        headTensors.put(head.prefix + ".weight", reuse ? existing
                : Bert.init(head.prefix + ".weight", w, c.initializerRange(), rng));
        TensorData bias = ckpt.heads().get(head.prefix + ".bias");
        headTensors.put(head.prefix + ".bias", reuse && bias != null ? bias
                : Bert.init(head.prefix + ".bias", new long[] {outputs}, c.initializerRange(), rng));
        return new TaskModel(Bert.fromTensors(c, encoder, source), head, pooling, dropout, headTensors);
    }

    /** Loads a model saved by {@link #checkpoint}: the head must be present. */
    public static TaskModel load(Checkpoint ckpt, Head head, String source) {
        TensorData w = ckpt.heads().get(head.prefix + ".weight");
        if (w == null) {
            String has = ckpt.heads().isEmpty() ? "no task head"
                    : "a " + ckpt.heads().keySet().iterator().next().split("\\.")[0] + " head";
            throw new UserError(source + ": has " + has + ", needs " + head.prefix + " (" + head.architecture + ")");
        }
        JsonObject j = ckpt.config().json();
        Pooling pooling = j.has("bert_ft_pooling")
                ? Pooling.valueOf(j.get("bert_ft_pooling").getAsString().toUpperCase(java.util.Locale.ROOT))
                : Pooling.POOLER;
        double dropout = j.has("classifier_dropout") && !j.get("classifier_dropout").isJsonNull()
                ? j.get("classifier_dropout").getAsDouble() : ckpt.config().hiddenDropoutProb();
        return create(ckpt, head, (int) w.shape()[0], pooling, dropout, 0, source);
    }

    public Bert bert() {
        return bert;
    }

    public Head head() {
        return head;
    }

    public Pooling pooling() {
        return pooling;
    }

    /** Whether a parameter takes part in {@link #forward} (the pooler does only under {@link Pooling#POOLER}). */
    public boolean used(String name) {
        return !name.startsWith("bert.pooler.") || (head == Head.CLASSIFIER && pooling == Pooling.POOLER);
    }

    /** Every parameter by its HuggingFace task-model name ({@code bert.encoder.layer.3...}, {@code classifier.weight}). */
    public Map<String, NDArray> params() {
        return params;
    }

    /** Logits: (B, outputs) for a classifier, (B, T, 2) for QA; dropout on where the flags say training. */
    public NDArray forward(Batch b, boolean trainEncoder, boolean trainHead) {
        NDArray hidden = bert.forward(b.inputIds(), b.tokenTypeIds(), b.attentionMask(), trainEncoder);
        return head(hidden, b.attentionMask(), trainHead);
    }

    /** Inference logits (no dropout). */
    public NDArray forward(Batch b) {
        return forward(b, false, false);
    }

    /** The head on the encoder's output (B, T, H). */
    public NDArray head(NDArray hidden, NDArray attentionMask, boolean training) {
        if (head == Head.QA) {
            return linear(hidden, head.prefix); // (B, T, H) -> (B, T, 2)
        }
        return headOnFeatures(features(hidden, attentionMask), training);
    }

    /**
     * What the encoder hands the classifier head: [CLS]'s hidden state (for the pooler or raw [CLS]) or the mean
     * of real tokens, (B, T, H) -> (B, H). With a frozen encoder these are all the head ever needs, so they
     * can be computed once and cached.
     */
    public NDArray features(NDArray hidden, NDArray attentionMask) {
        return pooling == Pooling.MEAN ? Bert.meanPool(hidden, attentionMask) : hidden.get(":, 0, :");
    }

    /** The trainable part of a classifier head: [pooler], dropout, classifier; (B, H) -> (B, outputs). */
    public NDArray headOnFeatures(NDArray features, boolean training) {
        NDArray pooled = pooling == Pooling.POOLER ? linear(features, "bert.pooler.dense").tanh() : features;
        if (training && dropout > 0) {
            pooled = pooled.getNDArrayInternal().dropout(pooled, (float) dropout, true).singletonOrThrow();
        }
        return linear(pooled, head.prefix);
    }

    private NDArray linear(NDArray x, String name) {
        return x.getNDArrayInternal().linear(x, params.get(name + ".weight"), params.get(name + ".bias"))
                .singletonOrThrow();
    }

    /** The model as a HuggingFace checkpoint; {@code config} should carry id2label and problem_type. */
    public Checkpoint checkpoint(JsonObject configExtra) {
        JsonObject extra = bert.config().json().deepCopy();
        configExtra.entrySet().forEach(e -> extra.add(e.getKey(), e.getValue()));
        com.google.gson.JsonArray arch = new com.google.gson.JsonArray();
        arch.add(head.architecture);
        extra.add("architectures", arch);
        extra.addProperty("bert_ft_pooling", pooling.name().toLowerCase(java.util.Locale.ROOT));
        extra.addProperty("classifier_dropout", dropout);
        Map<String, TensorData> heads = new LinkedHashMap<>();
        headParams.forEach((k, v) -> heads.put(k, Bert.toTensorData(v)));
        return new Checkpoint(bert.config().withJson(extra), bert.tensors(), heads);
    }

    @Override
    public void close() {
        headManager.close();
        bert.close();
    }
}
