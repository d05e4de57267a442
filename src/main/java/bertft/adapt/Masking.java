package bertft.adapt;

import bertft.data.Corpus;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;

/**
 * HuggingFace's masked-LM recipe ({@code DataCollatorForLanguageModeling}, {@code DataCollatorForWholeWordMask}):
 * choose {@code probability} of the non-special tokens; of those, 80% become the mask token, 10% a random token of
 * the vocabulary, 10% stay as they are; the model predicts the originals at the chosen positions only.
 *
 * <p>Whole-word masking chooses words instead of tokens, as HuggingFace's: words in random order, whole words added
 * while the count stays within {@code max(1, round(length * probability))} tokens.
 *
 * @param probability the share of tokens chosen, in (0, 1)
 * @param wholeWord whether whole words are chosen
 * @param maskId the mask token
 * @param vocabSize random replacements are drawn from [0, vocabSize)
 */
public record Masking(double probability, boolean wholeWord, long maskId, int vocabSize) {

    /**
     * One masked sequence.
     *
     * @param ids the input with chosen tokens replaced
     * @param positions the chosen positions, ascending
     * @param labels the original token at each chosen position
     */
    public record Masked(long[] ids, int[] positions, long[] labels) {}

    /** Masks {@code s} with draws from {@code rng}: a new rng per epoch gives dynamic masking. */
    public Masked apply(Corpus.Sequence s, Random rng) {
        boolean[] chosen = wholeWord ? chooseWords(s, rng) : chooseTokens(s, rng);
        long[] ids = s.ids().clone();
        List<Integer> positions = new ArrayList<>();
        for (int j = 0; j < ids.length; j++) {
            if (!chosen[j]) {
                continue;
            }
            positions.add(j);
            double u = rng.nextDouble();
            if (u < 0.8) {
                ids[j] = maskId;
            } else if (u < 0.9) {
                ids[j] = rng.nextInt(vocabSize);
            }
        }
        int[] pos = positions.stream().mapToInt(Integer::intValue).toArray();
        long[] labels = new long[pos.length];
        for (int k = 0; k < pos.length; k++) {
            labels[k] = s.ids()[pos[k]];
        }
        return new Masked(ids, pos, labels);
    }

    private boolean[] chooseTokens(Corpus.Sequence s, Random rng) {
        boolean[] chosen = new boolean[s.length()];
        for (int j = 0; j < chosen.length; j++) {
            chosen[j] = !s.special()[j] && rng.nextDouble() < probability;
        }
        return chosen;
    }

    private boolean[] chooseWords(Corpus.Sequence s, Random rng) {
        List<int[]> words = new ArrayList<>(); // [first, end) of each word, special tokens left out
        for (int j = 0; j < s.length(); j++) {
            if (s.special()[j]) {
                continue;
            }
            int end = j + 1;
            while (end < s.length() && !s.wordStart()[end]) {
                end++;
            }
            words.add(new int[] {j, end});
            j = end - 1;
        }
        Collections.shuffle(words, rng);
        int budget = (int) Math.max(1, Math.round(s.length() * probability));
        boolean[] chosen = new boolean[s.length()];
        int count = 0;
        for (int[] w : words) {
            if (count >= budget) {
                break;
            }
            if (count + w[1] - w[0] > budget) {
                continue;
            }
            for (int j = w[0]; j < w[1]; j++) {
                chosen[j] = true;
            }
            count += w[1] - w[0];
        }
        return chosen;
    }
}
