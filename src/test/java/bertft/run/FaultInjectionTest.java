package bertft.run;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import bertft.Tiny;
import bertft.checkpoint.SafeTensors;
import bertft.cli.CliTest;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * kill -9 of real bert-ft processes (child JVMs on the test classpath) at chosen points, through the
 * {@code BERT_FT_FAULT} hook (see {@link bertft.Fault}), then resume: every resumed run ends with the weights of
 * an uninterrupted run, a log that reads as one run, and no temporary left behind.
 */
@Tag("fault")
class FaultInjectionTest {
    @TempDir
    static Path tmp;
    static Path task;
    static Path full;

    @BeforeAll
    static void uninterrupted() throws IOException {
        Path model = Tiny.checkpoint(tmp.resolve("tiny"), 3);
        TrainJobTest.data(tmp, "train.csv", 32, 1);
        TrainJobTest.data(tmp, "dev.csv", 16, 2);
        // 4 steps an epoch, 8 in all, evaluated (and checkpointed) every 2; the best model by validation loss
        task = Files.writeString(tmp.resolve("tiny.yaml"), String.join("\n", "task: classification", "model: " + model,
                "data-dir: " + tmp, "train: train.csv", "validation: dev.csv", "labels: [negative, positive]",
                "max-length: 32", "batch-size: 8", "epochs: 2", "eval-every: 2", "learning-rate: 1e-3",
                "pooling: mean", "early-stopping: {metric: loss, patience: 100}", ""));
        full = tmp.resolve("full");
        var r = CliTest.run("train", task.toString(), "--out", full.toString());
        assertEquals(0, r.code(), r.err());
    }

