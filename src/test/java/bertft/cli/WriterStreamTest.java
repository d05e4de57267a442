package bertft.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class WriterStreamTest {
    /** Lines arrive at each newline; a character whose bytes are split between writes arrives whole. */
    @Test
    void linesAndSplitCharactersArriveWhole() {
        StringWriter w = new StringWriter();
        PrintStream s = WriterStream.of(new PrintWriter(w));
        s.printf("step %d: 中文 ok%n", 3);
        assertEquals("step 3: 中文 ok" + System.lineSeparator(), w.toString());
        byte[] han = "字😀".getBytes(StandardCharsets.UTF_8);
        s.write(han, 0, 2);
        s.flush();
        assertEquals("step 3: 中文 ok" + System.lineSeparator(), w.toString(), "half a character waits");
        s.write(han, 2, 4);
        s.flush();
        assertEquals("step 3: 中文 ok" + System.lineSeparator() + "字", w.toString());
        s.write(han, 6, 1);
        s.flush();
        assertEquals("step 3: 中文 ok" + System.lineSeparator() + "字😀", w.toString());
    }
}
