package bertft.hub;

import bertft.UserError;
import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.Path;

/** Turns file-system failures while filling the cache into one-line user errors. */
final class Failures {
    private Failures() {}

    static UserError io(IOException e, Path path, String what) {
        String m = String.valueOf(e.getMessage());
        if (m.contains("No space left on device") || m.contains("Disk quota exceeded")) {
            return new UserError(path + ": disk full (" + what + "): free some space, or set HF_HUB_CACHE to a"
                    + " directory on a larger disk", e);
        }
        if (e instanceof AccessDeniedException) {
            return new UserError(path + ": permission denied (" + what + "): set HF_HUB_CACHE to a writable"
                    + " directory", e);
        }
        return new UserError(path + ": " + what + ": " + e, e);
    }

    static UserError diskFull(Path dir, long needed, long free) {
        return new UserError(dir + ": disk full: the download needs " + Progress.bytes(needed) + " and "
                + Progress.bytes(free) + " is free: free some space, or set HF_HUB_CACHE to a directory on a larger"
                + " disk");
    }
}
