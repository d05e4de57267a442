package bertft.infer;

import ai.djl.huggingface.tokenizers.Encoding;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import bertft.checkpoint.Checkpoint;
import bertft.model.Bert;
import bertft.model.Finite;
import bertft.model.Encoder;
import bertft.text.Batch;
import bertft.text.BertTokenizer;
import java.nio.file.Path;
import java.util.List;

/** Sentence embeddings: mean over real tokens of the last hidden state, L2-normalised. */
public final class Embedder implements AutoCloseable {
    private final Encoder bert;
    private final BertTokenizer tokenizer;
    private final int batchSize;

    public Embedder(Path checkpointDir, int maxLength, int batchSize) {
        Checkpoint ckpt = Checkpoint.read(checkpointDir);
        int max = Math.min(maxLength, ckpt.config().maxTokens());
        this.bert = ckpt.config().family().encoder().build(ckpt.config(), ckpt.encoder(), checkpointDir.toString());
        this.tokenizer = BertTokenizer.load(checkpointDir, max, ckpt.config().vocabSize());
        this.batchSize = batchSize;
    }

    /** Embeds texts; batches are formed from texts of similar length, results come back in input order. */
    public float[][] embed(List<String> texts) {
        List<Encoding> enc = texts.stream().map(tokenizer::encode).toList();
        int[] lengths = enc.stream().mapToInt(e -> e.getIds().length).toArray();
        float[][] out = new float[texts.size()][];
        for (int[] idx : bertft.train.Batcher.inference(lengths, batchSize)) {
            try (NDManager step = NDManager.newBaseManager()) {
                Batch b = Batch.of(java.util.Arrays.stream(idx).mapToObj(enc::get).toList(), step);
                NDArray hidden = bert.forward(b.inputIds(), b.tokenTypeIds(), b.attentionMask(), false);
                NDArray pooled = Bert.meanPool(hidden, b.attentionMask()); // (B, H)
                NDArray norm = pooled.norm(new int[] {1}, true).maximum(1e-12f); // (B, 1)
                float[] flat = pooled.div(norm).toFloatArray();
                Finite.requireOutputs(flat, "the embeddings");
                int h = (int) pooled.getShape().get(1);
                for (int row = 0; row < idx.length; row++) {
                    out[idx[row]] = java.util.Arrays.copyOfRange(flat, row * h, (row + 1) * h);
                }
            }
        }
        return out;
    }

    public Encoder bert() {
        return bert;
    }

    public BertTokenizer tokenizer() {
        return tokenizer;
    }

    @Override
    public void close() {
        tokenizer.close();
        bert.close();
    }

}
