package bertft.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import ai.djl.huggingface.tokenizers.Encoding;
import ai.djl.ndarray.NDManager;
import bertft.Tiny;
import bertft.data.Features;
import bertft.model.Bert;
import bertft.model.BertConfig;
import bertft.model.Checkpoint;
import bertft.model.Objective;
import bertft.model.TaskModel;
import bertft.model.Torch;
import bertft.text.BertTokenizer;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The training loop on the tiny BERT: gradient accumulation is one large batch cut in pieces. */
class TrainerTest {
    @BeforeAll
    static void engine() {
        Torch.init();
    }

    static final List<String> TEXTS = List.of("good phone", "the battery was terrible and it broke", "great",
            "bad price for the product", "i love the movie", "awful", "it was excellent and the price was good",
            "hate it");

    /** What the listener heard at one optimizer step. */
    record Step(double loss, double gradNorm, long tokens) {}

    /**
     * The loop's settings by task-file name: no warm-up, a constant rate, no clipping, seed 1, unless {@code keys}
     * says otherwise.
     */
    static Trainer.Settings settings(Map<String, String> keys) {
        Map<String, String> all = new java.util.HashMap<>(Map.of("task", "classification", "train", "t.csv",
                "warmup-ratio", "0", "schedule", "constant", "max-grad-norm", "0", "seed", "1"));
        all.putAll(keys);
        return Trainer.Settings.of(bertft.task.TaskFiles.load(null, all));
    }

    /** The one loop over a single-label classifier on {@code f}, every parameter training. */
    static Trainer trainer(TaskModel model, Features f, Trainer.Settings s, NDManager m) {
        Trainer.Plan plan = Trainer.Plan.of(s, f.size(), 2);
        ParameterPolicy policy = new LayerSchedule(new LayerPolicy(model.family(), 2, 1, null), Unfreezing.all(),
                new Schedule(s.schedule(), plan.totalSteps(), 0), s.learningRate(), model::trainable);
        return new Trainer(s, plan, model.params(), new SupervisedObjective(model, Objective.SINGLE_LABEL, f, null, m),
                policy);
    }

    /** Step counts come from the settings and the number of examples: no trainer needed to count them. */
    @Test
    void thePlanCountsStepsFromTheSettingsAndTheData() {
        // 10 examples in batches of 4: 3 batches, 2 optimizer steps an epoch (the last accumulation is partial)
        Trainer.Plan p = Trainer.Plan.of(settings(Map.of("batch-size", "4", "gradient-accumulation", "2", "epochs",
                "1.5", "eval-every", "2")), 10, 2);
        assertEquals(new Trainer.Plan(2, 0, 3, 2), p);
        assertEquals(0, Trainer.Plan.of(settings(Map.of("batch-size", "4")), 10, 2).evalEvery(), "every epoch's end");
        // adapt: head-epochs train the head alone before epochs of everything
        Trainer.Settings adapt = Trainer.Settings.of(bertft.task.TaskFiles.loadAdapt(null, Map.of("text", "t.txt",
                "batch-size", "4", "epochs", "1", "head-epochs", "0.5")));
        assertEquals(new Trainer.Plan(3, 2, 5, 0), Trainer.Plan.of(adapt, 10, 2));
    }

