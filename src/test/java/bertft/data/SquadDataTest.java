package bertft.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import bertft.UserError;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

class SquadDataTest {
    static final Path DATA = TableReaderTest.DATA;

    @Test
    void readsQuestionsWithAnswersAsJavaOffsets() {
        List<SquadData.Question> qs = SquadData.read(DATA.resolve("squad-mini.json"), false);
        assertEquals(List.of("q1", "q2", "q3"), qs.stream().map(SquadData.Question::id).toList());
        assertEquals(List.of(new SquadData.Answer("1922", 27), new SquadData.Answer("in 1922", 24)), qs.get(0).answers());
        assertEquals("Kettles", qs.get(0).title());
        // The emoji before the answer is one code point but two Java chars.
        SquadData.Question q3 = qs.get(2);
        int start = q3.answers().get(0).start();
        assertEquals(30, start);
        assertEquals("300 ml", q3.context().substring(start, start + 6));
    }

    @Test
    void answerNotAtItsOffsetIsAnError() {
        Path f = DATA.resolve("squad-bad-offset.json");
        assertEquals(f + ": question 'q1': answer '80 degrees' is not at answer_start 3 of its context",
                assertThrows(UserError.class, () -> SquadData.read(f, false)).getMessage());
        Path csv = DATA.resolve("reviews.csv");
        assertEquals(csv + ":1: not valid JSON: malformed JSON at column 1",
                assertThrows(UserError.class, () -> SquadData.read(csv, false)).getMessage());
    }
}
