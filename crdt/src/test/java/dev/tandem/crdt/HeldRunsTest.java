package dev.tandem.crdt;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Updates that wait for their causes: held, de-duplicated, bounded, woken, saved apart, refused. */
class HeldRunsTest {
    private static final String SMILE = "\uD83D\uDE00";

    /** An insert of {@code text} as characters seq.. of {@code replica}, after {@code (leftReplica, leftSeq)}. */
    private static Update forgedInsert(long replica, int seq, String text, long leftReplica, int leftSeq) {
        Update.Builder b = new Update.Builder();
        char[] chars = text.toCharArray();
        b.addInsert(replica, seq, chars, 0, chars.length, leftReplica, leftSeq, leftSeq < 0, 0, -1, true);
        return b.build();
    }

    @Test
    void aResendIsNotHeldTwiceAndALongerRunReplacesTheShorter() {
        Doc a = new Doc(1);
        Update u1 = a.insert(0, "abc");
        Update u2 = a.insert(3, "def");
        Update u3 = a.insert(6, "ghi");
        Doc b = new Doc(2);
        b.apply(u2);
        assertEquals(1, b.heldRuns());
        assertEquals(3, b.heldChars());
        b.apply(u2);
        b.apply(Update.decode(u2.encode()));
        assertEquals(1, b.heldRuns(), "a resend is not held twice");
        assertEquals(3, b.heldChars());
        long changes = b.heldChanges();
        b.apply(u2);
        assertEquals(changes, b.heldChanges(), "a resend changes nothing held");
        b.apply(Update.merge(List.of(u2, u3))); // one run "defghi": it takes the place of "def"
        assertEquals(1, b.heldRuns());
        assertEquals(6, b.heldChars());
        assertTrue(b.heldChanges() > changes, "a longer run changed what is held");
        changes = b.heldChanges();
        b.apply(u3);
        assertEquals(1, b.heldRuns());
        assertEquals(changes, b.heldChanges(), "a part of a held run changes nothing held");
        assertEquals("", b.text());
        assertEquals(Version.EMPTY, b.updatesSince(Version.EMPTY).version(), "held runs are not in updatesSince");
        assertEquals(Version.EMPTY, b.version(), "nor in the version");
        b.apply(u1); // the missing cause: everything integrates
        assertEquals("abcdefghi", b.text());
        assertEquals(0, b.heldRuns());
        assertEquals(0, b.heldChars());
        assertEquals(a.version(), b.version());
    }

    @Test
    void heldDeletionsWaitForTheirTargetsAndTheirOwnEarlierDeletions() {
        Doc a = new Doc(1);
        Update ins = a.insert(0, "hello world");
        Update del1 = a.delete(0, 1);
        Update del2 = a.delete(4, 6);
        Doc b = new Doc(2);
        b.apply(del2); // waits for del1
        b.apply(del1); // waits for the characters
        b.apply(del2);
        assertEquals(2, b.heldRuns());
        assertEquals(0, b.heldChars());
        b.apply(ins);
        assertEquals(a.text(), b.text());
        assertEquals(a.version(), b.version());
        assertFalse(b.hasPending());
    }

    @Test
    void aBatchInReverseOrderWakesEachRunOnce() {
        Doc a = new Doc(1);
        List<Update> edits = new ArrayList<>();
        for (int i = 0; i < 3000; i++) edits.add(a.insert(i % 7 == 0 ? 0 : a.length(), "x" + (i % 10)));
        for (int i = 0; i < 500; i++) edits.add(a.delete(i % a.length(), 1));
        Collections.reverse(edits);
        Doc b = new Doc(2);
        for (Update u : edits) b.apply(u);
        assertEquals(a.text(), b.text());
        assertFalse(b.hasPending());
        // Each run is woken at most once per cause it lacked (its own previous operation, an
        // origin, a target): retrying everything held after every step would be millions.
        assertTrue(b.heldWakes() <= 3L * edits.size(), b.heldWakes() + " wakes for " + edits.size() + " updates");
    }

