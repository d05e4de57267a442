package bertft.data;

import bertft.JsonMessages;
import bertft.UserError;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.Gson;
import com.google.gson.Strictness;
import com.google.gson.stream.JsonReader;
import java.io.BufferedReader;
import java.io.Closeable;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.Reader;
import java.io.StringReader;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.Charset;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.Spliterator;
import java.util.Spliterators;
import java.util.function.Consumer;
import java.util.stream.Stream;
import java.util.stream.StreamSupport;
import org.apache.commons.csv.CSVException;
import org.apache.commons.csv.CSVFormat;
import org.apache.commons.csv.CSVParser;
import org.apache.commons.csv.CSVRecord;

/**
 * Streams the rows of a CSV, TSV or JSON-lines table, each with the line it starts on, in constant memory.
 *
 * <p>CSV and TSV (RFC 4180 quoting, quoted line breaks, CRLF or LF) need a header row; JSON lines hold one
 * object per line, whose keys are the columns. Input must be UTF-8 (a BOM is dropped), or GBK when asked;
 * anything else stops reading with the line where decoding failed (a file that reads as GBK is named as such). A
 * row that cannot be read (wrong number of fields, bad JSON) goes to the {@code onBadRow} callback with its line and reading goes on; broken CSV quoting also goes there, but
 * ends the reading, since the parser cannot find the next row. Pass {@link #FAIL} to stop at the first bad row.
 */
public final class TableReader implements Closeable, Iterable<TableReader.Row> {

    /** Callback that turns a bad row into a {@link UserError}. */
    public static final Consumer<Problem> FAIL = p -> {
        throw new UserError(p.toString());
    };

    /** Table formats, chosen by file extension unless given. */
    public enum Format {
        CSV, TSV, JSONL;

        /** The format of {@code file} by extension: .csv, .tsv/.tab, .jsonl/.ndjson/.json (one object per line). */
        public static Format of(Path file) {
            String name = file.getFileName().toString().toLowerCase(Locale.ROOT);
            String ext = name.substring(name.lastIndexOf('.') + 1);
            return switch (ext) {
                case "csv" -> CSV;
                case "tsv", "tab" -> TSV;
                case "jsonl", "ndjson", "json" -> JSONL;
                default -> throw new UserError(file + ": unknown table format; use .csv, .tsv, .tab or .jsonl");
            };
        }
    }

    /**
     * One row.
     *
     * @param line the 1-based line the row starts on
     * @param values column name to cell text, in column order (JSON: strings and numbers as written, lists and
     *     objects as JSON text, null as no cell)
     * @param json the object as read, with its JSON types (JSON lines); null for CSV and TSV
     */
    public record Row(int line, Map<String, String> values, JsonObject json) {
        /** A CSV or TSV row. */
        public Row(int line, Map<String, String> values) {
            this(line, values, null);
        }

        /** The cell of {@code column}, or null when this row has none (JSON lines without that key). */
        public String get(String column) {
            return values.get(column);
        }

        /**
         * What is wrong with the cell of {@code column} as a text, or null when it is one: JSON numbers, lists,
         * objects and booleans are not texts (their JSON would be classified instead).
         */
        public String notText(String column) {
            JsonElement v = json == null ? null : json.get(column);
            if (v == null || v.isJsonPrimitive() && v.getAsJsonPrimitive().isString()) {
                return null;
            }
            String kind = v.isJsonNull() ? "null" : v.isJsonArray() ? "a list" : v.isJsonObject() ? "an object"
                    : v.getAsJsonPrimitive().isNumber() ? "a number" : "true/false";
            return "'" + column + "' is " + kind + ", not a string";
        }
    }

    /**
     * A row that could not be read or used.
     *
     * @param file the file as named to the reader
     * @param line the 1-based line the row starts on
     * @param message what is wrong
     */
    public record Problem(String file, int line, String message) {
        @Override
        public String toString() {
            return file + ":" + line + ": " + message;
        }
    }

    private static final Gson GSON = new Gson();

    private final String name;
    /** The file read, for a second look at its bytes when decoding fails; null for standard input or a Reader. */
    private final Path file;
    private final Charset charset;
    /** What to do about a GBK file: readers opened with a charset serve commands that take --encoding. */
    private final String gbkAdvice;
    private final Reader reader;
    private final Format format;
    private final boolean formatFromName;
    private final Consumer<Problem> onBadRow;
    private final RowSource source;
    private Row next;
    private boolean done;

    private TableReader(String name, Path file, Charset charset, String gbkAdvice, Reader reader, Format format,
            boolean formatFromName, Consumer<Problem> onBadRow) {
        this.name = name;
        this.file = file;
        this.charset = charset;
        this.gbkAdvice = gbkAdvice;
        this.format = format;
        this.formatFromName = formatFromName;
        this.reader = reader;
        this.onBadRow = onBadRow;
        this.source = format == Format.JSONL ? new JsonLines() : new Delimited(format);
    }

