package bertft.adapt;

import ai.djl.ndarray.NDManager;
import bertft.UserError;
import bertft.checkpoint.TensorData;
import bertft.data.Corpus;
import bertft.model.BertConfig;
import bertft.model.Checkpoint;
import bertft.model.MaskedLm;
import bertft.model.ModelStore;
import bertft.model.Torch;
import bertft.run.Reports;
import bertft.run.ResumeState;
import bertft.task.TaskSpec;
import bertft.text.BertTokenizer;
import bertft.train.RunLog;
import bertft.train.Trainer;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonObject;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;

/**
 * {@code bert-ft adapt}: continued masked-LM pretraining of an encoder on unlabelled text (domain- or task-adaptive
 * pretraining). Writes {@code <out>/}: the adapted model as a HuggingFace {@code *ForMaskedLM} checkpoint (which
 * {@code train} takes as {@code model:}), {@code metrics.jsonl}, {@code adapt.json} (held-out masked-LM loss and
 * perplexity before and after, tokens/s) and {@code task.yaml}; while training, {@code last/} for {@code --resume}.
 */
public final class AdaptJob {
    /**
     * The masked-LM head's peak rate when the checkpoint has none (the bundled MiniLM): a head initialised from
     * scratch at the encoder's 2e-5 still predicts badly after 3 epochs; at 1e-3 it learns in one.
     */
    static final double FRESH_HEAD_LEARNING_RATE = 1e-3;

    /** What a finished run reports. */
    public record Result(Path dir, double lossBefore, double lossAfter, long steps, double tokensPerSecond,
            double seconds) {
        public double perplexityBefore() {
            return Math.exp(lossBefore);
        }

        public double perplexityAfter() {
            return Math.exp(lossAfter);
        }
    }

    /** Test hook: a system property naming a step after whose resume checkpoint the run dies, as if killed. */
    static final String STOP_AFTER_STEP = Trainer.STOP_AFTER_STEP;

    private final TaskSpec spec;
    /** Progress, held while the run checks its input (as a training run's). */
    private final bertft.Held err;

    public AdaptJob(TaskSpec spec, PrintStream err) {
        this.spec = spec;
        this.err = bertft.Held.over(err);
    }

    public Result run(boolean resume) {
        return run(resume, false);
    }

    /**
     * As {@link #run(boolean)}; {@code overwrite} lets the run replace what --out holds (see {@link #refuseForeign}).
     * Nothing is printed until every input has been checked: a refused run prints only its error.
     */
    public Result run(boolean resume, boolean overwrite) {
        return err.during(() -> adapt(resume, overwrite));
    }

    private Result adapt(boolean resume, boolean overwrite) {
        Torch.init();
        Path out = spec.out();
        Path last = out.resolve("last");
        if (resume && !Files.exists(last.resolve("trainer_state.json"))) {
            throw new UserError(out + ": nothing to resume (no last/trainer_state.json)");
        }
        Path modelDir = ModelStore.resolve(spec.model());
        Path from = resume ? last : modelDir;
        BertConfig config = BertConfig.read(from.resolve("config.json"));
        Map<String, TensorData> weights = Checkpoint.readWeights(from);
        int maxLength = Math.min(spec.maxLength(), config.maxTokens());
        try (BertTokenizer tok = BertTokenizer.load(from, maxLength);
                MaskedLm model = MaskedLm.create(config, weights, from.toString(), spec.seed())) {
            if (tok.maskId() < 0) {
                throw new UserError(from + ": the vocabulary has no [MASK] or <mask> token to mask with");
            }
            if (!resume) {
                err.println(model.headLoaded() ? "masked-LM head loaded from " + modelDir
                        : modelDir + " has no masked-LM head: initialised " + model.headKeys());
            }
            // 1) data: documents -> held-out split -> blocks; the held-out masks are drawn once, so before and after
            // compare on the same positions
            Corpus.Split data = Corpus.read(spec, tok, maxLength);
            Masking masking = new Masking(spec.mlmProbability(), spec.wholeWordMask(), tok.maskId(), config.vocabSize());
            List<Masking.Masked> heldOut = new ArrayList<>();
            for (int i = 0; i < data.heldOut().size(); i++) {
                heldOut.add(masking.apply(data.heldOut().get(i), new Random(spec.seed() * 7_368_787L + i)));
            }
            err.printf("%d documents: %d training sequences, %d held out (%d masked tokens), max-length %d%s%n",
                    data.documents(), data.train().size(), data.heldOut().size(),
                    heldOut.stream().mapToInt(m -> m.positions().length).sum(), maxLength,
                    spec.lineByLine() ? ", line by line" : "");
            if (!resume) {
                refuseForeign(out, spec.name(), modelDir, overwrite);
            }
            err.release(); // every check passed: what was held is progress now
            bertft.AtomicFiles.createDirectories(out);
            bertft.AtomicFiles.cleanStaleIn(out);
            if (!resume) {
                Reports.writeTask(spec, out, modelDir);
            }
            // the head's default rate follows the model adapted, not the resume state (which always has a head)
            boolean headGiven = resume ? MaskedLm.hasHead(BertConfig.read(modelDir.resolve("config.json")),
                    Checkpoint.readWeights(modelDir)) : model.headLoaded();
            return new Loop(model, tok, data, masking, heldOut, out, config.padTokenId(), headGiven)
                    .fit(resume, modelDir);
        } catch (IOException e) {
            throw new UserError(out + ": " + e.getMessage());
        }
    }

