package bertft.bench;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import bertft.model.Bert;
import bertft.model.BertConfig;
import bertft.model.Encoder;
import bertft.model.Scalar;
import bertft.model.Torch;
import bertft.train.LayerPolicy;
import bertft.train.LayerSchedule;
import bertft.train.Schedule;
import bertft.train.Trainer;
import bertft.train.TrainingObjective;
import bertft.train.Unfreezing;
import java.io.PrintWriter;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Speed figures in one JVM: the engine's fp32 GEMM rate, a full training step (forward, backward, global-norm
 * clip, AdamW) at several shapes as tokens/s and as a share of that GEMM rate, and inference sentences/s.
 */
public final class Bench {
    private final Encoder bert;
    private final PrintWriter out;
    private final int repeats;
    /** Nanoseconds spent in each of {@link #PHASES} over the steps of the last training measurement, warm-ups too. */
    private final long[] split = new long[PHASES.size()];
    private int splitSteps;

    /** The parts of a training step, in order (the training loop's). */
    static final java.util.List<String> PHASES = Trainer.PHASES;
    /** When the phase now running began. */
    private long mark;

    /** Whether training steps run with gradient checkpointing (see {@link #checkpointing(boolean)}). */
    private boolean checkpointing;

    public Bench(Encoder bert, PrintWriter out, int repeats) {
        this.bert = bert;
        this.out = out;
        this.repeats = repeats;
    }

    /** Times training steps with gradient checkpointing (the task key), for its cost and its peak RSS. */
    public Bench checkpointing(boolean on) {
        this.checkpointing = on;
        return this;
    }

    /** Median seconds of {@code repeats} runs after two warm-ups. */
    private double time(Runnable r) {
        r.run();
        r.run();
        double[] t = new double[repeats];
        for (int i = 0; i < repeats; i++) {
            long s = System.nanoTime();
            r.run();
            t[i] = (System.nanoTime() - s) / 1e9;
        }
        Arrays.sort(t);
        return t[repeats / 2];
    }

    /** fp32 GEMM GFLOP/s at n x n x n. */
    public double gemm(int n) {
        try (NDManager m = Torch.newManager()) {
            NDArray a = m.randomNormal(new Shape(n, n));
            NDArray b = m.randomNormal(new Shape(n, n));
            double s = time(() -> {
                try (NDManager step = m.newSubManager()) {
                    a.tempAttach(step);
                    a.matMul(b).toFloatArray(); // force completion
                }
            });
            return 2.0 * n * n * n / s / 1e9;
        }
    }

    /** Model FLOPs per token of one forward pass at sequence length t (matmuls only, as is usual). */
    public static double forwardFlopsPerToken(BertConfig c, int t) {
        double h = c.hiddenSize();
        double perLayer = 2 * (4 * h * h + 2 * h * c.intermediateSize()) + 2 * 2 * t * h;
        return perLayer * c.numHiddenLayers();
    }

    /** The training loop's {@link Trainer.Timing}: adds the time since the last lap to {@code phase}. */
    private void lap(int phase) {
        long now = System.nanoTime();
        split[phase] += now - mark;
        mark = now;
        if (phase == split.length - 1) {
            splitSteps++;
        }
    }

    /**
     * A trainer of {@code weights} on {@code objective} as {@code train} builds one (constant rate 1e-5, weight decay
     * 0.01, clipping at 1, one pass per batch), only the depths up to {@code depth} training; its step is timed.
     */
    private Trainer trainer(Map<String, NDArray> weights, TrainingObjective objective, int batch, int depth,
            java.util.function.Predicate<String> trainable) {
        Trainer.Settings s = Trainer.Settings.of(bertft.task.TaskFiles.load(null, Map.of("task", "classification",
                "train", "bench", "batch-size", Integer.toString(batch), "learning-rate", "1e-5", "warmup-ratio", "0",
                "schedule", "constant", "gradient-checkpointing", Boolean.toString(checkpointing))));
        Trainer.Plan plan = new Trainer.Plan(1, 0, Long.MAX_VALUE, 0);
        LayerPolicy layers = new LayerPolicy(bert.config().family(), bert.config().numHiddenLayers(), 1, null);
        LayerSchedule policy = new LayerSchedule(layers, new Unfreezing(depth, 0), new Schedule("constant", 1, 0),
                s.learningRate(), trainable);
        return new Trainer(s, plan, weights, objective, policy).timing(this::lap);
    }

