package dev.tandem.hub;

import org.junit.jupiter.api.Test;

import dev.tandem.hub.store.ReplicaOwner;
import dev.tandem.hub.store.StoredNamedVersion;
import dev.tandem.protocol.Message;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The messages between hubs: every kind round-trips; anything malformed is refused with a reason, never half-read. */
class BusMessageTest {
    private static final long HUB = 0x1234_5678_9abc_def0L;

    @Test
    void everyKindRoundTrips() {
        BusMessage update = BusMessage.decode(BusMessage.update(HUB, 42, new byte[] {1, 2, 3}).encode());
        assertEquals(BusMessage.Kind.UPDATE, update.kind());
        assertEquals(HUB, update.hub());
        assertEquals(42, update.seq());
        assertArrayEquals(new byte[] {1, 2, 3}, update.body());

        Message.PeerInfo peer = new Message.PeerInfo("00000000000000ff", "Ada", "#336699", "active", true, null, null);
        BusMessage p = BusMessage.decode(BusMessage.peer(HUB, peer).encode());
        assertEquals(peer, p.peerInfo());
        assertTrue(p.peerText().contains("\"type\":\"peer\""), p.peerText());

        BusMessage leave = BusMessage.decode(BusMessage.leave(HUB, 255).encode());
        assertEquals(255, leave.seq());

        ReplicaOwner owner = new ReplicaOwner("user:ada", "ada", "Ada");
        BusMessage o = BusMessage.decode(BusMessage.owner(HUB, 7, owner).encode());
        assertEquals(7, o.seq());
        assertEquals(owner, o.replicaOwner());

        StoredNamedVersion named = new StoredNamedVersion("draft 1", dev.tandem.crdt.Version.EMPTY.encode(), "Ada", 1_700_000_000_000L);
        StoredNamedVersion back = BusMessage.decode(BusMessage.named(HUB, named).encode()).namedVersion();
        assertEquals(named.name(), back.name());
        assertArrayEquals(named.version(), back.version());

        assertTrue(BusMessage.isFrom(BusMessage.leave(HUB, 1).encode(), HUB));
        assertTrue(!BusMessage.isFrom(BusMessage.leave(HUB, 1).encode(), HUB + 1));
        assertTrue(!BusMessage.isFrom(new byte[3], 0));
        for (BusMessage.Kind k : new BusMessage.Kind[] {BusMessage.Kind.HELLO, BusMessage.Kind.DELETED, BusMessage.Kind.HEARTBEAT, BusMessage.Kind.BYE}) {
            assertEquals(k, BusMessage.decode(BusMessage.signal(k, HUB).encode()).kind());
        }
    }

    @Test
    void malformedMessagesAreRefused() {
        byte[] good = BusMessage.update(HUB, 42, new byte[] {1, 2, 3}).encode();
        refused("shorter than its header", new byte[0]);
        refused("shorter than its header", Arrays.copyOf(good, 5));
        byte[] otherFormat = good.clone();
        otherFormat[0] = 2;
        refused("format 2", otherFormat);
        byte[] unknownKind = good.clone();
        unknownKind[1] = 99;
        refused("unknown bus message kind 99", unknownKind);
        unknownKind[1] = -1;
        refused("unknown bus message kind -1", unknownKind);
        refused("truncated", Arrays.copyOf(good, 12));
        refused("without bytes", Arrays.copyOf(good, 18));
        refused("sequence number 0", BusMessage.update(HUB, 0, new byte[] {1}).encode());
        refused("unexpected bytes", withBody(BusMessage.Kind.HELLO, "x"));
        refused("does not parse", withBody(BusMessage.Kind.PEER, "{not json"));
        refused("not a peer message", withBody(BusMessage.Kind.PEER, "{\"type\":\"leave\",\"replica\":\"00000000000000ff\"}"));
        // A peer whose name would disguise itself in the sidebar is refused as a client's would be.
        refused("user.name", BusMessage.peer(HUB, new Message.PeerInfo("00000000000000ff", "Ada\u202e", "#336699", "active", false, null, null)).encode());
        refused("color", BusMessage.peer(HUB, new Message.PeerInfo("00000000000000ff", "Ada", "red", "active", false, null, null)).encode());
        refused("without owner", BusMessage.owner(HUB, 1, new ReplicaOwner("", null, "x")).encode());
        refused("does not parse", withNumber(BusMessage.Kind.OWNER, 1, "[]"));
        refused("named version", BusMessage.named(HUB, new StoredNamedVersion("bad\nname", new byte[0], "Ada", 1)).encode());
    }

    @Test
    void aBusNeedsAStoreEveryHubShares(@org.junit.jupiter.api.io.TempDir Path dir) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> HubConfig.defaults(dir).withBus("redis://127.0.0.1:6379"));
        assertTrue(e.getMessage().contains("--store postgresql"), e.getMessage());
    }

    @Test
    void aBusAddressThatIsNotRedisIsRefusedAndAPasswordNeverShown() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> RedisBus.connect("http://secret@127.0.0.1:1", null, null, java.time.Duration.ofSeconds(1), java.time.Duration.ofSeconds(1), 1024));
        assertTrue(e.getMessage().contains("redis://"), e.getMessage());
        assertEquals("redis://***@127.0.0.1:6379", RedisBus.redact("redis://:hunter2@127.0.0.1:6379"));
    }

    private static void refused(String reason, byte[] bytes) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> BusMessage.decode(bytes));
        assertTrue(e.getMessage().contains(reason), "expected \"" + reason + "\" in: " + e.getMessage());
    }

    private static byte[] withBody(BusMessage.Kind kind, String body) {
        byte[] b = body.getBytes(StandardCharsets.UTF_8);
        return ByteBuffer.allocate(10 + b.length).put(BusMessage.FORMAT).put((byte) kind.ordinal()).putLong(HUB).put(b).array();
    }

    private static byte[] withNumber(BusMessage.Kind kind, long n, String body) {
        byte[] b = body.getBytes(StandardCharsets.UTF_8);
        return ByteBuffer.allocate(18 + b.length).put(BusMessage.FORMAT).put((byte) kind.ordinal()).putLong(HUB).putLong(n).put(b).array();
    }
}
