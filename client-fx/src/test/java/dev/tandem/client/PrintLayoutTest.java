package dev.tandem.client;

import dev.tandem.crdt.Doc;
import dev.tandem.crdt.Formats;
import javafx.scene.Node;
import javafx.scene.layout.Pane;
import javafx.scene.text.Text;
import javafx.stage.Stage;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.testfx.framework.junit5.ApplicationExtension;
import org.testfx.framework.junit5.Start;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Pagination for printing, with real JavaFX fonts (headless): every character lands on exactly
 * one page, in order; every line fits the printable width and every page the printable height.
 * A printer cannot be reached here; what is sent to it is this layout.
 */
@ExtendWith(ApplicationExtension.class)
class PrintLayoutTest {
    @Start
    void start(Stage stage) {
        // The toolkit is running: fonts can be measured.
    }

    private static final String[] WORDS = {"collaborative", "editing", "a", "of", "Tandem", "replica", "😀", "日本語", "CRDT,", "—", "x"};

    private static FormattedText document(Random r, int paragraphs) {
        List<FormattedText.Paragraph> out = new ArrayList<>();
        String[] blocks = {null, null, null, "h1", "h2", "h3", "bullet", "numbered", "quote", "code"};
        for (int i = 0; i < paragraphs; i++) {
            Map<String, String> attrs = new HashMap<>();
            String block = blocks[r.nextInt(blocks.length)];
            if (block != null) attrs.put(Formats.BLOCK, block);
            if (EditorBinding.isList(block) && r.nextBoolean()) attrs.put(Formats.INDENT, String.valueOf(1 + r.nextInt(8)));
            List<Doc.TextRun> runs = new ArrayList<>();
            int n = r.nextInt(5) == 0 ? 0 : r.nextInt(120);
            for (int w = 0; w < n; w++) {
                String word = r.nextInt(40) == 0 ? "unbreakable".repeat(20) : WORDS[r.nextInt(WORDS.length)];
                Map<String, String> marks = new HashMap<>();
                if (r.nextInt(5) == 0) marks.put(Formats.BOLD, "true");
                if (r.nextInt(7) == 0) marks.put(Formats.ITALIC, "true");
                if (r.nextInt(9) == 0) marks.put(Formats.CODE, "true");
                if (r.nextInt(11) == 0) marks.put(Formats.LINK, "https://example.com/");
                runs.add(new Doc.TextRun(word + (w + 1 < n ? " " : ""), marks));
            }
            out.add(new FormattedText.Paragraph(attrs, runs));
        }
        return new FormattedText(out);
    }

    @Test
    void everyCharacterOnExactlyOnePage_andPagesFit() {
        for (long seed = 1; seed <= 10; seed++) {
            FormattedText text = document(new Random(seed), 60);
            double width = 300 + seed * 7;
            double height = 200 + seed * 11;
            List<PrintLayout.Page> pages = PrintLayout.paginate(text, width, height);
            assertTrue(pages.size() > 1, "a long document takes several pages");
            int[] next = new int[text.paragraphs().size()]; // the next character expected of each paragraph
            int lastParagraph = 0;
            StringBuilder[] printed = new StringBuilder[text.paragraphs().size()];
            for (int p = 0; p < printed.length; p++) printed[p] = new StringBuilder();
            for (PrintLayout.Page page : pages) {
                assertFalse(page.lines().isEmpty(), "no empty page");
                double y = 0;
                for (PrintLayout.PrintedLine line : page.lines()) {
                    assertTrue(line.paragraph() >= lastParagraph, "paragraphs in order");
                    lastParagraph = line.paragraph();
                    assertEquals(next[line.paragraph()], line.from(), "lines of a paragraph follow each other, nothing skipped or repeated");
                    next[line.paragraph()] = line.to();
                    assertTrue(line.y() >= y - 1e-9, "lines top to bottom: " + line + " after " + y);
                    y = line.y() + line.height();
                    assertTrue(y <= height + 1e-9, "line ends at " + y + ", below the printable height " + height);
                }
                Pane drawn = (Pane) PrintLayout.render(text, page, width);
                for (Node n : drawn.getChildren()) {
                    // Laid out by advance widths (an italic glyph's ink may lean a little further, into the margin).
                    double right = n.getLayoutX() + n.getLayoutBounds().getMaxX();
                    double bottom = n.getLayoutY() + n.getLayoutBounds().getMaxY();
                    assertTrue(right <= width + 1e-6, "drawn within the printable width " + width + ": " + right + " " + n);
                    assertTrue(bottom <= height + 1e-6, "drawn within the printable height " + height + ": " + bottom + " " + n);
                }
                for (PrintLayout.PrintedLine line : page.lines()) {
                    printed[line.paragraph()].append(text.paragraphs().get(line.paragraph()).text(), line.from(), line.to());
                }
            }
            for (int p = 0; p < printed.length; p++) {
                assertEquals(text.paragraphs().get(p).text().length(), next[p], "every character of paragraph " + p + " printed");
                assertEquals(text.paragraphs().get(p).text(), printed[p].toString());
            }
        }
    }

    @Test
    void drawnTextIsTheDocumentsWithItsFormatting() {
        FormattedText text = new FormattedText(List.of(
                new FormattedText.Paragraph(Map.of(Formats.BLOCK, "h1"), List.of(new Doc.TextRun("Title", Map.of()))),
                new FormattedText.Paragraph(Map.of(Formats.BLOCK, "numbered"), List.of(new Doc.TextRun("first ", Map.of()),
                        new Doc.TextRun("bold", Map.of(Formats.BOLD, "true")), new Doc.TextRun(" struck", Map.of(Formats.STRIKETHROUGH, "true")))),
                new FormattedText.Paragraph(Map.of(Formats.BLOCK, "numbered"), List.of(new Doc.TextRun("second", Map.of())))));
        List<PrintLayout.Page> pages = PrintLayout.paginate(text, 400, 600);
        assertEquals(1, pages.size());
        List<Text> texts = ((Pane) PrintLayout.render(text, pages.get(0), 400)).getChildren().stream()
                .filter(n -> n instanceof Text).map(n -> (Text) n).toList();
        assertEquals(List.of("Title", "1.", "first ", "bold", " struck", "2.", "second"), texts.stream().map(Text::getText).toList());
        assertEquals(20, texts.get(0).getFont().getSize(), 0.01, "heading 1 is larger");
        assertTrue(texts.get(3).getFont().getStyle().toLowerCase().contains("bold"), texts.get(3).getFont().getStyle());
        assertTrue(texts.get(4).isStrikethrough());
    }

    @Test
    void emptyDocument_isOneEmptyLine() {
        FormattedText empty = new FormattedText(List.of(new FormattedText.Paragraph(Map.of(), List.of())));
        List<PrintLayout.Page> pages = PrintLayout.paginate(empty, 400, 600);
        assertEquals(1, pages.size());
        assertEquals(1, pages.get(0).lines().size());
    }
}
