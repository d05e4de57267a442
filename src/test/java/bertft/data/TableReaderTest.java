package bertft.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import bertft.UserError;
import bertft.data.TableReader.Format;
import bertft.data.TableReader.Problem;
import bertft.data.TableReader.Row;
import java.io.IOException;
import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TableReaderTest {
    static final Path DATA = Path.of("src/test/resources/data");

    @TempDir
    Path dir;

    private static List<Row> rows(String file, List<Problem> problems) {
        return rows(file, problems::add);
    }

    private static List<Row> rows(String file, Consumer<Problem> onBadRow) {
        try (TableReader t = TableReader.open(DATA.resolve(file), onBadRow)) {
            List<Row> out = new ArrayList<>();
            t.forEach(out::add);
            return out;
        }
    }

    private static String error(String file) {
        return assertThrows(UserError.class, () -> rows(file, TableReader.FAIL)).getMessage()
                .replace(DATA + "/", "");
    }

    @Test
    void csvRowsKnowTheLineTheyStartOn() {
        // BOM, CRLF, a quoted line break (lines 3-4), a blank line (5), doubled quotes, no final newline.
        List<Problem> problems = new ArrayList<>();
        List<Row> rows = rows("reviews.csv", problems);
        assertEquals(List.of(2, 3, 6, 7), rows.stream().map(Row::line).toList());
        assertEquals("Stopped charging after a week.\r\nSupport never answered.", rows.get(1).get("text"));
        assertEquals("Fits well, and the \"waterproof\" claim held up in rain.", rows.get(2).get("text"));
        assertEquals(List.of("text", "label"), List.copyOf(rows.get(0).values().keySet()));
        assertEquals(List.of(), problems);
        try (TableReader t = TableReader.open(DATA.resolve("reviews.csv"), TableReader.FAIL)) {
            assertEquals(List.of("text", "label"), t.columns()); // BOM not in the first name
        }
    }

    @Test
    void rowWithWrongFieldCountGoesToTheCallbackAndReadingGoesOn() {
        List<Problem> problems = new ArrayList<>();
        List<Row> rows = rows("wrong-fields.csv", problems);
        assertEquals(List.of(2, 4), rows.stream().map(Row::line).toList());
        assertEquals(List.of(new Problem(DATA.resolve("wrong-fields.csv").toString(), 3,
                "3 fields, but the header has 2")), problems);
        assertEquals("wrong-fields.csv:3: 3 fields, but the header has 2", error("wrong-fields.csv"));
    }

    @Test
    void brokenQuotingIsReportedAndEndsTheReading() {
        List<Problem> problems = new ArrayList<>();
        assertEquals(1, rows("broken-quotes.csv", problems).size());
        assertEquals(3, problems.get(0).line());
        assertEquals("broken-quotes.csv:3: broken quoting (a quoted field must end with \" before the next separator,"
                + " and \" inside it is written \"\"); stopped reading here", error("broken-quotes.csv"));
        problems.clear();
        assertEquals(1, rows("unclosed-quote.csv", problems).size());
        assertEquals(3, problems.get(0).line());
    }

    @Test
    void badBytesStopReadingAtTheirLine() {
        assertEquals("latin1.csv:4: not valid UTF-8 (is it Latin-1? re-save as UTF-8)", error("latin1.csv"));
    }

    @Test
    void badByteFarIntoALargeFileIsBlamedOnItsOwnLine() throws IOException {
        StringBuilder sb = new StringBuilder("text,label\n");
        for (int i = 2; i < 5000; i++) {
            sb.append("row number ").append(i).append(" with some padding text,ok\n");
        }
        byte[] good = sb.toString().getBytes(StandardCharsets.UTF_8);
        byte[] bad = "caf\u00e9,ok\nlast,ok\n".getBytes(StandardCharsets.ISO_8859_1);
        byte[] all = new byte[good.length + bad.length];
        System.arraycopy(good, 0, all, 0, good.length);
        System.arraycopy(bad, 0, all, good.length, bad.length);
        for (String ext : List.of("csv", "jsonl")) {
            Path f = dir.resolve("big." + ext);
            Files.write(f, ext.equals("csv") ? all
                    : new String(all, StandardCharsets.ISO_8859_1).replaceAll("(?m)^(.*),ok$", "{\"text\": \"$1\"}")
                            .replaceFirst("^text,label\n", "\n") // a blank line keeps the line numbers
                            .getBytes(StandardCharsets.ISO_8859_1));
            String message = assertThrows(UserError.class, () -> {
                try (TableReader t = TableReader.open(f, p -> { })) {
                    t.forEach(r -> { });
                }
            }).getMessage();
            assertEquals(f + ":5000: not valid UTF-8 (is it Latin-1? re-save as UTF-8)", message);
        }
    }

    @Test
    void emptyAndMalformedHeadersAreErrors() {
        assertEquals("empty.csv: empty file (a header row is needed)", error("empty.csv"));
        assertEquals(List.of(), rows("header-only.csv", new ArrayList<>()));
        assertEquals("duplicate-column.csv:1: column 'text' appears twice in the header", error("duplicate-column.csv"));
        assertEquals("notes.txt: unknown table format; use .csv, .tsv, .tab or .jsonl",
                assertThrows(UserError.class, () -> Format.of(Path.of("notes.txt"))).getMessage());
        assertEquals("nope.csv: no such file", error("nope.csv"));
    }

    @Test
    void tsvAllowsQuotedLineBreaks() {
        List<Row> rows = rows("pairs.tsv", new ArrayList<>());
        assertEquals(List.of(2, 3), rows.stream().map(Row::line).toList());
        assertEquals("A dog, wet\nfrom rain.", rows.get(1).get("premise"));
        assertEquals("contradiction", rows.get(1).get("label"));
    }

    @Test
    void jsonLinesReportBadLinesAndKeepGoing() {
        List<Problem> problems = new ArrayList<>();
        List<Row> rows = rows("rows.jsonl", problems);
        assertEquals(List.of(1, 5), rows.stream().map(Row::line).toList());
        assertEquals("7", rows.get(0).get("id"));
        assertEquals("[\"a\",\"b\"]", rows.get(1).get("tags"));
        assertEquals(List.of(3, 4), problems.stream().map(Problem::line).toList());
        assertEquals("bad JSON: End of input at column 50 (one object per line is expected)",
                problems.get(0).message());
        assertEquals("expected a JSON object, got [\"not\", \"an\", \"object\"]", problems.get(1).message());
        try (TableReader t = TableReader.open(DATA.resolve("rows.jsonl"), p -> { })) {
            assertEquals(List.of("text", "label", "id"), t.columns());
        }
    }

    @Test
    void readsAnyReaderAsAStream() {
        String csv = "id,text\nr1,first\nr2,second\n";
        try (TableReader t = TableReader.open(new StringReader(csv), "stdin", Format.CSV, TableReader.FAIL);
                Stream<Row> rows = t.rows()) {
            assertEquals(List.of(Map.of("id", "r1", "text", "first"), Map.of("id", "r2", "text", "second")),
                    rows.map(Row::values).toList());
        }
        assertEquals("reading standard input needs an explicit format (csv, tsv or jsonl)",
                assertThrows(UserError.class, () -> TableReader.open(Path.of("-"), TableReader.FAIL)).getMessage());
    }
}
