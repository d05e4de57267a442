package bertft.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * HuggingFace checkpoints of each family straight through the commands: {@code classify} on a
 * *ForSequenceClassification directory gives the softmax of HuggingFace's logits, {@code qa} answers from a
 * *ForQuestionAnswering one, {@code embed} pools the base model's hidden states; base models are refused with one
 * line.
 */
class FamilyCliTest {
    static final Path GOLDEN = Paths.get("..", "shared", "golden", "families");
    static final Pattern PROB = Pattern.compile("(\\w+)=([0-9.]+)");

    static JsonObject golden(String family) throws IOException {
        return JsonParser.parseString(Files.readString(GOLDEN.resolve(family).resolve("golden.json"))).getAsJsonObject();
    }

    static String dir(String family, String kind) {
        return GOLDEN.resolve(family).resolve(kind).toString();
    }

    @ParameterizedTest
    @ValueSource(strings = {"bert", "distilbert", "roberta", "xlm-roberta", "electra", "deberta-v2"})
    void classifyGivesTheSoftmaxOfHuggingFacesLogits(String family) throws IOException {
        JsonObject g = golden(family);
        JsonArray texts = g.getAsJsonArray("texts");
        CliTest.Run r = CliTest.run("classify", "--model", dir(family, "seqcls"), "--text", texts.get(0).getAsString(),
                "--text", texts.get(1).getAsString());
        assertEquals(0, r.code(), r.err());
        List<String> lines = r.out().lines().toList();
        assertEquals(2, lines.size(), r.out());
        double worst = 0;
        for (int i = 0; i < 2; i++) {
            JsonArray logits = g.getAsJsonArray("seqcls_logits_single").get(i).getAsJsonArray();
            double[] p = softmax(logits);
            Matcher m = PROB.matcher(lines.get(i));
            String[] labels = {"neg", "neu", "pos"};
            for (int c = 0; c < 3; c++) {
                assertTrue(m.find(), lines.get(i));
                assertEquals(labels[c], m.group(1));
                worst = Math.max(worst, Math.abs(Double.parseDouble(m.group(2)) - p[c]));
            }
            int best = p[0] >= p[1] && p[0] >= p[2] ? 0 : p[1] >= p[2] ? 1 : 2;
            assertTrue(lines.get(i).startsWith(labels[best] + " "), "predicted label first: " + lines.get(i));
        }
        System.out.printf("%s classify max |p - softmax(HF logits)| %.1e%n", family, worst);
        assertTrue(worst < 1e-4, family + ": " + worst);
    }

    /** evaluate scores a HuggingFace *ForSequenceClassification checkpoint with its own labels. */
    @ParameterizedTest
    @ValueSource(strings = {"roberta", "deberta-v2"})
    void evaluateScoresAHuggingFaceClassifier(String family, @TempDir Path tmp) throws IOException {
        JsonObject g = golden(family);
        String[] labels = {"neg", "neu", "pos"};
        StringBuilder csv = new StringBuilder("text,label\n");
        for (int i = 0; i < 2; i++) {
            double[] p = softmax(g.getAsJsonArray("seqcls_logits_single").get(i).getAsJsonArray());
            int best = p[0] >= p[1] && p[0] >= p[2] ? 0 : p[1] >= p[2] ? 1 : 2;
            csv.append(g.getAsJsonArray("texts").get(i).getAsString()).append(',').append(labels[best]).append('\n');
        }
        Path data = Files.writeString(tmp.resolve("gold.csv"), csv);
        CliTest.Run r = CliTest.run("evaluate", "--model", dir(family, "seqcls"), "--data", data.toString(), "--out",
                tmp.resolve("eval").toString());
        assertEquals(0, r.code(), r.err());
        JsonObject report = JsonParser.parseString(Files.readString(tmp.resolve("eval/report.json"))).getAsJsonObject();
        assertEquals(1.0, report.getAsJsonObject("validation").getAsJsonObject("metrics").get("accuracy").getAsDouble());
    }

    static double[] softmax(JsonArray logits) {
        double[] p = new double[logits.size()];
        double sum = 0;
        for (int c = 0; c < p.length; c++) {
            p[c] = Math.exp(logits.get(c).getAsDouble());
            sum += p[c];
        }
        for (int c = 0; c < p.length; c++) {
            p[c] /= sum;
        }
        return p;
    }

