package bertft.infer;

import ai.djl.huggingface.tokenizers.Encoding;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import bertft.model.Bert;
import bertft.model.BertConfig;
import bertft.model.Checkpoint;
import bertft.model.Encoder;
import bertft.model.Finite;
import bertft.model.Torch;
import bertft.onnx.OnnxExport;
import bertft.onnx.OnnxModel;
import bertft.onnx.OnnxModelError;
import bertft.text.Batch;
import bertft.text.BertTokenizer;
import java.nio.file.Path;
import java.util.List;

/**
 * Sentence embeddings: mean over real tokens of the last hidden state, L2-normalised; on libtorch for a checkpoint,
 * on ONNX Runtime for a base-model ONNX export ({@code sentence_embedding}).
 */
public final class Embedder implements AutoCloseable {
    private final Encoder bert;
    private final OnnxModel onnx;
    private final BertConfig config;
    private final BertTokenizer tokenizer;
    private final int batchSize;
    private final String runtime;

    /** An embedder over a checkpoint directory, or an ONNX export (directory or .onnx file) of a base model. */
    public Embedder(Path dir, int maxLength, int batchSize) {
        this.batchSize = batchSize;
        if (OnnxExport.isExport(dir)) {
            OnnxExport.Found export = OnnxExport.find(dir);
            this.runtime = "int8".equals(export.quantization()) ? "onnx-int8" : "onnx";
            this.config = export.config();
            this.bert = null;
            this.onnx = OnnxModel.open(export.file(), List.of());
            try {
                if (!onnx.outputs().containsAll(List.of("sentence_embedding", "last_hidden_state"))) {
                    // an export bert-ft made before every export carried them, or one made elsewhere
                    throw new OnnxModelError(export.file().getFileName() + ": this ONNX export cannot embed: it has no"
                            + " sentence_embedding and last_hidden_state outputs (it has " + onnx.outputs() + "); export"
                            + " the model again with `bert-ft export`, which adds them to every export", null);
                }
                this.tokenizer = BertTokenizer.load(export.dir(), Math.min(maxLength, config.maxTokens()),
                        config.vocabSize());
            } catch (RuntimeException e) {
                onnx.close();
                throw e;
            }
            return;
        }
        Checkpoint ckpt = Checkpoint.read(dir);
        this.runtime = "torch";
        this.config = ckpt.config();
        int max = Math.min(maxLength, config.maxTokens());
        this.onnx = null;
        this.bert = ckpt.config().family().encoder().build(ckpt.config(), ckpt.encoder(), dir.toString());
        this.tokenizer = BertTokenizer.load(dir, max, ckpt.config().vocabSize());
    }

    /** Embeds texts; batches are formed from texts of similar length, results come back in input order. */
    public float[][] embed(List<String> texts) {
        return embed(texts, true);
    }

    /**
     * Embeds texts as {@link #embed(List)}: mean-pooled, L2-normalised when {@code normalize} (else the raw mean).
     * Safe to call from several threads at once.
     */
    public float[][] embed(List<String> texts, boolean normalize) {
        List<Encoding> enc = texts.stream().map(tokenizer::encode).toList();
        int[] lengths = enc.stream().mapToInt(e -> e.getIds().length).toArray();
        return bertft.data.Batcher.rowsInOrder(lengths, batchSize, idx -> {
            List<Encoding> batch = java.util.Arrays.stream(idx).mapToObj(enc::get).toList();
            float[] flat = onnx == null ? torchEmbeddings(batch, normalize)
                    : normalize ? onnx.embeddings(batch) : onnxMean(batch); // (B, H)
            Finite.requireOutputs(flat, "the embeddings");
            return flat;
        });
    }

    /** Mean-pooled (L2-normalised when asked) last hidden states of one batch on libtorch, (B, H) flattened. */
    private float[] torchEmbeddings(List<Encoding> batch, boolean normalize) {
        try (NDManager step = Torch.newManager()) {
            Batch b = Batch.of(batch, step);
            NDArray hidden = bert.forward(b.inputIds(), b.tokenTypeIds(), b.attentionMask(), false);
            NDArray pooled = Bert.meanPool(hidden, b.attentionMask()); // (B, H)
            if (!normalize) {
                return pooled.toFloatArray();
            }
            NDArray norm = pooled.norm(new int[] {1}, true).maximum(1e-12f); // (B, 1)
            return pooled.div(norm).toFloatArray();
        }
    }

    /** The mean of the real tokens' last hidden states of one batch on ONNX Runtime, (B, H) flattened. */
    private float[] onnxMean(List<Encoding> batch) {
        float[] hidden = onnx.run(batch, List.of("last_hidden_state")).get("last_hidden_state"); // (B, T, H)
        int t = batch.stream().mapToInt(e -> e.getIds().length).max().orElse(0);
        int h = hidden.length / (batch.size() * t);
        float[] out = new float[batch.size() * h];
        for (int i = 0; i < batch.size(); i++) {
            int n = batch.get(i).getIds().length;
            for (int j = 0; j < n; j++) {
                for (int k = 0; k < h; k++) {
                    out[i * h + k] += hidden[(i * t + j) * h + k] / n;
                }
            }
        }
        return out;
    }

    /** Where it runs: {@code torch}, {@code onnx} or {@code onnx-int8}. */
    public String runtime() {
        return runtime;
    }

    /** The model's config.json, on either runtime. */
    public BertConfig config() {
        return config;
    }

    /** The libtorch encoder; null on ONNX Runtime. */
    public Encoder bert() {
        return bert;
    }

    public BertTokenizer tokenizer() {
        return tokenizer;
    }

    @Override
    public void close() {
        tokenizer.close();
        if (bert != null) {
            bert.close();
        }
        if (onnx != null) {
            onnx.close();
        }
    }

}
