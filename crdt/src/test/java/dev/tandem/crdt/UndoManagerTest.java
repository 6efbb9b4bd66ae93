package dev.tandem.crdt;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

class UndoManagerTest {
    /** A clock the test moves by hand. */
    static final class Clock {
        long now = 1_000_000;
    }

    private final Clock clock = new Clock();

    private UndoManager undoFor(Doc doc) {
        return new UndoManager(doc, 500, 100, () -> clock.now);
    }

    private static void type(UndoManager u, Doc d, int pos, String text) {
        for (int i = 0; i < text.length(); i++) u.insert(pos + i, text.substring(i, i + 1));
    }

    @Test
    void keystrokesWithin500msAreOneStepAndAPauseStartsAnother() {
        Doc d = new Doc(1);
        UndoManager u = undoFor(d);
        type(u, d, 0, "hello");
        clock.now += 499;
        u.insert(5, " ");
        clock.now += 500;
        type(u, d, 6, "world");
        assertEquals(2, u.undoDepth());
        UndoManager.Result r = u.undo().orElseThrow();
        assertEquals("hello ", d.text());
        assertEquals(6, r.caret());
        r = u.undo().orElseThrow();
        assertEquals("", d.text());
        assertEquals(0, r.caret());
        assertTrue(u.undo().isEmpty());
        r = u.redo().orElseThrow();
        assertEquals("hello ", d.text());
        assertEquals(6, r.caret());
        u.redo().orElseThrow();
        assertEquals("hello world", d.text());
        assertTrue(u.redo().isEmpty());
    }

    @Test
    void closeStepEndsAStepAtOnce() {
        Doc d = new Doc(1);
        UndoManager u = undoFor(d);
        type(u, d, 0, "ab");
        u.closeStep();
        type(u, d, 2, "cd");
        u.undo();
        assertEquals("ab", d.text());
    }

    @Test
    void atMostMaxStepsAreKept() {
        Doc d = new Doc(1);
        UndoManager u = new UndoManager(d, 0, 3, () -> clock.now);
        for (int i = 0; i < 5; i++) u.insert(i, "" + i);
        assertEquals(3, u.undoDepth());
        while (u.undo().isPresent()) {
            // all the way back
        }
        assertEquals("01", d.text());
    }

    @Test
    void aLocalEditClearsRedoButARemoteEditDoesNot() {
        Doc a = new Doc(1);
        Doc b = new Doc(2);
        UndoManager u = undoFor(a);
        b.apply(u.insert(0, "abc"));
        u.undo();
        assertTrue(u.canRedo());
        a.apply(b.insert(0, "remote "));
        assertTrue(u.canRedo(), "someone else's edit must not clear my redo");
        u.redo();
        assertEquals("remote abc", a.text());
        u.undo();
        u.insert(0, "x");
        assertFalse(u.canRedo(), "my own new edit clears redo");
    }

    @Test
    void undoingAnInsertKeepsTextOthersTypedInsideIt() {
        Doc a = new Doc(1);
        Doc b = new Doc(2);
        UndoManager u = undoFor(a);
        b.apply(u.insert(0, "hello"));
        a.apply(b.insert(2, "XX"));
        assertEquals("heXXllo", a.text());
        Update undo = u.undo().orElseThrow().update();
        b.apply(undo);
        assertEquals("XX", a.text());
        assertEquals("XX", b.text());
    }

    @Test
    void undoingADeleteRestoresTheTextAtItsPlaceWhileOthersEditAround() {
        Doc a = new Doc(1);
        Doc b = new Doc(2);
        b.apply(a.insert(0, "one two three"));
        UndoManager u = undoFor(b);
        u.select(4, 8);
        a.apply(u.delete(4, 4)); // "one three"
        a.apply(b.insert(0, ">> "));
        b.apply(a.insert(a.length(), " <<"));
        b.apply(a.insert(7, "|")); // right where "two " was: ">> one |three <<"
        assertEquals(">> one |three <<", b.text());
        UndoManager.Result r = u.undo().orElseThrow();
        a.apply(r.update());
        assertEquals(">> one two |three <<", b.text());
        assertEquals(b.text(), a.text());
        assertEquals(7, r.anchor(), "the selection comes back with the text");
        assertEquals(11, r.caret());
    }

