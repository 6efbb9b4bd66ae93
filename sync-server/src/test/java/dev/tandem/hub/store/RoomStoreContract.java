package dev.tandem.hub.store;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * What every {@link RoomStore} promises, run against each real store: sequence numbers,
 * compaction, held operations, replica owners, deletion, listing, hostile room names. "Reopen"
 * closes the store and opens a new one on the same data, as a hub restart does.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
abstract class RoomStoreContract {

    /** A store on this test's data (the same data every time it is called within one test). */
    abstract RoomStore openStore() throws Exception;

    static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    static <T> T await(java.util.concurrent.CompletableFuture<T> f) throws Exception {
        return f.get(30, TimeUnit.SECONDS);
    }

    @Test
    void theStoreGivesOutIncreasingSequenceNumbersThatSurviveCompactionAndRestart() throws Exception {
        try (RoomStore store = openStore()) {
            long key = store.open("r").key();
            long other = store.open("other").key();
            assertEquals(1L, await(store.append(key, bytes("a"))));
            assertEquals(2L, await(store.append(key, bytes("b"))));
            // Numbers are per room.
            assertEquals(1L, await(store.append(other, bytes("x"))));
            // Pipelined appends, as a busy room submits them: numbered in submission order.
            List<java.util.concurrent.CompletableFuture<Long>> many = new java.util.ArrayList<>();
            for (int i = 0; i < 20; i++) many.add(store.append(key, bytes("n" + i)));
            for (int i = 0; i < 20; i++) assertEquals(3L + i, await(many.get(i)));
            await(store.compact(key, 22, bytes("snap"), null));
            assertEquals(23L, await(store.append(key, bytes("after"))));
        }
        try (RoomStore store = openStore()) {
            StoredRoom r = store.open("r");
            assertEquals(23, r.lastSeq());
            assertEquals(1, r.updates().size());
            // After a compaction that left no log entry, numbering goes on from the snapshot's.
            await(store.compact(r.key(), 23, bytes("snap2"), null));
            assertEquals(24L, await(store.append(r.key(), bytes("later"))));
        }
    }

    @Test
    void namedVersionsAreKeptInOrder_surviveARestart_andGoWithTheirRoom() throws Exception {
        try (RoomStore store = openStore()) {
            long key = store.open("r").key();
            long other = store.open("other").key();
            await(store.addNamedVersion(key, new StoredNamedVersion("draft 1", bytes("v1"), "Ada", 1000)));
            await(store.addNamedVersion(key, new StoredNamedVersion("it's \"final\"; DROP TABLE rooms; --", bytes("v2"), "Grace", 2000)));
            await(store.addNamedVersion(other, new StoredNamedVersion("elsewhere", bytes("v9"), "Linus", 3000)));
        }
        try (RoomStore store = openStore()) {
            List<StoredNamedVersion> named = store.open("r").namedVersions();
            assertEquals(2, named.size());
            assertEquals("draft 1", named.get(0).name());
            assertArrayEquals(bytes("v1"), named.get(0).version());
            assertEquals("Ada", named.get(0).by());
            assertEquals(1000, named.get(0).atMillis());
            assertEquals("it's \"final\"; DROP TABLE rooms; --", named.get(1).name());
            assertTrue(await(store.delete("r")));
            assertEquals(0, store.open("r").namedVersions().size(), "a room made again under the name starts without the old names");
            assertEquals(1, store.open("other").namedVersions().size());
        }
    }

    @Test
    void anOlderCompactionNeverOverwritesANewerSnapshot() throws Exception {
        try (RoomStore store = openStore()) {
            long key = store.open("r").key();
            for (int seq = 1; seq <= 6; seq++) await(store.append(key, bytes("u" + seq)));
            // A newer writer folded everything up to 6; a stale one (a late task) then tries to
            // store its state as of 3.
            await(store.compact(key, 6, bytes("state@6"), bytes("held@6")));
            await(store.compact(key, 3, bytes("state@3"), bytes("held@3")));
        }
        try (RoomStore store = openStore()) {
            StoredRoom room = store.open("r");
            assertArrayEquals(bytes("state@6"), room.snapshot(), "the newer snapshot was overwritten by an older one: "
                    + new String(room.snapshot(), StandardCharsets.UTF_8));
            assertArrayEquals(bytes("held@6"), room.held(), "the held operations belong to the snapshot they were written with");
            assertEquals(6, room.lastSeq());
            assertEquals(0, room.updates().size());
        }
    }

    @Test
    void aCompactionClaimingEntriesThatWereNeverWrittenIsSkipped() throws Exception {
        try (RoomStore store = openStore()) {
            long key = store.open("r").key();
            await(store.append(key, bytes("u1")));
            await(store.append(key, bytes("u2")));
            await(store.compact(key, 5, bytes("too far"), null));
            StoredRoom room = store.open("r");
            assertNull(room.snapshot(), "a snapshot claiming entries 3..5 was stored");
            assertEquals(2, room.updates().size());
            // The numbers the claim named are still given out, in order.
            assertEquals(3L, await(store.append(key, bytes("u3"))));
        }
    }

    @Test
    void heldOperationsAreStoredWithTheSnapshotAndCountInTheRoomsSize() throws Exception {
        try (RoomStore store = openStore()) {
            long key = store.open("r").key();
            long seq = await(store.append(key, bytes("u1")));
            await(store.compact(key, seq, bytes("snap"), bytes("held!")));
            await(store.append(key, bytes("u2")));
        }
        try (RoomStore store = openStore()) {
            StoredRoom room = store.open("r");
            assertArrayEquals(bytes("held!"), room.held());
            assertEquals(1, room.updates().size());
            assertEquals(4 + 5 + 2, room.storedBytes(), "snapshot + held + log");
            // Nothing held any more: the next compaction clears the column.
            await(store.compact(room.key(), 2, bytes("snap2"), null));
        }
        try (RoomStore store = openStore()) {
            StoredRoom room = store.open("r");
            assertNull(room.held());
            assertEquals(5, room.storedBytes());
        }
    }

