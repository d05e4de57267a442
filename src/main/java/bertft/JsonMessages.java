package bertft;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Gson's parse errors as one short line: what went wrong and where, without Gson's advice to its programmers. */
public final class JsonMessages {
    private static final Pattern WHERE = Pattern.compile("(.*?) at line (\\d+) column (\\d+)(?: path \\S+)?.*",
            Pattern.DOTALL);

    private JsonMessages() {}

    /** The problem of a Gson exception. */
    public static String what(Exception e) {
        Matcher m = matcher(e);
        return m.matches() ? describe(m.group(1)) : firstLine(e);
    }

    /** The 1-based line Gson blames, or -1. */
    public static int line(Exception e) {
        Matcher m = matcher(e);
        return m.matches() ? Integer.parseInt(m.group(2)) : -1;
    }

    /** The 1-based column Gson blames, or -1. */
    public static int column(Exception e) {
        Matcher m = matcher(e);
        return m.matches() ? Integer.parseInt(m.group(3)) : -1;
    }

    private static Matcher matcher(Exception e) {
        return WHERE.matcher(firstLine(e));
    }

    private static String firstLine(Exception e) {
        Throwable t = e.getCause() != null ? e.getCause() : e;
        String s = String.valueOf(t.getMessage());
        return s.lines().findFirst().orElse(s);
    }

    private static String describe(String gson) {
        return gson.startsWith("Use JsonReader.setStrictness") ? "malformed JSON" : gson;
    }
}
