package bertft.run;

import ai.djl.ndarray.NDManager;
import bertft.UserError;
import bertft.data.Features;
import bertft.data.LabelledData;
import bertft.data.SquadData;
import bertft.model.Checkpoint;
import bertft.model.ModelStore;
import bertft.model.Objective;
import bertft.model.Peft;
import bertft.model.TaskModel;
import bertft.model.Torch;
import bertft.qa.QaFeatures;
import bertft.task.TaskSpec;
import bertft.text.BertTokenizer;
import bertft.train.DistillObjective;
import bertft.train.ContrastivePairs;
import bertft.train.DomainAdversarialObjective;
import bertft.train.DomainAdversary;
import bertft.train.FeatureCache;
import bertft.train.LayerPolicy;
import bertft.train.LayerSchedule;
import bertft.train.PairObjective;
import bertft.train.Schedule;
import bertft.train.SetFitHead;
import bertft.train.SupervisedObjective;
import bertft.train.TokenObjective;
import bertft.train.Trainer;
import bertft.train.TrainingObjective;
import com.google.gson.JsonObject;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * {@code bert-ft train}: data, model, strategy and loop wired together; writes the run directory.
 *
 * <p>Run directory: the best model as an HF checkpoint at its top ({@code config.json} with id2label,
 * {@code model.safetensors}, tokenizer files), {@code metrics.jsonl}, {@code report.json} / {@code report.md},
 * {@code task.yaml} (resolved settings with provenance) and, while training, {@code last/} for {@code --resume}.
 */
public final class TrainJob {
    /** What a finished run reports; {@code report} is what its report.json holds, which {@code compare} collects. */
    public record Result(Path dir, String metric, Map<String, Double> validation, Map<String, Double> test,
            double seconds, long trainableParameters, long tokens, JsonObject report) {}

    /** Told of each optimizer step and each evaluation while a run trains (the library API's listener). */
    public interface Progress {
        /** After optimizer step {@code step} of {@code total} in {@code epoch} (0-based). */
        void step(long step, long total, int epoch, double loss, double learningRate);

        /** After scoring the validation split at {@code step}. */
        void evaluated(long step, int epoch, Map<String, Double> metrics);

        /** A listener that ignores everything. */
        Progress NONE = new Progress() {
            @Override
            public void step(long step, long total, int epoch, double loss, double learningRate) {}

            @Override
            public void evaluated(long step, int epoch, Map<String, Double> metrics) {}
        };
    }

    /**
     * Thrown by {@link #run} of a job told to {@link #pauseAfterEpoch pause}: the run stopped at the end of that
     * epoch with its resume state in {@code last/} and no report; {@code run(true)} goes on from there.
     */
    public static final class Paused extends RuntimeException {
        public Paused(int epochs) {
            super("paused after epoch " + epochs, null, false, false);
        }
    }

    private final TaskSpec spec;
    /** Progress, held while the run checks its input (see {@link #run(boolean, boolean)}). */
    private final bertft.Held err;
    private Progress progress = Progress.NONE;
    private int pauseAfterEpoch;
    private Path featureDir;

    public TrainJob(TaskSpec spec, PrintStream err) {
        this.spec = spec;
        this.err = bertft.Held.over(err);
    }

    /** Tells {@code p} of every step and evaluation of the next {@link #run}; returns this job. */
    public TrainJob progress(Progress p) {
        this.progress = p == null ? Progress.NONE : p;
        return this;
    }

    /**
     * Makes {@link #run} stop after {@code epochs} whole epochs (when the run is longer) by throwing {@link Paused};
     * {@code bert-ft tune} trains its trials rung by rung this way. 0 (the default): never.
     */
    public TrainJob pauseAfterEpoch(int epochs) {
        this.pauseAfterEpoch = epochs;
        return this;
    }

    /**
     * Keeps a frozen encoder's features in {@code dir} and reads them from there when another run computed the same
     * ones (same encoder weights, pooling and tokens): {@code bert-ft tune}'s frozen trials share them. Null (the
     * default): computed in memory for this run only.
     */
    public TrainJob featureDir(Path dir) {
        this.featureDir = dir;
        return this;
    }

