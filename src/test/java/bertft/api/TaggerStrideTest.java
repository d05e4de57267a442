package bertft.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.huggingface.tokenizers.Encoding;
import bertft.Tiny;
import bertft.cli.CliTest;
import bertft.infer.EntityGrouping;
import bertft.infer.EntityGrouping.Aggregation;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Raw text longer than the model's max length, tagged in windows sharing {@code stride} pieces as HuggingFace's
 * pipeline does with {@code stride}: no text lost, each window's entities as if it were tagged alone, overlaps
 * resolved by the pipeline's aggregate_overlapping_entities.
 */
class TaggerStrideTest {
    /** Words the tiny vocabulary holds whole, so a window's text tokenizes alone into the same pieces. */
    static final String[] WORDS = {"the", "man", "and", "guitar", "music", "was", "it", "good", "phone", "price",
        "day", "time", "food", "woman", "movie", "great", "bad", "love"};

    @Test
    void aLongTextIsTaggedWindowByWindowWithNothingLost(@TempDir Path tmp) throws java.io.IOException {
        Path model = Tiny.tagger(tmp.resolve("tagger"), 11, 12, "O", "B-person", "I-person", "B-work", "I-work");
        Random r = new Random(3);
        List<String> words = new ArrayList<>();
        for (int i = 0; i < 31; i++) {
            words.add(WORDS[r.nextInt(WORDS.length)]);
        }
        String text = String.join(" ", words);
        try (Tagger t = Tagger.load(model.toString())) {
            assertEquals(10, t.windowPieces(), "[CLS] and [SEP] in a window of 12");
            try (var tok = Tiny.tokenizer(64)) {
                assertEquals(WORDS.length + 2, tok.encode(String.join(" ", WORDS)).getIds().length, "a piece a word");
            }
            int stride = 4; // windows start every 6 pieces: words 0-9, 6-15, 12-21, 18-27, 24-30
            for (Aggregation how : List.of(Aggregation.SIMPLE, Aggregation.FIRST, Aggregation.NONE)) {
                List<EntityGrouping.Entity> expected = new ArrayList<>();
                for (int from = 0; ; from += 10 - stride) {
                    int to = Math.min(words.size(), from + 10);
                    int offset = String.join(" ", words.subList(0, from)).length() + (from == 0 ? 0 : 1);
                    String window = String.join(" ", words.subList(from, to));
                    for (Tagger.Entity e : t.tag(List.of(window), how, stride).get(0)) {
                        expected.add(new EntityGrouping.Entity(e.entityGroup(), e.score(), e.word(),
                                e.start() + offset, e.end() + offset, e.index() < 0 ? -1 : e.index() + from));
                    }
                    if (to == words.size()) {
                        break;
                    }
                }
                expected = EntityGrouping.overlapping(expected);
                List<Tagger.Entity> got = t.tag(List.of(text), how, stride).get(0);
                assertEquals(expected.size(), got.size(), how + ": " + got);
                for (int i = 0; i < got.size(); i++) {
                    EntityGrouping.Entity e = expected.get(i);
                    Tagger.Entity g = got.get(i);
                    assertEquals(List.of(e.label(), e.word(), e.start(), e.end(), e.index()),
                            List.of(g.entityGroup(), g.word(), g.start(), g.end(), g.index()), how + " " + i);
                    assertEquals(e.score(), g.score(), 1e-5);
                    assertEquals(g.word().replace(" ", ""), text.substring(g.start(), g.end()).replace(" ", ""));
                }
                int firstWindowEnd = String.join(" ", words.subList(0, 10)).length();
                assertTrue(got.stream().anyMatch(e -> e.start() > firstWindowEnd), how + ": text past the first window"
                        + " is tagged: " + got);
            }
            // the default: the model's doc-stride, half a window
            assertEquals(5, t.stride());
            assertEquals(t.tag(List.of(text), Aggregation.SIMPLE, 5), t.tag(List.of(text), Aggregation.SIMPLE));
            // a text that fits is one window: the same with any stride
            String fits = String.join(" ", words.subList(0, 10));
            assertEquals(t.tag(List.of(fits), Aggregation.SIMPLE, 0), t.tag(List.of(fits), Aggregation.SIMPLE, 9));
        }
        var bad = CliTest.run("tag", "--model", model.toString(), "--stride", "10", "--text", text);
        assertEquals(2, bad.code());
        assertEquals("bert-ft: --stride 10: must be less than the 10 word pieces a window of this model holds (max"
                + " length 12); the default is half of them", bad.err().strip());
        var negative = CliTest.run("tag", "--model", model.toString(), "--stride", "-1", "--text", text);
        assertEquals(2, negative.code());
        assertTrue(negative.err().contains("--stride"), negative.err());
        var ok = CliTest.run("tag", "--model", model.toString(), "--stride", "2", "--json", "--text", text);
        assertEquals(0, ok.code(), ok.err());
        // a CoNLL sentence longer than a window: every word tagged, with the stride given
        Path conll = tmp.resolve("long.conll");
        java.nio.file.Files.write(conll, words);
        var tagged = CliTest.run("tag", conll.toString(), "--model", model.toString(), "--stride", "3");
        assertEquals(0, tagged.code(), tagged.err());
        assertEquals(words.size(), tagged.out().lines().filter(l -> l.matches("\\S+\t\\S+")).count(), tagged.out());
        var tooMuch = CliTest.run("tag", conll.toString(), "--model", model.toString(), "--stride", "12");
        assertEquals(2, tooMuch.code());
        assertTrue(tooMuch.err().contains("--stride 12: must be less than the 10 word pieces"), tooMuch.err());
    }
}
