package bertft.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import bertft.UserError;
import bertft.checkpoint.TensorData;
import bertft.text.Batch;
import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;

/**
 * An encoder with a task head, named as HuggingFace's task models name theirs: the family's prefix for the encoder
 * ({@code bert.*}, {@code roberta.*}, {@code distilbert.*}, ...), the family's own head for sequence classification
 * (see {@link Family.ClassifierHead}), {@code qa_outputs.*} for extractive QA, {@code classifier.*} over every
 * token for token classification.
 *
 * <p>{@link #params()} is the one name-keyed view the trainer works on: freezing, layer-wise learning rates and
 * saving all read it.
 */
public final class TaskModel implements AutoCloseable {
    /** What the head computes. */
    public enum Head {
        /** Sequence classification (single-label, multi-label or regression): pooled vector -> logits. */
        CLASSIFIER("ForSequenceClassification"),
        /** Extractive QA: every token -> start and end logits. */
        QA("ForQuestionAnswering"),
        /** Token classification (a tag per word): every token -> logits, {@code classifier} after dropout. */
        TOKEN("ForTokenClassification");

        /** The HuggingFace class suffix: {@code BertForSequenceClassification}. */
        public final String suffix;

        Head(String suffix) {
            this.suffix = suffix;
        }
    }

    /**
     * The vector a sequence becomes before the classifier. For BERT: the pooler (dense + tanh on [CLS]), raw [CLS],
     * or the mean of tokens. Other families have no separate pooler: {@code POOLER} and {@code CLS} both feed the
     * first token to the family's own head, as HuggingFace does, and {@code MEAN} feeds the mean of tokens to it
     * ({@code SENTENCE}: that mean, L2-normalised).
     */
    public enum Pooling {
        POOLER, CLS, MEAN,
        /** The mean of tokens, L2-normalised: the sentence embedding ({@code bert-ft embed}, SetFit's head input). */
        SENTENCE
    }

    private final Encoder encoder;
    private final Family family;
    private final Head head;
    private final Pooling pooling;
    private final double dropout;
    private final NDManager headManager;
    private final Map<String, NDArray> headParams = new LinkedHashMap<>();
    private final Map<String, NDArray> params = new LinkedHashMap<>();
    private Peft peft;
    private final Peft shared; // the adapter of this head on a base encoder it shares with others (null: owns it)

    private TaskModel(Encoder encoder, Head head, Pooling pooling, double dropout, Map<String, TensorData> headTensors) {
        this(encoder, head, pooling, dropout, headTensors, null);
    }

    private TaskModel(Encoder encoder, Head head, Pooling pooling, double dropout, Map<String, TensorData> headTensors,
            Peft shared) {
        this.shared = shared;
        this.encoder = encoder;
        this.family = encoder.config().family();
        this.head = head;
        this.pooling = pooling;
        this.dropout = dropout;
        this.headManager = Torch.newManager();
        headTensors.forEach((k, t) -> {
            NDArray a = headManager.create(t.data().duplicate(), new Shape(t.shape()), DataType.FLOAT32);
            a.setName(k);
            headParams.put(k, a);
        });
        encoder.params().forEach((k, v) -> params.put(family.prefix() + "." + k, v));
        params.putAll(headParams);
    }

    /**
     * The head's output layer: {@code qa_outputs}, {@code classifier} (token classification, every family), or the
     * family's sequence classifier ({@code classifier.out_proj}).
     */
    public static String outputLayer(Family family, Head head) {
        return switch (head) {
            case QA -> "qa_outputs";
            case TOKEN -> "classifier";
            case CLASSIFIER -> family.classifier().out;
        };
    }

