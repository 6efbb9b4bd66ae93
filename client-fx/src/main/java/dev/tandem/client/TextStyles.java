package dev.tandem.client;

import dev.tandem.crdt.Doc;
import dev.tandem.crdt.Formats;
import org.fxmisc.richtext.model.ReadOnlyStyledDocumentBuilder;
import org.fxmisc.richtext.model.SegmentOps;
import org.fxmisc.richtext.model.StyleSpans;
import org.fxmisc.richtext.model.StyleSpansBuilder;
import org.fxmisc.richtext.model.StyledDocument;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;

/**
 * How the replica's formatting looks in the editor: each mark and paragraph attribute becomes a
 * CSS style class (tandem.css says what each class looks like), so RichTextFX's
 * {@code StyleClassedTextArea} renders it without knowing about the crdt.
 *
 * <ul>
 *   <li>Text classes: {@code bold italic underline strikethrough code link}, plus {@code find-match}
 *       and {@code find-current} for find's highlights.</li>
 *   <li>Paragraph classes: {@code h1 h2 h3 bullet numbered quote code-block} and {@code indent-N}
 *       (1-8).</li>
 * </ul>
 *
 * <p>Any thread: these functions only read the {@code Doc} they are given, which the caller owns.
 */
final class TextStyles {
    static final String MATCH = "find-match";
    static final String CURRENT_MATCH = "find-current";
    /** Marks shown, in the order their classes are listed. Comments are not shown yet. */
    static final List<String> SHOWN_MARKS = List.of(Formats.BOLD, Formats.ITALIC, Formats.UNDERLINE,
            Formats.STRIKETHROUGH, Formats.CODE, Formats.LINK);

    private TextStyles() {}

    /** The text classes of characters with {@code marks}. */
    static List<String> textClasses(Map<String, String> marks) {
        if (marks.isEmpty()) return List.of();
        List<String> out = new ArrayList<>(2);
        for (String key : SHOWN_MARKS) if (marks.containsKey(key)) out.add(key);
        return out;
    }

    /** The paragraph classes of a paragraph with {@code attributes}. */
    static List<String> paragraphClasses(Map<String, String> attributes) {
        if (attributes.isEmpty()) return List.of();
        List<String> out = new ArrayList<>(2);
        String block = attributes.get(Formats.BLOCK);
        if (block != null) out.add(block.equals("code") ? "code-block" : block);
        String indent = attributes.get(Formats.INDENT);
        if (indent != null) out.add("indent-" + indent);
        return out;
    }

    /** The block of a paragraph with {@code classes} (null: normal text). */
    static String blockOf(Collection<String> classes) {
        for (String c : classes) {
            switch (c) {
                case "h1", "h2", "h3", "bullet", "numbered", "quote" -> { return c; }
                case "code-block" -> { return "code"; }
                default -> { }
            }
        }
        return null;
    }

    /** The indent (0: none) of a paragraph with {@code classes}. */
    static int indentOf(Collection<String> classes) {
        for (String c : classes) if (c.startsWith("indent-")) return c.charAt(7) - '0';
        return 0;
    }

    /**
     * The text classes of {@code from .. to-1}: the replica's marks, and the find highlights
     * {@code highlights} (sorted, disjoint [start, end) pairs) with {@code current} (index of the
     * current one, -1 for none).
     */
    static StyleSpans<Collection<String>> spans(Doc doc, int from, int to, Highlights highlights) {
        StyleSpansBuilder<Collection<String>> b = new StyleSpansBuilder<>();
        int at = from;
        if (from == to) {
            b.add(List.of(), 0);
            return b.create();
        }
        for (Doc.TextRun run : doc.runs(from, to)) {
            List<String> classes = textClasses(run.marks());
            int end = at + run.text().length();
            if (highlights == null || highlights.isEmpty()) {
                b.add(classes, end - at);
            } else {
                highlights.split(at, end, classes, b);
            }
            at = end;
        }
        return b.create();
    }

