package bertft;

/**
 * A mistake the user can fix (bad file, bad option, bad value); the CLI prints its message on one line.
 *
 * <p>Messages say where: {@code reviews.csv:42: label 'meh' is not one of [negative, positive]}.
 */
public class UserError extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public UserError(String message) {
        super(message);
    }

    public UserError(String message, Throwable cause) {
        super(message, cause);
    }

    /** The most characters of a user's value a message echoes whole. */
    static final int ECHO = 80;

    /**
     * {@code value} as a message may echo it: whole when short, else its start, an ellipsis and its length, so a
     * 50 KB option value does not come back as a 50 KB line.
     */
    public static String cut(String value) {
        if (value == null || value.length() <= ECHO) {
            return value;
        }
        int end = Character.isHighSurrogate(value.charAt(ECHO - 21)) ? ECHO - 21 : ECHO - 20;
        return value.substring(0, end) + "… (" + value.length() + " characters)";
    }
}
