package dev.tandem.crdt;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;

import static dev.tandem.crdt.Formats.BLOCK;
import static dev.tandem.crdt.Formats.BOLD;
import static dev.tandem.crdt.Formats.INDENT;
import static dev.tandem.crdt.Formats.ITALIC;
import static dev.tandem.crdt.Formats.LINK;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Marks and paragraph attributes: the examples of the Peritext paper, then random replicas. */
class MarksTest {

    /** The runs of the whole text as "text{key=value,...}" pieces, for short assertions. */
    static String show(Doc d) {
        return show(d.runs(0, d.length()));
    }

    static String show(List<Doc.TextRun> runs) {
        StringBuilder b = new StringBuilder();
        for (Doc.TextRun r : runs) {
            b.append(r.text());
            if (!r.marks().isEmpty()) b.append(r.marks());
            b.append('|');
        }
        return b.toString();
    }

    static void exchange(Doc a, Doc b) {
        Update toB = a.updatesSince(b.version());
        Update toA = b.updatesSince(a.version());
        b.apply(toB);
        a.apply(toA);
    }

    private static Doc[] pair(String text) {
        Doc a = new Doc(1);
        Doc b = new Doc(2);
        b.apply(a.insert(0, text));
        return new Doc[] {a, b};
    }

    @Test
    void concurrentBoldAndItalicOverOverlappingRanges() {
        // Peritext, figure 1: "The fox jumped." bold "The fox" on one side, italic "fox jumped" on the other.
        Doc[] d = pair("The fox jumped.");
        d[0].mark(0, 7, BOLD, "true");
        d[1].mark(4, 14, ITALIC, "true");
        exchange(d[0], d[1]);
        String expected = "The {bold=true}|fox{bold=true, italic=true}| jumped{italic=true}|.|";
        assertEquals(expected, show(d[0]));
        assertEquals(expected, show(d[1]));
    }

    @Test
    void boldAndConcurrentUnboldResolveByLastWriterEverywhere() {
        Doc[] d = pair("The fox jumped.");
        d[0].mark(0, 15, BOLD, "true");
        d[1].mark(4, 7, BOLD, null);
        exchange(d[0], d[1]);
        assertEquals(show(d[0]), show(d[1]));
        // Equal Lamport times: the higher replica id (2, the unbold) wins where both apply.
        assertEquals("The {bold=true}|fox| jumped.{bold=true}|", show(d[0]));

        // Unbold after seeing the bold: it wins whatever the replica ids.
        Doc[] e = pair("The fox jumped.");
        e[1].apply(e[0].mark(0, 15, BOLD, "true"));
        Doc c = new Doc(0);
        c.apply(e[1].updatesSince(Version.EMPTY));
        e[0].apply(c.mark(4, 7, BOLD, null)); // replica 0 < 1, but it saw the bold
        assertEquals("The {bold=true}|fox| jumped.{bold=true}|", show(e[0]));
    }

    @Test
    void boldGrowsWhenTypingAtItsEndNotAtItsStart() {
        Doc[] d = pair("a fox b");
        d[1].apply(d[0].mark(2, 5, BOLD, "true"));
        d[1].apply(d[0].insert(5, "es")); // at the end: grows
        d[1].apply(d[0].insert(2, "the ")); // at the start: does not
        assertEquals("a the |foxes{bold=true}| b|", show(d[0]));
        assertEquals(show(d[0]), show(d[1]));
        // At the end of the document a growing mark grows too.
        Doc e = new Doc(3);
        e.insert(0, "end");
        e.mark(0, 3, BOLD, "true");
        e.insert(3, "ing");
        assertEquals("ending{bold=true}|", show(e));
    }

    @Test
    void aLinkGrowsAtNeitherEnd() {
        Doc[] d = pair("see fox now");
        d[1].apply(d[0].mark(4, 7, LINK, "https://example.org/fox"));
        d[0].apply(d[1].insert(7, "es"));
        d[0].apply(d[1].insert(4, "the "));
        assertEquals("see the |fox{link=https://example.org/fox}|es now|", show(d[0]));
        assertEquals(show(d[0]), show(d[1]));
    }

