package bertft.hub;

import bertft.UserError;
import java.io.IOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.Locale;
import java.util.Set;
import java.util.function.Function;

/**
 * Where the Hub is and how to talk to it, read from the variables huggingface_hub reads, with its defaults.
 *
 * <p>{@code HF_ENDPOINT} (default {@code https://huggingface.co}); {@code HF_HUB_CACHE}, else
 * {@code $HF_HOME/hub} ({@code HF_HOME} defaults to {@code $XDG_CACHE_HOME/huggingface} or
 * {@code ~/.cache/huggingface}); {@code HF_TOKEN}, else the file {@code HF_TOKEN_PATH} (default
 * {@code $HF_HOME/token}) that {@code huggingface-cli login} writes; {@code HF_HUB_OFFLINE=1};
 * {@code HF_HUB_ETAG_TIMEOUT} and {@code HF_HUB_DOWNLOAD_TIMEOUT} in seconds (default 10). A Java system
 * property of the same name wins over the environment variable ({@code -DHF_HUB_OFFLINE=1}).
 *
 * @param attempts tries per request before giving up on 5xx answers, timeouts and cut connections
 * @param baseDelay the wait before the second try; it doubles for each further try
 * @param tokenSource where the token came from, for messages ({@code HF_TOKEN}, {@code the token file PATH}); the
 *     token itself is never printed
 */
public record HubSettings(URI endpoint, Path cache, String token, boolean offline, Duration metadataTimeout,
        Duration downloadTimeout, int attempts, Duration baseDelay, String tokenSource) {

    public static final String DEFAULT_ENDPOINT = "https://huggingface.co";
    private static final Set<String> TRUE = Set.of("1", "ON", "YES", "TRUE");

    /** The settings of this process: system properties, then environment variables. */
    public static HubSettings fromEnvironment() {
        return from(name -> {
            String p = System.getProperty(name);
            return p != null ? p : System.getenv(name);
        }, System.getProperty("user.home"));
    }

    /** The settings from a variable lookup (absent or blank means unset). */
    public static HubSettings from(Function<String, String> env, String userHome) {
        Function<String, String> var = name -> {
            String v = env.apply(name);
            return v == null || v.isBlank() ? null : v.strip();
        };
        String xdg = var.apply("XDG_CACHE_HOME");
        Path home = var.apply("HF_HOME") != null ? expand(var.apply("HF_HOME"), userHome)
                : (xdg != null ? expand(xdg, userHome) : Paths.get(userHome, ".cache")).resolve("huggingface");
        String cacheVar = var.apply("HF_HUB_CACHE") != null ? var.apply("HF_HUB_CACHE")
                : var.apply("HUGGINGFACE_HUB_CACHE");
        Path cache = cacheVar != null ? expand(cacheVar, userHome) : home.resolve("hub");
        String token = var.apply("HF_TOKEN") != null ? var.apply("HF_TOKEN") : var.apply("HUGGING_FACE_HUB_TOKEN");
        String source = var.apply("HF_TOKEN") != null ? "HF_TOKEN" : "HUGGING_FACE_HUB_TOKEN";
        Path file = var.apply("HF_TOKEN_PATH") != null ? expand(var.apply("HF_TOKEN_PATH"), userHome)
                : home.resolve("token");
        if (token == null) {
            token = readToken(file);
            source = "the token file " + file;
        }
        if (token == null) {
            source = "no token (HF_TOKEN is unset and " + file + " does not exist)";
        }
        String offline = var.apply("HF_HUB_OFFLINE");
        return new HubSettings(endpoint(var.apply("HF_ENDPOINT")), cache, token,
                offline != null && TRUE.contains(offline.toUpperCase(Locale.ROOT)),
                seconds(var, "HF_HUB_ETAG_TIMEOUT"), seconds(var, "HF_HUB_DOWNLOAD_TIMEOUT"), 5,
                Duration.ofSeconds(1), source);
    }

    /** The same settings, offline or not. */
    public HubSettings withOffline(boolean off) {
        return new HubSettings(endpoint, cache, token, off, metadataTimeout, downloadTimeout, attempts, baseDelay,
                tokenSource);
    }

    /** The same settings with another retry policy (tests use a few milliseconds). */
    public HubSettings withRetries(int tries, Duration delay) {
        return new HubSettings(endpoint, cache, token, offline, metadataTimeout, downloadTimeout, tries, delay,
                tokenSource);
    }

    /** The same settings with another token (null: none). */
    public HubSettings withToken(String newToken) {
        return new HubSettings(endpoint, cache, newToken, offline, metadataTimeout, downloadTimeout, attempts,
                baseDelay, newToken == null ? "no token" : "the token given");
    }

    private static URI endpoint(String value) {
        String v = value == null ? DEFAULT_ENDPOINT : value.replaceAll("/+$", "");
        try {
            URI uri = new URI(v);
            if (!"http".equals(uri.getScheme()) && !"https".equals(uri.getScheme()) || uri.getHost() == null) {
                throw new UserError("HF_ENDPOINT " + v + ": expected an http(s) URL such as " + DEFAULT_ENDPOINT);
            }
            return uri;
        } catch (URISyntaxException e) {
            throw new UserError("HF_ENDPOINT " + v + ": not a URL: " + e.getMessage());
        }
    }

    private static Duration seconds(Function<String, String> var, String name) {
        String v = var.apply(name);
        if (v == null) {
            return Duration.ofSeconds(10);
        }
        try {
            double s = Double.parseDouble(v);
            if (s > 0) {
                return Duration.ofMillis((long) (s * 1000));
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new UserError(name + " " + v + ": expected a positive number of seconds");
    }

    private static Path expand(String path, String userHome) {
        return path.equals("~") || path.startsWith("~/") ? Paths.get(userHome + path.substring(1)) : Paths.get(path);
    }

    private static String readToken(Path file) {
        if (!Files.isRegularFile(file)) {
            return null;
        }
        try {
            String t = Files.readString(file, StandardCharsets.UTF_8).strip();
            return t.isEmpty() ? null : t;
        } catch (IOException e) {
            throw new UserError(file + ": cannot read the HuggingFace token: " + e.getMessage());
        }
    }

    @Override
    public String toString() {
        // never print the token
        return "HubSettings[endpoint=" + endpoint + ", cache=" + cache + ", token=" + (token == null ? "none" : "set")
                + ", offline=" + offline + "]";
    }
}
