package bertft.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class SquadMetricsTest {

    @Test
    void normalisationFollowsTheOfficialScript() {
        assertEquals("quick brown fox", SquadMetrics.normalize("The  Quick, brown fox!"));
        assertEquals("apple day", SquadMetrics.normalize("an apple a day"));
        assertEquals("theatre", SquadMetrics.normalize("The theatre"));
        assertEquals("usa", SquadMetrics.normalize("U.S.A."));
        // Punctuation goes before articles, so the hyphenated 'the' is not a word of its own.
        assertEquals("stateoftheart", SquadMetrics.normalize("state-of-the-art"));
        // string.punctuation is ASCII: curly quotes and the en dash stay.
        assertEquals("\u201ccafés\u201d 1914\u20131918", SquadMetrics.normalize("\u201cCafé's\u201d 1914\u20131918"));
        assertEquals("x y", SquadMetrics.normalize("x\u00a0\u001fy")); // str.split() whitespace, \\x1f included
    }

    @Test
    void tokenF1CountsSharedTokensOnce() {
        assertEquals(0.8, SquadMetrics.f1("the cat sat", "a cat sat down", false), 1e-12);
        assertEquals(2.0 / 3, SquadMetrics.f1("cat cat", "cat", false), 1e-12);
        assertEquals(0, SquadMetrics.f1("dog", "cat", false));
    }

    @Test
    void emptyAnswersDifferBetweenV1AndV2() {
        // Both normalise to "": v1.1 finds no common token and gives F1 0 (but exact match 1); v2.0 gives 1.
        assertTrue(SquadMetrics.exactMatch("the", "a"));
        assertEquals(0, SquadMetrics.f1("the", "a", false));
        assertEquals(1, SquadMetrics.f1("the", "a", true));
        assertEquals(0, SquadMetrics.f1("", "cat", true));
        assertFalse(SquadMetrics.exactMatch("", "cat"));
    }

    @Test
    void v1TakesTheBestGoldAnswerAndCountsMissingPredictionsAsZero() {
        Map<String, List<String>> golds = Map.of("q1", List.of("Denver Broncos", "Broncos"), "q2", List.of("1922"),
                "q3", List.of("Arthur Large"));
        SquadMetrics m = SquadMetrics.compute(Map.of("q1", "the Broncos", "q2", "in 1922"), golds, false);
        // q1 exact (1, 1); q2 F1 2*.5*1/1.5 = 2/3; q3 missing (0, 0).
        assertEquals(100.0 / 3, m.exactMatch(), 1e-9);
        assertEquals(100 * (1 + 2.0 / 3) / 3, m.f1(), 1e-9);
        assertEquals(3, m.total());
        assertEquals(1, m.missing());
        assertEquals(100.0 / 3, m.metric("exact_match"), 1e-9);
    }

    @Test
    void v2ScoresNoAnswerQuestionsAgainstTheEmptyString() {
        Map<String, List<String>> golds = Map.of("q1", List.of(), "q2", List.of("1922", "the"), "q3", List.of("x"),
                "q4", List.of());
        SquadMetrics m = SquadMetrics.compute(Map.of("q1", "", "q2", "1922", "q4", "Paris"), golds, true);
        // q1 "" vs [""] -> 1, 1; q2 -> 1, 1 ("the" is dropped as it normalises to ""); q4 -> 0, 0; q3 left out.
        assertEquals(200.0 / 3, m.exactMatch(), 1e-9);
        assertEquals(200.0 / 3, m.f1(), 1e-9);
        assertEquals(3, m.total());
        assertEquals(1, m.missing());
    }
}
