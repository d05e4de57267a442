package bertft.text;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.huggingface.tokenizers.Encoding;
import bertft.Tiny;
import bertft.UserError;
import bertft.model.ModelStore;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BertTokenizerTest {

    @Test
    void vocabTxtGivesWordPieceWithClsAndSep() {
        List<String> vocab = Tiny.vocab();
        try (BertTokenizer tok = Tiny.tokenizer(64)) {
            Encoding e = tok.encode("The Movies were GREAT!");
            String[] tokens = e.getTokens();
            assertArrayEquals(new String[] {"[CLS]", "the", "movie", "##s", "were", "great", "!", "[SEP]"}, tokens);
            assertEquals(vocab.indexOf("movie"), e.getIds()[2]);
            // offsets point into the original text, for QA answers cut from the context
            assertEquals("Movies".substring(0, 5), "The Movies were GREAT!".substring(
                    e.getCharTokenSpans()[2].getStart(), e.getCharTokenSpans()[2].getEnd()));
        }
    }

    @Test
    void unknownWordsAndPairs() {
        try (BertTokenizer tok = Tiny.tokenizer(64)) {
            Encoding e = tok.encode("good €", "bad");
            assertArrayEquals(new String[] {"[CLS]", "good", "[UNK]", "[SEP]", "bad", "[SEP]"}, e.getTokens());
            assertArrayEquals(new long[] {0, 0, 0, 0, 1, 1}, e.getTypeIds());
        }
    }

    @Test
    void truncatesToMaxLengthAndNeverPads() {
        try (BertTokenizer tok = Tiny.tokenizer(6)) {
            assertEquals(6, tok.encode("the movie was good and the book was bad").getIds().length);
            assertEquals(3, tok.encode("good").getIds().length);
        }
    }

    @Test
    void doLowerCaseFalseKeepsCase(@TempDir Path dir) throws IOException {
        Files.write(dir.resolve("vocab.txt"), Tiny.vocab());
        Files.writeString(dir.resolve("tokenizer_config.json"), "{\"do_lower_case\": false}");
        try (BertTokenizer tok = BertTokenizer.load(dir, 32)) {
            assertFalse(tok.lowerCase());
            assertEquals("[UNK]", tok.encode("Good").getTokens()[1]);
        }
    }

    @Test
    void savedFilesLoadBackTheSame(@TempDir Path dir) throws IOException {
        try (BertTokenizer tok = Tiny.tokenizer(64)) {
            tok.save(dir);
            assertEquals(Tiny.vocab(), Files.readAllLines(dir.resolve("vocab.txt")));
            try (BertTokenizer back = BertTokenizer.load(dir, 64)) {
                String s = "the phone broke , what a terrible product";
                assertArrayEquals(tok.encode(s).getIds(), back.encode(s).getIds());
            }
        }
    }

    @Test
    void missingTokenizerIsAUserError(@TempDir Path dir) {
        UserError e = assertThrows(UserError.class, () -> BertTokenizer.load(dir, 32));
        assertEquals(dir + ": no tokenizer (needs tokenizer.json, vocab.txt, vocab.json and merges.txt, or DeBERTa's"
                + " spm.model)", e.getMessage());
    }

    @Test
    @Tag("slow")
    void embeddedTruncationAndPaddingOfMiniLmAreOverridden() {
        // The shipped tokenizer.json says: truncate at 128, pad to a fixed 128.
        String longText = "word ".repeat(300);
        try (BertTokenizer tok = BertTokenizer.load(ModelStore.resolve("minilm"), 256)) {
            assertEquals(256, tok.encode(longText).getIds().length);
            assertEquals(4, tok.encode("hello world").getIds().length);
        }
    }
}
