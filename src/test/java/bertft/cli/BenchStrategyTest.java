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
}
