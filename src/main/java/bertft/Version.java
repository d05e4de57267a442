package bertft;

import java.io.IOException;
import java.io.InputStream;
import java.util.Properties;

/** bert-ft's version, as Maven filtered it into the jar ({@code unknown} when run from classes without it). */
public final class Version {
    private static final String VERSION = read();

    private Version() {}

    public static String get() {
        return VERSION;
    }

    private static String read() {
        Properties p = new Properties();
        try (InputStream in = Version.class.getResourceAsStream("/bertft-version.properties")) {
            if (in != null) {
                p.load(in);
            }
        } catch (IOException e) {
            return "unknown";
        }
        return p.getProperty("version", "unknown");
    }
}