    @Test
    void deletionsUndoneInReverseOrderComeBackInOrder() {
        // Backspacing "c" then "b" and undoing both in one step: each restored piece lands
        // right after its own tombstone, so the order survives.
        Doc d = new Doc(1);
        UndoManager u = undoFor(d);
        d.insert(0, "abcd");
        u.delete(2, 1);
        u.delete(1, 1);
        assertEquals("ad", d.text());
        u.undo();
        assertEquals("abcd", d.text());
        UndoManager.Result r = u.redo().orElseThrow();
        assertEquals("ad", d.text());
        assertEquals(1, r.caret());
        u.undo();
        assertEquals("abcd", d.text());
    }

    @Test
    void undoRedoChainsFollowRestoredCopies() {
        Doc d = new Doc(1);
        UndoManager u = new UndoManager(d, 0, 100, () -> clock.now);
        u.insert(0, "abc");
        u.delete(1, 1); // "ac"
        u.undo(); // "abc", b is a copy now
        assertEquals("abc", d.text());
        u.undo(); // takes back the typing, the copy of b included
        assertEquals("", d.text());
        u.redo();
        assertEquals("abc", d.text());
        u.redo();
        assertEquals("ac", d.text());
        for (int round = 0; round < 5; round++) {
            u.undo();
            u.undo();
            assertEquals("", d.text(), "round " + round);
            u.redo();
            u.redo();
            assertEquals("ac", d.text(), "round " + round);
        }
    }

    @Test
    void aStepOthersAlreadyErasedIsSkipped() {
        Doc a = new Doc(1);
        Doc b = new Doc(2);
        UndoManager u = new UndoManager(a, 0, 100, () -> clock.now);
        b.apply(u.insert(0, "mine "));
        b.apply(u.insert(5, "gone"));
        a.apply(b.delete(5, 4));
        u.undo().orElseThrow();
        assertEquals("", a.text(), "the erased step is skipped and the one before it undone");
        assertFalse(u.canUndo());
    }

    @Test
    void stacksSurviveARestartFromTheOfflineCopy() {
        Doc a = new Doc(7);
        UndoManager u = undoFor(a);
        type(u, a, 0, "first");
        clock.now += 1000;
        u.select(0, 5);
        u.delete(0, 5);
        clock.now += 1000;
        type(u, a, 0, "second");
        u.undo();
        byte[] doc = a.encode();
        byte[] stacks = u.encode();

        Doc reopened = Doc.decode(doc, 7);
        UndoManager v = UndoManager.decode(stacks, reopened, 500, 100, () -> clock.now);
        assertEquals(2, v.undoDepth());
        assertEquals(1, v.redoDepth());
        v.redo();
        assertEquals("second", reopened.text());
        v.undo();
        UndoManager.Result r = v.undo().orElseThrow();
        assertEquals("first", reopened.text(), "the deleted text comes back after the reload");
        assertEquals(0, r.anchor());
        assertEquals(5, r.caret());
        v.undo();
        assertEquals("", reopened.text());
    }

