package bertft.cli;

import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;

/**
 * picocli's error writer as the {@code PrintStream} the jobs print progress to, so that what a command prints goes
 * where {@code CommandLine.setErr} says (tests capture it) and not to the process's raw stderr. Bytes are decoded as
 * UTF-8 at each flush (every line: the stream flushes on newlines); a character cut between two writes waits for
 * its last bytes.
 */
final class WriterStream extends OutputStream {
    private final PrintWriter writer;
    private final ByteArrayOutputStream pending = new ByteArrayOutputStream();

    private WriterStream(PrintWriter writer) {
        this.writer = writer;
    }

    /** A print stream over {@code writer}, flushed at every line. */
    static PrintStream of(PrintWriter writer) {
        return new PrintStream(new WriterStream(writer), true, StandardCharsets.UTF_8);
    }

    @Override
    public synchronized void write(int b) {
        pending.write(b);
    }

    @Override
    public synchronized void write(byte[] b, int off, int len) {
        pending.write(b, off, len);
    }

    @Override
    public synchronized void flush() {
        byte[] bytes = pending.toByteArray();
        int complete = bytes.length;
        // an incomplete UTF-8 sequence at the end: its lead byte and continuation bytes wait for the rest
        for (int back = 1; back <= Math.min(3, bytes.length); back++) {
            int b = bytes[bytes.length - back] & 0xff;
            if ((b & 0xc0) == 0x80) {
                continue; // a continuation byte: look further back for its lead
            }
            int need = b >= 0xf0 ? 4 : b >= 0xe0 ? 3 : b >= 0xc0 ? 2 : 1;
            if (need > back) {
                complete = bytes.length - back;
            }
            break;
        }
        writer.write(new String(bytes, 0, complete, StandardCharsets.UTF_8));
        writer.flush();
        pending.reset();
        pending.write(bytes, complete, bytes.length - complete);
    }

    @Override
    public void close() {
        flush();
    }
}
