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
}
