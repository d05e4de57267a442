package bertft.qa;

import bertft.data.SquadData;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import bertft.Tiny;
import bertft.text.BertTokenizer;
import java.util.List;
import org.junit.jupiter.api.Test;

class QaFeaturesTest {

    @Test
    void longContextsBecomeOverlappingWindowsWithTargetsOnlyWhereTheAnswerFits() {
        String filler = "the phone was fine . ".repeat(12);
        String context = filler + "the battery broke after two days . " + filler;
        int at = context.indexOf("two days");
        SquadData.Question q = new SquadData.Question("q1", "t", context, "what broke ?",
                List.of(new SquadData.Answer("two days", at)));
        try (BertTokenizer tok = Tiny.tokenizer(64)) {
            List<QaFeatures.Window> ws = QaFeatures.build(List.of(q), tok, 32, 8, 64);
            assertTrue(ws.size() > 3, "a long context needs several windows, got " + ws.size());
            int withAnswer = 0;
            for (QaFeatures.Window w : ws) {
                assertTrue(w.encoding().getIds().length <= 32);
                if (w.startTarget() > 0) {
                    withAnswer++;
                    String span = context.substring(w.charStart()[w.startTarget()], w.charEnd()[w.endTarget()]);
                    assertEquals("two days", span);
                } else {
                    assertEquals(0, w.endTarget(), "a window without the answer targets [CLS]");
                }
            }
            assertTrue(withAnswer >= 1);
        }
    }

    @Test
    void offsetsAreUtf16EvenAfterEmoji() {
        String context = "great 😀 phone , bad battery";
        SquadData.Question q = new SquadData.Question("q", "t", context, "what was bad ?",
                List.of(new SquadData.Answer("battery", context.indexOf("battery"))));
        try (BertTokenizer tok = Tiny.tokenizer(64)) {
            QaFeatures.Window w = QaFeatures.build(List.of(q), tok, 64, 16, 64).get(0);
            assertEquals("battery", context.substring(w.charStart()[w.startTarget()], w.charEnd()[w.endTarget()]));
        }
    }

    @Test
    void longQuestionsAreCappedAtMaxQueryLength() {
        try (BertTokenizer tok = Tiny.tokenizer(64)) {
            String capped = QaFeatures.capQuestion("what is the best phone for the price ?", tok, 3);
            assertEquals("what is the", capped);
        }
    }
}
