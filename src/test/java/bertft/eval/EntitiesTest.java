package bertft.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import bertft.eval.Entities.Entity;
import bertft.eval.Entities.Mode;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

class EntitiesTest {

    /** 600 random sequences with the spans Python's seqeval (default, strict IOB2, strict IOBES) finds in them. */
    @Test
    void spansAreSeqevalsOnRandomSequences() throws IOException {
        String fixture;
        try (InputStream in = getClass().getResourceAsStream("/ner/seqeval-entities.tsv")) {
            fixture = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
        int checked = 0;
        for (String line : fixture.split("\n")) {
            if (line.startsWith("#")) {
                continue;
            }
            String[] f = line.split("\t", -1);
            List<String> tags = f[0].isEmpty() ? List.of() : Arrays.asList(f[0].split(" "));
            assertEquals(f[1], format(tags, Mode.DEFAULT), "default: " + f[0]);
            assertEquals(f[2], format(tags, Mode.STRICT_IOB2), "strict IOB2: " + f[0]);
            assertEquals(f[3], format(tags, Mode.STRICT_IOBES), "strict IOBES: " + f[0]);
            checked++;
        }
        assertEquals(600, checked);
    }

    @Test
    void trickySequencesByHand() {
        // an I- after O starts an entity; a type change inside a run starts another (conlleval)
        assertEquals(List.of(new Entity("PER", 1, 2), new Entity("LOC", 3, 3)),
                Entities.of(List.of("O", "I-PER", "I-PER", "I-LOC"), Mode.DEFAULT));
        // IOB1: B- only between two adjacent entities of one type
        assertEquals(List.of(new Entity("PER", 0, 1), new Entity("PER", 2, 2)),
                Entities.of(List.of("I-PER", "I-PER", "B-PER"), Mode.DEFAULT));
        // strict IOB2 drops the entity that starts with I-
        assertEquals(List.of(new Entity("LOC", 2, 3)),
                Entities.of(List.of("O", "I-PER", "B-LOC", "I-LOC"), Mode.STRICT_IOB2));
        // BIOES: E- closes, S- is one word; strict drops B- without E-; BILOU's U-/L- read as S-/E-
        assertEquals(List.of(new Entity("ORG", 0, 2), new Entity("PER", 3, 3)),
                Entities.of(List.of("B-ORG", "I-ORG", "E-ORG", "S-PER", "B-LOC"), Mode.STRICT_IOBES));
        assertEquals(Entities.of(List.of("B-ORG", "E-ORG", "S-PER"), Mode.STRICT_IOBES),
                Entities.of(List.of("B-ORG", "L-ORG", "U-PER"), Mode.STRICT_IOBES));
        assertThrows(IllegalArgumentException.class, () -> Entities.of(List.of("S-PER"), Mode.STRICT_IOB2));
    }

    @Test
    void metricsCountExactSpansPerTypeAndTheTypeConfusion() {
        List<List<String>> gold = List.of(List.of("B-PER", "I-PER", "O", "B-LOC"), List.of("B-ORG", "O"));
        List<List<String>> pred = List.of(List.of("B-PER", "I-PER", "O", "B-ORG"), List.of("O", "B-LOC"));
        EntityMetrics m = EntityMetrics.compute(gold, pred, Mode.DEFAULT);
        // gold PER, LOC, ORG; predicted PER (right), ORG (wrong type over LOC), LOC (spurious)
        assertEquals(1.0 / 3, m.micro().precision(), 1e-12);
        assertEquals(1.0 / 3, m.micro().recall(), 1e-12);
        assertEquals(List.of("LOC", "ORG", "PER"), new ArrayList<>(m.perType().keySet()));
        assertEquals(1.0, m.perType().get("PER").f1());
        assertEquals(0.0, m.perType().get("LOC").f1());
        assertEquals(3.0 / 6, m.tokenAccuracy(), 1e-12);
        assertEquals(List.of("LOC", "ORG", "PER", "O"), m.confusionLabels());
        long[][] c = m.confusion();
        assertEquals(1, c[0][1]); // gold LOC met a predicted ORG
        assertEquals(1, c[1][3]); // gold ORG missed
        assertEquals(1, c[2][2]); // PER found
        assertEquals(1, c[3][0]); // a spurious LOC
        assertEquals(1.0 / 3, m.scalars().get("f1"), 1e-12);
    }

    private static String format(List<String> tags, Mode mode) {
        List<Entity> entities;
        try {
            entities = Entities.of(tags, mode);
        } catch (IllegalArgumentException e) {
            return "ERR";
        }
        List<String> out = new ArrayList<>();
        for (Entity e : entities) {
            out.add(e.type() + ":" + e.first() + ":" + e.last());
        }
        return out.isEmpty() ? "-" : String.join(",", out);
    }
}
