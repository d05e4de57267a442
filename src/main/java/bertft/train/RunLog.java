package bertft.train;

import bertft.AtomicFiles;
import com.google.gson.Gson;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Map;

/**
 * Where a run reports: {@code metrics.jsonl} (one JSON object per optimizer step and per evaluation) and
 * stderr (a live progress line on a terminal, plain log lines otherwise).
 */
public final class RunLog implements AutoCloseable {
    private static final Gson GSON = new Gson();
    private final BufferedWriter metrics;
    private final Path file;
    private final PrintStream err;
    private final boolean terminal;
    private final long started = System.nanoTime();
    private final long firstStep;
    private final double elapsedBefore;
    private long tokens;
    private long lastLine;
    private double lastEval;

    /**
     * A log that goes on from {@code resumed} (null: a fresh one): what an interrupted run wrote after that
     * checkpoint (the steps it went on to, a half-written last line) is dropped, so the resumed log reads as one
     * run; {@code elapsedBefore} carries its clock on.
     */
    public RunLog(Path metricsFile, Trainer.Position resumed, double elapsedBefore, PrintStream err) {
        this.file = metricsFile;
        this.firstStep = resumed == null ? 0 : resumed.step();
        this.elapsedBefore = elapsedBefore;
        try {
            if (resumed != null && Files.exists(metricsFile)) {
                StringBuilder kept = new StringBuilder();
                for (String line : Files.readAllLines(metricsFile, StandardCharsets.UTF_8)) {
                    if (beforeCheckpoint(line, resumed.step())) {
                        kept.append(line).append('\n');
                    }
                }
                AtomicFiles.writeString(metricsFile, kept.toString());
            }
            this.metrics = Files.newBufferedWriter(metricsFile, StandardCharsets.UTF_8, StandardOpenOption.CREATE,
                    resumed != null ? StandardOpenOption.APPEND : StandardOpenOption.TRUNCATE_EXISTING,
                    StandardOpenOption.WRITE);
        } catch (IOException e) {
            throw AtomicFiles.cannotWrite(metricsFile, e);
        }
        this.err = err;
        this.terminal = System.console() != null && System.getenv("CI") == null;
    }

    /**
     * Whether a record was written before the checkpoint at optimizer step {@code step}: steps and evaluations up
     * to it; an unfreezing event only before it (the one at {@code step} itself comes after the checkpoint and is
     * logged again on resume).
     */
    static boolean beforeCheckpoint(String line, long step) {
        try {
            JsonObject o = JsonParser.parseString(line).getAsJsonObject();
            long s = o.get("step").getAsLong();
            return o.has("unfrozen") ? s < step : s <= step;
        } catch (RuntimeException e) {
            return false; // a line cut short by the kill
        }
    }

    public double elapsed() {
        return (System.nanoTime() - started) / 1e9;
    }

    /** Real (non-padding) tokens trained on so far in this process. */
    public long tokens() {
        return tokens;
    }

    public void step(long step, long total, int epoch, double loss, double lr, Map<String, Double> groupLr,
            double gradNorm, long stepTokens, double seconds) {
        tokens += stepTokens;
        double elapsed = elapsed();
        double tps = tokens / Math.max(1e-9, elapsed);
        double wall = elapsedBefore + elapsed;
        JsonObject o = new JsonObject();
        o.addProperty("step", step);
        o.addProperty("epoch", epoch);
        o.addProperty("loss", loss);
        o.addProperty("lr", lr);
        if (groupLr != null && !groupLr.isEmpty()) {
            o.add("lr_groups", GSON.toJsonTree(groupLr));
        }
        o.addProperty("grad_norm", gradNorm);
        o.addProperty("tokens_per_s", Math.round(tps));
        o.addProperty("elapsed_s", Math.round(wall * 10) / 10.0);
        write(o);
        double eta = elapsed / Math.max(1, step - firstStep) * (total - step);
        String line = String.format("step %d/%d  epoch %d  loss %.4f  lr %.2e  %.0f tokens/s  ETA %s", step, total,
                epoch + 1, loss, lr, tps, duration(eta));
        if (terminal) {
            int width = 24;
            int done = (int) (width * step / Math.max(1, total));
            err.print("\r[" + "#".repeat(done) + " ".repeat(width - done) + "] " + line + "   ");
            err.flush();
        } else if (step == 1 || step == total || System.nanoTime() - lastLine > 30e9) {
            err.println(line);
            lastLine = System.nanoTime();
        }
    }

    public void eval(long step, int epoch, String split, Map<String, Double> metricsByName) {
        JsonObject o = new JsonObject();
        o.addProperty("step", step);
        o.addProperty("epoch", epoch);
        o.add(split, GSON.toJsonTree(metricsByName));
        double now = elapsed();
        o.addProperty("elapsed_s", Math.round((elapsedBefore + now) * 10) / 10.0);
        o.addProperty("interval_s", Math.round((now - lastEval) * 10) / 10.0);
        write(o);
        if (terminal) {
            err.println();
        }
        StringBuilder sb = new StringBuilder(split + " @ step " + step + ":");
        metricsByName.forEach((k, v) -> sb.append(String.format(" %s %s", k, v == Math.rint(v) && Math.abs(v) < 1e9
                ? Long.toString(v.longValue()) : String.format("%.4f", v))));
        err.println(sb.append(String.format("  (%.1fs since the last evaluation)", now - lastEval)));
        lastEval = now;
    }

    /** Gradual unfreezing: groups down to {@code group} train from optimizer step {@code step + 1} on. */
    public void unfrozen(long step, String group) {
        JsonObject o = new JsonObject();
        o.addProperty("step", step);
        o.addProperty("unfrozen", group);
        o.addProperty("elapsed_s", Math.round((elapsedBefore + elapsed()) * 10) / 10.0);
        write(o);
    }

    /** Domain-adversarial training: one step's domain loss, domain-classifier accuracy and lambda. */
    public void domain(long step, double loss, double accuracy, double lambda) {
        JsonObject d = new JsonObject();
        d.addProperty("loss", loss);
        d.addProperty("accuracy", accuracy);
        d.addProperty("lambda", lambda);
        JsonObject o = new JsonObject();
        o.addProperty("step", step);
        o.add("domain", d);
        write(o);
    }

    /** Any other line worth keeping (early stop, checkpoints). */
    public void note(String text) {
        if (terminal) {
            err.println();
        }
        err.println(text);
    }

    private void write(JsonObject o) {
        try {
            metrics.write(GSON.toJson(o));
            metrics.newLine();
            metrics.flush();
        } catch (IOException e) {
            throw AtomicFiles.cannotWrite(file, e);
        }
    }

    static String duration(double seconds) {
        long s = Math.round(seconds);
        return s >= 3600 ? String.format("%dh%02dm", s / 3600, s % 3600 / 60) : String.format("%dm%02ds", s / 60, s % 60);
    }

    @Override
    public void close() {
        try {
            metrics.close();
        } catch (IOException e) {
            throw AtomicFiles.cannotWrite(file, e);
        }
    }
}
