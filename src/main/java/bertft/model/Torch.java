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
        System.setProperty("ai.djl.pytorch.num_threads", Integer.toString(threads()));
        System.setProperty("ai.djl.pytorch.num_interop_threads", "1");
        System.setProperty("ai.djl.default_engine", "PyTorch");
        Engine.getEngine("PyTorch");
        started = true;
    }

    /**
     * Intra-op threads for every runtime bert-ft drives (libtorch, ONNX Runtime): {@code $BERT_FT_THREADS}, else one per
     * available processor.
     */
    public static int threads() {
        String threads = System.getenv("BERT_FT_THREADS");
        if (threads == null || threads.isBlank()) {
            return Runtime.getRuntime().availableProcessors();
        }
        try {
            int n = Integer.parseInt(threads.strip());
            if (n < 1) {
                throw new NumberFormatException();
            }
            return n;
        } catch (NumberFormatException e) {
            throw new bertft.UserError("BERT_FT_THREADS=" + threads + ": expected a positive whole number");
        }
    }

    /** Seeds the engine's RNG (dropout, shuffling done on the engine). */
    public static void seed(long seed) {
        init();
        Engine.getEngine("PyTorch").setRandomSeed((int) seed);
    }
}
