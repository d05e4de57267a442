package bertft.text;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.huggingface.tokenizers.Encoding;
import bertft.UserError;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * DeBERTa-v3's {@code spm.model} without tokenizer.json: a tiny Unigram ModelProto written byte by byte here.
 * The expected ids are what SentencePiece 0.2.2 and HuggingFace's DebertaV2Converter (run on the same model,
 * with [MASK] added as the fast tokenizer adds it) give.
 */
public class SentencePieceTest {
    /** Pieces, scores and types (1 normal, 2 unknown, 3 control), in id order, laid out as DeBERTa-v3's. */
    static final Object[][] PIECES = {
        {"[PAD]", 0f, 3}, {"[CLS]", 0f, 3}, {"[SEP]", 0f, 3}, {"[UNK]", 0f, 2},
        {"\u2581", -2f, 1}, {"\u2581hello", -3f, 1}, {"\u2581world", -3.5f, 1}, {"\u2581he", -4f, 1},
        {"llo", -4.5f, 1}, {"\u2581wor", -5f, 1}, {"ld", -5f, 1},
        {"h", -6f, 1}, {"e", -6f, 1}, {"l", -6f, 1}, {"o", -6f, 1}, {"w", -6f, 1}, {"r", -6f, 1}, {"d", -6f, 1},
        {"f", -6f, 1}, {"i", -6f, 1}, {"\u2581fi", -4f, 1}, {"sh", -5f, 1}, {"s", -6f, 1}, {",", -6f, 1},
        {"!", -6f, 1},
    };

    /**
     * A precompiled charsmap mapping fullwidth ｈ ｅ ｌ ｏ to ASCII and the ligature ﬁ to "fi", compiled by
     * SentencePiece 0.2.2 from those rules (see make_charsmap.py beside it).
     */
    static byte[] charsmap() throws IOException {
        return Files.readAllBytes(Path.of("src/test/resources/text/fullwidth-charsmap.bin"));
    }

    @Test
    void unigramIdsMatchSentencePiece(@TempDir Path dir) throws IOException {
        write(dir, new byte[0], 1, "{\"do_lower_case\": false, \"vocab_type\": \"spm\"}");
        try (BertTokenizer tok = BertTokenizer.load(dir, 64)) {
            assertIds(tok, "hello world", 1, 5, 6, 2);
            assertIds(tok, "  hello   world  ", 1, 5, 6, 2); // stripped, runs of spaces as one
            assertIds(tok, "Hello world!", 1, 4, 3, 12, 8, 6, 24, 2); // H is unknown
            assertIds(tok, "dreams", 1, 4, 17, 16, 12, 3, 22, 2); // "am": unknown characters fuse into one [UNK]
            assertIds(tok, "hello\tworld", 1, 5, 3, 15, 14, 16, 10, 2); // only spaces split
            assertIds(tok, "hello, fish [MASK]", 1, 5, 23, 20, 21, 25, 2); // [MASK]: added after the 25 pieces
            assertIds(tok, "ｈｅｌｌｏ ﬁsh", 1, 4, 3, 4, 3, 21, 2); // no charsmap: fullwidth stays unknown
            Encoding pair = tok.encode("hello", "world");
            assertArrayEquals(new long[] {1, 5, 2, 6, 2}, pair.getIds());
            assertArrayEquals(new long[] {0, 0, 0, 1, 1}, pair.getTypeIds());
            assertEquals(25, tok.tokenId("[MASK]"));
            assertEquals(25, tok.maskId());
            assertEquals(5, tok.tokenId("\u2581hello"));
            Encoding e = tok.encode("Hello world!");
            // offsets point into the original text; "▁world" spans its space, as HuggingFace's fast tokenizer says
            assertEquals(" world", "Hello world!".substring(e.getCharTokenSpans()[5].getStart(),
                    e.getCharTokenSpans()[5].getEnd()));
        }
    }

    @Test
    void precompiledCharsmapIsHonoured(@TempDir Path dir) throws IOException {
        write(dir, charsmap(), 1, "{}");
        try (BertTokenizer tok = BertTokenizer.load(dir, 64)) {
            assertIds(tok, "ｈｅｌｌｏ ﬁsh", 1, 5, 20, 21, 2); // as "hello fish"
            assertIds(tok, "hello world", 1, 5, 6, 2);
        }
    }

    @Test
    void doLowerCaseAndSpecialTokensFromTheConfig(@TempDir Path dir) throws IOException {
        write(dir, new byte[0], 1, "{\"do_lower_case\": true, \"mask_token\": {\"content\": \"<mask>\"}}");
        try (BertTokenizer tok = BertTokenizer.load(dir, 64)) {
            assertIds(tok, "Hello World!", 1, 5, 6, 24, 2);
            assertEquals(25, tok.tokenId("<mask>"));
            assertEquals(-1, tok.tokenId("[MASK]"));
        }
    }