    @Test
    void textTypedWhereMarkedTextWasDeletedIsNotMarked() {
        // Peritext issue #32: bold "fox", delete it, type there: the new text is plain.
        Doc[] d = pair("a fox b");
        d[1].apply(d[0].mark(2, 5, BOLD, "true"));
        d[1].apply(d[0].delete(2, 3));
        d[1].apply(d[0].insert(2, "cat"));
        assertEquals("a cat b|", show(d[0]));
        assertEquals(show(d[0]), show(d[1]));
        // Also when the mark reached the end of the document.
        Doc e = new Doc(5);
        e.insert(0, "x bold");
        e.mark(2, 6, BOLD, "true");
        e.delete(2, 4);
        e.insert(2, "plain");
        assertEquals("x plain|", show(e));
    }

    @Test
    void textTypedAtTheEndOfBoldStaysBoldWhenTheNextCharacterWasDeleted() {
        Doc d = new Doc(1);
        d.insert(0, "bold next");
        d.mark(0, 4, BOLD, "true");
        d.delete(4, 1); // the space the mark's end holds on to
        d.insert(4, "er");
        assertEquals("bolder{bold=true}|next|", show(d));
    }

    @Test
    void commentsAreOnePerIdAndOverlap() {
        Doc[] d = pair("one two three");
        d[0].mark(0, 7, "comment:a", "first");
        d[1].mark(4, 13, "comment:b", "second");
        exchange(d[0], d[1]);
        assertEquals("one {comment:a=first}|two{comment:a=first, comment:b=second}| three{comment:b=second}|", show(d[0]));
        assertEquals(show(d[0]), show(d[1]));
        d[1].apply(d[0].mark(0, 13, "comment:a", null)); // resolving comment a
        assertEquals("one |two three{comment:b=second}|", show(d[1]));
    }

    @Test
    void paragraphAttributesLiveOnTheLineBreakAndConverge() {
        Doc[] d = pair("Title\nbody text\nlast");
        d[0].setParagraph(2, BLOCK, "h1");
        d[1].setParagraph(3, BLOCK, "bullet");
        d[1].setParagraph(8, BLOCK, "quote");
        d[0].setParagraph(18, BLOCK, "code");
        d[0].setParagraph(18, INDENT, "2");
        exchange(d[0], d[1]);
        for (Doc x : d) {
            assertEquals(Map.of(BLOCK, "bullet"), x.paragraph(0), "equal times: replica 2 wins");
            assertEquals(Map.of(BLOCK, "quote"), x.paragraph(6));
            assertEquals(Map.of(BLOCK, "code", INDENT, "2"), x.paragraph(16));
        }
        // Deleting a line break joins two paragraphs: the joined one keeps the second's attributes.
        d[1].apply(d[0].delete(5, 1));
        assertEquals(Map.of(BLOCK, "quote"), d[1].paragraph(0));
        d[1].apply(d[0].setParagraph(0, BLOCK, null));
        assertEquals(Map.of(), d[1].paragraph(2));
    }

    @Test
    void applyReportsWhichRangesChangedFormat() {
        Doc[] d = pair("0123456789");
        List<Change> changes = d[1].apply(d[0].mark(2, 5, BOLD, "true"));
        assertEquals(List.of(Change.restyle(2, 3)), changes);
        changes = d[1].apply(d[0].mark(6, 9, LINK, "u"));
        assertEquals(List.of(Change.restyle(6, 3)), changes);
        d[0].insert(10, "\nnext");
        changes = d[1].apply(Update.merge(List.of(d[0].updatesSince(d[1].version()), d[0].setParagraph(12, BLOCK, "h2"))));
        assertEquals(List.of(new Change(10, 0, "\nnext"), Change.restyle(11, 4)), changes);
    }

    @Test
    void marksWaitForTheirCharactersAndApplyOnce() {
        Doc a = new Doc(1);
        Doc b = new Doc(2);
        Update text = a.insert(0, "hello");
        Update bold = a.mark(0, 5, BOLD, "true");
        assertTrue(b.apply(bold).isEmpty());
        assertEquals(1, b.heldRuns());
        assertTrue(b.hasPending());
        b.apply(text);
        assertEquals(0, b.heldRuns());
        b.apply(bold);
        assertEquals("hello{bold=true}|", show(b));
        assertEquals(a.version(), b.version());
        // A deletion made after the mark waits for the mark (one numbering for both).
        Update del = a.delete(0, 1);
        Doc c = new Doc(3);
        c.apply(text);
        c.apply(del);
        assertEquals("hello", c.text());
        c.apply(bold);
        assertEquals("ello{bold=true}|", show(c));
    }