    /** Opens {@code file}, format by extension. */
    public static TableReader open(Path file, Consumer<Problem> onBadRow) {
        return open(file, null, onBadRow);
    }

    /**
     * Opens {@code file} in {@code format} (null: by extension); {@code -} reads standard input, which needs the
     * format.
     */
    public static TableReader open(Path file, Format format, Consumer<Problem> onBadRow) {
        return open(file, format, StandardCharsets.UTF_8, "re-save it as UTF-8 (iconv -f gbk -t utf-8)", onBadRow);
    }

    /**
     * Opens {@code file} as {@link #open(Path, Format, Consumer)} does, decoded from {@code charset}: for the
     * commands that take {@code --encoding} (the task key {@code encoding}).
     */
    public static TableReader open(Path file, Format format, Charset charset, Consumer<Problem> onBadRow) {
        return open(file, format, charset, "re-save it as UTF-8, or give --encoding gbk (task key encoding: gbk)",
                onBadRow);
    }

    private static TableReader open(Path file, Format format, Charset charset, String gbkAdvice,
            Consumer<Problem> onBadRow) {
        boolean stdin = file.toString().equals("-");
        if (stdin && format == null) {
            throw new UserError("reading standard input needs an explicit format (csv, tsv or jsonl)");
        }
        Format f = format != null ? format : Format.of(file);
        InputStream in;
        try {
            // Standard input stays open for whoever else reads it.
            in = stdin ? new FilterInputStream(System.in) {
                @Override
                public void close() {}
            } : Files.newInputStream(file);
        } catch (NoSuchFileException e) {
            throw new UserError(file + ": no such file");
        } catch (IOException e) {
            throw new UserError(file + ": cannot read: " + e.getMessage());
        }
        return open(new Utf8Reader(in, charset, Utf8Reader.MAX_LINE), stdin ? "stdin" : file.toString(),
                stdin ? null : file, charset, gbkAdvice, f, format == null, onBadRow);
    }

    /** Reads already-decoded text; {@code name} is used in messages. The header (CSV/TSV) is read now. */
    public static TableReader open(Reader reader, String name, Format format, Consumer<Problem> onBadRow) {
        return open(reader, name, null, StandardCharsets.UTF_8, null, format, false, onBadRow);
    }

    private static TableReader open(Reader reader, String name, Path file, Charset charset, String gbkAdvice,
            Format format, boolean formatFromName, Consumer<Problem> onBadRow) {
        TableReader t = new TableReader(name, file, charset, gbkAdvice, new BufferedReader(reader, 1 << 16), format,
                formatFromName, onBadRow);
        try {
            t.source.start();
        } catch (RuntimeException e) {
            t.close();
            throw e;
        }
        return t;
    }

    /** The name used in messages: the path as given, or {@code stdin}. */
    public String name() {
        return name;
    }

    /** Column names: the header row, or the keys of the first JSON object. */
    public List<String> columns() {
        return source.columns();
    }

    /** The rows not read yet: a table is read once, so every iterator continues where the last one stopped. */
    @Override
    public Iterator<Row> iterator() {
        return new Iterator<>() {
            @Override
            public boolean hasNext() {
                if (next == null && !done) {
                    next = source.read();
                    done = next == null;
                }
                return next != null;
            }

            @Override
            public Row next() {
                if (!hasNext()) {
                    throw new NoSuchElementException();
                }
                Row r = next;
                next = null;
                return r;
            }
        };
    }

    /** The rows as a sequential stream; closing the stream closes the reader. */
    public Stream<Row> rows() {
        return StreamSupport.stream(Spliterators.spliteratorUnknownSize(iterator(), Spliterator.ORDERED), false)
                .onClose(this::close);
    }