    /** The run's bookkeeping around the one training loop: held-out loss, log, resume state, the adapted model. */
    private final class Loop implements Trainer.Listener {
        private final MaskedLm model;
        private final BertTokenizer tok;
        private final Corpus.Split data;
        private final MaskedLmObjective objective;
        private final List<Masking.Masked> heldOut;
        private final Path out;
        private final Trainer.Settings settings;
        private final Trainer.Plan plan;
        private final Trainer trainer;
        private RunLog log;
        private double before;
        private double elapsedBefore;

        Loop(MaskedLm model, BertTokenizer tok, Corpus.Split data, Masking masking, List<Masking.Masked> heldOut,
                Path out, long pad, boolean headGiven) {
            this.model = model;
            this.tok = tok;
            this.data = data;
            this.heldOut = heldOut;
            this.out = out;
            this.objective = new MaskedLmObjective(model, data.train(), masking, pad, spec.seed());
            this.settings = Trainer.Settings.of(spec);
            if (settings.gradientCheckpointing()) {
                bertft.model.Checkpointing.requireSupport(model.encoder().config(), spec.where("gradient-checkpointing"));
            }
            this.plan = Trainer.Plan.of(settings, data.train().size(), model.encoder().config().numHiddenLayers());
            double headRate = spec.headLearningRate() != null ? spec.headLearningRate()
                    : headGiven ? spec.learningRate() : FRESH_HEAD_LEARNING_RATE;
            // head-epochs train the head alone (the encoder frozen), then epochs adapt everything
            HeadFirst policy = new HeadFirst(Set.copyOf(model.headKeys()), plan.headSteps(), plan.mainSteps(),
                    spec.schedule(), spec.warmupRatio(), headRate, spec.learningRate(), model::trainable);
            this.trainer = new Trainer(settings, plan, model.params(), objective, policy).divergedVerb("adapting");
        }

        Result fit(boolean resume, Path modelDir) throws IOException {
            long total = plan.totalSteps();
            Trainer.Position at = Trainer.Position.START;
            if (resume) {
                // the held-out loss before adapting is kept in the resume state's "best" slot
                ResumeState.Progress p = ResumeState.load(out.resolve("last"), trainer.resumable(), trainer.optimizer());
                at = p.next();
                before = p.best();
                elapsedBefore = p.elapsedSeconds();
                err.printf("resuming %s at step %d (epoch %d, batch %d)%n", out, at.step(), at.epoch() + 1, at.batch());
            } else {
                before = heldOutLoss();
            }
            try (RunLog l = new RunLog(out.resolve("metrics.jsonl"), resume ? at : null, elapsedBefore, err)) {
                log = l;
                if (!resume) {
                    log.eval(0, 0, "heldout", metrics(before));
                }
                err.printf("adapting %s: %d sequences, %d steps%s%n", spec.name(), data.train().size(), total,
                        plan.headSteps() > 0 ? " (the first " + plan.headSteps() + " train the masked-LM head only)"
                                : "");
                trainer.fit(at, () -> metrics(heldOutLoss()), this);
                // the adapted model, the report, and no resume state left behind
                double after = heldOutLoss();
                double seconds = log.elapsed();
                double tps = log.tokens() / Math.max(1e-9, seconds);
                Checkpoint.writeInto(out, model.checkpoint(), tok);
                Result r = new Result(out, before, after, total, tps, elapsedBefore + seconds);
                String json = report(r, modelDir);
                bertft.AtomicFiles.writeString(out.resolve("adapt.json"), json);
                bertft.AtomicFiles.writeString(out.resolve("report.html"), bertft.report.HtmlReport.renderAdapt(
                        com.google.gson.JsonParser.parseString(json).getAsJsonObject(),
                        Reports.readLog(out.resolve("metrics.jsonl"))));
                bertft.AtomicFiles.deleteTree(out.resolve("last"));
                log.note(String.format("held-out masked-LM loss %.4f -> %.4f, perplexity %.2f -> %.2f; %.0f tokens/s;"
                        + " saved to %s", before, after, r.perplexityBefore(), r.perplexityAfter(), tps, out));
                return r;
            }
        }

        @Override
        public void step(long step, long totalSteps, int epoch, double loss, double lr, Map<String, Double> groupLr,
                double gradNorm, long tokens, double seconds) {
            log.step(step, totalSteps, epoch, loss, lr, groupLr, gradNorm, tokens, seconds);
        }