    /**
     * The editor's content for {@code doc}, formatting included. On the loading thread: RichTextFX
     * needs about a second per megabyte to split text into paragraphs, and the FX thread then only
     * swaps the finished document in.
     */
    static StyledDocument<Collection<String>, String, Collection<String>> document(Doc doc) {
        String text = EditorBinding.forDisplay(doc.text());
        ReadOnlyStyledDocumentBuilder<Collection<String>, String, Collection<String>> b =
                new ReadOnlyStyledDocumentBuilder<>(SegmentOps.styledTextOps(), List.of());
        StyleSpans<Collection<String>> spans = spans(doc, 0, text.length(), null);
        // Walk the spans paragraph by paragraph.
        var spanIt = spans.iterator();
        var span = spanIt.hasNext() ? spanIt.next() : null;
        int spanLeft = span == null ? 0 : span.getLength();
        int start = 0;
        while (true) {
            int nl = text.indexOf('\n', start);
            int end = nl < 0 ? text.length() : nl;
            StyleSpansBuilder<Collection<String>> ps = new StyleSpansBuilder<>();
            int need = end - start;
            boolean any = false;
            while (need > 0 && span != null) {
                int take = Math.min(need, spanLeft);
                ps.add(span.getStyle(), take);
                any = true;
                need -= take;
                spanLeft -= take;
                if (spanLeft == 0) {
                    span = spanIt.hasNext() ? spanIt.next() : null;
                    spanLeft = span == null ? 0 : span.getLength();
                }
            }
            if (!any) ps.add(List.of(), 0);
            b.addParagraph(text.substring(start, end), ps.create(), paragraphClasses(doc.paragraph(start)));
            if (nl < 0) break;
            // The line break itself carries a style span too; skip it.
            int skip = 1;
            while (skip > 0 && span != null) {
                int take = Math.min(skip, spanLeft);
                skip -= take;
                spanLeft -= take;
                if (spanLeft == 0) {
                    span = spanIt.hasNext() ? spanIt.next() : null;
                    spanLeft = span == null ? 0 : span.getLength();
                }
            }
            start = nl + 1;
        }
        return b.build();
    }

    /** Find's highlights in the editor's positions: sorted, disjoint ranges, one of them current. */
    static final class Highlights {
        final int[] starts;
        final int[] ends;
        final int current;

        Highlights(int[] starts, int[] ends, int current) {
            this.starts = starts;
            this.ends = ends;
            this.current = current;
        }

        static final Highlights NONE = new Highlights(new int[0], new int[0], -1);

        boolean isEmpty() {
            return starts.length == 0;
        }

        int size() {
            return starts.length;
        }

        /** The first highlight that ends after {@code pos}. */
        int firstEndingAfter(int pos) {
            int lo = 0, hi = starts.length;
            while (lo < hi) {
                int mid = (lo + hi) >>> 1;
                if (ends[mid] <= pos) lo = mid + 1;
                else hi = mid;
            }
            return lo;
        }

        /** Adds {@code at .. end-1} with {@code classes}, split where highlights start and end. */
        void split(int at, int end, List<String> classes, StyleSpansBuilder<Collection<String>> b) {
            int i = firstEndingAfter(at);
            while (at < end) {
                if (i >= starts.length || starts[i] >= end) {
                    b.add(classes, end - at);
                    return;
                }
                if (starts[i] > at) {
                    b.add(classes, starts[i] - at);
                    at = starts[i];
                }
                int stop = Math.min(end, ends[i]);
                List<String> with = new ArrayList<>(classes);
                with.add(MATCH);
                if (i == current) with.add(CURRENT_MATCH);
                b.add(with, stop - at);
                at = stop;
                if (stop == ends[i]) i++;
            }
        }

        /** These highlights after the editor's text changed: at {@code pos}, {@code removed} units replaced by {@code inserted}. */
        Highlights shifted(int pos, int removed, int inserted) {
            if (starts.length == 0) return this;
            int delta = inserted - removed;
            int[] s = new int[starts.length];
            int[] e = new int[ends.length];
            int n = 0;
            int cur = -1;
            for (int i = 0; i < starts.length; i++) {
                int a = starts[i], z = ends[i];
                if (z <= pos) { /* before: unchanged */ }
                else if (a >= pos + removed) { a += delta; z += delta; }
                else continue; // touched by the edit: gone until find searches again
                if (i == current) cur = n;
                s[n] = a;
                e[n] = z;
                n++;
            }
            return new Highlights(java.util.Arrays.copyOf(s, n), java.util.Arrays.copyOf(e, n), cur);
        }
    }
}