    public Result run(boolean resume) {
        return run(resume, false);
    }

    /**
     * Trains into {@code spec.out()}; {@code overwrite} lets it write into a directory that holds something else
     * than a finished run of this task. Nothing is printed until every input (task, model, data, --out) has been
     * checked: a refused run prints only its error.
     */
    public Result run(boolean resume, boolean overwrite) {
        return err.during(() -> train(resume, overwrite));
    }

    private Result train(boolean resume, boolean overwrite) {
        started = System.nanoTime();
        Path out = spec.out();
        Path last = out.resolve("last");
        if (resume && !Files.exists(last.resolve("trainer_state.json"))) {
            throw new UserError(out + ": nothing to resume (no last/trainer_state.json)");
        }
        Torch.init();
        // distillation: the teachers are read first; a shallower student is a copy of the first one's layers
        Distillation distill = spec.distills() ? Distillation.open(spec) : null;
        boolean shallow = distill != null && spec.studentLayers() != null;
        Path modelDir = shallow ? distill.first().dir() : ModelStore.resolve(spec.model());
        Checkpoint base = resume ? Checkpoint.read(last) : shallow ? distill.shallowStudent() : Checkpoint.read(modelDir);
        ModelLimits.check(spec, base.config(), modelDir);
        if (spec.gradientCheckpointing()) {
            bertft.model.Checkpointing.requireSupport(base.config(), spec.where("gradient-checkpointing"));
        }
        Peft.Config adapter = adapterConfig(base.config());
        int maxLength = Math.min(spec.maxLength(), base.config().maxTokens());
        try (BertTokenizer tok = BertTokenizer.load(resume ? last : modelDir, maxLength,
                base.config().vocabSize());
                NDManager manager = Torch.newManager()) {
            TaskSpec.Kind kind = spec.task();
            if (spec.augment().tokenMask() > 0 && tok.maskId() < 0) {
                throw new UserError("augment: token-mask needs a [MASK] token, and this vocabulary has none");
            }
            Objective objective = TaskData.objective(kind);
            // 1) data
            Prepared data = kind == TaskSpec.Kind.QA ? prepareQa(tok)
                    : kind == TaskSpec.Kind.TOKEN_CLASSIFICATION ? prepareTokens(tok) : prepareTable(tok);
            List<String> transfer = List.of();
            if (distill != null) {
                distill.check(data.labels(), resume ? last : modelDir, tok.maxLength());
                transfer = distill.transferTexts();
            }
            ContrastivePairs pairs = spec.strategy().equals("setfit") ? SetFit.pairs(spec, data, base.config()) : null;
            // after every check and the data are read, so a refused run leaves nothing behind
            RunDir.prepare(out, spec, resume, overwrite);
            err.release(); // every check passed: what was held is progress now
            if (sample != null) {
                bertft.AtomicFiles.writeString(out.resolve("sample.json"),
                        new com.google.gson.GsonBuilder().setPrettyPrinting().create().toJson(sample));
            }
            // 2) model: pretrained encoder + new head (or the run's own weights when resuming)
            TaskModel.Pooling pooling = TaskModel.Pooling.valueOf(spec.pooling().toUpperCase(Locale.ROOT));
            TaskModel.Head head = kind == TaskSpec.Kind.QA ? TaskModel.Head.QA
                    : kind == TaskSpec.Kind.TOKEN_CLASSIFICATION ? TaskModel.Head.TOKEN : TaskModel.Head.CLASSIFIER;
            double dropout = spec.dropout() != null ? spec.dropout() : head == TaskModel.Head.TOKEN
                    ? TaskModel.tokenDropout(base.config()) : TaskModel.headDropout(base.config());
            boolean keepHead = resume || keepHead(base, head, data.labels(), modelDir);
            try (TaskModel model = TaskModel.create(base, head, data.outputs(), pooling, dropout, spec.seed(),
                    modelDir.toString(), keepHead);
                    bertft.train.HiddenMatch hidden = distill == null ? null : distill.hiddenMatch(base.config(),
                            manager)) {
                if (adapter != null) {
                    model.attach(resume ? Peft.load(adapter, base.config(), Trainer.required(last, Loop.ADAPTER_STATE,
                            "strategy " + spec.strategy()), last.toString()) : Peft.create(adapter, base.config(), spec.seed()));
                }
                // 3) distillation: the teachers' outputs on the training examples and transfer texts, once
                Distillation.Lesson lesson = distill == null ? null : distill.teach(data, transfer, tok, err);
                Features trainSet = lesson == null ? data.train() : lesson.train();
                // 4) strategy, steps and the loop: settings by name, step counts from the plan
                Trainer.Settings settings = Trainer.Settings.of(spec);
                int layers = base.config().numHiddenLayers();
                Trainer.Plan plan = Trainer.Plan.of(settings, pairs != null ? pairs.size() : trainSet.size(), layers);
                long total = plan.totalSteps();
                Strategy strategy = Strategy.of(spec, plan.stepsPerEpoch(), total, layers);
                if (!resume) {
                    Reports.writeTask(spec, out, modelDir);
                }
                // 5) evaluation on validation (cached encoder features when the encoder is frozen)
                boolean cache = distill == null && strategy.frozen() && spec.cacheFeatures()
                        && head == TaskModel.Head.CLASSIFIER;
                SupervisedObjective task = new SupervisedObjective(model, objective, data.train(), data.classWeights(),
                        manager).noise(spec.augment().tokenMask(), spec.augment().tokenDropout(), tok.maskId(),
                        spec.seed());
                Evaluator evaluator = data.evaluator();
                double cacheSeconds = 0;
                if (cache) {
                    long c0 = System.nanoTime();
                    evaluator = cacheFeatures(model, data, task);
                    cacheSeconds = (System.nanoTime() - c0) / 1e9;
                }
                DomainAdversary adversary = domainAdversary(tok, base.config(), manager);
                TrainingObjective goal = lesson != null ? new DistillObjective(model,
                        Distillation.kind(spec.task()), trainSet, lesson.labelled(), lesson.soft(),
                        spec.distillTemperature(), spec.distillAlpha()).hidden(hidden)
                        : head == TaskModel.Head.TOKEN ? new TokenObjective(model, data.train(), data.classWeights())
                        : pairs != null ? new PairObjective(model, data.train(), pairs.pairs())
                        : adversary == null ? task : new DomainAdversarialObjective(task, adversary);
                Trainer trainer = new Trainer(settings, plan, model.params(), goal, policy(model, strategy, plan, layers));
                Loop loop = new Loop(spec, model, tok, trainer, evaluator, data.configExtra(), err, progress,
                        pauseAfterEpoch).adapterBase(adapterBase(modelDir));
                SetFitHead setfitHead = pairs == null ? null : SetFit.head(spec, model, data, objective);
                if (setfitHead != null) {
                    loop.beforeEvaluation(() -> SetFit.fit(setfitHead, err));
                }
                Trainer.Position start = resume ? loop.restore(last) : null;
                long t0 = System.nanoTime();
                loop.train(start, String.format("%s %s: %d examples, %d steps, strategy %s%s",
                        distill == null ? "training" : "distilling", spec.name(), trainSet.size(), total,
                        strategy.name(), pairs == null ? "" : SetFit.describe(pairs)));
                double seconds = loop.elapsedBefore() + cacheSeconds + (System.nanoTime() - t0) / 1e9;
                // 6) final report on the best model
                long trainable = trainableParameters(model, strategy, layers, spec);
                JsonObject training = new JsonObject();
                training.addProperty("strategy", strategy.name());
                training.addProperty("examples", trainSet.size());
                training.addProperty("steps", total);
                training.addProperty("seconds", Math.round(seconds * 10) / 10.0);
                training.addProperty("tokens_per_s", Math.round(loop.tokens() / Math.max(1e-9, seconds - loop.elapsedBefore())));
                training.addProperty("trainable_parameters", trainable);
                training.addProperty("seed", spec.seed());
                if (cache) {
                    training.addProperty("feature_cache_seconds", Math.round(cacheSeconds * 10) / 10.0);
                }
                if (lesson != null) {
                    training.addProperty("teacher_outputs_seconds", Math.round(lesson.seconds() * 10) / 10.0);
                }
                if (pairs != null) {
                    training.add("setfit", SetFit.summary(pairs, setfitHead));
                }
                return finish(modelDir, tok, head, data, new Trained(training, seconds, trainable, loop.tokens(),
                        loop.bestEvaluation()), distill);
            }
        }
    }

