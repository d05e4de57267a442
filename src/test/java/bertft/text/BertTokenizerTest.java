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

    /**
     * Chinese text as HuggingFace's BertTokenizer splits it, on a small cased vocabulary: one token per CJK character,
     * full-width punctuation split off, Latin words and digits between Chinese characters, emoji, traditional
     * characters and characters outside the vocabulary as [UNK], BOM and zero-width space dropped. Worked by hand;
     * Transformers 4.31's slow BertTokenizer on this vocab.txt gives the same ids.
     */
    @Test
    void chineseSplitsAsHuggingFacesBertTokenizer() {
        List<String> vocab = List.of("[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "房", "间", "很", "干", "净", "，",
                "。", "！", "？", "用", "拍", "照", "i", "##Phone", "15", "pro", "體", "育", "「", "」", "…", "～", "好");
        try (BertTokenizer tok = BertTokenizer.of(BertTokenizer.fromVocab(vocab, false), 64)) {
            assertTokens(tok, "房间很干净。", new long[] {2, 5, 6, 7, 8, 9, 11, 3});
            assertTokens(tok, "好！？「好」…～好", new long[] {2, 27, 12, 13, 23, 27, 24, 25, 26, 27, 3});
            assertTokens(tok, "用iPhone 15 Pro拍照", new long[] {2, 14, 17, 18, 19, 1, 15, 16, 3}); // Pro: cased, [UNK]
            assertTokens(tok, "好\uD83D\uDE00", new long[] {2, 27, 1, 3}); // an emoji outside the vocabulary
            assertTokens(tok, "體育，體驗", new long[] {2, 21, 22, 10, 21, 1, 3}); // traditional; 驗 is not in it
            assertTokens(tok, "\uFEFF好\u200B好", new long[] {2, 27, 27, 3}); // format characters are cleaned away
            assertTokens(tok, "ＡＢ好", new long[] {2, 1, 27, 3}); // full-width letters are not folded (no NFKC)
            assertTokens(tok, "pro～", new long[] {2, 1, 3}); // ～ is a symbol, not punctuation: one unknown word
            // offsets stay on characters: the 3rd token of 房间很干净。 is 很
            assertEquals("很", "房间很干净。".substring(tok.encode("房间很干净。").getCharTokenSpans()[3].getStart(),
                    tok.encode("房间很干净。").getCharTokenSpans()[3].getEnd()));
        }
    }

    /**
     * The bundled Chinese model's tokenizer on a sample of Chinese, mixed and punctuation-heavy text. The expected ids
     * were computed by Transformers 4.31's slow BertTokenizer (the peer) on bert-ft's imported bge-small-zh directory
     * (scripts/check-chinese-tokenizer.py compares every text of the Chinese data sets the same way). The artifact's
     * tokenizer keeps case while the vocabulary has only lower-case Latin pieces, so iPhone, BERT and CPU are [UNK]
     * in both; so are “ ” … — which the vocabulary lacks.
     */
    @Test
    @Tag("slow")
    void bgeSmallZhIdsEqualHuggingFacesOnASample() {
        try (BertTokenizer tok = BertTokenizer.load(ModelStore.resolve("bge-small-zh"), 512)) {
            assertArrayEquals(new long[] {101, 2791, 7313, 3683, 6772, 2397, 1112, 8024, 852, 3221, 4970, 2787, 2802,
                679, 2458, 8024, 4958, 3698, 679, 1922, 1962, 511, 3193, 7623, 2523, 1962, 511, 2600, 860, 679, 7231, 511,
                102}, tok.encode("房间比较干净，但是窗户打不开，空气不太好。早餐很好。总体不错。").getIds());
            assertArrayEquals(new long[] {101, 4500, 100, 8115, 100, 2864, 4638, 4212, 4275, 2523, 3926, 3251, 8024,
                100, 3563, 1798, 1762, 100, 677, 6651, 2533, 738, 679, 2714, 8013, 102},
                tok.encode("用iPhone 15 Pro拍的照片很清晰，BERT模型在CPU上跑得也不慢！").getIds());
            assertArrayEquals(new long[] {101, 100, 100, 100, 1962, 1391, 100, 8043, 8013, 8020, 6843, 7623, 1922, 2714,
                749, 8021, 100, 100, 2345, 6397, 8039, 523, 678, 3613, 524, 679, 833, 1086, 4157, 749, 9626, 102},
                tok.encode("……“好吃”？！（送餐太慢了）——差评；【下次】不会再点了～～～").getIds());
            assertArrayEquals(new long[] {101, 7768, 7710, 2523, 1962, 100, 8024, 3302, 1243, 671, 3837, 102},
                tok.encode("體驗很好\uD83D\uDE00\uD83D\uDC4D，服務一流").getIds());
            assertArrayEquals(new long[] {101, 976, 4266, 3678, 671, 2137, 6206, 3300, 1155, 1864, 6821, 3416, 4638,
                2552, 2578, 102}, tok.encode("\uFEFF做父母一定要有刘墉这样的心态").getIds());
        }
    }

    private static void assertTokens(BertTokenizer tok, String text, long[] ids) {
        Encoding e = tok.encode(text);
        assertArrayEquals(ids, e.getIds(), text + ": " + String.join(" ", e.getTokens()));
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

    /** Many adapters of one base share its tokenizer: a view encodes alike, and closing it leaves the original open. */
    @Test
    void aViewSharesTheTokenizerAndClosingItLeavesTheOriginalOpen() {
        try (BertTokenizer tok = Tiny.tokenizer(16)) {
            int[] want = java.util.Arrays.stream(tok.encode("the movie was great").getIds()).mapToInt(x -> (int) x)
                    .toArray();
            BertTokenizer view = tok.view();
            assertArrayEquals(want, java.util.Arrays.stream(view.encode("the movie was great").getIds())
                    .mapToInt(x -> (int) x).toArray());
            view.close();
            assertArrayEquals(want, java.util.Arrays.stream(tok.encode("the movie was great").getIds())
                    .mapToInt(x -> (int) x).toArray());
        }
    }
}
