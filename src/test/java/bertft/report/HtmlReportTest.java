package bertft.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

class HtmlReportTest {
    static final String REPORT = """
            {"task": "demo", "kind": "classification",
             "training": {"strategy": "gradual", "seconds": 12.5},
             "validation": {"metrics": {"accuracy": 0.61, "macro_f1": 0.6, "loss": 0.7, "n": 4,
                 "per_class": {"neg": {"precision": 0.5, "recall": 1, "f1": 0.66, "support": 2},
                               "pos": {"precision": 1, "recall": 0.5, "f1": 0.66, "support": 2}},
                 "confusion_matrix": {"labels": ["neg", "pos"], "matrix": [[2, 0], [1, 1]]}},
               "errors": [{"line": 3, "text": "<script>alert(1)</script> fine film", "gold": "pos", "predicted": "neg",
                           "score": 0.93}],
               "calibration": {"ece": 0.2, "bins": [{"lo": 0.5, "hi": 0.6, "n": 2, "confidence": 0.55, "accuracy": 1},
                                                    {"lo": 0.9, "hi": 1.0, "n": 2, "confidence": 0.93, "accuracy": 0.5}]},
               "label_distribution": {"gold": {"neg": 2, "pos": 2}, "predicted": {"neg": 3, "pos": 1}}},
             "train_label_distribution": {"neg": 60, "pos": 40},
             "baseline": {"model": "TF-IDF + logistic regression", "metric": "accuracy", "train_examples": 100,
               "fine_tuned_model": "gradual", "fine_tuned": {"validation": 0.61}, "baseline": {"validation": 0.8},
               "negative_transfer": true, "gain": -0.19,
               "verdict": "Negative transfer: the fine-tuned model's validation accuracy (0.6100) does not beat it."},
             "provenance": {"model": {"source": "minilm", "sha256": "abc123"}, "seed": 42,
               "machine": {"cores": 2, "memory_gib": 23.4}}}
            """;

    static List<JsonObject> log() {
        return List.of(
                JsonParser.parseString("{\"step\":1,\"loss\":0.9,\"lr\":1e-4,\"lr_groups\":{\"head\":1e-4}}").getAsJsonObject(),
                JsonParser.parseString("{\"step\":2,\"unfrozen\":\"layer.1\"}").getAsJsonObject(),
                JsonParser.parseString("{\"step\":2,\"loss\":0.8,\"lr\":1e-4,\"lr_groups\":{\"head\":1e-4,"
                        + "\"layer.1\":9e-5}}").getAsJsonObject(),
                JsonParser.parseString("{\"step\":2,\"epoch\":0,\"validation\":{\"accuracy\":0.6,\"loss\":0.7}}")
                        .getAsJsonObject());
    }

    @Test
    void negativeTransferIsAWarningNextToTheNumbers() {
        String html = HtmlReport.render(JsonParser.parseString(REPORT).getAsJsonObject(), log());
        assertTrue(html.contains("<div class=\"warn\">Negative transfer: the fine-tuned model&#39;s validation accuracy "
                + "(0.6100) does not beat it.</div>"), html);
        assertTrue(html.contains("<td>TF-IDF + logistic regression</td><td class=\"num\">0.8000</td>"), html);
        assertTrue(html.contains("gain over baseline (accuracy)") && html.contains("-0.1900"), "headline card");
    }

    @Test
    void hasEverySectionAndNoMarkupFromData() {
        String html = HtmlReport.render(JsonParser.parseString(REPORT).getAsJsonObject(), log());
        for (String s : List.of("Learning curves", "+layer.1", "stroke-dasharray", "Per class", "Confusion matrix",
                "row-normalised", "Calibration", "(ECE) 0.2", "Label distribution", "train (gold)",
                "Most confident mistakes", "Provenance", "model.sha256", "abc123", "machine.cores")) {
            assertTrue(html.contains(s), "has " + s);
        }
        assertFalse(html.contains("<script"), "text is escaped");
        assertTrue(html.contains("&lt;script&gt;alert(1)&lt;/script&gt; fine film"));
        // every inline SVG is well-formed XML
        Matcher m = Pattern.compile("<svg .*?</svg>", Pattern.DOTALL).matcher(html);
        int charts = 0;
        while (m.find()) {
            try {
                SvgTest.parse(m.group());
            } catch (Exception e) {
                throw new AssertionError("chart " + charts + " is not XML: " + e.getMessage());
            }
            charts++;
        }
        assertEquals(7, charts, "loss, validation metric, learning rate, 2 confusion maps, reliability, distribution");
    }

    /**
     * Chinese labels and misclassified Chinese reviews appear as characters (not entities) on a page that declares
     * UTF-8 and CJK fonts; the page is kept for CI's Chromium check (scripts/check-report, fonts-noto-cjk).
     */
    @Test
    void chineseTextRendersAsCharactersWithACjkFontStack() throws java.io.IOException {
        String report = REPORT.replace("\"neg\"", "\"差评\"").replace("\"pos\"", "\"好评\"")
                .replace("<script>alert(1)</script> fine film", "房间很小，但是服务周到！早餐也不错～")
                .replace("\"task\": \"demo\"", "\"task\": \"chnsenticorp 酒店评论\"");
        String html = HtmlReport.render(JsonParser.parseString(report).getAsJsonObject(), log());
        assertTrue(html.contains("<meta charset=\"utf-8\">"), "declares UTF-8");
        assertTrue(html.contains("\"Noto Sans CJK SC\"") && html.contains("\"Microsoft YaHei\"")
                && html.contains("\"PingFang SC\""), "CJK fonts in the font stack");
        assertTrue(html.contains("房间很小，但是服务周到！早餐也不错～"), "the misclassified review as characters");
        assertTrue(html.contains("<td>差评</td>") || html.contains(">差评<"), "labels as characters");
        java.nio.file.Path dir = java.nio.file.Path.of("target", "check-report");
        java.nio.file.Files.createDirectories(dir);
        java.nio.file.Files.writeString(dir.resolve("chinese-report.html"), html);
    }

    @Test
    void qaAndRegressionSections() {
        JsonObject qa = JsonParser.parseString("""
                {"task": "q", "kind": "qa", "validation": {"metrics": {"exact_match": 50, "f1": 60, "n": 2},
                  "by_question_word": {"what": {"n": 2, "exact_match": 50, "f1": 60}},
                  "by_answer_length": {"1 word": {"n": 2, "exact_match": 50, "f1": 60}},
                  "worst": [{"question": "Who?", "predicted": "Bob", "gold": "Alice", "score": 3.2}]},
                 "baseline": {"skipped": "there is no bag-of-words baseline for extractive QA"}}
                """).getAsJsonObject();
        String html = HtmlReport.render(qa, List.of());
        for (String s : List.of("By question word", "By gold answer length", "Worst answers", "Alice",
                "No baseline: there is no bag-of-words baseline")) {
            assertTrue(html.contains(s), "QA report has " + s);
        }
        JsonObject reg = JsonParser.parseString("""
                {"task": "r", "kind": "regression", "validation": {"metrics": {"mse": 0.1, "pearson": 0.9,
                  "spearman": null, "n": 3}, "scatter": [[1, 1.1], [2, 1.8], [3, 3.3]]}}
                """).getAsJsonObject();
        String r = HtmlReport.render(reg, List.of());
        assertTrue(r.contains("Predicted vs gold") && r.contains("Spearman n/a"), r);
    }
}
