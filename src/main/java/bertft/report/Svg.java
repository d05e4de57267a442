package bertft.report;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Charts as inline SVG, well-formed XML with every text escaped: line chart (with vertical event markers), bars
 * with error bars and a reference line, heat map, reliability diagram and scatter plot. Sizes are fixed in
 * user units and scale with the page.
 */
public final class Svg {
    /** One line: its name (legend) and points. */
    public record Series(String name, double[] x, double[] y) {}

    /** A vertical line at {@code x} with a short label (an unfreezing step). */
    public record Marker(double x, String label) {}

    static final String[] COLORS = {"#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948", "#b07aa1",
        "#ff9da7", "#9c755f", "#bab0ac"};
    private static final int LEFT = 64;
    private static final int TOP = 14;

    private Svg() {}

    /** Plot area and axis ranges, with the coordinate transforms. */
    private record Frame(int w, int h, double x0, double x1, double y0, double y1) {
        double px(double x) {
            return LEFT + (x1 == x0 ? w / 2.0 : (x - x0) / (x1 - x0) * w);
        }

        double py(double y) {
            return TOP + h - (y1 == y0 ? h / 2.0 : (y - y0) / (y1 - y0) * h);
        }
    }

    /** Lines over a numeric x axis; {@code markers} draw dashed verticals. */
    public static String lines(String title, String xLabel, String yLabel, List<Series> series, List<Marker> markers) {
        double[] xr = range(series.stream().map(Series::x).toList(), false);
        double[] yr = range(series.stream().map(Series::y).toList(), false);
        boolean legend = series.size() > 1;
        int w = legend ? 500 : 640;
        Frame f = new Frame(w, 230, xr[0], xr[1], yr[0], yr[1]);
        StringBuilder sb = open(title, 720, 300);
        axes(sb, f, xLabel, yLabel);
        for (Marker m : markers) {
            double x = f.px(m.x());
            sb.append(String.format(Locale.ROOT, "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" stroke=\"#999\" "
                    + "stroke-dasharray=\"4 3\"/>", x, TOP, x, TOP + f.h()));
            sb.append(String.format(Locale.ROOT, "<text x=\"%.1f\" y=\"%d\" font-size=\"10\" fill=\"#666\" "
                    + "transform=\"rotate(-90 %.1f %d)\" text-anchor=\"end\">%s</text>", x + 3, TOP + 4, x + 3,
                    TOP + 4, Html.escape(m.label())));
        }
        for (int s = 0; s < series.size(); s++) {
            Series ser = series.get(s);
            StringBuilder pts = new StringBuilder();
            for (int i = 0; i < ser.x().length; i++) {
                if (Double.isFinite(ser.y()[i])) {
                    pts.append(String.format(Locale.ROOT, "%.1f,%.1f ", f.px(ser.x()[i]), f.py(ser.y()[i])));
                }
            }
            String color = COLORS[s % COLORS.length];
            sb.append("<polyline fill=\"none\" stroke=\"").append(color).append("\" stroke-width=\"1.6\" points=\"")
                    .append(pts.toString().strip()).append("\"><title>").append(Html.escape(ser.name()))
                    .append("</title></polyline>");
            if (ser.x().length == 1 && Double.isFinite(ser.y()[0])) {
                circle(sb, f.px(ser.x()[0]), f.py(ser.y()[0]), 3, color, ser.name());
            }
        }
        if (legend) {
            legend(sb, LEFT + w + 14, TOP + 4, series.stream().map(Series::name).toList());
        }
        return close(sb);
    }

    /** One line with a band: its name, and per x position the mean and the spread (one standard deviation). */
    public record Band(String name, double[] mean, double[] sd) {}

