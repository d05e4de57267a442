package example;

import bertft.api.Classifier;
import bertft.api.Prediction;
import java.util.List;
import java.util.Locale;

/** Classifies two sentences with the model directory given as argument and prints {@code label<TAB>score}. */
public final class Main {
    public static void main(String[] args) {
        if (args.length != 1) {
            System.err.println("usage: Main MODEL_DIR");
            System.exit(2);
        }
        try (Classifier classifier = Classifier.load(args[0])) {
            List<String> texts = List.of("A gripping, funny and moving film.", "The battery died after a day.");
            for (Prediction p : classifier.predict(texts)) {
                System.out.println(p.label() + "\t" + String.format(Locale.ROOT, "%.4f", p.score()));
            }
        }
    }
}