    /** Trains two optimizer steps (two epochs of the 8 texts) and returns the weights and what was logged. */
    static Map<String, float[]> train(int batchSize, int accumulation, int microBatchSize, List<Step> steps) {
        // no dropout: the two runs draw different masks for differently cut batches
        BertConfig c = new BertConfig(Tiny.vocab().size(), 32, 2, 4, 64, "gelu", 64, 2, 1e-12, 0, 0, 0.02, null);
        try (Bert bert = Bert.random(c, true, 5); BertTokenizer tok = Tiny.tokenizer(32);
                NDManager m = NDManager.newBaseManager();
                TaskModel model = TaskModel.create(new Checkpoint(c, bert.tensors(), Map.of()), TaskModel.Head.CLASSIFIER,
                        2, TaskModel.Pooling.MEAN, 0, 1, "tiny", true)) {
            List<Encoding> enc = TEXTS.stream().map(tok::encode).toList();
            List<float[]> labels = new ArrayList<>();
            for (int i = 0; i < TEXTS.size(); i++) {
                labels.add(new float[] {i % 2});
            }
            Features f = new Features(enc, labels);
            Trainer trainer = trainer(model, f, settings(Map.of("batch-size", "" + batchSize, "epochs", "2",
                    "learning-rate", "1e-3", "gradient-accumulation", "" + accumulation, "micro-batch-size",
                    "" + microBatchSize)), m);
            assertEquals(1, trainer.plan().stepsPerEpoch());
            trainer.fit(Trainer.Position.START, Map::of, new Trainer.Listener() {
                @Override
                public void step(long step, long totalSteps, int epoch, double loss, double lr,
                        Map<String, Double> groupLr, double gradNorm, long tokens, double seconds) {
                    steps.add(new Step(loss, gradNorm, tokens));
                }

                @Override
                public boolean evaluated(long step, int epoch, Map<String, Double> metrics) {
                    return true;
                }

                @Override
                public void checkpoint(Trainer.Position next) {}
            });
            return Map.of("classifier.weight", model.params().get("classifier.weight").toFloatArray(),
                    "bert.encoder.layer.0.attention.self.query.weight",
                    model.params().get("bert.encoder.layer.0.attention.self.query.weight").toFloatArray(),
                    "bert.embeddings.word_embeddings.weight",
                    model.params().get("bert.embeddings.word_embeddings.weight").toFloatArray());
        }
    }

    @Test
    void twoHalfBatchesWithAccumulationUpdateAsOneFullBatch() {
        List<Step> full = new ArrayList<>();
        List<Step> halves = new ArrayList<>();
        Map<String, float[]> a = train(8, 1, 8, full);
        Map<String, float[]> b = train(4, 2, 4, halves);
        assertEquals(2, full.size());
        assertEquals(2, halves.size());
        long allTokens;
        try (BertTokenizer tok = Tiny.tokenizer(32)) {
            allTokens = TEXTS.stream().mapToLong(t -> tok.encode(t).getIds().length).sum();
        }
        for (int k = 0; k < 2; k++) {
            // the gradient norm sees the scale of the accumulated gradient (Adam's first step alone would not)
            assertEquals(full.get(k).gradNorm(), halves.get(k).gradNorm(), 1e-5 * full.get(k).gradNorm(), "step " + k);
            assertEquals(full.get(k).loss(), halves.get(k).loss(), 1e-5, "a step's loss is the mean over its micro-batches");
            assertEquals(allTokens, full.get(k).tokens());
            assertEquals(allTokens, halves.get(k).tokens(), "every micro-batch's tokens count towards tokens/s");
        }
        a.forEach((name, w) -> assertArrayEquals(w, b.get(name), 1e-5f, name));
    }

    @Test
    void microBatchesOfUnequalSizeUpdateAsTheWholeBatch() {
        List<Step> whole = new ArrayList<>();
        List<Step> passes = new ArrayList<>();
        Map<String, float[]> a = train(8, 1, 8, whole);
        Map<String, float[]> b = train(8, 1, 3, passes); // passes of 3, 3 and 2 examples, weighted by their share
        assertEquals(2, passes.size(), "still one optimizer step per batch");
        for (int k = 0; k < 2; k++) {
            assertEquals(whole.get(k).gradNorm(), passes.get(k).gradNorm(), 1e-5 * whole.get(k).gradNorm(), "step " + k);
            assertEquals(whole.get(k).loss(), passes.get(k).loss(), 1e-5, "the step's loss is the batch's mean");
            assertEquals(whole.get(k).tokens(), passes.get(k).tokens());
        }
        a.forEach((name, w) -> assertArrayEquals(w, b.get(name), 1e-5f, name));
    }

