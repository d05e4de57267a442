package bertft.qa;

import bertft.UserError;
import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import com.google.gson.stream.JsonReader;
import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** SQuAD v1.1 / v2.0 JSON: {@code data[].paragraphs[].{context, qas[].{id, question, answers, is_impossible}}}. */
public final class Squad {
    private Squad() {}

    /** A gold answer: its text and where it starts in the context (characters). */
    public record Answer(String text, int start) {}

    /** One question about one context; no answers and {@code impossible} for SQuAD 2.0 unanswerables. */
    public record Question(String id, String question, String context, List<Answer> answers, boolean impossible) {}

    /**
     * Reads a SQuAD file. Every answer_start is checked against the context; mismatches are errors naming the
     * file, the question id and both strings.
     */
    public static List<Question> read(Path file) {
        JsonObject root;
        try (Reader r = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            JsonReader jr = new JsonReader(r);
            root = JsonParser.parseReader(jr).getAsJsonObject();
        } catch (NoSuchFileException e) {
            throw new UserError(file + ": no such file");
        } catch (JsonParseException | IllegalStateException e) {
            String msg = e.getCause() != null ? e.getCause().getMessage() : e.getMessage();
            throw new UserError(file + ": malformed JSON: " + msg);
        } catch (IOException e) {
            throw new UserError(file + ": cannot read: " + e.getMessage());
        }
        JsonArray data = array(root, "data", file + "");
        List<Question> out = new ArrayList<>();
        List<String> mismatches = new ArrayList<>();
        for (JsonElement article : data) {
            for (JsonElement p : array(article.getAsJsonObject(), "paragraphs", file + ": data[]")) {
                JsonObject para = p.getAsJsonObject();
                String context = string(para, "context", file + ": paragraph");
                for (JsonElement q : array(para, "qas", file + ": paragraph")) {
                    JsonObject qa = q.getAsJsonObject();
                    String id = string(qa, "id", file + ": question");
                    String where = file + ": question " + id;
                    boolean impossible = qa.has("is_impossible") && qa.get("is_impossible").getAsBoolean();
                    List<Answer> answers = new ArrayList<>();
                    for (JsonElement a : qa.has("answers") ? qa.getAsJsonArray("answers") : new JsonArray()) {
                        JsonObject ao = a.getAsJsonObject();
                        String text = string(ao, "text", where + ": answer");
                        // answer_start counts code points (Python's str); Java indexes UTF-16 units
                        int cp = ao.get("answer_start").getAsInt();
                        int start = cp >= 0 && cp <= context.codePointCount(0, context.length())
                                ? context.offsetByCodePoints(0, cp) : cp;
                        int end = start + text.length();
                        if (start < 0 || end > context.length() || !context.substring(start, end).equals(text)) {
                            String found = start >= 0 && start < context.length()
                                    ? context.substring(start, Math.min(context.length(), end)) : "";
                            mismatches.add(where + ": answer_start " + start + " gives '" + found + "', answer is '"
                                    + text + "'");
                            continue;
                        }
                        answers.add(new Answer(text, start));
                    }
                    if (answers.isEmpty() && !impossible && !mismatches.isEmpty()
                            && mismatches.get(mismatches.size() - 1).startsWith(where + ":")) {
                        continue; // every answer of this question was bad: reported above
                    }
                    out.add(new Question(id, string(qa, "question", where), context, answers, impossible));
                }
            }
        }
        if (!mismatches.isEmpty()) {
            throw new UserError(mismatches.get(0) + (mismatches.size() > 1
                    ? " (and " + (mismatches.size() - 1) + " more answer_start mismatches)" : ""));
        }
        return out;
    }

    private static JsonArray array(JsonObject o, String key, String where) {
        JsonElement e = o.get(key);
        if (e == null || !e.isJsonArray()) {
            throw new UserError(where + ": no '" + key + "' list (is this SQuAD JSON?)");
        }
        return e.getAsJsonArray();
    }

    private static String string(JsonObject o, String key, String where) {
        JsonElement e = o.get(key);
        if (e == null || !e.isJsonPrimitive()) {
            throw new UserError(where + ": no '" + key + "'");
        }
        return e.getAsString();
    }
}