    /**
     * A frozen encoder's features of the training and validation examples, computed (or read from the feature
     * directory) once: from now on only the head runs; returns the evaluator over the cached validation features.
     */
    private Evaluator cacheFeatures(TaskModel model, Prepared data, SupervisedObjective task) {
        err.println("frozen encoder: computing features once for " + data.train().size() + " examples"
                + (featureDir == null ? "" : ", or reading them from " + featureDir));
        long c0 = System.nanoTime();
        FeatureCache.Stored s = FeatureCache.computeOrRead(featureDir, model, data.train(), spec.evalBatchSize());
        task.cached(s.cache());
        Evaluator evaluator = data.evaluator().cached(model, spec.evalBatchSize(), featureDir);
        err.printf("features %s in %.1fs; from now on only the head runs%n",
                s.read() ? "read from " + featureDir : "cached", (System.nanoTime() - c0) / 1e9);
        return evaluator;
    }

    /** What trains when under the strategy, at which rate: depths, layer-wise decay, one schedule over the plan. */
    private LayerSchedule policy(TaskModel model, Strategy strategy, Trainer.Plan plan, int layers) {
        long total = plan.totalSteps();
        // SetFit's body trains alone: its head is fitted afterwards, not by the pair loss
        String head = TaskModel.outputLayer(model.family(), model.head()) + ".";
        java.util.function.Predicate<String> trainable = strategy.name().equals("setfit")
                ? name -> model.trainable(name) && !name.startsWith(head) : strategy.trains(model, spec);
        return new LayerSchedule(new LayerPolicy(model.family(), layers, strategy.layerDecay(), spec.headLearningRate()),
                strategy.unfreezing(), new Schedule(spec.schedule(), total, Math.round(total * spec.warmupRatio())),
                spec.learningRate(), trainable);
    }

