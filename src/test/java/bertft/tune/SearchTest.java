package bertft.tune;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import bertft.UserError;
import java.io.OutputStream;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The halving schedule, the budget and the search loop, with a fake runner instead of training. */
class SearchTest {
    static final PrintStream QUIET = new PrintStream(OutputStream.nullOutputStream());
    static final Space FOUR = Space.parse("learning-rate=1e-4,2e-4,3e-4,4e-4");

    /** A runner whose trial i scores quality[i] at every rung and costs {@code perEpoch} seconds an epoch. */
    record Fake(double[] quality, double perEpoch, Rungs rungs, List<String> log) implements Search.Runner {
        Fake(double[] quality, double perEpoch) {
            this(quality, perEpoch, Rungs.EPOCHS, new ArrayList<>());
        }

        @Override
        public Search.Unit train(Trial t, int rung) {
            log.add(t.id + "@" + rung);
            double target = rungs.target(t.epochs, rung);
            return new Search.Unit(target, quality[t.id], perEpoch * (target - t.trained()),
                    rung == rungs.lastRung(t.epochs));
        }
    }

    static Search search(Budget b, int retrainRuns) {
        return new Search(FOUR, 42, "full", 4, Rungs.EPOCHS, b, retrainRuns, false, QUIET);
    }

    @Test
    void rungsEndAfterOneTwoFourEpochsOrAtTheTrialsOwnEnd() {
        Rungs r = Rungs.EPOCHS;
        assertEquals(1, r.target(6, 0));
        assertEquals(4, r.target(6, 2));
        assertEquals(6, r.target(6, 3));
        assertEquals(0.5, r.target(0.5, 0));
        assertEquals(3, r.lastRung(6));
        assertEquals(2, r.lastRung(4));
        assertEquals(1, r.lastRung(2));
        assertEquals(0, r.lastRung(1));
        assertEquals(0, r.lastRung(0.5));
    }

    @Test
    void scheduleRungsEndAtAQuarterAHalfAndAllOfEachTrialsEpochs() {
        Rungs r = Rungs.SCHEDULE;
        double[][] ends = {{3, 1, 2, 3}, {4, 1, 2, 4}, {5, 2, 3, 5}, {6, 2, 3, 6}, {8, 2, 4, 8}};
        for (double[] e : ends) {
            assertEquals(2, r.lastRung(e[0]));
            for (int k = 0; k < 3; k++) {
                assertEquals(e[k + 1], r.target(e[0], k), e[0] + " epochs, rung " + k);
            }
            assertEquals(e[0], r.target(e[0], 5), "past the last rung: the end");
        }
        // rungs that round to the same epoch are one
        assertEquals(1, r.lastRung(2));
        assertEquals(2, r.target(2, 1));
        assertEquals(0, r.lastRung(1));
        assertEquals(0, r.lastRung(0.5));
        assertEquals(0.5, r.target(0.5, 0));
        assertEquals(1, r.target(2.5, 0));
        assertEquals(2.5, r.target(2.5, 2));
    }

    @Test
    void withScheduleRungsALongTrialIsJudgedAtItsOwnQuarter() {
        // trial 0 (3 epochs) and trial 1 (6 epochs) first meet at rung 0: after 1 and 2 epochs of training
        Space two = Space.parse("epochs=3,6");
        Fake f = new Fake(new double[] {0.8, 0.9}, 10, Rungs.SCHEDULE, new ArrayList<>());
        List<Trial> trials = new Search(two, 1, "full", 3, Rungs.SCHEDULE, new Budget(2, null), 1, false, QUIET)
                .run(f);
        assertEquals(2, trials.size());
        for (Trial t : trials) {
            assertEquals(t.epochs == 3 ? 1 : 2, t.rungEpochs.get(0), 1e-9, t.settings.toString());
        }
        // of two trials at rung 0 the better one (trial 1) goes on, to its own half
        Trial better = trials.get(1);
        assertEquals(List.of(Rungs.SCHEDULE.target(better.epochs, 0), Rungs.SCHEDULE.target(better.epochs, 1)),
                better.rungEpochs);
        assertEquals(1, trials.get(0).rungEpochs.size());
    }

    @Test
    void aTrialGoesOnWhenInTheBetterHalfOfItsRung() {
        // qualities by trial: 0.5, 0.7, 0.6, 0.9; 4 epochs each: rungs at 1, 2, 4
        Fake f = new Fake(new double[] {0.5, 0.7, 0.6, 0.9}, 10);
        List<Trial> trials = search(new Budget(4, null), 1).run(f);
        // worked by hand: t1 beats t0 -> epoch 2; t2 is not in the best half of {t1, t2, t0}; t3 is best of four
        // -> epoch 2, best of {t3, t1} at rung 1 -> epoch 4 (its end); nothing else is due
        assertEquals(List.of("0@0", "1@0", "1@1", "2@0", "3@0", "3@1", "3@2"), f.log());
        assertEquals(3, Halving.best(trials, false).id);
        assertTrue(trials.get(3).finished);
        assertEquals(2, trials.get(1).trained());
        assertEquals(1, trials.get(0).trained());
        // lower is better: t0 beats t1 -> epoch 2; t2 is not in the best of {t0, t2, t1}; with t3 the best two
        // of rung 0 are t0 and t2 -> t2 to epoch 2, then the better of {t0, t2} at rung 1 -> epoch 4
        Fake g = new Fake(new double[] {0.5, 0.7, 0.6, 0.9}, 10);
        new Search(FOUR, 42, "full", 4, Rungs.EPOCHS, new Budget(4, null), 1, true, QUIET).run(g);
        assertEquals(List.of("0@0", "1@0", "0@1", "2@0", "3@0", "2@1", "0@2"), g.log());
    }