    /**
     * Builds a task model from a checkpoint. Head weights already in the checkpoint are kept when their shapes fit
     * (the output layer's only when {@code keepOutput}); the rest (and a missing pooler under
     * {@link Pooling#POOLER} for BERT) are initialised as HuggingFace does: N(0, initializer_range), biases 0, from
     * {@code seed}. A pooler other families' task models do not use is left out, as HuggingFace leaves it.
     */
    public static TaskModel create(Checkpoint ckpt, Head head, int outputs, Pooling pooling, double dropout,
            long seed, String source, boolean keepOutput) {
        BertConfig c = ckpt.config();
        Family family = c.family();
        Family.ClassifierHead kind = family.classifier();
        Random rng = new Random(seed);
        long h = c.hiddenSize();
        Map<String, TensorData> encoder = new LinkedHashMap<>(ckpt.encoder());
        if (kind == Family.ClassifierHead.POOLER && head == Head.CLASSIFIER) {
            if (head == Head.CLASSIFIER && pooling == Pooling.POOLER && !encoder.containsKey("pooler.dense.weight")) {
                encoder.put("pooler.dense.weight", Bert.init("pooler.dense.weight", new long[] {h, h},
                        c.initializerRange(), rng));
                encoder.put("pooler.dense.bias", Bert.init("pooler.dense.bias", new long[] {h}, c.initializerRange(),
                        rng));
            }
        } else {
            // HuggingFace builds these task models (BERT's QA and token heads too) with add_pooling_layer=False: no
            // pooler to save or train (a saved one is an unexpected key in Transformers)
            encoder.keySet().removeIf(k -> k.startsWith("pooler."));
        }
        Map<String, TensorData> headTensors = new LinkedHashMap<>();
        if (head == Head.CLASSIFIER && kind.dense != null) {
            layer(headTensors, ckpt, kind.dense, h, h, true, c, rng);
        }
        layer(headTensors, ckpt, outputLayer(family, head), outputs, h, keepOutput, c, rng);
        return new TaskModel(family.encoder().build(c, encoder, source), head, pooling, dropout, headTensors);
    }

    /** A linear layer {@code name} (out x in): the checkpoint's when it fits and {@code keep}, else a new one. */
    private static void layer(Map<String, TensorData> out, Checkpoint ckpt, String name, long rows, long cols,
            boolean keep, BertConfig c, Random rng) {
        long[] w = {rows, cols};
        TensorData weight = ckpt.heads().get(name + ".weight");
        TensorData bias = ckpt.heads().get(name + ".bias");
        boolean reuse = keep && weight != null && bias != null && Arrays.equals(weight.shape(), w);
        out.put(name + ".weight", reuse ? weight : Bert.init(name + ".weight", w, c.initializerRange(), rng));
        out.put(name + ".bias", reuse ? bias : Bert.init(name + ".bias", new long[] {rows}, c.initializerRange(), rng));
    }

    /**
     * Whether a checkpoint has this head's output layer (a task model of that kind). BERT's sequence and token
     * classifiers are both {@code classifier}: {@code architectures} ({@code BertForTokenClassification}) tells them
     * apart.
     */
    public static boolean hasHead(Checkpoint ckpt, Head head) {
        if (head != Head.QA && (head == Head.TOKEN) != isTokenModel(ckpt)) {
            return false;
        }
        return ckpt.heads().containsKey(outputLayer(ckpt.config().family(), head) + ".weight");
    }

    /** Whether the config names a {@code *ForTokenClassification} architecture. */
    private static boolean isTokenModel(Checkpoint ckpt) {
        JsonElement arch = ckpt.config().json().get("architectures");
        if (arch == null || !arch.isJsonArray()) {
            return false;
        }
        for (JsonElement a : arch.getAsJsonArray()) {
            if (a.isJsonPrimitive() && a.getAsString().endsWith(Head.TOKEN.suffix)) {
                return true;
            }
        }
        return false;
    }

