package bertft.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import bertft.data.Features;
import bertft.model.TaskModel;
import bertft.text.Batch;
import java.util.List;

/**
 * SetFit's body objective: sentence-transformers' CosineSimilarityLoss over pairs of training texts, the mean
 * squared difference between the cosine of the two texts' pooled embeddings and the pair's target (1 for the same
 * label, 0 for different ones). The encoder runs in training mode (dropout), as sentence-transformers' fit does;
 * the classifier head takes no part (SetFit fits it afterwards, {@link SetFitHead}).
 */
public final class PairObjective implements TrainingObjective {
    private final TaskModel model;
    private final Features train;
    private final List<ContrastivePairs.Pair> pairs;

    public PairObjective(TaskModel model, Features train, List<ContrastivePairs.Pair> pairs) {
        this.model = model;
        this.train = train;
        this.pairs = pairs;
    }

    /** A pair's tokens: both texts'. */
    @Override
    public int[] lengths() {
        int[] single = train.lengths();
        return pairs.stream().mapToInt(p -> single[p.a()] + single[p.b()]).toArray();
    }

    @Override
    public Loss loss(int[] part, Pass pass, NDManager m) {
        int n = part.length;
        int[] texts = new int[2 * n];
        float[] target = new float[n];
        for (int k = 0; k < n; k++) {
            ContrastivePairs.Pair p = pairs.get(part[k]);
            texts[k] = p.a();
            texts[n + k] = p.b();
            target[k] = p.target();
        }
        // both sides of every pair in one forward pass: (2P, T) -> (2P, H)
        Batch b = train.batch(texts, m);
        NDArray e = model.features(model.encode(b, pass.encoderTrains()), b.attentionMask());
        NDArray left = e.get("0:" + n); // (P, H)
        NDArray right = e.get(n + ":"); // (P, H)
        // torch.cosine_similarity: each norm clamped at 1e-8
        NDArray cos = left.mul(right).sum(new int[] {1})
                .div(left.norm(new int[] {1}).maximum(1e-8f).mul(right.norm(new int[] {1}).maximum(1e-8f))); // (P)
        return Loss.of(cos.sub(m.create(target)).square().mean());
    }
}
