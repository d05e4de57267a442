package bertft.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import javax.xml.parsers.DocumentBuilderFactory;
import org.junit.jupiter.api.Test;
import org.w3c.dom.Document;

class SvgTest {
    private static final String NASTY = "a<b & \"c\" 'd' </svg>";

    static Document parse(String svg) throws Exception {
        DocumentBuilderFactory f = DocumentBuilderFactory.newInstance();
        f.setNamespaceAware(true);
        return f.newDocumentBuilder().parse(new ByteArrayInputStream(svg.getBytes(StandardCharsets.UTF_8)));
    }

    @Test
    void everyChartIsWellFormedSvgWithTextEscaped() throws Exception {
        double[] x = {1, 2, 3, 4};
        double[] y = {0.9, 0.7, Double.NaN, 0.4};
        List<String> charts = List.of(
                Svg.lines(NASTY, NASTY, NASTY, List.of(new Svg.Series(NASTY, x, y), new Svg.Series("b", x, x)),
                        List.of(new Svg.Marker(2, NASTY))),
                Svg.bars(NASTY, NASTY, List.of(NASTY, "b"), List.of(NASTY, "s2"), new double[][] {{0.5, 0.7}, {0.6, -0.1}},
                        new double[][] {{0.05, 0}, {0.01, 0.02}}, 0.55, NASTY),
                Svg.heatMap(NASTY, List.of(NASTY, "b"), List.of(NASTY, "b"), new double[][] {{5, 1}, {0, 3}},
                        new String[][] {{"5", "1"}, {"0", NASTY}}, NASTY, NASTY),
                Svg.reliability(NASTY, new double[] {0, 0.5}, new double[] {0.5, 1}, new double[] {0.4, 0.9},
                        new double[] {0.3, 0.8}, new long[] {3, 0}),
                Svg.scatter(NASTY, NASTY, NASTY, x, x, List.of("a", NASTY, "c", "d"), false),
                Svg.scatter("gaps", "x", NASTY, x, y, List.of("a", NASTY, "c", "d"), false),
                Svg.scatter("empty", "x", "y", new double[0], new double[0], null, true));
        for (String svg : charts) {
            Document d = parse(svg);
            assertEquals("svg", d.getDocumentElement().getLocalName());
            assertEquals("http://www.w3.org/2000/svg", d.getDocumentElement().getNamespaceURI());
            if (!svg.contains("<title>empty</title>")) {
                assertTrue(d.getDocumentElement().getTextContent().contains(NASTY), "the text survives, escaped");
            }
            assertFalse(svg.contains("NaN") || svg.contains("Infinity"), "no NaN coordinates: " + svg);
        }
        // a point without a value is left out, not drawn at NaN
        assertEquals(3, parse(charts.get(5)).getElementsByTagName("circle").getLength());
    }

    @Test
    void barsCarryOneRectPerValueAndWhiskersForErrors() throws Exception {
        String svg = Svg.bars("t", "y", List.of("a", "b", "c"), List.of("s"), new double[][] {{1, 2, 3}},
                new double[][] {{0.1, 0, 0.3}}, null, null);
        Document d = parse(svg);
        assertEquals(3, d.getElementsByTagNameNS("*", "rect").getLength());
        assertEquals(2, d.getElementsByTagNameNS("*", "path").getLength(), "a zero spread draws no whisker");
    }

    @Test
    void ticksAreRound() {
        assertEquals(List.of(0.0, 0.2, 0.4, 0.6000000000000001, 0.8, 1.0), Svg.ticks(0, 1, 5));
        assertEquals(List.of(0.0, 500.0, 1000.0), Svg.ticks(0, 1000, 2));
    }

    @Test
    void aSeriesFlatToFloatRoundingGetsAxesInsteadOfEndlessTicks() {
        // a loss curve whose values differ in the last bits (a one-step run): the tick step fell below the values'
        // float resolution and adding it never moved past them, until the heap ran out
        double lo = 1.2055;
        double hi = Math.nextUp(Math.nextUp(lo));
        double[] r = Svg.range(List.of(new double[] {lo, hi}), true);
        assertTrue(r[1] - r[0] > 0.2, java.util.Arrays.toString(r));
        List<Double> t = Svg.ticks(lo, hi, 5);
        assertTrue(!t.isEmpty() && t.size() <= 21, t.toString());
    }
}
