package bertft.serve;

import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.atomic.DoubleAdder;
import java.util.concurrent.atomic.LongAdder;

/**
 * The server's counters in Prometheus' text format: requests by route and status, errors by route, request
 * latency and batch size histograms by route.
 */
final class Metrics {
    static final double[] LATENCY_BUCKETS = {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};
    static final double[] BATCH_BUCKETS = {1, 2, 4, 8, 16, 32, 64, 128, 256};

    private final Map<String, LongAdder> requests = new ConcurrentHashMap<>();
    private final Map<String, LongAdder> errors = new ConcurrentHashMap<>();
    private final Map<String, Histogram> latency = new ConcurrentHashMap<>();
    private final Map<String, Histogram> batches = new ConcurrentHashMap<>();

    /** A cumulative histogram over fixed upper bounds (+Inf implied). */
    private static final class Histogram {
        final double[] bounds;
        final AtomicLongArray counts;
        final DoubleAdder sum = new DoubleAdder();
        final LongAdder count = new LongAdder();

        Histogram(double[] bounds) {
            this.bounds = bounds;
            this.counts = new AtomicLongArray(bounds.length);
        }

        void observe(double v) {
            for (int i = 0; i < bounds.length; i++) {
                if (v <= bounds[i]) {
                    counts.incrementAndGet(i);
                }
            }
            sum.add(v);
            count.increment();
        }
    }

    /** One finished request. */
    void request(String route, int status, double seconds) {
        requests.computeIfAbsent(route + "\",status=\"" + status, k -> new LongAdder()).increment();
        if (status >= 400) {
            errors.computeIfAbsent(route, k -> new LongAdder()).increment();
        }
        latency.computeIfAbsent(route, k -> new Histogram(LATENCY_BUCKETS)).observe(seconds);
    }

    /** One model call of {@code size} inputs for {@code route}. */
    void batch(String route, int size) {
        batches.computeIfAbsent(route, k -> new Histogram(BATCH_BUCKETS)).observe(size);
    }

    /** Prometheus exposition format 0.0.4. */
    String text() {
        StringBuilder sb = new StringBuilder();
        counter(sb, "bertft_requests_total", "Requests by route and HTTP status.", requests);
        counter(sb, "bertft_errors_total", "Requests answered with status 400 or above, by route.", errors);
        histogram(sb, "bertft_request_duration_seconds", "Time from request to response, by route.", latency);
        histogram(sb, "bertft_batch_size", "Inputs per model call (dynamic batching), by route.", batches);
        return sb.toString();
    }

    private static void counter(StringBuilder sb, String name, String help, Map<String, LongAdder> m) {
        sb.append("# HELP ").append(name).append(' ').append(help).append('\n');
        sb.append("# TYPE ").append(name).append(" counter\n");
        new TreeMap<>(m).forEach((k, v) -> sb.append(name).append("{route=\"").append(k).append("\"} ")
                .append(v.sum()).append('\n'));
    }

    private static void histogram(StringBuilder sb, String name, String help, Map<String, Histogram> m) {
        sb.append("# HELP ").append(name).append(' ').append(help).append('\n');
        sb.append("# TYPE ").append(name).append(" histogram\n");
        new TreeMap<>(m).forEach((route, h) -> {
            String r = "{route=\"" + route + "\"";
            long total = h.count.sum();
            for (int i = 0; i < h.bounds.length; i++) {
                sb.append(name).append("_bucket").append(r).append(",le=\"").append(number(h.bounds[i])).append("\"} ")
                        .append(h.counts.get(i)).append('\n');
            }
            sb.append(name).append("_bucket").append(r).append(",le=\"+Inf\"} ").append(total).append('\n');
            sb.append(name).append("_sum").append(r).append("} ").append(number(h.sum.sum())).append('\n');
            sb.append(name).append("_count").append(r).append("} ").append(total).append('\n');
        });
    }

    private static String number(double v) {
        return v == Math.rint(v) && Math.abs(v) < 1e15 ? Long.toString((long) v) : String.format(Locale.ROOT, "%s", v);
    }
}
