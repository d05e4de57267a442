package bertft.baseline;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * TF-IDF vectors of lower-cased word unigrams and bigrams, L2-normalised, as scikit-learn's
 * {@code TfidfVectorizer(ngram_range=(1, 2), min_df=2, smooth_idf=True, sublinear_tf=True)}; in Chinese text every
 * Han character is a word, so the terms are characters and character bigrams.
 */
public final class TfIdf {
    /** A Han character is a word of its own (Chinese has no spaces: BERT's tokenizers split it so too). */
    private static final Pattern WORD = Pattern.compile("\\p{IsHan}|[\\p{L}\\p{N}&&[^\\p{IsHan}]]+(?:'[\\p{L}]+)?");

    /** One sparse, L2-normalised row: feature ids in ascending order and their weights. */
    public record Row(int[] ids, float[] values) {}

    private final Map<String, Integer> vocabulary;
    private final float[] idf;

    private TfIdf(Map<String, Integer> vocabulary, float[] idf) {
        this.vocabulary = vocabulary;
        this.idf = idf;
    }

    /** The vocabulary of terms in at least {@code minDf} training texts, and their inverse document frequency. */
    public static TfIdf fit(List<String> texts, int minDf) {
        Map<String, Integer> df = new HashMap<>();
        for (String t : texts) {
            for (String term : new java.util.HashSet<>(terms(t))) {
                df.merge(term, 1, Integer::sum);
            }
        }
        List<String> kept = new ArrayList<>();
        df.forEach((term, n) -> {
            if (n >= minDf) {
                kept.add(term);
            }
        });
        kept.sort(null); // feature ids independent of hash order
        Map<String, Integer> vocab = new HashMap<>(kept.size() * 2);
        float[] idf = new float[kept.size()];
        for (int i = 0; i < kept.size(); i++) {
            vocab.put(kept.get(i), i);
            idf[i] = (float) (Math.log((1.0 + texts.size()) / (1.0 + df.get(kept.get(i)))) + 1);
        }
        return new TfIdf(vocab, idf);
    }

    public int features() {
        return idf.length;
    }

    /** The vector of one text; terms outside the vocabulary are dropped. */
    public Row transform(String text) {
        Map<Integer, Integer> tf = new HashMap<>();
        for (String term : terms(text)) {
            Integer id = vocabulary.get(term);
            if (id != null) {
                tf.merge(id, 1, Integer::sum);
            }
        }
        int[] ids = tf.keySet().stream().mapToInt(Integer::intValue).sorted().toArray();
        float[] values = new float[ids.length];
        double norm = 0;
        for (int i = 0; i < ids.length; i++) {
            values[i] = (float) ((1 + Math.log(tf.get(ids[i]))) * idf[ids[i]]);
            norm += values[i] * values[i];
        }
        float scale = norm == 0 ? 0 : (float) (1 / Math.sqrt(norm));
        for (int i = 0; i < values.length; i++) {
            values[i] *= scale;
        }
        return new Row(ids, values);
    }

    /** Lower-cased word tokens and the bigrams of neighbours. */
    static List<String> terms(String text) {
        List<String> words = new ArrayList<>();
        Matcher m = WORD.matcher(text.toLowerCase(Locale.ROOT));
        while (m.find()) {
            words.add(m.group());
        }
        List<String> out = new ArrayList<>(words);
        for (int i = 1; i < words.size(); i++) {
            out.add(words.get(i - 1) + ' ' + words.get(i));
        }
        return out;
    }
}
