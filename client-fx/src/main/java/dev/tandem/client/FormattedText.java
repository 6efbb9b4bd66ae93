package dev.tandem.client;

import dev.tandem.crdt.Doc;
import dev.tandem.crdt.Formats;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.stream.Collectors;

/**
 * A document as paragraphs of formatted runs: what export writes, import produces and print lays
 * out. A copy, so that the slow part (formatting a file, laying out pages) can run off the FX
 * thread while the replica ({@code Doc}, owned by the FX thread) goes on changing.
 *
 * <p>Immutable: made by the thread that owns the {@code Doc} ({@link #of}), then read by any.
 *
 * @param paragraphs in order; the text of the document is their texts joined by line breaks
 */
record FormattedText(List<Paragraph> paragraphs) {
    /** One paragraph: its attributes ({@link Formats#BLOCK}, {@link Formats#INDENT}) and its runs, without the line break. */
    record Paragraph(Map<String, String> attributes, List<Doc.TextRun> runs) {
        Paragraph {
            attributes = Map.copyOf(attributes);
            runs = List.copyOf(runs);
        }

        String text() {
            return runs.stream().map(Doc.TextRun::text).collect(Collectors.joining());
        }

        String block() {
            return attributes.get(Formats.BLOCK);
        }

        /** The list level, 0 (top) to 8. */
        int indent() {
            String indent = attributes.get(Formats.INDENT);
            return indent == null ? 0 : indent.charAt(0) - '0';
        }

        boolean isListItem() {
            return EditorBinding.isList(block());
        }
    }

    FormattedText {
        paragraphs = List.copyOf(paragraphs);
    }

    /** All of {@code doc} (the thread that owns it). */
    static FormattedText of(Doc doc) {
        return of(doc, 0, doc.length());
    }

    /**
     * {@code from .. to-1} of {@code doc} (the thread that owns it): a paragraph per line of the
     * range, each with the attributes of the document paragraph it is part of.
     */
    static FormattedText of(Doc doc, int from, int to) {
        List<Paragraph> out = new ArrayList<>();
        List<Doc.TextRun> line = new ArrayList<>();
        int at = from;
        for (Doc.TextRun run : from < to ? doc.runs(from, to) : List.<Doc.TextRun>of()) {
            String text = run.text();
            int i = 0;
            while (i <= text.length()) {
                int nl = text.indexOf('\n', i);
                int end = nl < 0 ? text.length() : nl;
                if (end > i) line.add(new Doc.TextRun(text.substring(i, end), run.marks()));
                if (nl < 0) break;
                out.add(new Paragraph(doc.paragraph(at + nl), line));
                line = new ArrayList<>();
                i = nl + 1;
            }
            at += text.length();
        }
        out.add(new Paragraph(doc.paragraph(Math.min(to, doc.length())), line));
        return new FormattedText(out);
    }

    /** The plain text: the paragraphs joined by line breaks (carriage returns kept as they are). */
    String plainText() {
        return paragraphs.stream().map(Paragraph::text).collect(Collectors.joining("\n"));
    }

    /**
     * The number of list item {@code i} (numbered or not) as the editor shows it: it counts the
     * numbered items of its level before it, back to the first paragraph that is not a list item
     * of that level or deeper.
     */
    int listNumber(int i) {
        int level = paragraphs.get(i).indent();
        int n = 1;
        for (int q = i - 1; q >= 0; q--) {
            Paragraph before = paragraphs.get(q);
            if (before.isListItem() && before.indent() > level) continue;
            if ("numbered".equals(before.block()) && before.indent() == level) n++;
            else break;
        }
        return n;
    }

    /**
     * The same text as one fragment to insert (a paste's or an import's): text, marks as ranges
     * (runs of one mark joined), and every paragraph's attributes; the last paragraph is a whole
     * one (its attributes apply where it lands in an empty paragraph).
     */
    RichClipboard.Fragment toFragment() {
        StringBuilder text = new StringBuilder();
        List<RichClipboard.Mark> marks = new ArrayList<>();
        List<Map<String, String>> styles = new ArrayList<>();
        for (Paragraph p : paragraphs) {
            if (!styles.isEmpty()) text.append('\n');
            styles.add(p.attributes());
            for (Doc.TextRun run : p.runs()) {
                int from = text.length();
                text.append(run.text());
                for (Map.Entry<String, String> m : run.marks().entrySet()) {
                    RichClipboard.Mark last = lastMark(marks, m.getKey());
                    if (last != null && last.to() == from && Objects.equals(last.value(), m.getValue())) {
                        marks.set(marks.lastIndexOf(last), new RichClipboard.Mark(last.from(), text.length(), last.key(), last.value()));
                    } else {
                        marks.add(new RichClipboard.Mark(from, text.length(), m.getKey(), m.getValue()));
                    }
                }
            }
        }
        return new RichClipboard.Fragment(text.toString(), marks, styles, true);
    }

    /** The last mark of {@code key} among the few most recent ones (marks of one key are added in order). */
    private static RichClipboard.Mark lastMark(List<RichClipboard.Mark> marks, String key) {
        for (int i = marks.size() - 1, seen = 0; i >= 0 && seen < 8; i--, seen++) {
            if (marks.get(i).key().equals(key)) return marks.get(i);
        }
        return null;
    }
}