    @Test
    void theWinnerIsAmongFinishedTrialsAndThoseAtTheHighestRung() {
        Trial a = new Trial(0, java.util.Map.of(), 2);
        a.record(1, 0.95, 1, false); // high, but stopped at rung 0 while others went on
        Trial b = new Trial(1, java.util.Map.of(), 4);
        b.record(1, 0.90, 1, false);
        b.record(2, 0.91, 1, false);
        Trial c = new Trial(2, java.util.Map.of(), 1);
        c.record(1, 0.93, 1, true); // finished: its whole training
        assertEquals(2, Halving.best(List.of(a, b, c), false).id);
        assertEquals(1, Halving.best(List.of(a, b, c), true).id);
        assertNull(Halving.best(List.of(), false));
    }

    @Test
    void theSameSeedDrawsTheSameTrialsAndMakesTheSameDecisions() {
        Space s = Space.parse("strategy=full,llrd,gradual; learning-rate=1e-5..1e-3:log; layer-decay=0.7..1.0; "
                + "epochs=1..4");
        List<String> runs = new ArrayList<>();
        for (long seed : new long[] {7, 7, 8}) {
            Fake f = new Fake(new double[] {0.5, 0.8, 0.6, 0.9, 0.7, 0.55, 0.65, 0.75}, 1);
            List<Trial> trials = new Search(s, seed, "full", 3, Rungs.EPOCHS, new Budget(8, null), 1, false, QUIET).run(f);
            runs.add(trials.stream().map(t -> t.settings.toString()).toList() + " " + f.log());
        }
        assertEquals(runs.get(0), runs.get(1));
        assertTrue(!runs.get(0).equals(runs.get(2)), "another seed, other trials");
    }

    @Test
    void theTimeBudgetKeepsBackTheWinnersRetrainingAndStopsBeforeItIsPassed() {
        // 10 s an epoch, trials of 4 epochs, retrained twice: once a best exists, 80 s are kept back.
        // 1st rung: nothing known, runs (10 s). 2nd trial's rung 0: 10 + 10 + 80 = 100 <= 100, runs.
        // then trial 1 to epoch 2: 20 + 10 + 80 = 110 > 100: the search stops.
        Fake f = new Fake(new double[] {0.5, 0.7, 0.6, 0.9}, 10);
        Budget b = new Budget(null, 100.0);
        Search s = search(b, 2);
        List<Trial> trials = s.run(f);
        assertEquals(List.of("0@0", "1@0"), f.log());
        assertEquals(20, b.spent());
        assertEquals(80, s.reserve(trials));
        assertTrue(s.stopped.startsWith("the time budget (1m 40s) would be passed: 20s spent"), s.stopped);
        // 10 s more: exactly one more rung
        Fake g = new Fake(new double[] {0.5, 0.7, 0.6, 0.9}, 10);
        search(new Budget(null, 110.0), 2).run(g);
        assertEquals(List.of("0@0", "1@0", "1@1"), g.log());
        // a budget of both kinds: whichever ends first
        Fake h = new Fake(new double[] {0.5, 0.7, 0.6, 0.9}, 10);
        search(new Budget(1, 1e9), 2).run(h);
        assertEquals(List.of("0@0"), h.log());
    }

    @Test
    void aSmallFiniteSpaceEndsWhenEveryPointWasTried() {
        Fake f = new Fake(new double[] {0.5, 0.7, 0.6, 0.9, 0.1}, 1);
        Search s = search(new Budget(100, null), 1);
        List<Trial> trials = s.run(f);
        assertEquals(4, trials.size());
        assertEquals(4, trials.stream().map(t -> t.settings).distinct().count());
        assertEquals("every point of the space was tried", s.stopped);
    }

    @Test
    void budgetsAreDurations() {
        assertEquals(7200, Budget.seconds("2h"));
        assertEquals(5400, Budget.seconds("90m"));
        assertEquals(5400, Budget.seconds("1h30m"));
        assertEquals(5400, Budget.seconds("1.5h"));
        assertEquals(600, Budget.seconds("600s"));
        for (String bad : List.of("2", "2x", "h", "", "1h 30m", "0m", "-1h")) {
            UserError e = assertThrows(UserError.class, () -> Budget.seconds(bad), bad);
            assertTrue(e.getMessage().startsWith("--budget " + bad + ": "), e.getMessage());
        }
    }
}