    /** Times one step of {@code trainer} on the batch {@code idx}: the loop's own step, phase by phase. */
    private void step(Trainer trainer, int[] idx, long[] steps) {
        mark = System.nanoTime();
        trainer.step(idx, steps[0]++);
    }

    private void startSplit() {
        Arrays.fill(split, 0);
        splitSteps = 0;
    }

    /** Prints the last training measurement's mean milliseconds a step in each phase and their shares. */
    private void printSplit(String steps) {
        long total = Arrays.stream(split).sum();
        StringBuilder line = new StringBuilder("  a step (mean of " + splitSteps + steps + "):");
        for (int i = 0; i < split.length; i++) {
            line.append(String.format("%s %s %.1f ms (%.0f%%)", i == 0 ? "" : ",", PHASES.get(i),
                    split[i] / 1e6 / splitSteps, 100.0 * split[i] / total));
        }
        out.println(line);
        out.flush();
    }

    /** Median seconds of one full training step at batch x length, over random ids with a full mask. */
    public double trainStep(int batch, int length) {
        return trainStep(batch, length, Integer.MAX_VALUE);
    }

    /**
     * Median seconds of one training step of {@code strategy}: {@code frozen}, {@code top-K} and {@code full} by
     * depth ({@link #trainStep(int, int, int)}); {@code lora} and {@code ia3} with the adapter {@code train} attaches
     * under the task keys' defaults (LoRA r 8, alpha 16, dropout 0.1 on PEFT's targets for the family), only it and
     * the head training; {@code bitfit} with the biases and the head.
     */
    public double trainStep(int batch, int length, String strategy) {
        if (!PARAMETER_EFFICIENT.contains(strategy)) {
            return trainStep(batch, length, depth(strategy), null);
        }
        if (strategy.equals("bitfit")) {
            return trainStep(batch, length, Integer.MAX_VALUE, k -> k.endsWith(".bias"));
        }
        bertft.task.TaskSpec spec = bertft.task.TaskFiles.load(null, Map.of("task", "classification", "train", "bench",
                "strategy", strategy));
        try (bertft.model.Peft peft = bertft.model.Peft.create(bertft.run.TrainJob.adapterConfig(spec, bert.config()),
                bert.config(), 1)) {
            bert.adapter(peft);
            return trainStep(batch, length, Integer.MAX_VALUE, bertft.model.TaskModel::isAdapterParam);
        } finally {
            bert.adapter(null);
        }
    }

    /** The strategies whose step trains only added or selected parameters and the head. */
    static final java.util.List<String> PARAMETER_EFFICIENT = java.util.List.of("lora", "ia3", "bitfit");

    /**
     * Median seconds of one training step where only the head and the top {@code depth} layers train, as the
     * trainer runs a frozen ({@code 0}), top-k ({@code k}) or full ({@code Integer.MAX_VALUE}) step: frozen weights
     * get no gradient, so backward ends at the lowest trainable layer, and a frozen encoder runs without dropout.
     */
    public double trainStep(int batch, int length, int depth) {
        return trainStep(batch, length, depth, null);
    }

