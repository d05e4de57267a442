package bertft.run;

import bertft.AtomicFiles;
import bertft.Fault;
import bertft.UserError;
import bertft.checkpoint.TensorData;
import bertft.model.AdapterDir;
import bertft.model.Checkpoint;
import bertft.model.TaskModel;
import bertft.task.EarlyStopping;
import bertft.task.TaskSpec;
import bertft.text.BertTokenizer;
import bertft.train.RunLog;
import bertft.train.Trainer;
import com.google.gson.JsonObject;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The trainer's listener for one run: logs, keeps the best checkpoint, stops early, writes resume state.
 */
final class Loop implements Trainer.Listener {
    /** Test hook: a system property naming a step after whose checkpoint the run dies, as if killed. */
    static final String STOP_AFTER_STEP = Trainer.STOP_AFTER_STEP;
    private final TaskSpec spec;
    private final TaskModel model;
    private final BertTokenizer tok;
    private final Trainer trainer;
    private final Evaluator evaluator;
    private final JsonObject configExtra;
    private final Path out;
    private final PrintStream err;
    /** The number of epochs after which the run pauses (resume state saved, no report); 0: never. */
    private final int pauseAfterEpoch;
    private final String metric;
    private final EarlyStopping stopping;
    private final TrainJob.Progress progress;
    private RunLog log;
    private double elapsedBefore;
    private double best = Double.NaN;
    private long bestStep = -1;
    private int badEvals;
    private boolean saved;
    private Evaluation latestEvaluation;
    private Evaluation bestEvaluation;
    private long totalSteps;

    Loop(TaskSpec spec, TaskModel model, BertTokenizer tok, Trainer trainer, Evaluator evaluator,
            JsonObject configExtra, PrintStream err, TrainJob.Progress progress, int pauseAfterEpoch) {
        this.progress = progress;
        this.spec = spec;
        this.model = model;
        this.tok = tok;
        this.trainer = trainer;
        this.evaluator = evaluator;
        this.configExtra = configExtra;
        this.out = spec.out();
        this.err = err;
        this.pauseAfterEpoch = pauseAfterEpoch;
        this.stopping = spec.earlyStopping();
        this.metric = stopping != null && stopping.metric() != null ? stopping.metric() : spec.task().mainMetric();
    }

    /** Restores the resume state in {@code last} into the model, the optimizer and this; returns where to go on. */
    Trainer.Position restore(Path last) {
        trainer.restore(last);
        ResumeState.Progress p = ResumeState.load(last, trainer.resumable(), trainer.optimizer());
        best = p.best();
        bestStep = p.bestStep();
        badEvals = p.badEvals();
        elapsedBefore = p.elapsedSeconds();
        saved = bestStep >= 0;
        err.printf("resuming %s at step %d (epoch %d, batch %d)%n", out, p.next().step(), p.next().epoch() + 1,
                p.next().batch());
        return p.next();
    }

    /**
     * Trains from {@code resumed} ({@link #restore}'s answer; null: from the start), logging to metrics.jsonl after
     * {@code header}, then keeps a model and drops the resume state.
     */
    void train(Trainer.Position resumed, String header) {
        try (RunLog l = new RunLog(out.resolve("metrics.jsonl"), resumed, elapsedBefore, err)) {
            log = l;
            err.println(header);
            trainer.fit(resumed == null ? Trainer.Position.START : resumed, () -> evaluate(model), this);
            finish();
        }
    }

    /** What completes the model before each evaluation and save (SetFit: fitting the head on the body). */
    private Runnable beforeEvaluation = () -> {};

    Loop beforeEvaluation(Runnable r) {
        this.beforeEvaluation = r;
        return this;
    }

    /** Seconds the run had trained before this process resumed it. */
    double elapsedBefore() {
        return elapsedBefore;
    }

    /**
     * Scores the model on validation, keeping the full report so the final report of the best model needs no
     * second pass over the data (a SQuAD dev pass takes minutes).
     */
    Map<String, Double> evaluate(TaskModel m) {
        beforeEvaluation.run();
        if (!spec.validates()) {
            return Map.of(); // nothing to score: the latest model is kept
        }
        bertft.Fault.at("eval");
        latestEvaluation = evaluator.evaluate(m);
        return latestEvaluation.metrics();
    }

    /** The validation evaluation of the saved best model, or null when it was not scored in this process. */
    Evaluation bestEvaluation() {
        return bestEvaluation;
    }

