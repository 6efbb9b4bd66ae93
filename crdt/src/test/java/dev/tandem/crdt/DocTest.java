package dev.tandem.crdt;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class DocTest {
    @Test
    void localEdits() {
        Doc d = new Doc(1);
        d.insert(0, "hello");
        d.insert(5, " world");
        d.insert(0, ">");
        d.delete(1, 1);
        assertEquals(">ello world", d.text());
        d.delete(0, d.length());
        assertEquals("", d.text());
        d.insert(0, "x");
        assertEquals("x", d.text());
        d.checkInvariants();
    }

    @Test
    void typingIsOneSpanAndOneRun() {
        Doc d = new Doc(1);
        for (int i = 0; i < 1000; i++) d.insert(i, "a");
        assertEquals(1, d.spanCount());
        Update all = d.updatesSince(Version.EMPTY);
        assertEquals(1, all.ops().insCount);
        d.checkInvariants();
    }

    @Test
    void backspacingIsOneDeleteRun() {
        Doc d = new Doc(1);
        d.insert(0, "abcdefgh");
        for (int i = 8; i > 2; i--) d.delete(i - 1, 1);
        assertEquals("ab", d.text());
        Update all = d.updatesSince(Version.EMPTY);
        assertEquals(1, all.ops().delCount);
        assertTrue(all.ops().delBackward[0]);
        Doc e = new Doc(2);
        e.apply(all);
        assertEquals("ab", e.text());
        assertEquals(2, d.spanCount(), "visible part and one merged tombstone");
    }

    @Test
    void twoReplicasExchangeUpdates() {
        Doc a = new Doc(1);
        Doc b = new Doc(2);
        Update u1 = a.insert(0, "hello");
        List<Change> c = b.apply(u1);
        assertEquals(List.of(new Change(0, 0, "hello")), c);
        Update u2 = b.insert(5, "!");
        Update u3 = a.insert(0, "> ");
        assertEquals(List.of(new Change(0, 0, "> ")), b.apply(u3));
        assertEquals(List.of(new Change(7, 0, "!")), a.apply(u2));
        assertEquals(a.text(), b.text());
        assertEquals("> hello!", a.text());
        assertEquals(a.version(), b.version());
        Update d = a.delete(2, 5);
        assertEquals(List.of(new Change(2, 5, "")), b.apply(d));
        assertEquals("> !", b.text());
        assertEquals(List.of(), b.apply(d), "applying twice changes nothing");
    }

    /** Replica id sets whose unsigned order differs from their signed order (and one where it does not). */
    private static final long[][] ID_SETS = {
        {1, 2, 3}, {3, 2, 1}, {-1, 1, 2}, {5, Long.MIN_VALUE, -5}, {Long.MAX_VALUE, Long.MIN_VALUE, 7, -7},
    };

    @Test
    void concurrentTypingForwardsDoesNotInterleave() {
        for (long[] ids : ID_SETS) typeConcurrently(ids, new boolean[ids.length]);
    }

    @Test
    void concurrentTypingBackwardsDoesNotInterleave() {
        for (long[] ids : ID_SETS) {
            boolean[] backwards = new boolean[ids.length];
            java.util.Arrays.fill(backwards, true);
            typeConcurrently(ids, backwards);
        }
    }

    @Test
    void mixedForwardsAndBackwardsTypingDoesNotInterleave() {
        for (long[] ids : ID_SETS) {
            boolean[] backwards = new boolean[ids.length];
            for (int i = 0; i < ids.length; i++) backwards[i] = i % 2 == 1;
            typeConcurrently(ids, backwards);
            for (int i = 0; i < ids.length; i++) backwards[i] = i % 2 == 0;
            typeConcurrently(ids, backwards);
        }
    }

    /**
     * Every replica types its own word between "[" and "]" at the same time, one keystroke per
     * update (forwards: each after the last; backwards: each before the last, like Home then
     * typing). Then every replica receives the others' keystrokes one update at a time,
     * alternating between the typists, so each keystroke goes through the ordering scan on its
     * own (merged into one run, the scan would not run at all). Concurrent inserts with the same
     * origins are ordered by replica id, unsigned, lowest first: the words must end up whole, in
     * that order, on every replica.
     */
    private static void typeConcurrently(long[] ids, boolean[] backwards) {
        int n = ids.length;
        Doc[] docs = new Doc[n];
        for (int i = 0; i < n; i++) docs[i] = new Doc(ids[i]);
        Update base = docs[0].insert(0, "[]");
        for (int i = 1; i < n; i++) docs[i].apply(base);
        String[] words = new String[n];
        List<List<Update>> keys = new java.util.ArrayList<>();
        for (int i = 0; i < n; i++) {
            words[i] = "abcdefghijklmnopqrstuvwxyz".substring(4 * i, 4 * i + 4);
            List<Update> mine = new java.util.ArrayList<>();
            for (int k = 0; k < words[i].length(); k++) {
                int at = backwards[i] ? 1 : 1 + k;
                int c = backwards[i] ? words[i].length() - 1 - k : k;
                mine.add(Update.decode(docs[i].insert(at, String.valueOf(words[i].charAt(c))).encode()));
            }
            assertEquals("[" + words[i] + "]", docs[i].text());
            keys.add(mine);
        }
        for (int to = 0; to < n; to++) {
            // Round robin over the other typists, starting with a different one for each receiver.
            for (int k = 0; k < 4; k++) {
                for (int j = 1; j < n; j++) {
                    int from = (to + j) % n;
                    docs[to].apply(keys.get(from).get(k));
                }
            }
        }
        Integer[] order = new Integer[n];
        for (int i = 0; i < n; i++) order[i] = i;
        java.util.Arrays.sort(order, (x, y) -> Long.compareUnsigned(ids[x], ids[y]));
        StringBuilder expected = new StringBuilder("[");
        for (int i : order) expected.append(words[i]);
        expected.append(']');
        String how = "ids " + java.util.Arrays.toString(ids) + ", backwards " + java.util.Arrays.toString(backwards);
        for (int i = 0; i < n; i++) {
            assertEquals(expected.toString(), docs[i].text(), "replica " + i + ", " + how);
            docs[i].checkInvariants();
        }
        ReferenceList ref = new ReferenceList();
        ref.applyInOrder(docs[0].updatesSince(Version.EMPTY));
        assertEquals(expected.toString(), ref.text(), "naive reference, " + how);
    }

    @Test
    void outOfOrderUpdatesAreHeldThenApplied() {
        Doc a = new Doc(1);
        Update u1 = a.insert(0, "abc");
        Update u2 = a.insert(3, "def");
        Update u3 = a.delete(1, 4);
        Doc b = new Doc(2);
        assertEquals(List.of(), b.apply(u3));
        assertTrue(b.hasPending());
        b.apply(u2);
        assertEquals("", b.text());
        b.apply(u1);
        assertEquals("af", b.text());
        assertTrue(!b.hasPending());
        assertEquals(a.version(), b.version());
    }

    @Test
    void surrogatePairsAreNeverSplit() {
        Doc d = new Doc(1);
        String smile = "\uD83D\uDE00";
        d.insert(0, "a" + smile + "b");
        assertThrows(IllegalArgumentException.class, () -> d.insert(2, "x"));
        assertThrows(IllegalArgumentException.class, () -> d.delete(2, 1));
        assertThrows(IllegalArgumentException.class, () -> d.delete(1, 1));
        assertThrows(IllegalArgumentException.class, () -> d.insert(0, "\uD83D"));
        d.insert(3, smile);
        assertEquals("a" + smile + smile + "b", d.text());
        assertEquals(4, d.indexToCodePoint(d.length()) - 0);
        assertEquals(3, d.codePointToIndex(2));
        assertEquals(2, d.indexToCodePoint(3));
        d.delete(1, 2);
        assertEquals("a" + smile + "b", d.text());
        assertEquals(3, d.codePointToIndex(2));
        d.checkInvariants();
    }

    @Test
    void anchorsStayOnTheirCharacters() {
        Doc a = new Doc(1);
        Doc b = new Doc(2);
        b.apply(a.insert(0, "hello world"));
        Anchor caret = b.anchor(6, Bias.RIGHT); // before "world"
        Anchor after = b.anchor(5, Bias.LEFT);  // after "hello"
        b.apply(a.insert(0, ">>> "));
        assertEquals(10, b.resolve(caret));
        assertEquals(9, b.resolve(after));
        b.apply(a.delete(4, 5)); // "hello" gone
        assertEquals(4, b.resolve(after));
        assertEquals(0, b.resolve(Anchor.START));
        assertEquals(b.length(), b.resolve(Anchor.END));
        assertEquals(-1, b.resolve(new Anchor(99, 3, Bias.LEFT)));
    }

    @Test
    void localInsertAfterDeletionExtendsTheRun() {
        Doc d = new Doc(1);
        d.insert(0, "abc");
        d.delete(2, 1);
        d.insert(2, "d");
        assertEquals("abd", d.text());
        assertEquals(1, d.updatesSince(Version.EMPTY).ops().insCount);
    }

    @Test
    void versionWithOneReplicaChangedSelectsThatReplicasOperations() {
        Doc a = new Doc(1);
        Doc b = new Doc(2);
        b.apply(a.insert(0, "from a "));
        a.apply(b.insert(7, "from b"));
        Version hubHas = Version.EMPTY;
        // What a replica at hubHas lacks of b's own operations only.
        Update own = a.updatesSince(a.version().with(2, hubHas.inserts(2), hubHas.deletes(2)));
        org.junit.jupiter.api.Assertions.assertArrayEquals(new long[] {2}, own.replicas());
        assertEquals(6, own.operationCount());
        Version v = a.version().with(1, 0, 0);
        assertEquals(0, v.inserts(1));
        assertEquals(6, v.inserts(2));
        assertEquals(1, v.size(), "a replica with both counts zero is dropped");
        assertEquals(3, Version.EMPTY.with(9, 3, 1).inserts(9));
        org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class, () -> Version.EMPTY.with(9, -1, 0));
    }
}
