package dev.tandem.hub.store;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.Timeout;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The store contract on a real PostgreSQL server, and what only a shared database has: several
 * stores (hubs) on one database, compactions that collide, the server restarting under writes.
 */
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class PostgresRoomStoreTest extends RoomStoreContract {
    private StoreLocation.Postgres db;

    @BeforeEach
    void database(TestInfo test) throws Exception {
        db = PostgresServer.shared().newDatabase(test.getTestMethod().orElseThrow().getName().substring(0, 20));
    }

    @Override
    RoomStore openStore() {
        return PostgresRoomStore.open(db);
    }

    private static List<String> texts(StoredRoom room) {
        return room.updates().stream().map(b -> new String(b, java.nio.charset.StandardCharsets.UTF_8)).toList();
    }

    @Test
    void twoHubsAppendingToOneRoomGetDistinctIncreasingNumbersAndLoseNothing() throws Exception {
        try (RoomStore a = openStore(); RoomStore b = openStore()) {
            long key = a.open("shared").key();
            assertEquals(key, b.open("shared").key(), "both hubs must name the room alike");
            List<CompletableFuture<Long>> fa = new ArrayList<>();
            List<CompletableFuture<Long>> fb = new ArrayList<>();
            for (int i = 0; i < 100; i++) {
                fa.add(a.append(key, bytes("a" + i)));
                fb.add(b.append(key, bytes("b" + i)));
            }
            java.util.Set<Long> seqs = new java.util.HashSet<>();
            long lastA = 0;
            long lastB = 0;
            for (int i = 0; i < 100; i++) {
                long sa = await(fa.get(i));
                long sb = await(fb.get(i));
                assertTrue(sa > lastA && sb > lastB, "a store's own entries are numbered in its order");
                lastA = sa;
                lastB = sb;
                seqs.add(sa);
                seqs.add(sb);
            }
            assertEquals(200, seqs.size(), "a sequence number was given out twice");
            StoredRoom room = a.open("shared");
            assertEquals(200, room.updates().size());
            assertEquals(200, room.lastSeq());
        }
    }

    /**
     * Two hubs' writers each commit batches that touch the same rooms in opposite orders: without
     * a common lock order their transactions deadlock, and PostgreSQL aborts one of them.
     */
    @Test
    void twoHubsAppendingToTheSameRoomsInOppositeOrdersNeverDeadlock() throws Exception {
        try (RoomStore a = openStore(); RoomStore b = openStore()) {
            int rooms = 12;
            long[] keys = new long[rooms];
            for (int r = 0; r < rooms; r++) keys[r] = a.open("room-" + r).key();
            List<CompletableFuture<Long>> all = new ArrayList<>();
            for (int round = 0; round < 150; round++) {
                for (int r = 0; r < rooms; r++) {
                    all.add(a.append(keys[r], bytes("a" + round + "/" + r)));
                    all.add(b.append(keys[rooms - 1 - r], bytes("b" + round + "/" + r)));
                }
            }
            for (CompletableFuture<Long> f : all) await(f);
            for (int r = 0; r < rooms; r++) assertEquals(300, a.open("room-" + r).updates().size(), "room " + r);
        }
    }

    @Test
    void twoHubsCompactingOneRoomAtOnce_oneWinsAndNothingIsLost() throws Exception {
        try (PostgresRoomStore a = PostgresRoomStore.open(db); PostgresRoomStore b = PostgresRoomStore.open(db)) {
            long key = a.open("r").key();
            for (int i = 1; i <= 4; i++) await(a.append(key, bytes("u" + i)));
            b.open("r");
            // Both hold entries 1..4 (a wrote them, b read them); both compact at once. a is
            // granted the lease and stalls before writing; b, meanwhile, is refused the lease.
            CountDownLatch aHoldsLease = new CountDownLatch(1);
            CountDownLatch release = new CountDownLatch(1);
            a.afterLeaseHook = () -> {
                aHoldsLease.countDown();
                try {
                    release.await(30, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            };
            CompletableFuture<Void> ca = a.compact(key, 4, bytes("a's snapshot"), null);
            assertTrue(aHoldsLease.await(30, TimeUnit.SECONDS));
            await(b.compact(key, 4, bytes("b's snapshot"), bytes("b's held")));
            // b's writes go on while a compacts: the log past the snapshot must survive.
            long five = await(b.append(key, bytes("u5")));
            release.countDown();
            await(ca);
            StoredRoom room = b.open("r");
            assertArrayEquals(bytes("a's snapshot"), room.snapshot(), "the lease holder's snapshot");
            assertNull(room.held(), "the held operations of the snapshot that lost were stored");
            assertEquals(List.of("u5"), texts(room));
            assertEquals(5, five);
            assertEquals(5, room.lastSeq());
        }
    }

    @Test
    void aCompactionWhoseLeaseExpiredIsFencedOffAndNeverOverwritesTheNewHoldersSnapshot() throws Exception {
        try (PostgresRoomStore slow = PostgresRoomStore.open(db, Duration.ofMillis(300), PostgresRoomStore.RETRY_FOR);
             PostgresRoomStore fast = PostgresRoomStore.open(db)) {
            long key = slow.open("r").key();
            for (int i = 1; i <= 3; i++) await(slow.append(key, bytes("u" + i)));
            fast.open("r");
            CountDownLatch slowHoldsLease = new CountDownLatch(1);
            CountDownLatch release = new CountDownLatch(1);
            slow.afterLeaseHook = () -> {
                slowHoldsLease.countDown();
                try {
                    release.await(30, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            };
            CompletableFuture<Void> stale = slow.compact(key, 2, bytes("stale@2"), null);
            assertTrue(slowHoldsLease.await(30, TimeUnit.SECONDS));
            // The slow hub stalls (a GC pause, say) past its lease; the other is then granted it.
            Thread.sleep(600);
            await(fast.compact(key, 3, bytes("fresh@3"), null));
            long four = await(fast.append(key, bytes("u4")));
            release.countDown();
            await(stale);
            StoredRoom room = fast.open("r");
            assertArrayEquals(bytes("fresh@3"), room.snapshot(), "a compaction with a superseded token overwrote the snapshot");
            assertEquals(List.of("u4"), texts(room));
            assertEquals(4, four);
            try (Connection c = PostgresServer.connect(db); Statement s = c.createStatement();
                 ResultSet rs = s.executeQuery("SELECT lease_token, lease_holder FROM rooms WHERE name = 'r'")) {
                assertTrue(rs.next());
                assertEquals(2, rs.getLong(1), "one grant each");
                assertNull(rs.getString(2), "the lease is released after the compaction");
            }
        }
    }

    @Test
    void aCompactionNeverDropsAnEntryAnotherHubWroteAfterThisOneReadTheRoom() throws Exception {
        try (RoomStore a = openStore(); RoomStore b = openStore()) {
            long key = a.open("r").key();
            await(a.append(key, bytes("u1")));
            b.open("r");
            // b writes entry 2; a's replica never saw it (no relay between hubs yet).
            long two = await(b.append(key, bytes("from b")));
            long three = await(a.append(key, bytes("u3")));
            assertEquals(2, two);
            await(a.compact(key, three, bytes("a's state without b's entry"), null));
            StoredRoom room = a.open("r");
            assertNull(room.snapshot(), "a snapshot that lacks entry 2 replaced it");
            assertEquals(List.of("u1", "from b", "u3"), texts(room));
            // Having read the room again, a holds entry 2 now: its next compaction proceeds.
            await(a.compact(key, three, bytes("a's full state"), null));
            room = b.open("r");
            assertArrayEquals(bytes("a's full state"), room.snapshot());
            assertEquals(0, room.updates().size());
        }
    }

    @Test
    void pushesWaitThroughAPostgresRestartAndNothingAckedIsLost() throws Exception {
        try (PostgresServer own = PostgresServer.startOwn()) {
            StoreLocation.Postgres location = own.newDatabase("restart");
            List<CompletableFuture<Long>> acked = new ArrayList<>();
            try (RoomStore store = PostgresRoomStore.open(location)) {
                long key = store.open("r").key();
                Thread writer = new Thread(() -> {
                    for (int i = 0; i < 400; i++) {
                        synchronized (acked) {
                            acked.add(store.append(key, bytes("u" + i)));
                        }
                        try {
                            Thread.sleep(5);
                        } catch (InterruptedException e) {
                            return;
                        }
                    }
                });
                writer.start();
                Thread.sleep(300);
                // A crash: no checkpoint, sessions cut; the server recovers from its WAL.
                own.stop(true);
                Thread.sleep(700);
                own.start();
                writer.join(60_000);
                int ok = 0;
                for (CompletableFuture<Long> f : acked) {
                    try {
                        f.get(60, TimeUnit.SECONDS);
                        ok++;
                    } catch (ExecutionException e) {
                        assertTrue(e.getCause() instanceof StoreException, "a failed write fails with StoreException: " + e.getCause());
                    }
                }
                assertEquals(400, ok, "writes failed although the server was back within the retry time");
                assertNull(store.writeFailure(), "the store still reports a failure after the server came back");
            }
            try (RoomStore store = PostgresRoomStore.open(location)) {
                StoredRoom room = store.open("r");
                java.util.Set<String> stored = new java.util.HashSet<>(texts(room));
                for (int i = 0; i < 400; i++) assertTrue(stored.contains("u" + i), "acked entry u" + i + " is lost");
                // A commit whose answer was lost with the connection may have been retried: a
                // duplicate is harmless (applying an update twice changes nothing), a gap is not.
                assertTrue(room.updates().size() >= 400);
            }
        }
    }

    @Test
    void whenPostgresStaysAwayWritesFailRetryablyAndTheRoomWorksAgainOnceItIsBack() throws Exception {
        try (PostgresServer own = PostgresServer.startOwn()) {
            StoreLocation.Postgres location = own.newDatabase("away");
            try (RoomStore store = PostgresRoomStore.open(location, Duration.ofSeconds(60), Duration.ofSeconds(2))) {
                long key = store.open("r").key();
                long other = store.open("other").key();
                await(store.append(key, bytes("before")));
                own.stop(false);
                ExecutionException e = assertThrows(ExecutionException.class, () -> store.append(key, bytes("lost")).get(30, TimeUnit.SECONDS));
                assertTrue(e.getCause() instanceof StoreException, e.toString());
                assertTrue(store.writeFailure() != null, "health checks must see the store cannot write");
                StoreException read = assertThrows(StoreException.class, () -> store.open("r"));
                assertTrue(read.getMessage().contains("cannot read room"), read.getMessage());
                own.start();
                // Other rooms write again once the pool has reconnected (under load its first
                // attempts may outlast the 2 s retry: such writes fail retryably, as designed).
                long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
                while (true) {
                    try {
                        store.append(other, bytes("fine")).get(30, TimeUnit.SECONDS);
                        break;
                    } catch (ExecutionException retryable) {
                        assertTrue(retryable.getCause() instanceof StoreException, retryable.toString());
                        if (System.nanoTime() > until) throw retryable;
                        store.open("other");
                    }
                }
                // The failed room is refused until reloaded.
                assertThrows(ExecutionException.class, () -> store.append(key, bytes("after, unloaded")).get(30, TimeUnit.SECONDS));
                StoredRoom reloaded = store.open("r");
                assertEquals(List.of("before"), texts(reloaded), "the write that failed must not be stored");
                await(store.append(key, bytes("after")));
                assertNull(store.writeFailure());
            }
        }
    }

    @Test
    void aDatabaseWithANewerSchemaIsRefusedAndTwoHubsStartingTogetherShareOneSchema() throws Exception {
        List<CompletableFuture<RoomStore>> starting = new ArrayList<>();
        for (int i = 0; i < 3; i++) starting.add(CompletableFuture.supplyAsync(() -> PostgresRoomStore.open(db)));
        for (var f : starting) f.get(60, TimeUnit.SECONDS).close();
        try (Connection c = PostgresServer.connect(db); Statement s = c.createStatement()) {
            try (ResultSet rs = s.executeQuery("SELECT count(*) FROM tandem_schema")) {
                rs.next();
                assertEquals(1, rs.getInt(1));
            }
            s.execute("INSERT INTO tandem_schema (version) VALUES (99)");
        }
        StoreException e = assertThrows(StoreException.class, () -> PostgresRoomStore.open(db));
        assertTrue(e.getMessage().contains("version 99"), e.getMessage());
    }

    @Test
    void anUnreachableDatabaseIsReportedAtStartWithTheDriversReasonAndNoPassword() throws Exception {
        int port;
        try (java.net.ServerSocket s = new java.net.ServerSocket(0)) {
            port = s.getLocalPort();
        }
        StoreLocation.Postgres nowhere = new StoreLocation.Postgres("127.0.0.1", port, "tandem", "hub", "s3cret");
        StoreException e = assertThrows(StoreException.class, () -> PostgresRoomStore.open(nowhere));
        assertTrue(e.getMessage().contains("127.0.0.1:" + port), e.getMessage());
        assertTrue(!e.getMessage().contains("s3cret"), e.getMessage());
    }
}
