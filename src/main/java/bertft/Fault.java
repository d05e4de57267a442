package bertft;

/**
 * Test hook for the fault-injection test, off unless the environment sets it: {@code BERT_FT_FAULT=POINT[@N]}
 * stops the process the N-th time (default: the first) it reaches POINT, after printing
 * {@code bert-ft fault hook: paused at POINT} on stderr, and waits there to be killed, so a {@code kill -9}
 * lands at a known place. Points: {@code step} (gradients accumulated, weights not yet updated),
 * {@code eval} (an evaluation begun), {@code save-model} and {@code save-state} (the best model's or the
 * resume state's temporary half-written), {@code save-extras} (the resume state's temporary holding model,
 * optimizer and position, not yet DANN's domain classifier or the moving average).
 */
public final class Fault {
    private static final String SPEC = System.getenv("BERT_FT_FAULT");
    private static int seen;

    private Fault() {}

    public static void at(String point) {
        if (SPEC == null || SPEC.isBlank()) {
            return;
        }
        String[] p = SPEC.strip().split("@", 2);
        if (!p[0].equals(point)) {
            return;
        }
        synchronized (Fault.class) {
            if (++seen != (p.length > 1 ? Integer.parseInt(p[1]) : 1)) {
                return;
            }
        }
        System.err.println("bert-ft fault hook: paused at " + point);
        System.err.flush();
        while (true) {
            try {
                Thread.sleep(60_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }
}
