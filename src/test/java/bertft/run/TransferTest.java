package bertft.run;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import bertft.data.LabelledData;
import bertft.task.TaskFiles;
import bertft.task.TaskSpec;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TransferTest {

    private static JsonObject modelScoring(double accuracy) {
        return JsonParser.parseString("{\"metrics\": {\"accuracy\": " + accuracy + "}}").getAsJsonObject();
    }

    @Test
    void saysPlainlyWhenTheFineTunedModelDoesNotBeatTheBaseline(@TempDir Path tmp) throws IOException {
        Path train = TrainJobTest.data(tmp, "train.csv", 120, 1);
        Path dev = TrainJobTest.data(tmp, "dev.csv", 40, 2);
        List<String> rows = new java.util.ArrayList<>(Files.readAllLines(dev));
        for (int i = 1; i < rows.size(); i += 4) { // a quarter of the gold labels wrong: no model gets them all
            String r = rows.get(i);
            rows.set(i, r.endsWith(",positive") ? r.replace(",positive", ",negative") : r.replace(",negative", ",positive"));
        }
        Files.write(dev, rows);
        Files.writeString(tmp.resolve("t.yaml"), "task: classification\nlabels: [negative, positive]\n");
        TaskSpec spec = TaskFiles.load(tmp.resolve("t.yaml"), Map.of());
        List<String> labels = spec.labels();
        LabelledData tr = LabelledData.read(spec, labels, train);
        Map<String, LabelledData> splits = Map.of("validation", LabelledData.read(spec, labels, dev));

        JsonObject worse = Transfer.baseline(spec, labels, tr, splits, Map.of("validation", modelScoring(0.55)), "full");
        double base = worse.getAsJsonObject("baseline").get("validation").getAsDouble();
        assertTrue(base > 0.6 && base < 0.8, "a bag of words learns the keyword task (the flipped quarter aside): " + base);
        assertTrue(worse.get("negative_transfer").getAsBoolean());
        assertTrue(worse.get("verdict").getAsString().startsWith("Negative transfer: the fine-tuned model's validation "
                + "accuracy (0.5500) does not beat the bag-of-words baseline's"), worse.toString());
        assertTrue(worse.get("verdict").getAsString().contains("Try another pretrained model, more training data"));
        assertEquals(0.55 - base, worse.get("gain").getAsDouble(), 1e-9);

        JsonObject tie = Transfer.baseline(spec, labels, tr, splits, Map.of("validation", modelScoring(base)), "full");
        assertTrue(tie.get("negative_transfer").getAsBoolean(), "a tie is no gain");

        JsonObject better = Transfer.baseline(spec, labels, tr, splits, Map.of("validation", modelScoring(1.0)), "full");
        assertFalse(better.get("negative_transfer").getAsBoolean());
        assertTrue(better.get("verdict").getAsString().startsWith("Transfer helped"), better.toString());
    }

    @Test
    void lowerIsBetterMetricsTurnTheComparisonAround() {
        assertTrue(Transfer.verdict("mse", "test", 0.5, 0.4, true).startsWith("Negative transfer"));
        assertTrue(Transfer.verdict("mse", "test", 0.3, 0.4, false).contains("by 0.1000"));
    }
}
