package bertft.eval;

import java.util.ArrayList;
import java.util.List;

/**
 * Entity spans in a sequence of tags, exactly as {@code seqeval} finds them: its default mode (conlleval's rules,
 * {@code get_entities}: an {@code I-} after {@code O} or after another type starts an entity; IOB1, IOB2 and
 * IOBES prefixes all read), and its {@code mode='strict'} for IOB2 and IOBES ({@code Tokens.entities}: an entity
 * must begin with {@code B-}/{@code S-} and, in IOBES, end with {@code E-}/{@code S-}; anything else is not an
 * entity). BILOU's {@code L-}/{@code U-} read as {@code E-}/{@code S-}.
 */
public final class Entities {
    /** How spans are read from tags. */
    public enum Mode { DEFAULT, STRICT_IOB2, STRICT_IOBES }

    /**
     * One entity: its type and the indexes of its first and last tag (inclusive), as seqeval's tuples.
     */
    public record Entity(String type, int first, int last) {}

    private Entities() {}

    /** The entities of {@code tags} in order of their first tag. */
    public static List<Entity> of(List<String> tags, Mode mode) {
        return mode == Mode.DEFAULT ? conlleval(tags) : strict(tags, mode == Mode.STRICT_IOBES);
    }

    /** seqeval's {@code get_entities} with its {@code end_of_chunk} and {@code start_of_chunk}, rule for rule. */
    private static List<Entity> conlleval(List<String> tags) {
        List<Entity> out = new ArrayList<>();
        char prevTag = 'O';
        String prevType = "";
        int begin = 0;
        for (int i = 0; i <= tags.size(); i++) {
            String t = i < tags.size() ? tags.get(i) : "O"; // a final O closes the last entity
            char tag = prefix(t);
            String type = type(t);
            boolean end = prevTag == 'E' || prevTag == 'S'
                    || (prevTag == 'B' || prevTag == 'I') && (tag == 'B' || tag == 'S' || tag == 'O')
                    || prevTag != 'O' && prevTag != '.' && !prevType.equals(type);
            if (end) {
                out.add(new Entity(prevType, begin, i - 1));
            }
            boolean start = tag == 'B' || tag == 'S'
                    || (prevTag == 'E' || prevTag == 'S' || prevTag == 'O') && (tag == 'E' || tag == 'I')
                    || tag != 'O' && tag != '.' && !prevType.equals(type);
            if (start) {
                begin = i;
            }
            prevTag = tag;
            prevType = type;
        }
        return out;
    }

    /** seqeval's {@code Tokens.entities} for the IOB2 or IOBES scheme. */
    private static List<Entity> strict(List<String> tags, boolean iobes) {
        List<Entity> out = new ArrayList<>();
        int n = tags.size();
        int i = 0;
        String allowed = iobes ? "BIOES" : "BIO";
        for (String t : tags) {
            if (allowed.indexOf(prefix(t)) < 0) {
                throw new IllegalArgumentException("tag '" + t + "' is not in the " + (iobes ? "IOBES" : "IOB2")
                        + " scheme");
            }
        }
        while (i < n) {
            char p = prefix(tags.get(i));
            if (p != 'B' && !(iobes && p == 'S')) {
                i++;
                continue;
            }
            String type = strictType(tags.get(i));
            // forward over the tokens inside: I- (and, in IOBES, E-) of the same type after B-/I-
            int end = i + 1;
            char prev = p;
            while (end < n && (prev == 'B' || prev == 'I') && type.equals(strictType(tags.get(end)))
                    && (prefix(tags.get(end)) == 'I' || iobes && prefix(tags.get(end)) == 'E')) {
                prev = prefix(tags.get(end));
                end++;
            }
            // IOB2: any B-... run ends an entity; IOBES: only one that ends in E- or is a single S-
            if (!iobes || prev == 'E' || prev == 'S') {
                out.add(new Entity(type, i, end - 1));
            }
            i = end;
        }
        return out;
    }

    /** The prefix letter: {@code B}, {@code I}, {@code O}, {@code E}, {@code S} (BILOU's L and U as E and S). */
    static char prefix(String tag) {
        char c = tag.isEmpty() ? 'O' : tag.charAt(0);
        return c == 'L' ? 'E' : c == 'U' ? 'S' : c;
    }

    /** The type as seqeval's strict mode reads it: after the prefix, dashes at either end stripped. */
    static String strictType(String tag) {
        int from = 1;
        int to = tag.length();
        while (from < to && tag.charAt(from) == '-') {
            from++;
        }
        while (to > from && tag.charAt(to - 1) == '-') {
            to--;
        }
        return from < to ? tag.substring(from, to) : "_";
    }

    /**
     * The type as the default mode reads it: after the prefix and its first dash ({@code B-person} ->
     * {@code person}), {@code _} when none.
     */
    static String type(String tag) {
        if (tag.length() <= 1) {
            return "_";
        }
        String rest = tag.substring(1);
        int dash = rest.indexOf('-');
        String type = dash < 0 ? rest : rest.substring(dash + 1);
        return type.isEmpty() ? "_" : type;
    }
}
