package bertft.infer;

import ai.djl.huggingface.tokenizers.Encoding;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import bertft.checkpoint.Checkpoint;
import bertft.model.Bert;
import bertft.text.Batch;
import bertft.text.BertTokenizer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.IntStream;

/** Sentence embeddings: mean over real tokens of the last hidden state, L2-normalised. */
public final class Embedder implements AutoCloseable {
    private final Bert bert;
    private final BertTokenizer tokenizer;
    private final int batchSize;

    public Embedder(Path checkpointDir, int maxLength, int batchSize) {
        Checkpoint ckpt = Checkpoint.read(checkpointDir);
        int max = Math.min(maxLength, ckpt.config().maxPositionEmbeddings());
        this.bert = Bert.fromTensors(ckpt.config(), ckpt.encoder(), checkpointDir.toString());
        this.tokenizer = BertTokenizer.load(checkpointDir, max);
        this.batchSize = batchSize;
    }

    /** Embeds texts; batches are formed from texts of similar length, results come back in input order. */
    public float[][] embed(List<String> texts) {
        List<Encoding> enc = texts.stream().map(tokenizer::encode).toList();
        Integer[] order = IntStream.range(0, texts.size()).boxed().toArray(Integer[]::new);
        java.util.Arrays.sort(order, Comparator.comparingInt(i -> enc.get(i).getIds().length));
        float[][] out = new float[texts.size()][];
        for (int start = 0; start < order.length; start += batchSize) {
            int end = Math.min(order.length, start + batchSize);
            List<Encoding> batch = new ArrayList<>();
            for (int i = start; i < end; i++) {
                batch.add(enc.get(order[i]));
            }
            try (NDManager step = NDManager.newBaseManager()) {
                Batch b = Batch.of(batch, step);
                NDArray hidden = bert.forward(b.inputIds(), b.tokenTypeIds(), b.attentionMask(), false);
                NDArray pooled = Bert.meanPool(hidden, b.attentionMask()); // (B, H)
                NDArray norm = pooled.norm(new int[] {1}, true).maximum(1e-12f); // (B, 1)
                float[] flat = pooled.div(norm).toFloatArray();
                int h = (int) pooled.getShape().get(1);
                for (int i = start; i < end; i++) {
                    int row = i - start;
                    out[order[i]] = java.util.Arrays.copyOfRange(flat, row * h, (row + 1) * h);
                }
            }
        }
        return out;
    }

    public Bert bert() {
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
