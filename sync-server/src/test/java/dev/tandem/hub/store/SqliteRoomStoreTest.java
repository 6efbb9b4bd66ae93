package dev.tandem.hub.store;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The store contract on SQLite, and SQLite's own rules: failed writes, locking, pragmas, old schemas. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class SqliteRoomStoreTest extends RoomStoreContract {
    @TempDir
    Path dir;

    @Override
    RoomStore openStore() {
        return SqliteRoomStore.open(dir);
    }

    static void diskFull(SqliteRoomStore store) throws Exception {
        StoreHooks.diskFull(store);
    }

    static void spaceReturns(SqliteRoomStore store) throws Exception {
        StoreHooks.spaceReturns(store);
    }

    static byte[] random(int n, long seed) {
        byte[] b = new byte[n];
        new java.util.Random(seed).nextBytes(b);
        return b;
    }

    @Test
    void afterAFailedWriteEveryLaterWriteOfThatRoomFailsUntilItIsOpenedAgain() throws Exception {
        try (SqliteRoomStore store = SqliteRoomStore.open(dir)) {
            long k = store.open("k").key();
            long other = store.open("other").key();
            diskFull(store);
            java.util.concurrent.ExecutionException full = assertThrows(java.util.concurrent.ExecutionException.class,
                    () -> store.append(k, random(1 << 20, 1)).get(10, TimeUnit.SECONDS));
            assertTrue(full.getCause() instanceof StoreException, full.toString());
            assertTrue(store.writeFailure().contains("full"), "the store reports why it cannot write: " + store.writeFailure());
            spaceReturns(store);
            // Space is back, but room k has not learnt of its failure yet: a later write of k must
            // not commit (and be acked) after the one that was lost, or the room has a gap.
            assertThrows(java.util.concurrent.ExecutionException.class, () -> store.append(k, bytes("small")).get(10, TimeUnit.SECONDS),
                    "a write of a failed room committed after its failed write");
            assertThrows(java.util.concurrent.ExecutionException.class, () -> store.flush(k).get(10, TimeUnit.SECONDS),
                    "the room's barrier (the ack of a push that carried nothing new) passed after its failed write");
            assertThrows(java.util.concurrent.ExecutionException.class, () -> store.compact(k, 1, bytes("x"), null).get(10, TimeUnit.SECONDS));
            assertTrue(store.writeFailure() == null || store.writeFailure().contains("full"), store.writeFailure());
            // Other rooms were not in the failed batch: they carry on.
            store.append(other, bytes("fine")).get(10, TimeUnit.SECONDS);
            store.flush().get(10, TimeUnit.SECONDS);
            // Reopening the room (the hub reloads it from disk) starts it afresh from what is stored.
            StoredRoom reloaded = store.open("k");
            assertEquals(0, reloaded.lastSeq(), "nothing of k was stored");
            store.append(k, bytes("after reload")).get(10, TimeUnit.SECONDS);
        }
        try (SqliteRoomStore store = SqliteRoomStore.open(dir)) {
            assertEquals(1, store.open("k").updates().size());
            assertArrayEquals(bytes("after reload"), store.open("k").updates().get(0));
            assertArrayEquals(bytes("fine"), store.open("other").updates().get(0));
        }
    }

    @Test
    void aSecondStoreOnTheSameDirectoryIsRefusedAndTheFirstKeepsItsLock() throws Exception {
        try (SqliteRoomStore first = SqliteRoomStore.open(dir)) {
            StoreException e = assertThrows(StoreException.class, () -> SqliteRoomStore.open(dir).close());
            assertTrue(e.getMessage().contains(dir.toString()), e.getMessage());
            assertTrue(e.getMessage().contains("pid " + ProcessHandle.current().pid()), e.getMessage());
            // The refused attempt must not have released the first store's lock.
            assertThrows(StoreException.class, () -> SqliteRoomStore.open(dir).close());
            first.append(first.open("r").key(), bytes("still mine")).get(10, TimeUnit.SECONDS);
        }
        // Released on close.
        try (SqliteRoomStore again = SqliteRoomStore.open(dir)) {
            assertEquals(1, again.open("r").updates().size());
        }
    }

    @Test
    void durabilityPragmasTookEffect() throws Exception {
        try (SqliteRoomStore store = SqliteRoomStore.open(dir)) {
            assertEquals("wal", store.pragma("PRAGMA journal_mode").get(10, TimeUnit.SECONDS));
            assertEquals("2", store.pragma("PRAGMA synchronous").get(10, TimeUnit.SECONDS), "synchronous=FULL");
            // On macOS an fsync does not reach the disk; F_FULLFSYNC does.
            String expected = System.getProperty("os.name").toLowerCase(java.util.Locale.ROOT).startsWith("mac") ? "1" : "0";
            assertEquals(expected, store.pragma("PRAGMA fullfsync").get(10, TimeUnit.SECONDS), "fullfsync on " + System.getProperty("os.name"));
            assertEquals(expected, store.pragma("PRAGMA checkpoint_fullfsync").get(10, TimeUnit.SECONDS), "checkpoint_fullfsync");
        }
    }

    @Test
    void aStoreWrittenBeforeHeldOperationsWereStoredApartGainsTheColumnAndKeepsItsRooms() throws Exception {
        // The schema of the previous release, written by hand.
        try (java.sql.Connection c = java.sql.DriverManager.getConnection("jdbc:sqlite:" + dir.resolve("tandem.db"));
             java.sql.Statement s = c.createStatement()) {
            s.execute("CREATE TABLE rooms (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, snapshot BLOB, snapshot_seq INTEGER NOT NULL DEFAULT 0)");
            s.execute("CREATE TABLE updates (room INTEGER NOT NULL, seq INTEGER NOT NULL, data BLOB NOT NULL, PRIMARY KEY (room, seq)) WITHOUT ROWID");
            s.execute("INSERT INTO rooms (id, name, snapshot, snapshot_seq) VALUES (7, 'old', X'0102', 3)");
            s.execute("INSERT INTO updates (room, seq, data) VALUES (7, 4, X'0A0B0C')");
        }
        try (SqliteRoomStore store = SqliteRoomStore.open(dir)) {
            StoredRoom room = store.open("old");
            assertEquals(7, room.key());
            assertArrayEquals(new byte[] {1, 2}, room.snapshot());
            assertEquals(null, room.held());
            assertEquals(4, room.lastSeq());
            assertEquals(5, room.storedBytes());
            store.compact(7, 4, bytes("s"), bytes("h")).get(10, TimeUnit.SECONDS);
        }
        try (SqliteRoomStore store = SqliteRoomStore.open(dir)) {
            StoredRoom room = store.open("old");
            assertArrayEquals(bytes("h"), room.held());
            assertEquals(0, room.updates().size());
        }
    }
}
