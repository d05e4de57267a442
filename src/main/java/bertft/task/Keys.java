package bertft.task;

import static bertft.task.Key.Type.AUGMENT;
import static bertft.task.Key.Type.BOOL;
import static bertft.task.Key.Type.CHOICE;
import static bertft.task.Key.Type.DOUBLE;
import static bertft.task.Key.Type.EARLY_STOPPING;
import static bertft.task.Key.Type.INT;
import static bertft.task.Key.Type.INTERVAL;
import static bertft.task.Key.Type.LIST;
import static bertft.task.Key.Type.LONG;
import static bertft.task.Key.Type.PATH;
import static bertft.task.Key.Type.SENTIMENT_MAP;
import static bertft.task.Key.Type.STRING;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** The registry: every task key with its type, default and help, written once. */
final class Keys {
    /** Default text of {@code name}: the task file name without {@code .yaml}. */
    static final String FILE_NAME = "<task file name>";
    /** Default text of {@code out}: {@code runs/} followed by the resolved name. */
    static final String RUNS_NAME = "runs/<name>";

    static final List<Key> ALL = List.of(
            key("name", STRING, FILE_NAME, "Run name; names the output directory."),
            choice("task", null, "What to learn.", "classification", "sentiment", "multilabel", "regression", "qa",
                    "token-classification"),
            key("model", STRING, "minilm",
                    "Checkpoint directory, bundled model name, or HuggingFace Hub id (org/name[@revision])."),
            key("data-dir", PATH, "datasets", "Directory that train, validation and test are relative to."),
            key("train", LIST, null,
                    "Training files, relative to data-dir (.csv, .tsv, .jsonl; SQuAD .json for qa; CoNLL .conll/.txt/.bio or .jsonl for token-classification); several are read as one: [a.csv, b.csv]."),
            key("validation", PATH, null, "Validation file, relative to data-dir; evaluated during training."),
            key("test", PATH, null, "Test file, relative to data-dir; evaluated once after training."),
            key("validation-split", DOUBLE, null, "(0, 1)",
                    "Fraction of train held out (seeded) as validation when no validation file is set; adapt: 0.05."),
            key("train-per-class", INT, null, ">= 1", "Train on this many examples per class, drawn (seeded by"
                    + " sample-seed) from train after test-split and validation-split are carved; the draw is written"
                    + " to sample.json in the run directory (classification, sentiment)."),
            key("sample-seed", LONG, null, "Seed of the train-per-class draw (default: seed)."),
            key("test-split", DOUBLE, null, "(0, 1)",
                    "Fraction of train held out as the test set when no test file is set; the same rows whatever the seed, carved before validation-split."),
            key("check-split", DOUBLE, null, "(0, 1)",
                    "Fraction of train held out as a check set, stratified by label, the same rows whatever the seed, scored as the test set; carved before validation-split (what tune's and compare's --check-split set)."),
            key("text", LIST, null,
                    "Unlabelled text files, relative to data-dir: .csv/.tsv/.jsonl through text-column, others one document per line (adapt's corpus; distill's transfer texts, which only the teacher labels)."),
            key("text-column", STRING, "text", "Column holding the text."),
            choice("encoding", "utf-8", "Character encoding of the CSV/TSV/JSONL files: gbk reads Chinese tables saved"
                    + " in GBK (as GB18030, its superset).", "utf-8", "gbk"),
            key("text-pair-column", STRING, null, "Column holding the second text of sentence-pair tasks."),
            key("label-column", STRING, "label", "Column holding the label (multilabel: names joined by label-separator)."),
            key("label-separator", STRING, "|", "Separator of the label names in a multilabel cell."),
            key("labels", LIST, null, "Label names, whose order defines the ids; inferred (sorted) from train if absent."),
            key("rating-column", STRING, "rating", "Column holding the numeric rating (sentiment)."),
            key("sentiment-map", SENTIMENT_MAP, "{negative: [1, 2], positive: [4, 5]}",
                    "Polarity of each rating (sentiment); rows with other ratings are skipped and counted."),
            key("max-length", INT, "128", ">= 4", "Tokens per input, special tokens included."),
            key("batch-size", INT, "32", ">= 1", "Training examples per optimizer step (before accumulation)."),
            key("eval-batch-size", INT, "64", ">= 1", "Examples per forward pass when evaluating."),
            key("epochs", DOUBLE, "3", "> 0", "Passes over the training data; fractions allowed."),
            key("learning-rate", DOUBLE, "1e-4", "> 0", "Peak learning rate of the encoder (strategy lora: 1e-3, setfit: 2e-5)."),
            key("head-learning-rate", DOUBLE, null, "> 0", "Peak learning rate of the task head (default: learning-rate; 1e-2 with strategy frozen), or of adapt's masked-LM head (default: learning-rate when the checkpoint has the head, 1e-3 when it is initialised)."),
            key("warmup-ratio", DOUBLE, "0.1", "[0, 1)", "Fraction of the steps spent warming up."),
            choice("schedule", "linear", "Learning-rate schedule after warm-up.",
                    "linear", "cosine", "constant", "slanted-triangular"),
            key("weight-decay", DOUBLE, "0.01", ">= 0", "AdamW weight decay (not on biases and norms)."),
            key("max-grad-norm", DOUBLE, "1.0", ">= 0", "Gradient clipping norm; 0 turns clipping off."),
            key("gradient-accumulation", INT, "1", ">= 1", "Batches whose gradients are summed per optimizer step."),
            key("micro-batch-size", INT, null, ">= 1", "Examples per forward/backward pass (default: batch-size): a batch"
                    + " is split into passes of at most this many and their gradients summed; less memory, same step."),
            key("gradient-checkpointing", BOOL, "false", "Keep only each encoder layer's input in the forward and run the"
                    + " layer again in backward (HuggingFace's gradient_checkpointing): far less memory, about a third"
                    + " more compute. BERT, RoBERTa, XLM-R, ELECTRA and CamemBERT models."),
            key("seed", LONG, "42", "Random seed (initialisation, shuffling, dropout)."),
            choice("pooling", "pooler", "Text vector fed to the head (strategy frozen: sentence); sentence = the mean, L2-normalised (the"
                    + " sentence embedding bert-ft embed computes).", "cls", "mean", "pooler", "sentence"),
            key("dropout", DOUBLE, null, "[0, 1)", "Classifier dropout (default: the model's hidden_dropout_prob)."),
            key("ema-decay", DOUBLE, null, "(0, 1)", "Keep an exponential moving average of the weights with this decay per"
                    + " optimizer step (e.g. 0.99); validation and the saved model use the average."),
            key("early-stopping", EARLY_STOPPING, null,
                    "{metric: m, patience: n, mode: max|min}: stop when validation stops improving."),
            choice("class-weights", "none", "Loss weight per class; balanced = n / (classes * count).",
                    "none", "balanced"),
            key("eval-every", INTERVAL, "epoch", "Validate every epoch, or every N optimizer steps."),
            key("threshold", DOUBLE, "0.5", "(0, 1)", "Probability above which a label is predicted (multilabel)."),
            choice("strategy", "full", "What is trained: frozen encoder, top-k layers, all, LLRD, gradual, ULMFiT;"
                    + " or the head and added parameters only, the encoder's weights frozen: LoRA, IA3, BitFit (biases);"
                    + " or SetFit (contrastive pairs, then a head; docs/few-shot.md).",
                    "frozen", "top-k", "full", "llrd", "gradual", "ulmfit", "lora", "ia3", "bitfit", "setfit"),
            key("lora-r", INT, "8", ">= 1", "LoRA rank: A is [r, in], B [out, r] (lora)."),
            key("lora-alpha", DOUBLE, "16", "> 0", "LoRA scale numerator: the update is alpha/r B A (lora)."),
            key("lora-dropout", DOUBLE, "0.1", "[0, 1)", "Dropout on the LoRA path's input while training (lora)."),
            key("lora-targets", LIST, null, "Module names LoRA (or IA3) adapts, as PEFT's target_modules: any module"
                    + " of the family's HuggingFace layout such as key, output.dense, intermediate.dense (default: PEFT's,"
                    + " query,value; DistilBERT q_lin,v_lin; DeBERTa-v2 query_proj,value_proj; IA3 key,value,output.dense)."),
            choice("lora-bias", "none", "Biases trained and saved with a LoRA adapter (lora).", "none", "all",
                    "lora_only"),
            key("use-rslora", BOOL, "false", "Scale LoRA by alpha/sqrt(r) instead of alpha/r (rank-stabilised LoRA)."),
            key("unfreeze-layers", INT, null, ">= 0", "Number of top encoder layers trained (top-k)."),
            key("layer-decay", DOUBLE, "1.0", "(0, 1]", "Learning-rate factor per layer down from the top (llrd, ulmfit)."),
            key("unfreeze-every", INTERVAL, null,
                    "Unfreeze one more layer every '500 steps', '1 epoch' or 'auto' = total/(2(L+2)) steps (gradual, ulmfit)."),
            choice("setfit-head", "logistic", "SetFit's head: L2-regularised logistic regression fitted to"
                    + " convergence on the body's embeddings, or a linear head trained by gradient after the body"
                    + " (differentiable; 16 epochs, batch 2, head-learning-rate default 1e-2).",
                    "logistic", "differentiable"),
            key("setfit-pairs", INT, null, ">= 2", "SetFit: at most this many pairs (half same-label, half"
                    + " different-label; default: every unique pair, the minority kind oversampled)."),
            key("setfit-iterations", INT, null, ">= 1", "SetFit: draw iterations x examples pairs of each kind"
                    + " instead of every unique pair (SetFit's num_iterations)."),
            key("augment", AUGMENT, null, "{token-dropout: p, token-mask: p}: training-time token noise."),
            key("domain-text", LIST, null,
                    "Unlabelled target-domain text files, relative to data-dir, read with text-column (domain-adversarial)."),
            key("domain-adversarial", DOUBLE, null, "> 0",
                    "DANN: weight of the gradient-reversed domain loss, ramped by 2/(1+exp(-10p))-1; needs domain-text."),
            key("teacher", LIST, null, "Fine-tuned run directories to distill from (distill); several are an ensemble whose"
                    + " probabilities are averaged."),
            key("student", STRING, null, "The student of distill: a bundled name, checkpoint directory or Hub id"
                    + " (default: model); or student-layers for a shallower copy of the teacher."),
            key("student-layers", STRING, null, "Distill into a copy of the (first) teacher that keeps K of its layers,"
                    + " evenly spaced, or the listed ones (0,2,4); embeddings and head copied."),
            key("distill-temperature", DOUBLE, "2", "> 0", "Temperature T of the teacher's and student's softmax; the"
                    + " distillation loss is KL * T^2 (distill)."),
            key("distill-alpha", DOUBLE, "0.5", "[0, 1]", "Share of the distillation loss where a hard label exists:"
                    + " alpha * distill + (1 - alpha) * hard (distill)."),
            key("distill-hidden", BOOL, "false", "Also match the student's hidden states to the (first) teacher's mapped"
                    + " layers by MSE, through a learned projection when the widths differ (distill; same tokenizer)."),
            key("distill-hidden-weight", DOUBLE, "1.0", "> 0", "Weight of the hidden-state loss beside the output"
                    + " distillation loss (distill-hidden)."),
            key("cache-features", BOOL, "true", "Compute the frozen encoder's features once (frozen)."),
            key("out", PATH, RUNS_NAME, "Run directory."),
            key("doc-stride", INT, "128", ">= 1", "Overlap in tokens between windows of a long context (qa), or in word"
                    + " pieces between windows of a long sentence (token-classification; default half a window)."),
            choice("tag-scheme", "auto", "Tag scheme of the CoNLL tags (token-classification); auto detects it.",
                    "auto", "iob2", "iob1", "bioes", "bilou"),
            choice("unknown-tags", "error", "A validation or test tag that is not one of the labels"
                    + " (token-classification): error (naming file:line), or O (read as O, with one warning line).",
                    "error", "O"),
            key("label-all-tokens", BOOL, "false", "Put each word's label on every word piece, not only the first"
                    + " (token-classification; B- becomes I- after the first piece, as run_ner.py does)."),
            key("strict", BOOL, "false", "Score entities in seqeval's strict mode (token-classification; iob2, bioes)."),
            key("max-query-length", INT, "64", ">= 1", "Question tokens kept (qa)."),
            key("max-answer-length", INT, "30", ">= 1", "Longest answer span in tokens (qa)."),
            key("n-best", INT, "20", ">= 1", "Start and end candidates considered per window (qa)."),
            key("null-threshold", DOUBLE, "0.0", "Answer \"\" when null score - best span score exceeds this (qa, version-2)."),
            key("version-2", BOOL, "false", "SQuAD 2.0: questions may have no answer (qa)."),
            key("head-epochs", DOUBLE, "0", ">= 0", "Epochs that train only the masked-LM head, the encoder frozen,"
                    + " before the epochs that adapt everything (adapt): lets a head initialised here fit first."),
            key("mlm-probability", DOUBLE, "0.15", "(0, 1)", "Share of tokens chosen for masked-LM prediction (adapt)."),
            key("whole-word-mask", BOOL, "false", "Mask whole words: all sub-tokens of a chosen word together (adapt)."),
            key("line-by-line", BOOL, "false",
                    "Keep each document as one sequence (truncated) instead of concatenating into max-length blocks (adapt)."));

