package bertft.serve;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import java.util.function.IntConsumer;

/**
 * Dynamic batching: the inputs of concurrent requests queue up, and {@code calls} threads take them in batches of at
 * most {@code maxBatch} inputs, waiting at most {@code maxWaitMs} after the first for more to arrive, call the model
 * once per batch and complete each request's future with its share of the outputs, in order. One thread forms a
 * batch at a time; while it waits for requests, the others' batches run.
 *
 * <p>A batch also stops growing at its fair share of the demand: the most inputs outstanding (submitted, not yet
 * answered) within the last second or so, divided by the number of threads. With 8 clients that each wait for their
 * answer and 2 threads, each batch takes 4 and the two run at once; without the share the first thread to form a
 * batch took all 8 while the other waited for them to come back, and the server used one core of two (docs/serve.md).
 * With one thread a batch still takes all that are outstanding, and no longer waits for requests not yet sent.
 *
 * <p>A request is never split; one with more than {@code maxBatch} inputs makes a batch of its own. When a batch
 * of several requests fails, each is run again alone, so one bad input fails only its own request.
 *
 * @param <I> one input (a text, a text pair, a question with its context)
 * @param <O> its output
 */
final class DynamicBatcher<I, O> implements AutoCloseable {
    private static final long WINDOW_NANOS = TimeUnit.SECONDS.toNanos(1); // how long a peak of demand counts

    private record Pending<I, O>(List<I> inputs, CompletableFuture<List<O>> result) {}

    private final Function<List<I>, List<O>> model;
    private final int maxBatch;
    private final long maxWaitNanos;
    private final IntConsumer batchSizes;
    private final int calls;
    private final AtomicInteger outstanding = new AtomicInteger(); // inputs submitted whose future is not complete
    private int peak; // most inputs outstanding seen in this window; guarded by this
    private int lastPeak; // the same in the window before; guarded by this
    private long windowStart = System.nanoTime(); // guarded by this
    private final LinkedBlockingQueue<Pending<I, O>> queue = new LinkedBlockingQueue<>();
    private final List<Thread> threads = new ArrayList<>();
    private final java.util.concurrent.ExecutorService completions;
    private volatile boolean closing;
    private volatile long lastSuccess = Long.MIN_VALUE; // System.nanoTime() of the last model call that answered
    private Pending<I, O> held; // taken from the queue but did not fit the last batch; guarded by this

    /** Starts one batcher thread; {@code batchSizes} is told the input count of every model call. */
    DynamicBatcher(String name, Function<List<I>, List<O>> model, int maxBatch, long maxWaitMs, IntConsumer batchSizes) {
        this(name, model, 1, maxBatch, maxWaitMs, batchSizes);
    }

    /** Starts {@code calls} batcher threads, so that many model calls run at once at most. */
    DynamicBatcher(String name, Function<List<I>, List<O>> model, int calls, int maxBatch, long maxWaitMs,
            IntConsumer batchSizes) {
        this.model = model;
        this.maxBatch = maxBatch;
        this.maxWaitNanos = TimeUnit.MILLISECONDS.toNanos(maxWaitMs);
        this.batchSizes = batchSizes;
        this.calls = calls;
        this.completions = java.util.concurrent.Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "bert-ft-answers-" + name);
            t.setDaemon(true);
            return t;
        });
        for (int k = 0; k < calls; k++) {
            Thread thread = new Thread(this::loop, "bert-ft-batcher-" + name + (calls > 1 ? "-" + k : ""));
            thread.setDaemon(true);
            threads.add(thread);
            thread.start();
        }
    }

    /** Queues {@code inputs}; the future completes with their outputs in order, or with the model's exception. */
    CompletableFuture<List<O>> submit(List<I> inputs) {
        CompletableFuture<List<O>> f = new CompletableFuture<>();
        if (closing) {
            f.completeExceptionally(new IllegalStateException("the server is shutting down"));
        } else {
            int n = inputs.size();
            outstanding.addAndGet(n);
            f.whenComplete((r, e) -> outstanding.addAndGet(-n));
            queue.add(new Pending<>(List.copyOf(inputs), f));
        }
        return f;
    }

    private void loop() {
        while (!closing || waiting()) {
            try {
                List<Pending<I, O>> batch = next();
                if (!batch.isEmpty()) {
                    run(batch);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    /** Whether a request is still to be run. */
    private synchronized boolean waiting() {
        return held != null || !queue.isEmpty();
    }

    /** Inputs a batch takes before it runs without waiting for more: its share of the recent demand. */
    private int share() {
        long now = System.nanoTime();
        if (now - windowStart > WINDOW_NANOS) {
            lastPeak = now - windowStart > 2 * WINDOW_NANOS ? 0 : peak; // idle for a window: that peak is old
            peak = 0;
            windowStart = now;
        }
        peak = Math.max(peak, outstanding.get());
        int demand = Math.max(peak, lastPeak);
        return Math.min(maxBatch, Math.max(1, (demand + calls - 1) / calls));
    }

    /** The next batch: the first request, then whatever fits and arrives within the wait, up to its share. */
    private synchronized List<Pending<I, O>> next() throws InterruptedException {
        List<Pending<I, O>> batch = new ArrayList<>();
        Pending<I, O> first = held != null ? held : queue.poll(100, TimeUnit.MILLISECONDS);
        held = null;
        if (first == null) {
            return batch;
        }
        batch.add(first);
        int size = first.inputs().size();
        long deadline = System.nanoTime() + maxWaitNanos;
        while (size < share()) {
            long left = deadline - System.nanoTime();
            Pending<I, O> p = left > 0 ? queue.poll(left, TimeUnit.NANOSECONDS) : queue.poll();
            if (p == null) {
                break;
            }
            if (size + p.inputs().size() > maxBatch) {
                held = p;
                break;
            }
            batch.add(p);
            size += p.inputs().size();
        }
        return batch;
    }

    private void run(List<Pending<I, O>> batch) {
        List<I> inputs = new ArrayList<>();
        batch.forEach(p -> inputs.addAll(p.inputs()));
        List<O> outputs;
        try {
            batchSizes.accept(inputs.size());
            outputs = model.apply(inputs);
            lastSuccess = System.nanoTime();
        } catch (RuntimeException | Error e) {
            if (batch.size() == 1) {
                batch.get(0).result().completeExceptionally(e);
            } else {
                batch.forEach(p -> run(List.of(p)));
            }
            return;
        }
        int from = 0;
        for (Pending<I, O> p : batch) {
            List<O> mine = List.copyOf(outputs.subList(from, from + p.inputs().size()));
            // completed on another thread: what waits on a request (its JSON answer, the socket write) runs there, so
            // this thread forms the next batch at once instead of answering each request of this one in turn
            completions.execute(() -> p.result().complete(mine));
            from += p.inputs().size();
        }
    }

    /** Whether a model call answered within the last {@code nanos} nanoseconds. */
    boolean answeredWithin(long nanos) {
        long last = lastSuccess;
        return last != Long.MIN_VALUE && System.nanoTime() - last < nanos;
    }

    /** Refuses new requests, finishes the queued ones, and stops the threads. */
    @Override
    public void close() {
        closing = true;
        try {
            for (Thread thread : threads) {
                thread.join();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        for (Pending<I, O> p = queue.poll(); p != null; p = queue.poll()) { // raced with close: refused, not lost
            p.result().completeExceptionally(new IllegalStateException("the server is shutting down"));
        }
        completions.shutdown(); // the answers handed over still run
    }
}
