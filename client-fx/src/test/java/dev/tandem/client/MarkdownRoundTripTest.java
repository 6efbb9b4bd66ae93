package dev.tandem.client;

import dev.tandem.crdt.Doc;
import dev.tandem.crdt.Formats;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Markdown -> import -> export gives the same Markdown for the supported subset (headings 1-3,
 * bold, italic, strikethrough, underline, inline code, links, nested bullet and numbered lists,
 * quotes, code blocks), checked on a table of hand-written documents and on many generated ones;
 * and what the importer makes of Markdown Tandem cannot show.
 */
class MarkdownRoundTripTest {

    private static String roundTrip(String markdown) {
        return MarkdownExport.write(MarkdownImport.parse(markdown));
    }

    @ParameterizedTest
    @ValueSource(strings = {
            "# Title\n",
            "## Sub *it* **b**\n",
            "### Three ~~struck~~\n",
            "plain **bold** and *italic* and ~~gone~~ and `code` and [a link](https://example.com/a?b=1&c=2)\n",
            "- one\n- two\n  - nested\n    - deeper\n- three\n",
            "1. first\n2. second\n   1. inner\n   2. inner two\n3. third\n",
            "- bullet\n  1. numbered inside\n  2. again\n- back out\n",
            "> quoted **text**\n\n> a second quote\n",
            "```\ncode line\n  indented *not emphasis*\n\n<b>raw</b>\n```\n",
            "````\na line with ``` inside\n````\n",
            "para one\n\npara two\n\n# heading after\n\n- list after\n\nand text\n",
            "escaped \\*stars\\* and \\_under\\_ and \\[brackets\\] and \\`tick\\` and \\<tag> and \\\\ and \\~\n",
            "\\# not a heading\n",
            "1\\. not a list\n",
            "\\- not a bullet\n",
            "\\> not a quote\n",
            "a <u>underlined</u> word\n",
            "**bold [link inside](https://x.org/p) here**\n",
            "[**bold link**](mailto:ada@example.com)\n",
            "`` code with ` tick ``\n",
            "- \\- dash item\n- \\# hash item\n",
            "AT\\&amp;T stays literal, & alone too\n",
            "&#32;&#32;leading spaces and trailing&#32;\n",
            "# heading ending in \\#\n",
            "-\n  - child of an empty item\n",
            "***both***\n",
            "**bold *and italic* inside**\n",
            "#\n\n>\n",
    })
    void supportedMarkdown_comesBackTheSame(String markdown) {
        assertEquals(markdown, roundTrip(markdown));
    }

    @Test
    void importMapsTheSupportedSubset() {
        FormattedText t = MarkdownImport.parse("# H\n\n- a **b**\n  - c\n\n1. n\n\n> q\n\n```\nx\n```\n\n[l](https://e.org)\n");
        List<FormattedText.Paragraph> ps = t.paragraphs();
        assertEquals(Map.of(Formats.BLOCK, "h1"), ps.get(0).attributes());
        assertEquals(Map.of(Formats.BLOCK, "bullet"), ps.get(1).attributes());
        assertEquals(List.of(new Doc.TextRun("a ", Map.of()), new Doc.TextRun("b", Map.of(Formats.BOLD, "true"))), ps.get(1).runs());
        assertEquals(Map.of(Formats.BLOCK, "bullet", Formats.INDENT, "1"), ps.get(2).attributes());
        assertEquals(Map.of(Formats.BLOCK, "numbered"), ps.get(3).attributes());
        assertEquals(Map.of(Formats.BLOCK, "quote"), ps.get(4).attributes());
        assertEquals(Map.of(Formats.BLOCK, "code"), ps.get(5).attributes());
        assertEquals("x", ps.get(5).text());
        assertEquals(Map.of(Formats.LINK, "https://e.org"), ps.get(6).runs().get(0).marks());
        assertEquals("H\na b\nc\nn\nq\nx\nl", t.plainText());
    }

