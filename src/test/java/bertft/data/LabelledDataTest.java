package bertft.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import bertft.UserError;
import bertft.data.TableReader.Problem;
import bertft.task.TaskFiles;
import bertft.task.TaskSpec;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LabelledDataTest {
    static final Path DATA = TableReaderTest.DATA;

    /** A task from options only; pairs of key and value. */
    private static TaskSpec task(String... keyValues) {
        Map<String, String> options = new HashMap<>();
        for (int i = 0; i < keyValues.length; i += 2) {
            options.put(keyValues[i], keyValues[i + 1]);
        }
        return TaskFiles.load(null, options);
    }

    private static LabelledData read(TaskSpec spec, String file) {
        Path path = DATA.resolve(file);
        return LabelledData.read(spec, LabelledData.labels(spec, List.of(path)), path);
    }

    private static String error(TaskSpec spec, String file) {
        return assertThrows(UserError.class, () -> read(spec, file)).getMessage().replace(DATA + "/", "");
    }

    private static final TaskSpec BINARY = task("task", "classification", "labels", "negative,positive");

    @Test
    void aStratifiedSplitKeepsEachLabelsShareAndTheSameRowsEveryTime(@TempDir Path tmp) throws IOException {
        List<String> lines = new java.util.ArrayList<>(List.of("text,label"));
        for (int i = 0; i < 100; i++) {
            lines.add("review " + i + "," + (i % 10 == 3 ? "positive" : "negative"));
        }
        Path file = Files.write(tmp.resolve("skewed.csv"), lines);
        LabelledData d = LabelledData.read(BINARY, List.of("negative", "positive"), file);
        LabelledData[] parts = d.stratifiedSplit(0.1, 7, "check-split");
        assertArrayEquals(new long[] {9, 1}, parts[1].counts(), "a tenth of each label");
        assertArrayEquals(new long[] {81, 9}, parts[0].counts());
        assertEquals(file + " (check-split 0.1)", parts[1].file());
        java.util.Set<String> held = new java.util.HashSet<>();
        parts[1].examples().forEach(e -> held.add(e.text()));
        assertTrue(parts[0].examples().stream().noneMatch(e -> held.contains(e.text())), "held-out rows not trained");
        assertEquals(held.size(), 10);
        assertEquals(parts[1].examples(), d.stratifiedSplit(0.1, 7, "check-split")[1].examples(), "the same rows");
        UserError e = assertThrows(UserError.class, () -> d.stratifiedSplit(0.999, 7, "check-split"));
        assertEquals(file + ": check-split 0.999 leaves no training examples", e.getMessage());
    }

    @Test
    void classificationExamplesKeepLineTextLabelAndRow() {
        LabelledData d = read(BINARY, "reviews.csv");
        assertEquals(4, d.size());
        Example e = d.examples().get(1);
        assertEquals(3, e.line());
        assertEquals(0, e.label());
        assertEquals("negative", e.row().get("label"));
        assertArrayEquals(new long[] {2, 2}, d.counts());
        assertEquals(DATA.resolve("reviews.csv") + ": 4 examples: negative 2, positive 2", d.summary());
    }

    @Test
    void unknownLabelNamesFileLineAndLabels() {
        assertEquals("bad-label.csv:4: label 'meh' is not one of [negative, positive] (and 1 more problem in this "
                + "file)", error(BINARY, "bad-label.csv"));
    }

    @Test
    void badInputFixtures() {
        assertEquals("no-text-column.csv: no column 'text' (columns: a, b, c)", error(BINARY, "no-text-column.csv"));
        assertEquals("empty-text.csv:3: empty text", error(BINARY, "empty-text.csv"));
        assertEquals("empty-label.csv:3: empty label", error(BINARY, "empty-label.csv"));
        assertEquals("wrong-fields.csv:3: 3 fields, but the header has 2", error(BINARY, "wrong-fields.csv"));
        assertEquals("header-only.csv: no examples", error(BINARY, "header-only.csv"));
        assertEquals("empty.csv: empty file (a header row is needed)", error(BINARY, "empty.csv"));
        assertEquals("latin1.csv:4: not valid UTF-8 (is it Latin-1? re-save as UTF-8)", error(BINARY, "latin1.csv"));
    }

    /**
     * A Chinese table saved in GBK: named as GBK in one line (not 'is it Latin-1?'), read with encoding gbk, and the
     * same text as its UTF-8 original; a UTF-8 file read as GBK fails where the first bad byte is.
     */
    @Test
    void aGbkTableIsNamedAsSuchAndReadWithEncodingGbk(@TempDir Path dir) throws IOException {
        String table = "text,label\n服务很好，早餐丰富！,positive\n房间太小，隔音差。,negative\n\"质量一般，\n还行\",positive\n";
        Path gbk = dir.resolve("reviews-gbk.csv");
        Files.write(gbk, table.getBytes(java.nio.charset.Charset.forName("GBK")));
        assertEquals(gbk + ":2: not valid UTF-8, but reads as GBK (common for Chinese files): re-save it as UTF-8, or "
                + "give --encoding gbk (task key encoding: gbk)",
                assertThrows(UserError.class, () -> LabelledData.read(BINARY, BINARY.labels(), gbk)).getMessage());
        TaskSpec asGbk = task("task", "classification", "encoding", "gbk");
        LabelledData d = LabelledData.read(asGbk, LabelledData.labels(asGbk, List.of(gbk)), gbk);
        assertEquals(List.of("服务很好，早餐丰富！", "房间太小，隔音差。", "质量一般，\n还行"),
                d.examples().stream().map(Example::text).toList());
        assertEquals(List.of(2L, 3L, 4L), d.examples().stream().map(e -> (long) e.line()).toList());

        Path utf8 = dir.resolve("reviews.csv");
        Files.writeString(utf8, "text,label\nfine,positive\n好,negative\n");
        assertEquals(utf8 + ":3: not valid GB18030 (is it UTF-8? then leave out encoding)",
                assertThrows(UserError.class, () -> LabelledData.read(asGbk, BINARY.labels(), utf8)).getMessage());
        assertEquals("latin1.csv:4: not valid UTF-8 (is it Latin-1? re-save as UTF-8)", error(BINARY, "latin1.csv"));
        assertEquals("--encoding: is for table tasks; token-classification files are read as UTF-8 (re-save as UTF-8)",
                assertThrows(UserError.class, () -> task("task", "token-classification", "train", "t.conll",
                        "encoding", "gbk")).getMessage());
    }

    @Test
    void labelsAreInferredSortedWhenTheTaskHasNone() {
        TaskSpec spec = task("task", "classification");
        assertEquals(List.of("negative", "positive"), LabelledData.labels(spec, List.of(DATA.resolve("bad-label.csv")))
                .subList(1, 3));
        assertEquals(List.of("meh", "negative", "positive", "so-so"),
                LabelledData.inferLabels(spec, List.of(DATA.resolve("bad-label.csv"))));
        TaskSpec multi = task("task", "multilabel", "label-column", "labels");
        assertEquals(List.of("confusion", "gratitude", "joy"), LabelledData.inferLabels(multi,
                List.of(DATA.resolve("emotions.csv"))));
    }

    @Test
    void severalTrainingFilesAreReadAsOneTable(@TempDir Path dir) throws IOException {
        Path more = dir.resolve("more.csv");
        Files.writeString(more, "rating,label,text\n5,positive,fine\n1,neutral,so so\n");
        List<Path> files = List.of(DATA.resolve("reviews.csv"), more);
        TaskSpec inferred = task("task", "classification");
        assertEquals(List.of("negative", "neutral", "positive"), LabelledData.inferLabels(inferred, files));
        List<String> labels = List.of("negative", "neutral", "positive");
        LabelledData d = LabelledData.read(inferred, labels, files);
        assertEquals(6, d.size());
        assertEquals(List.of("fine", "so so"), d.examples().subList(4, 6).stream().map(Example::text).toList());
        assertEquals(3, d.examples().get(5).line());
        assertArrayEquals(new long[] {2, 1, 3}, d.counts());
        assertEquals(DATA.resolve("reviews.csv") + " + " + more + ": 6 examples: negative 2, neutral 1, positive 3",
                d.summary());
        assertEquals(more + ":3: label 'neutral' is not one of [negative, positive]",
                assertThrows(UserError.class, () -> LabelledData.read(BINARY, BINARY.labels(), files)).getMessage());
    }

    @Test
    void sentimentMapsRatingsAndCountsTheSkippedOnes() {
        TaskSpec spec = task("task", "sentiment");
        LabelledData d = read(spec, "ratings.csv");
        assertEquals(List.of("negative", "positive"), d.labels());
        assertEquals(4, d.size());
        assertEquals(List.of(1, 0, 0, 1), d.examples().stream().map(Example::label).toList());
        assertEquals(Map.of("3", 2L), d.skippedRatings());
        assertEquals(2, d.skipped());
        assertTrue(d.summary().endsWith(": 4 examples: negative 2, positive 2; 2 rows skipped, rating not in "
                + "sentiment-map: 3 (2)"), d.summary());
        TaskSpec three = task("task", "sentiment", "sentiment-map", "{negative: [1, 2], neutral: [3], positive: [4, 5]}");
        assertEquals(6, read(three, "ratings.csv").size());
        assertEquals("bad-rating.csv:3: rating 'three' is not a number", error(spec, "bad-rating.csv"));
        assertEquals("reviews.csv: no column 'rating' (columns: text, label)", error(spec, "reviews.csv"));
    }

    @Test
    void multilabelCellsSplitOnTheSeparator() {
        TaskSpec spec = task("task", "multilabel", "label-column", "labels", "labels", "confusion,gratitude,joy");
        LabelledData d = read(spec, "emotions.csv");
        assertArrayEquals(new int[] {1, 2}, d.examples().get(0).labels());
        assertArrayEquals(new int[0], d.examples().get(2).labels());
        assertArrayEquals(new int[] {1, 2}, d.examples().get(3).labels()); // joy given twice counts once
        assertArrayEquals(new boolean[] {false, true, true}, d.examples().get(0).multiHot(3));
        assertArrayEquals(new long[] {1, 2, 2}, d.counts());
        assertEquals("emotions-unknown.csv:2: label 'thanks' is not one of [confusion, gratitude, joy]",
                error(spec, "emotions-unknown.csv"));
        LabelledData json = read(spec, "emotions.jsonl");
        assertArrayEquals(new int[] {1, 2}, json.examples().get(0).labels());
        assertArrayEquals(new int[0], json.examples().get(1).labels());
    }

    @Test
    void regressionTargetsAreNumbers() {
        TaskSpec spec = task("task", "regression", "label-column", "score");
        LabelledData d = read(spec, "scores.csv");
        assertEquals(List.of(4.5, 0.0, 5.0), d.examples().stream().map(Example::value).toList());
        assertEquals(List.of(), d.labels());
        assertTrue(d.summary().endsWith(": 3 examples: mean 3.167, min 0.000, max 5.000"), d.summary());
        assertEquals("bad-score.csv:2: label 'high' is not a number", error(spec, "bad-score.csv"));
    }

    @Test
    void sentencePairsReadTheSecondColumn() {
        TaskSpec spec = task("task", "classification", "text-column", "premise", "text-pair-column", "hypothesis",
                "labels", "entailment,neutral,contradiction");
        LabelledData d = read(spec, "pairs.tsv");
        assertEquals("The dog is dry.", d.examples().get(1).textPair());
        assertEquals(2, d.examples().get(1).label());
    }

    @Test
    void unlabelledRowsStreamWithTheirColumns() {
        List<Problem> problems = new ArrayList<>();
        try (TableReader t = TableReader.open(DATA.resolve("empty-text.csv"), TableReader.FAIL);
                Stream<Example> s = LabelledData.unlabelled(t, BINARY, problems::add)) {
            List<Example> examples = s.toList();
            assertEquals(1, examples.size());
            assertEquals("positive", examples.get(0).row().get("label"));
            assertEquals(-1, examples.get(0).label());
        }
        assertEquals(List.of(3), problems.stream().map(Problem::line).toList());
    }

    @Test
    void balancedClassWeights() {
        // sklearn compute_class_weight("balanced", classes=[0,1,2], y=[0]*6+[1]*3+[2]) = 10/(3*[6,3,1]).
        assertArrayEquals(new double[] {10.0 / 18, 10.0 / 9, 10.0 / 3}, ClassWeights.balanced(new long[] {6, 3, 1}, 10),
                1e-12);
        assertArrayEquals(new double[] {0.5, 1.0}, ClassWeights.balanced(new long[] {4, 0}, 4)); // absent class: 1
        LabelledData d = read(task("task", "sentiment", "class-weights", "balanced"), "ratings.csv");
        assertArrayEquals(new double[] {1.0, 1.0}, ClassWeights.of(task("task", "sentiment", "class-weights",
                "balanced"), d));
    }
}
