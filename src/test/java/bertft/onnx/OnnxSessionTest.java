package bertft.onnx;

import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import org.junit.jupiter.api.Test;

/** How bert-ft's ONNX Runtime sessions run. */
class OnnxSessionTest {
    /** Idle worker threads sleep, as libtorch's do: spinning ones starved serve's HTTP threads and clients. */
    @Test
    void workerThreadsDoNotSpin() throws OrtException {
        try (OrtSession.SessionOptions o = OnnxModel.sessionOptions()) {
            assertEquals("0", o.getConfigEntries().get("session.intra_op.allow_spinning"));
        }
    }
}
