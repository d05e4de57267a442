package bertft.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import bertft.Tiny;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code bench --strategy top-K} is checked against the model's layers, as train checks unfreeze-layers. */
class BenchStrategyTest {
    @Test
    void moreTopLayersThanTheModelHasIsOneLineWithTheLayerCount(@TempDir Path tmp) {
        Path model = Tiny.checkpoint(tmp.resolve("tiny"), 1); // 2 layers
        CliTest.Run r = CliTest.run("bench", "--model", model.toString(), "--strategy", "full,top-99", "--shapes",
                "2x8", "--repeats", "1");
        assertEquals(2, r.code(), r.err());
        assertEquals("bert-ft: --strategy top-99: " + model + " has 2 layers (num_hidden_layers); use top-1 to top-2",
                r.err().strip());
        assertEquals("", r.out(), "refused before any figure");

        CliTest.Run ok = CliTest.run("bench", "--model", model.toString(), "--strategy", "top-2", "--shapes", "2x8",
                "--repeats", "1");
        assertEquals(0, ok.code(), ok.err());
        assertTrue(ok.out().contains("train step   2 x   8 top-2:"), ok.out());
    }

    /**
     * {@code bench --strategy lora,ia3,bitfit} times those strategies' training steps (the adapter train attaches,
     * only it, the biases and the head training) with the peak RSS since each began; an unknown name lists them.
     */
    @Test
    void parameterEfficientStrategiesAreTimedWithTheirPeakRss(@TempDir Path tmp) {
        Path model = Tiny.checkpoint(tmp.resolve("tiny"), 1);
        CliTest.Run r = CliTest.run("bench", "--model", model.toString(), "--strategy", "lora,ia3,bitfit", "--shapes",
                "2x8", "--repeats", "1");
        assertEquals(0, r.code(), r.err());
        for (String s : java.util.List.of("lora", "ia3", "bitfit")) {
            assertTrue(r.out().matches("(?s).*train step   2 x   8 " + s + ": +\\d+ tokens/s  \\([0-9.]+ s/step\\)  peak RSS "
                    + "[0-9.]+ GB\n.*"), r.out());
        }
        CliTest.Run bad = CliTest.run("bench", "--model", model.toString(), "--strategy", "lorra");
        assertEquals(2, bad.code());
        assertTrue(bad.err().contains("expected frozen, top-K (K >= 1), full, lora, ia3 or bitfit, not 'lorra'"),
                bad.err());
    }

    /** bench's LoRA step trains the adapter and the head, never the base weights (as train's). */
    @Test
    void aLoraBenchStepLeavesTheBaseWeightsAsTheyWere() {
        try (bertft.model.Bert bert = Tiny.bert(1)) {
            java.util.Map<String, float[]> before = new java.util.HashMap<>();
            bert.params().forEach((k, v) -> before.put(k, v.toFloatArray()));
            new bertft.bench.Bench(bert, new java.io.PrintWriter(java.io.Writer.nullWriter()), 1).trainStep(2, 8, "lora");
            bert.params().forEach((k, v) -> org.junit.jupiter.api.Assertions.assertArrayEquals(before.get(k),
                    v.toFloatArray(), k + " is frozen under lora"));
            assertEquals(null, bert.adapter(), "the adapter is detached after the measurement");
            new bertft.bench.Bench(bert, new java.io.PrintWriter(java.io.Writer.nullWriter()), 1).trainStep(2, 8, "full");
            assertTrue(bert.params().entrySet().stream().anyMatch(e -> !java.util.Arrays.equals(before.get(e.getKey()),
                    e.getValue().toFloatArray())), "a full step does change them (the check can fail)");
        }
    }
}
