package bertft.data;

import bertft.UserError;
import java.io.BufferedReader;
import java.io.Closeable;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.CharacterCodingException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The lines of a UTF-8 text file or of standard input, one at a time, in constant memory: a bad byte or a line
 * longer than 16 Mi characters stops reading with the file and line, before that line is handed out.
 */
public final class LineReader implements Closeable {
    private final String name;
    private final BufferedReader reader;
    private long line;

    private LineReader(InputStream in, String name) {
        this.name = name;
        this.reader = new BufferedReader(new Utf8Reader(in, Utf8Reader.MAX_LINE), 1 << 16);
    }

    /** Opens {@code file}; {@code -} is standard input, which stays open for others when this closes. */
    public static LineReader open(String file) {
        if (file.equals("-")) {
            return new LineReader(new FilterInputStream(System.in) {
                @Override
                public void close() {}
            }, "stdin");
        }
        try {
            return new LineReader(Files.newInputStream(Path.of(file)), file);
        } catch (IOException e) {
            throw bertft.TextFiles.cannotRead(file, e);
        }
    }

    /** The next line without its line break (and line 1 without a byte-order mark), or null at the end. */
    public String next() {
        String s;
        try {
            s = reader.readLine();
        } catch (CharacterCodingException e) {
            long at = e instanceof Utf8Reader.Malformed m ? m.line : line + 1;
            throw new UserError(name + ":" + at + ": not valid UTF-8 (is it Latin-1? re-save as UTF-8)");
        } catch (Utf8Reader.LineTooLong e) {
            throw new UserError(name + ":" + e.line + ": more than " + Utf8Reader.MAX_LINE
                    + " characters without a line break (is it a text file?)");
        } catch (IOException e) {
            throw new UserError(name + ":" + (line + 1) + ": cannot read: " + e.getMessage());
        }
        if (s == null) {
            return null;
        }
        line++;
        return line == 1 && s.startsWith("\uFEFF") ? s.substring(1) : s;
    }

    /** The 1-based number of the line {@link #next} returned last. */
    public long line() {
        return line;
    }

    /** The file as named in messages ({@code stdin} for standard input). */
    public String name() {
        return name;
    }

    @Override
    public void close() {
        try {
            reader.close();
        } catch (IOException e) {
            // nothing was written; a failed close of an input loses nothing
        }
    }
}
