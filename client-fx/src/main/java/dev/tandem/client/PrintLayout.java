package dev.tandem.client;

import dev.tandem.crdt.Doc;
import dev.tandem.crdt.Formats;
import javafx.scene.Node;
import javafx.scene.layout.Pane;
import javafx.scene.paint.Color;
import javafx.scene.shape.Line;
import javafx.scene.shape.Rectangle;
import javafx.scene.text.Font;
import javafx.scene.text.FontPosture;
import javafx.scene.text.FontWeight;
import javafx.scene.text.Text;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Lays a whole document out for paper: its paragraphs broken into lines that fit the printable
 * width, the lines into pages that fit the printable height, each page then drawn as a node tree
 * for {@code PrinterJob.printPage}. The editor on screen cannot be printed as it is: it is
 * virtualized (only the visible lines exist) and sized for the window, not the page.
 *
 * <p>Formatting as on screen: headings larger and bold, marks as the editor shows them, list
 * bullets and numbers indented by level, quotes with a rule on the left, code in a monospaced
 * font on grey. Units are the page's (points).
 *
 * <p>Any thread: the nodes are made here and belong to no scene (JavaFX allows that off the FX
 * thread); one layout is used by one thread.
 */
final class PrintLayout {
    static final double BODY_SIZE = 11;
    private static final double LIST_STEP = 18;
    private static final double QUOTE_INDENT = 14;
    private static final double CODE_PADDING = 6;
    private static final String SANS = "System";
    private static final String MONO = "Monospaced";

    /** One printed line: characters {@code from .. to-1} of paragraph {@code paragraph}, drawn at {@code y}. */
    record PrintedLine(int paragraph, int from, int to, double y, double height) {}

    /** One page's lines, top to bottom. */
    record Page(List<PrintedLine> lines) {}

    private final FormattedText text;
    private final double width;
    private final double height;
    private final Text measure = new Text(); // reused: one measuring node, no scene
    private final Map<Font, Map<String, Double>> widths = new java.util.HashMap<>();

    private PrintLayout(FormattedText text, double width, double height) {
        this.text = text;
        this.width = width;
        this.height = height;
    }

    /** The pages of {@code text} on a printable area of {@code width} x {@code height}. */
    static List<Page> paginate(FormattedText text, double width, double height) {
        if (width < 72 || height < 72) throw new IllegalArgumentException("printable area " + width + " x " + height + " is too small");
        return new PrintLayout(text, width, height).pages();
    }

    private List<Page> pages() {
        List<Page> pages = new ArrayList<>();
        List<PrintedLine> page = new ArrayList<>();
        double y = 0;
        for (int p = 0; p < text.paragraphs().size(); p++) {
            FormattedText.Paragraph paragraph = text.paragraphs().get(p);
            double before = page.isEmpty() ? 0 : spaceBefore(paragraph);
            for (int[] range : lines(paragraph)) {
                double h = lineHeight(paragraph, range[0], range[1]);
                if (!page.isEmpty() && y + before + h > height) {
                    pages.add(new Page(page));
                    page = new ArrayList<>();
                    y = 0;
                    before = 0;
                }
                page.add(new PrintedLine(p, range[0], range[1], y + before, h));
                y += before + h;
                before = 0;
            }
        }
        pages.add(new Page(page));
        return pages;
    }

    // ---------------------------------------------------------------- lines

    /** Where the paragraph's lines start and end: greedy, breaking after whitespace, inside a word only if it is wider than the line. */
    private List<int[]> lines(FormattedText.Paragraph paragraph) {
        List<int[]> out = new ArrayList<>();
        String s = paragraph.text();
        if (s.isEmpty()) {
            out.add(new int[] {0, 0});
            return out;
        }
        // Less a point: a line is measured word by word and drawn run by run, which may round differently.
        double available = width - left(paragraph) - (isCode(paragraph) ? 2 * CODE_PADDING : 0) - 1;
        int lineStart = 0;
        double used = 0;
        int i = 0;
        while (i < s.length()) {
            int end = nextBreak(s, i);
            double w = width(paragraph, i, end);
            if (used + w <= available || (used == 0 && w <= available)) {
                used += w;
                i = end;
                continue;
            }
            if (used > 0) { // the word goes on the next line
                out.add(new int[] {lineStart, i});
                lineStart = i;
                used = 0;
                continue;
            }
            // A word wider than a line: as many characters as fit (at least one code point).
            int fit = i + Character.charCount(s.codePointAt(i));
            while (fit < end) {
                int next = fit + Character.charCount(s.codePointAt(fit));
                if (width(paragraph, i, next) > available) break;
                fit = next;
            }
            out.add(new int[] {lineStart, fit});
            lineStart = fit;
            i = fit;
        }
        if (lineStart < s.length() || out.isEmpty()) out.add(new int[] {lineStart, s.length()});
        return out;
    }

    /** The end of the word at {@code i} and the whitespace after it. */
    private static int nextBreak(String s, int i) {
        int j = i;
        while (j < s.length() && !Character.isWhitespace(s.charAt(j))) j++;
        while (j < s.length() && Character.isWhitespace(s.charAt(j))) j++;
        return j;
    }

