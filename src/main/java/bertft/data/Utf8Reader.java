package bertft.data;

import java.io.IOException;
import java.io.InputStream;
import java.io.Reader;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.CoderResult;
import java.nio.charset.StandardCharsets;

/**
 * Strict UTF-8 (or another charset's) decoding that hands out every good character before failing at the first bad
 * byte.
 *
 * <p>InputStreamReader throws as soon as a bad byte is anywhere in its next block of input, and readers above it
 * count lines in their own ways; this one fails only when its reader reaches the bad byte, with the byte's line
 * counted from the characters it handed out. With a line limit, a line longer than that fails too (a binary file,
 * {@code /dev/zero} or a file in the wrong format would otherwise be read into one unbounded line).
 */
final class Utf8Reader extends Reader {
    /** Characters a line of a table or text file may hold: 16 Mi. */
    static final long MAX_LINE = 16L << 20;

    /** A line longer than the limit, on a known 1-based line. */
    static final class LineTooLong extends IOException {
        private static final long serialVersionUID = 1L;
        final long line;

        LineTooLong(long line, long limit) {
            super("line " + line + " is longer than " + limit + " characters");
            this.line = line;
        }
    }

    /** Bad UTF-8 on a known 1-based line. */
    static final class Malformed extends CharacterCodingException {
        private static final long serialVersionUID = 1L;
        final long line;

        Malformed(long line) {
            this.line = line;
        }

        @Override
        public String getMessage() {
            return "not valid text in the file's encoding on line " + line;
        }
    }

    private final InputStream in;
    private final CharsetDecoder decoder;
    private final ByteBuffer bytes = ByteBuffer.allocate(1 << 14).flip();
    private boolean eof;
    private CharacterCodingException pending;
    private long line = 1;
    private boolean afterCr;
    private final long maxLine;
    private long lineLength;

    /** A reader without a line limit (a JSON document may be one long line). */
    Utf8Reader(InputStream in) {
        this(in, Long.MAX_VALUE);
    }

    Utf8Reader(InputStream in, long maxLine) {
        this(in, StandardCharsets.UTF_8, maxLine);
    }

    /** A reader of text in {@code charset} (GBK for Chinese files saved on Windows), strict as for UTF-8. */
    Utf8Reader(InputStream in, java.nio.charset.Charset charset, long maxLine) {
        this.in = in;
        this.maxLine = maxLine;
        this.decoder = charset.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT).onUnmappableCharacter(CodingErrorAction.REPORT);
    }

    @Override
    public int read(char[] cbuf, int off, int len) throws IOException {
        if (len == 0) {
            return 0;
        }
        CharBuffer out = CharBuffer.wrap(cbuf, off, len);
        while (true) {
            if (pending == null) {
                CoderResult r = decoder.decode(bytes, out, eof);
                line += lineBreaks(cbuf, off, out.position());
                if (r.isError()) {
                    // Thrown on the next call, once the reader has used every good character.
                    pending = new Malformed(line);
                }
            }
            int produced = out.position() - off;
            if (produced > 0) {
                return produced;
            }
            if (pending != null) {
                throw pending;
            }
            if (eof) {
                return -1;
            }
            bytes.compact();
            int n = in.read(bytes.array(), bytes.position(), bytes.remaining());
            if (n < 0) {
                eof = true;
            } else {
                bytes.position(bytes.position() + n);
            }
            bytes.flip();
        }
    }

    /**
     * Line breaks in cbuf[from, to): CRLF, CR and LF each end a line; a CRLF split across reads counts once. Also
     * keeps the length of the current line.
     */
    private int lineBreaks(char[] cbuf, int from, int to) throws LineTooLong {
        int n = 0;
        boolean cr = afterCr;
        for (int i = from; i < to; i++) {
            boolean brk = cbuf[i] == '\r' || cbuf[i] == '\n';
            n += cbuf[i] == '\r' || cbuf[i] == '\n' && !cr ? 1 : 0;
            lineLength = brk ? 0 : lineLength + 1;
            if (lineLength > maxLine) {
                throw new LineTooLong(line + n, maxLine);
            }
            cr = cbuf[i] == '\r';
        }
        afterCr = cr;
        return n;
    }

    @Override
    public void close() throws IOException {
        in.close();
    }
}
