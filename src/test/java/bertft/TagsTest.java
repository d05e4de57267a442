package bertft;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/** Every test tag is one that pom.xml and README.md tell how to exclude ({@code -DexcludedGroups=TAG}). */
class TagsTest {
    @Test
    void everyTagInTheTestsIsTheOneThePomAndReadmeName() throws IOException {
        Set<String> tags = new TreeSet<>();
        Pattern tag = Pattern.compile("@Tag\\(\"([^\"]+)\"\\)");
        try (Stream<Path> files = Files.walk(Path.of("src", "test", "java"))) {
            for (Path f : files.filter(p -> p.toString().endsWith(".java")).toList()) {
                Matcher m = tag.matcher(Files.readString(f));
                while (m.find()) {
                    tags.add(m.group(1));
                }
            }
        }
        assertFalse(tags.isEmpty());
        String pom = Files.readString(Path.of("pom.xml"));
        String readme = Files.readString(Path.of("README.md"));
        for (String t : tags) {
            assertTrue(pom.contains("-DexcludedGroups=" + t), "pom.xml tells how to exclude tag " + t);
            assertTrue(readme.contains("-DexcludedGroups=" + t), "README.md tells how to exclude tag " + t);
        }
        assertTrue(tags.contains("slow"), "the real-model tests are tagged slow: " + tags);
    }
}