    /**
     * Lines over categorical x positions ({@code xs}, equally spaced: sizes 8, 16, 32, 64 sit as on a log axis),
     * each with a shaded band of mean +- sd; a missing (NaN) mean breaks nothing but leaves its point out.
     */
    public static String bands(String title, String xLabel, String yLabel, List<String> xs, List<Band> lines) {
        List<double[]> all = new ArrayList<>();
        for (Band b : lines) {
            double[] lo = new double[b.mean().length];
            double[] hi = new double[b.mean().length];
            for (int i = 0; i < lo.length; i++) {
                lo[i] = b.mean()[i] - b.sd()[i];
                hi[i] = b.mean()[i] + b.sd()[i];
            }
            all.add(lo);
            all.add(hi);
        }
        double[] yr = range(all, true);
        int w = 500;
        Frame f = new Frame(w, 230, -0.5, xs.size() - 0.5, yr[0], yr[1]);
        StringBuilder sb = open(title, 720, 300);
        yAxis(sb, f, yLabel);
        for (int i = 0; i < xs.size(); i++) {
            double x = f.px(i);
            sb.append(String.format(Locale.ROOT, "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" stroke=\"#888\"/>"
                    + "<text x=\"%.1f\" y=\"%d\" font-size=\"11\" text-anchor=\"middle\">%s</text>", x, TOP + f.h(), x,
                    TOP + f.h() + 4, x, TOP + f.h() + 16, Html.escape(xs.get(i))));
        }
        sb.append(String.format(Locale.ROOT, "<text x=\"%.1f\" y=\"%d\" font-size=\"12\" text-anchor=\"middle\">%s</text>",
                LEFT + f.w() / 2.0, TOP + f.h() + 34, Html.escape(xLabel)));
        sb.append(String.format(Locale.ROOT, "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"none\" "
                + "stroke=\"#888\"/>", LEFT, TOP, f.w(), f.h()));
        for (int s = 0; s < lines.size(); s++) {
            Band b = lines.get(s);
            String color = COLORS[s % COLORS.length];
            StringBuilder upper = new StringBuilder();
            StringBuilder lower = new StringBuilder();
            StringBuilder mid = new StringBuilder();
            for (int i = 0; i < b.mean().length; i++) {
                if (Double.isFinite(b.mean()[i])) {
                    upper.append(String.format(Locale.ROOT, "%.1f,%.1f ", f.px(i), f.py(b.mean()[i] + b.sd()[i])));
                    lower.insert(0, String.format(Locale.ROOT, "%.1f,%.1f ", f.px(i), f.py(b.mean()[i] - b.sd()[i])));
                    mid.append(String.format(Locale.ROOT, "%.1f,%.1f ", f.px(i), f.py(b.mean()[i])));
                }
            }
            sb.append("<polygon fill=\"").append(color).append("\" fill-opacity=\"0.18\" stroke=\"none\" points=\"")
                    .append((upper.toString() + lower).strip()).append("\"/>");
            sb.append("<polyline fill=\"none\" stroke=\"").append(color).append("\" stroke-width=\"1.8\" points=\"")
                    .append(mid.toString().strip()).append("\"><title>").append(Html.escape(b.name()))
                    .append("</title></polyline>");
            for (int i = 0; i < b.mean().length; i++) {
                if (Double.isFinite(b.mean()[i])) {
                    circle(sb, f.px(i), f.py(b.mean()[i]), 3, color, String.format(Locale.ROOT, "%s, %s: %s ± %s",
                            b.name(), xs.get(i), num(b.mean()[i]), num(b.sd()[i])));
                }
            }
        }
        legend(sb, LEFT + w + 14, TOP + 4, lines.stream().map(Band::name).toList());
        return close(sb);
    }

