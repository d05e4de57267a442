package bertft.serve;

import com.google.gson.JsonObject;
import java.util.Map;

/** A request that cannot be served: the status and the message of its JSON error. */
final class HttpError extends RuntimeException {
    private static final long serialVersionUID = 1L;
    final int status;
    private final String type;
    private final Map<String, String> headers;

    HttpError(int status, String message) {
        this(status, message, switch (status) { // TEI's names
            case 429 -> "Overloaded";
            case 500 -> "Backend";
            case 503 -> "Unhealthy";
            default -> "Validation";
        }, Map.of());
    }

    HttpError(int status, String message, String type, Map<String, String> headers) {
        super(message, null, false, false);
        this.status = status;
        this.type = type;
        this.headers = headers;
    }

    /** {@code {"error": message, "error_type": type}}. */
    Reply reply() {
        JsonObject o = new JsonObject();
        o.addProperty("error", getMessage());
        o.addProperty("error_type", type);
        Reply r = Reply.json(status, o);
        return new Reply(r.status(), r.contentType(), r.body(), headers);
    }
}