    @Override
    public void close() {
        try {
            reader.close();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * The error for a failed read: bad UTF-8 or an overlong line on the line {@link Utf8Reader} counted (else
     * {@code fallback}), or the system's reason.
     */
    private UserError readError(IOException e, long fallback) {
        if (e instanceof CharacterCodingException) {
            long line = e instanceof Utf8Reader.Malformed m ? m.line : fallback;
            if (!charset.equals(StandardCharsets.UTF_8)) {
                return new UserError(name + ":" + line + ": not valid " + charset.name() + " (is it UTF-8? then leave"
                        + " out encoding)");
            }
            if (file != null && readsAsGbk(file)) {
                return new UserError(name + ":" + line + ": not valid UTF-8, but reads as GBK (common for Chinese"
                        + " files): " + gbkAdvice);
            }
            return new UserError(name + ":" + line + ": not valid UTF-8 (is it Latin-1? re-save as UTF-8)");
        }
        if (e instanceof Utf8Reader.LineTooLong l) {
            return new UserError(name + ":" + l.line + ": more than " + Utf8Reader.MAX_LINE + " characters without a "
                    + "line break (is it a text table?)");
        }
        return new UserError(name + ":" + fallback + ": cannot read: " + e.getMessage());
    }

    /**
     * Whether the first MiB of {@code file} decodes as GBK (GB18030, its superset) with Chinese characters in it:
     * Latin-1 bytes rarely form valid GBK pairs, and plain ASCII would have been valid UTF-8.
     */
    static boolean readsAsGbk(Path file) {
        byte[] head;
        long size;
        try (InputStream in = Files.newInputStream(file)) {
            head = in.readNBytes(1 << 20);
            size = Files.size(file);
        } catch (IOException e) {
            return false;
        }
        CharsetDecoder gbk = Charset.forName("GB18030").newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT).onUnmappableCharacter(CodingErrorAction.REPORT);
        java.nio.CharBuffer chars = java.nio.CharBuffer.allocate(head.length);
        // A multi-byte character cut at the 1 MiB mark is not an error: the end counts only when it is the file's.
        if (gbk.decode(ByteBuffer.wrap(head), chars, head.length == size).isError()) {
            return false;
        }
        chars.flip();
        // Chinese text has runs of characters; Latin-1 accents read as GBK give lone ones ('Crème': 'Cr', one, 'e').
        int[] cps = chars.codePoints().toArray();
        int han = 0;
        int inRuns = 0;
        for (int i = 0; i < cps.length; i++) {
            if (Character.UnicodeScript.of(cps[i]) == Character.UnicodeScript.HAN) {
                han++;
                inRuns += i > 0 && Cjk.chinese(cps[i - 1]) || i + 1 < cps.length && Cjk.chinese(cps[i + 1]) ? 1 : 0;
            }
        }
        return han > 0 && 2 * inRuns >= han;
    }

    /** The end of a message about content of format {@code looksLike}: how this file came to be read otherwise. */
    private String readAs(Format looksLike) {
        String ext = looksLike.name().toLowerCase(Locale.ROOT);
        return ", but is read as " + (format == Format.JSONL ? "JSON lines" : format.name()) + (formatFromName
                ? " because of its name; rename it ." + ext : " (--format); use --format " + ext);
    }

    /** Drops a leading byte-order mark, which would otherwise become part of the first column name. */
    private void skipBom() throws IOException {
        reader.mark(1);
        if (reader.read() != '\uFEFF') {
            reader.reset();
        }
    }

    private interface RowSource {
        void start();

        List<String> columns();

        /** The next good row, or null at the end. */
        Row read();
    }

    /** CSV and TSV through Commons CSV, tracking lines since record numbers are not line numbers. */
    private final class Delimited implements RowSource {
        private final CSVFormat format;
        private CSVParser parser;
        private Iterator<CSVRecord> records;
        private List<String> columns;

        Delimited(Format f) {
            // RFC 4180 keeps blank lines as one-empty-field records, so line counting stays exact; they are skipped.
            format = CSVFormat.RFC4180.builder().setDelimiter(f == Format.TSV ? '\t' : ',')
                    .setIgnoreEmptyLines(false).get();
        }

        @Override
        public void start() {
            try {
                skipBom();
                parser = format.parse(reader);
            } catch (IOException e) {
                throw readError(e, 1);
            }
            records = parser.iterator();
            Numbered header = nextRecord();
            if (header == null) {
                throw new UserError(name + ": empty file (a header row is needed)");
            }
            columns = header(header.record().toList(), header.line());
        }

        @Override
        public List<String> columns() {
            return columns;
        }

        @Override
        public Row read() {
            for (Numbered n = nextRecord(); n != null; n = nextRecord()) {
                if (n.record().size() != columns.size()) {
                    onBadRow.accept(new Problem(name, n.line(), n.record().size() + " fields, but the header has "
                            + columns.size()));
                    continue;
                }
                Map<String, String> values = new LinkedHashMap<>();
                for (int i = 0; i < columns.size(); i++) {
                    values.put(columns.get(i), n.record().get(i));
                }
                return new Row(n.line(), Collections.unmodifiableMap(values));
            }
            return null;
        }

        /** The next non-blank record and the line it starts on; null at the end or after broken quoting. */
        private Numbered nextRecord() {
            while (true) {
                // Lines completed before this record, so the record starts on the next one.
                int line = (int) parser.getCurrentLineNumber() + 1;
                CSVRecord record;
                try {
                    if (!records.hasNext()) {
                        return null;
                    }
                    record = records.next();
                } catch (UncheckedIOException e) {
                    if (e.getCause() instanceof CharacterCodingException
                            || e.getCause() instanceof Utf8Reader.LineTooLong) {
                        throw readError(e.getCause(), line);
                    }
                    if (e.getCause() instanceof CSVException) {
                        onBadRow.accept(new Problem(name, line, "broken quoting (a quoted field must end with"
                                + " \" before the next separator, and \" inside it is written \"\"); stopped reading"
                                + " here"));
                        return null;
                    }
                    throw new UserError(name + ":" + line + ": cannot read: " + e.getCause().getMessage());
                }
                if (record.size() > 1 || !record.get(0).isEmpty()) {
                    return new Numbered(line, record);
                }
            }
        }

        private List<String> header(List<String> names, int line) {
            if (names.get(0).strip().startsWith("{")) {
                throw new UserError(name + ":" + line + ": the header looks like JSON lines (" + abbreviate(String.join(
                        ",", names)) + ")" + readAs(Format.JSONL));
            }
            List<String> out = new ArrayList<>();
            for (String n : names) {
                String s = n.strip();
                if (s.isEmpty()) {
                    throw new UserError(name + ":" + line + ": column " + (out.size() + 1) + " of the header has no name");
                }
                if (out.contains(s)) {
                    throw new UserError(name + ":" + line + ": column '" + s + "' appears twice in the header");
                }
                out.add(s);
            }
            return List.copyOf(out);
        }
    }

    /** One JSON object per line; blank lines are skipped. */
    private final class JsonLines implements RowSource {
        private final BufferedReader lines = (BufferedReader) reader;
        private int lineNumber;
        private Row first;
        private List<String> columns = List.of();
        private boolean started;

        @Override
        public void start() {
            try {
                skipBom();
            } catch (IOException e) {
                throw readError(e, 1);
            }
            first = read();
            if (first != null) {
                columns = List.copyOf(first.values().keySet());
            }
        }

        /**
         * A first line that is not even trying to be a JSON object is the wrong format, not a bad row: say what it
         * looks like instead of skipping every line and reporting an empty file.
         */
        private void checkFirst(String text) {
            String t = text.strip();
            if (t.startsWith("{")) {
                return;
            }
            String found = t.startsWith("[") ? "it starts a JSON list (JSON lines hold one {...} object per line, "
                    + "not one JSON document)"
                    : t.contains("\t") ? "it looks like TSV (" + abbreviate(t) + ")" + readAs(Format.TSV)
                    : t.contains(",") ? "it looks like CSV (" + abbreviate(t) + ")" + readAs(Format.CSV)
                    : "found " + abbreviate(t);
            throw new UserError(name + ":" + lineNumber + ": not a JSON object: " + found);
        }

        @Override
        public List<String> columns() {
            return columns;
        }

        @Override
        public Row read() {
            if (first != null) {
                Row r = first;
                first = null;
                return r;
            }
            while (true) {
                String text;
                try {
                    text = lines.readLine();
                } catch (IOException e) {
                    throw readError(e, lineNumber + 1);
                }
                if (text == null) {
                    return null;
                }
                lineNumber++;
                if (text.isBlank()) {
                    continue;
                }
                if (!started) {
                    started = true;
                    checkFirst(text);
                }
                Row row = parse(text);
                if (row != null) {
                    return row;
                }
            }
        }

        private Row parse(String text) {
            JsonElement json;
            try (JsonReader in = new JsonReader(new StringReader(text))) {
                // Strict: Gson's default leniency would take single quotes, unquoted names and trailing text.
                in.setStrictness(Strictness.STRICT);
                json = GSON.getAdapter(JsonElement.class).read(in);
                in.peek();
            } catch (IOException | JsonParseException e) {
                onBadRow.accept(new Problem(name, lineNumber, "bad JSON: " + JsonMessages.what(e) + " at column "
                        + JsonMessages.column(e) + " (one object per line is expected)"));
                return null;
            }
            if (!json.isJsonObject()) {
                onBadRow.accept(new Problem(name, lineNumber, "expected a JSON object, got " + abbreviate(text)));
                return null;
            }
            Map<String, String> values = new LinkedHashMap<>();
            for (Map.Entry<String, JsonElement> e : ((JsonObject) json).entrySet()) {
                JsonElement v = e.getValue();
                // Strings and numbers as written; lists and objects as JSON text; null as a missing cell.
                values.put(e.getKey(), v.isJsonNull() ? null : v.isJsonPrimitive() ? v.getAsString() : v.toString());
            }
            return new Row(lineNumber, Collections.unmodifiableMap(values), (JsonObject) json);
        }
    }

    private record Numbered(int line, CSVRecord record) {}

    private static String abbreviate(String s) {
        return s.length() <= 40 ? s : s.substring(0, 37) + "...";
    }
}