    @Test
    void badFormattingIsRefused() {
        Doc d = new Doc(1);
        d.insert(0, "text");
        assertThrows(IllegalArgumentException.class, () -> d.mark(0, 2, "blink", "true"));
        assertThrows(IllegalArgumentException.class, () -> d.mark(0, 2, BOLD, "yes"));
        assertThrows(IllegalArgumentException.class, () -> d.mark(0, 2, BLOCK, "h1"));
        assertThrows(IllegalArgumentException.class, () -> d.setParagraph(0, BLOCK, "h9"));
        assertThrows(IllegalArgumentException.class, () -> d.mark(0, 2, "comment:bad id", "x"));
        assertThrows(IndexOutOfBoundsException.class, () -> d.mark(0, 9, BOLD, "true"));
        Doc e = new Doc(2);
        e.insert(0, "a\uD83D\uDE00b");
        assertThrows(IllegalArgumentException.class, () -> e.mark(2, 3, BOLD, "true"));

        Doc f = new Doc(3);
        FormatOp forged = new FormatOp(9, 0, 1, "blink", "true", 0, -1, false, 0, -1, false);
        assertThrows(CrdtFormatException.class, () -> f.apply(Update.ofFormat(forged)));
        FormatOp old = new FormatOp(9, 0, 0, BOLD, "true", 0, -1, false, 0, -1, false);
        assertThrows(CrdtFormatException.class, () -> f.apply(Update.ofFormat(old)));
        List<Update> flood = new ArrayList<>();
        for (int i = 0; i < Formatting.MAX_PENDING + 1; i++) flood.add(Update.ofFormat(new FormatOp(9, i + 1, 1, BOLD, "true", 0, -1, false, 0, -1, false)));
        assertThrows(CrdtFormatException.class, () -> f.apply(Update.merge(flood)));
        assertEquals(0, f.heldRuns(), "a refused update changes nothing");
    }

    @Test
    void manyMarksInOneUpdateApplyWhenTheyCanAndAreNotCountedAsWaiting() {
        Doc a = new Doc(1);
        a.insert(0, "x".repeat(1000));
        for (int i = 0; i < Formatting.MAX_PENDING + 2000; i++) a.mark(i % 990, i % 990 + 10, BOLD, i % 2 == 0 ? "true" : null);
        Doc b = new Doc(2);
        b.apply(Update.decode(a.updatesSince(Version.EMPTY).encode()));
        assertEquals(show(a), show(b));
        assertEquals(0, b.heldRuns());
    }

    // ---------------------------------------------------------------- random replicas

    private static final String[] KEYS = {BOLD, ITALIC, LINK, "comment:x", "comment:y", Formats.CODE};

    static Update randomFormatting(Random rnd, Doc d) {
        int len = d.length();
        if (rnd.nextInt(4) == 0) {
            String key = rnd.nextBoolean() ? BLOCK : INDENT;
            String value = rnd.nextInt(4) == 0 ? null : key.equals(BLOCK) ? new String[] {"h1", "bullet", "quote"}[rnd.nextInt(3)] : "" + (1 + rnd.nextInt(3));
            return d.setParagraph(rnd.nextInt(len + 1), key, value);
        }
        if (len == 0) return Update.empty();
        int from = rnd.nextInt(len);
        int to = from + 1 + rnd.nextInt(Math.min(len - from, 12));
        String key = KEYS[rnd.nextInt(KEYS.length)];
        String value = rnd.nextInt(4) == 0 ? null : key.equals(LINK) ? "u" + rnd.nextInt(3) : key.startsWith("comment:") ? "c" + rnd.nextInt(3) : "true";
        return d.mark(from, to, key, value);
    }