    /** What training hands the final report: its figures and the best model's validation report (or null). */
    private record Trained(JsonObject training, double seconds, long trainable, long tokens,
            Evaluation bestValidation) {}

    /** The final report on the best model; {@code distill} (or null) adds the teachers beside the student. */
    private Result finish(Path modelDir, BertTokenizer tok, TaskModel.Head head, Prepared data, Trained t,
            Distillation distill) {
        Path out = spec.out();
        JsonObject training = t.training();
        Evaluation bestValidation = t.bestValidation();
        try (TaskModel best = TaskModel.load(Checkpoint.read(out), head, out.toString())) {
            // the best model's validation report from the training loop, else (resumed run) a fresh pass
            Evaluation validation = !spec.validates() ? null
                    : bestValidation != null ? bestValidation : data.evaluator().evaluate(best);
            Evaluation test = null;
            LabelledData testData = null;
            if (tagging != null && tagging.test() != null) {
                test = Evaluator.tokens(spec, tagging.test(), data.labels(), tagging.scheme(), tok).evaluate(best);
            } else if (data.testData() != null) {
                testData = data.testData();
                test = Evaluator.table(spec, testData, TaskData.features(testData, tok), data.labels()).evaluate(best);
            } else if (spec.test() != null) {
                if (spec.task() == TaskSpec.Kind.QA) {
                    test = Evaluator.qa(spec, SquadData.read(spec.test(), spec.version2()), tok).evaluate(best);
                } else {
                    testData = LabelledData.read(spec, data.labels(), spec.test());
                    test = Evaluator.table(spec, testData, TaskData.features(testData, tok), data.labels()).evaluate(best);
                }
            }
            JsonObject extra = new JsonObject();
            Map<String, LabelledData> splits = new java.util.LinkedHashMap<>();
            Map<String, JsonObject> reports = new java.util.LinkedHashMap<>();
            if (validation != null) {
                splits.put("validation", data.validationData());
                reports.put("validation", validation.toJson());
                extra.addProperty("validation_data", data.validationData() != null ? data.validationData().file()
                        : tagging != null ? tagging.validation().file() : spec.validation().toString());
            }
            if (test != null) {
                splits.put("test", testData);
                reports.put("test", test.toJson());
                extra.addProperty("test_data", testData != null ? testData.file()
                        : tagging != null ? tagging.test().file() : spec.test().toString());
            }
            if (data.trainData() != null && spec.task() != TaskSpec.Kind.REGRESSION) {
                extra.add("train_label_distribution", Scoring.counts(data.labels(), data.trainData().counts()));
            }
            extra.add("baseline", baseline(data, splits, reports, training.get("strategy").getAsString()));
            if (distill != null) {
                Double student = validation == null ? null
                        : validation.metrics().get(spec.task().mainMetric());
                extra.add("distillation", distill.report(out, student, data.validationData(), err));
            }
            JsonObject adapted = adaptedModel(modelDir);
            if (adapted != null) {
                extra.add("adapted_model", adapted);
            }
            JsonObject provenance = Provenance.of(spec, modelDir, (System.nanoTime() - started) / 1e9,
                    Provenance.files(spec.train(), spec.validation(), spec.test()));
            if (sample != null) {
                provenance.add("sample", sample);
            }
            extra.add("provenance", provenance);
            String baseModel = ModelCard.baseModel(spec.model(), modelDir);
            if (baseModel != null) {
                extra.addProperty("base_model", baseModel);
            }
            JsonObject report = Reports.write(spec, out, training, validation == null ? null : validation.toJson(),
                    test == null ? null : test.toJson(), extra);
            ModelCard.write(out, null);
            err.println("report: " + out.resolve("report.html") + " (also report.md, report.json; model card README.md)");
            return new Result(out, spec.earlyStopping() != null && spec.earlyStopping().metric() != null
                    ? spec.earlyStopping().metric() : spec.task().mainMetric(),
                    validation == null ? Map.of() : validation.metrics(),
                    test == null ? Map.of() : test.metrics(), t.seconds(), t.trainable(), t.tokens(), report);
        }
    }

