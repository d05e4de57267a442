package bertft.qa;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * Turns start/end logits over all windows of one question into answers, as HuggingFace's utils_qa does.
 *
 * <p>For each window the {@code nBest} highest start and end logits are paired; pairs outside the context,
 * ending before they start, or longer than {@code maxAnswerLength} tokens are dropped; a span's score is
 * start + end logit; its text is cut from the context by character offsets (never decoded from token ids);
 * probabilities are a softmax over the kept n-best. Spans give their place in the context in Unicode code points,
 * as SQuAD's answer_start and Python's {@code context[start:end]} count, not in Java's UTF-16 units (which differ
 * after an emoji or any other character outside the Basic Multilingual Plane).
 */
public final class QaPostprocess {
    private QaPostprocess() {}

    /**
     * A candidate answer: text, span in the context as code-point offsets [start, end), score and n-best
     * probability.
     */
    public record Span(String text, int start, int end, double score, double probability) {}

    /**
     * The answer to one question.
     *
     * @param answer the chosen text ("" when SQuAD 2.0 says there is none)
     * @param nbest the candidates, best first
     * @param nullScore the lowest [CLS] score (start + end logit at position 0) over the question's windows, as
     *     utils_qa's {@code min_null_prediction}: a window that does not hold the answer says "no answer here"
     *     loudly, so the window that holds it decides
     */
    public record Prediction(String answer, List<Span> nbest, double nullScore) {}

    /** One window's logits and character spans ({@code charStart[i] < 0} outside the context). */
    public record WindowLogits(float[] start, float[] end, int[] charStart, int[] charEnd) {}

    public static Prediction predict(String context, List<WindowLogits> windows, int nBest, int maxAnswerLength,
            boolean version2, double nullThreshold) {
        List<Span> spans = new ArrayList<>();
        double nullScore = Double.POSITIVE_INFINITY;
        for (WindowLogits w : windows) {
            int n = w.charStart().length;
            nullScore = Math.min(nullScore, w.start()[0] + w.end()[0]);
            for (int s : top(w.start(), n, nBest)) {
                for (int e : top(w.end(), n, nBest)) {
                    if (w.charStart()[s] < 0 || w.charStart()[e] < 0 || e < s || e - s + 1 > maxAnswerLength) {
                        continue;
                    }
                    int cs = w.charStart()[s];
                    int ce = w.charEnd()[e];
                    spans.add(new Span(context.substring(cs, ce), cs, ce, w.start()[s] + w.end()[e], 0));
                }
            }
        }
        spans.sort(Comparator.comparingDouble(Span::score).reversed());
        List<Span> best = spans.subList(0, Math.min(nBest, spans.size()));
        double max = best.isEmpty() ? 0 : best.get(0).score();
        double sum = 0;
        for (Span s : best) {
            sum += Math.exp(s.score() - max);
        }
        int[] utf16 = new int[2 * best.size()];
        for (int i = 0; i < best.size(); i++) {
            utf16[2 * i] = best.get(i).start();
            utf16[2 * i + 1] = best.get(i).end();
        }
        int[] cp = codePoints(context, utf16);
        List<Span> out = new ArrayList<>(best.size());
        for (int i = 0; i < best.size(); i++) {
            Span s = best.get(i);
            out.add(new Span(s.text(), cp[2 * i], cp[2 * i + 1], s.score(), Math.exp(s.score() - max) / sum));
        }
        String answer = out.isEmpty() ? "" : out.get(0).text();
        if (version2 && (out.isEmpty() || nullScore - out.get(0).score() > nullThreshold)) {
            answer = "";
        }
        return new Prediction(answer, out, nullScore);
    }

    /** UTF-16 indices of {@code s} as code-point offsets, in one pass over the text however many there are. */
    static int[] codePoints(String s, int[] utf16) {
        Integer[] order = new Integer[utf16.length];
        for (int i = 0; i < order.length; i++) {
            order[i] = i;
        }
        java.util.Arrays.sort(order, Comparator.comparingInt(i -> utf16[i]));
        int[] out = new int[utf16.length];
        int at = 0;
        int count = 0;
        for (int i : order) {
            count += s.codePointCount(at, utf16[i]);
            at = utf16[i];
            out[i] = count;
        }
        return out;
    }

    /** Indices of the k largest values among the first n. */
    static int[] top(float[] v, int n, int k) {
        Integer[] idx = new Integer[n];
        for (int i = 0; i < n; i++) {
            idx[i] = i;
        }
        java.util.Arrays.sort(idx, (a, b) -> Float.compare(v[b], v[a]));
        int m = Math.min(k, n);
        int[] out = new int[m];
        for (int i = 0; i < m; i++) {
            out[i] = idx[i];
        }
        return out;
    }
}