    /**
     * As {@link #trainStep(int, int, int)}; with {@code own} (not null) only the head and the encoder parameters it
     * names train (a parameter-efficient strategy), the attached adapter's among them.
     */
    private double trainStep(int batch, int length, int depth, java.util.function.Predicate<String> own) {
        String prefix = bert.config().family().prefix() + ".";
        int labels = 2;
        startSplit();
        try (NDManager head = Torch.newManager()) {
            NDArray w = head.randomNormal(0, 0.02f, new Shape(labels, bert.config().hiddenSize()), DataType.FLOAT32);
            NDArray b = head.zeros(new Shape(labels));
            Map<String, NDArray> all = new LinkedHashMap<>();
            bert.params().forEach((k, p) -> all.put(prefix + k, p));
            if (bert.adapter() != null) {
                bert.adapter().params().forEach((k, p) -> all.put(prefix + k, p));
            }
            all.put("classifier.weight", w);
            all.put("classifier.bias", b);
            TrainingObjective classify = new Synthetic(batch, length) {
                @Override
                public Loss loss(int[] part, Pass pass, NDManager m) {
                    NDArray ids = randomIds(m, batch, length);
                    NDArray mask = m.ones(new Shape(batch, length), DataType.INT64);
                    NDArray y = m.randomInteger(0, labels, new Shape(batch), DataType.INT64);
                    NDArray hidden = bert.forward(ids, null, mask, pass.encoderTrains()); // (B, T, H)
                    NDArray pooled = Bert.meanPool(hidden, mask); // (B, H)
                    NDArray logits = pooled.getNDArrayInternal().linear(pooled, w, b).singletonOrThrow(); // (B, 2)
                    return Loss.of(Scalar.div(logits.logSoftmax(-1).mul(y.oneHot(labels)).sum().neg(), batch));
                }
            };
            // the pooler is not used here (mean pooling feeds the head)
            Trainer trainer = trainer(all, classify, batch, depth, k -> !k.startsWith(prefix + "pooler.")
                    && (own == null || k.startsWith("classifier.") || own.test(k)));
            long[] steps = {0};
            int[] idx = java.util.stream.IntStream.range(0, batch).toArray();
            return time(() -> step(trainer, idx, steps));
        } finally {
            bert.params().values().forEach(p -> p.setRequiresGradient(false));
        }
    }

    /**
     * Starts a new peak of the process's resident set (Linux: writing 5 to /proc/self/clear_refs resets VmHWM to the
     * current RSS), so {@link #peakRssBytes} says what the steps since took; false where that is not possible.
     */
    static boolean resetPeakRss() {
        try {
            java.nio.file.Files.writeString(java.nio.file.Path.of("/proc/self/clear_refs"), "5");
            return true;
        } catch (java.io.IOException | RuntimeException e) {
            return false;
        }
    }

    /** Synthetic training examples: {@code batch} of them, {@code length} tokens each. */
    private abstract static class Synthetic implements TrainingObjective {
        private final int[] lengths;

        Synthetic(int batch, int length) {
            lengths = new int[batch];
            Arrays.fill(lengths, length);
        }

        @Override
        public int[] lengths() {
            return lengths;
        }
    }

    /** {@code frozen}, {@code top-K} (K >= 1) or {@code full} as the trainable depth of {@link #trainStep(int, int, int)}. */
    public static int depth(String strategy) {
        if (strategy.equals("frozen")) {
            return 0;
        }
        if (strategy.equals("full")) {
            return Integer.MAX_VALUE;
        }
        if (strategy.matches("top-[1-9]\\d{0,3}")) {
            return Integer.parseInt(strategy.substring(4));
        }
        if (PARAMETER_EFFICIENT.contains(strategy)) {
            return Integer.MAX_VALUE;
        }
        throw new IllegalArgumentException("expected frozen, top-K (K >= 1), full, lora, ia3 or bitfit, not '"
                + strategy + "'");
    }

    /**
     * Median seconds of one masked-LM training step as {@code bert-ft adapt} takes it: 15% of the positions
     * predicted over the vocabulary (the tied decoder runs on those positions only), backward, clip, AdamW.
     */
    public double mlmStep(bertft.model.MaskedLm lm, int batch, int length) {
        int tokens = batch * length;
        int masked = Math.max(1, Math.round(0.15f * tokens));
        long[] positions = new long[masked];
        for (int k = 0; k < masked; k++) {
            positions[k] = (long) k * tokens / masked; // spread evenly; which ones does not change the cost
        }
        TrainingObjective mlm = new Synthetic(batch, length) {
            @Override
            public Loss loss(int[] part, Pass pass, NDManager m) {
                NDArray ids = randomIds(m, batch, length);
                NDArray mask = m.ones(new Shape(batch, length), DataType.INT64);
                NDArray labels = randomIds(m, 1, masked).reshape(masked);
                return Loss.of(lm.loss(ids, mask, m.create(positions), labels, true));
            }
        };
        startSplit();
        try {
            Trainer trainer = trainer(lm.params(), mlm, batch, Integer.MAX_VALUE, k -> true);
            long[] steps = {0};
            int[] idx = java.util.stream.IntStream.range(0, batch).toArray();
            return time(() -> step(trainer, idx, steps));
        } finally {
            lm.params().values().forEach(p -> p.setRequiresGradient(false));
        }
    }