    /**
     * An adapter's task model on a base {@code encoder} that others share: the head (and BERT's pooler, when the
     * adapter saved one) of {@code ckpt} (the base with the adapter's head, see {@link AdapterDir#withHead}), and
     * {@code adapter} applied on this model's passes without touching the encoder. Closing it closes the head and
     * the adapter, not the encoder. An adapter that changes other encoder weights (PEFT's {@code bias: all}) cannot
     * share its base: one line.
     */
    public static TaskModel sharing(Encoder encoder, Checkpoint ckpt, Map<String, TensorData> replaced, Head head,
            Peft adapter, String source) {
        Family family = ckpt.config().family();
        TensorData w = ckpt.heads().get(outputLayer(family, head) + ".weight");
        if (w == null) {
            throw new UserError(source + ": has no task head and neither has its base; needs "
                    + outputLayer(family, head) + " (" + family.architecture() + head.suffix + ")");
        }
        Map<String, TensorData> headTensors = new LinkedHashMap<>();
        replaced.forEach((k, v) -> {
            if (!k.startsWith("pooler.")) {
                throw new UserError(source + ": replaces the base's " + family.prefix() + "." + k + " (PEFT bias 'all'"
                        + " or 'lora_only'?), so it cannot share its base with other adapters; merge it (`bert-ft merge`)"
                        + " and serve it alone");
            }
            headTensors.put(family.prefix() + "." + k, v); // the adapter's own pooler, over the base's
        });
        Family.ClassifierHead kind = family.classifier();
        for (String layer : head == Head.CLASSIFIER && kind.dense != null ? List.of(kind.dense, outputLayer(family, head))
                : List.of(outputLayer(family, head))) {
            for (String p : List.of(".weight", ".bias")) {
                TensorData t = ckpt.heads().get(layer + p);
                if (t == null) {
                    throw new UserError(source + ": its head has no " + layer + p);
                }
                headTensors.put(layer + p, t);
            }
        }
        JsonObject j = ckpt.config().json();
        Pooling pooling = j.has("bert_ft_pooling")
                ? Pooling.valueOf(j.get("bert_ft_pooling").getAsString().toUpperCase(Locale.ROOT))
                : Pooling.POOLER;
        if (head == Head.CLASSIFIER && pooling == Pooling.POOLER && kind == Family.ClassifierHead.POOLER
                && !headTensors.containsKey(family.prefix() + ".pooler.dense.weight")
                && !encoder.params().containsKey("pooler.dense.weight")) {
            throw new UserError(source + ": pools through " + family.prefix() + ".pooler, which neither it nor its"
                    + " base has");
        }
        double dropout = head == Head.TOKEN ? tokenDropout(ckpt.config()) : headDropout(ckpt.config());
        return new TaskModel(encoder, head, pooling, dropout, headTensors, adapter);
    }

    /** The adapter this model applies on a shared encoder, or null when it owns its encoder. */
    public Peft shared() {
        return shared;
    }

    /** Loads a task model whose head is in the checkpoint (a bert-ft run or a HuggingFace task model). */
    public static TaskModel load(Checkpoint ckpt, Head head, String source) {
        Family family = ckpt.config().family();
        TensorData w = ckpt.heads().get(outputLayer(family, head) + ".weight");
        if (w == null) {
            String has = ckpt.heads().isEmpty() ? "no task head"
                    : "a " + ckpt.heads().keySet().iterator().next().split("\\.")[0] + " head";
            throw new UserError(source + ": has " + has + ", needs " + outputLayer(family, head) + " ("
                    + family.architecture() + head.suffix + ")");
        }
        JsonObject j = ckpt.config().json();
        Pooling pooling = j.has("bert_ft_pooling")
                ? Pooling.valueOf(j.get("bert_ft_pooling").getAsString().toUpperCase(Locale.ROOT))
                : Pooling.POOLER;
        double dropout = head == Head.TOKEN ? tokenDropout(ckpt.config()) : headDropout(ckpt.config());
        return create(ckpt, head, (int) w.shape()[0], pooling, dropout, 0, source, true);
    }

    /**
     * The classifier's dropout from the config: the family's key ({@code classifier_dropout},
     * {@code seq_classif_dropout}, ...), else hidden_dropout_prob, as HuggingFace falls back.
     */
    public static double headDropout(BertConfig c) {
        JsonElement e = c.json().get(c.family().dropoutKey());
        return e != null && !e.isJsonNull() ? e.getAsDouble() : c.hiddenDropoutProb();
    }

    /**
     * The token classifier's dropout as each family's {@code *ForTokenClassification} reads it: classifier_dropout,
     * else hidden_dropout_prob (BERT, RoBERTa, ELECTRA); DistilBERT's {@code dropout} and DeBERTa's
     * hidden_dropout_prob always (neither reads a classifier key there).
     */
    public static double tokenDropout(BertConfig c) {
        return c.family().dropoutKey().equals("classifier_dropout") ? headDropout(c) : c.hiddenDropoutProb();
    }