    @Test
    void unsupportedConstructsBecomeTheirText() {
        FormattedText t = MarkdownImport.parse("""
                ![a cat](cat.png) sits

                | a | b |
                |---|---|
                | 1 | 2 |

                <div align="center"><b>Hello</b> <script>alert(1)</script>world</div>

                ---

                #### four
                [bad](javascript:alert(1)) and <span>inline</span> html
                soft
                break
                """);
        List<String> lines = List.of(t.plainText().split("\n"));
        assertEquals("a cat sits", lines.get(0));
        assertEquals("| a | b | |---|---| | 1 | 2 |", lines.get(1));
        assertEquals("Hello world", lines.get(2), "an HTML block: its text, never its script");
        assertEquals("four", lines.get(3), "the thematic break has no text");
        assertEquals(Map.of(Formats.BLOCK, "h3"), t.paragraphs().get(3).attributes(), "heading 4 becomes heading 3");
        assertEquals("bad and inline html soft break", lines.get(4));
        assertTrue(t.paragraphs().get(4).runs().stream().noneMatch(r -> r.marks().containsKey(Formats.LINK)), "javascript: links are dropped");
    }

    @Test
    void hardBreaksStartAParagraphOfTheSameKind() {
        FormattedText t = MarkdownImport.parse("> one\\\n> two\n");
        assertEquals(2, t.paragraphs().size());
        assertEquals("quote", t.paragraphs().get(1).block());
    }

    @Test
    void deepNestingIsBoundedNotRecursedWithoutEnd() {
        String deep = ">".repeat(100_000) + " x\n" + "*".repeat(50_000) + "y" + "*".repeat(50_000) + "\n" + "[".repeat(100_000);
        FormattedText t = MarkdownImport.parse(deep);
        assertTrue(t.plainText().contains("x"));
    }

    @Test
    void exportEscapesEverythingMarkdownWouldRead() {
        FormattedText t = new FormattedText(List.of(
                para(Map.of(), run("# *a* _b_ [c](d) `e` <f> \\ ~~g~~ &amp; 1. x\r", Map.of())),
                para(Map.of(), run("1) no list", Map.of())),
                para(Map.of(), run("---", Map.of()))));
        String md = MarkdownExport.write(t);
        assertEquals("\\# \\*a\\* \\_b\\_ \\[c\\](d) \\`e\\` \\<f> \\\\ \\~\\~g\\~\\~ \\&amp; 1. x&#13;\n\n1\\) no list\n\n\\---\n", md);
        assertEquals(t, MarkdownImport.parse(md));
    }

    @Test
    void unsafeLinksAreNotExported() {
        FormattedText t = new FormattedText(List.of(para(Map.of(), run("click", Map.of(Formats.LINK, "javascript:alert(1)")))));
        assertEquals("click\n", MarkdownExport.write(t));
    }

    // ---------------------------------------------------------------- generated documents

    /**
     * Many generated documents of the supported subset: their Markdown imports to the same
     * document, and exports to the same Markdown again.
     */
    @Test
    void generatedDocuments_roundTrip() {
        for (long seed = 1; seed <= 2000; seed++) {
            FormattedText doc = generate(new Random(seed));
            String md = MarkdownExport.write(doc);
            FormattedText back = MarkdownImport.parse(md);
            long s = seed;
            assertEquals(normalized(doc), normalized(back), () -> "seed " + s + ", markdown:\n" + md);
            assertEquals(md, MarkdownExport.write(back), () -> "seed " + s);
        }
    }

    /**
     * The document with the emphasis on whitespace taken off: where marks overlap without
     * nesting, the exporter may move a space out of a delimiter (CommonMark would not read
     * {@code ** x**} as bold), which changes nothing a reader sees.
     */
    private static FormattedText normalized(FormattedText t) {
        List<FormattedText.Paragraph> out = new ArrayList<>();
        for (FormattedText.Paragraph p : t.paragraphs()) {
            List<Doc.TextRun> runs = new ArrayList<>();
            for (Doc.TextRun run : p.runs()) {
                for (int i = 0; i < run.text().length(); i++) {
                    char c = run.text().charAt(i);
                    Map<String, String> m = new HashMap<>(run.marks());
                    if (c == ' ') m.keySet().retainAll(List.of(Formats.LINK, Formats.CODE));
                    add(runs, String.valueOf(c), m);
                }
            }
            out.add(new FormattedText.Paragraph(p.attributes(), runs));
        }
        return new FormattedText(out);
    }

    private static final String[] WORDS = {"tandem", "a", "Crdt", "x1", "(paren)", "end.", "1.", "#tag", "-dash", "*star*", "_u_",
            "[b]", "<i>", "a&b", "&amp;", "back\\slash", "`tick`", "~~", "100%", "ü", "日本", "😀", "=", "+1", "!", "|", "q>"};
    private static final String[] LINKS = {"https://example.com/", "https://e.org/a_(b)?q=1&r=2", "mailto:ada@example.com", "http://x.y/*z*"};

