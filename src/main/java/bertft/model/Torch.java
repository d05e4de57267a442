package bertft.model;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;

/**
 * Starts DJL's PyTorch engine the way bert-ft needs it: offline, no tracking, one intra-op pool sized to the
 * machine (or {@code --threads} / {@code $BERT_FT_THREADS}), no inter-op pool, and OpenMP threads that sleep
 * rather than spin while they wait.
 */
public final class Torch {
    /** The system property {@code --threads} sets; wins over {@code $BERT_FT_THREADS}. */
    public static final String THREADS_PROPERTY = "bertft.threads";

    /**
     * The most threads {@link #threads()} allows: libtorch starts that many OpenMP threads, and tens of thousands
     * exhaust the process limit (a fork bomb, not a slow run).
     */
    public static final int MAX_THREADS = 256;

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
        passiveOpenMpWait();
        Engine.getEngine("PyTorch");
        started = true;
    }

    /**
     * Intra-op threads for every runtime bert-ft drives (libtorch, ONNX Runtime): {@code --threads}, else {@code
     * $BERT_FT_THREADS}, else every core. A value that is not a whole number from 1 to {@link #MAX_THREADS} is a
     * UserError naming where it was set (the CLI checks it before any command runs, see {@code cli.BertFt}).
     */
    public static int threads() {
        String threads = System.getProperty(THREADS_PROPERTY);
        String from = "system property " + THREADS_PROPERTY;
        if (threads == null || threads.isBlank()) {
            threads = System.getenv("BERT_FT_THREADS");
            from = "BERT_FT_THREADS";
        }
        if (threads == null || threads.isBlank()) {
            return Runtime.getRuntime().availableProcessors();
        }
        return threads(threads, from);
    }

    /** {@code value} as a thread count, or a UserError naming {@code from}, the value and the range. */
    static int threads(String value, String from) {
        try {
            int n = Integer.parseInt(value.strip());
            if (n >= 1 && n <= MAX_THREADS) {
                return n;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new bertft.UserError(from + "=" + value + ": not a thread count; use a whole number from 1 to "
                + MAX_THREADS + " (or --threads N)");
    }

    /** The system property {@code --device} sets; wins over {@code $BERT_FT_DEVICE}. */
    public static final String DEVICE_PROPERTY = "bertft.device";

    /**
     * Test hook: {@code false} makes every tensor take libtorch's own ops where bert-ft has a Java loop over CPU
     * storage (AdamW, the moving average, dropout masks), as tensors on a GPU always do.
     */
    public static final String JAVA_LOOPS_PROPERTY = "bertft.java-loops";

    /**
     * Where bert-ft's tensors live: {@code --device}, else {@code $BERT_FT_DEVICE}, else what the engine offers (its
     * first GPU when DJL's PyTorch engine has a CUDA libtorch and sees one, else the CPU). {@code cpu}, {@code gpu}
     * ({@code gpu:0}) or {@code gpu:N}; a GPU the engine does not see is a UserError naming where it was asked for.
     */
    public static Device device() {
        init();
        String value = System.getProperty(DEVICE_PROPERTY);
        String from = "--device";
        if (value == null || value.isBlank()) {
            value = System.getenv("BERT_FT_DEVICE");
            from = "BERT_FT_DEVICE";
        }
        if (value == null || value.isBlank()) {
            return Engine.getEngine("PyTorch").defaultDevice();
        }
        return device(value, from, Engine.getEngine("PyTorch").getGpuCount());
    }

    /** {@code value} as a device of an engine that sees {@code gpus} GPUs, or a UserError naming {@code from}. */
    static Device device(String value, String from, int gpus) {
        String v = value.strip().toLowerCase(java.util.Locale.ROOT);
        if (v.equals("cpu")) {
            return Device.cpu();
        }
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("gpu(?::(\\d{1,4}))?").matcher(v);
        if (!m.matches()) {
            throw new bertft.UserError(from + " " + value + ": not a device; use cpu, gpu or gpu:N");
        }
        int n = m.group(1) == null ? 0 : Integer.parseInt(m.group(1));
        if (n >= gpus) {
            throw new bertft.UserError(from + " " + value + ": " + (gpus == 0
                    ? "DJL's PyTorch engine sees no GPU (a CUDA libtorch and driver are needed: docs/speed.md, "
                            + "\"Training on a GPU\"); use --device cpu"
                    : "the engine sees " + gpus + " GPU(s), gpu:0 to gpu:" + (gpus - 1)));
        }
        return Device.gpu(n);
    }

    /** A new manager whose tensors live on {@link #device()}: every manager bert-ft makes is one of these. */
    public static NDManager newManager() {
        return NDManager.newBaseManager(device());
    }

    /**
     * Whether {@code a}'s storage can be read and written by Java loops in place ({@link #floats}): a CPU tensor,
     * unless {@link #JAVA_LOOPS_PROPERTY} is {@code false}. Other tensors take libtorch's ops.
     */
    public static boolean javaLoops(NDArray a) {
        return a.getDevice().getDeviceType().equals(Device.Type.CPU)
                && !"false".equals(System.getProperty(JAVA_LOOPS_PROPERTY));
    }

    /**
     * Makes libtorch's OpenMP threads sleep when they run out of work instead of spinning ({@code
     * OMP_WAIT_POLICY=PASSIVE}), unless the user set {@code OMP_WAIT_POLICY} or {@code GOMP_SPINCOUNT}.
     *
     * <p>libgomp's default is to spin for ~300k iterations at the end of every parallel region. A BERT step runs
     * thousands of small elementwise regions; when another process holds a core, the spinning thread burns its
     * time slice waiting for a peer that is not running, and steps became 5-25x slower (16x64 training: 198
     * tokens/s spinning, 1,353 passive, beside other work on this 2-core machine). libgomp reads the variable once,
     * when libtorch loads it, so it is set in this process's environment before the engine starts (setenv
     * through JNA, which DJL already ships).
     */
    private static void passiveOpenMpWait() {
        if (System.getenv("OMP_WAIT_POLICY") != null || System.getenv("GOMP_SPINCOUNT") != null) {
            return;
        }
        try {
            com.sun.jna.NativeLibrary libc = com.sun.jna.NativeLibrary.getInstance("c");
            libc.getFunction("setenv").invokeInt(new Object[] {"OMP_WAIT_POLICY", "PASSIVE", 0});
        } catch (RuntimeException | LinkageError e) {
            // no C library to call (not Linux/glibc): libgomp keeps its default
        }
    }

    private static java.util.concurrent.ForkJoinPool pool;

    /**
     * Runs {@code piece} for 0 .. {@code pieces - 1} on {@link #threads()} threads (a pool of its own, not the common
     * pool's one per core), or in this thread when there is one thread or one piece: Java loops over tensor storage
     * (AdamW's update, dropout masks) split the way libtorch's own ops are.
     */
    public static void forEachPiece(int pieces, java.util.function.IntConsumer piece) {
        java.util.stream.IntStream all = java.util.stream.IntStream.range(0, pieces);
        if (pieces <= 1 || threads() == 1) {
            all.forEach(piece);
        } else {
            pool().submit(() -> all.parallel().forEach(piece)).join();
        }
    }

    private static synchronized java.util.concurrent.ForkJoinPool pool() {
        if (pool == null || pool.getParallelism() != threads()) {
            if (pool != null) {
                pool.shutdown(); // its threads would otherwise linger idle until the pool is collected
            }
            pool = new java.util.concurrent.ForkJoinPool(threads());
        }
        return pool;
    }

    /**
     * A contiguous float32 tensor's own storage, for Java loops to read and write in place. For a non-contiguous
     * tensor DJL hands out a copy instead, where writes are lost: {@code train.AdamW} checks a parameter's first
     * update landed; its other tensors, and dropout masks, are created contiguous.
     */
    public static java.nio.FloatBuffer floats(ai.djl.ndarray.NDArray a) {
        if (!a.getDevice().getDeviceType().equals(Device.Type.CPU)) {
            throw new IllegalStateException("a CPU tensor expected, not one on " + a.getDevice());
        }
        if (a.getDataType() != ai.djl.ndarray.types.DataType.FLOAT32) {
            throw new IllegalStateException("a float32 tensor expected, not " + a.getDataType());
        }
        java.nio.FloatBuffer f = ((ai.djl.pytorch.engine.PtNDArray) a).toByteBuffer(true).asFloatBuffer();
        if (f.capacity() != a.size()) {
            throw new IllegalStateException("storage of " + f.capacity() + " floats for " + a.getShape());
        }
        return f;
    }

    /**
     * Seeds the engine's RNG (dropout, shuffling done on the engine). Every bit of {@code seed} counts: DJL takes an
     * int and libtorch's CPU generator (mt19937) keeps 32 bits of whatever it is given, so the high half is folded
     * into the low one ({@link Long#hashCode}); a seed below 2^32 is passed as it always was.
     */
    public static void seed(long seed) {
        init();
        Engine.getEngine("PyTorch").setRandomSeed(Long.hashCode(seed));
    }
}