    /** The bag-of-words baseline on the same splits; a failure is reported in its place, not fatal to the run. */
    private JsonObject baseline(Prepared data, Map<String, LabelledData> splits, Map<String, JsonObject> reports,
            String strategy) {
        if (data.trainData() == null || reports.isEmpty()) {
            return Transfer.baseline(spec, data.labels(), null, splits, Map.of(), strategy);
        }
        try {
            long t0 = System.nanoTime();
            JsonObject b = Transfer.baseline(spec, data.labels(), data.trainData(), splits, reports, strategy);
            if (b.has("split")) {
                String split = b.get("split").getAsString();
                err.printf("baseline %s: %s %s %.4f, fine-tuned %.4f%s (%.1fs)%n", b.get("model").getAsString(), split,
                        b.get("metric").getAsString(), b.getAsJsonObject("baseline").get(split).getAsDouble(),
                        b.getAsJsonObject("fine_tuned").get(split).getAsDouble(),
                        b.get("negative_transfer").getAsBoolean() ? ": negative transfer" : "",
                        (System.nanoTime() - t0) / 1e9);
            }
            return b;
        } catch (RuntimeException e) {
            JsonObject o = new JsonObject();
            o.addProperty("skipped", "the baseline failed: " + e);
            return o;
        }
    }