    private static FormattedText generate(Random r) {
        List<FormattedText.Paragraph> out = new ArrayList<>();
        int n = 1 + r.nextInt(8);
        int listDepth = 0; // levels open after the previous paragraph
        for (int i = 0; i < n; i++) {
            int kind = r.nextInt(8);
            Map<String, String> attrs = new HashMap<>();
            switch (kind) {
                case 0, 1 -> { }
                case 2 -> attrs.put(Formats.BLOCK, "h" + (1 + r.nextInt(3)));
                case 3, 4 -> {
                    attrs.put(Formats.BLOCK, r.nextBoolean() ? "bullet" : "numbered");
                    int level = r.nextInt(listDepth + 1);
                    if (level > 0) attrs.put(Formats.INDENT, String.valueOf(level));
                }
                case 5 -> attrs.put(Formats.BLOCK, "quote");
                default -> attrs.put(Formats.BLOCK, "code");
            }
            String block = attrs.get(Formats.BLOCK);
            listDepth = EditorBinding.isList(block) ? Math.min(8, (attrs.containsKey(Formats.INDENT) ? Integer.parseInt(attrs.get(Formats.INDENT)) : 0) + 1) : 0;
            if ("code".equals(block)) {
                String line = r.nextInt(5) == 0 ? "" : (r.nextBoolean() ? "  " : "") + String.join(" ", words(r, 1 + r.nextInt(4))) + (r.nextInt(4) == 0 ? " ```" : "");
                out.add(para(attrs, line.isEmpty() ? List.of() : List.of(new Doc.TextRun(line, Map.of()))));
                continue;
            }
            int words = block == null ? 1 + r.nextInt(6) : r.nextInt(6);
            out.add(para(attrs, inline(r, words)));
        }
        return new FormattedText(out);
    }

    private static List<String> words(Random r, int n) {
        List<String> w = new ArrayList<>();
        for (int i = 0; i < n; i++) w.add(WORDS[r.nextInt(WORDS.length)]);
        return w;
    }

    /** Words with random marks, separated by spaces that keep only the marks both neighbours share. */
    private static List<Doc.TextRun> inline(Random r, int n) {
        List<String> ws = words(r, n);
        List<Map<String, String>> marks = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            Map<String, String> m = new HashMap<>();
            if (r.nextInt(4) == 0) m.put(Formats.BOLD, "true");
            if (r.nextInt(4) == 0) m.put(Formats.ITALIC, "true");
            if (r.nextInt(6) == 0) m.put(Formats.STRIKETHROUGH, "true");
            if (r.nextInt(6) == 0) m.put(Formats.UNDERLINE, "true");
            if (r.nextInt(6) == 0) m.put(Formats.CODE, "true");
            if (r.nextInt(6) == 0) m.put(Formats.LINK, LINKS[r.nextInt(LINKS.length)]);
            marks.add(m);
        }
        List<Doc.TextRun> runs = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            if (i > 0) {
                Map<String, String> shared = new HashMap<>(marks.get(i - 1));
                Map<String, String> next = marks.get(i);
                shared.entrySet().removeIf(e -> !e.getValue().equals(next.get(e.getKey())));
                // Code is marked on words: emphasis that changes between two code spans sits
                // between two punctuation characters, where CommonMark may pair it otherwise.
                shared.remove(Formats.CODE);
                add(runs, " ", shared);
            }
            add(runs, ws.get(i), marks.get(i));
        }
        return runs;
    }

    private static void add(List<Doc.TextRun> runs, String text, Map<String, String> marks) {
        if (!runs.isEmpty() && runs.get(runs.size() - 1).marks().equals(marks)) {
            Doc.TextRun last = runs.remove(runs.size() - 1);
            runs.add(new Doc.TextRun(last.text() + text, Map.copyOf(marks)));
        } else {
            runs.add(new Doc.TextRun(text, Map.copyOf(marks)));
        }
    }

    private static FormattedText.Paragraph para(Map<String, String> attrs, List<Doc.TextRun> runs) {
        return new FormattedText.Paragraph(attrs, runs);
    }

    private static FormattedText.Paragraph para(Map<String, String> attrs, Doc.TextRun run) {
        return new FormattedText.Paragraph(attrs, List.of(run));
    }

    private static Doc.TextRun run(String text, Map<String, String> marks) {
        return new Doc.TextRun(text, marks);
    }
}
