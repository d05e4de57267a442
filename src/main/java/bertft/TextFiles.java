package bertft;

import com.google.gson.Gson;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.Strictness;
import com.google.gson.stream.JsonReader;
import com.google.gson.stream.JsonToken;
import java.io.IOException;
import java.io.InputStream;
import java.io.StringReader;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CoderResult;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

/**
 * Whole text files read with a size limit (a file that is really {@code /dev/zero}, or a wrong file, fails with
 * its name instead of filling memory) and strict UTF-8; JSON with the line and column of a mistake.
 */
public final class TextFiles {
    /** A task file. */
    public static final long TASK_FILE = 1L << 20;
    /** A QA context ({@code qa --context-file}). */
    public static final long CONTEXT = 10L << 20;
    /** A model's text and JSON files: config.json, tokenizer.json, vocab.txt, tokenizer_config.json. */
    public static final long MODEL_FILE = 100L << 20;

    private static final Gson GSON = new Gson();

    private TextFiles() {}

    /** One line saying why {@code file} could not be opened or read: missing, not permitted, or the reason. */
    public static UserError cannotRead(String file, IOException e) {
        if (e instanceof NoSuchFileException) {
            return new UserError(file + ": no such file");
        }
        if (e instanceof AccessDeniedException) {
            return new UserError(file + ": permission denied");
        }
        return new UserError(file + ": cannot read: " + e.getMessage());
    }

    /**
     * The text of {@code file}; errors name the file (and the line of a bad byte); {@code what} names the kind of
     * file in the message about the size limit, e.g. {@code "a QA context (split it)"}.
     */
    public static String read(Path file, long maxBytes, String what) {
        byte[] bytes;
        try (InputStream in = Files.newInputStream(file)) {
            bytes = in.readNBytes((int) Math.min(Integer.MAX_VALUE - 8, maxBytes + 1));
        } catch (IOException e) {
            throw cannotRead(file.toString(), e);
        }
        if (bytes.length > maxBytes) {
            throw new UserError(file + ": larger than " + mib(maxBytes) + ", the limit for " + what);
        }
        return decode(bytes, file.toString());
    }

    /**
     * The JSON object in {@code file}, read strictly (no comments, single quotes or trailing text); a mistake is
     * reported as {@code file:line:column: what}.
     */
    public static JsonObject readJsonObject(Path file, long maxBytes, String what) {
        String text = read(file, maxBytes, what);
        JsonElement root;
        try (JsonReader in = new JsonReader(new StringReader(text))) {
            in.setStrictness(Strictness.STRICT);
            root = GSON.getAdapter(JsonElement.class).read(in);
            if (in.peek() != JsonToken.END_DOCUMENT) {
                throw new UserError(file + ": more than one JSON value");
            }
        } catch (IOException | JsonParseException e) {
            int line = JsonMessages.line(e);
            int column = JsonMessages.column(e);
            String problem = JsonMessages.what(e).replace("End of input", "the JSON is not complete");
            if (line > 0 && !problem.contains("truncated") && atEnd(text, line, column)) {
                problem += " where the file ends (is it truncated?)";
            }
            throw new UserError(file + (line < 0 ? "" : ":" + line + ":" + column) + ": not valid JSON: " + problem);
        }
        if (!root.isJsonObject()) {
            throw new UserError(file + ": expected a JSON object {...}, found " + (root.isJsonArray() ? "a list"
                    : root.isJsonNull() ? "null" : "a single value"));
        }
        return root.getAsJsonObject();
    }

    /** Whether 1-based line and column are at (or past) the end of {@code text}, ignoring trailing blanks. */
    private static boolean atEnd(String text, int line, int column) {
        String[] lines = text.stripTrailing().split("\n", -1);
        return line > lines.length || line == lines.length && column > lines[lines.length - 1].length();
    }

    /** {@code 10 MiB}. */
    public static String mib(long bytes) {
        return bytes % (1 << 20) == 0 ? (bytes >> 20) + " MiB" : bytes + " bytes";
    }

    /** Strict UTF-8 (a byte-order mark is dropped); a bad byte is reported with its line. */
    static String decode(byte[] bytes, String name) {
        CharsetDecoder decoder = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT);
        ByteBuffer in = ByteBuffer.wrap(bytes);
        CharBuffer out = CharBuffer.allocate(bytes.length);
        CoderResult r = decoder.decode(in, out, true);
        if (r.isError()) {
            int line = 1;
            for (int i = 0; i < in.position(); i++) {
                line += bytes[i] == '\n' ? 1 : 0;
            }
            throw new UserError(name + ":" + line + ": not valid UTF-8 (is it Latin-1? re-save it as UTF-8)");
        }
        decoder.flush(out);
        String s = out.flip().toString();
        return s.startsWith("\uFEFF") ? s.substring(1) : s;
    }
}
