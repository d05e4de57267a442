package bertft.hub;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.FileSystemException;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

class FailuresTest {
    @Test
    void diskFullIsNamedWithWhatToDo() {
        Path blob = Path.of("/cache/models--org--x/blobs/abc.incomplete");
        String m = Failures.io(new FileSystemException(blob.toString(), null, "No space left on device"), blob,
                "cannot write the download").getMessage();
        assertEquals(blob + ": disk full (cannot write the download): free some space, or set HF_HUB_CACHE to a"
                + " directory on a larger disk", m);
        String pre = Failures.diskFull(blob.getParent(), 440_000_000L, 12_000_000L).getMessage();
        assertTrue(pre.contains("needs 440.0 MB and 12.0 MB is free"), pre);
    }
}
