package bertft.run;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import bertft.Tiny;
import bertft.cli.CliTest;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** `gradient-checkpointing: true` trains as the plain loop does; families without it are refused before any work. */
class GradientCheckpointingTest {

    private static double accuracy(Path run) throws IOException {
        return JsonParser.parseString(Files.readString(run.resolve("report.json"))).getAsJsonObject()
                .getAsJsonObject("validation").getAsJsonObject("metrics").get("accuracy").getAsDouble();
    }

    @Test
    void aCheckpointedRunLearnsAsThePlainOneDoes(@TempDir Path tmp) throws IOException {
        Path model = Tiny.checkpoint(tmp.resolve("tiny"), 3);
        TrainJobTest.data(tmp, "train.csv", 192, 1);
        TrainJobTest.data(tmp, "dev.csv", 64, 2);
        Path plainTask = TrainJobTest.task(tmp, model, "");
        var plain = CliTest.run("train", plainTask.toString(), "--out", tmp.resolve("plain").toString(), "--seed", "7");
        assertEquals(0, plain.code(), plain.err());
        var ckpt = CliTest.run("train", plainTask.toString(), "--gradient-checkpointing", "true", "--out",
                tmp.resolve("ckpt").toString(), "--seed", "7");
        assertEquals(0, ckpt.code(), ckpt.err());
        double a = accuracy(tmp.resolve("plain"));
        double b = accuracy(tmp.resolve("ckpt"));
        assertTrue(b > 0.8, "the checkpointed run learns the keyword task: accuracy " + b);
        assertEquals(a, b, 0.1, "other dropout draws, the same learning");
        assertTrue(Files.readString(tmp.resolve("ckpt/task.yaml")).contains("gradient-checkpointing: true"));
    }

    @Test
    void aDistilBertModelIsRefusedInOneLineAndNothingIsWritten(@TempDir Path tmp) throws IOException {
        Path distilbert = Paths.get("..", "shared", "golden", "families", "distilbert", "seqcls").toAbsolutePath();
        TrainJobTest.data(tmp, "train.csv", 32, 1);
        TrainJobTest.data(tmp, "dev.csv", 16, 2);
        Path task = TrainJobTest.task(tmp, distilbert, "gradient-checkpointing: true");
        Path out = tmp.resolve("run");
        var r = CliTest.run("train", task.toString(), "--out", out.toString());
        assertEquals(2, r.code(), r.err());
        assertEquals(1, r.err().strip().lines().count(), r.err());
        assertTrue(r.err().contains("tiny.yaml:") && r.err().contains("gradient-checkpointing: not available for"
                + " distilbert models"), r.err());
        assertFalse(Files.exists(out), "nothing written");
    }
}
