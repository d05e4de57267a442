package bertft.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import bertft.UserError;
import bertft.checkpoint.TensorData;
import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * An encoder with its family's masked-LM head, by HuggingFace's names ({@code BertForMaskedLM}: {@code bert.*} and
 * {@code cls.predictions.*}): {@code dense -> activation -> LayerNorm -> decoder + bias}, the decoder tied to the
 * word embeddings. The vocabulary projection runs on the masked positions only.
 */
public final class MaskedLm implements AutoCloseable {

    /**
     * A family's masked-LM head.
     *
     * @param dense the transform's dense layer
     * @param norm its LayerNorm
     * @param bias the decoder's output bias
     * @param activation after dense; null for the config's hidden_act
     */
    record Head(String dense, String norm, String bias, String activation) {
        List<String> keys() {
            return List.of(dense + ".weight", dense + ".bias", norm + ".weight", norm + ".bias", bias);
        }
    }

    private static final Head BERT = new Head("cls.predictions.transform.dense", "cls.predictions.transform.LayerNorm",
            "cls.predictions.bias", null);
    private static final Head ROBERTA = new Head("lm_head.dense", "lm_head.layer_norm", "lm_head.bias", "gelu");
    private static final Head DISTILBERT = new Head("vocab_transform", "vocab_layer_norm", "vocab_projector.bias",
            null);

    private final Encoder encoder;
    private final Family family;
    private final Head head;
    private final boolean headLoaded;
    private final NDManager headManager = Torch.newManager();
    private final Map<String, NDArray> params = new LinkedHashMap<>();

    private MaskedLm(Encoder encoder, Head head, Map<String, TensorData> headTensors, boolean headLoaded) {
        this.encoder = encoder;
        this.family = encoder.config().family();
        this.head = head;
        this.headLoaded = headLoaded;
        encoder.params().forEach((k, v) -> params.put(family.prefix() + "." + k, v));
        headTensors.forEach((k, t) -> {
            NDArray a = headManager.create(t.data().duplicate(), new Shape(t.shape()), DataType.FLOAT32);
            a.setName(k);
            params.put(k, a);
        });
    }

    /** The masked-LM head of a family, or a one-line refusal for the families bert-ft has none for. */
    static Head headOf(Family f, String source) {
        return switch (f.modelType()) {
            case "bert" -> BERT;
            case "roberta", "xlm-roberta", "camembert" -> ROBERTA;
            case "distilbert" -> DISTILBERT;
            default -> throw new UserError(source + ": adapt has no masked-LM head for model_type " + f.modelType()
                    + (f.modelType().equals("electra") ? " (ELECTRA discriminators are pretrained by replaced-token"
                            + " detection, not masked-LM)" : "")
                    + "; use a bert, roberta, xlm-roberta, camembert or distilbert model");
        };
    }

    /**
     * The model from a checkpoint's weights, every key as stored ({@code bert.*}, {@code cls.predictions.*}): the
     * masked-LM head is loaded when the checkpoint has it, else initialised as HuggingFace does (dense
     * N(0, initializer_range), biases 0, LayerNorm 1 and 0) from {@code seed}.
     */
    public static MaskedLm create(BertConfig config, Map<String, TensorData> weights, String source, long seed) {
        Head head = headOf(config.family(), source);
        Checkpoint ckpt = Checkpoint.split(config, weights, source);
        long h = config.hiddenSize();
        TensorData words = ckpt.encoder().get("embeddings.word_embeddings.weight");
        if (words == null || words.shape().length != 2 || words.shape()[1] != h) {
            throw new UserError(source + ": the masked-LM decoder ties to embeddings.word_embeddings.weight of shape"
                    + " (vocab_size, " + h + "), and this checkpoint has "
                    + (words == null ? "none" : Arrays.toString(words.shape())));
        }
        Map<String, TensorData> tensors = new LinkedHashMap<>();
        Random rng = new Random(seed);
        boolean loaded = true;
        for (Map.Entry<String, long[]> e : headShapes(head, h, words.shape()[0]).entrySet()) {
            TensorData t = weights.get(e.getKey());
            if (t != null && Arrays.equals(t.shape(), e.getValue())) {
                tensors.put(e.getKey(), t);
            } else {
                loaded = false;
                tensors.put(e.getKey(), Bert.init(e.getKey(), e.getValue(), config.initializerRange(), rng));
            }
        }
        Encoder encoder = config.family().encoder().build(config, ckpt.encoder(), source);
        return new MaskedLm(encoder, head, tensors, loaded);
    }

