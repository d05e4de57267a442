package bertft.serve;

import com.google.gson.JsonElement;
import java.nio.charset.StandardCharsets;
import java.util.Map;

/** An answer; {@code headers} are sent besides Content-Type and Content-Length. */
record Reply(int status, String contentType, byte[] body, Map<String, String> headers) {
    static Reply json(int status, JsonElement body) {
        return new Reply(status, "application/json", body.toString().getBytes(StandardCharsets.UTF_8), Map.of());
    }
}
