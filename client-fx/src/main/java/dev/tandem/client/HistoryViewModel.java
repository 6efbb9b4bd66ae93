package dev.tandem.client;

import dev.tandem.crdt.Diff;
import dev.tandem.crdt.Doc;
import dev.tandem.crdt.EditSession;
import dev.tandem.crdt.Version;
import dev.tandem.sync.NamedVersion;
import javafx.collections.FXCollections;
import javafx.collections.ObservableList;
import org.fxmisc.richtext.model.ReadOnlyStyledDocumentBuilder;
import org.fxmisc.richtext.model.SegmentOps;
import org.fxmisc.richtext.model.StyleSpansBuilder;
import org.fxmisc.richtext.model.StyledDocument;

import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * The history panel's model: the room's edit sessions, grouped by person and time gap, newest
 * first, with the named versions among them; and the read-only view of the text as it was at
 * one of them, what changed since the entry before it marked.
 *
 * <p>Everything is read off a replica ({@link Doc#sessions}, {@link Doc#runsAt},
 * {@link Doc#diff}): nothing is replayed. The entries ({@code sessions}, a couple of milliseconds
 * for a 100,000-character document) are read off the UI replica on the FX thread; a past version
 * ({@link #past}) and the authors' tints ({@link #authorship}) take tens of milliseconds there
 * (docs/benchmarks.md, "History"), so the panel computes them on the session replica, on the
 * sync client's thread ({@link HistoryPanel.Reader}).
 *
 * <p>Threading: the entries are FX thread only; the static functions run on the thread that
 * owns the {@code Doc} and {@link AuthorNames} they are given.
 */
final class HistoryViewModel {
    /** Edits closer together than this are one entry. */
    static final Duration GAP = Duration.ofMinutes(5);
    static final String DELETED = "history-deleted";

    /**
     * One row of the panel. {@code previous} is the version of the entry before it (older), for
     * what changed; {@code label} is the version's name for a named version, null for a session.
     */
    record Entry(String person, String name, String color, Instant start, Instant end, long inserted, long deleted,
                 Version version, Version previous, String label) {
        boolean named() {
            return label != null;
        }

        /** A stable key: the same entry after a refresh, even while its session grows. */
        String key() {
            return named() ? "named:" + label + ":" + end : "session:" + person + ":" + start;
        }

        /** "+12 −3" */
        String changes() {
            return "+" + inserted + " \u2212" + deleted;
        }
    }

    private final ObservableList<Entry> entries = FXCollections.observableArrayList();
    private final ObservableList<Entry> readOnly = FXCollections.unmodifiableObservableList(entries);
    private List<NamedVersion> named = List.of();

    ObservableList<Entry> entries() {
        return readOnly;
    }

    void setNamed(List<NamedVersion> named) {
        this.named = List.copyOf(named);
    }

    List<NamedVersion> named() {
        return named;
    }

    /** Recomputes the entries from {@code doc} (FX thread). */
    void refresh(Doc doc, AuthorNames names) {
        List<Entry> next = entries(doc, names, named);
        if (!next.equals(entries)) entries.setAll(next);
    }

    static List<Entry> entries(Doc doc, AuthorNames names, List<NamedVersion> named) {
        Version have = doc.version();
        // Newest first; a person's sessions one after the other (no one else's in between, no
        // pause longer than the gap) join: their replicas from several windows or restarts too.
        List<Entry> grouped = new ArrayList<>();
        for (EditSession s : doc.sessions(GAP)) {
            String person = names.person(s.replica());
            Entry last = grouped.isEmpty() ? null : grouped.get(grouped.size() - 1);
            if (last != null && last.person().equals(person)
                    && Duration.between(s.end(), last.start()).compareTo(GAP) <= 0) {
                Instant start = s.start().isBefore(last.start()) ? s.start() : last.start();
                grouped.set(grouped.size() - 1, new Entry(person, last.name(), last.color(), start, last.end(),
                        last.inserted() + s.inserted(), last.deleted() + s.deleted(), last.version().union(s.version()), null, null));
            } else {
                grouped.add(new Entry(person, names.name(s.replica()), names.color(s.replica()), s.start(), s.end(),
                        s.inserted(), s.deleted(), s.version(), null, null));
            }
        }
        List<Entry> all = new ArrayList<>(grouped);
        for (NamedVersion n : named) {
            if (!have.covers(n.version())) continue; // named on text this replica has not received yet
            all.add(new Entry("named", DisplayNames.clean(n.by()), UserColors.FALLBACK, n.at(), n.at(), 0, 0, n.version(), null, n.name()));
        }
        all.sort(Comparator.comparing(Entry::end).reversed());
        // Each entry's "previous": the version of the next older one it follows.
        List<Entry> out = new ArrayList<>(all.size());
        for (int i = 0; i < all.size(); i++) {
            Entry e = all.get(i);
            Version previous = Version.EMPTY;
            for (int j = i + 1; j < all.size(); j++) {
                if (e.version().covers(all.get(j).version())) {
                    previous = all.get(j).version();
                    break;
                }
            }
            out.add(new Entry(e.person(), e.name(), e.color(), e.start(), e.end(), e.inserted(), e.deleted(), e.version(), previous, e.label()));
        }
        return out;
    }

    // ---------------------------------------------------------------- the past, shown

    /**
     * The text at {@code entry.version()} as the read-only view shows it: formatted as then, the
     * text inserted since {@code entry.previous()} tinted in its author's colour, and the text
     * deleted since then put back in place, struck through. Also the tint classes it uses.
     */
    record Past(StyledDocument<Collection<String>, String, Collection<String>> document, Set<String> tintClasses,
                int inserted, int deleted, int firstChange) {}

    static Past past(Doc doc, Entry entry, AuthorNames names) {
        Version to = entry.version();
        List<Doc.TextRun> runs = doc.runsAt(to);
        List<Map<String, String>> paragraphs = doc.paragraphsAt(to);
        List<Diff> diffs = doc.diff(entry.previous(), to);
        ViewBuilder b = new ViewBuilder(runs, paragraphs);
        int pos = 0;
        int inserted = 0;
        int deleted = 0;
        int firstChange = -1;
        for (Diff d : diffs) {
            if (d.index() > pos) b.later(pos, d.index(), null);
            pos = d.index();
            if (firstChange < 0) firstChange = b.length();
            if (d.kind() == Diff.Kind.DELETED) {
                b.deleted(d.text());
                deleted += d.text().length();
            } else {
                String tint = Tints.classFor(names.color(d.replica()));
                b.later(pos, pos + d.text().length(), tint);
                pos += d.text().length();
                inserted += d.text().length();
            }
        }
        b.later(pos, b.laterLength, null);
        return new Past(b.build(), b.tints, inserted, deleted, Math.max(0, firstChange));
    }

    /**
     * Builds the view paragraph by paragraph: pieces of the text then (with their marks, maybe a
     * tint) and deleted pieces (struck through), in order.
     */
    private static final class ViewBuilder {
        private final ReadOnlyStyledDocumentBuilder<Collection<String>, String, Collection<String>> doc =
                new ReadOnlyStyledDocumentBuilder<>(SegmentOps.styledTextOps(), List.of());
        private final List<Doc.TextRun> runs;
        private final List<Map<String, String>> paragraphs;
        final int laterLength;
        final Set<String> tints = new LinkedHashSet<>();
        private int run;          // runs[run] holds the later text at runStart
        private int runStart;
        private int paragraph;    // index in paragraphs of the later text's current paragraph
        private final StringBuilder text = new StringBuilder();
        private StyleSpansBuilder<Collection<String>> spans = new StyleSpansBuilder<>();
        private boolean anySpan;
        private int length;       // of the view so far

        ViewBuilder(List<Doc.TextRun> runs, List<Map<String, String>> paragraphs) {
            this.runs = runs;
            this.paragraphs = paragraphs;
            int n = 0;
            for (Doc.TextRun r : runs) n += r.text().length();
            laterLength = n;
        }

        int length() {
            return length;
        }

        /** The later text {@code from .. to-1} (positions in it), with {@code tint} (null: none). */
        void later(int from, int to, String tint) {
            if (tint != null) tints.add(tint);
            int at = from;
            while (at < to) {
                while (runStart + runs.get(run).text().length() <= at) {
                    runStart += runs.get(run).text().length();
                    run++;
                }
                Doc.TextRun r = runs.get(run);
                int stop = Math.min(to, runStart + r.text().length());
                List<String> classes = TextStyles.textClasses(r.marks());
                if (tint != null) {
                    classes = new ArrayList<>(classes);
                    classes.add(tint);
                }
                append(EditorBinding.forDisplay(r.text().substring(at - runStart, stop - runStart)), classes, true);
                at = stop;
            }
        }

        void deleted(String removed) {
            append(EditorBinding.forDisplay(removed), List.of(DELETED), false);
        }

        private void append(String piece, List<String> classes, boolean later) {
            int start = 0;
            while (true) {
                int nl = piece.indexOf('\n', start);
                int end = nl < 0 ? piece.length() : nl;
                if (end > start) {
                    text.append(piece, start, end);
                    spans.add(classes, end - start);
                    anySpan = true;
                }
                if (nl < 0) break;
                endParagraph();
                // A deleted line break splits the view but not the paragraphs of the text then.
                if (later) paragraph++;
                start = nl + 1;
            }
            length += piece.length();
        }

        private void endParagraph() {
            if (!anySpan) spans.add(List.of(), 0);
            Map<String, String> attrs = paragraph < paragraphs.size() ? paragraphs.get(paragraph) : Map.of();
            doc.addParagraph(text.toString(), spans.create(), TextStyles.paragraphClasses(attrs));
            text.setLength(0);
            spans = new StyleSpansBuilder<>();
            anySpan = false;
        }

        StyledDocument<Collection<String>, String, Collection<String>> build() {
            endParagraph();
            return doc.build();
        }
    }

    // ---------------------------------------------------------------- show authors

    /** Who wrote each stretch of the text now, as tints; and the people, in order of first appearance. */
    record Authorship(Tints tints, List<Person> people) {}

    record Person(String name, String color) {}

    /** Who wrote the text at {@code at} (a version {@code doc} covers: positions are in that text). */
    static Authorship authorship(Doc doc, Version at, AuthorNames names) {
        Tints.Builder b = new Tints.Builder();
        Map<String, Person> people = new java.util.LinkedHashMap<>();
        for (Diff d : doc.diff(Version.EMPTY, at)) {
            if (d.kind() != Diff.Kind.INSERTED) continue;
            String color = names.color(d.replica());
            b.add(d.index(), d.index() + d.text().length(), Tints.classFor(color));
            people.putIfAbsent(names.person(d.replica()), new Person(names.name(d.replica()), color));
        }
        return new Authorship(b.build(), List.copyOf(people.values()));
    }

    // ---------------------------------------------------------------- times

    private static final DateTimeFormatter DAY_TIME = DateTimeFormatter.ofPattern("d MMM HH:mm", Locale.ROOT);
    private static final DateTimeFormatter FULL = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm", Locale.ROOT);

    /** "just now", "5 min ago", "3 h ago", else the day and time; "earlier" when not known. */
    static String relative(Instant when, Instant now, ZoneId zone) {
        if (when.equals(Instant.EPOCH)) return "earlier";
        Duration ago = Duration.between(when, now);
        if (ago.toSeconds() < 60) return "just now";
        if (ago.toMinutes() < 60) return ago.toMinutes() + " min ago";
        if (ago.toHours() < 12) return ago.toHours() + " h ago";
        return DAY_TIME.format(when.atZone(zone));
    }

    /** The absolute time, for a tooltip. */
    static String absolute(Instant when, ZoneId zone) {
        return when.equals(Instant.EPOCH) ? "time not recorded" : FULL.format(when.atZone(zone));
    }
}
