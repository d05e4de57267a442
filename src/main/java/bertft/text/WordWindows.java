package bertft.text;

import ai.djl.huggingface.tokenizers.Encoding;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The word pieces of one pre-split sentence, in windows that each fit the model: {@code [CLS] pieces [SEP]} (the
 * tokenizer's own special tokens), consecutive windows overlapping by a stride of pieces. Every word has an
 * owner: the window, and the position in it, of its first piece where that piece is furthest from a window edge
 * (where the model saw most context on both sides); predictions for the word are read there.
 *
 * @param windows the model's inputs
 * @param owners per word: {window, position}
 */
public record WordWindows(List<Window> windows, int[][] owners) {

    /**
     * One model input.
     *
     * @param ids token ids, special tokens included
     * @param words per position: the word it belongs to, -1 for special tokens
     * @param first per position: whether it is the first piece of its word
     */
    public record Window(long[] ids, int[] words, boolean[] first) {
        public int length() {
            return ids.length;
        }

        /**
         * This window as a tokenizer {@link Encoding}, so batching and the runtimes take it as they take the
         * tokenizer's output. DJL's Encoding has only a protected constructor, hence the empty subclass; type ids 0,
         * special-token mask 1 where no word is.
         */
        public Encoding encoding() {
            int n = ids.length;
            long[] wordIds = new long[n];
            long[] special = new long[n];
            long[] ones = new long[n];
            String[] tokens = new String[n];
            for (int i = 0; i < n; i++) {
                wordIds[i] = words[i];
                special[i] = words[i] < 0 ? 1 : 0;
                ones[i] = 1;
                tokens[i] = "";
            }
            return new Encoding(ids.clone(), new long[n], tokens, wordIds, new long[n], ones, special,
                    new ai.djl.huggingface.tokenizers.jni.CharSpan[n], false, new Encoding[0]) {};
        }
    }

    /** Cuts {@code whole} (the sentence with special tokens, untruncated) into windows of at most maxLength. */
    static WordWindows of(Encoding whole, int wordCount, int maxLength, int stride) {
        long[] ids = whole.getIds();
        long[] wordIds = whole.getWordIds();
        // the special tokens before and after the pieces ([CLS] / [SEP], <s> / </s>)
        int lead = 0;
        while (lead < ids.length && wordIds[lead] < 0) {
            lead++;
        }
        int trail = 0;
        while (trail < ids.length - lead && wordIds[ids.length - 1 - trail] < 0) {
            trail++;
        }
        int pieces = ids.length - lead - trail;
        int room = maxLength - lead - trail;
        if (room < 1 || stride >= room) {
            throw new IllegalArgumentException("max length " + maxLength + " leaves " + room + " pieces a window;"
                    + " the stride (" + stride + ") must be smaller");
        }
        List<Window> windows = new ArrayList<>();
        int[][] owners = new int[wordCount][];
        int[] distance = new int[wordCount];
        Arrays.fill(distance, -1);
        for (int from = 0; ; from += room - stride) {
            int to = Math.min(pieces, from + room);
            int n = lead + (to - from) + trail;
            long[] wids = new long[n];
            int[] words = new int[n];
            boolean[] first = new boolean[n];
            for (int i = 0; i < n; i++) {
                int src = i < lead ? i : i < n - trail ? lead + from + (i - lead) : ids.length - (n - i);
                wids[i] = ids[src];
                words[i] = (int) wordIds[src];
                first[i] = words[i] >= 0 && (src == lead || wordIds[src - 1] != wordIds[src]);
                if (first[i]) {
                    // pieces to the nearer end of this window's pieces (a sentence's own ends count as far)
                    int left = from == 0 ? Integer.MAX_VALUE / 2 : i - lead;
                    int right = to == pieces ? Integer.MAX_VALUE / 2 : (n - trail - 1) - i;
                    int d = Math.min(left, right);
                    if (d > distance[words[i]]) {
                        distance[words[i]] = d;
                        owners[words[i]] = new int[] {windows.size(), i};
                    }
                }
            }
            windows.add(new Window(wids, words, first));
            if (to == pieces) {
                break;
            }
        }
        for (int w = 0; w < wordCount; w++) {
            if (owners[w] == null) {
                // a word the tokenizer turned into nothing (a lone control character): no piece to read it from
                owners[w] = new int[] {-1, -1};
            }
        }
        return new WordWindows(List.copyOf(windows), owners);
    }
}
