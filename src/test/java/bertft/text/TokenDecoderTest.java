package bertft.text;

import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.huggingface.tokenizers.Encoding;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Each family's decoder as {@code tokenizers}' decoders decode token strings (the fast tokenizer's
 * convert_tokens_to_string, which the token-classification pipeline reports as an entity's word); cases by hand
 * from the Rust decoders' rules.
 */
class TokenDecoderTest {
    private static String decode(String decoder, String... tokens) {
        return TokenDecoder.decode(JsonParser.parseString(decoder), List.of(tokens));
    }

    @Test
    void byteLevelMapsGpt2sByteAlphabetBackToUtf8() {
        String d = "{\"type\": \"ByteLevel\", \"add_prefix_space\": false}";
        assertEquals(" New York", decode(d, "\u0120New", "\u0120York"));
        assertEquals("caf\u00e9", decode(d, "caf", "\u00c3\u00a9")); // é is the two bytes C3 A9
        assertEquals("a\nb", decode(d, "a", "\u010a", "b")); // newline is byte 10, spelt U+010A
        assertEquals("x\u20acy", decode(d, "x", "\u20ac", "y"), "a character outside the alphabet: its UTF-8");
    }

    @Test
    void metaspaceTurnsTheReplacementIntoSpacesAndDropsTheFirstOne() {
        String d = "{\"type\": \"Metaspace\", \"replacement\": \"\u2581\", \"add_prefix_space\": true}";
        assertEquals("New York", decode(d, "\u2581New", "\u2581York"));
        assertEquals("News", decode(d, "\u2581New", "s"));
        assertEquals("New York", decode("{\"type\": \"Metaspace\", \"replacement\": \"\u2581\", \"prepend_scheme\":"
                + " \"always\"}", "\u2581New", "\u2581York"));
        assertEquals(" New", decode("{\"type\": \"Metaspace\", \"replacement\": \"\u2581\", \"prepend_scheme\":"
                + " \"never\"}", "\u2581New"));
    }

    @Test
    void wordPieceSequenceAndNoDecoder() {
        assertEquals("hello, world's end!", decode("{\"type\": \"WordPiece\", \"prefix\": \"##\", \"cleanup\": true}",
                "hello", ",", "world", "'s", "end", "!"));
        assertEquals("newyork ,", decode("{\"type\": \"WordPiece\", \"prefix\": \"##\", \"cleanup\": false}",
                "new", "##york", ","));
        assertEquals("New York", decode("{\"type\": \"Sequence\", \"decoders\": [{\"type\": \"Replace\", \"pattern\":"
                + " {\"String\": \"\u2581\"}, \"content\": \" \"}, {\"type\": \"Fuse\"}, {\"type\": \"Strip\","
                + " \"content\": \" \", \"start\": 1, \"stop\": 0}]}", "\u2581New", "\u2581York"));
        assertEquals("a b", TokenDecoder.decode(null, List.of("a", "b")));
    }

    @Test
    void aByteLevelBpeTokenizerDecodesItsOwnPiecesBackToTheText(@TempDir Path dir) throws IOException {
        try (BertTokenizer tok = BertTokenizer.load(ByteLevelBpeTest.repo(Files.createDirectories(dir)), 32)) {
            Encoding e = tok.encode("hello world");
            List<String> pieces = new ArrayList<>();
            for (int i = 0; i < e.getIds().length; i++) {
                if (e.getSpecialTokenMask()[i] == 0) {
                    pieces.add(e.getTokens()[i]);
                }
            }
            assertEquals(List.of("hello", "\u0120world"), pieces);
            // joined as WordPiece joins, this was "hello \u0120world"
            assertEquals("hello world", tok.tokensToString(pieces));
        }
    }
}