    @Test
    void hostileStacksAreRefusedWithOneExceptionType() {
        Doc a = new Doc(7);
        UndoManager u = undoFor(a);
        type(u, a, 0, "some text");
        u.closeStep();
        u.delete(2, 3);
        byte[] good = u.encode();
        Doc other = new Doc(7);
        assertThrows(CrdtFormatException.class, () -> UndoManager.decode(good, other, 500, 100, () -> 0), "stacks that name characters the document lacks");
        assertThrows(CrdtFormatException.class, () -> UndoManager.decode(new byte[] {'T', 'N', 9}, a, 500, 100, () -> 0));
        assertThrows(CrdtFormatException.class, () -> UndoManager.decode(good, a, 500, 1, () -> 0), "more steps than kept");
        for (int cut = 0; cut < good.length; cut++) {
            byte[] truncated = Arrays.copyOf(good, cut);
            assertThrows(CrdtFormatException.class, () -> UndoManager.decode(truncated, a, 500, 100, () -> 0), "cut at " + cut);
        }
        Random rnd = new Random(42);
        for (int i = 0; i < 2000; i++) {
            byte[] bad = good.clone();
            bad[rnd.nextInt(bad.length)] = (byte) rnd.nextInt(256);
            try {
                UndoManager v = UndoManager.decode(bad, a, 500, 100, () -> 0);
                v.encode();
            } catch (CrdtFormatException expected) {
                // refused cleanly
            }
        }
    }


    // ---------------------------------------------------------------- formatting

    @Test
    void undoingAFormatChangeRestoresWhatEachPartHadBefore() {
        Doc a = new Doc(1);
        Doc b = new Doc(2);
        b.apply(a.insert(0, "abcdef"));
        b.apply(a.mark(2, 4, Formats.LINK, "u1"));
        UndoManager u = undoFor(b);
        a.apply(u.mark(0, 6, Formats.LINK, "u2"));
        assertEquals("abcdef{link=u2}|", MarksTest.show(a));
        a.apply(u.undo().orElseThrow().update());
        assertEquals("ab|cd{link=u1}|ef|", MarksTest.show(a));
        assertEquals(MarksTest.show(a), MarksTest.show(b));
        a.apply(u.redo().orElseThrow().update());
        assertEquals("abcdef{link=u2}|", MarksTest.show(a));
        assertEquals(MarksTest.show(a), MarksTest.show(b));
    }

    @Test
    void boldAndParagraphChangesUndoAndRedo() {
        Doc d = new Doc(1);
        UndoManager u = undoFor(d);
        d.insert(0, "Title\nbody");
        u.mark(0, 5, Formats.BOLD, "true");
        u.closeStep();
        u.setParagraph(1, Formats.BLOCK, "h1");
        assertEquals(Map.of(Formats.BLOCK, "h1"), d.paragraph(0));
        u.undo();
        assertEquals(Map.of(), d.paragraph(0));
        assertEquals("Title{bold=true}|\nbody|", MarksTest.show(d));
        u.undo();
        assertEquals("Title\nbody|", MarksTest.show(d));
        u.redo();
        u.redo();
        assertEquals("Title{bold=true}|\nbody|", MarksTest.show(d));
        assertEquals(Map.of(Formats.BLOCK, "h1"), d.paragraph(0));
    }

    @Test
    void undoingADeleteRestoresItsMarksAndParagraphAttributes() {
        Doc a = new Doc(1);
        Doc b = new Doc(2);
        b.apply(a.insert(0, "intro\nHeading\nhello world"));
        b.apply(a.mark(20, 25, Formats.BOLD, "true"));
        b.apply(a.mark(14, 19, Formats.LINK, "https://example.org"));
        b.apply(a.setParagraph(8, Formats.BLOCK, "h2"));
        String before = MarksTest.show(b);
        UndoManager u = undoFor(b);
        a.apply(u.delete(3, 20)); // "intro\nHeading\nhello wo" from "ro" on
        assertEquals("int|ld{bold=true}|", MarksTest.show(a));
        a.apply(u.undo().orElseThrow().update());
        assertEquals(before, MarksTest.show(a));
        assertEquals(before, MarksTest.show(b));
        assertEquals(Map.of(Formats.BLOCK, "h2"), a.paragraph(8));
    }