    /**
     * {@link #trainStep} beside {@link #mlmStep} at each shape, one after the other in this JVM, with their ratio:
     * what {@code adapt}'s masked-LM head costs over {@code train}'s classifier head; then the process's peak RSS.
     */
    public void runMlm(bertft.model.MaskedLm lm, int[][] shapes) {
        for (int[] s : shapes) {
            double cls = s[0] * s[1] / trainStep(s[0], s[1]);
            double mlm = s[0] * s[1] / mlmStep(lm, s[0], s[1]);
            out.printf("train step %3d x %3d: %7.0f tokens/s; masked-LM (adapt) step: %7.0f tokens/s (%.2fx)%n",
                    s[0], s[1], cls, mlm, mlm / cls);
            out.flush();
        }
        out.printf("peak RSS: %.2f GB%n", peakRssBytes() / 1e9);
        out.flush();
    }

    /** The process's peak resident set (VmHWM), or -1 where /proc does not say. */
    static long peakRssBytes() {
        try {
            for (String line : java.nio.file.Files.readAllLines(java.nio.file.Path.of("/proc/self/status"))) {
                if (line.startsWith("VmHWM:")) {
                    return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
                }
            }
        } catch (java.io.IOException | RuntimeException e) {
            return -1;
        }
        return -1;
    }

    /**
     * One training epoch over real data with length-bucketed batches: real-token throughput and padding waste
     * (computed positions that are padding), against what random batches would pad.
     */
    public void epoch(bertft.data.Features f, int batchSize, String name) {
        int[] lengths = f.lengths();
        java.util.Random rng = new java.util.Random(1);
        java.util.List<int[]> bucketed = bertft.data.Batcher.training(lengths, batchSize, rng);
        java.util.List<Integer> order = new java.util.ArrayList<>();
        for (int i = 0; i < lengths.length; i++) {
            order.add(i);
        }
        java.util.Collections.shuffle(order, new java.util.Random(1));
        java.util.List<int[]> random = new java.util.ArrayList<>();
        for (int s = 0; s < order.size(); s += batchSize) {
            random.add(order.subList(s, Math.min(order.size(), s + batchSize)).stream().mapToInt(Integer::intValue).toArray());
        }
        long[] real = {0};
        TrainingObjective pooled = new TrainingObjective() {
            @Override
            public int[] lengths() {
                return lengths;
            }

            @Override
            public Loss loss(int[] part, Pass pass, NDManager m) {
                bertft.text.Batch b = f.batch(part, m);
                real[0] += b.realTokens();
                NDArray hidden = bert.forward(b.inputIds(), b.tokenTypeIds(), b.attentionMask(), true);
                return Loss.of(Bert.meanPool(hidden, b.attentionMask()).square().mean());
            }
        };
        String prefix = bert.config().family().prefix() + ".";
        Map<String, NDArray> all = new LinkedHashMap<>();
        bert.params().forEach((k, p) -> all.put(prefix + k, p));
        startSplit();
        long start = System.nanoTime();
        try {
            Trainer trainer = trainer(all, pooled, batchSize, Integer.MAX_VALUE, k -> true);
            long[] steps = {0};
            for (int[] idx : bucketed) {
                step(trainer, idx, steps);
            }
        } finally {
            bert.params().values().forEach(p -> p.setRequiresGradient(false));
        }
        double sec = (System.nanoTime() - start) / 1e9;
        out.printf("epoch over %s: %d examples, %d batches of %d, %.0f s, %.0f real tokens/s; padding waste %.1f%% "
                + "(length-bucketed) vs %.1f%% (random batches)%n", name, f.size(), bucketed.size(), batchSize, sec,
                real[0] / sec, 100 * bertft.data.Batcher.paddingWaste(lengths, bucketed),
                100 * bertft.data.Batcher.paddingWaste(lengths, random));
        printSplit("");
    }

    /** (B, T) random token ids above BERT's reserved and special tokens, where the vocabulary has them. */
    private NDArray randomIds(NDManager step, int batch, int length) {
        int vocab = bert.config().vocabSize();
        return step.randomInteger(low(vocab), vocab, new Shape(batch, length), DataType.INT64);
    }

