package bertft.data;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.List;
import java.util.Random;
import java.util.function.Function;
import java.util.stream.IntStream;

/**
 * Length-bucketed batches: examples of similar length go together, so dynamic padding computes little padding.
 *
 * <p>Training order stays random: shuffle, cut into pools of {@code POOL} batches, sort each pool by length, cut
 * it into batches, then shuffle the batches.
 */
public final class Batcher {
    /** Batches per sorting pool: large enough for tight buckets, small enough to keep epochs random. */
    static final int POOL = 50;

    private Batcher() {}

    /** Index batches for one training epoch, deterministic for a given {@code rng} state. */
    public static List<int[]> training(int[] lengths, int batchSize, Random rng) {
        requirePositive(batchSize);
        List<Integer> order = new ArrayList<>(IntStream.range(0, lengths.length).boxed().toList());
        Collections.shuffle(order, rng);
        List<int[]> batches = new ArrayList<>();
        int pool = (int) Math.min(Integer.MAX_VALUE, (long) batchSize * POOL); // no overflow for huge batches
        for (int start = 0; start < order.size(); start += pool) {
            List<Integer> chunk = new ArrayList<>(order.subList(start, Math.min(order.size(), start + pool)));
            chunk.sort(Comparator.comparingInt(i -> lengths[i]));
            batches.addAll(cut(chunk, batchSize));
        }
        Collections.shuffle(batches, rng);
        return batches;
    }

    /**
     * What one more model call costs, in token positions: a batch is cut in two where that saves more padding than
     * this. Measured on ONNX Runtime, one thread, MiniLM, SST-2 dev (docs/serve.md): against cutting only every
     * {@code batchSize}, 16 took CPU per sentence from 7.0 to 5.5 ms for dynamic batches of 8 sentences in arrival
     * order and from 5.1 to 4.0 ms for the whole set in batches of at most 64; 8, 32 and 64 saved less.
     */
    static final int RUN_COST = 16;

    /** Inference batches hold at most this many items whatever the batch size, so cutting stays O(n). */
    static final int MAX_INFERENCE_BATCH = 512;

    /**
     * Index batches for inference: sorted by length over the whole set (callers restore input order), cut into
     * batches of at most {@code batchSize} (and {@link #MAX_INFERENCE_BATCH}) that together compute the fewest
     * padded positions plus {@link #RUN_COST} per batch.
     */
    public static List<int[]> inference(int[] lengths, int batchSize) {
        requirePositive(batchSize);
        int n = lengths.length;
        List<Integer> order = new ArrayList<>(IntStream.range(0, n).boxed().toList());
        order.sort(Comparator.comparingInt(i -> lengths[i]));
        // cheapest[j]: the least cost of the first j items in order; a batch [i, j) costs RUN_COST plus (j - i)
        // rows padded to the longest, lengths[order[j - 1]]; O(n * window), tiny next to the model calls
        int window = Math.min(batchSize, MAX_INFERENCE_BATCH);
        long[] cheapest = new long[n + 1];
        int[] start = new int[n + 1];
        for (int j = 1; j <= n; j++) {
            cheapest[j] = Long.MAX_VALUE;
            long longest = lengths[order.get(j - 1)];
            for (int i = Math.max(0, j - window); i < j; i++) {
                long cost = cheapest[i] + RUN_COST + (j - i) * longest;
                if (cost < cheapest[j]) {
                    cheapest[j] = cost;
                    start[j] = i;
                }
            }
        }
        List<int[]> out = new ArrayList<>();
        for (int j = n; j > 0; j = start[j]) {
            out.add(order.subList(start[j], j).stream().mapToInt(Integer::intValue).toArray());
        }
        Collections.reverse(out);
        return out;
    }

    /**
     * Runs {@code batch} on length-sorted batches ({@link #inference}) and hands back one row per item in input
     * order: {@code batch} gets a batch's item indices and returns its outputs (B, R) row-major, R the same for every
     * item of that batch (it may differ between batches, e.g. the padded length).
     */
    public static float[][] rowsInOrder(int[] lengths, int batchSize, Function<int[], float[]> batch) {
        float[][] out = new float[lengths.length][];
        for (int[] idx : inference(lengths, batchSize)) {
            float[] flat = batch.apply(idx);
            int r = flat.length / idx.length;
            for (int k = 0; k < idx.length; k++) {
                out[idx[k]] = Arrays.copyOfRange(flat, k * r, (k + 1) * r);
            }
        }
        return out;
    }

    // A batch size below 1 would never advance through the data: fail instead of looping forever.
    private static void requirePositive(int batchSize) {
        if (batchSize < 1) {
            throw new IllegalArgumentException("batch size must be at least 1, got " + batchSize);
        }
    }

    private static List<int[]> cut(List<Integer> order, int batchSize) {
        List<int[]> out = new ArrayList<>();
        for (int s = 0; s < order.size(); s += batchSize) {
            out.add(order.subList(s, Math.min(order.size(), s + batchSize)).stream().mapToInt(Integer::intValue).toArray());
        }
        return out;
    }

    /** Share of computed positions that are padding, for the given batches. */
    public static double paddingWaste(int[] lengths, List<int[]> batches) {
        long computed = 0;
        long real = 0;
        for (int[] b : batches) {
            int max = Arrays.stream(b).map(i -> lengths[i]).max().orElse(0);
            computed += (long) max * b.length;
            for (int i : b) {
                real += lengths[i];
            }
        }
        return computed == 0 ? 0 : 1 - (double) real / computed;
    }
}