        @Override
        public boolean evaluated(long step, int epoch, Map<String, Double> metrics) {
            log.eval(step, epoch, "heldout", metrics);
            return true;
        }

        /** A resumable checkpoint after each held-out evaluation. */
        @Override
        public void checkpoint(Trainer.Position next) {
            ResumeState.save(out.resolve("last"), model.checkpoint(), tok, trainer.optimizer(),
                    new ResumeState.Progress(next, before, 0, 0, elapsedBefore + log.elapsed()), trainer.state());
        }

        /** Token-weighted mean cross-entropy over the held-out split's fixed masks. */
        double heldOutLoss() {
            double sum = 0;
            long count = 0;
            for (int s = 0; s < heldOut.size(); s += spec.evalBatchSize()) {
                List<Masking.Masked> batch = heldOut.subList(s, Math.min(heldOut.size(), s + spec.evalBatchSize()))
                        .stream().filter(x -> x.positions().length > 0).toList();
                if (batch.isEmpty()) {
                    continue;
                }
                int n = batch.stream().mapToInt(x -> x.positions().length).sum();
                try (NDManager m = Torch.newManager()) {
                    sum += objective.loss(batch, m, false).getFloat() * n;
                }
                count += n;
            }
            if (count == 0) {
                throw new UserError("the held-out split has no maskable tokens (raise validation-split or add text)");
            }
            return sum / count;
        }

        private String report(Result r, Path modelDir) {
            JsonObject o = new JsonObject();
            o.addProperty("model", modelDir.toAbsolutePath().toString());
            o.addProperty("architecture", model.encoder().config().family().architecture() + "ForMaskedLM");
            o.addProperty("documents", data.documents());
            o.addProperty("train_sequences", data.train().size());
            o.addProperty("heldout_sequences", data.heldOut().size());
            o.addProperty("heldout_masked_tokens", heldOut.stream().mapToInt(m -> m.positions().length).sum());
            o.add("before", metricsJson(r.lossBefore()));
            o.add("after", metricsJson(r.lossAfter()));
            o.addProperty("steps", r.steps());
            o.addProperty("head_only_steps", plan.headSteps());
            o.addProperty("seconds", Math.round(r.seconds() * 10) / 10.0);
            o.addProperty("tokens_per_s", Math.round(r.tokensPerSecond()));
            o.addProperty("seed", spec.seed());
            return new GsonBuilder().setPrettyPrinting().create().toJson(o) + "\n";
        }
    }

    private static Map<String, Double> metrics(double loss) {
        Map<String, Double> m = new java.util.LinkedHashMap<>();
        m.put("loss", loss);
        m.put("perplexity", Math.exp(loss));
        return m;
    }

    private static JsonObject metricsJson(double loss) {
        JsonObject o = new JsonObject();
        o.addProperty("loss", loss);
        o.addProperty("perplexity", Math.exp(loss));
        return o;
    }

    /**
     * Nothing the user had is overwritten: --out must be new, empty, or an earlier adapt run (adapt.json) of the same
     * name and model, as train refuses a run of another task (every adapt without a task file is named adapt, so the
     * model tells them apart); {@code overwrite} lets the run write into any directory.
     */
    private static void refuseForeign(Path out, String name, Path modelDir, boolean overwrite) throws IOException {
        if (Files.exists(out) && !Files.isDirectory(out)) {
            throw new UserError(out + ": is a file, not a directory; give --out a new directory");
        }
        if (overwrite || !Files.isDirectory(out)) {
            return;
        }
        if (!Files.exists(out.resolve("adapt.json"))) {
            try (java.util.stream.Stream<Path> s = Files.list(out)) {
                if (s.findAny().isPresent()) {
                    throw new UserError(out + ": is not empty and is not an adapt run; give --out a new or empty"
                            + " directory, or add --overwrite to write into it anyway");
                }
            }
            return;
        }
        String earlier = adaptOf(out);
        String now = "'" + name + "' of " + modelDir.toAbsolutePath().normalize();
        if (!now.equals(earlier)) {
            throw new UserError(out + ": holds an adapt of another model or task (" + earlier + "); give another"
                    + " --out, or add --overwrite to replace it");
        }
    }

    /** "'name' of MODEL" for the adapt run in {@code dir}, from its task.yaml and adapt.json. */
    private static String adaptOf(Path dir) {
        try {
            Object yaml = new org.yaml.snakeyaml.Yaml().load(Files.readString(dir.resolve("task.yaml")));
            Object name = yaml instanceof Map<?, ?> m ? m.get("name") : null;
            String model = com.google.gson.JsonParser.parseString(Files.readString(dir.resolve("adapt.json")))
                    .getAsJsonObject().get("model").getAsString();
            return "'" + name + "' of " + Path.of(model).normalize();
        } catch (IOException | RuntimeException e) {
            return "an unreadable task.yaml or adapt.json"; // not one this adapt can tell is its own
        }
    }
}
