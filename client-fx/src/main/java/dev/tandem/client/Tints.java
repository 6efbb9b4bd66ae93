package dev.tandem.client;

import org.fxmisc.richtext.model.StyleSpans;
import org.fxmisc.richtext.model.StyleSpansBuilder;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.Collection;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/**
 * Background tints laid over the text in people's colours ("Show authors", the history view's
 * insertions): sorted, disjoint {@code [start, end)} ranges, each with one style class.
 *
 * <p>People's colours are any {@code #rrggbb}, and a {@code StyleClassedTextArea} takes classes
 * only, so each colour gets a class of its own ({@link #classFor}) and {@link #stylesheet} writes
 * the rules for the colours in use as a {@code data:} stylesheet. Colours go through
 * {@link UserColors#safe} first: nothing but six hex digits ever reaches the CSS.
 *
 * <p>Immutable; any thread.
 */
final class Tints {
    static final Tints NONE = new Tints(new int[0], new int[0], new String[0]);
    private static final String PREFIX = "tint-";

    final int[] starts;
    final int[] ends;
    final String[] classes;

    Tints(int[] starts, int[] ends, String[] classes) {
        this.starts = starts;
        this.ends = ends;
        this.classes = classes;
    }

    int size() {
        return starts.length;
    }

    boolean isEmpty() {
        return starts.length == 0;
    }

    /** The class that tints text in {@code color} (any input; see {@link UserColors#safe}). */
    static String classFor(String color) {
        return PREFIX + UserColors.safe(color).substring(1);
    }

    /**
     * A stylesheet (a {@code data:} URL) with a rule for each tint class among {@code classes}:
     * a light background in that colour.
     */
    static String stylesheet(Collection<String> classes) {
        StringBuilder css = new StringBuilder();
        Set<String> sorted = new TreeSet<>(classes);
        for (String c : sorted) {
            if (!c.startsWith(PREFIX) || !UserColors.isValid("#" + c.substring(PREFIX.length()))) continue;
            String hex = c.substring(PREFIX.length());
            int r = Integer.parseInt(hex.substring(0, 2), 16);
            int g = Integer.parseInt(hex.substring(2, 4), 16);
            int b = Integer.parseInt(hex.substring(4, 6), 16);
            css.append(".text.").append(c).append(" { -rtfx-background-color: rgba(")
                    .append(r).append(',').append(g).append(',').append(b).append(",0.28); }\n");
        }
        return "data:text/css;base64," + Base64.getEncoder().encodeToString(css.toString().getBytes(StandardCharsets.UTF_8));
    }

    /** Builds tints from ranges added in order (empty or overlapping ranges are dropped). */
    static final class Builder {
        private final List<int[]> ranges = new ArrayList<>();
        private final List<String> names = new ArrayList<>();
        private int lastEnd;

        Builder add(int start, int end, String styleClass) {
            if (end <= start || start < lastEnd) return this;
            // Adjacent ranges of one class join: fewer spans to style.
            int n = ranges.size();
            if (n > 0 && ranges.get(n - 1)[1] == start && names.get(n - 1).equals(styleClass)) {
                ranges.get(n - 1)[1] = end;
            } else {
                ranges.add(new int[] {start, end});
                names.add(styleClass);
            }
            lastEnd = end;
            return this;
        }

        Tints build() {
            int n = ranges.size();
            int[] s = new int[n];
            int[] e = new int[n];
            for (int i = 0; i < n; i++) {
                s[i] = ranges.get(i)[0];
                e[i] = ranges.get(i)[1];
            }
            return new Tints(s, e, names.toArray(new String[0]));
        }
    }

    /**
     * The range {@code [first, last)} that holds every position where {@code a} and {@code b}
     * give a different class (or one gives none), or null when they give the same everywhere.
     */
    static int[] differing(Tints a, Tints b) {
        int i = 0, j = 0, pos = 0, first = -1, last = -1;
        int end = Math.max(a.size() == 0 ? 0 : a.ends[a.size() - 1], b.size() == 0 ? 0 : b.ends[b.size() - 1]);
        while (pos < end) {
            while (i < a.size() && a.ends[i] <= pos) i++;
            while (j < b.size() && b.ends[j] <= pos) j++;
            boolean inA = i < a.size() && a.starts[i] <= pos;
            boolean inB = j < b.size() && b.starts[j] <= pos;
            int nextA = i >= a.size() ? Integer.MAX_VALUE : inA ? a.ends[i] : a.starts[i];
            int nextB = j >= b.size() ? Integer.MAX_VALUE : inB ? b.ends[j] : b.starts[j];
            int next = Math.min(nextA, nextB);
            if (inA != inB || (inA && !a.classes[i].equals(b.classes[j]))) {
                if (first < 0) first = pos;
                last = next;
            }
            pos = next;
        }
        return first < 0 ? null : new int[] {first, last};
    }

    /** Every class these tints use. */
    Set<String> classesUsed() {
        return new TreeSet<>(Arrays.asList(classes));
    }

    /** {@code base} (the styles of {@code from .. to-1}) with these tints' classes added where they lie. */
    StyleSpans<Collection<String>> over(StyleSpans<Collection<String>> base, int from, int to) {
        if (isEmpty() || from >= to) return base;
        StyleSpansBuilder<Collection<String>> b = new StyleSpansBuilder<>();
        int at = from;
        int i = firstEndingAfter(from);
        while (at < to) {
            if (i >= starts.length || starts[i] >= to) {
                b.add(List.of(), to - at);
                break;
            }
            if (starts[i] > at) {
                b.add(List.of(), starts[i] - at);
                at = starts[i];
            }
            int stop = Math.min(to, ends[i]);
            b.add(List.of(classes[i]), stop - at);
            at = stop;
            i++;
        }
        return base.overlay(b.create(), (classesThere, tint) -> {
            if (tint.isEmpty()) return classesThere;
            List<String> with = new ArrayList<>(classesThere);
            with.addAll(tint);
            return with;
        });
    }

    private int firstEndingAfter(int pos) {
        int lo = 0, hi = starts.length;
        while (lo < hi) {
            int mid = (lo + hi) >>> 1;
            if (ends[mid] <= pos) lo = mid + 1;
            else hi = mid;
        }
        return lo;
    }

    /**
     * These tints after the text changed: at {@code pos}, {@code removed} units replaced by
     * {@code inserted}. Ranges after the change move, a range the change cuts shrinks, and the
     * inserted text is untinted until the tints are computed again.
     */
    Tints shifted(int pos, int removed, int inserted) {
        if (starts.length == 0) return this;
        int delta = inserted - removed;
        Builder b = new Builder();
        for (int i = 0; i < starts.length; i++) {
            int a = starts[i], z = ends[i];
            if (z <= pos) {
                b.add(a, z, classes[i]);
            } else if (a >= pos + removed) {
                b.add(a + delta, z + delta, classes[i]);
            } else {
                // Cut by the change: what is left before it, and what is left after it.
                if (a < pos) b.add(a, pos, classes[i]);
                if (z > pos + removed) b.add(pos + inserted, z + delta, classes[i]);
            }
        }
        return b.build();
    }
}
