import bertft.api.Classifier;
import bertft.infer.InferenceRuntime;
import bertft.api.ModelOptions;
import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.apache.commons.csv.CSVFormat;
import org.apache.commons.csv.CSVRecord;

/**
 * Inference speed of several classifiers in one process, rounds interleaved (a shared machine's load drifts between
 * processes, not within a round): each model classifies the `text` column of CSV once to warm up, then ROUNDS times
 * in turn; prints each round's sentences/s and each model's median against the first model's. Usage:
 * java -cp 'target/bert-ft.jar:target/lib/*' -Dbertft.threads=2 scripts/InferenceSpeed.java CSV ROUNDS MODEL[@RUNTIME]...
 * (RUNTIME torch, the default here, onnx or onnx-int8; -Dbertft.threads as --threads). E.g. a teacher against its
 * distilled student on libtorch and on int8 ONNX: ... dev.csv 5 runs/teacher runs/student runs/student@onnx-int8
 */
public class InferenceSpeed {
    public static void main(String[] args) throws Exception {
        List<String> texts = new ArrayList<>();
        try (Reader r = Files.newBufferedReader(Path.of(args[0]))) {
            for (CSVRecord rec : CSVFormat.DEFAULT.builder().setHeader().setSkipHeaderRecord(true).build().parse(r)) {
                texts.add(rec.get("text"));
            }
        }
        int rounds = Integer.parseInt(args[1]);
        List<Classifier> models = new ArrayList<>();
        for (int m = 2; m < args.length; m++) {
            String[] model = args[m].split("@", 2);
            InferenceRuntime runtime = InferenceRuntime.parse(model.length == 2 ? model[1] : "torch");
            models.add(Classifier.load(model[0], ModelOptions.defaults().withRuntime(runtime)));
        }
        models.forEach(c -> c.predict(texts));
        double[][] rate = new double[models.size()][rounds];
        for (int round = 0; round < rounds; round++) {
            StringBuilder line = new StringBuilder("round " + (round + 1) + ":");
            for (int m = 0; m < models.size(); m++) {
                long start = System.nanoTime();
                models.get(m).predict(texts);
                rate[m][round] = texts.size() / ((System.nanoTime() - start) / 1e9);
                line.append(String.format("  %.1f", rate[m][round]));
            }
            System.out.println(line + " sentences/s");
        }
        double first = median(rate[0]);
        for (int m = 0; m < models.size(); m++) {
            System.out.printf("%s: median %.1f sentences/s, %.2fx the first%n", args[m + 2], median(rate[m]),
                    median(rate[m]) / first);
        }
        models.forEach(Classifier::close);
    }

    private static double median(double[] xs) {
        double[] s = xs.clone();
        java.util.Arrays.sort(s);
        return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
    }
}