    @Test
    void tenThousandUpdatesWhoseCausesNeverArriveStayWithinTheLimit() {
        Doc room = new Doc(100);
        int maxRuns = 1_000;
        long maxChars = 20_000;
        room.limitHeld(maxRuns, maxChars);
        Doc honest = new Doc(1);
        int refused = 0;
        List<Update> heldOnes = new ArrayList<>();
        for (int i = 0; i < 10_000; i++) {
            Update u = switch (i % 4) {
                // characters whose earlier characters never come
                case 0 -> forgedInsert(5_000 + i, 7, "abcdefghijklmnop".substring(0, 1 + i % 16), 5_000 + i, 6);
                // after a character of a replica that never shows up
                case 1 -> forgedInsert(5_000 + i, 0, "x", 9_999_999, 3);
                // after a character the honest typist has not typed yet (nor ever will)
                case 2 -> forgedInsert(5_000 + i, 0, "yy", 1, 1_000_000 + i);
                // deletions of characters that never come
                default -> {
                    Update.Builder b = new Update.Builder();
                    b.addDelete(5_000 + i, 0, 2, 9_999_998, i, false);
                    yield b.build();
                }
            };
            try {
                room.apply(u);
                heldOnes.add(u);
            } catch (CrdtFormatException e) {
                assertTrue(e.getMessage().contains("limit"), e.getMessage());
                refused++;
            }
            assertTrue(room.heldRuns() <= maxRuns, room.heldRuns() + " runs held");
            assertTrue(room.heldChars() <= maxChars, room.heldChars() + " characters held");
            if (i % 10 == 0) {
                // An honest typist keeps typing, one keystroke per update, and every keystroke applies.
                Update key = honest.insert(honest.length(), String.valueOf((char) ('a' + i % 26)));
                room.apply(key);
                assertEquals(honest.text(), room.text());
            }
        }
        assertEquals(maxRuns, room.heldRuns());
        assertEquals(10_000 - maxRuns, refused);
        assertEquals(heldOnes.size(), maxRuns);
        // Nothing held waits for what the honest typist brought before, so nothing was retried
        // (the old list was retried whole after every honest keystroke).
        assertEquals(0, room.heldWakes());

        // At the limit, a resend of something held changes nothing and is not refused.
        Version before = room.version();
        room.apply(heldOnes.get(17));
        room.apply(Update.merge(heldOnes.subList(0, 50)));
        assertEquals(maxRuns, room.heldRuns());
        assertEquals(before, room.version());
        // An update that could not apply whole is refused whole, even its part that could.
        Update mixed = Update.merge(List.of(honest.insert(honest.length(), "!"), forgedInsert(77, 3, "z", 77, 2)));
        String text = room.text();
        assertThrows(CrdtFormatException.class, () -> room.apply(mixed));
        assertEquals(text, room.text());
        assertEquals(before, room.version());

        // Compaction while runs are held: the snapshot holds what is applied, heldUpdate the rest.
        byte[] snapshot = room.encode();
        byte[] heldBytes = room.heldUpdate().encode();
        Doc reopened = Doc.decode(snapshot, room.replicaId());
        assertEquals(room.text(), reopened.text());
        assertEquals(room.version(), reopened.version());
        assertEquals(0, reopened.heldRuns(), "a decoded snapshot holds nothing");
        reopened.apply(Update.decode(heldBytes));
        assertEquals(room.heldRuns(), reopened.heldRuns());
        assertEquals(room.heldChars(), reopened.heldChars());
        assertEquals(room.version(), reopened.version());
    }

    @Test
    void heldRunsSavedApartFromTheSnapshotComeBackAfterLoading() {
        Doc a = new Doc(1);
        Doc b = new Doc(2);
        Update base = a.insert(0, "base ");
        b.apply(base);
        Update a1 = a.insert(5, "one ");
        Update a2 = a.insert(9, "two " + SMILE);
        Update a3 = a.delete(0, 2);
        Update b1 = b.insert(5, "bee ");
        Doc hub = new Doc(3);
        hub.apply(base);
        hub.apply(a2); // waits for a1
        hub.apply(a3); // its targets are here: applies
        hub.apply(b1);
        Update c1 = new Doc(4).insert(0, "ccc");
        Doc c = new Doc(4);
        c.apply(c1);
        Update c2 = forgedInsert(4, 3, "dd", 4, 2); // continues c1 (not sent yet)
        hub.apply(c2);
        assertTrue(hub.heldRuns() >= 2, hub.heldRuns() + " held");

        Doc loaded = Doc.decode(hub.encode(), hub.replicaId());
        assertFalse(loaded.hasPending());
        loaded.apply(hub.heldUpdate());
        assertEquals(hub.heldRuns(), loaded.heldRuns());
        assertEquals(hub.heldChars(), loaded.heldChars());
        for (Doc d : List.of(hub, loaded)) {
            d.apply(a1);
            d.apply(c1);
        }
        for (Doc d : List.of(hub, loaded)) {
            assertFalse(d.hasPending());
            assertEquals(0, d.heldUpdate().operationCount());
            d.checkInvariants();
        }
        assertEquals(hub.text(), loaded.text());
        assertEquals(hub.version(), loaded.version());
        assertEquals(hub.idSequence(), loaded.idSequence());
        a.apply(b1);
        a.apply(c1);
        a.apply(c2);
        assertEquals(a.text(), hub.text());
    }