    /** Keys only {@code bert-ft adapt} reads. */
    private static final List<String> ADAPT_ONLY = List.of("mlm-probability", "whole-word-mask", "line-by-line",
            "head-epochs");

    /** What each strategy sets when the user did not: unfreezing and decay settings, SetFit's recipe. */
    static final Map<String, Map<String, String>> PRESETS = Map.of(
            "llrd", Map.of("layer-decay", "0.85"),
            "ulmfit", Map.of("layer-decay", "0.85", "schedule", "slanted-triangular", "unfreeze-every", "auto"),
            "gradual", Map.of("unfreeze-every", "auto"),
            // feature extraction: a linear probe on the mean sentence vector, at a probe's rate (the pooler's CLS
            // vector and 1e-4 left heads near chance on frozen features: docs/few-shot.md, "Frozen features")
            "frozen", Map.of("pooling", "sentence", "head-learning-rate", "1e-2"),
            // LoRA trains few parameters from a zero update: ten times full fine-tuning's rate (tasks/sst2-lora.yaml;
            // at 1e-4 it barely moves with little data: docs/few-shot.md)
            "lora", Map.of("learning-rate", "1e-3"),
            // SetFit's defaults (Tunstall et al., 2022; setfit 1.0 TrainingArguments): one epoch over the pairs
            "setfit", Map.of("batch-size", "16", "learning-rate", "2e-5", "epochs", "1", "pooling", "sentence"));

