package bertft;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** A job's progress is held while it checks, then live; a refused job's lines are dropped. */
class HeldTest {
    private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    private final PrintStream target = new PrintStream(bytes, true, StandardCharsets.UTF_8);

    private String seen() {
        return bytes.toString(StandardCharsets.UTF_8);
    }

    @Test
    void linesWaitForTheChecksThenPassStraightThrough() {
        Held h = Held.over(target);
        String result = h.during(() -> {
            h.println("train.csv: 48 examples");
            assertEquals("", seen(), "held while the checks run");
            h.release();
            assertEquals("train.csv: 48 examples\n", seen());
            h.println("step 1/6");
            assertEquals("train.csv: 48 examples\nstep 1/6\n", seen(), "live once released");
            return "ok";
        });
        assertEquals("ok", result);
    }

    @Test
    void aUserErrorBeforeTheReleaseDropsTheLinesAnyOtherFailurePrintsThem() {
        Held h = Held.over(target);
        assertThrows(UserError.class, () -> h.during(() -> {
            h.println("train.csv: 48 examples");
            throw new UserError("runs/x: is not empty");
        }));
        assertEquals("", seen());
        assertThrows(IllegalStateException.class, () -> h.during(() -> {
            h.println("train.csv: 48 examples");
            throw new IllegalStateException("a bug");
        }));
        assertEquals("train.csv: 48 examples\n", seen(), "how far it got, for the bug report");
    }

    @Test
    void anInnerReleaseReleasesTheOuterFirstAndAnInnerRefusalDropsBoth() {
        Held outer = Held.over(target);
        assertThrows(UserError.class, () -> outer.during(() -> {
            outer.println("== compare: frozen, seed 1");
            Held inner = Held.over(outer);
            return inner.during(() -> {
                inner.println("train.csv: 48 examples");
                throw new UserError("train.csv:50: label 'meh' is not one of [negative, positive]");
            });
        }));
        assertEquals("", seen());
        outer.during(() -> {
            outer.println("== compare: frozen, seed 1");
            Held inner = Held.over(outer);
            return inner.during(() -> {
                inner.println("train.csv: 48 examples");
                inner.release();
                return null;
            });
        });
        assertEquals("== compare: frozen, seed 1\ntrain.csv: 48 examples\n", seen());
    }
}