    private static Map<String, long[]> headShapes(Head head, long hidden, long vocab) {
        Map<String, long[]> shapes = new LinkedHashMap<>();
        shapes.put(head.dense + ".weight", new long[] {hidden, hidden});
        shapes.put(head.dense + ".bias", new long[] {hidden});
        shapes.put(head.norm + ".weight", new long[] {hidden});
        shapes.put(head.norm + ".bias", new long[] {hidden});
        shapes.put(head.bias, new long[] {vocab});
        return shapes;
    }

    /** Whether a checkpoint's weights hold the family's whole masked-LM head, as {@link #create} would load it. */
    public static boolean hasHead(BertConfig config, Map<String, TensorData> weights) {
        TensorData words = Checkpoint.split(config, weights, "").encoder().get("embeddings.word_embeddings.weight");
        if (words == null || words.shape().length != 2) {
            return false;
        }
        Map<String, long[]> shapes = headShapes(headOf(config.family(), ""), config.hiddenSize(), words.shape()[0]);
        return shapes.entrySet().stream().allMatch(
                e -> weights.containsKey(e.getKey()) && Arrays.equals(weights.get(e.getKey()).shape(), e.getValue()));
    }

    /** Whether the checkpoint had the whole head (false: it was initialised). */
    public boolean headLoaded() {
        return headLoaded;
    }

    public Encoder encoder() {
        return encoder;
    }

    /** Every parameter by its HuggingFace {@code *ForMaskedLM} name. */
    public Map<String, NDArray> params() {
        return params;
    }

    /** Whether a parameter takes part in the loss: not the pooler, not DistilBERT's fixed sinusoids. */
    public boolean trainable(String name) {
        return !name.startsWith(family.prefix() + ".pooler.") && !DistilBert.fixed(encoder.config(), name);
    }

    /**
     * Mean cross-entropy of the predictions at the masked positions.
     *
     * @param inputIds (B, T) masked input
     * @param attentionMask (B, T)
     * @param positions (M) int64 flat indices b * T + t of the masked positions
     * @param labels (M) int64 original tokens there
     */
    public NDArray loss(NDArray inputIds, NDArray attentionMask, NDArray positions, NDArray labels, boolean training) {
        NDArray hidden = encoder.forward(inputIds, null, attentionMask, training); // (B, T, H)
        long h = hidden.getShape().get(2);
        NDArray picked = hidden.reshape(-1, h).get(positions); // (B*T, H) -> (M, H)
        return Losses.crossEntropy(logits(picked), labels, null);
    }

    /** The head on (M, H) hidden states: (M, vocab) logits. */
    NDArray logits(NDArray x) {
        BertConfig c = encoder.config();
        NDArray t = Ops.linear(x, params.get(head.dense + ".weight"), params.get(head.dense + ".bias"));
        t = Ops.activation(t, head.activation != null ? head.activation : c.hiddenAct());
        t = Ops.layerNorm(t, params.get(head.norm + ".weight"), params.get(head.norm + ".bias"),
                family.modelType().equals("distilbert") ? 1e-12 : c.layerNormEps());
        NDArray words = params.get(family.prefix() + ".embeddings.word_embeddings.weight"); // (V, H), tied
        return Ops.linear(t, words, params.get(head.bias));
    }

    /** The model as the family's HuggingFace {@code *ForMaskedLM} checkpoint (tied decoder weights left out). */
    public Checkpoint checkpoint() {
        JsonObject json = encoder.config().json().deepCopy();
        JsonArray arch = new JsonArray();
        arch.add(family.architecture() + "ForMaskedLM");
        json.add("architectures", arch);
        Map<String, TensorData> heads = new LinkedHashMap<>();
        for (String k : head.keys()) {
            heads.put(k, Bert.toTensorData(params.get(k)));
        }
        return new Checkpoint(encoder.config().withJson(json), encoder.tensors(), heads);
    }

    /** The head's parameter names. */
    public List<String> headKeys() {
        return new ArrayList<>(head.keys());
    }

    @Override
    public void close() {
        headManager.close();
        encoder.close();
    }
}