    /** Median seconds of one inference forward pass at batch x length. */
    public double inference(int batch, int length) {
        return time(() -> {
            try (NDManager step = Torch.newManager()) {
                NDArray ids = randomIds(step, batch, length);
                NDArray mask = step.ones(new Shape(batch, length), DataType.INT64);
                Bert.meanPool(bert.forward(ids, null, mask, false), mask).toFloatArray();
            }
        });
    }

    /**
     * The table of {@link #run} for a model on ONNX Runtime: inference only (ONNX Runtime does not train), the same
     * random ids and full mask at 64 x 64, timed the same way (median of {@code repeats} after two warm-ups).
     */
    public static void runOnnx(bertft.onnx.OnnxModel model, int vocabSize, PrintWriter out, int repeats) {
        out.printf("engine: %s, %d threads, %s%n", model.runtime(), bertft.model.Torch.threads(), model.file());
        out.println("train step: not measured (ONNX Runtime runs inference only)");
        out.flush();
        int batch = 64;
        int length = 64;
        java.util.Random rng = new java.util.Random(1);
        long[] ids = new long[batch * length];
        for (int i = 0; i < ids.length; i++) {
            ids[i] = low(vocabSize) + rng.nextInt(vocabSize - low(vocabSize));
        }
        long[] types = new long[ids.length];
        long[] mask = new long[ids.length];
        Arrays.fill(mask, 1L);
        java.util.List<String> output = java.util.List.of(model.outputs().iterator().next());
        Bench timer = new Bench(null, out, repeats);
        double sec = timer.time(() -> model.run(ids, types, mask, batch, length, output));
        out.printf("inference 64 x 64: %.1f sentences/s (%.3f s/batch)%n", 64 / sec, sec);
        out.flush();
    }

    /** Random ids start past the special and unused tokens of a real vocabulary (BERT's first 1000). */
    private static int low(int vocabSize) {
        return vocabSize > 2000 ? 1000 : 0;
    }

    /** Runs everything and prints a table; shapes are batch x length pairs for the training step. */
    public void run(int[][] shapes) {
        run(shapes, java.util.List.of("full"));
    }

    /**
     * As {@link #run(int[][])} with a training step per strategy ({@link #depth}) at each shape; the {@code full} line
     * keeps its form ({@code train step  32 x  64: ... tokens/s}), the others name their strategy.
     */
    public void run(int[][] shapes, java.util.List<String> strategies) {
        double peak = gemm(2048);
        out.printf("engine: DJL %s, PyTorch %s, %d threads, device %s%n", Engine.getDjlVersion(),
                Engine.getEngine("PyTorch").getVersion(), Integer.getInteger("ai.djl.pytorch.num_threads", -1),
                Torch.device());
        out.printf("fp32 GEMM 2048^3: %.1f GFLOP/s%n", peak);
        out.flush();
        for (int[] s : shapes) {
            for (String strategy : strategies) {
                boolean reset = resetPeakRss();
                double sec = trainStep(s[0], s[1], strategy);
                double tokens = s[0] * s[1] / sec;
                // the peak since this strategy began (what the process held before counts: run one strategy per
                // process to compare strategies' own peaks)
                String rss = reset ? String.format("  peak RSS %.2f GB", peakRssBytes() / 1e9) : "";
                if (strategy.equals("full")) {
                    double flops = 3 * forwardFlopsPerToken(bert.config(), s[1]) * tokens / 1e9;
                    out.printf("train step %3d x %3d: %7.0f tokens/s  %5.1f GFLOP/s  %4.1f%% of GEMM peak  (%.3f s/step)%s%n",
                            s[0], s[1], tokens, flops, 100 * flops / peak, sec, rss);
                } else {
                    out.printf("train step %3d x %3d %s: %7.0f tokens/s  (%.3f s/step)%s%n", s[0], s[1], strategy, tokens,
                            sec, rss);
                }
                printSplit(", warm-ups included");
            }
        }
        double sec = inference(64, 64);
        out.printf("inference 64 x 64: %.1f sentences/s (%.3f s/batch)%n", 64 / sec, sec);
        out.flush();
    }
}
