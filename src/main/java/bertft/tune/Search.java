package bertft.tune;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The search loop: promote a trial to its next rung when {@link Halving} says so, else start a new sampled
 * trial, while the {@link Budget} allows. Training is a {@link Runner}'s; given the same runner results the loop
 * makes the same decisions, so a re-run replays a killed search up to where it stopped.
 */
final class Search {
    /** Trains trials; the search only decides which and how far. */
    interface Runner {
        /** Trains {@code trial} to the end of rung {@code rung} (from where it stands) and says how it went. */
        Unit train(Trial trial, int rung);
    }

    /** One rung of one trial: the epochs trained by its end, the metric then, the seconds it took, whether done. */
    record Unit(double epochs, double value, double seconds, boolean finished) {}

    private final Space space;
    private final long seed;
    private final String taskStrategy;
    private final double taskEpochs;
    private final Budget budget;
    private final double retrainRuns;
    /** Epochs of the defaults' runs after the search (seeds x the task's epochs), timed at the best's pace. */
    private double defaultEpochs;
    private final Rungs rungs;
    private final boolean lowerIsBetter;
    private final PrintStream err;
    /** Why the search ended, for the report. */
    String stopped = "";

    /**
     * @param retrainRuns how many of the winner's trainings follow the search (the budget keeps time for them): one
     *     per seed, each longer by the validation rows a refit gives back
     */
    Search(Space space, long seed, String taskStrategy, double taskEpochs, Rungs rungs, Budget budget,
            double retrainRuns, boolean lowerIsBetter, PrintStream err) {
        this.rungs = rungs;
        this.space = space;
        this.seed = seed;
        this.taskStrategy = taskStrategy;
        this.taskEpochs = taskEpochs;
        this.budget = budget;
        this.retrainRuns = retrainRuns;
        this.lowerIsBetter = lowerIsBetter;
        this.err = err;
    }

    /** Keeps time for the defaults' runs too: {@code epochs} in all, at the current best's seconds per epoch. */
    Search defaults(double epochs) {
        this.defaultEpochs = epochs;
        return this;
    }

    List<Trial> run(Runner runner) {
        List<Trial> trials = new ArrayList<>();
        Set<Map<String, String>> taken = new HashSet<>();
        boolean exhausted = false;
        while (true) {
            // 1) a promotion if halving allows one, else a new trial while trials remain
            Trial next = Halving.promotion(trials, lowerIsBetter);
            boolean fresh = next == null;
            if (fresh) {
                if (exhausted || !budget.mayStart(trials.size())) {
                    stopped = exhausted ? "every point of the space was tried"
                            : "the trial budget (" + budget.trials + ") is spent and no trial is due for promotion";
                    break;
                }
                Map<String, String> s = space.sample(seed, trials.size(), taskStrategy, taken);
                if (s == null) {
                    exhausted = true;
                    continue;
                }
                next = new Trial(trials.size(), s, epochs(s));
            }
            int rung = next.rung() + 1;
            // 2) the time budget: this unit's expected time plus the winner's retraining must still fit
            double expected = perEpoch(trials) * (rungs.target(next.epochs, rung) - next.trained());
            if (!budget.fits(expected, reserve(trials))) {
                stopped = String.format("the time budget (%s) would be passed: %s spent, the next rung needs ~%s and"
                        + " the winner's retraining" + (defaultEpochs > 0 ? " with the defaults' runs" : "") + " ~%s",
                        Budget.text(budget.seconds), Budget.text(budget.spent()),
                        Budget.text(expected), Budget.text(reserve(trials)));
                break;
            }
            if (fresh) {
                trials.add(next);
                taken.add(next.settings);
            }
            // 3) train it to the end of the rung
            Unit u = runner.train(next, rung);
            next.record(u.epochs(), u.value(), u.seconds(), u.finished());
            budget.spend(u.seconds());
            err.printf("== tune: trial %d %s: rung %d (%s epochs) %.4f, %s spent%n", next.id, next.settings, rung,
                    Space.format(u.epochs()), u.value(), Budget.text(budget.spent()));
        }
        err.println("== tune: search ended: " + stopped);
        return trials;
    }

    /** The epochs of a trial with settings {@code s}. */
    double epochs(Map<String, String> s) {
        return s.containsKey("epochs") ? Double.parseDouble(s.get("epochs")) : taskEpochs;
    }

    /** Seconds per epoch over all training so far (0 before any). */
    static double perEpoch(List<Trial> trials) {
        double epochs = trials.stream().mapToDouble(Trial::trained).sum();
        return epochs == 0 ? 0 : trials.stream().mapToDouble(t -> t.seconds).sum() / epochs;
    }

    /** The expected time of retraining the current best: its own seconds per epoch, its epochs, every run. */
    double reserve(List<Trial> trials) {
        Trial best = Halving.best(trials, lowerIsBetter);
        if (best == null || best.trained() == 0) {
            return 0;
        }
        return best.seconds / best.trained() * (best.epochs * retrainRuns + defaultEpochs);
    }
}