    /** Starts bert-ft in a child JVM with {@code BERT_FT_FAULT=fault}; its stderr goes to {@code log}. */
    static Process bertFt(String fault, Path log, String... args) throws IOException {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx1g", "-XX:TieredStopAtLevel=1", "-Dai.djl.offline=true", "-cp",
                System.getProperty("java.class.path"), "bertft.cli.BertFt"));
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectError(log.toFile())
                .redirectOutput(ProcessBuilder.Redirect.DISCARD);
        if (fault != null) {
            pb.environment().put("BERT_FT_FAULT", fault);
        }
        return pb.start();
    }

    /** Waits (at most a minute) until {@code ready} holds, failing with the child's stderr if it ends first. */
    static void await(Process p, Path log, String what, Predicate<Void> ready) throws Exception {
        long deadline = System.nanoTime() + 60_000_000_000L;
        while (!ready.test(null)) {
            if (!p.isAlive() || System.nanoTime() > deadline) {
                p.destroyForcibly().waitFor();
                fail("never got to " + what + "; stderr:\n" + Files.readString(log));
            }
            Thread.sleep(50);
        }
    }

    /** Every bert-ft temporary under {@code dir}. */
    static List<Path> temporaries(Path dir) throws IOException {
        try (Stream<Path> s = Files.walk(dir)) {
            return s.filter(p -> p.getFileName().toString().matches("\\..+\\.(tmp|old)-\\d+-\\d+")).toList();
        }
    }

    /** kill -9 at {@code fault}, check what is left, resume, and compare with the uninterrupted run. */
    static void killAndResume(String fault, String leftBehind) throws Exception {
        killAndResume(fault, leftBehind, full, last -> {});
    }

    /**
     * As {@link #killAndResume(String, String)} for a run with the options {@code extra}, compared with the
     * uninterrupted run {@code reference} of the same options; {@code killed} checks the resume state left by the kill.
     */
    static void killAndResume(String fault, String leftBehind, Path reference, java.util.function.Consumer<Path> killed,
            String... extra) throws Exception {
        Path dir = tmp.resolve(fault.replaceAll("\\W", "-"));
        Path log = tmp.resolve(dir.getFileName() + ".log");
        List<String> args = new ArrayList<>(List.of("train", task.toString(), "--out", dir.toString()));
        args.addAll(List.of(extra));
        Process p = bertFt(fault, log, args.toArray(String[]::new));
        await(p, log, fault, x -> {
            try {
                return Files.readString(log).contains("bert-ft fault hook: paused at");
            } catch (IOException e) {
                return false;
            }
        });
        p.destroyForcibly().waitFor(); // SIGKILL: no shutdown hook, no finally block runs
        assertTrue(Files.exists(dir.resolve("last/trainer_state.json")), fault + ": a checkpoint to resume from");
        if (leftBehind != null) {
            assertTrue(temporaries(dir).stream().anyMatch(t -> t.getFileName().toString().startsWith(leftBehind)),
                    fault + ": killed in the middle of writing " + leftBehind + "*: " + temporaries(dir));
        }
        killed.accept(dir.resolve("last"));
        var resumed = CliTest.run("train", "--resume", dir.toString());
        assertEquals(0, resumed.code(), fault + ": " + resumed.err());

        for (String key : List.of("classifier.weight", "bert.encoder.layer.1.output.dense.weight",
                "bert.embeddings.word_embeddings.weight")) {
            // as TrainJobTest's resume: identical up to float rounding
            assertArrayEquals(SafeTensors.read(reference.resolve("model.safetensors")).get(key).toFloats(),
                    SafeTensors.read(dir.resolve("model.safetensors")).get(key).toFloats(), 1e-6f, fault + ": " + key);
        }
        assertEquals(List.of(), temporaries(dir), fault + ": no temporary once the resumed run has finished");
        assertFalse(Files.exists(dir.resolve("last")), fault);
        assertEquals(Files.readAllLines(reference.resolve("metrics.jsonl")).stream().map(TrainJobTest::stepAndKind).toList(),
                Files.readAllLines(dir.resolve("metrics.jsonl")).stream().map(TrainJobTest::stepAndKind).toList(),
                fault + ": the resumed log reads as one run");
    }

    @Test
    void killedMidStep() throws Exception {
        killAndResume("step@4", null); // 3 steps done, 2 checkpointed; step 4's gradients computed, not applied
    }

    @Test
    void killedMidEvaluation() throws Exception {
        killAndResume("eval@2", null); // the evaluation after step 4
    }

    @Test
    void killedDuringTheModelSave() throws Exception {
        killAndResume("save-model@2", ".model.tmp-");
    }

    @Test
    void killedDuringTheResumeStateSave() throws Exception {
        killAndResume("save-state@2", ".last.tmp-"); // last/ of step 2 stays until step 4's replaces it
    }

    /**
     * The resume state is one unit: a kill after its model, optimizer and position are written but before the
     * moving average (or DANN's domain classifier) leaves the previous last/ whole, and the run resumes from it.
     */
    @Test
    void killedBetweenTheResumeStateModelAndItsExtras() throws Exception {
        Path reference = tmp.resolve("full-ema");
        var r = CliTest.run("train", task.toString(), "--out", reference.toString(), "--ema-decay", "0.9");
        assertEquals(0, r.code(), r.err());
        killAndResume("save-extras@2", ".last.tmp-", reference, last -> {
            try {
                assertTrue(Files.readString(last.resolve("trainer_state.json")).contains("\"step\": 2,"),
                        "the previous state (step 2) stays");
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
            assertTrue(Files.exists(last.resolve(bertft.train.Trainer.AVERAGE_FILE)), "with its moving average");
        }, "--ema-decay", "0.9");
    }

    @Test
    void aClassifyKilledMidOutputLeavesATemporaryTheNextClassifyRemoves() throws Exception {
        Path out = tmp.resolve("preds.csv");
        Path log = tmp.resolve("classify.log");
        // reading stdin that stays open: the output's temporary exists while classify waits for more rows
        Process p = bertFt(null, log, "classify", "-", "--format", "csv", "--model", full.toString(), "--out",
                out.toString());
        try (OutputStream in = p.getOutputStream()) {
            in.write("text\ngood phone\nbad battery\n".getBytes(StandardCharsets.UTF_8));
            in.flush();
            await(p, log, "the output's temporary", x -> {
                try {
                    return temporaries(tmp).stream().anyMatch(t -> t.getFileName().toString().startsWith(".preds.csv.tmp-"));
                } catch (IOException e) {
                    return false;
                }
            });
            p.destroyForcibly().waitFor();
        } catch (IOException e) {
            // the pipe to a killed process may complain on close
        }
        assertFalse(Files.exists(out), "the output appears only whole");
        Path in = Files.writeString(tmp.resolve("in.csv"), "text\ngood phone\nbad battery\n");
        var c = CliTest.run("classify", in.toString(), "--model", full.toString(), "--out", out.toString());
        assertEquals(0, c.code(), c.err());
        assertEquals(3, Files.readAllLines(out).size());
        assertTrue(temporaries(tmp).stream().noneMatch(t -> t.getFileName().toString().startsWith(".preds.csv")),
                "the killed classify's temporary is gone: " + temporaries(tmp));
    }
}
