package bertft.qa;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import bertft.cli.CliTest;
import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * MiniLM fine-tuned for QA on generated facts (a minute on CPU), then asked about one fact hidden in a
 * 3,000-word context: the answer has to come from the right window of many.
 */
@Tag("slow")
class QaLongContextTest {
    static final String[] SYLLABLES = {"ka", "lo", "mi", "ren", "tor", "vel", "zan", "qui", "bro", "dal", "fen", "gor"};
    static final String[] RELATIONS = {"capital", "largest river", "oldest bridge", "main harbour"};

    static String name(Random r) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < 2 + r.nextInt(2); i++) {
            sb.append(SYLLABLES[r.nextInt(SYLLABLES.length)]);
        }
        return Character.toUpperCase(sb.charAt(0)) + sb.substring(1);
    }

    static String filler(Random r) {
        String[] s = {"The weather there changes quickly in spring.", "Many visitors arrive by train every summer.",
            "Local markets sell bread, fish and wool.", "The region is known for its long winters.",
            "Schools teach two languages from an early age.", "Old stone walls line most of the roads."};
        return s[r.nextInt(s.length)];
    }

    /** A SQuAD file of short paragraphs, each stating a few facts, one asked about. */
    static JsonObject squad(Random r, int n) {
        JsonArray paragraphs = new JsonArray();
        for (int i = 0; i < n; i++) {
            StringBuilder ctx = new StringBuilder();
            String qPlace = null;
            String qRel = null;
            String answer = null;
            int answerStart = -1;
            // each paragraph states facts of different relations, so the question's relation picks the fact
            List<String> rels = new ArrayList<>(List.of(RELATIONS));
            java.util.Collections.shuffle(rels, r);
            int facts = 2 + r.nextInt(3);
            int asked = r.nextInt(facts);
            for (int f = 0; f < facts; f++) {
                ctx.append(filler(r)).append(' ');
                String place = name(r);
                String rel = rels.get(f);
                String value = name(r);
                String sentence = "The " + rel + " of " + place + " is " + value + ". ";
                if (f == asked) {
                    qPlace = place;
                    qRel = rel;
                    answer = value;
                    answerStart = ctx.length() + sentence.indexOf(" is ") + 4;
                }
                ctx.append(sentence);
            }
            JsonObject qa = new JsonObject();
            qa.addProperty("id", "q" + i);
            qa.addProperty("question", "What is the " + qRel + " of " + qPlace + "?");
            JsonArray answers = new JsonArray();
            JsonObject a = new JsonObject();
            a.addProperty("text", answer);
            a.addProperty("answer_start", answerStart);
            answers.add(a);
            qa.add("answers", answers);
            JsonArray qas = new JsonArray();
            qas.add(qa);
            JsonObject p = new JsonObject();
            p.addProperty("context", ctx.toString().strip());
            p.add("qas", qas);
            paragraphs.add(p);
        }
        JsonObject article = new JsonObject();
        article.addProperty("title", "generated");
        article.add("paragraphs", paragraphs);
        JsonArray data = new JsonArray();
        data.add(article);
        JsonObject root = new JsonObject();
        root.add("data", data);
        root.addProperty("version", "1.1");
        return root;
    }

    @Test
    void answersAQuestionAboutA3000WordContext(@TempDir Path tmp) throws IOException {
        Random r = new Random(5);
        Files.writeString(tmp.resolve("train.json"), squad(r, 800).toString());
        Files.writeString(tmp.resolve("dev.json"), squad(r, 40).toString());
        Path task = tmp.resolve("facts.yaml");
        Files.writeString(task, String.join("\n", "task: qa", "data-dir: " + tmp, "train: train.json",
                "validation: dev.json", "max-length: 128", "doc-stride: 48", "max-query-length: 32",
                "batch-size: 16", "epochs: 2", "learning-rate: 2e-4", ""));
        Path run = tmp.resolve("run");
        var train = CliTest.run("train", task.toString(), "--out", run.toString());
        assertEquals(0, train.code(), train.err());

        // 3,000 words of filler and facts of other relations, with the asked fact two thirds of the way in
        StringBuilder ctx = new StringBuilder();
        List<String> sentences = new ArrayList<>();
        Random c = new Random(9);
        while (String.join(" ", sentences).split("\\s+").length < 3000) {
            sentences.add(c.nextInt(3) == 0 ? "The " + RELATIONS[1 + c.nextInt(RELATIONS.length - 1)] + " of " + name(c)
                    + " is " + name(c) + "." : filler(c));
        }
        sentences.add(sentences.size() * 2 / 3, "The capital of Velmiren is Torquibro.");
        ctx.append(String.join(" ", sentences));
        Path file = tmp.resolve("long.txt");
        Files.writeString(file, ctx);
        assertTrue(ctx.toString().split("\\s+").length >= 3000);

        var qa = CliTest.run("qa", "--model", run.toString(), "--context-file", file.toString(),
                "--question", "What is the capital of Velmiren?", "--json");
        assertEquals(0, qa.code(), qa.err());
        JsonObject answer = JsonParser.parseString(qa.out().strip()).getAsJsonObject().getAsJsonArray("answers")
                .get(0).getAsJsonObject();
        assertEquals("Torquibro", answer.get("answer").getAsString(), qa.out());
        assertEquals("Torquibro", ctx.substring(ctx.offsetByCodePoints(0, answer.get("start").getAsInt()),
                ctx.offsetByCodePoints(0, answer.get("end").getAsInt())));
    }
}