    /**
     * Attaches a PEFT adapter to the encoder: its parameters join {@link #params()} under the task model's names
     * ({@code bert.encoder.layer.0.attention.self.query.lora_A.weight}); the model closes it.
     */
    public void attach(Peft p) {
        encoder.adapter(p);
        p.params().forEach((k, v) -> params.put(family.prefix() + "." + k, v));
        peft = p;
    }

    /** The attached adapter, or null. */
    public Peft peft() {
        return peft;
    }

    /** Whether {@code name} (a {@link #params()} key) is an adapter's parameter. */
    public static boolean isAdapterParam(String name) {
        return name.endsWith(".lora_A.weight") || name.endsWith(".lora_B.weight") || name.endsWith(".ia3_l");
    }

    /** Whether {@code name} is a head parameter (not the encoder's, nor an adapter's). */
    public boolean isHead(String name) {
        return headParams.containsKey(name);
    }

    public Encoder encoder() {
        return encoder;
    }

    public Family family() {
        return family;
    }

    public Head head() {
        return head;
    }

    public Pooling pooling() {
        return pooling;
    }

    /**
     * Whether a parameter can train: it takes part in {@link #forward} (BERT's pooler does only under
     * {@link Pooling#POOLER}) and is not fixed (DistilBERT's sinusoidal position table).
     */
    public boolean trainable(String name) {
        if (name.startsWith(family.prefix() + ".pooler.")) {
            return head == Head.CLASSIFIER && pooling == Pooling.POOLER;
        }
        return !DistilBert.fixed(encoder.config(), name);
    }

    /** Every parameter by its HuggingFace task-model name ({@code bert.encoder.layer.3...}, {@code classifier.weight}). */
    public Map<String, NDArray> params() {
        return params;
    }

    /**
     * Logits: (B, outputs) for a classifier, (B, T, 2) for QA, (B, T, outputs) for tokens; dropout on where the flags
     * say training.
     */
    public NDArray forward(Batch b, boolean trainEncoder, boolean trainHead) {
        NDArray hidden = encode(b, trainEncoder);
        return head(hidden, b.attentionMask(), trainHead);
    }

    /** Inference logits (no dropout). */
    public NDArray forward(Batch b) {
        return forward(b, false, false);
    }

    /** The encoder's last hidden state (B, T, H). */
    public NDArray encode(Batch b, boolean training) {
        return encode(b, training, null);
    }

    /** As {@link #encode(Batch, boolean)}, every layer's output added to {@code layers} when it is not null. */
    public NDArray encode(Batch b, boolean training, java.util.List<NDArray> layers) {
        if (shared != null) {
            return Peft.during(shared, () -> encoder.forward(b.inputIds(), b.tokenTypeIds(), b.attentionMask(),
                    training, layers));
        }
        return encoder.forward(b.inputIds(), b.tokenTypeIds(), b.attentionMask(), training, layers);
    }

    /** The head on the encoder's output (B, T, H). */
    public NDArray head(NDArray hidden, NDArray attentionMask, boolean training) {
        if (head == Head.QA) {
            return linear(hidden, "qa_outputs"); // (B, T, H) -> (B, T, 2)
        }
        if (head == Head.TOKEN) {
            return linear(Ops.dropout(hidden, dropout, training), "classifier"); // (B, T, H) -> (B, T, C)
        }
        return headOnFeatures(features(hidden, attentionMask), training);
    }

    /**
     * What the encoder hands the classifier head: the first token's hidden state or the mean of real tokens,
     * (B, T, H) -> (B, H). With a frozen encoder these are all the head ever needs, so they can be computed once and
     * cached.
     */
    public NDArray features(NDArray hidden, NDArray attentionMask) {
        return switch (pooling) {
            case MEAN -> Bert.meanPool(hidden, attentionMask);
            case SENTENCE -> Bert.normalize(Bert.meanPool(hidden, attentionMask));
            default -> hidden.get(":, 0, :");
        };
    }