    /**
     * Whether a task checkpoint's own head starts the training: a QA head always, a classifier when its labels
     * (id2label) are the task's, in order; one it replaces is reported.
     */
    private boolean keepHead(Checkpoint base, TaskModel.Head head, List<String> labels, Path modelDir) {
        if (!TaskModel.hasHead(base, head)) {
            return false;
        }
        if (head == TaskModel.Head.QA) {
            err.println("starting from the question-answering head of " + modelDir);
            return true;
        }
        List<String> own = new java.util.ArrayList<>();
        JsonObject id2label = base.config().json().has("id2label") ? base.config().json().getAsJsonObject("id2label")
                : new JsonObject();
        for (int i = 0; i < id2label.size() && id2label.has(Integer.toString(i)); i++) {
            own.add(id2label.get(Integer.toString(i)).getAsString());
        }
        if (own.equals(labels)) {
            err.println("starting from the classifier of " + modelDir + " (same labels " + labels + ")");
            return true;
        }
        err.println("replacing the classifier of " + modelDir + " (labels " + own + ") with a new one for " + labels);
        return false;
    }

    private long started;

    /**
     * When the model is a {@code bert-ft adapt} output: its {@code adapt.json} (held-out masked-LM loss and
     * perplexity before and after, documents, steps, time), for the report's domain section; else null.
     */
    static JsonObject adaptedModel(Path modelDir) {
        Path file = modelDir.resolve("adapt.json");
        if (!Files.isRegularFile(file)) {
            return null;
        }
        try {
            JsonObject o = com.google.gson.JsonParser.parseString(Files.readString(file)).getAsJsonObject();
            o.addProperty("dir", modelDir.toAbsolutePath().toString());
            return o;
        } catch (java.io.IOException | RuntimeException e) {
            return null; // an unreadable adapt.json only costs the report its adapt lines
        }
    }

    /** The DANN domain classifier over the domain-text, or null when domain-adversarial is off. */
    private DomainAdversary domainAdversary(BertTokenizer tok, bertft.model.BertConfig c,
            NDManager parent) {
        if (spec.domainAdversarial() == null) {
            return null;
        }
        List<ai.djl.huggingface.tokenizers.Encoding> texts = new java.util.ArrayList<>();
        for (Path f : spec.domainText()) {
            for (String d : bertft.data.Corpus.documents(f, spec)) {
                texts.add(tok.encode(d));
            }
        }
        err.printf("domain-adversarial %s: %d target-domain texts from %s%n", spec.domainAdversarial(), texts.size(),
                spec.domainText());
        return new DomainAdversary(new Features(texts, List.of()), c.hiddenSize(),
                spec.domainAdversarial(), c.initializerRange(), spec.seed(), parent);
    }

    /**
     * The adapter a lora or ia3 run trains, from the task's keys (PEFT's defaults for the family where it has none),
     * checked against the model before anything is written; null for other strategies.
     */
    private Peft.Config adapterConfig(bertft.model.BertConfig c) {
        return adapterConfig(spec, c);
    }

    /** The adapter {@code spec} trains on a model of config {@code c} (see above); {@code bench} builds the same. */
    public static Peft.Config adapterConfig(TaskSpec spec, bertft.model.BertConfig c) {
        if (!spec.adapterStrategy()) {
            return null;
        }
        Peft.Type type = spec.strategy().equals("lora") ? Peft.Type.LORA : Peft.Type.IA3;
        List<String> targets = spec.loraTargets() != null ? spec.loraTargets() : Peft.defaultTargets(type, c.family());
        List<String> ff = type == Peft.Type.IA3 ? Peft.defaultFeedforward(c.family()).stream()
                .filter(f -> targets.contains(f)).toList() : List.of();
        Peft.Config cfg = new Peft.Config(type, type == Peft.Type.LORA ? spec.loraR() : 0, spec.loraAlpha(),
                spec.loraDropout(), targets, ff, type == Peft.Type.LORA ? spec.loraBias() : "none", spec.useRslora());
        Peft.check(cfg, c, spec.where("lora-targets"), spec.where("lora-r"));
        return cfg;
    }

