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
        assertEquals(11, batches.size());
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
