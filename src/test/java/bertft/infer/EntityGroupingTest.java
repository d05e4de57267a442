package bertft.infer;

import static org.junit.jupiter.api.Assertions.assertEquals;

import bertft.infer.EntityGrouping.Aggregation;
import bertft.infer.EntityGrouping.Entity;
import bertft.infer.EntityGrouping.Piece;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Cases worked by hand through Transformers 4.31's {@code TokenClassificationPipeline.postprocess}. */
class EntityGroupingTest {
    static final List<String> LABELS = List.of("O", "B-PER", "I-PER", "B-LOC", "I-LOC", "B-creative-work");

    // "Enzo Ferrari lives in newyork": enzo | ferr ##ari | lives | in | new ##york
    static final List<Piece> PIECES = List.of(
            piece("enzo", 0, 4, 1, false, 0.1, 0.8, 0.05, 0.05, 0, 0),
            piece("ferr", 5, 9, 2, false, 0.1, 0.1, 0.7, 0.1, 0, 0),
            piece("##ari", 9, 12, 3, true, 0.6, 0.1, 0.3, 0, 0, 0),
            piece("lives", 13, 18, 4, false, 0.9, 0.05, 0.05, 0, 0, 0),
            piece("in", 19, 21, 5, false, 0.95, 0, 0, 0.05, 0, 0),
            piece("new", 22, 25, 6, false, 0.2, 0, 0, 0.7, 0.1, 0),
            piece("##york", 25, 29, 7, true, 0.1, 0, 0, 0.5, 0.4, 0));

    @Test
    void noneKeepsEveryPieceThatIsNotO() {
        assertEquals(List.of(
                new Entity("B-PER", 0.8, "enzo", 0, 4, 1),
                new Entity("I-PER", 0.7, "ferr", 5, 9, 2),
                new Entity("B-LOC", 0.7, "new", 22, 25, 6),
                new Entity("B-LOC", 0.5, "##york", 25, 29, 7)),
                EntityGrouping.entities(PIECES, LABELS, Aggregation.NONE, EntityGrouping::wordPieceText));
    }

    @Test
    void simpleGroupsAdjacentPiecesAndBStartsAGroup() {
        // ##ari is O (0.6): it ends the person; ##york is B-LOC: a group of its own, as the pipeline does, and the
        // decoder keeps the ## of a group's first piece (tokenizers' WordPiece decoder strips it after the first)
        List<Entity> e = EntityGrouping.entities(PIECES, LABELS, Aggregation.SIMPLE, EntityGrouping::wordPieceText);
        assertEquals(List.of("PER", "LOC", "LOC"), e.stream().map(Entity::label).toList());
        assertEquals(List.of("enzo ferr", "new", "##york"), e.stream().map(Entity::word).toList());
        assertEquals(0.75, e.get(0).score(), 1e-12);
        assertEquals(List.of(0, 9), List.of(e.get(0).start(), e.get(0).end()));
    }

    @Test
    void wordStrategiesMakeThePiecesOfAWordAgree() {
        List<Entity> first = EntityGrouping.entities(PIECES, LABELS, Aggregation.FIRST, EntityGrouping::wordPieceText);
        assertEquals(List.of("PER", "LOC"), first.stream().map(Entity::label).toList());
        assertEquals(List.of("enzo ferrari", "newyork"), first.stream().map(Entity::word).toList());
        assertEquals((0.8 + 0.7) / 2, first.get(0).score(), 1e-12);
        assertEquals(List.of(22, 29), List.of(first.get(1).start(), first.get(1).end()));
        // average: ferrari = mean(ferr, ##ari) = O 0.35 / I-PER 0.5 -> I-PER 0.5, joined to enzo
        List<Entity> average = EntityGrouping.entities(PIECES, LABELS, Aggregation.AVERAGE,
                EntityGrouping::wordPieceText);
        assertEquals(List.of("enzo ferrari", "newyork"), average.stream().map(Entity::word).toList());
        assertEquals((0.8 + 0.5) / 2, average.get(0).score(), 1e-12);
        assertEquals(0.6, average.get(1).score(), 1e-12);
        // max: ferrari takes ferr's scores (0.7 beats ##ari's 0.6)
        List<Entity> max = EntityGrouping.entities(PIECES, LABELS, Aggregation.MAX, EntityGrouping::wordPieceText);
        assertEquals((0.8 + 0.7) / 2, max.get(0).score(), 1e-12);
    }

    @Test
    void theGroupIsNamedAfterTheLabelsLastDashAsThePipelineDoes() {
        List<Piece> p = List.of(piece("dune", 0, 4, 1, false, 0, 0, 0, 0, 0, 1));
        assertEquals("work", EntityGrouping.entities(p, LABELS, Aggregation.SIMPLE, EntityGrouping::wordPieceText)
                .get(0).label());
    }

    @Test
    void wordPieceTextIsTheFastDecoders() {
        assertEquals("hello, world's end!", EntityGrouping.wordPieceText(List.of("hello", ",", "world", "'s", "end",
                "!")));
        assertEquals("newyork u. s.", EntityGrouping.wordPieceText(List.of("new", "##york", "u", ".", "s", ".")));
    }

    @Test
    void overlappingWindowsKeepTheLongestThenTheMostConfidentEntity() {
        // window 1 saw "new york" cut after "new"; window 2 saw it whole; "bob" in both, more sure in window 2;
        // "ann" twice with equal scores: the first stays
        Entity newCut = new Entity("LOC", 0.9, "new", 10, 13, -1);
        Entity newYork = new Entity("LOC", 0.6, "new york", 10, 18, -1);
        Entity bob1 = new Entity("PER", 0.5, "bob", 0, 3, -1);
        Entity bob2 = new Entity("PER", 0.7, "bob", 0, 3, -1);
        Entity ann1 = new Entity("PER", 0.4, "ann", 20, 23, -1);
        Entity ann2 = new Entity("ORG", 0.4, "ann", 20, 23, -1);
        assertEquals(List.of(bob2, newYork, ann1), EntityGrouping.overlapping(List.of(bob1, newCut, ann1, bob2,
                newYork, ann2)));
        assertEquals(List.of(), EntityGrouping.overlapping(List.of()));
    }

    private static Piece piece(String token, int start, int end, int index, boolean subword, double... scores) {
        return new Piece(token, scores, start, end, index, subword);
    }
}
