package bertft.cli;

import bertft.UserError;
import java.util.List;

/** Texts given on the command line ({@code --text}, {@code --question}): blank ones are refused as empty cells are. */
final class Texts {
    private Texts() {}

    /** Throws naming the option and the 1-based position of the first blank value; null means none were given. */
    static void requireNonBlank(String option, String noun, List<String> values) {
        for (int i = 0; values != null && i < values.size(); i++) {
            if (values.get(i).isBlank()) {
                throw new UserError(option + ": " + noun + " " + (i + 1) + " is empty");
            }
        }
    }
}
