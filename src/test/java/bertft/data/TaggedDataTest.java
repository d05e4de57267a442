package bertft.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import bertft.UserError;
import bertft.data.TaggedData.Scheme;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TaggedDataTest {
    @TempDir
    Path dir;

    @Test
    void readsWnut17AsItsSourceCountsIt() {
        TaggedData train = TaggedData.read(Path.of("../shared/datasets/wnut17/train.conll"), null);
        TaggedData dev = TaggedData.read(Path.of("../shared/datasets/wnut17/dev.conll"), null);
        // SOURCE.md: 3,394 / 1,009 sentences, 62,730 / 15,733 tokens (some separators in train hold a tab)
        assertEquals(3394, train.sentences().size());
        assertEquals(1009, dev.sentences().size());
        assertEquals(62730, train.sentences().stream().mapToInt(s -> s.words().size()).sum());
        assertEquals(15733, dev.sentences().stream().mapToInt(s -> s.words().size()).sum());
        assertEquals(Scheme.IOB2, TaggedData.detect(List.of(train, dev)));
        assertEquals(List.of("O", "B-corporation", "I-corporation", "B-creative-work", "I-creative-work", "B-group",
                "I-group", "B-location", "I-location", "B-person", "I-person", "B-product", "I-product"),
                TaggedData.inferLabels(List.of(train)));
        assertEquals(1, train.sentences().get(0).line());
        assertEquals("Empire", train.sentences().get(0).words().get(14));
    }

    @Test
    void conllColumnsDocstartAndWhitespaceLines() throws IOException {
        Path f = write("a.conll", "-DOCSTART- -X- O O\n\nEU NNP B-ORG\nrejects VBZ O\n \t\nPeter\tB-PER\nBlackburn\tI-PER\n");
        TaggedData d = TaggedData.read(f, null);
        assertEquals(2, d.sentences().size());
        assertEquals(List.of("B-ORG", "O"), d.sentences().get(0).tags());
        assertEquals(3, d.sentences().get(0).line());
        assertEquals(List.of("Peter", "Blackburn"), d.sentences().get(1).words());
        assertEquals(6, d.sentences().get(1).line());
    }

    @Test
    void jsonLinesWithTagsOrNerTagsNamesOrNumbers() throws IOException {
        Path f = write("a.jsonl", "{\"tokens\": [\"Paris\", \"rocks\"], \"tags\": [\"B-LOC\", \"O\"]}\n"
                + "{\"tokens\": [\"Bob\"], \"ner_tags\": [\"B-PER\"]}\n");
        assertEquals(List.of("B-PER"), TaggedData.read(f, null).sentences().get(1).tags());
        Path n = write("n.jsonl", "{\"tokens\": [\"Bob\", \"ran\"], \"ner_tags\": [1, 0]}\n");
        assertEquals(List.of("B-PER", "O"), TaggedData.read(n, List.of("O", "B-PER")).sentences().get(0).tags());
        assertEquals(n + ":1: ner_tags[0] = 1 is not a non-empty string (numbers need the task's labels: to name them)",
                error(n, null));
    }

    @Test
    void schemesAreDetectedAndEveryTagChecked() throws IOException {
        assertEquals(Scheme.IOB1, TaggedData.detect(List.of(TaggedData.read(write("a.conll", "a I-X\nb O\n"), null))));
        assertEquals(Scheme.BIOES, TaggedData.detect(List.of(TaggedData.read(write("b.conll", "a S-X\nb O\n"), null))));
        assertEquals(Scheme.BILOU, TaggedData.detect(List.of(TaggedData.read(write("c.conll", "a U-X\nb O\n"), null))));
        TaggedData bad = TaggedData.read(write("d.conll", "a B-X\nb X-Y\n"), null);
        UserError e = assertThrows(UserError.class, () -> TaggedData.detect(List.of(bad)));
        assertEquals(dir.resolve("d.conll") + ":2: tag 'X-Y' is not IOB2 (O, or B-TYPE, I-TYPE);"
                + " set tag-scheme: to the file's scheme", e.getMessage());
        e = assertThrows(UserError.class, () -> bad.check(Scheme.BIOES, List.of("O", "B-X")));
        assertTrue(e.getMessage().startsWith(dir.resolve("d.conll") + ":2: tag 'X-Y' is not BIOES"), e.getMessage());
        TaggedData unknown = TaggedData.read(write("e.conll", "a O\n\nb B-Z\n"), null);
        e = assertThrows(UserError.class, () -> unknown.check(Scheme.IOB2, List.of("O", "B-X")));
        assertEquals(dir.resolve("e.conll") + ":3: tag 'B-Z' is not one of the labels [O, B-X]", e.getMessage());
    }

    @Test
    void badFilesAreOneLineNamingFileAndLine() throws IOException {
        assertEquals(dir.resolve("a.conll") + ":2: 'rejects' has no tag column (expected 'word<TAB>tag'; sentences are"
                + " separated by blank lines)", error(write("a.conll", "EU B-ORG\nrejects\n"), null));
        assertEquals(dir.resolve("b.jsonl") + ":1: 2 tokens but 1 tags",
                error(write("b.jsonl", "{\"tokens\": [\"a\", \"b\"], \"tags\": [\"O\"]}\n"), null));
        assertEquals(dir.resolve("c.jsonl") + ":1: empty sentence (no tokens)",
                error(write("c.jsonl", "{\"tokens\": [], \"tags\": []}\n"), null));
        assertEquals(dir.resolve("d.conll") + ": no sentences (a CoNLL file has one 'word tag' per line, a blank line"
                + " between sentences)", error(write("d.conll", "\n\n"), null));
        assertEquals(dir.resolve("e.conll") + ":1: a sentence of more than 10000 words (are blank lines between"
                + " sentences missing?)", error(write("e.conll", "w O\n".repeat(100_000)), null));
        Path binary = dir.resolve("f.conll");
        Files.write(binary, new byte[] {'a', ' ', 'O', '\n', (byte) 0xff, (byte) 0xfe, 0, 1, '\n'});
        assertEquals(binary + ":2: not valid UTF-8 (is it Latin-1? re-save as UTF-8)", error(binary, null));
        assertEquals(dir.resolve("g.conll") + ":1: holds a NUL byte (is it a text file?)",
                error(write("g.conll", "a\0b O\n"), null));
    }

    private Path write(String name, String text) throws IOException {
        return Files.writeString(dir.resolve(name), text);
    }

    private static String error(Path f, List<String> labels) {
        return assertThrows(UserError.class, () -> TaggedData.read(f, labels)).getMessage();
    }
}
