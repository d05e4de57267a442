package bertft.data;

import bertft.JsonMessages;
import bertft.UserError;
import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.Gson;
import com.google.gson.Strictness;
import com.google.gson.stream.JsonReader;
import com.google.gson.stream.JsonToken;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Extractive-QA questions from a SQuAD v1.1 or v2.0 JSON file, with every answer checked against its context.
 *
 * <p>SQuAD's {@code answer_start} counts Unicode code points (Python string indices); {@link Answer#start()} is
 * converted to a Java (UTF-16) index, so {@code context.substring(start, start + text.length())} is the answer.
 */
public final class SquadData {

    /**
     * One gold answer.
     *
     * @param text the answer as written in the file
     * @param start its UTF-16 index in the context
     */
    public record Answer(String text, int start) {}

    /**
     * One question about one paragraph.
     *
     * @param id the question id, which prediction files are keyed by
     * @param title the article title
     * @param context the paragraph
     * @param question the question
     * @param answers the gold answers (several annotators in dev sets); empty for unanswerable questions
     */
    public record Question(String id, String title, String context, String question, List<Answer> answers) {}

    private static final Gson GSON = new Gson();

    private SquadData() {}

    /** The questions of several SQuAD files in file order (training on several sets as one). */
    public static List<Question> read(List<Path> files, boolean version2) {
        List<Question> out = new ArrayList<>();
        for (Path file : files) {
            out.addAll(read(file, version2));
        }
        return out;
    }

    /**
     * Reads every question of {@code file}; with {@code version2} false, a question without answers is an error
     * (SQuAD 1.1 has none), with it true, {@code is_impossible} questions get an empty answer list.
     */
    public static List<Question> read(Path file, boolean version2) {
        JsonElement root;
        try (JsonReader in = new JsonReader(new Utf8Reader(Files.newInputStream(file)))) {
            in.setStrictness(Strictness.STRICT);
            root = GSON.getAdapter(JsonElement.class).read(in);
            if (in.peek() != JsonToken.END_DOCUMENT) {
                throw new UserError(file + ": more than one JSON value (is it JSON lines? SQuAD is one document)");
            }
        } catch (NoSuchFileException e) {
            throw new UserError(file + ": no such file");
        } catch (Utf8Reader.Malformed e) {
            throw new UserError(file + ":" + e.line + ": not valid UTF-8 (is it Latin-1? re-save as UTF-8)");
        } catch (IOException | JsonParseException e) {
            int line = JsonMessages.line(e);
            throw new UserError(file + (line < 0 ? "" : ":" + line) + ": not valid JSON: " + JsonMessages.what(e)
                    + (line < 0 ? "" : " at column " + JsonMessages.column(e)));
        }
        List<Question> out = new ArrayList<>();
        List<String> problems = new ArrayList<>();
        JsonArray data = array(root, "data", file + ": ");
        for (int a = 0; a < data.size(); a++) {
            String at = file + ": data[" + a + "]";
            JsonObject article = object(data.get(a), at);
            String title = article.has("title") ? string(article, "title", at) : "";
            JsonArray paragraphs = array(article, "paragraphs", at + ".");
            for (int p = 0; p < paragraphs.size(); p++) {
                String pat = at + ".paragraphs[" + p + "]";
                JsonObject paragraph = object(paragraphs.get(p), pat);
                String context = string(paragraph, "context", pat);
                JsonArray qas = array(paragraph, "qas", pat + ".");
                for (int q = 0; q < qas.size(); q++) {
                    JsonObject qa = object(qas.get(q), pat + ".qas[" + q + "]");
                    String qat = pat + ".qas[" + q + "]";
                    String id = string(qa, "id", qat);
                    boolean impossible = qa.has("is_impossible") && string(qa, "is_impossible", qat).equals("true");
                    List<Answer> answers = new ArrayList<>();
                    JsonArray given = impossible ? new JsonArray() : array(qa, "answers", qat + ".");
                    for (JsonElement g : given) {
                        JsonObject answer = object(g, qat + ".answers");
                        String text = string(answer, "text", qat + ".answers");
                        int start = utf16(context, integer(answer, "answer_start", qat + ".answers"));
                        if (start < 0 || !context.startsWith(text, start)) {
                            problems.add(file + ": question '" + id + "': answer '" + text + "' is not at answer_start "
                                    + answer.get("answer_start") + " of its context");
                            continue;
                        }
                        answers.add(new Answer(text, start));
                    }
                    if (given.isEmpty() && !version2) {
                        problems.add(file + ": question '" + id + "' has no answer (for SQuAD 2.0 data set "
                                + "version-2: true)");
                    }
                    out.add(new Question(id, title, context, string(qa, "question", qat), List.copyOf(answers)));
                }
            }
        }
        if (!problems.isEmpty()) {
            throw new UserError(problems.get(0) + (problems.size() == 1 ? ""
                    : " (and " + (problems.size() - 1) + " more problems)"));
        }
        if (out.isEmpty()) {
            throw new UserError(file + ": no questions");
        }
        return out;
    }

    /** The UTF-16 index of code point {@code codePoint} in {@code s}, or -1 when past the end. */
    private static int utf16(String s, int codePoint) {
        if (codePoint < 0 || codePoint > s.codePointCount(0, s.length())) {
            return -1;
        }
        return s.offsetByCodePoints(0, codePoint);
    }

    private static JsonObject object(JsonElement e, String at) {
        if (e == null || !e.isJsonObject()) {
            throw new UserError(at + ": expected a JSON object");
        }
        return e.getAsJsonObject();
    }

    private static JsonArray array(JsonElement parent, String key, String at) {
        JsonElement e = parent.isJsonObject() ? parent.getAsJsonObject().get(key) : null;
        if (e == null || !e.isJsonArray()) {
            throw new UserError(at + key + ": expected a list (is this SQuAD JSON?)");
        }
        return e.getAsJsonArray();
    }

    private static int integer(JsonObject o, String key, String at) {
        try {
            return Integer.parseInt(string(o, key, at));
        } catch (NumberFormatException e) {
            throw new UserError(at + ": '" + key + "' is not an integer");
        }
    }

    private static String string(JsonObject o, String key, String at) {
        JsonElement e = o.get(key);
        if (e == null || !e.isJsonPrimitive()) {
            throw new UserError(at + ": no '" + key + "'");
        }
        return e.getAsString();
    }
}
