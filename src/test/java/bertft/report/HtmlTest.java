package bertft.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

class HtmlTest {
    private static final String ATTACK = "<script>alert('x')</script> \"><img src=x onerror=alert(1)> & co";

    @Test
    void escapesMarkupQuotesAndAmpersands() {
        assertEquals("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &quot;&gt;&lt;img src=x onerror=alert(1)&gt; "
                + "&amp; co", Html.escape(ATTACK));
        assertEquals("a b", Html.escape("a\u0001b"), "control characters are not XML");
    }

    @Test
    void textFromDataCannotInjectMarkup() {
        String page = new Html(ATTACK).h2(ATTACK).p(ATTACK).box("warn", ATTACK).cards(List.of(ATTACK), List.of(ATTACK))
                .table(List.of(ATTACK), List.of(List.of(ATTACK))).toString();
        assertFalse(page.contains("<script"), page);
        assertFalse(page.contains("<img"), page);
        assertFalse(page.contains("\"><img"), "no attribute break-out");
        assertTrue(page.contains("&lt;script&gt;alert(&#39;x&#39;)"), "shown as text");
    }

    @Test
    void pageForbidsEveryFetchAndScript() {
        String page = new Html("t").toString();
        assertTrue(page.contains("http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
                + "style-src 'unsafe-inline'; img-src data:\""), page);
        assertFalse(page.contains("http://") || page.contains("https://"), "no external URL");
        assertTrue(page.contains("@media print"), "print styles");
    }
}
