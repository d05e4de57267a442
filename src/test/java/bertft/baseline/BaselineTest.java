package bertft.baseline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import bertft.data.Example;
import bertft.data.LabelledData;
import bertft.task.TaskFiles;
import bertft.task.TaskSpec;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BaselineTest {
    private static final Path SST2 = Path.of("..", "shared", "datasets", "sst2");

    @Test
    void termsAreLowerCasedWordsAndBigrams() {
        assertEquals(List.of("it's", "great", "a", "it's great", "great a"), TfIdf.terms("It's GREAT, a"));
        // Chinese has no spaces: each Han character is a word (else a whole clause would be one rare term)
        assertEquals(List.of("很", "干", "净", "ok", "很 干", "干 净", "净 ok"), TfIdf.terms("很干净，OK"));
    }

    @Test
    void rowsAreUnitLengthAndDropUnseenTerms() {
        TfIdf t = TfIdf.fit(List.of("good film", "good plot", "bad film"), 2);
        assertEquals(2, t.features(), "only 'good' and 'film' occur twice");
        TfIdf.Row r = t.transform("good good film zebra");
        double norm = 0;
        for (float v : r.values()) {
            norm += v * v;
        }
        assertEquals(1, norm, 1e-6);
        assertEquals(2, r.ids().length);
        assertEquals(0, t.transform("zebra").ids().length);
    }

    @Test
    void learnsASeparableToyTaskOfEachKind() {
        Random r = new Random(1);
        List<Example> ex = new ArrayList<>();
        for (int i = 0; i < 200; i++) {
            int label = r.nextInt(3);
            boolean fast = r.nextBoolean();
            String text = "the " + new String[] {"red", "green", "blue"}[label] + " car is " + (fast ? "fast" : "slow");
            ex.add(new Example(i + 2, text, null, label, fast ? new int[] {label, 3} : new int[] {label},
                    label + (fast ? 10 : 0), null));
        }
        List<Example> train = ex.subList(0, 150);
        List<Example> test = ex.subList(150, 200);
        float[][] p = Baseline.train(TaskSpec.Kind.CLASSIFICATION, train, 3, 7).scores(test);
        float[][] ml = Baseline.train(TaskSpec.Kind.MULTILABEL, train, 4, 7).scores(test);
        float[][] v = Baseline.train(TaskSpec.Kind.REGRESSION, train, 1, 7).scores(test);
        for (int i = 0; i < test.size(); i++) {
            Example e = test.get(i);
            assertEquals(e.label(), argmax(p[i]), "class of " + e.text());
            assertEquals(1, p[i][0] + p[i][1] + p[i][2], 1e-5, "probabilities");
            assertEquals(e.labels().length == 2, ml[i][3] > 0.5, "label 'fast' of " + e.text());
            assertEquals(e.value(), v[i][0], 1.5, "value of " + e.text());
        }
    }

    @Test
    void beatsChanceOnARealSentimentSample(@TempDir Path tmp) throws IOException {
        Assumptions.assumeTrue(Files.exists(SST2.resolve("train.csv")), "needs ../shared/datasets/sst2");
        Path train = tmp.resolve("train.csv");
        Files.write(train, Files.readAllLines(SST2.resolve("train.csv")).subList(0, 2001));
        Path task = tmp.resolve("t.yaml");
        Files.writeString(task, "task: classification\nlabels: [negative, positive]\n");
        TaskSpec spec = TaskFiles.load(task, Map.of());
        List<String> labels = spec.labels();
        List<Example> tr = LabelledData.read(spec, labels, train).examples();
        List<Example> dev = LabelledData.read(spec, labels, SST2.resolve("dev.csv")).examples();
        long t0 = System.nanoTime();
        Baseline b = Baseline.train(spec.task(), tr, 2, 42);
        float[][] p = b.scores(dev);
        double seconds = (System.nanoTime() - t0) / 1e9;
        int correct = 0;
        for (int i = 0; i < dev.size(); i++) {
            correct += argmax(p[i]) == dev.get(i).label() ? 1 : 0;
        }
        double acc = (double) correct / dev.size();
        System.out.printf("baseline on 2000 SST-2 rows: dev accuracy %.4f in %.2fs, %s%n", acc, seconds, b.description());
        assertTrue(acc > 0.62, "well above chance (0.5): " + acc);
        assertTrue(seconds < 20, "fast: " + seconds + "s");
    }

    private static int argmax(float[] v) {
        int best = 0;
        for (int i = 1; i < v.length; i++) {
            best = v[i] > v[best] ? i : best;
        }
        return best;
    }
}