    /**
     * What an adapter run's adapter_config.json names as its base: the Hub id trained from, else the checkpoint
     * directory's absolute path (a bundled alias is a directory in bert-ft's cache, which Transformers loads too).
     */
    private String adapterBase(Path modelDir) {
        String m = spec.model();
        boolean hub = bertft.hub.HubId.parse(m).isPresent() && !Files.exists(Path.of(m))
                && ModelStore.BUNDLED.stream().noneMatch(b -> b.alias().equals(m));
        return hub ? m : modelDir.toAbsolutePath().normalize().toString();
    }

    /** Parameters that train at some point under this strategy. */
    static long trainableParameters(TaskModel model, Strategy strategy, int layers, TaskSpec spec) {
        bertft.train.LayerPolicy policy = new bertft.train.LayerPolicy(model.family(), layers, 1, null);
        int depth = strategy.unfreezing().every() > 0 ? policy.maxDepth()
                : strategy.unfreezing().trainableDepth(0, policy.maxDepth());
        java.util.function.Predicate<String> trains = strategy.trains(model, spec);
        return model.params().entrySet().stream().filter(e -> policy.depth(e.getKey()) <= depth && trains.test(e.getKey()))
                .mapToLong(e -> e.getValue().getShape().size()).sum();
    }

    /** Training data, validation evaluator, and what the saved config must say, for either kind of task. */
    record Prepared(Features train, List<String> labels, int outputs, float[] classWeights, Evaluator evaluator,
            JsonObject configExtra, LabelledData trainData, LabelledData validationData, LabelledData testData) {}

    /** The seed of {@code test-split}: fixed, so every seed and strategy of a task is tested on the same rows. */
    static final long TEST_SPLIT_SEED = 20070601L;

    private Prepared prepareTable(BertTokenizer tok) {
        List<Path> trainFiles = spec.requireTrain();
        List<String> labels = spec.task() == TaskSpec.Kind.REGRESSION ? List.of("value") : spec.labels();
        if (labels == null || labels.isEmpty()) {
            labels = LabelledData.inferLabels(spec, trainFiles);
            err.println("warning: no 'labels' in the task; using " + labels + " from the training data"
                    + " (add them to fix the order)");
        }
        LabelledData train = LabelledData.read(spec, labels, trainFiles);
        LabelledData test = null;
        if (spec.testSplit() != null) {
            LabelledData[] parts = train.split(spec.testSplit(), TEST_SPLIT_SEED, "test-split");
            train = parts[0];
            test = parts[1];
            err.println(test.summary());
        } else if (spec.checkSplit() != null) {
            LabelledData[] parts = train.stratifiedSplit(spec.checkSplit(), TEST_SPLIT_SEED, "check-split");
            train = parts[0];
            test = parts[1];
            err.println(test.summary());
        }
        LabelledData validation = spec.validation() != null ? LabelledData.read(spec, labels, spec.validation()) : null;
        if (validation == null && spec.validationSplit() != null) {
            LabelledData[] parts = train.split(spec.validationSplit(), spec.seed(), "validation-split");
            train = parts[0];
            validation = parts[1];
            err.println(validation.summary());
        }
        if (spec.trainPerClass() != null) {
            train = train.perClass(spec.trainPerClass(), spec.sampleSeed(), spec.where("train-per-class"));
            sample = sample(train);
        }
        err.println(train.summary());
        double[] w = bertft.data.ClassWeights.of(spec, train);
        float[] weights = null;
        if (w != null) {
            weights = new float[w.length];
            for (int i = 0; i < w.length; i++) {
                weights[i] = (float) w[i];
            }
        }
        Features features = TaskData.features(train, tok);
        Evaluator evaluator = validation == null ? Evaluator.none()
                : Evaluator.table(spec, validation, TaskData.features(validation, tok), labels);
        return new Prepared(features, labels, TaskData.outputs(spec.task(), labels), weights, evaluator,
                Reports.configExtra(spec, labels), train, validation, test);
    }

