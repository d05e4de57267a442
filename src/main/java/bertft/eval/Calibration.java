package bertft.eval;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * How well a classifier's confidence (its top probability) matches its accuracy: equal-width confidence bins
 * and the expected calibration error, ECE = sum over bins of (n_bin / n) |accuracy_bin - confidence_bin|.
 */
public final class Calibration {
    /** One bin [lo, hi): its example count, mean confidence and accuracy (0 when empty). */
    public record Bin(double lo, double hi, long n, double confidence, double accuracy) {}

    private final List<Bin> bins;
    private final double ece;

    private Calibration(List<Bin> bins, double ece) {
        this.bins = bins;
        this.ece = ece;
    }

    /** Bins the top-class {@code confidence} of each example with whether its prediction was {@code correct}. */
    public static Calibration compute(double[] confidence, boolean[] correct, int binCount) {
        if (confidence.length != correct.length || confidence.length == 0 || binCount < 1) {
            throw new IllegalArgumentException("need equally long, non-empty confidences (" + confidence.length
                    + ") and outcomes (" + correct.length + ") and at least one bin");
        }
        long[] n = new long[binCount];
        double[] conf = new double[binCount];
        double[] hits = new double[binCount];
        for (int i = 0; i < confidence.length; i++) {
            int b = Math.min(binCount - 1, Math.max(0, (int) (confidence[i] * binCount)));
            n[b]++;
            conf[b] += confidence[i];
            hits[b] += correct[i] ? 1 : 0;
        }
        List<Bin> bins = new ArrayList<>();
        double ece = 0;
        for (int b = 0; b < binCount; b++) {
            double c = n[b] == 0 ? 0 : conf[b] / n[b];
            double a = n[b] == 0 ? 0 : hits[b] / n[b];
            bins.add(new Bin((double) b / binCount, (double) (b + 1) / binCount, n[b], c, a));
            ece += (double) n[b] / confidence.length * Math.abs(a - c);
        }
        return new Calibration(List.copyOf(bins), ece);
    }

    public List<Bin> bins() {
        return bins;
    }

    public double ece() {
        return ece;
    }

    /** The calibration {@link #toJson} wrote, read back. */
    public static Calibration fromJson(com.google.gson.JsonObject json) {
        List<Bin> bins = List.of(Json.GSON.fromJson(json.get("bins"), Bin[].class));
        return new Calibration(bins, json.get("ece").getAsDouble());
    }

    /** {@code {"ece", "bins": [{lo, hi, n, confidence, accuracy}]}}. */
    public String toJson() {
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("ece", ece);
        json.put("bins", bins);
        return Json.GSON.toJson(json);
    }
}