    @Test
    void savedTokenizerJsonLoadsBackTheSame(@TempDir Path tmp) throws IOException {
        Path dir = Files.createDirectories(tmp.resolve("spm"));
        Path saved = Files.createDirectories(tmp.resolve("saved"));
        write(dir, charsmap(), 1, "{\"do_lower_case\": false, \"vocab_type\": \"spm\"}");
        try (BertTokenizer tok = BertTokenizer.load(dir, 64)) {
            tok.save(saved);
        }
        assertFalse(Files.exists(saved.resolve("vocab.txt")), "no WordPiece vocab.txt for a Unigram tokenizer");
        // the repo's own config goes back: no tokenizer_class, so Python picks DeBERTa's by model_type
        com.google.gson.JsonObject config = com.google.gson.JsonParser.parseString(Files.readString(saved.resolve(
                "tokenizer_config.json"))).getAsJsonObject();
        assertEquals("spm", config.get("vocab_type").getAsString());
        assertFalse(config.has("tokenizer_class"));
        try (BertTokenizer back = BertTokenizer.load(saved, 64)) {
            assertIds(back, "ｈｅｌｌｏ ﬁsh [MASK]", 1, 5, 20, 21, 25, 2);
        }
    }

    @Test
    void missingOrUnusableTokenizerFilesAreNamed(@TempDir Path dir) throws IOException {
        UserError none = assertThrows(UserError.class, () -> BertTokenizer.load(dir, 64));
        assertTrue(none.getMessage().startsWith(dir + ": no tokenizer (needs tokenizer.json, vocab.txt"),
                none.getMessage());
        assertTrue(none.getMessage().endsWith("or DeBERTa's spm.model)"), none.getMessage());
        Files.write(dir.resolve("spm.model"), new byte[] {0x0a, 0x7f, 0x01});
        UserError corrupt = assertThrows(UserError.class, () -> BertTokenizer.load(dir, 64));
        assertTrue(corrupt.getMessage().startsWith(dir.resolve("spm.model") + ": not a SentencePiece model ("),
                corrupt.getMessage());
        write(dir, new byte[0], 2, "{}");
        UserError bpe = assertThrows(UserError.class, () -> BertTokenizer.load(dir, 64));
        assertTrue(bpe.getMessage().startsWith(dir.resolve("spm.model") + ": SentencePiece model_type 2 (BPE)"),
                bpe.getMessage());
        assertFalse(bpe.getMessage().contains("\n"));
    }

    @Test
    void parsesPiecesTrainerAndNormalizerFields() throws IOException {
        SentencePiece spm = SentencePiece.parse(model(charsmap(), 1), "spm.model");
        assertEquals(PIECES.length, spm.pieces().size());
        assertEquals(new SentencePiece.Piece("\u2581world", -3.5f, 1), spm.pieces().get(6));
        assertEquals(new SentencePiece.Piece("[UNK]", 0f, 2), spm.pieces().get(3));
        assertEquals(3, spm.unkId());
        assertEquals(1, spm.modelType());
        assertArrayEquals(charsmap(), spm.charsmap());
    }

    private static void assertIds(BertTokenizer tok, String text, long... ids) {
        Encoding e = tok.encode(text);
        assertArrayEquals(ids, e.getIds(), text + " -> " + Arrays.toString(e.getTokens()));
    }

    /** Writes spm.model and tokenizer_config.json into {@code dir}. */
    private static void write(Path dir, byte[] charsmap, int modelType, String config) throws IOException {
        Files.write(dir.resolve("spm.model"), model(charsmap, modelType));
        Files.writeString(dir.resolve("tokenizer_config.json"), config);
    }

    /**
     * A ModelProto: pieces (field 1: piece 1, score 2, type 3), trainer_spec (field 2: model_type 3, unk_id 40)
     * and normalizer_spec (field 3: name 1, precompiled_charsmap 2), with an unknown field that a reader skips.
     */
    public static byte[] model(byte[] charsmap, int modelType) {
        Proto m = new Proto();
        for (Object[] p : PIECES) {
            m.message(1, new Proto().string(1, (String) p[0]).float32(2, (Float) p[1]).varint(3, (Integer) p[2]));
        }
        m.message(2, new Proto().varint(3, modelType).varint(4, PIECES.length).varint(40, 3).string(45, "[UNK]"));
        Proto normalizer = new Proto().string(1, charsmap.length > 0 ? "user_defined" : "identity");
        if (charsmap.length > 0) {
            normalizer.bytes(2, charsmap);
        }
        m.message(3, normalizer.varint(3, 1));
        m.message(4, new Proto().string(1, "self test data, ignored"));
        return m.toBytes();
    }

    /** Protobuf's wire format, enough to write a ModelProto. */
    static final class Proto {
        private final ByteArrayOutputStream out = new ByteArrayOutputStream();

        Proto varint(int field, long v) {
            raw(field << 3);
            raw(v);
            return this;
        }

        Proto float32(int field, float f) {
            raw(field << 3 | 5);
            out.writeBytes(ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putFloat(f).array());
            return this;
        }

        Proto bytes(int field, byte[] b) {
            raw(field << 3 | 2);
            raw(b.length);
            out.writeBytes(b);
            return this;
        }

        Proto string(int field, String s) {
            return bytes(field, s.getBytes(StandardCharsets.UTF_8));
        }

        Proto message(int field, Proto m) {
            return bytes(field, m.toBytes());
        }

        byte[] toBytes() {
            return out.toByteArray();
        }

        private void raw(long v) {
            while ((v & ~0x7fL) != 0) {
                out.write((int) (v & 0x7f) | 0x80);
                v >>>= 7;
            }
            out.write((int) v);
        }
    }
}
