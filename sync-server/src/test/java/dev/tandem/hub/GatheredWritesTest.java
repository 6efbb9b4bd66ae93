package dev.tandem.hub;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import dev.tandem.crdt.Doc;
import dev.tandem.protocol.ErrorCode;
import dev.tandem.protocol.Frames;
import dev.tandem.protocol.Message;
import dev.tandem.protocol.Wire;

import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The Outbox's gathered writes, on a real hub and real sockets: what is queued for a connection
 * leaves in one write, in order, with only the last of several acks, within the queue bounds,
 * and before a close.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class GatheredWritesTest {
    @TempDir
    Path dir;

    // The hold's time bound is tested on its own; elsewhere a busy machine must not split a write.
    @BeforeEach
    void longHolds() {
        Outbox.maxHoldNanos = TimeUnit.SECONDS.toNanos(30);
    }

    @AfterEach
    void usualHolds() {
        Outbox.maxHoldNanos = Outbox.MAX_HOLD_NANOS;
    }

    @Test
    void messagesQueuedDuringAHoldLeaveInOneWriteInOrderWithOnlyTheLastAck() throws Exception {
        try (Hub hub = TestHubs.start(dir); RawClient reader = RawClient.joined(hub.port(), "gather", 0x61)) {
            HubConnection conn = onlyConnection(hub);
            List<byte[]> relays = relays(20);
            double writesBefore = counter(hub, "tandem_writes_total");
            double sentBefore = counter(hub, "tandem_messages_sent_total");
            Outbox.holdWrites(() -> {
                for (int i = 0; i < 10; i++) conn.send(ByteBuffer.wrap(relays.get(i)));
                conn.ack(5);
                conn.ack(6);
                for (int i = 10; i < 20; i++) conn.send(ByteBuffer.wrap(relays.get(i)));
                conn.ack(7);
                conn.send(Wire.write(new Message.Leave(Wire.replica(0x99))));
            });
            // Acks 5 and 6 are covered by ack 7 of the same write, which keeps its place.
            for (int i = 0; i < 20; i++) assertArrayEquals(relays.get(i), (byte[]) reader.next(), "relay " + i);
            assertEquals("{\"type\":\"ack\",\"seq\":7}", reader.next());
            assertInstanceOf(Message.Leave.class, Wire.read((String) reader.next()));
            assertEquals(1, counter(hub, "tandem_writes_total") - writesBefore, "one gathered write");
            assertEquals(24, counter(hub, "tandem_messages_sent_total") - sentBefore, "24 messages queued, the merged ack included");
        }
    }

    @Test
    void aLongHoldReleasesWhatItHoldsAfterAMillisecond() throws Exception {
        try (Hub hub = TestHubs.start(dir); RawClient reader = RawClient.joined(hub.port(), "long", 0x68)) {
            HubConnection conn = onlyConnection(hub);
            List<byte[]> relays = relays(3);
            List<Object> seenInsideTheHold = new ArrayList<>();
            Outbox.maxHoldNanos = Outbox.MAX_HOLD_NANOS;
            Outbox.holdWrites(() -> {
                conn.send(ByteBuffer.wrap(relays.get(0)));
                sleepMillis(5);
                // Queued 5 ms after the first: both leave now, not when the hold ends.
                conn.send(ByteBuffer.wrap(relays.get(1)));
                try {
                    seenInsideTheHold.add(reader.next());
                    seenInsideTheHold.add(reader.next());
                } catch (InterruptedException e) {
                    throw new AssertionError(e);
                }
                conn.send(ByteBuffer.wrap(relays.get(2)));
            });
            assertArrayEquals(relays.get(0), (byte[]) seenInsideTheHold.get(0));
            assertArrayEquals(relays.get(1), (byte[]) seenInsideTheHold.get(1));
            assertArrayEquals(relays.get(2), (byte[]) reader.next(), "the rest at the end of the hold");
        }
    }

    private static void sleepMillis(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            throw new AssertionError(e);
        }
    }

    @Test
    void anUnheldMessageToAnIdleConnectionIsWrittenAtOnce() throws Exception {
        try (Hub hub = TestHubs.start(dir); RawClient reader = RawClient.joined(hub.port(), "idle", 0x62)) {
            HubConnection conn = onlyConnection(hub);
            double writesBefore = counter(hub, "tandem_writes_total");
            byte[] relay = relays(1).get(0);
            conn.send(ByteBuffer.wrap(relay));
            assertArrayEquals(relay, (byte[]) reader.next());
            conn.ack(3);
            assertEquals("{\"type\":\"ack\",\"seq\":3}", reader.next());
            assertEquals(2, counter(hub, "tandem_writes_total") - writesBefore, "nothing waited for company");
        }
    }

    @Test
    void aHoldNeverOverflowsTheQueueBoundItWritesEarlierInstead() throws Exception {
        // A bound of 10 queued messages: a burst of 200 to a reading client must not cut it off.
        try (Hub hub = Hub.start(TestHubs.config(dir).withOutboundQueue(16L << 20, 10)); RawClient reader = RawClient.joined(hub.port(), "bound", 0x63)) {
            HubConnection conn = onlyConnection(hub);
            List<byte[]> relays = relays(200);
            double writesBefore = counter(hub, "tandem_writes_total");
            for (int burst = 0; burst < 20; burst++) {
                int from = burst * 10;
                Outbox.holdWrites(() -> {
                    for (int i = from; i < from + 10; i++) conn.send(ByteBuffer.wrap(relays.get(i)));
                });
                // Let the client drain between bursts, as a reading client does.
                for (int i = from; i < from + 10; i++) assertArrayEquals(relays.get(i), (byte[]) reader.next(), "relay " + i);
            }
            assertTrue(reader.isOpen(), "not cut off");
            assertEquals(0, counter(hub, "tandem_slow_consumers_total"));
            double writes = counter(hub, "tandem_writes_total") - writesBefore;
            assertTrue(writes >= 40 && writes < 200, "held at most 5 (half the bound) per write, yet gathered: " + writes + " writes");
        }
    }

    @Test
    void aCloseAfterQueuedMessagesDeliversThemFirst() throws Exception {
        try (Hub hub = TestHubs.start(dir); RawClient reader = RawClient.joined(hub.port(), "closing", 0x64)) {
            HubConnection conn = onlyConnection(hub);
            List<byte[]> relays = relays(5);
            Outbox.holdWrites(() -> {
                for (byte[] r : relays) conn.send(ByteBuffer.wrap(r));
                conn.fail(ErrorCode.SHUTTING_DOWN, "test stop");
                conn.send(ByteBuffer.wrap(relays.get(0)));
            });
            for (int i = 0; i < 5; i++) assertArrayEquals(relays.get(i), (byte[]) reader.next(), "relay " + i);
            Message.Error error = reader.expectError(ErrorCode.SHUTTING_DOWN.wire(), ErrorCode.SHUTTING_DOWN.closeCode());
            assertEquals("test stop", error.message());
        }
    }

    @Test
    void acksOfManyPushesArriveInOrderAndCoverTheLast() throws Exception {
        try (Hub hub = Hub.start(TestHubs.config(dir).withRateLimit(10_000, 10_000, 64L << 20));
             RawClient pusher = RawClient.joined(hub.port(), "acks", 0x65);
             RawClient reader = RawClient.joined(hub.port(), "acks", 0x66)) {
            Doc doc = new Doc(0x65);
            int pushes = 300;
            for (int seq = 1; seq <= pushes; seq++) {
                pusher.binary(Frames.push(seq, doc.insert(doc.length(), "x").encode()).array());
            }
            long last = 0;
            int acks = 0;
            while (last < pushes) {
                long seq = pusher.expect(Message.Ack.class).seq();
                assertTrue(seq > last, "acks in order: " + seq + " after " + last);
                last = seq;
                acks++;
            }
            assertEquals(pushes, last);
            assertTrue(acks <= pushes);
            Doc copy = new Doc(0x67);
            for (int i = 0; i < pushes; i++) {
                byte[] relay = reader.nextBinary();
                assertEquals(Frames.RELAY, relay[0]);
                copy.apply(dev.tandem.crdt.Update.decode(java.util.Arrays.copyOfRange(relay, 1, relay.length)));
            }
            assertEquals(doc.text(), copy.text(), "every relay arrived, in an order that applies");
        }
    }

    // ---- --write-linger ----

    @Test
    void aLingeringMessageWaitsForOthersAndTheyLeaveInOneWrite() throws Exception {
        try (Hub hub = Hub.start(TestHubs.config(dir).withWriteLinger(Duration.ofMillis(100)));
             RawClient reader = RawClient.joined(hub.port(), "linger", 0x69)) {
            HubConnection conn = onlyConnection(hub);
            List<byte[]> relays = relays(6);
            double writesBefore = counter(hub, "tandem_writes_total");
            long sent = System.nanoTime();
            conn.send(ByteBuffer.wrap(relays.get(0)));
            sleepMillis(20);
            for (int i = 1; i < 6; i++) conn.send(ByteBuffer.wrap(relays.get(i)));
            assertArrayEquals(relays.get(0), (byte[]) reader.next());
            long waited = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - sent);
            for (int i = 1; i < 6; i++) assertArrayEquals(relays.get(i), (byte[]) reader.next(), "relay " + i);
            assertTrue(waited >= 90, "the first waited for the linger: " + waited + " ms");
            assertEquals(1, counter(hub, "tandem_writes_total") - writesBefore, "the six messages shared one write");
        }
    }

    @Test
    void lingeringNeverOverflowsTheQueueBoundItWritesEarlierInstead() throws Exception {
        try (Hub hub = Hub.start(TestHubs.config(dir).withOutboundQueue(16L << 20, 10).withWriteLinger(Duration.ofMillis(100)));
             RawClient reader = RawClient.joined(hub.port(), "linger-bound", 0x6a)) {
            HubConnection conn = onlyConnection(hub);
            List<byte[]> relays = relays(200);
            for (int burst = 0; burst < 20; burst++) {
                int from = burst * 10;
                for (int i = from; i < from + 10; i++) conn.send(ByteBuffer.wrap(relays.get(i)));
                for (int i = from; i < from + 10; i++) assertArrayEquals(relays.get(i), (byte[]) reader.next(), "relay " + i);
                // The linger thread may still be completing the write the client has read: only
                // then is the queue empty again, which is what a reading client ensures over time.
                TestHubs.awaitTrue("the write completed", () -> conn.queuedMessages() == 0);
            }
            assertTrue(reader.isOpen(), "not cut off");
            assertEquals(0, counter(hub, "tandem_slow_consumers_total"));
        }
    }

    @Test
    void aHubStoppingWhileMessagesLingerDeliversThemFirst() throws Exception {
        Hub hub = Hub.start(TestHubs.config(dir).withWriteLinger(Duration.ofMillis(100)));
        try (RawClient reader = RawClient.joined(hub.port(), "linger-stop", 0x6b)) {
            HubConnection conn = onlyConnection(hub);
            List<byte[]> relays = relays(5);
            for (byte[] r : relays) conn.send(ByteBuffer.wrap(r));
            hub.close();
            for (int i = 0; i < 5; i++) assertArrayEquals(relays.get(i), (byte[]) reader.next(), "relay " + i);
            reader.expectError(ErrorCode.SHUTTING_DOWN.wire(), ErrorCode.SHUTTING_DOWN.closeCode());
        } finally {
            hub.close();
        }
    }

    @Test
    void manyPushesThroughALingerConvergeInFewerWrites() throws Exception {
        try (Hub hub = Hub.start(TestHubs.config(dir).withRateLimit(10_000, 10_000, 64L << 20).withWriteLinger(Duration.ofMillis(20)));
             RawClient pusher = RawClient.joined(hub.port(), "linger-many", 0x6c);
             RawClient reader = RawClient.joined(hub.port(), "linger-many", 0x6d)) {
            double writesBefore = counter(hub, "tandem_writes_total");
            double sentBefore = counter(hub, "tandem_messages_sent_total");
            Doc doc = new Doc(0x6c);
            int pushes = 300;
            for (int seq = 1; seq <= pushes; seq++) {
                pusher.binary(Frames.push(seq, doc.insert(doc.length(), "x").encode()).array());
            }
            long last = 0;
            while (last < pushes) {
                long seq = pusher.expect(Message.Ack.class).seq();
                assertTrue(seq > last, "acks in order: " + seq + " after " + last);
                last = seq;
            }
            Doc copy = new Doc(0x6e);
            for (int i = 0; i < pushes; i++) {
                byte[] relay = reader.nextBinary();
                copy.apply(dev.tandem.crdt.Update.decode(java.util.Arrays.copyOfRange(relay, 1, relay.length)));
            }
            assertEquals(doc.text(), copy.text(), "every relay arrived, in an order that applies");
            double perWrite = (counter(hub, "tandem_messages_sent_total") - sentBefore) / (counter(hub, "tandem_writes_total") - writesBefore);
            assertTrue(perWrite > 2, "messages per write: " + perWrite);
        }
    }

    /** The hub's one open connection, once its join has run. */
    private static HubConnection onlyConnection(Hub hub) throws InterruptedException {
        TestHubs.awaitTrue("one connection", () -> hub.connections().size() == 1);
        return hub.connections().iterator().next();
    }

    /** Distinct relay frames of a few bytes (the client does not decode them). */
    private static List<byte[]> relays(int n) {
        List<byte[]> out = new ArrayList<>();
        for (int i = 0; i < n; i++) out.add(new byte[] {Frames.RELAY, (byte) i, (byte) (i >> 8), 42});
        return out;
    }

    private static double counter(Hub hub, String name) {
        return hub.metrics().scrape().lines().filter(l -> l.startsWith(name + " ") || l.startsWith(name + "{"))
                .mapToDouble(l -> Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1))).sum();
    }
}