    /**
     * On a device Java cannot write (a GPU) the loop takes libtorch's ops for AdamW, the moving average and dropout;
     * forced on the CPU, training ends at the same weights (dropout 0 here: the masks are other numbers) within 1e-6.
     */
    @Test
    void theLibtorchFallbackTrainsAsTheJavaLoops() {
        Map<String, float[]> java = train(4, 2, 4, new ArrayList<>());
        Map<String, float[]> libtorch;
        System.setProperty(Torch.JAVA_LOOPS_PROPERTY, "false");
        try {
            libtorch = train(4, 2, 4, new ArrayList<>());
        } finally {
            System.clearProperty(Torch.JAVA_LOOPS_PROPERTY);
        }
        java.forEach((name, w) -> assertArrayEquals(w, libtorch.get(name), 1e-6f, name));
    }

    /**
     * With ema-decay, validation sees the moving average of the weights after each step (computed here from the
     * weights the step listener saw), and training goes on from the weights themselves.
     */
    @Test
    void validationSeesTheMovingAverageAndTrainingGoesOnFromTheWeights() {
        BertConfig c = new BertConfig(Tiny.vocab().size(), 32, 2, 4, 64, "gelu", 64, 2, 1e-12, 0, 0, 0.02, null);
        String name = "classifier.weight";
        double decay = 0.8;
        try (Bert bert = Bert.random(c, true, 5); BertTokenizer tok = Tiny.tokenizer(32);
                NDManager m = NDManager.newBaseManager();
                TaskModel model = TaskModel.create(new Checkpoint(c, bert.tensors(), Map.of()), TaskModel.Head.CLASSIFIER,
                        2, TaskModel.Pooling.MEAN, 0, 1, "tiny", true)) {
            List<float[]> labels = new ArrayList<>();
            for (int i = 0; i < TEXTS.size(); i++) {
                labels.add(new float[] {i % 2});
            }
            Features f = new Features(TEXTS.stream().map(tok::encode).toList(), labels);
            Trainer.Settings s = settings(Map.of("batch-size", "2", "epochs", "3", "learning-rate", "1e-2",
                    "ema-decay", "" + decay));
            List<float[]> weights = new ArrayList<>(); // after each step
            List<float[]> validated = new ArrayList<>();
            trainer(model, f, s, m).fit(Trainer.Position.START, () -> {
                validated.add(model.params().get(name).toFloatArray());
                return Map.of();
            }, new Trainer.Listener() {
                @Override
                public void step(long step, long totalSteps, int epoch, double loss, double lr,
                        Map<String, Double> groupLr, double gradNorm, long tokens, double seconds) {
                    weights.add(model.params().get(name).toFloatArray());
                }

                @Override
                public boolean evaluated(long step, int epoch, Map<String, Double> metrics) {
                    return true;
                }

                @Override
                public void checkpoint(Trainer.Position next) {}
            });
            assertEquals(12, weights.size());
            assertEquals(3, validated.size(), "one validation per epoch");
            float[] average = weights.get(0).clone();
            for (int t = 2; t <= weights.size(); t++) {
                double d = Math.min(decay, (1.0 + t) / (10 + t));
                for (int i = 0; i < average.length; i++) {
                    average[i] = (float) (d * average[i] + (1 - d) * weights.get(t - 1)[i]);
                }
                if (t % 4 == 0) {
                    assertArrayEquals(average, validated.get(t / 4 - 1), 1e-5f, "validated after step " + t);
                }
            }
            assertFalse(java.util.Arrays.equals(average, weights.get(11)), "the average is not the weights");
            assertArrayEquals(weights.get(11), model.params().get(name).toFloatArray(), "the weights are put back");
        }
    }
}
