package dev.tandem.client;

import dev.tandem.crdt.Doc;
import dev.tandem.crdt.Formats;
import org.jsoup.Jsoup;
import org.jsoup.nodes.Element;
import org.jsoup.nodes.Node;
import org.jsoup.nodes.TextNode;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Formatted text on the clipboard, as HTML: copying puts the selection's marks and paragraph
 * styles there (with plain text beside it), pasting reads HTML, Tandem's own or another
 * application's, mapped to the marks and paragraph styles Tandem has. Formatting survives a copy
 * and paste inside Tandem because both directions speak the same small HTML.
 *
 * <p>Pasted HTML comes from anywhere: it is bounded ({@link #MAX_HTML} characters, else only the
 * plain text is used), parsed by jsoup (no scripts run, nothing is fetched), and only the
 * supported marks with schema-valid values survive; links only with http, https or mailto.
 */
final class RichClipboard {
    /** Longer HTML is not parsed (the plain text beside it is pasted instead). */
    static final int MAX_HTML = 4 << 20;

    private RichClipboard() {}

    /**
     * What a paste inserts: text, marks on ranges of it, and the style of each paragraph that ends
     * in a line break of the text; of the last one too if {@code lastWhole} (it was a whole block
     * in the HTML, not a piece of inline text).
     */
    record Fragment(String text, List<Mark> marks, List<Map<String, String>> paragraphs, boolean lastWhole) {}

    /** Mark {@code key} = {@code value} on {@code from .. to-1} of a fragment's text. */
    record Mark(int from, int to, String key, String value) {}

    // ---------------------------------------------------------------- out

    /** The HTML of {@code from .. to-1} of {@code doc}: paragraphs with their styles, runs with their marks. */
    static String toHtml(Doc doc, int from, int to) {
        return "<meta charset=\"utf-8\">" + htmlBody(FormattedText.of(doc, from, to));
    }

    /**
     * The paragraphs of {@code text} as HTML elements (what a body holds), the same mapping both
     * ways: copying, and exporting a whole document ({@link HtmlExport}).
     */
    static String htmlBody(FormattedText text) {
        StringBuilder html = new StringBuilder();
        String openList = null;
        for (FormattedText.Paragraph p : text.paragraphs()) {
            Map<String, String> attrs = p.attributes();
            StringBuilder line = new StringBuilder();
            for (Doc.TextRun run : p.runs()) line.append(wrap(escape(run.text()), run.marks()));
            String block = attrs.get(Formats.BLOCK);
            String list = "bullet".equals(block) ? "ul" : "numbered".equals(block) ? "ol" : null;
            if (openList != null && !openList.equals(list)) {
                html.append("</").append(openList).append('>');
                openList = null;
            }
            if (list != null && openList == null) {
                html.append('<').append(list).append('>');
                openList = list;
            }
            String indent = attrs.get(Formats.INDENT);
            String indentAttr = indent == null ? "" : " data-indent=\"" + indent + "\"";
            // An empty paragraph holds a line break: an empty element would be read back as nothing.
            String body = line.length() == 0 ? "<br>" : line.toString();
            if (block == null) html.append("<p").append(indentAttr).append('>').append(body).append("</p>");
            else switch (block) {
                case "h1", "h2", "h3" -> html.append('<').append(block).append('>').append(body).append("</").append(block).append('>');
                case "bullet", "numbered" -> html.append("<li").append(indentAttr).append('>').append(body).append("</li>");
                case "quote" -> html.append("<blockquote>").append(body).append("</blockquote>");
                default -> html.append("<pre>").append(body).append("</pre>");
            }
        }
        if (openList != null) html.append("</").append(openList).append('>');
        return html.toString();
    }

    private static String wrap(String html, Map<String, String> marks) {
        String out = html;
        if (marks.containsKey(Formats.CODE)) out = "<code>" + out + "</code>";
        if (marks.containsKey(Formats.STRIKETHROUGH)) out = "<s>" + out + "</s>";
        if (marks.containsKey(Formats.UNDERLINE)) out = "<u>" + out + "</u>";
        if (marks.containsKey(Formats.ITALIC)) out = "<em>" + out + "</em>";
        if (marks.containsKey(Formats.BOLD)) out = "<strong>" + out + "</strong>";
        String link = marks.get(Formats.LINK);
        if (link != null && EditorCommands.isSafeLink(link)) out = "<a href=\"" + escape(link) + "\">" + out + "</a>";
        return out;
    }

    static String escape(String s) {
        StringBuilder b = new StringBuilder(s.length());
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '<' -> b.append("&lt;");
                case '>' -> b.append("&gt;");
                case '&' -> b.append("&amp;");
                case '"' -> b.append("&quot;");
                default -> b.append(c);
            }
        }
        return b.toString();
    }

    // ---------------------------------------------------------------- in

    /** The fragment {@code html} describes, or null if it is too long to parse. */
    static Fragment fromHtml(String html) {
        if (html == null || html.length() > MAX_HTML) return null;
        Element body = Jsoup.parse(html).body();
        Reader r = new Reader();
        r.walk(body, new HashMap<>(), null);
        return r.finish();
    }

    /** Walks the parsed HTML, collecting text, marks and the paragraphs' styles. */
    private static final class Reader {
        private final StringBuilder text = new StringBuilder();
        private final List<Mark> marks = new ArrayList<>();
        private final List<Map<String, String>> paragraphs = new ArrayList<>();
        private Map<String, String> current = Map.of(); // the style of the paragraph being read
        private boolean paragraphHasContent;

        void walk(Node node, Map<String, String> marksHere, String list) {
            for (Node child : node.childNodes()) {
                if (child instanceof TextNode t) {
                    String s = current.containsKey(Formats.BLOCK) && "code".equals(current.get(Formats.BLOCK))
                            ? t.getWholeText() : t.text();
                    if (s.isEmpty() || (!paragraphHasContent && s.isBlank() && !"code".equals(current.get(Formats.BLOCK)))) continue;
                    append(s.replace("\r", ""), marksHere);
                } else if (child instanceof Element e) {
                    element(e, marksHere, list);
                }
            }
        }

        private void element(Element e, Map<String, String> marksHere, String list) {
            String tag = e.normalName();
            Map<String, String> inner = marksHere;
            switch (tag) {
                case "script", "style", "head", "title", "template" -> { return; }
                case "br" -> {
                    breakParagraph();
                    return;
                }
                case "b", "strong" -> inner = with(marksHere, Formats.BOLD, "true");
                case "i", "em" -> inner = with(marksHere, Formats.ITALIC, "true");
                case "u", "ins" -> inner = with(marksHere, Formats.UNDERLINE, "true");
                case "s", "strike", "del" -> inner = with(marksHere, Formats.STRIKETHROUGH, "true");
                case "code", "kbd", "samp", "tt" -> inner = with(marksHere, Formats.CODE, "true");
                case "a" -> {
                    String href = e.attr("href");
                    if (EditorCommands.isSafeLink(href)) inner = with(marksHere, Formats.LINK, href);
                }
                case "span" -> {
                    String style = e.attr("style").replace(" ", "").toLowerCase(java.util.Locale.ROOT);
                    if (style.contains("font-weight:bold") || style.contains("font-weight:700")) inner = with(inner, Formats.BOLD, "true");
                    if (style.contains("font-style:italic")) inner = with(inner, Formats.ITALIC, "true");
                    if (style.contains("text-decoration:underline")) inner = with(inner, Formats.UNDERLINE, "true");
                    if (style.contains("line-through")) inner = with(inner, Formats.STRIKETHROUGH, "true");
                }
                default -> { }
            }
            switch (tag) {
                case "ul", "ol" -> {
                    walk(e, inner, tag.equals("ul") ? "bullet" : "numbered");
                    return;
                }
                case "p", "div", "h1", "h2", "h3", "h4", "h5", "h6", "li", "blockquote", "pre" -> {
                    if (paragraphHasContent) breakParagraph();
                    Map<String, String> style = new HashMap<>();
                    String block = switch (tag) {
                        case "h1", "h2", "h3" -> tag;
                        case "h4", "h5", "h6" -> "h3";
                        case "li" -> list != null ? list : "bullet";
                        case "blockquote" -> "quote";
                        case "pre" -> "code";
                        default -> current.get(Formats.BLOCK); // a <p> inside <blockquote> or <li>
                    };
                    if (block != null) style.put(Formats.BLOCK, block);
                    String indent = e.attr("data-indent");
                    if (indent.length() == 1 && indent.charAt(0) >= '1' && indent.charAt(0) <= '8') style.put(Formats.INDENT, indent);
                    else if (current.containsKey(Formats.INDENT) && !tag.equals("li")) style.put(Formats.INDENT, current.get(Formats.INDENT));
                    Map<String, String> outer = current;
                    current = style;
                    walk(e, inner, list);
                    if (paragraphHasContent) breakParagraph();
                    current = outer;
                    return;
                }
                default -> walk(e, inner, list);
            }
        }

        private static Map<String, String> with(Map<String, String> marks, String key, String value) {
            Map<String, String> m = new HashMap<>(marks);
            m.put(key, value);
            return m;
        }

        private void append(String s, Map<String, String> marksHere) {
            int from = text.length();
            // In code blocks a line break inside the text is a paragraph break of the same style.
            int i = 0;
            while (true) {
                int nl = s.indexOf('\n', i);
                String piece = nl < 0 ? s.substring(i) : s.substring(i, nl);
                int start = text.length();
                text.append(piece);
                for (Map.Entry<String, String> m : marksHere.entrySet()) {
                    if (!piece.isEmpty()) marks.add(new Mark(start, text.length(), m.getKey(), m.getValue()));
                }
                paragraphHasContent = true;
                if (nl < 0) break;
                breakParagraph();
                paragraphHasContent = true;
                i = nl + 1;
            }
            if (text.length() == from) paragraphHasContent = true;
        }

        private void breakParagraph() {
            text.append('\n');
            paragraphs.add(current);
            paragraphHasContent = false;
        }

        Fragment finish() {
            // A trailing break of the last block: the paste ends with that paragraph, not an empty one.
            boolean lastWhole = false;
            if (text.length() > 0 && text.charAt(text.length() - 1) == '\n' && !paragraphHasContent) {
                text.setLength(text.length() - 1); // its style stays in paragraphs, for the last paragraph
                lastWhole = true;
            }
            return new Fragment(text.toString(), marks, paragraphs, lastWhole);
        }
    }
}
