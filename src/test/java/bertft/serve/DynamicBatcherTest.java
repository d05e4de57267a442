package bertft.serve;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** The batcher's thread only runs the model: what a request's answer does after that runs elsewhere. */
class DynamicBatcherTest {
    @Test
    void aSlowAnswerDoesNotHoldUpTheNextBatch() throws Exception {
        CountDownLatch modelMayAnswer = new CountDownLatch(1);
        CountDownLatch answerMayFinish = new CountDownLatch(1);
        CountDownLatch secondBatchRan = new CountDownLatch(1);
        DynamicBatcher<Integer, Integer> batcher = new DynamicBatcher<>("test", in -> {
            if (in.contains(1)) {
                await(modelMayAnswer);
            }
            if (in.contains(2)) {
                secondBatchRan.countDown();
            }
            return in.stream().map(x -> x * 10).toList();
        }, 8, 0, n -> { });
        try {
            CompletableFuture<List<Integer>> first = batcher.submit(List.of(1));
            // registered before the model answers, so it runs where the future is completed: the answer's JSON and
            // socket write, slow here
            CompletableFuture<Void> slow = first.thenRun(() -> await(answerMayFinish));
            modelMayAnswer.countDown();
            // polled, not get(): a thread in get() that sees the future complete runs its pending dependents itself,
            // and would run `slow` here and wait forever for the latch this test opens below
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
            while (!first.isDone() && System.nanoTime() < deadline) {
                Thread.sleep(1);
            }
            assertEquals(List.of(10), first.getNow(null));
            CompletableFuture<List<Integer>> second = batcher.submit(List.of(2, 3));
            // the model runs the next batch while the first answer is still being made
            assertTrue(secondBatchRan.await(5, TimeUnit.SECONDS), "the batcher thread was answering the first request");
            answerMayFinish.countDown();
            slow.get(5, TimeUnit.SECONDS);
            assertEquals(List.of(20, 30), second.get(5, TimeUnit.SECONDS));
        } finally {
            modelMayAnswer.countDown();
            answerMayFinish.countDown();
            batcher.close();
        }
    }

    @Test
    void withTwoCallsTwoBatchesRunAtOnce() throws Exception {
        CountDownLatch bothInside = new CountDownLatch(2);
        java.util.concurrent.atomic.AtomicInteger inside = new java.util.concurrent.atomic.AtomicInteger();
        java.util.concurrent.atomic.AtomicInteger most = new java.util.concurrent.atomic.AtomicInteger();
        DynamicBatcher<Integer, Integer> batcher = new DynamicBatcher<>("test", in -> {
            most.accumulateAndGet(inside.incrementAndGet(), Math::max);
            bothInside.countDown();
            try {
                // each call waits for the other: with one batcher thread the first would wait alone
                bothInside.await(5, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            inside.decrementAndGet();
            return in.stream().map(x -> x * 10).toList();
        }, 2, 8, 0, n -> { });
        try {
            CompletableFuture<List<Integer>> first = batcher.submit(List.of(1));
            Thread.sleep(50); // the first call has started before the second request comes
            CompletableFuture<List<Integer>> second = batcher.submit(List.of(2, 3));
            assertEquals(List.of(10), first.get(10, TimeUnit.SECONDS));
            assertEquals(List.of(20, 30), second.get(10, TimeUnit.SECONDS));
            assertEquals(2, most.get(), "model calls running at once");
        } finally {
            bothInside.countDown();
            bothInside.countDown();
            batcher.close();
        }
        // a single thread never runs two at once, and still answers everything
        most.set(0);
        CountDownLatch never = new CountDownLatch(1);
        DynamicBatcher<Integer, Integer> one = new DynamicBatcher<>("test", in -> {
            most.accumulateAndGet(inside.incrementAndGet(), Math::max);
            try {
                never.await(20, TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            inside.decrementAndGet();
            return in;
        }, 1, 1, 0, n -> { });
        try {
            List<CompletableFuture<List<Integer>>> all = new java.util.ArrayList<>();
            for (int i = 0; i < 6; i++) {
                all.add(one.submit(List.of(i)));
            }
            for (int i = 0; i < 6; i++) {
                assertEquals(List.of(i), all.get(i).get(10, TimeUnit.SECONDS));
            }
            assertEquals(1, most.get());
        } finally {
            one.close();
        }
    }

    @Test
    void clientsThatWaitForTheirAnswersAreSharedAcrossTheCalls() throws Exception {
        // 8 clients that each send one input and wait for its answer, 2 model calls: each batch takes its share (4)
        // and the two run at once. Without the share, the thread forming a batch waited out max-wait-ms for more and
        // took all 8, and the other thread waited for them to come back.
        AtomicInteger inside = new AtomicInteger();
        AtomicInteger most = new AtomicInteger();
        AtomicInteger calls = new AtomicInteger();
        AtomicInteger inputs = new AtomicInteger();
        DynamicBatcher<Integer, Integer> batcher = new DynamicBatcher<>("test", in -> {
            most.accumulateAndGet(inside.incrementAndGet(), Math::max);
            calls.incrementAndGet();
            inputs.addAndGet(in.size());
            try {
                Thread.sleep(5);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            inside.decrementAndGet();
            return in.stream().map(x -> x + 1).toList();
        }, 2, 32, 50, n -> { });
        ExecutorService clients = Executors.newFixedThreadPool(8);
        try {
            List<Future<?>> done = new ArrayList<>();
            for (int c = 0; c < 8; c++) {
                int client = c;
                done.add(clients.submit(() -> {
                    for (int round = 0; round < 25; round++) {
                        int x = client * 100 + round;
                        assertEquals(List.of(x + 1), batcher.submit(List.of(x)).get(30, TimeUnit.SECONDS));
                    }
                    return null;
                }));
            }
            for (Future<?> f : done) {
                f.get(60, TimeUnit.SECONDS);
            }
            assertEquals(200, inputs.get());
            assertEquals(2, most.get(), "model calls running at once");
            double mean = inputs.get() / (double) calls.get();
            assertTrue(mean <= 5.0, "mean inputs per model call " + mean + " over " + calls.get() + " calls: more than"
                    + " the share of 8 clients over 2 calls");
        } finally {
            clients.shutdownNow();
            batcher.close();
        }
    }

    private static void await(CountDownLatch l) {
        try {
            l.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