    @Test
    void formattingStepsSurviveARestart() {
        Doc a = new Doc(7);
        UndoManager u = undoFor(a);
        a.insert(0, "some text\nmore");
        a.mark(0, 4, Formats.ITALIC, "true");
        u.mark(0, 9, Formats.BOLD, "true");
        clock.now += 1000;
        u.setParagraph(0, Formats.BLOCK, "quote");
        clock.now += 1000;
        u.delete(0, 5);
        byte[] stacks = u.encode();
        // Reloaded: the document from the updates it holds, the stacks from their bytes.
        Doc reopened = new Doc(7);
        reopened.apply(a.updatesSince(Version.EMPTY));
        UndoManager v = UndoManager.decode(stacks, reopened, 500, 100, () -> clock.now);
        v.undo();
        assertEquals("some{bold=true, italic=true}| text{bold=true}|\nmore|", MarksTest.show(reopened));
        v.undo();
        assertEquals(Map.of(), reopened.paragraph(0));
        v.undo();
        assertEquals("some{italic=true}| text\nmore|", MarksTest.show(reopened));
    }

    // ---------------------------------------------------------------- randomized

    private static long[] seeds(int count) {
        String fixed = System.getProperty("tandem.seed");
        if (fixed != null) return new long[] {Long.parseLong(fixed)};
        long base = System.nanoTime();
        long[] seeds = new long[count];
        for (int i = 0; i < count; i++) seeds[i] = base + i;
        return seeds;
    }

    /** Replicas with their own undo managers and a network that delays, reorders and duplicates. */
    static final class Net {
        final Random rnd;
        final Doc[] docs;
        final UndoManager[] undo;
        final List<List<Update>> inbox = new ArrayList<>();
        final List<Update> all = new ArrayList<>();
        // Characters replicas other than 0 typed, and those they deleted, as id sets.
        final Set<Long> othersTyped = new HashSet<>();
        final Set<Long> othersDeleted = new HashSet<>();
        final long[] ids;

        Net(Random rnd, int n, long groupMillis, Clock clock) {
            this.rnd = rnd;
            docs = new Doc[n];
            undo = new UndoManager[n];
            ids = new long[n];
            for (int i = 0; i < n; i++) {
                ids[i] = i + 1;
                docs[i] = i == 0 ? new Doc(ids[i]) : new Doc(ids[i], 4, 4);
                undo[i] = new UndoManager(docs[i], groupMillis, 1000, () -> clock.now);
                inbox.add(new ArrayList<>());
            }
        }

        void send(int from, Update u) {
            if (u.isEmpty()) return;
            all.add(u);
            for (int i = 0; i < docs.length; i++) {
                if (i == from) continue;
                inbox.get(i).add(u);
                if (rnd.nextInt(10) == 0) inbox.get(i).add(u); // duplicated
            }
        }

        void deliverSome() {
            for (int i = 0; i < docs.length; i++) {
                List<Update> box = inbox.get(i);
                int n = rnd.nextInt(box.size() + 1);
                for (int k = 0; k < n && !box.isEmpty(); k++) docs[i].apply(box.remove(rnd.nextInt(box.size())));
            }
        }

        void deliverAll() {
            Update everything = Update.merge(all);
            for (int i = 0; i < docs.length; i++) {
                docs[i].apply(everything);
                inbox.get(i).clear();
            }
        }

