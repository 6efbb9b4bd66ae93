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

    @Test
    void concurrentTypingForwardsDoesNotInterleave() {
        for (long[] ids : new long[][] {{1, 2}, {2, 1}, {-5, 7}}) {
            Doc a = new Doc(ids[0]);
            Doc b = new Doc(ids[1]);
            Update base = a.insert(0, "[]");
            b.apply(base);
            Update ua = Update.merge(List.of(a.insert(1, "a"), a.insert(2, "b"), a.insert(3, "c")));
            Update ub = Update.merge(List.of(b.insert(1, "x"), b.insert(2, "y"), b.insert(3, "z")));
            a.apply(ub);
            b.apply(ua);
            assertEquals(a.text(), b.text());
            assertTrue(a.text().equals("[abcxyz]") || a.text().equals("[xyzabc]"), a.text());
        }
    }

    @Test
    void concurrentTypingBackwardsDoesNotInterleave() {
        for (long[] ids : new long[][] {{1, 2}, {2, 1}}) {
            Doc a = new Doc(ids[0]);
            Doc b = new Doc(ids[1]);
            b.apply(a.insert(0, "[]"));
            // Each types right to left: c, then b before it, then a before that (Home, type...).
            Update ua = Update.merge(List.of(a.insert(1, "c"), a.insert(1, "b"), a.insert(1, "a")));
            Update ub = Update.merge(List.of(b.insert(1, "z"), b.insert(1, "y"), b.insert(1, "x")));
            assertEquals("[abc]", a.text());
            a.apply(ub);
            b.apply(ua);
            assertEquals(a.text(), b.text());
            assertTrue(a.text().equals("[abcxyz]") || a.text().equals("[xyzabc]"), a.text());
        }
    }

    @Test
    void oneForwardsOneBackwardsDoesNotInterleave() {
        Doc a = new Doc(1);
        Doc b = new Doc(2);
        b.apply(a.insert(0, "[]"));
        Update ua = Update.merge(List.of(a.insert(1, "a"), a.insert(2, "b"), a.insert(3, "c")));
        Update ub = Update.merge(List.of(b.insert(1, "z"), b.insert(1, "y"), b.insert(1, "x")));
        a.apply(ub);
        b.apply(ua);
        assertEquals(a.text(), b.text());
        assertTrue(a.text().equals("[abcxyz]") || a.text().equals("[xyzabc]"), a.text());
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
}