    long tokens() {
        return log.tokens();
    }

    @Override
    public void step(long step, long total, int epoch, double loss, double lr, Map<String, Double> groupLr,
            double gradNorm, long tokens, double seconds) {
        totalSteps = total;
        log.step(step, total, epoch, loss, lr, groupLr, gradNorm, tokens, seconds);
        progress.step(step, total, epoch, loss, lr);
    }

    @Override
    public void domain(long step, double loss, double accuracy, double lambda) {
        log.domain(step, loss, accuracy, lambda);
    }

    @Override
    public void unfrozen(long step, String group) {
        log.unfrozen(step, group);
    }

    @Override
    public boolean evaluated(long step, int epoch, Map<String, Double> metrics) {
        if (metrics.isEmpty()) {
            saveBest(step); // no validation set: the latest model is the one kept
            return true;
        }
        log.eval(step, epoch, "validation", metrics);
        progress.evaluated(step, epoch, metrics);
        Double value = metrics.get(metric);
        if (value == null) {
            throw new UserError("early-stopping metric '" + metric + "' is not one of " + metrics.keySet());
        }
        boolean lower = stopping != null && stopping.mode() != null ? stopping.mode().equals("min")
                : TaskSpec.Kind.lowerIsBetter(metric);
        boolean better = Double.isNaN(best) || (lower ? value < best : value > best);
        if (better) {
            best = value;
            bestStep = step;
            badEvals = 0;
            bestEvaluation = latestEvaluation;
            saveBest(step);
            return true;
        }
        badEvals++;
        if (stopping != null && badEvals >= stopping.patience()) {
            log.note(String.format("early stop at step %d: %s has not improved on %.4f (step %d) for %d evaluations",
                    step, metric, best, bestStep, badEvals));
            return false;
        }
        return true;
    }

    private void saveBest(long step) {
        if (model.peft() != null) {
            // PEFT's files (the adapter and the head), config and tokenizer: the base weights are not copied
            AtomicFiles.writeInto(out, "adapter", "config.json", tmp -> {
                AdapterDir.fill(tmp, model, configExtra, adapterBase, tok);
                Fault.at("save-model");
            });
            removeStale(out, "model.safetensors", "model.safetensors.index.json", "pytorch_model.bin");
        } else {
            Checkpoint.writeInto(out, model.checkpoint(configExtra), tok);
            removeStale(out, AdapterDir.CONFIG, AdapterDir.WEIGHTS);
        }
        saved = true;
    }

    /** Removes what an earlier run of this task in another format left, so the directory loads as this one. */
    private static void removeStale(Path dir, String... names) {
        for (String n : names) {
            try {
                Files.deleteIfExists(dir.resolve(n));
            } catch (java.io.IOException e) {
                throw AtomicFiles.cannotWrite(dir.resolve(n), e);
            }
        }
    }

    /** The base an adapter run names in adapter_config.json (base_model_name_or_path). */
    private String adapterBase;

    /** Sets the base an adapter run's files name; returns this. */
    Loop adapterBase(String base) {
        this.adapterBase = base;
        return this;
    }

    /** The resume state's file of an adapter run's adapter (the model's files there are the base's and the head). */
    static final String ADAPTER_STATE = "adapter_state.safetensors";

    @Override
    public void checkpoint(Trainer.Position next) {
        Map<String, Map<String, TensorData>> extras = new LinkedHashMap<>(trainer.state());
        if (model.peft() != null) {
            extras.put(ADAPTER_STATE, model.peft().tensors());
        }
        ResumeState.save(out.resolve("last"), model.checkpoint(configExtra), tok, trainer.optimizer(),
                new ResumeState.Progress(next, best, bestStep, badEvals, elapsedBefore + log.elapsed()), extras);
        if (pauseAfterEpoch > 0 && next.batch() == 0 && next.epoch() == pauseAfterEpoch && next.step() < totalSteps) {
            log.note("paused after epoch " + pauseAfterEpoch + "; resumable from " + out.resolve("last"));
            throw new TrainJob.Paused(pauseAfterEpoch);
        }
    }

    /** After the loop: make sure a model exists, and drop the resume state of a finished run. */
    private void finish() {
        if (!saved) {
            saveBest(-1);
        }
        bertft.AtomicFiles.deleteTree(out.resolve("last"));
        log.note(Double.isNaN(best) ? "saved the final model to " + out
                : String.format("best %s %.4f at step %d, saved to %s", metric, best, bestStep, out));
    }
}
