package bertft.report;

import java.util.List;

/**
 * A small HTML page builder: every text argument is escaped; only {@link #raw} inserts markup (the SVG that
 * {@link Svg} builds from escaped text). The page declares UTF-8 and a font stack with CJK fonts (macOS, Windows,
 * Noto/Source Han on Linux), so Chinese texts and labels show as characters. The page loads nothing: its content security policy forbids scripts and
 * every fetch but inline styles and {@code data:} images, so a report opens the same offline.
 */
public final class Html {
    static final String CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:";

    private static final String CSS = """
            body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,"PingFang SC",\
            "Hiragino Sans GB","Microsoft YaHei","Noto Sans CJK SC","Source Han Sans SC","WenQuanYi Micro Hei",\
            sans-serif;color:#222;max-width:1000px;margin:1.5em auto;padding:0 1em}
            h1{font-size:1.6em;margin-bottom:.2em}h2{font-size:1.25em;border-bottom:2px solid #4e79a7;\
            padding-bottom:.15em;margin-top:1.8em}h3{font-size:1.05em;margin:1.2em 0 .4em}
            table{border-collapse:collapse;margin:.4em 0 1em;font-variant-numeric:tabular-nums}
            th,td{border:1px solid #ccc;padding:.25em .6em;text-align:left;vertical-align:top}
            th{background:#f0f3f7}td.num{text-align:right}td.text{max-width:40em;word-wrap:break-word}
            .cards{display:flex;flex-wrap:wrap;gap:.6em;margin:.6em 0}
            .card{border:1px solid #ccd;border-radius:6px;padding:.4em .8em;min-width:7em;background:#fafbfd}
            .card b{display:block;font-size:1.4em}.card span{color:#555;font-size:.85em}
            .note{border-left:4px solid #4e79a7;background:#eef3f9;padding:.5em .8em;margin:.8em 0}
            .warn{border-left:4px solid #e15759;background:#fdeeee;padding:.5em .8em;margin:.8em 0}
            .ok{border-left:4px solid #59a14f;background:#eef7ec;padding:.5em .8em;margin:.8em 0}
            figure{margin:.6em 0 1.2em;break-inside:avoid}figcaption{color:#555;font-size:.9em}
            svg{max-width:100%;height:auto}svg text{font-family:inherit}
            .row{display:flex;flex-wrap:wrap;gap:1em;align-items:flex-start}
            code,.mono{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:.9em;word-break:break-all}
            @media print{body{max-width:none;margin:0;font-size:11px}h2{break-after:avoid}\
            table,figure,.cards{break-inside:avoid}a{color:inherit;text-decoration:none}}
            """;

    private final StringBuilder sb = new StringBuilder();

    /** A page with this title (escaped) in its head and as its heading. */
    public Html(String title) {
        sb.append("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n")
                .append("<meta http-equiv=\"Content-Security-Policy\" content=\"").append(CSP).append("\">\n")
                .append("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n")
                .append("<title>").append(escape(title)).append("</title>\n<style>\n").append(CSS)
                .append("</style>\n</head>\n<body>\n<h1>").append(escape(title)).append("</h1>\n");
    }

    /** Text safe inside elements and quoted attributes of HTML and XML. */
    public static String escape(String s) {
        if (s == null) {
            return "";
        }
        StringBuilder out = new StringBuilder(s.length() + 16);
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '&' -> out.append("&amp;");
                case '<' -> out.append("&lt;");
                case '>' -> out.append("&gt;");
                case '"' -> out.append("&quot;");
                case '\'' -> out.append("&#39;");
                default -> {
                    // control characters are not allowed in XML 1.0 (SVG) and are invisible in HTML
                    if (c < 0x20 && c != '\n' && c != '\t' && c != '\r') {
                        out.append(' ');
                    } else {
                        out.append(c);
                    }
                }
            }
        }
        return out.toString();
    }

    public Html h2(String text) {
        return tag("h2", text);
    }

    public Html h3(String text) {
        return tag("h3", text);
    }

    public Html p(String text) {
        return tag("p", text);
    }

    /** A highlighted paragraph: {@code note}, {@code warn} or {@code ok}. */
    public Html box(String kind, String text) {
        sb.append("<div class=\"").append(escape(kind)).append("\">").append(escape(text)).append("</div>\n");
        return this;
    }

    /** Headline numbers as cards: values[i] over names[i]. */
    public Html cards(List<String> names, List<String> values) {
        sb.append("<div class=\"cards\">");
        for (int i = 0; i < names.size(); i++) {
            sb.append("<div class=\"card\"><b>").append(escape(values.get(i))).append("</b><span>")
                    .append(escape(names.get(i))).append("</span></div>");
        }
        sb.append("</div>\n");
        return this;
    }

    /** A table; cells that look like numbers are right-aligned, long texts wrap. */
    public Html table(List<String> header, List<List<String>> rows) {
        sb.append("<table>\n<thead><tr>");
        header.forEach(h -> sb.append("<th>").append(escape(h)).append("</th>"));
        sb.append("</tr></thead>\n<tbody>\n");
        for (List<String> row : rows) {
            sb.append("<tr>");
            for (String cell : row) {
                String cls = cell != null && cell.matches("[-+]?[\\d.,]+(e[-+]?\\d+)?( ± [\\d.]+)?%?") ? "num"
                        : cell != null && cell.length() > 40 ? "text" : null;
                sb.append(cls == null ? "<td>" : "<td class=\"" + cls + "\">").append(escape(cell)).append("</td>");
            }
            sb.append("</tr>\n");
        }
        sb.append("</tbody>\n</table>\n");
        return this;
    }

    /** A chart with a caption. */
    public Html figure(String svg, String caption) {
        sb.append("<figure>").append(svg);
        if (caption != null && !caption.isEmpty()) {
            sb.append("<figcaption>").append(escape(caption)).append("</figcaption>");
        }
        sb.append("</figure>\n");
        return this;
    }

    /** Starts a flex row (figures side by side on screen, wrapping on narrow pages); close with {@link #end}. */
    public Html row() {
        sb.append("<div class=\"row\">\n");
        return this;
    }

    public Html end() {
        sb.append("</div>\n");
        return this;
    }

    /** Markup inserted as it is: only for SVG built by {@link Svg}. */
    Html raw(String markup) {
        sb.append(markup);
        return this;
    }

    private Html tag(String tag, String text) {
        sb.append('<').append(tag).append('>').append(escape(text)).append("</").append(tag).append(">\n");
        return this;
    }

    /** The finished page. */
    @Override
    public String toString() {
        return sb + "</body>\n</html>\n";
    }
}
