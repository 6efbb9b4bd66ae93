package dev.tandem.hub;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.opentest4j.AssertionFailedError;

import dev.tandem.crdt.Version;
import dev.tandem.protocol.Message;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * A room loads from the store off the room pool: loads stuck on a slow database (here held at
 * Room's "load" test hook) must not hold up joins to other rooms, and a join that waited for a
 * load is served, or refused, once the load ends.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class RoomLoadTest {
    @TempDir
    Path dir;

    @AfterEach
    void clearHook() {
        Room.faultHook = null;
    }

    @Test
    void loadsStuckOnTheStoreDoNotHoldUpJoinsToOtherRooms() throws Exception {
        // As many stuck loads as the room pool has threads: read on the pool, they would hold all of it.
        int stuck = Hub.ROOM_THREADS;
        CountDownLatch release = new CountDownLatch(1);
        AtomicInteger loading = new AtomicInteger();
        try (Hub hub = TestHubs.start(dir); RawClient early = RawClient.joined(hub.port(), "open", 0x10)) {
            List<RawClient> waiting = new ArrayList<>();
            try {
                Room.faultHook = (room, point) -> {
                    if (point.equals("load") && room.startsWith("slow-")) {
                        loading.incrementAndGet();
                        awaitQuietly(release);
                    }
                };
                for (int i = 0; i < stuck; i++) {
                    RawClient c = RawClient.connect(hub.port(), "slow-" + i);
                    waiting.add(c);
                    c.text(RawClient.hello(0x20 + i, Version.EMPTY));
                }
                // Read on the store readers, as many loads as they have threads are stuck at once.
                int stuckAtOnce = Math.min(stuck, RoomRegistry.STORE_READERS);
                TestHubs.awaitTrue(stuckAtOnce + " loads stuck", () -> loading.get() >= stuckAtOnce);

                joinsWithinTenSeconds(hub, "open", 0x11, stuck);
                if (stuck < RoomRegistry.STORE_READERS) {
                    // A store reader is free, so a room nobody holds up loads too.
                    joinsWithinTenSeconds(hub, "fresh", 0x12, stuck);
                }

                release.countDown();
                // The joins that waited for the stuck loads are served once they end.
                for (RawClient c : waiting) {
                    c.expect(Message.Welcome.class);
                    assertEquals(0x03, c.nextBinary()[0], "catch-up after the welcome");
                }
            } finally {
                release.countDown();
                waiting.forEach(RawClient::close);
            }
        }
    }

    @Test
    void aJoinThatWaitedForALoadThatFailsIsRefusedAsBefore() throws Exception {
        CountDownLatch entered = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        try (Hub hub = TestHubs.start(dir)) {
            try {
                Room.faultHook = (room, point) -> {
                    if (point.equals("load") && room.equals("doomed")) {
                        entered.countDown();
                        awaitQuietly(release);
                        throw new IllegalStateException("injected after a slow read");
                    }
                };
                try (RawClient first = RawClient.connect(hub.port(), "doomed");
                     RawClient second = RawClient.connect(hub.port(), "doomed")) {
                    first.text(RawClient.hello(0x30, Version.EMPTY));
                    assertTrue(entered.await(10, TimeUnit.SECONDS), "the load never started");
                    // Queued on the room while its load waits for the store.
                    second.text(RawClient.hello(0x31, Version.EMPTY));
                    release.countDown();
                    for (RawClient c : List.of(first, second)) {
                        Message.Error e = c.expectError("room_unavailable", 1011);
                        assertEquals("room \"doomed\" could not be loaded: injected after a slow read", e.message());
                        assertTrue(e.retry(), "a failed load is retryable");
                    }
                }
            } finally {
                release.countDown();
            }
            // The failed room leaves the registry: a later join loads it afresh (the client retries meanwhile).
            Room.faultHook = null;
            try (dev.tandem.sync.SyncClient again = TestHubs.client(hub, "doomed")) {
                TestHubs.sync(again);
            }
        }
    }

    /** Joins {@code room} as {@code replica}; RawClient gives up after 10 s without the welcome. */
    private static void joinsWithinTenSeconds(Hub hub, String room, long replica, int stuck) throws Exception {
        try {
            RawClient.joined(hub.port(), room, replica).close();
        } catch (AssertionFailedError e) {
            fail("a join to room \"" + room + "\" was not served while " + stuck + " other rooms' loads were stuck: " + e.getMessage(), e);
        }
    }

    private static void awaitQuietly(CountDownLatch latch) {
        try {
            if (!latch.await(30, TimeUnit.SECONDS)) throw new IllegalStateException("the test never released the load");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while holding a load", e);
        }
    }
}