    static Update randomEdit(Random rnd, Doc d) {
        int len = d.length();
        int action = rnd.nextInt(10);
        if (action < 3) return randomFormatting(rnd, d);
        if (action < 5 && len > 0) {
            int pos = rnd.nextInt(len);
            return d.delete(pos, 1 + rnd.nextInt(Math.min(len - pos, 6)));
        }
        String[] snippets = {"a", "bc", "\n", "word ", "x\ny"};
        return d.insert(rnd.nextInt(len + 1), snippets[rnd.nextInt(snippets.length)]);
    }

    private static long[] seeds(int count) {
        String fixed = System.getProperty("tandem.seed");
        if (fixed != null) return new long[] {Long.parseLong(fixed)};
        long base = System.nanoTime();
        long[] seeds = new long[count];
        for (int i = 0; i < count; i++) seeds[i] = base + i;
        return seeds;
    }

    @Test
    void replicasFormattingAtRandomConvergeAndMatchTheNaiveReading() {
        long[] seeds = seeds(80);
        System.out.println("MarksTest.replicasFormattingAtRandomConvergeAndMatchTheNaiveReading: seeds " + seeds[0] + ".." + seeds[seeds.length - 1]);
        for (long seed : seeds) {
            try {
                runRandom(seed);
            } catch (Throwable t) {
                throw new AssertionError("seed=" + seed + " (rerun: -Dtest=MarksTest -Dtandem.seed=" + seed + "): " + t, t);
            }
        }
    }

    private static void runRandom(long seed) {
        Random rnd = new Random(seed);
        int n = 5 + rnd.nextInt(2);
        Doc[] docs = new Doc[n];
        for (int i = 0; i < n; i++) docs[i] = i == 0 ? new Doc(i + 1) : new Doc(i + 1, 4, 4);
        List<List<Update>> inbox = new ArrayList<>();
        for (int i = 0; i < n; i++) inbox.add(new ArrayList<>());
        List<Update> all = new ArrayList<>();
        // Replica 0 as it was at some points: its version, runs and paragraphs then.
        List<Version> versions = new ArrayList<>();
        List<String> runsThen = new ArrayList<>();
        List<List<Map<String, String>>> parasThen = new ArrayList<>();
        for (int step = 0; step < 250; step++) {
            int r = rnd.nextInt(n);
            if (rnd.nextInt(15) == 0) {
                versions.add(docs[0].version());
                runsThen.add(show(docs[0]));
                parasThen.add(paragraphs(docs[0]));
            }
            if (rnd.nextInt(3) > 0) {
                Update u = randomEdit(rnd, docs[r]);
                if (u.isEmpty()) continue;
                if (rnd.nextBoolean()) u = Update.decode(u.encode()); // as on the wire
                all.add(u);
                for (int to = 0; to < n; to++) {
                    if (to == r) continue;
                    inbox.get(to).add(u);
                    if (rnd.nextInt(8) == 0) inbox.get(to).add(u); // duplicated
                }
            } else {
                List<Update> box = inbox.get(r);
                for (int k = rnd.nextInt(box.size() + 1); k > 0 && !box.isEmpty(); k--) docs[r].apply(box.remove(rnd.nextInt(box.size())));
            }
        }
        Update everything = Update.merge(all);
        for (Doc d : docs) d.apply(everything);
        String text = docs[0].text();
        String runs = show(docs[0]);
        for (int i = 0; i < n; i++) {
            assertEquals(text, docs[i].text(), "text of replica " + i);
            assertEquals(docs[0].version(), docs[i].version(), "version of replica " + i);
            assertEquals(runs, show(docs[i]), "runs of replica " + i);
            assertEquals(paragraphs(docs[0]), paragraphs(docs[i]), "paragraphs of replica " + i);
            assertEquals(0, docs[i].heldRuns());
            assertEquals(naive(docs[i]), runsAsList(docs[i]), "naive reading of replica " + i);
            // A piece of the text reads the same as that piece of the whole.
            int len = docs[i].length();
            if (len > 2) {
                int from = rnd.nextInt(len - 1);
                int to = from + 1 + rnd.nextInt(len - from - 1);
                assertEquals(naive(docs[i]).subList(from, to), runsAsList(docs[i], from, to), "runs of " + from + ".." + to);
            }
        }
        // History: the formatting at each version as it was then, read off any replica now.
        for (int k = 0; k < versions.size(); k++) {
            for (Doc d : new Doc[] {docs[0], docs[n - 1]}) {
                assertEquals(runsThen.get(k), show(d.runsAt(versions.get(k))), "runs at version " + k);
                assertEquals(parasThen.get(k), d.paragraphsAt(versions.get(k)), "paragraphs at version " + k);
            }
        }
        assertEquals(runs, show(docs[1].runsAt(docs[1].version())), "runs at the current version");
        // A saved and reloaded replica has the same formatting, and goes on taking edits.
        Version version = docs[0].version();
        List<Map<String, String>> paras = paragraphs(docs[0]);
        for (int i = 0; i < n; i++) {
            Doc copy = Doc.decode(docs[i].encode(), docs[i].replicaId());
            assertEquals(runs, show(copy), "runs of reloaded replica " + i);
            assertEquals(paras, paragraphs(copy), "paragraphs of reloaded replica " + i);
            assertEquals(version, copy.version(), "version of reloaded replica " + i);
            Update more = randomEdit(rnd, copy);
            docs[i].apply(more);
            assertEquals(show(copy), show(docs[i]), "an edit after reloading replica " + i);
        }
        // Replaying everything a replica holds into a fresh one gives the same formatting.
        Doc fresh = new Doc(99);
        fresh.apply(docs[2].updatesSince(Version.EMPTY));
        assertEquals(show(docs[2]), show(fresh));
        assertEquals(paragraphs(docs[2]), paragraphs(fresh));
    }

