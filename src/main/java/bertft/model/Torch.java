package bertft.model;

import ai.djl.engine.Engine;

/**
 * Starts DJL's PyTorch engine the way bert-ft needs it: offline, no tracking, one intra-op pool sized to the
 * machine (or {@code $BERT_FT_THREADS}), no inter-op pool.
 */
public final class Torch {
    private static volatile boolean started;

    private Torch() {}

    /** Sets the engine's properties (before its first use) and loads it; later calls do nothing. */
    public static synchronized void init() {
        if (started) {
            return;
        }
        // DJL probes the network at start-up unless told not to; bert-ft never downloads at run time.
        System.setProperty("OPT_OUT_TRACKING", "true");
        System.setProperty("ai.djl.offline", "true");
        String threads = System.getenv("BERT_FT_THREADS");
        if (threads == null || threads.isBlank()) {
            threads = Integer.toString(Runtime.getRuntime().availableProcessors());
        }
        System.setProperty("ai.djl.pytorch.num_threads", threads);
        System.setProperty("ai.djl.pytorch.num_interop_threads", "1");
        System.setProperty("ai.djl.default_engine", "PyTorch");
        tuneMalloc();
        Engine.getEngine("PyTorch");
        started = true;
    }

    /**
     * Makes large tensor allocations cheap: libtorch mallocs every activation, and glibc serves big blocks with
     * fresh mmap calls that fault in 4 KiB at a time, so each training step paid for its whole working set in
     * page faults (measured here: 8x384 steps spent more time in the kernel than in GEMM).
     *
     * <p>Blocks up to 32 MiB stay in the heap, which is never trimmed (a step reuses what the previous freed);
     * larger ones are still mmapped, so memory goes back to the system and cannot fragment, but libtorch puts
     * them on 2 MiB transparent huge pages ({@code THP_MEM_ALLOC_ENABLE}), 512 times fewer faults. Turning mmap
     * off altogether was as fast but let the heap fragment to 3-4x the working set on variable-length batches.
     * Set {@code BERT_FT_MALLOC_TUNING=0} to keep glibc's and libtorch's defaults.
     */
    private static void tuneMalloc() {
        if ("0".equals(System.getenv("BERT_FT_MALLOC_TUNING"))
                || !System.getProperty("os.name", "").toLowerCase(java.util.Locale.ROOT).contains("linux")) {
            return;
        }
        final int mTrimThreshold = -1;
        final int mTopPad = -2;
        final int mMmapThreshold = -3;
        try {
            com.sun.jna.NativeLibrary libc = com.sun.jna.NativeLibrary.getInstance("c");
            // read by libtorch's CPU allocator, which is not loaded yet
            libc.getFunction("setenv").invokeInt(new Object[] {"THP_MEM_ALLOC_ENABLE", "1", 0});
            com.sun.jna.Function mallopt = libc.getFunction("mallopt");
            mallopt.invokeInt(new Object[] {mMmapThreshold, 32 << 20}); // glibc's largest allowed
            mallopt.invokeInt(new Object[] {mTopPad, 64 << 20});
            mallopt.invokeInt(new Object[] {mTrimThreshold, Integer.MAX_VALUE});
        } catch (RuntimeException | LinkageError e) {
            // not glibc: keep the allocator as it is
        }
    }

    /** Seeds the engine's RNG (dropout, shuffling done on the engine). */
    public static void seed(long seed) {
        init();
        Engine.getEngine("PyTorch").setRandomSeed((int) seed);
    }
}
