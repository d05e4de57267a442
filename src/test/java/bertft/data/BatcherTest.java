package bertft.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

class BatcherTest {
    static int[] lengths(int n, long seed) {
        Random r = new Random(seed);
        return IntStream.range(0, n).map(i -> 3 + r.nextInt(60)).toArray();
    }

    /** Every index exactly once over all batches, none larger than the batch size. */
    static void assertPartition(List<int[]> batches, int n, int batchSize) {
        int[] seen = new int[n];
        for (int[] b : batches) {
            assertTrue(b.length >= 1 && b.length <= batchSize, "batch of " + b.length);
            for (int i : b) {
                seen[i]++;
            }
        }
        int[] once = new int[n];
        Arrays.fill(once, 1);
        assertArrayEquals(once, seen);
    }

    @Test
    void inferenceBatchesAreSortedByLengthAndRestoreToInputOrder() {
        int[] len = lengths(103, 1);
        List<int[]> batches = Batcher.inference(len, 10);
        assertTrue(batches.size() >= 11, batches.size() + " batches");
        assertPartition(batches, len.length, 10);
        int previous = 0;
        for (int[] b : batches) {
            for (int i : b) {
                assertTrue(len[i] >= previous, "sorted by length");
                previous = len[i];
            }
        }
        // what every caller does: write each batch's results back at their indices
        int[] restored = new int[len.length];
        for (int[] b : batches) {
            for (int i : b) {
                restored[i] = len[i];
            }
        }
        assertArrayEquals(len, restored);
    }

    /** Padded positions computed plus {@link Batcher#RUN_COST} per batch: what inference batches minimise. */
    static long cost(int[] lengths, List<int[]> batches) {
        long c = 0;
        for (int[] b : batches) {
            c += Batcher.RUN_COST + (long) b.length * Arrays.stream(b).map(i -> lengths[i]).max().orElse(0);
        }
        return c;
    }

    @Test
    void aMixedLengthBatchIsCutWhereItsPaddingCostsMoreThanAnotherModelCall() {
        // what a server's dynamic batch of one-sentence requests holds: a few short sentences and a long one
        int[] len = {9, 60, 7, 11, 8};
        List<int[]> batches = Batcher.inference(len, 32);
        assertEquals(2, batches.size(), "short sentences are not padded to the long one's length");
        assertArrayEquals(new int[] {2, 4, 0, 3}, batches.get(0));
        assertArrayEquals(new int[] {1}, batches.get(1));
        // equal lengths stay one batch: cutting saves no padding
        assertEquals(1, Batcher.inference(new int[] {20, 20, 20, 20}, 32).size());
        // no cut is worth a model call when the padding it saves is smaller
        assertEquals(1, Batcher.inference(new int[] {20, 21, 20, 21}, 32).size());
    }

    @Test
    void inferenceBatchesAreTheCheapestCutOfTheSortedOrder() {
        Random r = new Random(7);
        for (int trial = 0; trial < 200; trial++) {
            int n = 1 + r.nextInt(10);
            int batchSize = 1 + r.nextInt(6);
            int spread = trial % 2 == 0 ? 80 : 8;
            int[] len = IntStream.range(0, n).map(i -> 1 + r.nextInt(spread)).toArray();
            List<int[]> batches = Batcher.inference(len, batchSize);
            assertPartition(batches, n, batchSize);
            // every cut of the length-sorted order into pieces of at most batchSize, tried by brute force
            int[] sorted = Arrays.stream(len).sorted().toArray();
            long best = Long.MAX_VALUE;
            for (int cuts = 0; cuts < 1 << (n - 1); cuts++) {
                long c = 0;
                int start = 0;
                boolean fits = true;
                for (int j = 1; j <= n; j++) {
                    if (j == n || (cuts & 1 << (j - 1)) != 0) {
                        fits &= j - start <= batchSize;
                        c += Batcher.RUN_COST + (long) (j - start) * sorted[j - 1];
                        start = j;
                    }
                }
                if (fits) {
                    best = Math.min(best, c);
                }
            }
            assertEquals(best, cost(len, batches), "lengths " + Arrays.toString(len) + ", batch size " + batchSize);
        }
        // and over a large set no dearer than cutting the sorted order every batchSize items, as before
        int[] len = lengths(1000, 8);
        List<Integer> order = new java.util.ArrayList<>(IntStream.range(0, len.length).boxed().toList());
        order.sort(java.util.Comparator.comparingInt(i -> len[i]));
        List<int[]> fixed = new java.util.ArrayList<>();
        for (int s = 0; s < order.size(); s += 64) {
            fixed.add(order.subList(s, Math.min(order.size(), s + 64)).stream().mapToInt(Integer::intValue).toArray());
        }
        assertTrue(cost(len, Batcher.inference(len, 64)) <= cost(len, fixed));
        // a huge batch size does not make the cut quadratic in the data
        int[] many = lengths(200_000, 9);
        long t = System.nanoTime();
        List<int[]> huge = Batcher.inference(many, Integer.MAX_VALUE);
        assertPartition(huge, many.length, Batcher.MAX_INFERENCE_BATCH);
        assertTrue(System.nanoTime() - t < 20_000_000_000L, "cut 200,000 lengths in seconds");
    }

    @Test
    void trainingBatchesAreARandomPartitionThatASeedRepeats() {
        int[] len = lengths(500, 2);
        List<int[]> a = Batcher.training(len, 8, new Random(5));
        assertPartition(a, len.length, 8);
        List<int[]> again = Batcher.training(len, 8, new Random(5));
        assertEquals(a.size(), again.size());
        for (int k = 0; k < a.size(); k++) {
            assertArrayEquals(a.get(k), again.get(k), "same seed, same batches (resume depends on it)");
        }
        List<int[]> other = Batcher.training(len, 8, new Random(6));
        assertNotEquals(Arrays.toString(a.get(0)), Arrays.toString(other.get(0)), "another seed, another order");
        // bucketing: far less padding than batches cut from a plain shuffle
        List<Integer> order = new java.util.ArrayList<>(IntStream.range(0, len.length).boxed().toList());
        java.util.Collections.shuffle(order, new Random(5));
        List<int[]> plain = new java.util.ArrayList<>();
        for (int s = 0; s < order.size(); s += 8) {
            plain.add(order.subList(s, Math.min(order.size(), s + 8)).stream().mapToInt(Integer::intValue).toArray());
        }
        double bucketed = Batcher.paddingWaste(len, a);
        double shuffled = Batcher.paddingWaste(len, plain);
        assertTrue(bucketed < shuffled / 2, "padding waste " + bucketed + " bucketed vs " + shuffled + " shuffled");
    }

    @Test
    void aBatchSizeBelowOneIsRejectedInsteadOfLoopingForever() {
        int[] len = lengths(5, 3);
        assertThrows(IllegalArgumentException.class, () -> Batcher.inference(len, 0));
        assertThrows(IllegalArgumentException.class, () -> Batcher.training(len, 0, new Random(1)));
        assertThrows(IllegalArgumentException.class, () -> Batcher.inference(len, -5));
        assertEquals(0, Batcher.inference(new int[0], 4).size());
    }
}
