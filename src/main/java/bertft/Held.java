package bertft;

import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.io.PrintStream;

/**
 * A job's progress stream that holds what it is given until the job's input checks have passed: reading the data
 * is itself a check, and its summary lines are progress, so a refused run would otherwise print them before its
 * one-line error. {@link #release} prints what was held and lets later lines through at once; {@link #drop}
 * forgets them. Releasing a stream held inside another (a compare's run) releases the outer one first, so the
 * lines keep their order.
 */
public final class Held extends PrintStream {
    private final Buffer buffer;

    private Held(Buffer buffer) {
        super(buffer, true, java.nio.charset.StandardCharsets.UTF_8);
        this.buffer = buffer;
    }

    /** A stream over {@code target} that passes lines through until {@link #hold} is called. */
    public static Held over(PrintStream target) {
        return new Held(new Buffer(target));
    }

    /** Holds the lines from now on until {@link #release} or {@link #drop} (a job's next run). */
    public void hold() {
        flush();
        buffer.hold();
    }

    /** Prints what was held and passes every later line straight through; again: nothing more happens. */
    public void release() {
        flush();
        buffer.release();
    }

    /** Forgets what was held (the job failed its checks) and passes later lines through. */
    public void drop() {
        flush();
        buffer.drop();
    }

    /**
     * Holds the lines while {@code job} runs, up to its own {@link #release}: a {@link UserError} before that drops
     * them (the error is the one line); any other failure prints them, since they say how far it got.
     */
    public <T> T during(java.util.function.Supplier<T> job) {
        hold();
        try {
            T t = job.get();
            release();
            return t;
        } catch (UserError e) {
            drop();
            throw e;
        } catch (RuntimeException | Error e) {
            release();
            throw e;
        }
    }

    private static final class Buffer extends OutputStream {
        private final PrintStream target;
        private ByteArrayOutputStream pending; // null: lines pass straight through

        Buffer(PrintStream target) {
            this.target = target;
        }

        @Override
        public synchronized void write(int b) {
            if (pending != null) {
                pending.write(b);
            } else {
                target.write(b);
            }
        }

        @Override
        public synchronized void write(byte[] b, int off, int len) {
            if (pending != null) {
                pending.write(b, off, len);
            } else {
                target.write(b, off, len);
            }
        }

        @Override
        public synchronized void flush() {
            if (pending == null) {
                target.flush();
            }
        }

        synchronized void hold() {
            if (pending == null) {
                pending = new ByteArrayOutputStream();
            }
        }

        synchronized void release() {
            if (pending == null) {
                return;
            }
            if (target instanceof Held outer) {
                outer.release();
            }
            target.write(pending.toByteArray(), 0, pending.size());
            target.flush();
            pending = null;
        }

        synchronized void drop() {
            pending = null;
        }
    }
}
