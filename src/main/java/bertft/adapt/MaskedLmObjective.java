package bertft.adapt;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import bertft.data.Corpus;
import bertft.model.MaskedLm;
import bertft.train.TrainingObjective;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

/**
 * {@code adapt}'s objective: masked-LM cross-entropy on the training sequences, masked afresh each epoch (dynamic
 * masking: the masks of sequence i in epoch e are drawn from {@code (seed, e, i)}, so a resumed run draws the same).
 */
final class MaskedLmObjective implements TrainingObjective {
    private final MaskedLm model;
    private final List<Corpus.Sequence> train;
    private final Masking masking;
    private final long pad;
    private final long seed;
    private final int[] lengths;

    MaskedLmObjective(MaskedLm model, List<Corpus.Sequence> train, Masking masking, long pad, long seed) {
        this.model = model;
        this.train = train;
        this.masking = masking;
        this.pad = pad;
        this.seed = seed;
        this.lengths = train.stream().mapToInt(Corpus.Sequence::length).toArray();
    }

    @Override
    public int[] lengths() {
        return lengths;
    }

    @Override
    public Loss loss(int[] part, Pass pass, NDManager m) {
        List<Masking.Masked> masked = new ArrayList<>();
        for (int i : part) {
            masked.add(masking.apply(train.get(i), new Random((seed * 1_000_033L + pass.epoch()) * 1_000_003L + i)));
        }
        return Loss.of(loss(masked, m, true));
    }

    /** Mean cross-entropy over a batch's masked positions (a batch without any is given one, never seen). */
    NDArray loss(List<Masking.Masked> batch, NDManager m, boolean training) {
        int b = batch.size();
        int t = batch.stream().mapToInt(x -> x.ids().length).max().orElse(0);
        long[] ids = new long[b * t];
        long[] mask = new long[b * t];
        Arrays.fill(ids, pad);
        List<Long> positions = new ArrayList<>();
        List<Long> labels = new ArrayList<>();
        for (int i = 0; i < b; i++) {
            Masking.Masked x = batch.get(i);
            System.arraycopy(x.ids(), 0, ids, i * t, x.ids().length);
            Arrays.fill(mask, i * t, i * t + x.ids().length, 1);
            for (int k = 0; k < x.positions().length; k++) {
                positions.add((long) i * t + x.positions()[k]);
                labels.add(x.labels()[k]);
            }
        }
        if (positions.isEmpty()) { // a batch of very short sequences may draw no mask: predict the first token
            positions.add(0L);
            labels.add(batch.get(0).ids()[0]);
        }
        Shape shape = new Shape(b, t); // (B, T)
        return model.loss(m.create(ids, shape), m.create(mask, shape),
                m.create(positions.stream().mapToLong(Long::longValue).toArray()),
                m.create(labels.stream().mapToLong(Long::longValue).toArray()), training);
    }
}
