package dev.tandem.client;

import dev.tandem.crdt.Doc;
import dev.tandem.crdt.Formats;
import org.commonmark.ext.gfm.strikethrough.Strikethrough;
import org.commonmark.ext.gfm.strikethrough.StrikethroughExtension;
import org.commonmark.node.BlockQuote;
import org.commonmark.node.BulletList;
import org.commonmark.node.Code;
import org.commonmark.node.Emphasis;
import org.commonmark.node.FencedCodeBlock;
import org.commonmark.node.HardLineBreak;
import org.commonmark.node.Heading;
import org.commonmark.node.HtmlBlock;
import org.commonmark.node.HtmlInline;
import org.commonmark.node.IndentedCodeBlock;
import org.commonmark.node.Link;
import org.commonmark.node.LinkReferenceDefinition;
import org.commonmark.node.ListBlock;
import org.commonmark.node.ListItem;
import org.commonmark.node.Node;
import org.commonmark.node.OrderedList;
import org.commonmark.node.Paragraph;
import org.commonmark.node.SoftLineBreak;
import org.commonmark.node.StrongEmphasis;
import org.commonmark.node.Text;
import org.commonmark.node.ThematicBreak;
import org.commonmark.parser.Parser;
import org.jsoup.Jsoup;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Reads Markdown (CommonMark, parsed by commonmark-java, with GitHub's {@code ~~strikethrough~~})
 * into Tandem's formatting: headings (4-6 become heading 3), bold, italic, strikethrough, inline
 * code, links (http, https and mailto only, as everywhere links come from outside), bullet and
 * numbered lists with their nesting (8 levels; deeper items stay at 8), quotes, code blocks, and
 * {@code <u>underline</u>}, which {@link MarkdownExport} writes. What Tandem cannot show becomes
 * its text: an image its description, an HTML block the text in it, a table the text it was
 * written as; other inline HTML tags are dropped, thematic breaks too. Every Markdown paragraph and
 * list item is one Tandem paragraph: a soft line break inside it becomes a space, a hard one
 * starts a new paragraph of the same kind.
 *
 * <p>The input is untrusted: nesting is bounded ({@link #MAX_NESTING} blocks, the same for
 * inlines) so a file cannot make the parser or this walk recurse without end; the size is
 * bounded by the caller ({@link FileImport}).
 *
 * <p>Any thread: each call has its own state.
 */
final class MarkdownImport {
    /** Deeper nesting (quotes in quotes, emphasis in emphasis ...) is read as text. */
    static final int MAX_NESTING = 64;
    private static final int MAX_INDENT = 8;

    private static final Parser PARSER = Parser.builder()
            .extensions(List.of(StrikethroughExtension.builder().requireTwoTildes(true).build()))
            .maxOpenBlockParsers(MAX_NESTING)
            .maxInlineNesting(MAX_NESTING)
            .build();

    private MarkdownImport() {}

    static FormattedText parse(String markdown) {
        Node document = PARSER.parse(markdown);
        Walker walker = new Walker();
        walker.blocks(document, Map.of(), 0);
        return walker.finish();
    }

    /** Walks the parsed blocks and inlines, collecting paragraphs of runs. */
    private static final class Walker {
        private final List<FormattedText.Paragraph> paragraphs = new ArrayList<>();
        private Map<String, String> style;     // the paragraph being read, or null
        private List<Doc.TextRun> runs;
        private final StringBuilder pending = new StringBuilder(); // the text of the run being read
        private Map<String, String> pendingMarks = Map.of();

        void blocks(Node parent, Map<String, String> context, int listDepth) {
            for (Node block = parent.getFirstChild(); block != null; block = block.getNext()) block(block, context, listDepth);
        }

        private void block(Node block, Map<String, String> context, int listDepth) {
            if (block instanceof Heading h) {
                start(Map.of(Formats.BLOCK, "h" + Math.min(3, h.getLevel())));
                inlines(h, Map.of());
                end();
            } else if (block instanceof Paragraph) {
                start(context);
                inlines(block, Map.of());
                end();
            } else if (block instanceof BlockQuote) {
                Map<String, String> quote = EditorBinding.isList(context.get(Formats.BLOCK)) ? context : Map.of(Formats.BLOCK, "quote");
                if (block.getFirstChild() == null) { // ">" alone: an empty quote
                    start(quote);
                    end();
                }
                blocks(block, quote, listDepth);
            } else if (block instanceof ListBlock) {
                String kind = block instanceof OrderedList ? "numbered" : "bullet";
                Map<String, String> item = new HashMap<>();
                item.put(Formats.BLOCK, kind);
                int level = Math.min(listDepth, MAX_INDENT);
                if (level > 0) item.put(Formats.INDENT, String.valueOf(level));
                for (Node li = block.getFirstChild(); li != null; li = li.getNext()) {
                    // An item that starts with no text of its own ("-" alone, or "- - x") is an empty item.
                    if (!(li.getFirstChild() instanceof Paragraph)) {
                        start(item);
                        end();
                    }
                    blocks(li, Map.copyOf(item), listDepth + 1);
                }
            } else if (block instanceof FencedCodeBlock f) {
                code(f.getLiteral());
            } else if (block instanceof IndentedCodeBlock c) {
                code(c.getLiteral());
            } else if (block instanceof HtmlBlock html) {
                String text = Jsoup.parse(html.getLiteral()).text().strip();
                if (!text.isEmpty()) {
                    start(context);
                    append(text, Map.of());
                    end();
                }
            } else if (block instanceof ThematicBreak || block instanceof LinkReferenceDefinition) {
                // No text.
            } else if (block instanceof ListItem) {
                blocks(block, context, listDepth);
            } else {
                blocks(block, context, listDepth); // an extension's block: its content
            }
        }

        private void code(String literal) {
            String text = literal.endsWith("\n") ? literal.substring(0, literal.length() - 1) : literal;
            for (String line : text.split("\n", -1)) {
                start(Map.of(Formats.BLOCK, "code"));
                append(line, Map.of());
                end();
            }
        }

        private void inlines(Node parent, Map<String, String> marks) {
            Map<String, String> here = marks;
            for (Node n = parent.getFirstChild(); n != null; n = n.getNext()) {
                if (n instanceof HtmlInline html) {
                    // <u> and </u> (what the exporter writes for underline) switch it for what follows.
                    String tag = html.getLiteral().toLowerCase(Locale.ROOT).replace(" ", "");
                    if (tag.equals("<u>")) here = with(here, Formats.UNDERLINE, "true");
                    else if (tag.equals("</u>")) here = without(here, Formats.UNDERLINE);
                    else if (tag.equals("<br>") || tag.equals("<br/>")) lineBreak();
                    continue;
                }
                inline(n, here);
            }
        }

        private void inline(Node n, Map<String, String> marks) {
            if (n instanceof Text t) {
                append(t.getLiteral(), marks);
            } else if (n instanceof Code c) {
                append(c.getLiteral(), with(marks, Formats.CODE, "true"));
            } else if (n instanceof Emphasis) {
                inlines(n, with(marks, Formats.ITALIC, "true"));
            } else if (n instanceof StrongEmphasis) {
                inlines(n, with(marks, Formats.BOLD, "true"));
            } else if (n instanceof Strikethrough) {
                inlines(n, with(marks, Formats.STRIKETHROUGH, "true"));
            } else if (n instanceof Link link) {
                String url = link.getDestination();
                inlines(n, EditorCommands.isSafeLink(url) ? with(marks, Formats.LINK, url) : marks);
            } else if (n instanceof SoftLineBreak) {
                append(" ", marks);
            } else if (n instanceof HardLineBreak) {
                lineBreak();
            } else {
                inlines(n, marks); // an image (its description) or an extension's inline
            }
        }

        private static Map<String, String> with(Map<String, String> marks, String key, String value) {
            Map<String, String> m = new HashMap<>(marks);
            m.put(key, value);
            return Map.copyOf(m);
        }

        private static Map<String, String> without(Map<String, String> marks, String key) {
            Map<String, String> m = new HashMap<>(marks);
            m.remove(key);
            return Map.copyOf(m);
        }

        private void lineBreak() {
            Map<String, String> same = style;
            end();
            start(same);
        }

        private void start(Map<String, String> attributes) {
            style = attributes;
            runs = new ArrayList<>();
        }

        private void append(String text, Map<String, String> marks) {
            if (text.isEmpty()) return;
            if (style == null) start(Map.of());
            if (!pendingMarks.equals(marks)) flush();
            pending.append(text);
            pendingMarks = marks;
        }

        /** The text of equal marks read so far becomes a run (joined here, not by copying runs: linear). */
        private void flush() {
            if (pending.length() > 0) runs.add(new Doc.TextRun(pending.toString(), pendingMarks));
            pending.setLength(0);
        }

        private void end() {
            if (style == null) return;
            flush();
            paragraphs.add(new FormattedText.Paragraph(style, runs));
            style = null;
            runs = null;
        }

        FormattedText finish() {
            end();
            if (paragraphs.isEmpty()) paragraphs.add(new FormattedText.Paragraph(Map.of(), List.of()));
            return new FormattedText(paragraphs);
        }
    }
}
