package dev.tandem.hub;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import dev.tandem.crdt.Doc;
import dev.tandem.crdt.Version;
import dev.tandem.protocol.Frames;
import dev.tandem.protocol.Message;
import dev.tandem.sync.SyncClient;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.concurrent.TimeUnit;

import static dev.tandem.hub.TestHubs.client;
import static dev.tandem.hub.TestHubs.sync;
import static dev.tandem.hub.TestHubs.text;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * A room task that throws fails the room: its members are told (room_unavailable, retryable), its
 * in-memory replica is dropped, and the next join reloads only what is durable. Failures are
 * injected through Room's test hook, in the middle of real tasks.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class RoomFailureTest {
    @TempDir
    Path dir;

    @AfterEach
    void clearHook() {
        Room.faultHook = null;
    }

    @Test
    void aPushTaskThatThrowsAfterApplyingFailsTheRoomAndNothingOfItIsStoredOrRelayed() throws Exception {
        try (Hub hub = TestHubs.start(dir);
             RawClient pusher = RawClient.joined(hub.port(), "fragile", 0xa1);
             RawClient watcher = RawClient.joined(hub.port(), "fragile", 0xb2)) {
            Doc doc = new Doc(0xa1);
            pusher.binary(Frames.push(1, doc.insert(0, "durable").encode()).array());
            assertEquals(1, pusher.expect(Message.Ack.class).seq());
            assertEquals(Frames.RELAY, watcher.nextBinary()[0]);

            // The replica has applied the next push when its task fails, before storing or relaying it.
            Room.faultHook = (room, point) -> {
                if (room.equals("fragile") && point.equals("apply")) throw new IllegalStateException("injected failure after apply");
            };
            pusher.binary(Frames.push(2, doc.insert(7, " half-applied").encode()).array());
            assertTrue(pusher.expectError("room_unavailable", 1011).retry(), "the pusher may retry");
            // The watcher is told too, and never got the update (expectError fails on a binary frame first).
            assertNoRelayBefore(watcher, "room_unavailable", 1011);
            Room.faultHook = null;

            // The next join reloads the room from disk: only the acknowledged push is there.
            try (SyncClient reader = client(hub, "fragile")) {
                sync(reader);
                assertEquals("durable", text(reader));
            }
        }
        // And nothing of it was stored later (a compaction of the half-applied replica, say).
        try (Hub hub = TestHubs.start(dir); SyncClient reader = client(hub, "fragile")) {
            sync(reader);
            assertEquals("durable", text(reader));
        }
    }

    @Test
    void aLoadThatThrowsAnErrorRefusesTheJoinAndTheNextJoinLoadsTheRoom() throws Exception {
        try (Hub hub = TestHubs.start(dir); SyncClient writer = client(hub, "heavy")) {
            sync(writer);
            writer.edit(d -> d.insert(0, "kept")).get();
            writer.flush().get(20, TimeUnit.SECONDS);
        }
        try (Hub hub = TestHubs.start(dir)) {
            Room.faultHook = (room, point) -> {
                if (room.equals("heavy") && point.equals("load")) throw new OutOfMemoryError("injected while loading");
            };
            try (RawClient first = RawClient.connect(hub.port(), "heavy")) {
                first.text(RawClient.hello(0xc3, Version.EMPTY));
                Message.Error e = first.expectError("room_unavailable", 1011);
                assertTrue(e.retry(), "a failed load is retryable");
            }
            Room.faultHook = null;
            try (SyncClient reader = client(hub, "heavy")) {
                sync(reader);
                assertEquals("kept", text(reader));
            }
        }
    }

    /** Reads until the error arrives: a relay first means the failed push was delivered. */
    private static void assertNoRelayBefore(RawClient c, String code, int closeCode) throws InterruptedException {
        while (true) {
            Object e = c.next();
            if (e instanceof byte[] b) fail("a peer received a frame of kind " + b[0] + " from the failed push: " + Arrays.toString(Arrays.copyOf(b, 8)));
            if (e instanceof String s && dev.tandem.protocol.Wire.read(s) instanceof Message.Error err) {
                assertEquals(code, err.code(), err.message());
                assertTrue(err.retry());
                RawClient.Closed closed = c.awaitClose();
                assertEquals(closeCode, closed.code(), closed.reason());
                return;
            }
            if (e instanceof RawClient.Closed closed) fail("closed without an error: " + closed);
        }
    }
}
