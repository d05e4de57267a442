package bertft.hub;

import java.io.PrintStream;
import java.util.Locale;

/**
 * A download progress bar on stderr, redrawn in place at most ten times a second; off the terminal (logs, pipes,
 * tests) it prints nothing but the one line that names the file.
 */
public final class Progress {
    private static final int WIDTH = 30;

    private final PrintStream err;
    private final boolean terminal;
    private final String label;
    private final long total;
    private final long startNanos = System.nanoTime();
    private final long startBytes;
    private long done;
    private long lastDraw;

    Progress(PrintStream err, boolean terminal, String label, long total, long already) {
        this.err = err;
        this.terminal = terminal;
        this.label = label;
        this.total = total;
        this.done = already;
        this.startBytes = already;
    }

    /** A bar on {@code System.err}, drawn only when the process has a terminal. */
    static Progress start(String label, long total, long already) {
        Progress p = new Progress(System.err, System.console() != null, label, total, already);
        p.err.println("bert-ft: downloading " + label + (total >= 0 ? " (" + bytes(total) + ")" : "")
                + (already > 0 ? ", resuming at " + bytes(already) : ""));
        return p;
    }

    /** A bar for an upload on {@code System.err}, drawn only when the process has a terminal. */
    static Progress upload(String label, long total) {
        Progress p = new Progress(System.err, System.console() != null, label, total, 0);
        p.err.println("bert-ft: uploading " + label + " (" + bytes(total) + ")");
        return p;
    }

    void advance(long n) {
        done += n;
        long now = System.nanoTime();
        if (terminal && now - lastDraw > 100_000_000L) {
            lastDraw = now;
            err.print("\r" + line(now));
            err.flush();
        }
    }

    void finish() {
        if (terminal) {
            err.print("\r" + line(System.nanoTime()) + "\n");
            err.flush();
        }
    }

    /** {@code [#######.......]  42%  37.0 MB / 88.0 MB  12.3 MB/s}. */
    String line(long now) {
        double seconds = Math.max(1e-3, (now - startNanos) / 1e9);
        String rate = bytes((long) ((done - startBytes) / seconds)) + "/s";
        if (total <= 0) {
            return String.format(Locale.ROOT, "  %s  %s", bytes(done), rate);
        }
        int filled = (int) Math.min(WIDTH, WIDTH * done / total);
        return String.format(Locale.ROOT, "  [%s%s] %3d%%  %s / %s  %s", "#".repeat(filled),
                ".".repeat(WIDTH - filled), 100 * done / total, bytes(done), bytes(total), rate);
    }

    /** A size for people: {@code 103.5 kB}, {@code 1.3 GB} (powers of 1000, as huggingface_hub prints). */
    public static String bytes(long n) {
        if (n < 1000) {
            return n + " B";
        }
        String[] units = {"kB", "MB", "GB", "TB"};
        double v = n;
        int u = -1;
        while (v >= 1000 && u < units.length - 1) {
            v /= 1000;
            u++;
        }
        return String.format(Locale.ROOT, "%.1f %s", v, units[u]);
    }
}