        /** One random edit of replica {@code i}: type, delete, undo or redo. */
        void edit(int i, boolean allowUndo) {
            Doc d = docs[i];
            UndoManager u = undo[i];
            int choice = rnd.nextInt(10);
            if (allowUndo && choice == 0 && u.canUndo()) {
                u.undo().ifPresent(r -> send(i, r.update()));
            } else if (allowUndo && choice == 1 && u.canRedo()) {
                u.redo().ifPresent(r -> send(i, r.update()));
            } else if (choice == 2 && d.length() > 0) {
                int from = rnd.nextInt(d.length());
                int to = from + 1 + rnd.nextInt(Math.min(6, d.length() - from));
                String[] keys = {Formats.BOLD, Formats.ITALIC, Formats.LINK};
                String key = keys[rnd.nextInt(keys.length)];
                String value = rnd.nextInt(3) == 0 ? null : key.equals(Formats.LINK) ? "u" + rnd.nextInt(3) : "true";
                send(i, i == 0 || rnd.nextBoolean() ? u.mark(from, to, key, value) : d.mark(from, to, key, value));
            } else if (choice == 3) {
                String value = rnd.nextInt(3) == 0 ? null : "h" + (1 + rnd.nextInt(3));
                int pos = rnd.nextInt(d.length() + 1);
                send(i, i == 0 || rnd.nextBoolean() ? u.setParagraph(pos, Formats.BLOCK, value) : d.setParagraph(pos, Formats.BLOCK, value));
            } else if (choice < 6 && d.length() > 0) {
                int pos = rnd.nextInt(d.length());
                int len = 1 + rnd.nextInt(Math.min(5, d.length() - pos));
                if (i != 0) for (long[] run : d.idRuns(pos, len)) for (int k = 0; k < run[2]; k++) othersDeleted.add(key(run[0], (int) run[1] + k));
                send(i, i == 0 || rnd.nextBoolean() ? u.delete(pos, len) : d.delete(pos, len));
            } else {
                int pos = rnd.nextInt(d.length() + 1);
                String text = "abcdefgh".substring(0, 1 + rnd.nextInt(3));
                Update up = i == 0 || rnd.nextBoolean() ? u.insert(pos, text) : d.insert(pos, text);
                if (i != 0) {
                    Anchor first = d.anchor(pos, Bias.RIGHT);
                    for (int k = 0; k < text.length(); k++) othersTyped.add(key(first.replicaId(), first.seq() + k));
                }
                send(i, up);
            }
        }
    }

    static long key(long replica, int seq) {
        return replica * 1_000_003L + seq;
    }

    @Test
    void replicasUndoingAndRedoingConverge() {
        long[] seeds = seeds(60);
        System.out.println("UndoManagerTest.replicasUndoingAndRedoingConverge: seeds " + seeds[0] + ".." + seeds[seeds.length - 1]);
        for (long seed : seeds) {
            Random rnd = new Random(seed);
            int n = 5 + rnd.nextInt(2);
            Net net = new Net(rnd, n, rnd.nextInt(3) * 300L, clock);
            try {
                for (int step = 0; step < 300; step++) {
                    clock.now += rnd.nextInt(400);
                    net.edit(rnd.nextInt(n), true);
                    if (rnd.nextInt(4) == 0) net.deliverSome();
                }
                net.deliverAll();
                for (int i = 1; i < n; i++) {
                    assertEquals(net.docs[0].text(), net.docs[i].text(), "replica " + i);
                    assertEquals(net.docs[0].version(), net.docs[i].version(), "replica " + i);
                    assertEquals(MarksTest.show(net.docs[0]), MarksTest.show(net.docs[i]), "formatting of replica " + i);
                }
                Doc copy = Doc.decode(net.docs[0].encode());
                assertEquals(net.docs[0].text(), copy.text());
            } catch (Throwable t) {
                throw new AssertionError("seed=" + seed + " (rerun: -Dtest=UndoManagerTest#replicasUndoingAndRedoingConverge -Dtandem.seed=" + seed + "): " + t, t);
            }
        }
    }