    /**
     * The trainable part of a classifier head, (B, H) -> (B, outputs): {@code [dropout] dense -> activation ->
     * dropout -> out} by the family's names (BERT's dense is its pooler, used only under {@link Pooling#POOLER}).
     */
    public NDArray headOnFeatures(NDArray features, boolean training) {
        Family.ClassifierHead kind = family.classifier();
        NDArray x = features;
        String dense = headDense();
        if (dense != null) {
            if (kind.dropoutFirst) {
                x = Ops.dropout(x, kind == Family.ClassifierHead.CONTEXT_POOLER ? poolerDropout() : dropout, training);
            }
            x = Ops.activation(linear(x, dense), headActivation());
        }
        return linear(Ops.dropout(x, dropout, training), kind.out);
    }

    /**
     * The classifier head's hidden layer ({@code classifier.dense}, {@code pre_classifier}, BERT's
     * {@code bert.pooler.dense} under {@link Pooling#POOLER}), or null where features go straight to the output layer.
     */
    public String headDense() {
        Family.ClassifierHead kind = family.classifier();
        if (kind.dense == null && pooling != Pooling.POOLER) {
            return null;
        }
        return kind.dense != null ? kind.dense : family.prefix() + ".pooler.dense";
    }

    /** The activation after {@link #headDense()}, by HuggingFace's config name. */
    public String headActivation() {
        Family.ClassifierHead kind = family.classifier();
        if (kind.activation != null) {
            return kind.activation;
        }
        JsonElement act = encoder.config().json().get("pooler_hidden_act");
        return act == null || act.isJsonNull() ? "gelu" : act.getAsString();
    }

    private double poolerDropout() {
        JsonElement e = encoder.config().json().get("pooler_dropout");
        return e == null || e.isJsonNull() ? 0 : e.getAsDouble();
    }

    private NDArray linear(NDArray x, String name) {
        return Ops.linear(x, params.get(name + ".weight"), params.get(name + ".bias"));
    }

    /**
     * The model as the family's HuggingFace task checkpoint ({@code architectures}, {@code model_type}, prefixed
     * keys); {@code configExtra} should carry id2label and problem_type.
     */
    public Checkpoint checkpoint(JsonObject configExtra) {
        JsonObject extra = encoder.config().json().deepCopy();
        configExtra.entrySet().forEach(e -> extra.add(e.getKey(), e.getValue()));
        JsonArray arch = new JsonArray();
        arch.add(family.architecture() + head.suffix);
        extra.add("architectures", arch);
        if (head == Head.TOKEN) {
            // only BERT-like token classifiers read a dropout key of their own; the others' is the encoder's
            if (family.dropoutKey().equals("classifier_dropout")) {
                extra.addProperty("classifier_dropout", dropout);
            }
        } else {
            extra.addProperty("bert_ft_pooling", pooling.name().toLowerCase(Locale.ROOT));
            extra.addProperty(family.dropoutKey(), dropout);
        }
        extra.remove("auto_map"); // a base model's remote code is not this head's
        if (remoteCode()) {
            JsonObject map = new JsonObject();
            map.addProperty("AutoModelForSequenceClassification", Checkpoint.REMOTE_CODE.replace(".py", "") + ".BertFt"
                    + family.architecture() + head.suffix);
            extra.add("auto_map", map);
        }
        Map<String, TensorData> heads = new LinkedHashMap<>();
        headParams.forEach((k, v) -> heads.put(k, Bert.toTensorData(v)));
        return new Checkpoint(encoder.config().withJson(extra), encoder.tensors(), heads);
    }

    /**
     * Whether Transformers has no class for this head, so the checkpoint ships {@link Checkpoint#REMOTE_CODE}:
     * mean pooling, plain or L2-normalised ({@code sentence}; every family), and BERT's raw [CLS] ({@code cls}, no
     * pooler).
     */
    public boolean remoteCode() {
        return head == Head.CLASSIFIER && (pooling == Pooling.MEAN || pooling == Pooling.SENTENCE
                || pooling == Pooling.CLS && family.classifier() == Family.ClassifierHead.POOLER);
    }

    @Override
    public void close() {
        headManager.close();
        if (shared != null) {
            shared.close(); // the encoder is the other adapters' too
            return;
        }
        if (peft != null) {
            encoder.adapter(null);
            peft.close();
        }
        encoder.close();
    }
}
