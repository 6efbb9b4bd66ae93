package dev.tandem.client;

import dev.tandem.crdt.Doc;
import dev.tandem.crdt.Formats;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

/** The HTML export: a standalone page, escaped, whose formatting a paste into Tandem reads back. */
class HtmlExportTest {
    private static final FormattedText DOC = new FormattedText(List.of(
            new FormattedText.Paragraph(Map.of(Formats.BLOCK, "h2"), List.of(new Doc.TextRun("Plan <b>&</b>", Map.of()))),
            new FormattedText.Paragraph(Map.of(), List.of(new Doc.TextRun("see ", Map.of()),
                    new Doc.TextRun("here", Map.of(Formats.LINK, "https://example.com/?a=1&b=2", Formats.BOLD, "true")),
                    new Doc.TextRun(" and ", Map.of()), new Doc.TextRun("not this", Map.of(Formats.LINK, "javascript:alert(1)")))),
            new FormattedText.Paragraph(Map.of(Formats.BLOCK, "bullet"), List.of(new Doc.TextRun("one", Map.of(Formats.UNDERLINE, "true")))),
            new FormattedText.Paragraph(Map.of(Formats.BLOCK, "numbered", Formats.INDENT, "1"), List.of(new Doc.TextRun("inner", Map.of(Formats.CODE, "true")))),
            new FormattedText.Paragraph(Map.of(), List.of()),
            new FormattedText.Paragraph(Map.of(Formats.BLOCK, "code"), List.of(new Doc.TextRun("if (a < b) {}", Map.of())))));

    @Test
    void standalonePage_escaped() {
        String html = HtmlExport.write(DOC, "Q3 <plans>");
        assertTrue(html.startsWith("<!DOCTYPE html>\n<html>\n<head>\n<meta charset=\"utf-8\">\n<title>Q3 &lt;plans&gt;</title>"), html);
        assertTrue(html.contains("<h2>Plan &lt;b&gt;&amp;&lt;/b&gt;</h2>"), html);
        assertTrue(html.contains("<a href=\"https://example.com/?a=1&amp;b=2\"><strong>here</strong></a>"), html);
        assertFalse(html.contains("javascript:"), "a link the editor would not open is not exported");
        assertTrue(html.contains("<p><br></p><pre>if (a &lt; b) {}</pre>"), html);
        assertTrue(html.endsWith("</body>\n</html>\n"), html);
    }

    @Test
    void pastedBack_keepsTheFormatting() {
        RichClipboard.Fragment back = RichClipboard.fromHtml(HtmlExport.write(DOC, "t"));
        RichClipboard.Fragment expected = DOC.toFragment();
        assertEquals(expected.text(), back.text());
        assertEquals(List.of(Map.of(Formats.BLOCK, "h2"), Map.of(), Map.of(Formats.BLOCK, "bullet"),
                Map.of(Formats.BLOCK, "numbered", Formats.INDENT, "1"), Map.of(), Map.of(Formats.BLOCK, "code")), back.paragraphs());
        List<RichClipboard.Mark> safe = expected.marks().stream().filter(m -> !m.value().startsWith("javascript:")).toList();
        assertEquals(4, safe.size());
        assertEquals(new java.util.HashSet<>(safe), new java.util.HashSet<>(back.marks()), "every mark but the unsafe link");
    }
}