    /**
     * Replica 0 edits among others, then undoes every step while the others keep typing: what
     * is left is exactly the others' text, and undoing then redoing everything gives back the
     * text exactly.
     */
    @Test
    void undoingEverythingLeavesExactlyTheOthersText() {
        long[] seeds = seeds(60);
        System.out.println("UndoManagerTest.undoingEverythingLeavesExactlyTheOthersText: seeds " + seeds[0] + ".." + seeds[seeds.length - 1]);
        for (long seed : seeds) {
            Random rnd = new Random(seed);
            int n = 5;
            Net net = new Net(rnd, n, rnd.nextInt(3) * 300L, clock);
            try {
                for (int step = 0; step < 200; step++) {
                    clock.now += rnd.nextInt(400);
                    int who = rnd.nextInt(n);
                    net.edit(who, who == 0 && rnd.nextInt(4) == 0);
                    if (rnd.nextInt(3) == 0) net.deliverSome();
                }
                net.deliverAll();
                Doc mine = net.docs[0];
                UndoManager u = net.undo[0];

                // Undo and redo everything with nobody else editing: exactly the same text and
                // formatting. A last local edit first empties the redo stack of older undos.
                net.send(0, u.insert(0, "z"));
                net.deliverAll();
                String before = MarksTest.show(mine);
                int depth = u.undoDepth();
                List<Update> undone = new ArrayList<>();
                while (u.canUndo()) u.undo().ifPresent(r -> undone.add(r.update()));
                // A redo step can have nothing left to do (a step redone before it, after others'
                // formatting between them, already set what it sets): it is skipped.
                while (u.canRedo()) u.redo().ifPresent(r -> undone.add(r.update()));
                assertEquals(before, MarksTest.show(mine), "undo all then redo all");
                assertTrue(u.undoDepth() <= depth);
                for (Update up : undone) net.send(0, up);

                // Now undo everything while the others keep editing.
                while (u.canUndo()) {
                    clock.now += rnd.nextInt(400);
                    u.undo().ifPresent(r -> net.send(0, r.update()));
                    for (int k = rnd.nextInt(3); k > 0; k--) net.edit(1 + rnd.nextInt(n - 1), false);
                    if (rnd.nextInt(2) == 0) net.deliverSome();
                }
                net.deliverAll();
                for (int i = 1; i < n; i++) assertEquals(mine.text(), net.docs[i].text(), "replica " + i);

                // Every visible character is the others' (or my copy of one of theirs), and every
                // character they typed and did not delete is visible, as itself or as my copy.
                Set<Long> visible = new HashSet<>();
                List<long[]> runs = mine.idRuns(0, mine.length());
                for (long[] run : runs) for (int k = 0; k < run[2]; k++) visible.add(key(run[0], (int) run[1] + k));
                Set<Long> allowed = new HashSet<>();
                for (Long typed : net.othersTyped) {
                    long replica = typed / 1_000_003L;
                    int seq = (int) (typed % 1_000_003L);
                    List<UndoManager.Chars> family = new ArrayList<>();
                    u.copies.expand(new UndoManager.Chars(replica, seq, 1), family);
                    boolean shown = false;
                    boolean deletedByThem = false;
                    for (UndoManager.Chars c : family) {
                        long k = key(c.replica(), c.seq());
                        allowed.add(k);
                        shown |= visible.contains(k);
                        deletedByThem |= net.othersDeleted.contains(k); // they may delete my copy of it
                    }
                    if (!deletedByThem && !shown) fail("their character " + replica + ":" + seq + " is gone");
                }
                for (long v : visible) if (!allowed.contains(v)) fail("a character of mine is still there: " + v / 1_000_003L + ":" + v % 1_000_003L);
            } catch (Throwable t) {
                throw new AssertionError("seed=" + seed + " (rerun: -Dtest=UndoManagerTest#undoingEverythingLeavesExactlyTheOthersText -Dtandem.seed=" + seed + "): " + t, t);
            }
        }
    }

    @Test
    void aTenThousandCharacterPasteUndoesInOneStep() {
        Doc a = new Doc(1);
        Doc b = new Doc(2);
        b.apply(a.insert(0, "start end"));
        UndoManager u = undoFor(b);
        char[] paste = new char[10_000];
        Arrays.fill(paste, 'p');
        a.apply(u.insert(6, new String(paste)));
        a.apply(b.insert(6 + 5000, "(mid)"));
        Update undo = u.undo().orElseThrow().update();
        a.apply(undo);
        assertEquals("start (mid)end", b.text());
        assertArrayEquals(a.text().toCharArray(), b.text().toCharArray());
    }
}