    /** The train-per-class draw (sample.json and the provenance), or null when the run trains on all of train. */
    private JsonObject sample;

    /** What a train-per-class draw took: its settings, the lines of the rows drawn and a hash of their content. */
    private JsonObject sample(LabelledData drawn) {
        JsonObject o = new JsonObject();
        o.addProperty("train_per_class", spec.trainPerClass());
        o.addProperty("sample_seed", spec.sampleSeed());
        com.google.gson.JsonArray files = new com.google.gson.JsonArray();
        spec.train().forEach(f -> files.add(f.toString()));
        o.add("train", files);
        o.addProperty("examples", drawn.size());
        java.security.MessageDigest d = bertft.Sha256.digest();
        com.google.gson.JsonArray lines = new com.google.gson.JsonArray();
        for (bertft.data.Example e : drawn.examples()) {
            lines.add(e.line());
            d.update((e.line() + "\t" + e.label() + "\t" + e.text() + "\t" + e.textPair() + "\n")
                    .getBytes(java.nio.charset.StandardCharsets.UTF_8));
        }
        o.addProperty("sha256", java.util.HexFormat.of().formatHex(d.digest()));
        o.add("lines", lines);
        return o;
    }

    /** The tagged data of a token-classification run (null for other tasks). */
    private Tagging.Data tagging;

    /**
     * Token classification: the windows of every training sentence with a label per piece; labels and scheme
     * declared or found in the training files, which every validation and test tag must then be one of.
     */
    private Prepared prepareTokens(BertTokenizer tok) {
        Tagging.Data d = Tagging.read(spec, err);
        tagging = d;
        List<String> labels = d.labels();
        Features features = Tagging.features(d.train(), labels, tok, tok.maxLength(), spec.docStride(),
                spec.labelAllTokens());
        err.printf("%s: %d sentences, %d windows, labels %s%n", d.train().file(), d.train().sentences().size(),
                features.size(), labels);
        float[] weights = null;
        if (spec.classWeights().equals("balanced")) {
            Map<String, Long> counts = d.train().counts();
            long[] n = labels.stream().mapToLong(l -> counts.getOrDefault(l, 0L)).toArray();
            double[] w = bertft.data.ClassWeights.balanced(n, java.util.Arrays.stream(n).sum());
            weights = new float[w.length];
            for (int i = 0; i < w.length; i++) {
                weights[i] = (float) w[i];
            }
        }
        Evaluator evaluator = d.validation() == null ? Evaluator.none()
                : Evaluator.tokens(spec, d.validation(), labels, d.scheme(), tok);
        JsonObject extra = Reports.configExtra(spec, labels);
        extra.getAsJsonObject("bert_ft_task").addProperty("tag_scheme",
                d.scheme().name().toLowerCase(Locale.ROOT));
        return new Prepared(features, labels, labels.size(), weights, evaluator, extra, null, null, null);
    }

    private Prepared prepareQa(BertTokenizer tok) {
        List<Path> trainFiles = spec.requireTrain();
        List<SquadData.Question> train = SquadData.read(trainFiles, spec.version2());
        List<QaFeatures.Window> windows = QaFeatures.build(train, tok, spec.maxLength(), spec.docStride(),
                spec.maxQueryLength());
        err.printf("%s: %d questions, %d windows%n", trainFiles.stream().map(Path::toString)
                .collect(java.util.stream.Collectors.joining(" + ")), train.size(), windows.size());
        Evaluator evaluator = spec.validation() == null ? Evaluator.none()
                : Evaluator.qa(spec, SquadData.read(spec.validation(), spec.version2()), tok);
        return new Prepared(QaFeatures.features(windows), List.of(), 2, null, evaluator,
                Reports.configExtra(spec, List.of()), null, null, null);
    }
}