    @Test
    void aReplicaIsBoundOnceAndOnlyItsOwnerRenamesIt() throws Exception {
        try (RoomStore store = openStore()) {
            long key = store.open("r").key();
            await(store.bindReplica(key, 42, new ReplicaOwner("user:ann", "ann", "Ann")));
            await(store.bindReplica(key, 42, new ReplicaOwner("user:ann", "ann", "Ann B.")));
            await(store.bindReplica(key, 42, new ReplicaOwner("user:mallory", "mallory", "Mallory")));
            await(store.bindReplica(key, 7, new ReplicaOwner("secret:00ff", null, "guest")));
        }
        try (RoomStore store = openStore()) {
            StoredRoom room = store.open("r");
            assertEquals(new ReplicaOwner("user:ann", "ann", "Ann B."), room.owners().get(42L));
            assertEquals(new ReplicaOwner("secret:00ff", null, "guest"), room.owners().get(7L));
            assertEquals(2, room.owners().size());
        }
    }

    @Test
    void deletingARoomRemovesEverythingOfItAndNothingElse() throws Exception {
        try (RoomStore store = openStore()) {
            long key = store.open("gone").key();
            await(store.append(key, bytes("u1")));
            await(store.bindReplica(key, 1, new ReplicaOwner("user:a", "a", "A")));
            long kept = store.open("kept").key();
            await(store.append(kept, bytes("stays")));
            assertNull(store.read("never"), "read must not create a room");
            List<String> names = store.list().stream().map(RoomSummary::name).toList();
            assertEquals(List.of("gone", "kept"), names);
            assertEquals(5, store.list().get(1).storedBytes());
            assertTrue(store.list().get(1).lastActivity() > 0, "the last change is recorded");
            assertTrue(await(store.delete("gone")));
            assertFalse(await(store.delete("gone")));
            assertNull(store.read("gone"));
            assertTrue(store.totalBytes() > 0);
        }
        try (RoomStore store = openStore()) {
            StoredRoom again = store.open("gone");
            assertEquals(0, again.updates().size());
            assertEquals(0, again.owners().size());
            assertEquals(0, again.lastSeq());
            assertEquals(1L, await(store.append(again.key(), bytes("fresh"))));
            assertArrayEquals(bytes("stays"), store.open("kept").updates().get(0));
        }
    }

    @Test
    void roomNamesAndOwnerNamesWithQuotesAndSemicolonsAreOnlyNames() throws Exception {
        String evil = "x'); DROP TABLE rooms; --\"; DELETE FROM updates WHERE '1'='1";
        try (RoomStore store = openStore()) {
            long innocent = store.open("innocent").key();
            await(store.append(innocent, bytes("safe")));
            long key = store.open(evil).key();
            await(store.append(key, bytes("evil data ' ; --")));
            await(store.bindReplica(key, 9, new ReplicaOwner("user:'; DROP TABLE replica_owners; --", "o'brien", "Robert'); DROP TABLE rooms;--")));
        }
        try (RoomStore store = openStore()) {
            StoredRoom room = store.read(evil);
            assertNotNull(room, "the room with quotes in its name was not found by that name");
            assertArrayEquals(bytes("evil data ' ; --"), room.updates().get(0));
            assertEquals("Robert'); DROP TABLE rooms;--", room.owners().get(9L).name());
            assertArrayEquals(bytes("safe"), store.read("innocent").updates().get(0));
            assertTrue(store.list().stream().anyMatch(s -> s.name().equals(evil)));
            assertTrue(await(store.delete(evil)));
            assertNotNull(store.read("innocent"));
        }
    }

    @Test
    void writesAfterCloseFailAndFlushCoversEverythingBeforeIt() throws Exception {
        RoomStore store = openStore();
        long key = store.open("r").key();
        List<java.util.concurrent.CompletableFuture<Long>> pending = new java.util.ArrayList<>();
        for (int i = 0; i < 50; i++) pending.add(store.append(key, bytes("u" + i)));
        await(store.flush());
        for (var f : pending) assertTrue(f.isDone() && !f.isCompletedExceptionally(), "flush completed before an earlier write");
        store.close();
        java.util.concurrent.ExecutionException e = org.junit.jupiter.api.Assertions.assertThrows(java.util.concurrent.ExecutionException.class,
                () -> store.append(key, bytes("late")).get(10, TimeUnit.SECONDS));
        assertTrue(e.getCause() instanceof StoreException, e.toString());
        try (RoomStore again = openStore()) {
            assertEquals(50, again.open("r").updates().size());
        }
    }

    @Test
    void aCompactionQueuedWhenItsAppendCompletesDuringCloseIsStillStored() throws Exception {
        RoomStore store = openStore();
        long key = store.open("r").key();
        // What a room does: its compaction waits for the number of its last append.
        CompletableFuture<Void> compacted = store.append(key, bytes("u1")).thenCompose(seq -> store.compact(key, seq, bytes("snap"), null));
        store.close();
        await(compacted);
        try (RoomStore again = openStore()) {
            StoredRoom room = again.open("r");
            assertArrayEquals(bytes("snap"), room.snapshot());
            assertEquals(0, room.updates().size());
        }
    }
}