    /**
     * Grouped bars: {@code values[s][c]} is series s in category c, optional {@code errors[s][c]} (drawn as
     * +- whiskers) and an optional horizontal {@code reference} line (a baseline's score).
     */
    public static String bars(String title, String yLabel, List<String> categories, List<String> seriesNames,
            double[][] values, double[][] errors, Double reference, String referenceLabel) {
        double hi = 0;
        double lo = 0;
        for (int s = 0; s < values.length; s++) {
            for (int c = 0; c < categories.size(); c++) {
                double e = errors == null ? 0 : errors[s][c];
                if (Double.isFinite(values[s][c])) {
                    hi = Math.max(hi, values[s][c] + e);
                    lo = Math.min(lo, values[s][c] - e);
                }
            }
        }
        if (reference != null && Double.isFinite(reference)) {
            hi = Math.max(hi, reference);
            lo = Math.min(lo, reference);
        }
        hi = hi == lo ? lo + 1 : hi + (hi - lo) * 0.05;
        boolean rotate = categories.size() > 6 || categories.stream().anyMatch(c -> c.length() > 12);
        int bottom = rotate ? 110 : 46;
        boolean legend = values.length > 1;
        int w = legend ? 500 : 640;
        Frame f = new Frame(w, 220, -0.5, categories.size() - 0.5, lo, hi);
        StringBuilder sb = open(title, 720, TOP + 220 + bottom);
        yAxis(sb, f, yLabel);
        baseLine(sb, f);
        double slot = (double) w / categories.size();
        double bw = slot * 0.8 / values.length;
        for (int c = 0; c < categories.size(); c++) {
            double cx = f.px(c);
            for (int s = 0; s < values.length; s++) {
                double v = values[s][c];
                if (!Double.isFinite(v)) {
                    continue;
                }
                double x = cx - slot * 0.4 + s * bw;
                double y0 = f.py(0);
                double y1 = f.py(v);
                String tip = categories.get(c) + (legend ? " (" + seriesNames.get(s) + ")" : "") + ": " + num(v)
                        + (errors != null ? " ± " + num(errors[s][c]) : "");
                sb.append(String.format(Locale.ROOT, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" "
                        + "fill=\"%s\"><title>%s</title></rect>", x + 1, Math.min(y0, y1), Math.max(0.5, bw - 2),
                        Math.abs(y1 - y0), COLORS[s % COLORS.length], Html.escape(tip)));
                if (errors != null && errors[s][c] > 0) {
                    double mx = x + bw / 2;
                    double ya = f.py(v - errors[s][c]);
                    double yb = f.py(v + errors[s][c]);
                    sb.append(String.format(Locale.ROOT, "<path d=\"M%.1f %.1fV%.1fM%.1f %.1fH%.1fM%.1f %.1fH%.1f\" "
                            + "stroke=\"#222\" stroke-width=\"1.3\" fill=\"none\"/>", mx, ya, yb, mx - 5, ya, mx + 5,
                            mx - 5, yb, mx + 5));
                }
            }
            String label = shorten(categories.get(c), rotate ? 18 : 14);
            if (rotate) {
                sb.append(String.format(Locale.ROOT, "<text x=\"%.1f\" y=\"%d\" font-size=\"11\" text-anchor=\"end\" "
                        + "transform=\"rotate(-45 %.1f %d)\">%s<title>%s</title></text>", cx, TOP + 220 + 14, cx,
                        TOP + 220 + 14, Html.escape(label), Html.escape(categories.get(c))));
            } else {
                sb.append(String.format(Locale.ROOT, "<text x=\"%.1f\" y=\"%d\" font-size=\"11\" text-anchor=\"middle\">"
                        + "%s<title>%s</title></text>", cx, TOP + 220 + 16, Html.escape(label),
                        Html.escape(categories.get(c))));
            }
        }
        if (reference != null && Double.isFinite(reference)) {
            double y = f.py(reference);
            sb.append(String.format(Locale.ROOT, "<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" stroke=\"#e15759\" "
                    + "stroke-width=\"1.5\" stroke-dasharray=\"6 4\"/><text x=\"%d\" y=\"%.1f\" font-size=\"11\" "
                    + "fill=\"#e15759\" text-anchor=\"end\">%s</text>", LEFT, y, LEFT + w, y, LEFT + w - 2, y - 4,
                    Html.escape(referenceLabel + " " + num(reference))));
        }
        if (legend) {
            legend(sb, LEFT + w + 14, TOP + 4, seriesNames);
        }
        return close(sb);
    }

