package bertft.eval;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;

/** The JSON writer of all results: pretty, key order kept, nulls written (undefined correlations). */
final class Json {
    static final Gson GSON = new GsonBuilder().setPrettyPrinting().serializeNulls().disableHtmlEscaping().create();

    private Json() {}
}