    private static List<Map<String, String>> paragraphs(Doc d) {
        List<Map<String, String>> out = new ArrayList<>();
        String t = d.text();
        int start = 0;
        while (true) {
            out.add(d.paragraph(start));
            int nl = t.indexOf('\n', start);
            if (nl < 0) break;
            start = nl + 1;
        }
        return out;
    }

    private static List<Map<String, String>> runsAsList(Doc d) {
        return runsAsList(d, 0, d.length());
    }

    /** The marks of each character of the range, from the runs. */
    private static List<Map<String, String>> runsAsList(Doc d, int from, int to) {
        List<Map<String, String>> out = new ArrayList<>();
        for (Doc.TextRun r : d.runs(from, to)) for (int k = 0; k < r.text().length(); k++) out.add(r.marks());
        return out;
    }

    /**
     * The marks of every visible character computed the slow way: each character against each
     * applied mark, by place in the sequence, the last writer of each key winning.
     */
    private static List<Map<String, String>> naive(Doc d) {
        Formatting f = d.formatting;
        Map<String, Integer> positions = new HashMap<>();
        List<String> ids = d.idSequence();
        for (int i = 0; i < ids.size(); i++) positions.put(ids.get(i).replace("-", ""), i);
        List<Map<String, String>> out = new ArrayList<>();
        for (int i = 0; i < d.length(); i++) {
            Anchor a = d.anchor(i, Bias.RIGHT);
            long charKey = 4L * position(positions, a.replicaId(), a.seq()) + 1;
            Map<String, FormatOp> winners = new HashMap<>();
            for (FormatOp op : f.ops) {
                if (op.isParagraph()) continue;
                long start = op.startSeq() == -1 ? Long.MIN_VALUE : 4L * position(positions, op.startReplica(), op.startSeq()) + (op.startAfter() ? 2 : 0);
                long end = op.endSeq() == -1 ? Long.MAX_VALUE : 4L * position(positions, op.endReplica(), op.endSeq()) + (op.endAfter() ? 2 : 0);
                if (start < charKey && charKey < end) {
                    FormatOp w = winners.get(op.key());
                    if (w == null || op.beats(w)) winners.put(op.key(), op);
                }
            }
            TreeMap<String, String> marks = new TreeMap<>();
            for (FormatOp w : winners.values()) if (w.value() != null) marks.put(w.key(), w.value());
            out.add(marks.isEmpty() ? Map.of() : marks);
        }
        return out;
    }

    private static int position(Map<String, Integer> positions, long replica, int seq) {
        Integer p = positions.get(Long.toHexString(replica) + ":" + seq);
        if (p == null) throw new AssertionError("no character " + Long.toHexString(replica) + ":" + seq);
        return p;
    }
}