    /**
     * A heat map of {@code values} (colour by value / max), rows and columns labelled; {@code text[r][c]} is
     * written in each cell when the matrix is small enough to read.
     */
    public static String heatMap(String title, List<String> rows, List<String> cols, double[][] values,
            String[][] text, String rowTitle, String colTitle) {
        int n = Math.max(rows.size(), cols.size());
        int cell = Math.max(10, Math.min(56, 420 / Math.max(1, n)));
        int left = 120;
        int top = 100;
        int width = left + cell * cols.size() + 20;
        int height = top + cell * rows.size() + 20;
        double max = 0;
        for (double[] r : values) {
            for (double v : r) {
                max = Math.max(max, v);
            }
        }
        StringBuilder sb = open(title, width, height);
        for (int r = 0; r < rows.size(); r++) {
            for (int c = 0; c < cols.size(); c++) {
                double t = max == 0 ? 0 : values[r][c] / max;
                int red = (int) Math.round(255 - t * (255 - 31));
                int green = (int) Math.round(255 - t * (255 - 82));
                int blue = (int) Math.round(255 - t * (255 - 145));
                int x = left + c * cell;
                int y = top + r * cell;
                sb.append(String.format(Locale.ROOT, "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" "
                        + "fill=\"#%02x%02x%02x\" stroke=\"#fff\"><title>%s</title></rect>", x, y, cell, cell, red,
                        green, blue, Html.escape(rows.get(r) + " -> " + cols.get(c) + ": " + text[r][c])));
                if (cell >= 28) {
                    sb.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\" font-size=\"%d\" text-anchor=\"middle\" "
                            + "fill=\"%s\">%s</text>", x + cell / 2, y + cell / 2 + 4, cell >= 44 ? 12 : 10,
                            t > 0.55 ? "#fff" : "#222", Html.escape(text[r][c])));
                }
            }
            sb.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\" font-size=\"11\" text-anchor=\"end\">%s</text>",
                    left - 6, top + r * cell + cell / 2 + 4, Html.escape(shorten(rows.get(r), 16))));
        }
        for (int c = 0; c < cols.size(); c++) {
            int x = left + c * cell + cell / 2;
            sb.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\" font-size=\"11\" transform=\"rotate(-45 %d %d)\">"
                    + "%s</text>", x, top - 6, x, top - 6, Html.escape(shorten(cols.get(c), 16))));
        }
        sb.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"14\" font-size=\"11\" fill=\"#555\">%s</text>", 4,
                Html.escape("rows: " + rowTitle + ", columns: " + colTitle)));
        return close(sb);
    }

    /**
     * Reliability diagram: accuracy per confidence bin as bars, the bin's mean confidence as a dot, and the
     * diagonal of perfect calibration; empty bins are left out.
     */
    public static String reliability(String title, double[] lo, double[] hi, double[] accuracy, double[] confidence,
            long[] n) {
        Frame f = new Frame(300, 260, 0, 1, 0, 1);
        StringBuilder sb = open(title, 400, TOP + 260 + 46);
        axes(sb, f, "confidence (top-class probability)", "accuracy");
        sb.append(String.format(Locale.ROOT, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#999\" "
                + "stroke-dasharray=\"4 3\"/>", f.px(0), f.py(0), f.px(1), f.py(1)));
        for (int b = 0; b < lo.length; b++) {
            if (n[b] == 0) {
                continue;
            }
            double x0 = f.px(lo[b]);
            double x1 = f.px(hi[b]);
            double y = f.py(accuracy[b]);
            sb.append(String.format(Locale.ROOT, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" "
                    + "fill=\"#4e79a7\" fill-opacity=\"0.75\" stroke=\"#fff\"><title>%s</title></rect>", x0, y, x1 - x0,
                    f.py(0) - y, Html.escape(String.format(Locale.ROOT, "confidence %.1f-%.1f: %d examples, accuracy %s, "
                            + "mean confidence %s", lo[b], hi[b], n[b], num(accuracy[b]), num(confidence[b])))));
            circle(sb, f.px(confidence[b]), f.py(confidence[b]), 3, "#e15759", "mean confidence " + num(confidence[b]));
        }
        return close(sb);
    }

    /**
     * Points (x, y), optionally labelled; {@code diagonal} draws y = x (perfect predictions of a regression).
     */
    public static String scatter(String title, String xLabel, String yLabel, double[] x, double[] y,
            List<String> labels, boolean diagonal) {
        double[] xr = range(List.of(x), true);
        double[] yr = range(List.of(y), true);
        if (diagonal) {
            xr = yr = new double[] {Math.min(xr[0], yr[0]), Math.max(xr[1], yr[1])};
        }
        Frame f = new Frame(diagonal ? 320 : 560, diagonal ? 260 : 230, xr[0], xr[1], yr[0], yr[1]);
        StringBuilder sb = open(title, diagonal ? 420 : 720, TOP + f.h() + 46);
        axes(sb, f, xLabel, yLabel);
        if (diagonal) {
            sb.append(String.format(Locale.ROOT, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#999\" "
                    + "stroke-dasharray=\"4 3\"/>", f.px(xr[0]), f.py(xr[0]), f.px(xr[1]), f.py(xr[1])));
        }
        for (int i = 0; i < x.length; i++) {
            if (!Double.isFinite(x[i]) || !Double.isFinite(y[i])) {
                continue; // no value, no point (a NaN coordinate is an SVG error)
            }
            String tip = (labels != null ? labels.get(i) + ": " : "") + num(x[i]) + ", " + num(y[i]);
            String color = labels != null ? COLORS[i % COLORS.length] : "#4e79a7";
            circle(sb, f.px(x[i]), f.py(y[i]), labels != null ? 5 : 2.5, color, tip);
            if (labels != null) {
                sb.append(String.format(Locale.ROOT, "<text x=\"%.1f\" y=\"%.1f\" font-size=\"11\">%s</text>",
                        f.px(x[i]) + 7, f.py(y[i]) + 4, Html.escape(shorten(labels.get(i), 24))));
            }
        }
        return close(sb);
    }

    // ---- building blocks ----

    private static StringBuilder open(String title, int width, int height) {
        return new StringBuilder(String.format(Locale.ROOT, "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 %d %d\" "
                + "width=\"%d\" height=\"%d\" role=\"img\" font-size=\"12\"><title>%s</title>", width, height, width, height,
                Html.escape(title)));
    }

    private static String close(StringBuilder sb) {
        return sb.append("</svg>").toString();
    }

    private static void axes(StringBuilder sb, Frame f, String xLabel, String yLabel) {
        yAxis(sb, f, yLabel);
        for (double t : ticks(f.x0(), f.x1(), 6)) {
            double x = f.px(t);
            sb.append(String.format(Locale.ROOT, "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" stroke=\"#888\"/>"
                    + "<text x=\"%.1f\" y=\"%d\" font-size=\"11\" text-anchor=\"middle\">%s</text>", x, TOP + f.h(), x,
                    TOP + f.h() + 4, x, TOP + f.h() + 16, tick(t, f.x1() - f.x0())));
        }
        sb.append(String.format(Locale.ROOT, "<text x=\"%.1f\" y=\"%d\" font-size=\"12\" text-anchor=\"middle\">%s</text>",
                LEFT + f.w() / 2.0, TOP + f.h() + 34, Html.escape(xLabel)));
        sb.append(String.format(Locale.ROOT, "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"none\" "
                + "stroke=\"#888\"/>", LEFT, TOP, f.w(), f.h()));
    }

    private static void yAxis(StringBuilder sb, Frame f, String yLabel) {
        for (double t : ticks(f.y0(), f.y1(), 5)) {
            double y = f.py(t);
            sb.append(String.format(Locale.ROOT, "<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" stroke=\"#e6e6e6\"/>"
                    + "<text x=\"%d\" y=\"%.1f\" font-size=\"11\" text-anchor=\"end\">%s</text>", LEFT, y, LEFT + f.w(), y,
                    LEFT - 4, y + 4, tick(t, f.y1() - f.y0())));
        }
        double my = TOP + f.h() / 2.0;
        sb.append(String.format(Locale.ROOT, "<text x=\"14\" y=\"%.1f\" font-size=\"12\" text-anchor=\"middle\" "
                + "transform=\"rotate(-90 14 %.1f)\">%s</text>", my, my, Html.escape(yLabel)));
    }

    private static void baseLine(StringBuilder sb, Frame f) {
        sb.append(String.format(Locale.ROOT, "<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" stroke=\"#888\"/>", LEFT,
                f.py(0), LEFT + f.w(), f.py(0)));
    }

    private static void legend(StringBuilder sb, int x, int y, List<String> names) {
        for (int i = 0; i < names.size(); i++) {
            int yy = y + i * 16;
            sb.append(String.format(Locale.ROOT, "<rect x=\"%d\" y=\"%d\" width=\"12\" height=\"10\" fill=\"%s\"/>"
                    + "<text x=\"%d\" y=\"%d\" font-size=\"11\">%s</text>", x, yy, COLORS[i % COLORS.length], x + 16,
                    yy + 9, Html.escape(shorten(names.get(i), 26))));
        }
    }

    private static void circle(StringBuilder sb, double x, double y, double r, String color, String tip) {
        sb.append(String.format(Locale.ROOT, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"%.1f\" fill=\"%s\"><title>%s</title>"
                + "</circle>", x, y, r, color, Html.escape(tip)));
    }

    /** [min, max] of the finite values, padded a little when {@code pad}; [0, 1] when there are none. */
    static double[] range(List<double[]> arrays, boolean pad) {
        double lo = Double.POSITIVE_INFINITY;
        double hi = Double.NEGATIVE_INFINITY;
        for (double[] a : arrays) {
            for (double v : a) {
                if (Double.isFinite(v)) {
                    lo = Math.min(lo, v);
                    hi = Math.max(hi, v);
                }
            }
        }
        if (lo > hi) {
            return new double[] {0, 1};
        }
        if (hi - lo <= Math.max(Math.abs(lo), Math.abs(hi)) * 1e-9) { // one value, to float rounding
            return new double[] {lo - (lo == 0 ? 1 : Math.abs(lo) * 0.1), hi + (hi == 0 ? 1 : Math.abs(hi) * 0.1)};
        }
        double p = pad ? (hi - lo) * 0.06 : 0;
        return new double[] {lo - p, hi + p};
    }

    /** About {@code n} round tick values inside [lo, hi]. */
    static List<Double> ticks(double lo, double hi, int n) {
        List<Double> out = new ArrayList<>();
        double span = hi - lo;
        if (!(span > 0) || !Double.isFinite(span)) {
            out.add(lo);
            return out;
        }
        double raw = span / n;
        double mag = Math.pow(10, Math.floor(Math.log10(raw)));
        double r = raw / mag;
        double step = (r < 1.5 ? 1 : r < 3 ? 2 : r < 7 ? 5 : 10) * mag;
        // by index, not by adding step: a step below lo's float resolution would never move t
        long first = (long) Math.ceil(lo / step);
        for (long k = first; k * step <= hi + step * 1e-9 && k - first <= 4L * n; k++) {
            double t = k * step;
            out.add(Math.abs(t) < step * 1e-9 ? 0 : t);
        }
        if (out.isEmpty()) {
            out.add(lo);
        }
        return out;
    }

    private static String tick(double v, double span) {
        if (v == 0) {
            return "0";
        }
        if (Math.abs(v) < 1e-3 || Math.abs(v) >= 1e6) {
            return String.format(Locale.ROOT, "%.1e", v);
        }
        int decimals = Math.max(0, (int) -Math.floor(Math.log10(span / 5)) + 1);
        return String.format(Locale.ROOT, "%." + Math.min(decimals, 6) + "f", v).replaceAll("(\\.\\d*?)0+$", "$1")
                .replaceAll("\\.$", "");
    }

    static String num(double v) {
        if (!Double.isFinite(v)) {
            return "n/a";
        }
        if (v == Math.rint(v) && Math.abs(v) < 1e15) {
            return Long.toString((long) v);
        }
        return Math.abs(v) < 1e-3 ? String.format(Locale.ROOT, "%.2e", v)
                : String.format(Locale.ROOT, "%.4f", v).replaceFirst("0+$", ""); // 24.1, not 24.1000
    }

    private static String shorten(String s, int max) {
        return s.length() <= max ? s : s.substring(0, max - 1) + "…";
    }
}
