package bertft.data;

import java.util.List;

/** Chinese text in a world of space-separated words. */
public final class Cjk {
    private Cjk() {}

    /** A Han character or CJK/full-width punctuation. */
    public static boolean chinese(int c) {
        Character.UnicodeBlock b = Character.UnicodeBlock.of(c);
        return Character.UnicodeScript.of(c) == Character.UnicodeScript.HAN
                || b == Character.UnicodeBlock.CJK_SYMBOLS_AND_PUNCTUATION
                || b == Character.UnicodeBlock.HALFWIDTH_AND_FULLWIDTH_FORMS;
    }

    /**
     * Words as one line of text: a space between two words, none where both sides of the gap are Chinese (MSRA's
     * one character per line reads as the sentence it came from, not as "北 京"; "Sony 的 PS5" keeps its spaces).
     */
    public static String join(List<String> words) {
        StringBuilder sb = new StringBuilder();
        for (String w : words) {
            if (!sb.isEmpty() && !w.isEmpty()
                    && !(chinese(sb.codePointBefore(sb.length())) && chinese(w.codePointAt(0)))) {
                sb.append(' ');
            }
            sb.append(w);
        }
        return sb.toString();
    }
}
