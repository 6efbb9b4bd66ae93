package dev.tandem.hub;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import dev.tandem.crdt.Doc;
import dev.tandem.protocol.Frames;
import dev.tandem.protocol.Message;
import dev.tandem.sync.SyncClient;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Random;
import java.util.concurrent.TimeUnit;

import static dev.tandem.hub.TestHubs.client;
import static dev.tandem.hub.TestHubs.sync;
import static dev.tandem.hub.TestHubs.text;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The room-count and room-size bounds refuse with their errors and keep serving what they hold. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class LimitsTest {
    @TempDir
    Path dir;

    @Test
    void roomsBeyondTheLoadedMaximumAreRefusedUntilOneUnloads() throws Exception {
        HubConfig config = TestHubs.config(dir).withRoomLimits(2, 64L << 20)
                .withTimeouts(Duration.ofSeconds(15), Duration.ofMillis(200), Duration.ofSeconds(3));
        try (Hub hub = Hub.start(config)) {
            try (SyncClient a = client(hub, "one"); SyncClient b = client(hub, "two")) {
                sync(a);
                sync(b);
                try (RawClient c = RawClient.connect(hub.port(), "three")) {
                    c.text(RawClient.hello(0x33, dev.tandem.crdt.Version.EMPTY));
                    Message.Error e = c.expectError("too_many_rooms", 1013);
                    assertTrue(e.retry());
                }
            }
            // Both rooms empty now: they unload after 200 ms and "three" fits.
            TestHubs.awaitTrue("rooms unloaded", () -> hub.rooms().size() == 0);
            try (SyncClient c = client(hub, "three")) {
                sync(c);
            }
        }
    }

    @Test
    void aRoomAtItsMaximumSizeRefusesMoreAndKeepsWhatItHas() throws Exception {
        try (Hub hub = Hub.start(TestHubs.config(dir).withRoomLimits(10, 4096))) {
            try (SyncClient a = client(hub, "small")) {
                sync(a);
                a.edit(d -> d.insert(0, "fits")).get();
                a.flush().get(20, TimeUnit.SECONDS);
            }
            Random rnd = new Random(5);
            StringBuilder big = new StringBuilder();
            for (int i = 0; i < 8000; i++) big.append((char) ('a' + rnd.nextInt(26)));
            try (RawClient c = RawClient.joined(hub.port(), "small", 0x44)) {
                c.binary(Frames.push(1, new Doc(0x44).insert(0, big.toString()).encode()).array());
                c.expectError("room_full", 1008);
            }
            try (SyncClient reader = client(hub, "small")) {
                sync(reader);
                assertEquals("fits", text(reader));
            }
        }
    }

    @Test
    void aSilentConnectionLeavesThePeerListAfterTheIdleTimeout() throws Exception {
        HubConfig config = TestHubs.config(dir).withTimeouts(Duration.ofMillis(1500), Duration.ofSeconds(30), Duration.ofSeconds(3));
        try (Hub hub = Hub.start(config)) {
            java.util.concurrent.atomic.AtomicReference<java.util.List<dev.tandem.sync.Peer>> peers =
                    new java.util.concurrent.atomic.AtomicReference<>(java.util.List.of());
            // Remembered, not polled: the ghost may come and go (1.5 s) between two looks at the list.
            java.util.concurrent.atomic.AtomicBoolean sawGhost = new java.util.concurrent.atomic.AtomicBoolean();
            dev.tandem.sync.SyncListener listener = new dev.tandem.sync.SyncListener() {
                @Override
                public void onPeers(java.util.List<dev.tandem.sync.Peer> p) {
                    if (p.stream().anyMatch(peer -> peer.replicaId() == 0x6057)) sawGhost.set(true);
                    peers.set(p);
                }
            };
            // This client pings often enough to stay; the raw one sends nothing after hello.
            SyncClient a = SyncClient.start(dev.tandem.sync.SyncConfig.builder(TestHubs.uri(hub), "ghosts", new Doc())
                    .heartbeat(Duration.ofMillis(300), Duration.ofSeconds(3)).build(), listener);
            try (a; RawClient ghost = RawClient.joined(hub.port(), "ghosts", 0x6057)) {
                sync(a);
                TestHubs.awaitTrue("a saw the ghost", sawGhost::get);
                TestHubs.awaitTrue("the ghost is dropped", () -> peers.get().size() == 1);
                assertTrue(peers.get().get(0).self());
                a.edit(d -> d.insert(0, "still here")).get();
                a.flush().get(10, TimeUnit.SECONDS);
            }
        }
    }
}
