package bertft.hub;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import bertft.UserError;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class HubSettingsTest {
    @TempDir
    Path home;

    private HubSettings from(Map<String, String> env) {
        return HubSettings.from(env::get, home.toString());
    }

    @Test
    void defaultsAreHuggingFaceHubs() {
        HubSettings s = from(Map.of());
        assertEquals(URI.create("https://huggingface.co"), s.endpoint());
        assertEquals(home.resolve(".cache/huggingface/hub"), s.cache());
        assertNull(s.token());
        assertFalse(s.offline());
        assertEquals(Duration.ofSeconds(10), s.metadataTimeout());
    }

    @Test
    void variablesInHuggingFaceOrder() {
        assertEquals(Path.of("/x/hf/hub"), from(Map.of("HF_HOME", "/x/hf", "XDG_CACHE_HOME", "/y")).cache());
        assertEquals(Path.of("/y/huggingface/hub"), from(Map.of("XDG_CACHE_HOME", "/y")).cache());
        assertEquals(Path.of("/z"), from(Map.of("HF_HOME", "/x/hf", "HF_HUB_CACHE", "/z")).cache());
        assertEquals(home.resolve("c"), from(Map.of("HF_HUB_CACHE", "~/c")).cache());
        assertEquals(URI.create("http://mirror:8080"), from(Map.of("HF_ENDPOINT", "http://mirror:8080/")).endpoint());
        for (String on : new String[] {"1", "true", "YES", "on"}) {
            assertTrue(from(Map.of("HF_HUB_OFFLINE", on)).offline(), on);
        }
        assertFalse(from(Map.of("HF_HUB_OFFLINE", "0")).offline());
        assertEquals(Duration.ofMillis(2500), from(Map.of("HF_HUB_DOWNLOAD_TIMEOUT", "2.5")).downloadTimeout());
        UserError e = assertThrows(UserError.class, () -> from(Map.of("HF_ENDPOINT", "huggingface.co")));
        assertTrue(e.getMessage().startsWith("HF_ENDPOINT huggingface.co: expected an http(s) URL"), e.getMessage());
    }

    @Test
    void tokenFromVariableElseTokenFile() throws Exception {
        Path tokenFile = home.resolve(".cache/huggingface/token");
        Files.createDirectories(tokenFile.getParent());
        Files.writeString(tokenFile, "hf_from_file\n");
        assertEquals("hf_from_file", from(Map.of()).token());
        assertEquals("hf_env", from(Map.of("HF_TOKEN", "hf_env")).token());
        assertEquals("hf_from_file", from(Map.of("HF_TOKEN", " ")).token(), "blank means unset");
        assertFalse(from(Map.of("HF_TOKEN", "hf_env")).toString().contains("hf_env"), "never printed");
    }
}
