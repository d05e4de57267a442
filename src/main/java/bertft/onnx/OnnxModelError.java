package bertft.onnx;

import bertft.UserError;

/**
 * An ONNX model that loaded cannot do what it was asked: ONNX Runtime failed while running it (an edited export, one
 * whose tokenizer or config.json does not match its graph), or it lacks the output a command needs. The model, not
 * the request, is at fault, so a server answers 500 rather than 4xx; on the command line it is a {@link UserError}'s
 * one line. The message names the file by its name only and carries none of ONNX Runtime's node names, source
 * paths or C++ signatures.
 */
public final class OnnxModelError extends UserError {
    private static final long serialVersionUID = 1L;

    public OnnxModelError(String message, Throwable cause) {
        super(message, cause);
    }
}
