/**
 * Self-contained HTML reports: {@link bertft.report.Html} (an escaping page builder with print-friendly CSS and
 * a content security policy that blocks every network fetch), {@link bertft.report.Svg} (charts as inline SVG)
 * and {@link bertft.report.HtmlReport} / {@link bertft.report.CompareReport}, which compose the sections from a
 * run's {@code report.json}, {@code metrics.jsonl} and {@code compare.json}. Nothing here writes files.
 */
package bertft.report;
