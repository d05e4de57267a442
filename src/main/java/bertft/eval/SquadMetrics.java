package bertft.eval;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * SQuAD exact match and token F1, as percentages, exactly as the official evaluation scripts compute them.
 *
 * <p>v1.1 ({@code evaluate-v1.1.py}): each score is the maximum over the gold answers; a question without a
 * prediction scores 0 and counts in the total; F1 is 0 when prediction and gold share no token, even when both
 * normalise to nothing. v2.0 ({@code evaluate-v2.0.py}): gold answers that normalise to nothing are dropped and
 * a question left without any (unanswerable) has the single gold answer {@code ""}; F1 is 1 when both token lists
 * are empty and 0 when just one is; questions without a prediction are left out of the total.
 */
public final class SquadMetrics implements Metrics {
    // Python's string.punctuation: ASCII only.
    private static final String PUNCTUATION = "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~";
    // Python's \b for str patterns: a word character is a letter, a number or '_' (not a combining mark, as in
    // Java's Unicode \w).
    private static final Pattern ARTICLES = Pattern.compile("(?<![\\p{L}\\p{N}_])(a|an|the)(?![\\p{L}\\p{N}_])");
    // str.split() also splits on the separators \x1c-\x1f, which Unicode's White_Space leaves out.
    private static final Pattern WHITESPACE = Pattern.compile("(?U)[\\s\\x1c-\\x1f]+");

    private final double exactMatch;
    private final double f1;
    private final int total;
    private final int missing;

    private SquadMetrics(double exactMatch, double f1, int total, int missing) {
        this.exactMatch = exactMatch;
        this.f1 = f1;
        this.total = total;
        this.missing = missing;
    }

    /**
     * Scores {@code predictions} (question id to answer text, {@code ""} for no answer) against {@code golds}
     * (question id to gold answer texts), v1.1 or v2.0 rules.
     */
    public static SquadMetrics compute(Map<String, String> predictions, Map<String, List<String>> golds,
            boolean version2) {
        double em = 0;
        double f = 0;
        int total = 0;
        int missing = 0;
        for (Map.Entry<String, List<String>> q : golds.entrySet()) {
            String prediction = predictions.get(q.getKey());
            if (prediction == null) {
                missing++;
                total += version2 ? 0 : 1;
                continue;
            }
            List<String> answers = q.getValue();
            if (version2) {
                answers = new ArrayList<>();
                for (String a : q.getValue()) {
                    if (!normalize(a).isEmpty()) {
                        answers.add(a);
                    }
                }
                if (answers.isEmpty()) {
                    answers.add("");
                }
            } else if (answers.isEmpty()) {
                throw new IllegalArgumentException("question " + q.getKey() + " has no gold answer (SQuAD 2.0 data?)");
            }
            double bestEm = 0;
            double bestF1 = 0;
            for (String gold : answers) {
                bestEm = Math.max(bestEm, exactMatch(prediction, gold) ? 1 : 0);
                bestF1 = Math.max(bestF1, f1(prediction, gold, version2));
            }
            em += bestEm;
            f += bestF1;
            total++;
        }
        return new SquadMetrics(total == 0 ? 0 : 100 * em / total, total == 0 ? 0 : 100 * f / total, total, missing);
    }

    /** The official normalisation: lower case, no punctuation, no articles a/an/the, single spaces. */
    public static String normalize(String s) {
        StringBuilder sb = new StringBuilder(s.length());
        String lower = s.toLowerCase(Locale.ROOT);
        for (int i = 0; i < lower.length(); i++) {
            char c = lower.charAt(i);
            if (PUNCTUATION.indexOf(c) < 0) {
                sb.append(c);
            }
        }
        String noArticles = ARTICLES.matcher(sb).replaceAll(" ");
        return String.join(" ", tokens(noArticles));
    }

    /** Whether prediction and gold are equal after {@link #normalize}. */
    public static boolean exactMatch(String prediction, String gold) {
        return normalize(prediction).equals(normalize(gold));
    }

    /** Token-overlap F1 in [0, 1] between prediction and gold, by the v1.1 or v2.0 rule for empty answers. */
    public static double f1(String prediction, String gold, boolean version2) {
        List<String> p = tokens(normalize(prediction));
        List<String> g = tokens(normalize(gold));
        if (version2 && (p.isEmpty() || g.isEmpty())) {
            return p.equals(g) ? 1 : 0;
        }
        Map<String, Integer> goldCounts = new HashMap<>();
        for (String t : g) {
            goldCounts.merge(t, 1, Integer::sum);
        }
        int same = 0;
        for (String t : p) {
            Integer left = goldCounts.get(t);
            if (left != null && left > 0) {
                goldCounts.put(t, left - 1);
                same++;
            }
        }
        if (same == 0) {
            return 0;
        }
        double precision = (double) same / p.size();
        double recall = (double) same / g.size();
        return 2 * precision * recall / (precision + recall);
    }

    private static List<String> tokens(CharSequence s) {
        List<String> out = new ArrayList<>();
        for (String t : WHITESPACE.split(s)) {
            if (!t.isEmpty()) {
                out.add(t);
            }
        }
        return out;
    }

    /** Exact match, percent. */
    public double exactMatch() {
        return exactMatch;
    }

    /** Mean best token F1, percent. */
    public double f1() {
        return f1;
    }

    /** Questions scored. */
    public int total() {
        return total;
    }

    /** Gold questions without a prediction (scored 0 under v1.1, left out under v2.0). */
    public int missing() {
        return missing;
    }

    @Override
    public Map<String, Double> scalars() {
        Map<String, Double> m = new LinkedHashMap<>();
        m.put("exact_match", exactMatch);
        m.put("f1", f1);
        return m;
    }

    /** {@code {"exact_match", "f1", "total", "missing"}}, scores in percent. */
    @Override
    public String toJson() {
        Map<String, Object> json = new LinkedHashMap<>(scalars());
        json.put("total", total);
        json.put("missing", missing);
        return Json.GSON.toJson(json);
    }
}
