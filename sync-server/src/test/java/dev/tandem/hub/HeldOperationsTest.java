package dev.tandem.hub;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import dev.tandem.crdt.Doc;
import dev.tandem.crdt.Update;
import dev.tandem.hub.TestHubs.Stored;
import dev.tandem.protocol.Frames;
import dev.tandem.protocol.Message;
import dev.tandem.protocol.Wire;
import dev.tandem.sync.SyncClient;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;

import static dev.tandem.hub.TestHubs.awaitText;
import static dev.tandem.hub.TestHubs.client;
import static dev.tandem.hub.TestHubs.stored;
import static dev.tandem.hub.TestHubs.sync;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Operations whose causes have not arrived ("held"): bounded per room, refused when they can never
 * apply, kept apart from the snapshot so compaction goes on, and never stored twice. Real hubs on
 * loopback, raw WebSocket clients for the attackers, sync clients for the honest users.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class HeldOperationsTest {
    static final int MAX_RUNS = 200;
    static final long MAX_CHARS = 2_000;
    static final int COMPACT_EVERY = 100;
    static final int PUSHES = 10_000;
    /** New held updates each attacker has ready; together more than the room may hold. */
    static final int NEW_PER_ATTACKER = 150;
    /** Pushes an attacker sends before it reads the answers. */
    static final int WINDOW = 250;

    @TempDir
    Path dir;

    HubConfig config() {
        // No rate limit to speak of: the test is about what the room keeps, not how fast it is fed.
        return TestHubs.config(dir).withRateLimit(1_000_000, 1_000_000, 1L << 30).withCompactEvery(COMPACT_EVERY)
                .withHeldLimits(MAX_RUNS, MAX_CHARS);
    }

    /**
     * One attacker: a replica whose pushes all wait for operations that never come. It pushes
     * its new updates one at a time until the room refuses one, then floods resends of what the
     * room took.
     */
    static final class Attacker implements AutoCloseable {
        final String kind;
        final long replica;
        final List<byte[]> fresh;
        final List<byte[]> taken = new ArrayList<>();
        Message.Error refusal;
        RawClient conn;
        long seq;
        int sent;

        Attacker(String kind, long replica, List<byte[]> fresh) {
            this.kind = kind;
            this.replica = replica;
            this.fresh = fresh;
        }

        void connect(Hub hub, String room) throws Exception {
            if (conn != null) conn.close();
            conn = RawClient.joined(hub.port(), room, replica);
            seq = 0;
        }

        /** Sends {@code n} pushes (fewer if refused); returns how many it sent. */
        int attack(Hub hub, String room, int n) throws Exception {
            if (conn == null || !conn.isOpen()) connect(hub, room);
            if (refusal == null && taken.size() < fresh.size()) {
                byte[] u = fresh.get(taken.size());
                conn.binary(Frames.push(++seq, u).array());
                sent++;
                Message.Error e = awaitAck(conn, seq);
                if (e == null) {
                    taken.add(u);
                } else {
                    refusal = e;
                }
                return 1;
            }
            // Everything new was taken or refused: resends of what the room holds, many at once.
            assertTrue(!taken.isEmpty(), kind + ": the room took none of its updates");
            for (int i = 0; i < n; i++) conn.binary(Frames.push(++seq, taken.get(i % taken.size())).array());
            sent += n;
            Message.Error e = awaitAck(conn, seq);
            if (e != null) fail(kind + ": a resend of a held update was refused: " + e.code() + " " + e.message());
            return n;
        }

        @Override
        public void close() {
            if (conn != null) conn.close();
        }
    }

    /** Waits for the ack of {@code seq} (skipping relays and presence); returns the error instead if one comes. */
    static Message.Error awaitAck(RawClient c, long seq) throws InterruptedException {
        while (true) {
            Object e = c.next();
            if (e instanceof byte[]) continue;
            if (e instanceof RawClient.Closed closed) fail("closed without an error while waiting for ack " + seq + ": " + closed);
            Message m = Wire.read((String) e);
            if (m instanceof Message.Ack ack && ack.seq() >= seq) return null;
            if (m instanceof Message.Error err) {
                assertEquals(RawClient.Closed.class, c.awaitClose().getClass());
                return err;
            }
        }
    }

    /** "Seqs far ahead": every keystroke of a replica except its first, which never comes. */
    static List<byte[]> ownFirstCharacterNeverComes(long replica, int n) {
        Doc d = new Doc(replica);
        d.insert(0, "Q");
        List<byte[]> out = new ArrayList<>(n);
        for (int i = 0; i < n; i++) out.add(d.insert(d.length(), "Q").encode());
        return out;
    }

    /** Typing inside text of another replica that never sends it. */
    static List<byte[]> originsNeverCome(long replica, Doc ghostText, int n) {
        Doc d = Doc.decode(ghostText.encode(), replica);
        List<byte[]> out = new ArrayList<>(n);
        for (int i = 0; i < n; i++) out.add(d.insert(1 + i, "o").encode());
        return out;
    }

    /** Deleting, one by one, characters of another replica that never sends them. */
    static List<byte[]> deletedCharactersNeverCome(long replica, Doc ghostText, int n) {
        Doc d = Doc.decode(ghostText.encode(), replica);
        List<byte[]> out = new ArrayList<>(n);
        for (int i = 0; i < n; i++) out.add(d.delete(0, 1).encode());
        return out;
    }

    static long gauge(Hub hub, String name) {
        for (String line : hub.metrics().scrape().split("\n")) {
            if (line.startsWith(name + " ")) return (long) Double.parseDouble(line.substring(name.length() + 1).trim());
        }
        fail("/metrics has no " + name);
        return -1;
    }

    @Test
    void tenThousandPushesWhoseCausesNeverComeLeaveTheRoomServingWithStorageBoundedAndTheHeldRunsSurviveARestart() throws Exception {
        String room = "attacked";
        Doc ghost = new Doc(0x6057);
        ghost.insert(0, "g".repeat(NEW_PER_ATTACKER + 2));
        Attacker ahead = new Attacker("seqs far ahead", 0xA1, ownFirstCharacterNeverComes(0xA1, NEW_PER_ATTACKER));
        Attacker origins = new Attacker("origins never come", 0xB2, originsNeverCome(0xB2, ghost, NEW_PER_ATTACKER));
        Attacker deletes = new Attacker("deleted characters never come", 0xD3, deletedCharactersNeverCome(0xD3, ghost, NEW_PER_ATTACKER));
        List<Attacker> attackers = List.of(ahead, origins, deletes);
        int maxPush = 0;
        for (Attacker a : attackers) for (byte[] u : a.fresh) maxPush = Math.max(maxPush, u.length);
        StringBuilder honest = new StringBuilder();
        long heldBeforeRestart;
        try (Hub hub = Hub.start(config()); SyncClient alice = client(hub, room); SyncClient bob = client(hub, room)) {
            sync(alice);
            sync(bob);
            int pushes = 0;
            for (int round = 0; pushes < PUSHES; round++) {
                Attacker a = attackers.get(round % attackers.size());
                pushes += a.attack(hub, room, Math.min(WINDOW, PUSHES - pushes));
                if (round % 30 == 0) {
                    // Honest editing goes on throughout: typed, relayed, acknowledged.
                    String word = "w" + round + " ";
                    honest.append(word);
                    alice.edit(d -> d.insert(d.length(), word)).get(10, TimeUnit.SECONDS);
                }
            }
            String word = "done";
            honest.append(word);
            alice.edit(d -> d.insert(d.length(), word)).get(10, TimeUnit.SECONDS);
            alice.flush().get(20, TimeUnit.SECONDS);
            awaitText(bob, honest.toString());
            bob.edit(d -> d.insert(0, ">")).get(10, TimeUnit.SECONDS);
            bob.flush().get(20, TimeUnit.SECONDS);
            honest.insert(0, ">");
            awaitText(alice, honest.toString());

            // Every write before bob's ack is committed, compactions included.
            Stored s = stored(dir, room);
            long bound = 4096 + MAX_RUNS * 48L + MAX_CHARS * 3 + (long) COMPACT_EVERY * Math.max(maxPush, 64);
            assertTrue(s.bytes() <= bound, "stored " + s.bytes() + " bytes, bound " + bound + " (" + s + ")");
            assertTrue(s.logEntries() <= COMPACT_EVERY, "log not folded: " + s);
            assertTrue(s.snapshotSeq() > 0, "never compacted: " + s);

            int sent = attackers.stream().mapToInt(x -> x.sent).sum();
            assertEquals(PUSHES, sent, "pushes sent");
            int taken = attackers.stream().mapToInt(x -> x.taken.size()).sum();
            for (Attacker a : attackers) {
                assertNotNull(a.refusal, a.kind + ": the room took all " + a.fresh.size() + " new held updates; taken by all: " + taken);
                assertEquals("bad_update", a.refusal.code(), a.kind + ": " + a.refusal.message());
                assertTrue(a.refusal.message().contains("limit"), a.kind + ": " + a.refusal.message());
            }
            assertTrue(taken <= MAX_RUNS, "the room took " + taken + " held updates, limit " + MAX_RUNS);

            assertEquals(taken, gauge(hub, "tandem_held_runs"), "held runs reported in /metrics");
            // One character per held insert: the keystrokes of "seqs far ahead" and "origins never come".
            heldBeforeRestart = gauge(hub, "tandem_held_chars");
            assertEquals(ahead.taken.size() + origins.taken.size(), heldBeforeRestart, "held chars reported in /metrics");
            for (Attacker a : attackers) a.close();
        }

        try (Hub hub = Hub.start(config()); SyncClient reader = client(hub, room)) {
            sync(reader);
            awaitText(reader, honest.toString());
            // The same operations are held again (stored as one update, consecutive runs merge).
            assertEquals(heldBeforeRestart, gauge(hub, "tandem_held_chars"), "held chars after the restart");
            long runs = gauge(hub, "tandem_held_runs");
            assertTrue(runs >= 3 && runs <= MAX_RUNS, "held runs after the restart: " + runs);
            // The first character of "seqs far ahead" finally comes: all it held applies.
            Doc first = new Doc(0xA1);
            byte[] cause = first.insert(0, "Q").encode();
            try (RawClient c = RawClient.joined(hub.port(), room, 0xA1)) {
                c.binary(Frames.push(1, cause).array());
                assertEquals(null, awaitAck(c, 1));
            }
            String q = "Q".repeat(1 + ahead.taken.size());
            TestHubs.awaitTrue("the held keystrokes apply", () -> {
                try {
                    return TestHubs.text(reader).contains(q);
                } catch (Exception e) {
                    throw new AssertionError(e);
                }
            });
            assertEquals(heldBeforeRestart - ahead.taken.size(), gauge(hub, "tandem_held_chars"), "held chars once the cause came");
        }
    }

    @Test
    void aResendOfAHeldUpdateIsAckedButNotStoredAgain() throws Exception {
        byte[] held = ownFirstCharacterNeverComes(0xA1, 1).get(0);
        try (Hub hub = Hub.start(config()); RawClient c = RawClient.joined(hub.port(), "resend", 0xA1)) {
            pushThenResendsLeaveTheStoreAlone(c, "resend", held, "a resend of a held update was stored again");
        }
    }

    /** Pushes {@code update} (acked), then three resends of it: each acked, and the store unchanged. */
    void pushThenResendsLeaveTheStoreAlone(RawClient c, String room, byte[] update, String what) throws Exception {
        c.binary(Frames.push(1, update).array());
        assertEquals(null, awaitAck(c, 1));
        Stored once = stored(dir, room);
        for (int seq = 2; seq <= 4; seq++) {
            c.binary(Frames.push(seq, update).array());
            assertEquals(null, awaitAck(c, seq));
        }
        assertEquals(once, stored(dir, room), what);
    }

    @Test
    void anUpdateCarryingNothingNewIsAckedAndLeavesTheStoredSizeAloneWhileSomethingIsHeld() throws Exception {
        try (Hub hub = Hub.start(config())) {
            try (RawClient attacker = RawClient.joined(hub.port(), "noop", 0xA1)) {
                attacker.binary(Frames.push(1, ownFirstCharacterNeverComes(0xA1, 1).get(0)).array());
                assertEquals(null, awaitAck(attacker, 1));
            }
            byte[] hello = new Doc(0xB1).insert(0, "hello").encode();
            try (RawClient c = RawClient.joined(hub.port(), "noop", 0xB1)) {
                pushThenResendsLeaveTheStoreAlone(c, "noop", hello, "a push carrying nothing new was stored");
            }
        }
    }

    @Test
    void aResendIsAckedEvenWhenTheRoomIsFull() throws Exception {
        Random rnd = new Random(7);
        StringBuilder text = new StringBuilder();
        for (int i = 0; i < 4000; i++) text.append((char) ('a' + rnd.nextInt(26)));
        byte[] big = new Doc(0xB1).insert(0, text.toString()).encode();
        int max = 4096;
        assertTrue(big.length <= max && 2 * big.length > max, "precondition: one fits, two do not (" + big.length + " bytes)");
        try (Hub hub = Hub.start(config().withRoomLimits(10, max)); RawClient c = RawClient.joined(hub.port(), "full", 0xB1)) {
            c.binary(Frames.push(1, big).array());
            assertEquals(null, awaitAck(c, 1));
            c.binary(Frames.push(2, big).array());
            Message.Error e = awaitAck(c, 2);
            assertEquals(null, e, () -> "a resend of what the room holds was refused: " + e.code() + " " + e.message());
        }
    }

    @Test
    void aHeldRunThatCanNeverApplyIsRefusedWithAnErrorToItsOwner() throws Exception {
        // The ghost's first two characters are one emoji (a surrogate pair). The splitter was
        // told they were "xy" and typed between them: once the real ones arrive, its held
        // character would split the pair, so it can never apply.
        long ghostId = 0x6057;
        byte[] emoji = new Doc(ghostId).insert(0, "\uD83D\uDE00").encode();
        Doc fake = new Doc(ghostId);
        byte[] fakeXy = fake.insert(0, "xy").encode();
        Doc splitter = new Doc(0x5B);
        splitter.apply(Update.decode(fakeXy));
        byte[] split = splitter.insert(1, "M").encode();
        try (Hub hub = Hub.start(config()); SyncClient reader = client(hub, "split")) {
            sync(reader);
            try (RawClient s = RawClient.joined(hub.port(), "split", 0x5B); RawClient g = RawClient.joined(hub.port(), "split", ghostId)) {
                s.binary(Frames.push(1, split).array());
                assertEquals(null, awaitAck(s, 1), "held, so stored and acked");
                g.binary(Frames.push(1, emoji).array());
                assertEquals(null, awaitAck(g, 1), "the causes apply normally");
                Message.Error e = s.expectError("bad_update", 1008);
                assertTrue(e.message().contains(Wire.replica(0x5B)), e.message());
            }
            awaitText(reader, "\uD83D\uDE00");
            assertEquals(0, gauge(hub, "tandem_held_runs"));
        }
    }

    @Test
    void aHeldRunReplacedByALongerOneIsStoredAndHeldAgainAfterARestart() throws Exception {
        // Deleting characters of a ghost that has not sent them: first one, then (from the same
        // replica's state) the same one and the next in one run, which takes its place. The
        // held runs and characters count the same before and after, yet the room holds more.
        Doc ghost = new Doc(0x6057);
        byte[] abc = ghost.insert(0, "abc").encode();
        byte[] deleteOne = Doc.decode(ghost.encode(), 0xD3).delete(0, 1).encode();
        byte[] deleteTwo = Doc.decode(ghost.encode(), 0xD3).delete(0, 2).encode();
        try (Hub hub = Hub.start(config()); RawClient d = RawClient.joined(hub.port(), "longer", 0xD3)) {
            d.binary(Frames.push(1, deleteOne).array());
            assertEquals(null, awaitAck(d, 1));
            d.binary(Frames.push(2, deleteTwo).array());
            assertEquals(null, awaitAck(d, 2));
            assertEquals(2, stored(dir, "longer").logEntries(), "the longer run was not stored");
            assertEquals(1, gauge(hub, "tandem_held_runs"));
        }
        try (Hub hub = Hub.start(config()); SyncClient reader = client(hub, "longer")) {
            sync(reader);
            try (RawClient g = RawClient.joined(hub.port(), "longer", 0x6057)) {
                g.binary(Frames.push(1, abc).array());
                assertEquals(null, awaitAck(g, 1));
            }
            awaitText(reader, "c");
        }
    }

    @Test
    void aPushBeyondTheHeldLimitIsRefusedAndNothingOfItIsStoredOrRelayed() throws Exception {
        List<byte[]> held = ownFirstCharacterNeverComes(0xA1, 3);
        try (Hub hub = Hub.start(config().withHeldLimits(2, 100)); RawClient watcher = RawClient.joined(hub.port(), "limit", 0x77)) {
            try (RawClient a = RawClient.joined(hub.port(), "limit", 0xA1)) {
                a.binary(Frames.push(1, held.get(0)).array());
                a.binary(Frames.push(2, held.get(1)).array());
                assertEquals(null, awaitAck(a, 2));
                Stored before = stored(dir, "limit");
                a.binary(Frames.push(3, held.get(2)).array());
                Message.Error e = awaitAck(a, 3);
                assertNotNull(e, "a third held run was taken beyond the limit of 2");
                assertEquals("bad_update", e.code());
                assertTrue(e.message().contains("limit is 2 runs"), e.message());
                assertEquals(before, stored(dir, "limit"), "the refused push was stored");
                assertEquals(2, gauge(hub, "tandem_held_runs"));
            }
            byte[] honest = new Doc(0xB1).insert(0, "ok").encode();
            try (RawClient b = RawClient.joined(hub.port(), "limit", 0xB1)) {
                b.binary(Frames.push(1, honest).array());
                assertEquals(null, awaitAck(b, 1));
            }
            // The watcher gets the two held pushes, then the honest one: never the refused one.
            for (byte[] expected : List.of(held.get(0), held.get(1), honest)) {
                byte[] frame = watcher.nextBinary();
                assertEquals(Frames.RELAY, frame[0]);
                assertTrue(java.util.Arrays.equals(expected, java.util.Arrays.copyOfRange(frame, 1, frame.length)), "relayed something else");
            }
        }
    }

    @Test
    void heldOperationsThatApplyReachAPeerThatJoinedWhileTheyWereHeld() throws Exception {
        List<byte[]> held = ownFirstCharacterNeverComes(0xA1, 3);
        byte[] first = new Doc(0xA1).insert(0, "Q").encode();
        try (Hub hub = Hub.start(config()); RawClient a = RawClient.joined(hub.port(), "late", 0xA1)) {
            for (int i = 0; i < held.size(); i++) a.binary(Frames.push(i + 1, held.get(i)).array());
            assertEquals(null, awaitAck(a, held.size()));
            // Joins now: its catch-up has only what applied, nothing of the held keystrokes.
            try (SyncClient late = client(hub, "late")) {
                sync(late);
                a.binary(Frames.push(held.size() + 1, first).array());
                assertEquals(null, awaitAck(a, held.size() + 1));
                awaitText(late, "QQQQ");
            }
        }
    }
}
