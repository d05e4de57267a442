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
     * Keeps freed tensor memory in the process instead of returning it to the kernel.
     *
     * <p>libtorch allocates each activation with malloc; glibc serves big ones with fresh mmap calls and unmaps
     * them on free, so every training step page-faults its whole working set in again (measured here: 8x384
     * steps spent more time in the kernel than in GEMM). With mmap off and trimming off, memory freed by one
     * step is reused by the next. Set {@code BERT_FT_MALLOC_TUNING=0} to keep glibc's defaults.
     */
    private static void tuneMalloc() {
        if ("0".equals(System.getenv("BERT_FT_MALLOC_TUNING"))
                || !System.getProperty("os.name", "").toLowerCase(java.util.Locale.ROOT).contains("linux")) {
            return;
        }
        final int mTrimThreshold = -1;
        final int mMmapMax = -4;
        final int mArenaMax = -8;
        try {
            com.sun.jna.Function mallopt = com.sun.jna.NativeLibrary.getInstance("c").getFunction("mallopt");
            mallopt.invokeInt(new Object[] {mArenaMax, 1});
            mallopt.invokeInt(new Object[] {mMmapMax, 0});
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
