package bertft.data;

import java.util.ArrayList;
import java.util.List;

/**
 * The columns a command adds to a table ({@code predicted}, {@code score}, {@code p_<label>}, ...), named so that
 * none clashes with an input column: when the input already has any of them (a table classified before), every
 * new column gets the same suffix, _2 (or _3, ...), and the old columns are kept as they were.
 *
 * @param input the input's columns, in order
 * @param added the new columns' names, suffixed where needed
 * @param suffix the suffix every new name got, or empty
 * @param clashes the wanted names the input already had
 */
public record AddedColumns(List<String> input, List<String> added, String suffix, List<String> clashes) {
    /** Names {@code wanted} after the columns of {@code input}. */
    public static AddedColumns of(List<String> input, List<String> wanted) {
        List<String> clashes = wanted.stream().filter(input::contains).toList();
        String suffix = "";
        for (int n = 2; !clashes.isEmpty() && suffix.isEmpty(); n++) {
            String s = "_" + n;
            suffix = wanted.stream().noneMatch(x -> input.contains(x + s)) ? s : "";
        }
        String sfx = suffix;
        return new AddedColumns(List.copyOf(input), wanted.stream().map(x -> x + sfx).toList(), suffix, clashes);
    }

    /** A classifier's columns: predicted, score and one p_&lt;label&gt; per label ({@code labels} empty: regression). */
    public static List<String> predictions(List<String> labels) {
        List<String> names = new ArrayList<>(List.of("predicted", "score"));
        labels.forEach(l -> names.add("p_" + l));
        return names;
    }

    /** The input's columns, then the new ones. */
    public List<String> all() {
        List<String> out = new ArrayList<>(input);
        out.addAll(added);
        return out;
    }
}