    private static final Map<String, Key> BY_NAME = new LinkedHashMap<>();

    static {
        for (Key k : ALL) {
            BY_NAME.put(k.name(), k);
        }
    }

    /** The keys of {@code train} and {@code compare} task files. */
    static final List<Key> TRAIN = ALL.stream().filter(k -> !ADAPT_ONLY.contains(k.name())).toList();

    /**
     * {@code adapt}'s encoder rate and epochs. Continued pretraining of the bundled MiniLM at 1e-4 (train's default)
     * for 8 epochs cost 3.6 points of target accuracy on dvd -> electronics; at 2e-5, 6 epochs gained 0.9 points, 3
     * gained 1.5 and 2 gained 2.4 (three seeds; docs/domain-adaptation.md). Every one of those adapts warmed up over
     * 6% of its steps (RoBERTa's pretraining ratio), so that is adapt's default too.
     */
    static final Map<String, String> ADAPT_DEFAULTS = Map.of("learning-rate", "2e-5", "epochs", "2",
            "warmup-ratio", "0.06");

    /** The keys of {@code adapt} task files: the shared ones it uses, then its own. */
    static final List<Key> ADAPT = java.util.stream.Stream.of("name", "model", "data-dir", "text", "text-column", "encoding",
            "validation-split", "max-length", "line-by-line", "mlm-probability", "whole-word-mask", "batch-size",
            "eval-batch-size", "head-epochs", "epochs", "learning-rate", "head-learning-rate", "warmup-ratio",
            "schedule", "weight-decay", "max-grad-norm", "gradient-accumulation", "gradient-checkpointing", "seed",
            "eval-every", "out")
            .map(n -> ADAPT_DEFAULTS.containsKey(n) ? BY_NAME.get(n).withDefault(ADAPT_DEFAULTS.get(n)) : BY_NAME.get(n))
            .toList();

