package dev.tandem.hub;

import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import dev.tandem.crdt.Doc;
import dev.tandem.hub.store.PostgresRoomStore;
import dev.tandem.hub.store.PostgresServer;
import dev.tandem.hub.store.RedisServer;
import dev.tandem.hub.store.StoreLocation;
import dev.tandem.hub.store.StoredRoom;
import dev.tandem.sync.Peer;
import dev.tandem.sync.SyncClient;
import dev.tandem.sync.SyncListener;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

import static dev.tandem.hub.TestHubs.awaitSame;
import static dev.tandem.hub.TestHubs.awaitText;
import static dev.tandem.hub.TestHubs.awaitTrue;
import static dev.tandem.hub.TestHubs.client;
import static dev.tandem.hub.TestHubs.sync;
import static dev.tandem.hub.TestHubs.text;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Two real hubs serving the same rooms on one real PostgreSQL and one real Redis (loopback,
 * started by the test): clients on different hubs converge and see each other, and what the bus
 * loses (a dropped message, a Redis restart, a hub that goes silent) heals by itself.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class HubsOnBusTest {
    private static RedisServer redis;
    private static long savedGapWait;
    private static Duration savedTtl;
    private static Duration savedCheck;

    @TempDir
    Path dir;
    private final List<AutoCloseable> open = new ArrayList<>();

    @BeforeAll
    static void startRedis() throws Exception {
        redis = RedisServer.startOwn();
        savedGapWait = Room.gapWaitMillis;
        savedTtl = Hub.presenceTtl;
        savedCheck = Hub.storeCheckEvery;
        Room.gapWaitMillis = 300;
        Hub.presenceTtl = Duration.ofSeconds(2);
        Hub.storeCheckEvery = Duration.ofMillis(500);
    }

    @AfterAll
    static void stopRedis() {
        Room.gapWaitMillis = savedGapWait;
        Hub.presenceTtl = savedTtl;
        Hub.storeCheckEvery = savedCheck;
        if (redis != null) redis.close();
    }

    @AfterEach
    void closeAll() throws Exception {
        RedisBus.dropHook = null;
        for (int i = open.size() - 1; i >= 0; i--) open.get(i).close();
    }

    private <T extends AutoCloseable> T keep(T c) {
        open.add(c);
        return c;
    }

    private Hub hub(StoreLocation.Postgres db, String name, int compactEvery) throws Exception {
        return keep(Hub.start(TestHubs.config(dir.resolve(name)).withStore(db).withBus(redis.url()).withCompactEvery(compactEvery)));
    }

    private SyncClient client(Hub hub, String room, Doc doc, SyncListener listener) {
        return keep(TestHubs.client(hub, room, doc, listener));
    }

    /** Two hubs on one fresh database and the bus, each with a synced client of room "notes". */
    private record TwoHubs(StoreLocation.Postgres db, Hub a, Hub b, SyncClient onA, SyncClient onB) {}

    private TwoHubs twoHubs(String database, int compactEvery) throws Exception {
        StoreLocation.Postgres db = PostgresServer.shared().newDatabase(database);
        Hub a = hub(db, "a", compactEvery);
        Hub b = hub(db, "b", compactEvery);
        SyncClient onA = client(a, "notes", new Doc(), null);
        SyncClient onB = client(b, "notes", new Doc(), null);
        sync(onA);
        sync(onB);
        return new TwoHubs(db, a, b, onA, onB);
    }

    /** Collects the latest peer list a client was told. */
    private static final class Peers implements SyncListener {
        final AtomicReference<List<Peer>> last = new AtomicReference<>(List.of());

        @Override
        public void onPeers(List<Peer> peers) {
            last.set(peers);
        }

        boolean sees(long replica) {
            return last.get().stream().anyMatch(p -> p.replicaId() == replica && !p.self());
        }
    }

    @Test
    void clientsOfOneRoomOnTwoHubsConvergeAndSeeEachOther() throws Exception {
        StoreLocation.Postgres db = PostgresServer.shared().newDatabase("bus_two");
        // No check against the store in this test: what converges here came over the bus.
        Hub.storeCheckEvery = Duration.ofHours(1);
        Hub a;
        Hub b;
        try {
            a = hub(db, "a", 1000);
            b = hub(db, "b", 1000);
        } finally {
            Hub.storeCheckEvery = Duration.ofMillis(500);
        }
        Doc docA = new Doc();
        Doc docB = new Doc();
        Peers seenByA = new Peers();
        Peers seenByB = new Peers();
        SyncClient onA = client(a, "notes", docA, seenByA);
        sync(onA);
        SyncClient onB = client(b, "notes", docB, seenByB);
        sync(onB);
        onA.edit(d -> d.insert(0, "hello from A. ")).get();
        onB.edit(d -> d.insert(d.length(), "hello from B.")).get();
        String text = awaitSame(onA, onB);
        assertTrue(text.contains("hello from A. ") && text.contains("hello from B."), text);
        awaitTrue("the client on A sees the one on B", () -> seenByA.sees(docB.replicaId()));
        awaitTrue("the client on B sees the one on A", () -> seenByB.sees(docA.replicaId()));

        // A late joiner on either hub gets everything; leaving shows on the other hub.
        SyncClient late = client(a, "notes", new Doc(), null);
        sync(late);
        assertEquals(text, text(late));
        onB.close();
        awaitTrue("the client on A sees the one on B leave", () -> !seenByA.sees(docB.replicaId()));
    }

    @Test
    void anUpdateTheBusLostIsReadFromTheStore() throws Exception {
        TwoHubs two = twoHubs("bus_lost", 1000);
        AtomicInteger dropped = new AtomicInteger();
        // Lost with nothing after it: only the periodic check against the store can find it.
        RedisBus.dropHook = (channel, m) -> m.kind() == BusMessage.Kind.UPDATE && dropped.getAndIncrement() == 0;
        two.onA().edit(d -> d.insert(0, "lost on the bus")).get();
        two.onA().flush().get(20, TimeUnit.SECONDS);
        awaitText(two.onB(), "lost on the bus");
        assertEquals(1, dropped.get(), "exactly one update was published (and dropped)");

        // Lost with a later one behind it: the gap shows, and the room reads it.
        dropped.set(0);
        RedisBus.dropHook = (channel, m) -> m.kind() == BusMessage.Kind.UPDATE && dropped.getAndIncrement() == 0;
        two.onA().edit(d -> d.insert(d.length(), ", one")).get();
        two.onA().flush().get(20, TimeUnit.SECONDS);
        two.onA().edit(d -> d.insert(d.length(), ", two")).get();
        two.onA().flush().get(20, TimeUnit.SECONDS);
        awaitText(two.onB(), "lost on the bus, one, two");
    }

    @Test
    void typingThroughARedisRestartLosesNothing() throws Exception {
        TwoHubs two = twoHubs("bus_restart", 50);
        List<String> typed = new CopyOnWriteArrayList<>();
        for (int i = 0; i < 120; i++) {
            SyncClient who = i % 2 == 0 ? two.onA() : two.onB();
            String word = (i % 2 == 0 ? "a" : "b") + i + " ";
            who.edit(d -> d.insert(d.length(), word)).get();
            typed.add(word);
            if (i == 40) redis.kill();
            if (i == 80) redis.start();
            Thread.sleep(10);
        }
        two.onA().flush().get(30, TimeUnit.SECONDS);
        two.onB().flush().get(30, TimeUnit.SECONDS);
        long back = System.nanoTime();
        String text = awaitSame(two.onA(), two.onB());
        long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - back);
        for (String w : typed) assertTrue(text.contains(w), "missing " + w + " in " + text);
        assertTrue(ms < 15_000, "converged " + ms + " ms after the last acks");
        two.a().close();
        two.b().close();
        try (PostgresRoomStore store = PostgresRoomStore.open(two.db())) {
            StoredRoom stored = store.read("notes");
            String inStore = stored.decode().text();
            for (String w : typed) assertTrue(inStore.contains(w), "the store lacks " + w);
        }
    }

    @Test
    void peopleOnAHubNotHeardFromLeaveAndComeBackWhenItIsHeardAgain() throws Exception {
        StoreLocation.Postgres db = PostgresServer.shared().newDatabase("bus_ttl");
        Hub a = hub(db, "a", 1000);
        Hub b = hub(db, "b", 1000);
        Doc docB = new Doc();
        Peers seenByA = new Peers();
        SyncClient onA = client(a, "notes", new Doc(), seenByA);
        SyncClient onB = client(b, "notes", docB, null);
        sync(onA);
        sync(onB);
        awaitTrue("A's client sees B's", () -> seenByA.sees(docB.replicaId()));
        long silent = b.busId();
        // Hub B falls silent (a partition, or a crash: no goodbye), its edits too.
        RedisBus.dropHook = (channel, m) -> m.hub() == silent;
        long t0 = System.nanoTime();
        awaitTrue("A's client no longer sees B's", () -> !seenByA.sees(docB.replicaId()));
        long gone = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
        assertTrue(gone >= 1500, "left after " + gone + " ms, before the presence TTL of 2 s");
        onB.edit(d -> d.insert(0, "typed while B was cut off")).get();
        onB.flush().get(20, TimeUnit.SECONDS);
        // Heard again: its people come back, and what was lost is read from the store.
        RedisBus.dropHook = null;
        awaitTrue("A's client sees B's again", () -> seenByA.sees(docB.replicaId()));
        awaitText(onA, "typed while B was cut off");
    }

    @Test
    void twoHubsCompactingOneRoomLoseNothing() throws Exception {
        TwoHubs two = twoHubs("bus_compact", 3);
        List<String> typed = new ArrayList<>();
        for (int i = 0; i < 90; i++) {
            SyncClient who = i % 2 == 0 ? two.onA() : two.onB();
            String word = "w" + i + " ";
            typed.add(word);
            who.edit(d -> d.insert(d.length(), word)).get();
            if (i % 7 == 0) who.flush().get(20, TimeUnit.SECONDS);
        }
        two.onA().flush().get(20, TimeUnit.SECONDS);
        two.onB().flush().get(20, TimeUnit.SECONDS);
        String text = awaitSame(two.onA(), two.onB());
        for (String w : typed) assertTrue(text.contains(w), "missing " + w);
        two.a().close();
        two.b().close();
        try (PostgresRoomStore store = PostgresRoomStore.open(two.db())) {
            StoredRoom stored = store.read("notes");
            assertTrue(stored.snapshot() != null, "compacted at least once");
            assertEquals(text, stored.decode().text(), "the store holds what the clients converged on");
        }
    }

    @Test
    void garbageOnTheBusIsDroppedAndTheRoomGoesOn() throws Exception {
        TwoHubs two = twoHubs("bus_garbage", 1000);
        RedisClient raw = RedisClient.create(redis.url());
        try (StatefulRedisConnection<String, String> c = raw.connect()) {
            for (String junk : List.of("", "x", "\u0001\u0000junk", "\u0001\u0001" + "12345678" + "{\"type\":\"peer\"}", "\u0001\u0009" + "12345678")) {
                c.sync().publish(RedisBus.ROOM_PREFIX + "notes", junk);
            }
            c.sync().publish(RedisBus.HUBS, "not a heartbeat");
        } finally {
            raw.shutdown();
        }
        two.onA().edit(d -> d.insert(0, "still here")).get();
        awaitText(two.onB(), "still here");
    }

    @Test
    void aReplicaBoundOnOneHubIsRefusedToAnotherUserOnAnotherHubEvenIfTheBusLostTheBinding() throws Exception {
        StoreLocation.Postgres db = PostgresServer.shared().newDatabase("bus_owner");
        Hub a = hub(db, "a", 1000);
        Hub b = hub(db, "b", 1000);
        // Hub B has the room loaded before the victim arrives, and never hears of the binding.
        SyncClient onB = client(b, "notes", new Doc(), null);
        sync(onB);
        RedisBus.dropHook = (channel, m) -> m.kind() == BusMessage.Kind.OWNER;
        Doc victim = new Doc(OwnershipTest.VICTIM);
        try (RawClient v = OwnershipTest.join(a, "notes", OwnershipTest.VICTIM, null, "victim-secret-0123456789", victim)) {
            v.binary(dev.tandem.protocol.Frames.push(1, victim.insert(0, "mine").encode()).array());
            v.expect(dev.tandem.protocol.Message.Ack.class);
        }
        // The attacker, on hub B, says hello as the victim's replica.
        try (RawClient x = RawClient.connect(b.port(), "notes")) {
            x.text(OwnershipTest.hello(OwnershipTest.VICTIM, null, "attacker-secret-0123456789"));
            x.expectError("replica_claimed", 1008);
        }
        // And pushes new operations of it under its own replica id.
        Doc attacker = new Doc(OwnershipTest.ATTACKER);
        try (RawClient x = OwnershipTest.join(b, "notes", OwnershipTest.ATTACKER, null, "attacker-secret-0123456789", attacker)) {
            dev.tandem.crdt.Update forged = Doc.decode(attacker.encode(), OwnershipTest.VICTIM).insert(0, "forged ");
            x.binary(dev.tandem.protocol.Frames.push(1, forged.encode()).array());
            x.expectError("replica_claimed", 1008);
        }
        awaitText(onB, "mine");
    }
}
