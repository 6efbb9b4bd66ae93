package dev.tandem.client;

import dev.tandem.crdt.Doc;
import dev.tandem.crdt.Formats;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Writes a document as CommonMark (with GitHub's {@code ~~strikethrough~~}), in the one form
 * {@link MarkdownImport} reads back to the same document, so that Markdown -> import -> export
 * gives the same Markdown.
 *
 * <ul>
 *   <li>Every paragraph is a block of its own, separated by a blank line; list items of one list
 *       follow each other directly (a tight list), nested by the content column of their parent
 *       item; consecutive code-block paragraphs are one fenced block. Empty normal paragraphs
 *       have no Markdown form and are left out.</li>
 *   <li>Marks: {@code **bold**}, {@code *italic*}, {@code ~~strikethrough~~}, {@code `code`},
 *       {@code [text](url)} (only links the editor would open: http, https, mailto), and
 *       {@code <u>underline</u>} (Markdown has none; the importer knows this one tag).</li>
 *   <li>Text is escaped: every character Markdown could read as syntax gets a backslash,
 *       whitespace at either end of a paragraph and carriage returns become character
 *       references (Markdown would drop or break on them).</li>
 * </ul>
 *
 * <p>Any thread: a pure function of its input.
 */
final class MarkdownExport {
    /** Marks in nesting order, outermost first. Emphasis inside a link, code innermost (nothing nests in code). */
    private static final List<String> ORDER = List.of(Formats.LINK, Formats.BOLD, Formats.ITALIC, Formats.STRIKETHROUGH,
            Formats.UNDERLINE, Formats.CODE);
    /** Marks whose delimiters must not touch whitespace on their inner side (CommonMark's flanking rules). */
    private static final List<String> EMPHASIS = List.of(Formats.BOLD, Formats.ITALIC, Formats.STRIKETHROUGH);

    private MarkdownExport() {}

    static String write(FormattedText text) {
        StringBuilder out = new StringBuilder();
        List<FormattedText.Paragraph> ps = text.paragraphs();
        List<Integer> contentColumns = new ArrayList<>(); // of the open list items, by level
        String previous = null; // the kind of the previous block written: "list", "code", "other"
        boolean previousHadText = false; // the previous list item
        int i = 0;
        while (i < ps.size()) {
            FormattedText.Paragraph p = ps.get(i);
            String block = p.block();
            if ("code".equals(block)) {
                int end = i;
                while (end < ps.size() && "code".equals(ps.get(end).block())) end++;
                separate(out);
                codeBlock(out, ps.subList(i, end));
                contentColumns.clear();
                previous = "code";
                i = end;
                continue;
            }
            if (p.isListItem()) {
                if (!"list".equals(previous)) contentColumns.clear();
                int level = Math.min(p.indent(), contentColumns.size());
                while (contentColumns.size() > level) contentColumns.remove(contentColumns.size() - 1);
                int column = level == 0 ? 0 : contentColumns.get(level - 1);
                String marker = "numbered".equals(block) ? text.listNumber(i) + "." : "-";
                String inline = inline(p.runs());
                // An empty item cannot start a nested list right under its parent's text ("- a" then
                // "  -" is a heading underline): a blank line keeps it in the item.
                boolean emptyUnderText = inline.isEmpty() && level > 0 && level == contentColumns.size() && previousHadText;
                if ("list".equals(previous) && !emptyUnderText) out.append('\n');
                else separate(out);
                out.append(" ".repeat(column)).append(marker);
                if (!inline.isEmpty()) out.append(' ').append(inline);
                previousHadText = !inline.isEmpty();
                contentColumns.add(column + marker.length() + 1);
                previous = "list";
                i++;
                continue;
            }
            String inline = inline(p.runs());
            if (block == null && inline.isEmpty()) { // an empty line: no Markdown for it
                i++;
                continue;
            }
            separate(out);
            if (block == null) {
                out.append(inline);
            } else if (block.equals("quote")) {
                out.append('>');
                if (!inline.isEmpty()) out.append(' ').append(inline);
            } else { // h1-h3
                out.append("#".repeat(block.charAt(1) - '0'));
                if (!inline.isEmpty()) out.append(' ').append(escapeClosingHashes(inline));
            }
            previous = "other";
            i++;
        }
        if (out.length() > 0) out.append('\n');
        return out.toString();
    }

    private static void separate(StringBuilder out) {
        if (out.length() > 0) out.append("\n\n");
    }

    /** A fence longer than any run of backticks in the code, so none of its lines closes the block. */
    private static void codeBlock(StringBuilder out, List<FormattedText.Paragraph> lines) {
        int longest = 0;
        for (FormattedText.Paragraph p : lines) longest = Math.max(longest, longestRun(p.text(), '`'));
        String fence = "`".repeat(Math.max(3, longest + 1));
        out.append(fence).append('\n');
        for (FormattedText.Paragraph p : lines) out.append(p.text().replace("\r", "")).append('\n');
        out.append(fence);
    }

    /** A heading's closing run of {@code #} would be dropped: its last one is escaped. */
    private static String escapeClosingHashes(String inline) {
        return inline.endsWith("#") && !inline.endsWith("\\#") ? inline.substring(0, inline.length() - 1) + "\\#" : inline;
    }

    // ---------------------------------------------------------------- inline

    /**
     * A paragraph's runs as Markdown inline content. A mark opened earlier stays outside one
     * opened later (several opening together: the longest outermost), so a mark is closed and
     * opened again only where marks overlap without nesting; whitespace next to a delimiter is
     * moved outside it, where CommonMark's flanking rules would not read it as one.
     */
    static String inline(List<Doc.TextRun> runs) {
        List<Piece> pieces = pieces(runs);
        List<Token> tokens = tokens(pieces);
        // Moving whitespace changes which marks open together (and so their order): until the
        // text says what it will read back as, so that its export is the same Markdown again.
        for (int round = 0; round < 4; round++) {
            List<Piece> readBack = piecesOf(tokens);
            if (readBack.equals(pieces)) break;
            pieces = readBack;
            tokens = tokens(pieces);
        }
        return render(tokens);
    }

    /** The delimiters and text of {@code pieces}, whitespace moved out of delimiters. */
    private static List<Token> tokens(List<Piece> pieces) {
        List<Token> tokens = new ArrayList<>();
        List<Map.Entry<String, String>> open = new ArrayList<>();
        for (int k = 0; k < pieces.size(); k++) {
            Piece piece = pieces.get(k);
            List<Map.Entry<String, String>> wanted = ordered(piece.marks);
            int keep = 0;
            while (keep < open.size() && wanted.contains(open.get(keep))) keep++;
            for (int j = open.size() - 1; j >= keep; j--) tokens.add(new Token(Kind.CLOSE, open.remove(j), null));
            List<Map.Entry<String, String>> opening = new ArrayList<>(wanted);
            opening.removeAll(open);
            int from = k;
            opening.sort(java.util.Comparator.comparingInt((Map.Entry<String, String> e) -> -lasts(pieces, from, e)));
            for (Map.Entry<String, String> e : opening) {
                tokens.add(new Token(Kind.OPEN, e, null));
                open.add(e);
            }
            tokens.add(new Token(piece.marks.containsKey(Formats.CODE) ? Kind.CODE : Kind.TEXT, null, piece.text));
        }
        for (int j = open.size() - 1; j >= 0; j--) tokens.add(new Token(Kind.CLOSE, open.get(j), null));
        return moveWhitespaceOutOfDelimiters(tokens);
    }

    /** The text and marks {@code tokens} stand for. */
    private static List<Piece> piecesOf(List<Token> tokens) {
        List<Piece> out = new ArrayList<>();
        Map<String, String> open = new HashMap<>();
        for (Token t : tokens) {
            switch (t.kind) {
                case OPEN -> open.put(t.mark.getKey(), t.mark.getValue());
                case CLOSE -> open.remove(t.mark.getKey());
                default -> {
                    Map<String, String> marks = new HashMap<>(open);
                    if (t.kind == Kind.CODE) marks.put(Formats.CODE, "true");
                    add(out, t.text, marks);
                }
            }
        }
        return out;
    }

    private static String render(List<Token> tokens) {
        StringBuilder out = new StringBuilder();
        int firstText = -1;
        int lastText = -1;
        for (int i = 0; i < tokens.size(); i++) {
            if (tokens.get(i).text != null) {
                if (firstText < 0) firstText = i;
                lastText = i;
            }
        }
        for (int i = 0; i < tokens.size(); i++) {
            Token t = tokens.get(i);
            switch (t.kind) {
                case OPEN -> out.append(opening(t.mark));
                case CLOSE -> out.append(closing(t.mark));
                case CODE -> out.append(codeSpan(t.text));
                default -> out.append(escape(t.text, i == firstText, i == lastText));
            }
        }
        return out.toString();
    }

    private enum Kind { OPEN, CLOSE, TEXT, CODE }

    /** A delimiter ({@code mark}) or a piece of text. */
    private record Token(Kind kind, Map.Entry<String, String> mark, String text) {}

    /** How many pieces from {@code k} on carry {@code mark}. */
    private static int lasts(List<Piece> pieces, int k, Map.Entry<String, String> mark) {
        int n = 0;
        while (k + n < pieces.size() && mark.getValue().equals(pieces.get(k + n).marks.get(mark.getKey()))) n++;
        return n;
    }

    /**
     * {@code ** x**} and {@code **x **} are not bold in CommonMark: whitespace that text starts
     * with right after opening delimiters goes before them, whitespace it ends with right before
     * closing ones after them (never across a link's brackets: that would change the link's text).
     */
    private static List<Token> moveWhitespaceOutOfDelimiters(List<Token> tokens) {
        // A new list, built front to back: a whitespace piece goes in before the few opening
        // delimiters at its end, or after the closing ones that follow (linear, whatever the size).
        List<Token> out = new ArrayList<>(tokens.size() + 8);
        int i = 0;
        while (i < tokens.size()) {
            Token t = tokens.get(i);
            if (t.kind != Kind.TEXT) {
                out.add(t);
                i++;
                continue;
            }
            String text = t.text;
            int opens = out.size();
            while (opens > 0 && out.get(opens - 1).kind == Kind.OPEN && !isLink(out.get(opens - 1))) opens--;
            int lead = 0;
            while (lead < text.length() && Character.isWhitespace(text.charAt(lead))) lead++;
            if (opens < out.size() && lead > 0) {
                out.add(opens, new Token(Kind.TEXT, null, text.substring(0, lead)));
                text = text.substring(lead);
                if (text.isEmpty()) {
                    i++;
                    continue;
                }
            }
            int closes = i + 1;
            while (closes < tokens.size() && tokens.get(closes).kind == Kind.CLOSE && !isLink(tokens.get(closes))) closes++;
            int end = text.length();
            while (end > 0 && Character.isWhitespace(text.charAt(end - 1))) end--;
            if (closes > i + 1 && end < text.length()) {
                if (end > 0) out.add(new Token(Kind.TEXT, null, text.substring(0, end)));
                out.addAll(tokens.subList(i + 1, closes));
                out.add(new Token(Kind.TEXT, null, text.substring(end)));
                i = closes;
                continue;
            }
            out.add(new Token(Kind.TEXT, null, text));
            i++;
        }
        return out;
    }

    private static boolean isLink(Token t) {
        return t.mark.getKey().equals(Formats.LINK);
    }

    private record Piece(String text, Map<String, String> marks) {}

    /**
     * The runs with the marks Markdown can say, and emphasis moved off whitespace at its edges
     * ({@code **bold **} would not be bold): the whitespace a run starts or ends with keeps only
     * the emphasis that continues from its neighbour on that side.
     */
    private static List<Piece> pieces(List<Doc.TextRun> runs) {
        List<Map<String, String>> marks = new ArrayList<>();
        for (Doc.TextRun run : runs) {
            Map<String, String> m = new HashMap<>();
            for (String key : ORDER) {
                String value = run.marks().get(key);
                if (value == null) continue;
                if (key.equals(Formats.LINK) && !EditorCommands.isSafeLink(value)) continue;
                m.put(key, value);
            }
            marks.add(m);
        }
        List<Piece> out = new ArrayList<>();
        for (int r = 0; r < runs.size(); r++) {
            String text = runs.get(r).text();
            Map<String, String> m = marks.get(r);
            Map<String, String> before = r > 0 ? marks.get(r - 1) : Map.of();
            Map<String, String> after = r + 1 < runs.size() ? marks.get(r + 1) : Map.of();
            int start = 0;
            while (start < text.length() && Character.isWhitespace(text.charAt(start))) start++;
            int end = text.length();
            while (end > start && Character.isWhitespace(text.charAt(end - 1))) end--;
            if (start == text.length()) { // whitespace only
                add(out, text, trimmed(trimmed(m, before), after));
                continue;
            }
            if (start > 0) add(out, text.substring(0, start), trimmed(m, before));
            add(out, text.substring(start, end), m);
            if (end < text.length()) add(out, text.substring(end), trimmed(m, after));
        }
        return out;
    }

    /** {@code marks} without the emphasis {@code neighbour} does not have too. */
    private static Map<String, String> trimmed(Map<String, String> marks, Map<String, String> neighbour) {
        Map<String, String> m = new HashMap<>(marks);
        for (String key : EMPHASIS) if (!Objects.equals(marks.get(key), neighbour.get(key))) m.remove(key);
        return m;
    }

    private static void add(List<Piece> out, String text, Map<String, String> marks) {
        if (text.isEmpty()) return;
        if (!out.isEmpty() && out.get(out.size() - 1).marks.equals(marks)) {
            Piece last = out.remove(out.size() - 1);
            out.add(new Piece(last.text + text, marks));
        } else {
            out.add(new Piece(text, marks));
        }
    }

    private static List<Map.Entry<String, String>> ordered(Map<String, String> marks) {
        List<Map.Entry<String, String>> out = new ArrayList<>();
        for (String key : ORDER) if (marks.containsKey(key) && !key.equals(Formats.CODE)) out.add(Map.entry(key, marks.get(key)));
        return out;
    }

    private static String opening(Map.Entry<String, String> mark) {
        return switch (mark.getKey()) {
            case Formats.LINK -> "[";
            case Formats.BOLD -> "**";
            case Formats.ITALIC -> "*";
            case Formats.STRIKETHROUGH -> "~~";
            default -> "<u>";
        };
    }

    private static String closing(Map.Entry<String, String> mark) {
        return switch (mark.getKey()) {
            case Formats.LINK -> "](" + destination(mark.getValue()) + ")";
            case Formats.BOLD -> "**";
            case Formats.ITALIC -> "*";
            case Formats.STRIKETHROUGH -> "~~";
            default -> "</u>";
        };
    }

    /** A link's address (a valid URI: no spaces or controls) with what Markdown would read in it escaped. */
    private static String destination(String url) {
        StringBuilder b = new StringBuilder(url.length());
        for (int i = 0; i < url.length(); i++) {
            char c = url.charAt(i);
            if (c == '(' || c == ')' || c == '\\' || c == '<' || c == '>' || (c == '&' && entityFollows(url, i))) b.append('\\');
            b.append(c);
        }
        return b.toString();
    }

    /** An inline code span: delimited by more backticks than it holds in a row, padded where CommonMark would strip or merge. */
    private static String codeSpan(String code) {
        String text = code.replace("\r", " ");
        String ticks = "`".repeat(longestRun(text, '`') + 1);
        boolean pad = text.indexOf('`') >= 0 || (text.startsWith(" ") && text.endsWith(" ") && !text.isBlank());
        return pad ? ticks + " " + text + " " + ticks : ticks + text + ticks;
    }

    private static int longestRun(String s, char c) {
        int longest = 0;
        int run = 0;
        for (int i = 0; i < s.length(); i++) {
            run = s.charAt(i) == c ? run + 1 : 0;
            longest = Math.max(longest, run);
        }
        return longest;
    }

    /**
     * Plain text as Markdown text: a backslash before every character that could start syntax
     * here; {@code paragraphStart}/{@code paragraphEnd} say whether it begins or ends its paragraph
     * (where block syntax is read, and where whitespace would be stripped).
     */
    static String escape(String text, boolean paragraphStart, boolean paragraphEnd) {
        StringBuilder b = new StringBuilder(text.length() + 8);
        int lead = 0;
        if (paragraphStart) while (lead < text.length() && isBlank(text.charAt(lead))) lead++;
        int trail = text.length();
        if (paragraphEnd) while (trail > lead && isBlank(text.charAt(trail - 1))) trail--;
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (i < lead || i >= trail || c == '\r') {
                b.append("&#").append((int) c).append(';');
                continue;
            }
            boolean atStart = paragraphStart && i == lead && lead == 0;
            switch (c) {
                case '\\', '*', '_', '`', '[', ']', '<', '~' -> b.append('\\');
                case '&' -> { if (entityFollows(text, i)) b.append('\\'); }
                case '#', '>', '-', '+', '=' -> { if (atStart) b.append('\\'); }
                default -> { }
            }
            if (atStart && c >= '0' && c <= '9') { // "1. " or "1) " would start a numbered list
                int j = i;
                while (j < text.length() && text.charAt(j) >= '0' && text.charAt(j) <= '9') j++;
                if (j < text.length() && (text.charAt(j) == '.' || text.charAt(j) == ')')) {
                    b.append(text, i, j).append('\\').append(text.charAt(j));
                    i = j;
                    continue;
                }
            }
            b.append(c);
        }
        return b.toString();
    }

    private static boolean isBlank(char c) {
        return c == ' ' || c == '\t';
    }

    /** True if {@code &} at {@code i} starts what CommonMark would read as a character reference. */
    private static boolean entityFollows(String s, int i) {
        int j = i + 1;
        if (j < s.length() && s.charAt(j) == '#') j++;
        int start = j;
        while (j < s.length() && j - start < 32 && Character.isLetterOrDigit(s.charAt(j))) j++;
        return j > start && j < s.length() && s.charAt(j) == ';';
    }
}