    private Keys() {}

    /** The key called {@code name}, or null. */
    static Key get(String name) {
        return BY_NAME.get(name);
    }

    /** The names of {@code keys}, in their order. */
    static List<String> names(List<Key> keys) {
        return keys.stream().map(Key::name).toList();
    }

    /** The name among {@code candidates} nearest to a misspelt {@code name} by edit distance, or null if none is close. */
    static String nearest(String name, List<String> candidates) {
        String wanted = name.toLowerCase(Locale.ROOT).replace('_', '-');
        int limit = Math.max(1, Math.min(3, wanted.length() / 3));
        String best = null;
        int bestDistance = Integer.MAX_VALUE;
        for (String c : candidates) {
            int d = distance(wanted, c);
            if (d < bestDistance) {
                best = c;
                bestDistance = d;
            }
        }
        return bestDistance <= limit ? best : null;
    }

    /** Levenshtein distance. */
    static int distance(String a, String b) {
        int[] prev = new int[b.length() + 1];
        int[] cur = new int[b.length() + 1];
        for (int j = 0; j <= b.length(); j++) {
            prev[j] = j;
        }
        for (int i = 1; i <= a.length(); i++) {
            cur[0] = i;
            for (int j = 1; j <= b.length(); j++) {
                int change = a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1;
                cur[j] = Math.min(prev[j - 1] + change, Math.min(prev[j], cur[j - 1]) + 1);
            }
            int[] t = prev;
            prev = cur;
            cur = t;
        }
        return prev[b.length()];
    }

    private static Key key(String name, Key.Type type, String defaultText, String description) {
        return new Key(name, type, defaultText, List.of(), null, description);
    }

    private static Key key(String name, Key.Type type, String defaultText, String range, String description) {
        return new Key(name, type, defaultText, List.of(), range, description);
    }

    private static Key choice(String name, String defaultText, String description, String... allowed) {
        return new Key(name, CHOICE, defaultText, List.of(allowed), null, description);
    }
}