    /** The width of {@code from .. to-1} of the paragraph, each run in its font. */
    private double width(FormattedText.Paragraph paragraph, int from, int to) {
        double w = 0;
        int at = 0;
        for (Doc.TextRun run : paragraph.runs()) {
            int end = at + run.text().length();
            int a = Math.max(from, at);
            int b = Math.min(to, end);
            if (a < b) w += width(font(paragraph, run.marks()), run.text().substring(a - at, b - at));
            at = end;
            if (at >= to) break;
        }
        return w;
    }

    /** The width of {@code s} in {@code font}; words recur, so short pieces are remembered. */
    private double width(Font font, String s) {
        if (s.length() > 32) return measured(font, s);
        return widths.computeIfAbsent(font, f -> new java.util.HashMap<>()).computeIfAbsent(s, piece -> measured(font, piece));
    }

    private double measured(Font font, String s) {
        measure.setFont(font);
        measure.setText(s);
        return measure.getLayoutBounds().getWidth();
    }

    private double lineHeight(FormattedText.Paragraph paragraph, int from, int to) {
        measure.setFont(font(paragraph, Map.of()));
        measure.setText("Ag");
        double h = measure.getLayoutBounds().getHeight();
        int at = 0;
        for (Doc.TextRun run : paragraph.runs()) {
            int end = at + run.text().length();
            if (end > from && at < to && !run.marks().isEmpty()) {
                measure.setFont(font(paragraph, run.marks()));
                h = Math.max(h, measure.getLayoutBounds().getHeight());
            }
            at = end;
        }
        return Math.ceil(h * 1.15);
    }

    private static double spaceBefore(FormattedText.Paragraph paragraph) {
        String block = paragraph.block();
        if (block == null) return BODY_SIZE * 0.4;
        return switch (block) {
            case "h1", "h2", "h3" -> BODY_SIZE;
            case "bullet", "numbered", "code" -> BODY_SIZE * 0.15;
            default -> BODY_SIZE * 0.4;
        };
    }

    private static double left(FormattedText.Paragraph paragraph) {
        String block = paragraph.block();
        if (EditorBinding.isList(block)) return LIST_STEP * (paragraph.indent() + 1);
        if ("quote".equals(block)) return QUOTE_INDENT;
        return 0;
    }

    private static boolean isCode(FormattedText.Paragraph paragraph) {
        return "code".equals(paragraph.block());
    }

    /** The font of text with {@code marks} in {@code paragraph}. */
    static Font font(FormattedText.Paragraph paragraph, Map<String, String> marks) {
        String block = paragraph.block();
        double size = BODY_SIZE;
        boolean bold = marks.containsKey(Formats.BOLD);
        boolean italic = marks.containsKey(Formats.ITALIC) || "quote".equals(block);
        boolean mono = marks.containsKey(Formats.CODE) || "code".equals(block);
        if (block != null && block.startsWith("h")) {
            size = switch (block) { case "h1" -> 20; case "h2" -> 16; default -> 13; };
            bold = true;
        }
        if (mono) size *= 0.92;
        return Font.font(mono ? MONO : SANS, bold ? FontWeight.BOLD : FontWeight.NORMAL, italic ? FontPosture.ITALIC : FontPosture.REGULAR, size);
    }

    // ---------------------------------------------------------------- drawing

    /** The node that prints {@code page} (its origin at the printable area's top left). */
    static Node render(FormattedText text, Page page, double width) {
        Pane pane = new Pane();
        for (PrintedLine line : page.lines()) {
            FormattedText.Paragraph paragraph = text.paragraphs().get(line.paragraph());
            double x = left(paragraph);
            if (isCode(paragraph)) {
                Rectangle shade = new Rectangle(0, line.y(), width, line.height());
                shade.setFill(Color.gray(0.93));
                pane.getChildren().add(shade);
                x += CODE_PADDING;
            }
            if ("quote".equals(paragraph.block())) {
                Line rule = new Line(3, line.y() + 1, 3, line.y() + line.height() - 1); // within the line, stroke included
                rule.setStroke(Color.gray(0.7));
                rule.setStrokeWidth(2);
                pane.getChildren().add(rule);
            }
            if (paragraph.isListItem() && line.from() == 0) {
                String marker = "numbered".equals(paragraph.block()) ? text.listNumber(line.paragraph()) + "." : switch (paragraph.indent() % 3) {
                    case 0 -> "•";
                    case 1 -> "◦";
                    default -> "▪";
                };
                Text m = new Text(marker);
                m.setFont(font(paragraph, Map.of()));
                m.setTextOrigin(javafx.geometry.VPos.TOP);
                m.relocate(x - LIST_STEP + 2, line.y());
                pane.getChildren().add(m);
            }
            int at = 0;
            for (Doc.TextRun run : paragraph.runs()) {
                int end = at + run.text().length();
                int a = Math.max(line.from(), at);
                int b = Math.min(line.to(), end);
                if (a < b) {
                    Text t = new Text(run.text().substring(a - at, b - at).replace('\r', ' '));
                    t.setFont(font(paragraph, run.marks()));
                    t.setTextOrigin(javafx.geometry.VPos.TOP);
                    t.setUnderline(run.marks().containsKey(Formats.UNDERLINE) || run.marks().containsKey(Formats.LINK));
                    t.setStrikethrough(run.marks().containsKey(Formats.STRIKETHROUGH));
                    if (run.marks().containsKey(Formats.LINK)) t.setFill(Color.web("#1a56b0"));
                    t.relocate(x, line.y());
                    pane.getChildren().add(t);
                    x += t.getLayoutBounds().getWidth();
                }
                at = end;
            }
        }
        return pane;
    }
}
