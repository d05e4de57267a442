package bertft;

/** The exit codes of {@code bert-ft} and of the Spark jobs, one place for each. */
public final class ExitCode {
    /** Done. */
    public static final int OK = 0;
    /** A user mistake (bad file, bad option value, bad environment): one line said what. */
    public static final int USER_ERROR = 2;
    /** Done, but some input rows could not be read; each was listed with its line. */
    public static final int SOME_ROWS_UNREAD = 3;

    private ExitCode() {}
}