    @Test
    void aHeldRunThatWouldSplitASurrogatePairIsRefusedWithItsReplicasLaterOnes() {
        Doc a = new Doc(1);
        Update pair = a.insert(0, "<" + SMILE + ">");
        long forger = 66;
        Doc room = new Doc(3);
        // Held: after character 1:1, the high surrogate, which has not arrived yet.
        room.apply(forgedInsert(forger, 0, "x", 1, 1));
        room.apply(forgedInsert(forger, 1, "yz", forger, 0));   // continues it: held too
        room.apply(forgedInsert(forger, 5, "late", forger, 4)); // later still
        room.apply(forgedInsert(200, 0, "w", forger, 1));       // another replica after the forger's y
        assertEquals(4, room.heldRuns());

        room.apply(pair); // brings the missing characters: applied, never refused
        assertEquals("<" + SMILE + ">", room.text());
        assertArrayEquals(new long[] {forger}, room.refusedReplicas());
        assertEquals(0, room.heldRuns(), "the refused run, the forger's later runs and what waited for them are dropped");

        Version before = room.version();
        CrdtFormatException e = assertThrows(CrdtFormatException.class, () -> room.apply(forgedInsert(forger, 3, "again", forger, 2)));
        assertTrue(e.getMessage().contains("refused earlier") && e.getMessage().contains("surrogate"), e.getMessage());
        assertThrows(CrdtFormatException.class, () -> room.apply(forgedInsert(forger, 0, "x", 1, 1)));
        assertThrows(CrdtFormatException.class, () -> room.apply(forgedInsert(201, 0, "v", forger, 0)), "depends on refused characters");
        assertEquals(before, room.version());
        assertEquals("<" + SMILE + ">", room.text());

        // Honest updates, even ones that bring the same characters again, still apply.
        room.apply(pair);
        room.apply(a.insert(4, " ok"));
        assertEquals(a.text(), room.text());
        assertEquals(0, room.heldRuns());
    }

    @Test
    void aHeldDeletionThatWouldSplitASurrogatePairIsRefused() {
        Doc a = new Doc(1);
        Update pair = a.insert(0, SMILE + SMILE);
        long forger = 66;
        Doc room = new Doc(3);
        Update.Builder half = new Update.Builder();
        half.addDelete(forger, 0, 1, 1, 1, false); // only the low surrogate of the first pair
        room.apply(half.build());
        Update.Builder later = new Update.Builder();
        later.addDelete(forger, 1, 2, 1, 2, false);
        room.apply(later.build());
        assertEquals(2, room.heldRuns());
        room.apply(pair);
        assertEquals(SMILE + SMILE, room.text());
        assertArrayEquals(new long[] {forger}, room.refusedReplicas());
        assertEquals(0, room.heldRuns());
        assertThrows(CrdtFormatException.class, () -> room.apply(later.build()));
        assertEquals(SMILE + SMILE, room.text());
    }

    @Test
    void heldTextCannotBeRewrittenByAnotherUpdate() {
        Doc room = new Doc(3);
        room.apply(forgedInsert(9, 2, "abc", 9, 1));
        Version before = room.version();
        assertThrows(CrdtFormatException.class, () -> room.apply(forgedInsert(9, 3, "XY", 9, 2)));
        assertEquals(1, room.heldRuns());
        assertEquals(3, room.heldChars());
        assertEquals(before, room.version());
        room.apply(forgedInsert(9, 3, "bc", 9, 2)); // the same text: a resend
        assertEquals(1, room.heldRuns());
    }

    @Test
    void limitsMustNotBeNegative() {
        Doc d = new Doc(1);
        assertThrows(IllegalArgumentException.class, () -> d.limitHeld(-1, 10));
        assertThrows(IllegalArgumentException.class, () -> d.limitHeld(10, -1));
        d.limitHeld(0, 0); // nothing may be held: an update that would hold something is refused
        assertThrows(CrdtFormatException.class, () -> d.apply(forgedInsert(9, 2, "abc", 9, 1)));
        d.apply(forgedInsert(9, 0, "abc", 9, -1));
        assertEquals("abc", d.text());
    }
}
