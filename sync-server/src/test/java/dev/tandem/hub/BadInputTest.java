package dev.tandem.hub;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import dev.tandem.crdt.Doc;
import dev.tandem.crdt.Update;
import dev.tandem.crdt.Version;
import dev.tandem.protocol.Frames;
import dev.tandem.protocol.Message;
import dev.tandem.protocol.Wire;
import dev.tandem.sync.SyncClient;

import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static dev.tandem.hub.TestHubs.awaitText;
import static dev.tandem.hub.TestHubs.client;
import static dev.tandem.hub.TestHubs.sync;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Every kind of bad input gets its error code and a close, nothing of it is stored, and two honest
 * clients in the same room keep editing and converging throughout.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class BadInputTest {
    @TempDir
    static Path dir;
    static Hub hub;
    static SyncClient alice;
    static SyncClient bob;
    static int round;

    @BeforeAll
    static void start() throws Exception {
        hub = Hub.start(TestHubs.config(dir).withMaxMessageBytes(64 * 1024).withRateLimit(50, 50, 1 << 20));
        alice = client(hub, "room");
        bob = client(hub, "room");
        sync(alice);
        sync(bob);
    }

    @AfterAll
    static void stop() {
        alice.close();
        bob.close();
        hub.close();
    }

    @BeforeEach
    void honestClientsWork() throws Exception {
        bystandersStillConverge();
    }

    @AfterEach
    void honestClientsStillWork() throws Exception {
        bystandersStillConverge();
    }

    /** Alice appends a line; Bob must see exactly Alice's lines (nothing from the bad client). */
    private static void bystandersStillConverge() throws Exception {
        String line = "line " + (round++) + "\n";
        alice.edit(d -> d.insert(d.length(), line)).get();
        alice.flush().get(20, TimeUnit.SECONDS);
        StringBuilder expected = new StringBuilder();
        for (int i = 0; i < round; i++) expected.append("line ").append(i).append('\n');
        awaitText(bob, expected.toString());
    }

    @Test
    void malformedJson() throws Exception {
        try (RawClient c = RawClient.connect(hub.port(), "room")) {
            c.text("{\"type\": \"hello\", ");
            c.expectError("bad_json", 1007);
        }
    }

    @Test
    void unknownMessageType() throws Exception {
        try (RawClient c = RawClient.connect(hub.port(), "room")) {
            c.text("{\"type\": \"frobnicate\"}");
            c.expectError("unknown_type", 1008);
        }
        try (RawClient c = RawClient.connect(hub.port(), "room")) {
            c.text("{\"no\": \"type\"}");
            c.expectError("unknown_type", 1008);
        }
    }

    @Test
    void messagesBeforeHelloAndSecondHello() throws Exception {
        try (RawClient c = RawClient.connect(hub.port(), "room")) {
            c.binary(Frames.push(1, new Doc().insert(0, "x").encode()).array());
            c.expectError("bad_message", 1008);
        }
        try (RawClient c = RawClient.connect(hub.port(), "room")) {
            c.text(Wire.write(new Message.Presence(null, null, true, "active")));
            c.expectError("bad_message", 1008);
        }
        try (RawClient c = RawClient.joined(hub.port(), "room", 0x1111)) {
            c.text(RawClient.hello(0x1111, Version.EMPTY));
            c.expectError("bad_message", 1008);
        }
    }

    @Test
    void invalidHelloFields() throws Exception {
        String[] bad = {
            "{\"type\":\"hello\",\"protocol\":2,\"replica\":\"xyz\",\"user\":{\"name\":\"a\",\"color\":\"#000000\"},\"version\":\"VgEA\"}",
            "{\"type\":\"hello\",\"protocol\":2,\"replica\":\"00000000000000aa\",\"user\":{\"name\":\"a\",\"color\":\"red\"},\"version\":\"VgEA\"}",
            "{\"type\":\"hello\",\"protocol\":2,\"replica\":\"00000000000000aa\",\"user\":{\"name\":\"\",\"color\":\"#000000\"},\"version\":\"VgEA\"}",
            "{\"type\":\"hello\",\"protocol\":2,\"replica\":\"00000000000000aa\",\"user\":{\"name\":\"a\",\"color\":\"#000000\"},\"version\":\"!!!\"}",
            "{\"type\":\"hello\",\"protocol\":2,\"replica\":\"00000000000000aa\",\"user\":{\"name\":\"a\",\"color\":\"#000000\"},\"version\":\"AAAA\"}",
            "{\"type\":\"hello\",\"replica\":\"00000000000000aa\",\"user\":{\"name\":\"a\",\"color\":\"#000000\"},\"version\":\"VgEA\"}",
        };
        for (String hello : bad) {
            try (RawClient c = RawClient.connect(hub.port(), "room")) {
                c.text(hello);
                c.expectError("bad_message", 1008);
            }
        }
    }

    @Test
    void namesWithLineBreaksControlOrBidiCharactersAreRefused() throws Exception {
        for (String name : new String[] {"Mallory\n2026-01-01 INFO forged line", "evil\u202Eeman", "\u2066Bob\u2069", "bell\u0007", "x".repeat(65)}) {
            try (RawClient c = RawClient.connect(hub.port(), "room")) {
                c.text(Wire.write(new Message.Hello(Message.PROTOCOL, Wire.replica(0xbad), new Message.User(name, "#000000"), "VgEA", null, RawClient.secret(0xbad))));
                Message.Error e = c.expectError("bad_message", 1008);
                assertTrue(e.message().startsWith("user.name"), e.message());
                assertTrue(e.message().chars().noneMatch(ch -> ch < 0x20 || ch == 0x202e || ch == 0x2066), "quoted: " + e.message());
            }
        }
    }

    @Test
    void unsupportedProtocolVersionNamesTheSupportedOnes() throws Exception {
        // 1: a peer of the first release, whose update bytes (format v1) this hub no longer
        // sends; 7: one from the future.
        for (int old : new int[] {1, 7}) {
            try (RawClient c = RawClient.connect(hub.port(), "room")) {
                c.text("{\"type\":\"hello\",\"protocol\":" + old + ",\"replica\":\"00000000000000aa\",\"user\":{\"name\":\"a\",\"color\":\"#000000\"},\"version\":\"VgEA\"}");
                Message.Error e = c.expectError("unsupported_version", 1002);
                assertEquals(List.of(2), e.supported());
                assertTrue(e.message().contains("protocol " + old) && e.message().contains("[2]"), e.message());
            }
        }
    }

    @Test
    void badRoomNames() throws Exception {
        for (String raw : new String[] {"%00", "x".repeat(65), "%C3%A9t%C3%A9", "-trailing%20", ".hidden", "semi%3Bcolon", "a%2Fb", "%2E%2E%2Fetc"}) {
            try (RawClient c = RawClient.connect(hub.port(), raw)) {
                c.expectError("bad_room", 1008);
            } catch (java.util.concurrent.ExecutionException e) {
                // Jetty itself refuses some ambiguous paths (encoded slashes) before routing: also a refusal.
                assertTrue(String.valueOf(e.getCause().getMessage()).matches(".*\\b40[04]\\b.*"), raw + ": " + e.getCause());
            }
        }
        // Dot segments are resolved by HTTP before routing and never name a room.
        for (String raw : new String[] {"..", "../etc"}) {
            java.util.concurrent.ExecutionException e = org.junit.jupiter.api.Assertions.assertThrows(
                    java.util.concurrent.ExecutionException.class, () -> RawClient.connect(hub.port(), raw).close());
            assertTrue(String.valueOf(e.getCause().getMessage()).matches(".*\\b40[04]\\b.*"), raw + ": " + e.getCause());
        }
    }

    @Test
    void updateThatDoesNotDecodeIsRefusedAndNotStored() throws Exception {
        try (RawClient c = RawClient.joined(hub.port(), "room", 0x2222)) {
            c.binary(Frames.push(1, new byte[] {1, 2, 3, 4, 5}).array());
            c.expectError("bad_update", 1008);
        }
        // Well-formed bytes that break a CRDT rule: a delete of characters nobody inserted is
        // held, but an insert reusing Alice's ids with other text must be refused.
        long aliceReplica = alice.version().get().replicas()[0];
        Doc forger = new Doc(aliceReplica);
        byte[] forged = forger.insert(0, "Z".repeat(3)).encode();
        try (RawClient c = RawClient.joined(hub.port(), "room", 0x3334)) {
            // The room holds Alice's first characters under those ids: other text is a forgery.
            // (Not a claim: the ids are not new, so only the text check can catch it.)
            c.binary(Frames.push(1, forged).array());
            Message.Error e = c.expectError("bad_update", 1008);
            assertTrue(!e.retry(), e.message());
        }
        try (RawClient c = RawClient.joined(hub.port(), "other-room", 0x3333)) {
            // In another room nobody wrote those ids, so the same bytes are accepted: the control case.
            c.binary(Frames.push(1, forged).array());
            c.expect(Message.Ack.class);
        }
        // honestClientsStillWork (after each test) checks Bob never saw the Zs.
    }

    @Test
    void updateClaimingAnotherLiveSessionsReplica() throws Exception {
        long aliceReplica = alice.version().get().replicas()[0];
        // New operations in Alice's name: her own state, continued by someone else.
        Doc forger = Doc.decode(alice.snapshot().get(), aliceReplica);
        try (RawClient c = RawClient.joined(hub.port(), "room", 0x4444)) {
            c.binary(Frames.push(1, forger.insert(0, "forged").encode()).array());
            Message.Error e = c.expectError("replica_claimed", 1008);
            // Alice's replica is bound to her (her secret): retrying cannot make it the forger's.
            assertTrue(!e.retry(), "retry");
        }
    }

    @Test
    void resendingOperationsTheRoomHoldsIsNotAClaim() throws Exception {
        // A reconnecting client may push back operations of live peers it already got from the
        // hub (a resend, or an echo of its catch-up): harmless, so accepted and acked.
        byte[] known = Doc.decode(alice.snapshot().get()).updatesSince(dev.tandem.crdt.Version.EMPTY).encode();
        try (RawClient c = RawClient.joined(hub.port(), "room", 0x4445)) {
            c.binary(Frames.push(1, known).array());
            c.expect(Message.Ack.class);
        }
    }

    @Test
    void pushOutOfOrder() throws Exception {
        try (RawClient c = RawClient.joined(hub.port(), "room", 0x5555)) {
            c.binary(Frames.push(2, new Doc().insert(0, "x").encode()).array());
            c.expectError("bad_message", 1008);
        }
        try (RawClient c = RawClient.joined(hub.port(), "room", 0x5556)) {
            c.binary(new byte[] {Frames.RELAY, 0, 0, 0, 1, 0});
            c.expectError("bad_message", 1008);
        }
    }

    @Test
    void oversizeFrameClosesWith1009() throws Exception {
        try (RawClient c = RawClient.joined(hub.port(), "room", 0x6666)) {
            // Random letters: the update format compresses, so repeated text would stay small.
            java.util.Random rnd = new java.util.Random(7);
            StringBuilder text = new StringBuilder();
            for (int i = 0; i < 150_000; i++) text.append((char) ('a' + rnd.nextInt(26)));
            byte[] big = new Doc().insert(0, text.toString()).encode();
            ByteBuffer frame = Frames.push(1, big);
            assertTrue(frame.remaining() > 64 * 1024, "frame is " + frame.remaining() + " bytes");
            c.binary(frame.array());
            RawClient.Closed closed = c.awaitClose();
            assertEquals(1009, closed.code(), closed.reason());
        }
    }

    @Test
    void floodingIsRateLimited(@TempDir Path own) throws Exception {
        // A hub of its own whose bucket (5) refills once in 100 s: 8 messages exceed it however
        // slowly this machine sends them.
        try (Hub strict = Hub.start(TestHubs.config(own).withRateLimit(0.01, 5, 1 << 20));
             RawClient c = RawClient.joined(strict.port(), "room", 0x7777)) {
            String presence = Wire.write(new Message.Presence(null, null, true, "active"));
            // Just over the burst, then stop: a client that keeps writing into a closed
            // connection gets a TCP reset, which can discard the error before it is read.
            try {
                // hello took 1 of the 5: the 5th presence is the first refused, and nothing follows it.
                for (int i = 0; i < 5; i++) c.text(presence);
            } catch (Exception closedUnderUs) {
                // The hub may close before all are written.
            }
            c.expectError("rate_limited", 1008);
        }
    }
}
