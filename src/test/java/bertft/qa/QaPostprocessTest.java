package bertft.qa;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import bertft.Tiny;
import bertft.data.SquadData;
import bertft.qa.QaPostprocess.Prediction;
import bertft.qa.QaPostprocess.WindowLogits;
import bertft.text.BertTokenizer;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class QaPostprocessTest {
    // context tokens: "Paris"(0-5) "is"(6-8) "in"(9-11) "France"(12-18); positions 0..2 are [CLS] q [SEP]
    static final String CONTEXT = "Paris is in France";
    static final int[] CS = {-1, -1, -1, 0, 6, 9, 12, -1};
    static final int[] CE = {-1, -1, -1, 5, 8, 11, 18, -1};

    static WindowLogits window(float[] start, float[] end) {
        return new WindowLogits(start, end, CS, CE);
    }

    @Test
    void bestSpanIsCutFromTheContextByOffsets() {
        float[] s = {0, 0, 0, 1, 0, 0, 5, 0};
        float[] e = {0, 0, 0, 0, 0, 0, 6, 0};
        Prediction p = QaPostprocess.predict(CONTEXT, List.of(window(s, e)), 20, 30, false, 0);
        assertEquals("France", p.answer());
        assertEquals(12, p.nbest().get(0).start());
        assertEquals(11.0, p.nbest().get(0).score(), 1e-6);
        double total = p.nbest().stream().mapToDouble(QaPostprocess.Span::probability).sum();
        assertEquals(1.0, total, 1e-9);
    }

    @Test
    void spansOutsideTheContextBackwardsOrTooLongAreDropped() {
        // highest logits sit on the question ([1]) and [SEP] ([7]): never answers
        float[] s = {0, 9, 0, 2, 0, 0, 0, 0};
        float[] e = {0, 0, 9, 0, 0, 0, 1, 9};
        Prediction p = QaPostprocess.predict(CONTEXT, List.of(window(s, e)), 20, 30, false, 0);
        assertEquals("Paris is in France", p.answer());
        // the same with max-answer-length 2: "Paris is in France" is 4 tokens long, so only shorter spans remain
        Prediction shortP = QaPostprocess.predict(CONTEXT, List.of(window(s, e)), 20, 2, false, 0);
        assertTrue(shortP.nbest().stream().allMatch(x -> x.text().split(" ").length <= 2), shortP.nbest().toString());
        // end before start is never produced
        float[] s2 = {0, 0, 0, 0, 0, 0, 9, 0};
        float[] e2 = {0, 0, 0, 9, 0, 0, 0, 0};
        Prediction back = QaPostprocess.predict(CONTEXT, List.of(window(s2, e2)), 20, 30, false, 0);
        assertTrue(back.nbest().stream().allMatch(x -> x.end() > x.start()));
    }

    @Test
    void theBestWindowWins() {
        float[] weak = {0, 0, 0, 1, 0, 0, 0, 0};
        float[] strong = {0, 0, 0, 0, 0, 7, 0, 0};
        Prediction p = QaPostprocess.predict(CONTEXT,
                List.of(window(weak, weak), window(strong, new float[] {0, 0, 0, 0, 0, 0, 7, 0})), 20, 30, false, 0);
        assertEquals("in France", p.answer());
    }

    @Test
    void version2AnswersNothingWhenClsScoresHigher() {
        float[] s = {8, 0, 0, 1, 0, 0, 0, 0};
        float[] e = {8, 0, 0, 1, 0, 0, 0, 0};
        assertEquals("", QaPostprocess.predict(CONTEXT, List.of(window(s, e)), 20, 30, true, 0).answer());
        assertEquals("Paris", QaPostprocess.predict(CONTEXT, List.of(window(s, e)), 20, 30, false, 0).answer());
        assertEquals("Paris", QaPostprocess.predict(CONTEXT, List.of(window(s, e)), 20, 30, true, 100).answer());
    }

    @Test
    void version2TakesTheLowestNullScoreOverALongContextsWindows() {
        // as utils_qa.postprocess_qa_predictions (min_null_prediction): windows without the answer score [CLS]
        // high, the window holding it low; the answer must survive (the highest null score would hide it)
        String filler = "the phone was fine . ".repeat(12);
        String context = filler + "the battery broke after two days . " + filler;
        int at = context.indexOf("two days");
        SquadData.Question q = new SquadData.Question("q1", "t", context, "when did it break ?",
                List.of(new SquadData.Answer("two days", at)));
        try (BertTokenizer tok = Tiny.tokenizer(64)) {
            List<QaFeatures.Window> ws = QaFeatures.build(List.of(q), tok, 32, 8, 64);
            assertTrue(ws.size() > 3, "several windows: " + ws.size());
            List<WindowLogits> logits = new ArrayList<>();
            int holding = 0;
            for (QaFeatures.Window w : ws) {
                int n = w.charStart().length;
                float[] s = new float[n];
                float[] e = new float[n];
                if (w.startTarget() > 0) {
                    holding++;
                    s[w.startTarget()] = 5;
                    e[w.endTarget()] = 5;
                } else {
                    s[0] = 6;
                    e[0] = 6;
                }
                logits.add(new WindowLogits(s, e, w.charStart(), w.charEnd()));
            }
            assertTrue(holding >= 1 && holding < ws.size());
            Prediction p = QaPostprocess.predict(context, logits, 20, 30, true, 0);
            assertEquals(0, p.nullScore(), 1e-9, "the lowest [CLS] score over windows");
            assertEquals("two days", p.answer());
            // every window says "no answer": then there is none
            List<WindowLogits> none = new ArrayList<>();
            for (QaFeatures.Window w : ws) {
                float[] s = new float[w.charStart().length];
                float[] e = new float[w.charStart().length];
                s[0] = 6;
                e[0] = 6;
                s[w.charStart().length / 2] = 1;
                none.add(new WindowLogits(s, e, w.charStart(), w.charEnd()));
            }
            assertEquals("", QaPostprocess.predict(context, none, 20, 30, true, 0).answer());
        }
    }

    @Test
    void spansCountCodePointsAsPythonDoes() {
        // "😀 Paris 東京": the emoji is two UTF-16 units but one code point
        String ctx = "\uD83D\uDE00 Paris \u6771\u4EAC";
        int[] cs = {-1, 3, 9, 10};
        int[] ce = {-1, 8, 10, 11};
        float[] s = {0, 5, 4, 0};
        float[] e = {0, 5, 0, 4};
        Prediction p = QaPostprocess.predict(ctx, List.of(new WindowLogits(s, e, cs, ce)), 20, 30, false, 0);
        assertEquals("Paris", p.answer());
        assertEquals(2, p.nbest().get(0).start(), "code points before 'Paris': emoji and space");
        assertEquals(7, p.nbest().get(0).end());
        for (QaPostprocess.Span x : p.nbest()) {
            assertEquals(x.text(), new String(ctx.codePoints().skip(x.start()).limit(x.end() - x.start()).toArray(),
                    0, x.end() - x.start()), x.toString());
        }
    }
}
