package bertft.api;

import bertft.UserError;
import java.util.List;

/**
 * Checks of what callers hand the API, said in the API's terms (parameter names, not command-line options): a null
 * is a programming mistake (IllegalArgumentException naming the parameter); a blank text is bad input, refused as
 * the command line, the server and Spark refuse it (UserError).
 */
final class Inputs {
    private Inputs() {}

    static <T> T notNull(String parameter, T value) {
        if (value == null) {
            throw new IllegalArgumentException(parameter + " is null");
        }
        return value;
    }

    /** A model name as {@code load} takes it: not null, not blank. */
    static String model(String model) {
        if (notNull("model", model).isBlank()) {
            throw new UserError("model is empty: name a run or checkpoint directory, an ONNX export, an alias such as"
                    + " minilm or a Hub id such as org/name");
        }
        return model;
    }

    static String text(String parameter, String text) {
        if (notNull(parameter, text).isBlank()) {
            throw new UserError(parameter + " is empty: pass a text with at least one non-space character");
        }
        return text;
    }

    /** Each text checked as {@link #text}, named {@code parameter[i]}. */
    static List<String> texts(String parameter, List<String> texts) {
        notNull(parameter, texts);
        for (int i = 0; i < texts.size(); i++) {
            text(parameter + "[" + i + "]", texts.get(i));
        }
        return texts;
    }
}