    @ParameterizedTest
    @ValueSource(strings = {"bert", "distilbert", "roberta", "xlm-roberta", "electra", "deberta-v2"})
    void qaAnswersWithASpanOfTheContext(String family) {
        String context = "w5 w17 w42 w8 w91 w33 w60 w61";
        CliTest.Run r = CliTest.run("qa", "--model", dir(family, "qa"), "--context", context, "--question", "w64 w12",
                "--json", "--top-k", "3");
        assertEquals(0, r.code(), r.err());
        JsonArray answers = JsonParser.parseString(r.out().strip()).getAsJsonObject().getAsJsonArray("answers");
        assertTrue(answers.size() > 0, r.out());
        for (var a : answers) {
            JsonObject o = a.getAsJsonObject();
            assertEquals(context.substring(o.get("start").getAsInt(), o.get("end").getAsInt()),
                    o.get("answer").getAsString(), "answers are cut from the context by offsets");
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"bert", "distilbert", "roberta", "xlm-roberta", "electra", "deberta-v2"})
    void embedMeanPoolsTheBaseModel(String family) throws IOException {
        JsonObject g = golden(family);
        JsonArray texts = g.getAsJsonArray("texts");
        CliTest.Run r = CliTest.run("embed", "--model", dir(family, "base"), "--text", texts.get(0).getAsString(),
                "--text", texts.get(1).getAsString());
        assertEquals(0, r.code(), r.err());
        List<String> lines = r.out().lines().toList();
        double worst = 0;
        for (int i = 0; i < 2; i++) {
            JsonArray hidden = g.getAsJsonArray("base_last_hidden_state_single").get(i).getAsJsonArray();
            JsonArray mask = g.getAsJsonArray("attention_mask").get(i).getAsJsonArray();
            double[] mean = new double[32];
            int n = 0;
            for (int t = 0; t < hidden.size(); t++) {
                if (mask.get(t).getAsInt() == 1) {
                    n++;
                    for (int j = 0; j < 32; j++) {
                        mean[j] += hidden.get(t).getAsJsonArray().get(j).getAsDouble();
                    }
                }
            }
            double norm = 0;
            for (int j = 0; j < 32; j++) {
                mean[j] /= n;
                norm += mean[j] * mean[j];
            }
            JsonArray got = JsonParser.parseString(lines.get(i)).getAsJsonObject().getAsJsonArray("embedding");
            for (int j = 0; j < 32; j++) {
                worst = Math.max(worst, Math.abs(got.get(j).getAsDouble() - mean[j] / Math.sqrt(norm)));
            }
        }
        assertTrue(worst < 1e-4, family + ": " + worst);
    }

    @ParameterizedTest
    @ValueSource(strings = {"bert", "distilbert", "roberta", "xlm-roberta", "electra", "deberta-v2"})
    void aBaseModelOrTheWrongHeadIsRefusedInOneLine(String family) {
        CliTest.Run c = CliTest.run("classify", "--model", dir(family, "base"), "--text", "w5");
        assertEquals(2, c.code(), c.err());
        assertEquals(1, c.err().strip().lines().count(), c.err());
        assertTrue(c.err().contains("has no sequence-classification, token-classification or question-answering"
                + " head"), c.err());
        CliTest.Run q = CliTest.run("qa", "--model", dir(family, "base"), "--context", "w5 w6", "--question", "w5");
        assertEquals(2, q.code(), q.err());
        assertEquals(1, q.err().strip().lines().count(), q.err());
        CliTest.Run wrong = CliTest.run("classify", "--model", dir(family, "qa"), "--text", "w5");
        assertEquals(2, wrong.code(), wrong.err());
        assertTrue(wrong.err().contains("use `bert-ft qa`"), wrong.err());
        CliTest.Run wrongQa = CliTest.run("qa", "--model", dir(family, "seqcls"), "--context", "w5", "--question", "w5");
        assertEquals(2, wrongQa.code(), wrongQa.err());
        assertTrue(wrongQa.err().contains("use `bert-ft classify`"), wrongQa.err());
    }
}
