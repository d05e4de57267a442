package bertft.model;

import bertft.UserError;
import bertft.checkpoint.TensorData;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A HuggingFace {@code model_type} bert-ft runs: the names its checkpoints use, how its encoder is built, and its
 * sequence-classification head. Adding a family is one entry in {@link #ALL}.
 *
 * @param modelType {@code model_type} in config.json
 * @param prefix the base model's attribute in HuggingFace task models ({@code roberta.encoder...})
 * @param architecture class-name stem: {@code Roberta} gives {@code RobertaModel},
 *     {@code RobertaForSequenceClassification}, {@code RobertaForQuestionAnswering}
 * @param classifier the family's sequence-classification head
 * @param layer finds the layer index in a parameter name (group 1)
 * @param embeddings parameters below the first layer (trained last by gradual unfreezing)
 * @param ignored checkpoint keys (after the prefix) that HuggingFace drops when loading a task model: pretraining
 *     heads and buffers
 * @param configNames config.json names of this family for BERT's ({@code hidden_size} is {@code dim} in DistilBERT),
 *     as HuggingFace's {@code attribute_map}
 * @param dropoutKey the config key of the classifier head's dropout rate
 * @param shapes the base model's parameter names and shapes for a config (optional parts left out)
 * @param encoder builds the encoder from base-model tensors (no prefix)
 */
public record Family(String modelType, String prefix, String architecture, ClassifierHead classifier, Pattern layer,
        Pattern embeddings, List<String> ignored, Map<String, String> configNames, String dropoutKey,
        Function<BertConfig, Map<String, long[]>> shapes, EncoderFactory encoder) {

    /** Builds an encoder from its base-model tensors; {@code source} names them in error messages. */
    public interface EncoderFactory {
        Encoder build(BertConfig config, Map<String, TensorData> tensors, String source);
    }

    /**
     * A family's sequence-classification head, by HuggingFace's names: on the first token's (or the mean) vector,
     * {@code [dropout] dense -> activation -> dropout -> out}.
     *
     * @param dense the hidden layer, or null where it is the encoder's own pooler (BERT)
     * @param out the output layer
     * @param activation after {@code dense}; null reads {@code pooler_hidden_act} from the config (default gelu)
     * @param dropoutFirst whether dropout comes before {@code dense} too
     */
    public enum ClassifierHead {
        /** BERT: the encoder's pooler (dense + tanh on [CLS]), dropout, {@code classifier}. */
        POOLER(null, "classifier", "tanh", false),
        /** DistilBERT: {@code pre_classifier} + ReLU, dropout, {@code classifier}. */
        PRE_CLASSIFIER("pre_classifier", "classifier", "relu", false),
        /** RoBERTa, XLM-R, CamemBERT: dropout, {@code classifier.dense} + tanh, dropout, {@code classifier.out_proj}. */
        DENSE_TANH("classifier.dense", "classifier.out_proj", "tanh", true),
        /** ELECTRA: as RoBERTa's with gelu. */
        DENSE_GELU("classifier.dense", "classifier.out_proj", "gelu", true),
        /** DeBERTa: ContextPooler (dropout, {@code pooler.dense}, pooler_hidden_act), dropout, {@code classifier}. */
        CONTEXT_POOLER("pooler.dense", "classifier", null, true);

        public final String dense;
        public final String out;
        public final String activation;
        public final boolean dropoutFirst;

        ClassifierHead(String dense, String out, String activation, boolean dropoutFirst) {
            this.dense = dense;
            this.out = out;
            this.activation = activation;
            this.dropoutFirst = dropoutFirst;
        }
    }

    private static final Pattern ENCODER_LAYER = Pattern.compile("(?:^|\\.)encoder\\.layer\\.(\\d+)\\.");
    private static final Pattern BERT_EMBEDDINGS = Pattern.compile("(?:^|\\.)embeddings(?:_project)?\\.");
    private static final List<String> BUFFERS = List.of("embeddings.position_ids", "embeddings.token_type_ids");

    private static Family bertLike(String modelType, String prefix, String architecture, ClassifierHead head,
            List<String> pretrainingHeads) {
        List<String> ignored = new java.util.ArrayList<>(BUFFERS);
        ignored.addAll(pretrainingHeads);
        return new Family(modelType, prefix, architecture, head, ENCODER_LAYER, BERT_EMBEDDINGS, List.copyOf(ignored),
                Map.of(), "classifier_dropout", c -> Bert.shapes(c, false), Bert::fromTensors);
    }

    /** Every family bert-ft runs. */
    public static final List<Family> ALL = List.of(
            bertLike("bert", "bert", "Bert", ClassifierHead.POOLER, List.of("cls.")),
            bertLike("roberta", "roberta", "Roberta", ClassifierHead.DENSE_TANH, List.of("lm_head.")),
            bertLike("xlm-roberta", "roberta", "XLMRoberta", ClassifierHead.DENSE_TANH, List.of("lm_head.")),
            bertLike("camembert", "roberta", "Camembert", ClassifierHead.DENSE_TANH, List.of("lm_head.")),
            bertLike("electra", "electra", "Electra", ClassifierHead.DENSE_GELU,
                    List.of("discriminator_predictions.", "generator_predictions.", "generator_lm_head.")),
            new Family("distilbert", "distilbert", "DistilBert", ClassifierHead.PRE_CLASSIFIER,
                    Pattern.compile("(?:^|\\.)transformer\\.layer\\.(\\d+)\\."), BERT_EMBEDDINGS,
                    List.of("embeddings.position_ids", "vocab_transform.", "vocab_layer_norm.", "vocab_projector."),
                    Map.of("hidden_size", "dim", "num_hidden_layers", "n_layers", "num_attention_heads", "n_heads",
                            "intermediate_size", "hidden_dim", "hidden_act", "activation",
                            "hidden_dropout_prob", "dropout", "attention_probs_dropout_prob", "attention_dropout"),
                    "seq_classif_dropout", DistilBert::shapes, DistilBert::fromTensors),
            // rel_embeddings (and their LayerNorm) serve every layer, so they count with the embeddings
            new Family("deberta-v2", "deberta", "DebertaV2", ClassifierHead.CONTEXT_POOLER, ENCODER_LAYER,
                    Pattern.compile("(?:^|\\.)(?:embeddings\\.|encoder\\.rel_embeddings\\.|encoder\\.LayerNorm\\.)"),
                    List.of("embeddings.position_ids", "lm_predictions.", "mask_predictions."), Map.of(),
                    "cls_dropout", DebertaV2::shapes, DebertaV2::fromTensors));

    /** The family of a {@code model_type}, or a one-line error naming the supported ones. */
    public static Family of(String modelType, String where) {
        for (Family f : ALL) {
            if (f.modelType.equals(modelType)) {
                return f;
            }
        }
        throw new UserError(where + ": model_type '" + modelType + "' is not supported; bert-ft runs "
                + String.join(", ", ALL.stream().map(Family::modelType).toList()));
    }

    /** The config.json name of one of BERT's config names in this family. */
    public String configName(String bertName) {
        return configNames.getOrDefault(bertName, bertName);
    }

    /** The layer index a parameter name belongs to, or -1 (embeddings, pooler, head). */
    public int layerIndex(String name) {
        Matcher m = layer.matcher(name);
        return m.find() ? Integer.parseInt(m.group(1)) : -1;
    }

    /** Whether a parameter is part of the embeddings (below every layer). */
    public boolean isEmbedding(String name) {
        return layerIndex(name) < 0 && embeddings.matcher(name).find();
    }

    /** The HuggingFace class of the base model ({@code RobertaModel}). */
    public String baseArchitecture() {
        return architecture + "Model";
    }

    /** Checkpoint key prefixes of this family's task heads. */
    public List<String> headPrefixes() {
        List<String> p = new java.util.ArrayList<>();
        if (classifier.dense != null) {
            p.add(classifier.dense.split("\\.")[0] + ".");
        }
        p.add(classifier.out.split("\\.")[0] + ".");
        p.add("qa_outputs.");
        return List.copyOf(new java.util.LinkedHashSet<>(p));
    }
}
