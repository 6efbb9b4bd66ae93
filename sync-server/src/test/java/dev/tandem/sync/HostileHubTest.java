package dev.tandem.sync;

import dev.tandem.crdt.Doc;
import dev.tandem.crdt.Update;
import dev.tandem.crdt.Version;
import dev.tandem.protocol.Frames;
import dev.tandem.protocol.Message;
import dev.tandem.protocol.Wire;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.websocket.api.Callback;
import org.eclipse.jetty.websocket.api.Session;
import org.eclipse.jetty.websocket.server.WebSocketUpgradeHandler;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

import static org.junit.jupiter.api.Assertions.*;

/**
 * A hub that answers the handshake and then sends something no honest hub sends: a small Jetty
 * WebSocket server in the test, on a real loopback socket. The client must refuse it with a clear
 * error and keep its data (replica and offline copy), and never pass on peers whose colour
 * {@code Color.web} would reject or whose name carries line breaks or bidi overrides.
 */
class HostileHubTest {
    @TempDir Path dir;
    private Server server;
    private SyncClient client;

    @AfterEach
    void stop() throws Exception {
        if (client != null) client.close();
        if (server != null) server.stop();
    }

    /** Starts a fake hub: a correct welcome and catch-up, then {@code attack} on the session. */
    private URI fakeHub(Consumer<Session> attack) throws Exception {
        return fakeHub(List.of(), attack);
    }

    /** Starts a fake hub whose welcome lists the client itself and {@code peers}, then runs {@code attack}. */
    private URI fakeHub(List<Message.PeerInfo> peers, Consumer<Session> attack) throws Exception {
        server = new Server();
        ServerConnector connector = new ServerConnector(server, 1, 1);
        connector.setHost("127.0.0.1");
        connector.setPort(0);
        server.addConnector(connector);
        server.setHandler(WebSocketUpgradeHandler.from(server, container -> {
            container.setMaxBinaryMessageSize(1 << 20);
            container.addMapping("/rooms/*", (req, resp, cb) -> new FakeHubSocket(peers, attack));
        }));
        server.start();
        return URI.create("ws://127.0.0.1:" + connector.getLocalPort());
    }

    /** Every text message the fake hubs received. */
    static final List<String> RECEIVED = new CopyOnWriteArrayList<>();

    /** Public: Jetty calls listeners through method handles. */
    public static final class FakeHubSocket implements Session.Listener.AutoDemanding {
        private final List<Message.PeerInfo> peers;
        private final Consumer<Session> attack;
        private Session session;

        FakeHubSocket(List<Message.PeerInfo> peers, Consumer<Session> attack) {
            this.peers = peers;
            this.attack = attack;
        }

        @Override public void onWebSocketOpen(Session s) {
            session = s;
        }

        @Override public void onWebSocketText(String text) {
            RECEIVED.add(text);
            if (!(Wire.read(text) instanceof Message.Hello hello)) return; // presence and the like: ignored
            List<Message.PeerInfo> all = new ArrayList<>();
            all.add(peer(hello.replica(), "me", "#010203"));
            all.addAll(peers);
            session.sendText(Wire.write(new Message.Welcome(Message.PROTOCOL, "notes", Wire.version(Version.EMPTY), all,
                    new Message.Limits(8 << 20, 15_000), null)), Callback.NOOP);
            session.sendBinary(Frames.withKind(Frames.CATCH_UP, Update.empty().encode()), Callback.NOOP);
            attack.accept(session);
        }
    }

    private SyncConfig.Builder config(URI hub, Doc doc, Path file) {
        return SyncConfig.builder(hub, "notes", doc).localStore(LocalStore.file(file))
                .backoff(Duration.ofMillis(200), Duration.ofSeconds(2));
    }

    /** A room copy on disk, and the client's replica loaded from it. */
    private Doc savedCopy(Path file) throws Exception {
        Doc doc = new Doc();
        doc.insert(0, "kept safe");
        LocalStore.file(file).save(doc.encode());
        Files.setLastModifiedTime(file, FileTime.fromMillis(1_000_000_000_000L));
        return Doc.decode(Files.readAllBytes(file));
    }

    private SyncStatus awaitError(List<SyncStatus> statuses, String what) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (System.nanoTime() < deadline) {
            for (SyncStatus s : statuses) {
                if (s.lastError() != null && s.lastError().contains(what)) return s;
            }
            Thread.sleep(10);
        }
        fail("timed out waiting for an error containing \"" + what + "\"; last status: " + statuses.get(statuses.size() - 1));
        return null;
    }

    private void assertKept(Path file, byte[] bytes) throws Exception {
        assertEquals("kept safe", client.text().get(10, TimeUnit.SECONDS), "the replica is untouched");
        assertArrayEquals(bytes, Files.readAllBytes(file), "the offline copy is untouched");
        assertEquals(1_000_000_000_000L, Files.getLastModifiedTime(file).toMillis(), "not even rewritten");
    }

    private List<SyncStatus> statuses() {
        return new CopyOnWriteArrayList<>();
    }

    private static SyncListener recording(List<SyncStatus> statuses) {
        return new SyncListener() {
            @Override public void onStatus(SyncStatus s) { statuses.add(s); }
        };
    }

    @Test
    void messageAboveTheLimit_isRefusedWithAClearError() throws Exception {
        URI hub = fakeHub(s -> s.sendBinary(ByteBuffer.allocate(200 * 1024).put(0, Frames.RELAY), Callback.NOOP));
        Path file = dir.resolve("notes.tandem");
        Doc doc = savedCopy(file);
        byte[] saved = Files.readAllBytes(file);
        List<SyncStatus> statuses = statuses();
        client = SyncClient.start(config(hub, doc, file).maxIncoming(64 * 1024, 1 << 20).build(), recording(statuses));
        SyncStatus s = awaitError(statuses, "larger than this client accepts");
        System.out.println("client reports: " + s.lastError());
        assertTrue(s.retrying(), "it keeps retrying, with backoff: " + s);
        assertKept(file, saved);
    }

    @Test
    void updateThatDecompressesAboveTheLimit_isRefusedWithAClearError() throws Exception {
        Doc big = new Doc();
        big.insert(0, "a".repeat(4 << 20)); // deflates to a few kilobytes
        byte[] bomb = big.updatesSince(Version.EMPTY).encode();
        assertTrue(bomb.length < 64 * 1024, "small on the wire: " + bomb.length);
        URI hub = fakeHub(s -> s.sendBinary(Frames.withKind(Frames.RELAY, bomb), Callback.NOOP));
        Path file = dir.resolve("notes.tandem");
        Doc doc = savedCopy(file);
        byte[] saved = Files.readAllBytes(file);
        List<SyncStatus> statuses = statuses();
        client = SyncClient.start(config(hub, doc, file).maxIncoming(64 * 1024, 1 << 20).build(), recording(statuses));
        System.out.println("client reports: " + awaitError(statuses, "exceeds the limit").lastError());
        assertKept(file, saved);
    }

    /** The default limit, not only a configured one: a message above 128 MiB, sent in 1 MiB frames. */
    @Test
    void defaultLimit_refusesAMessageAbove128MiB() throws Exception {
        ByteBuffer chunk = ByteBuffer.allocate(1 << 20);
        URI hub = fakeHub(s -> sendFragments(s, chunk, 129, 0));
        Path file = dir.resolve("notes.tandem");
        Doc doc = savedCopy(file);
        byte[] saved = Files.readAllBytes(file);
        List<SyncStatus> statuses = statuses();
        client = SyncClient.start(config(hub, doc, file).build(), recording(statuses));
        System.out.println("client reports: " + awaitError(statuses, "larger than this client accepts").lastError());
        assertKept(file, saved);
    }

    private static void sendFragments(Session s, ByteBuffer chunk, int count, int sent) {
        if (sent == count || !s.isOpen()) return;
        ByteBuffer b = chunk.duplicate();
        if (sent == 0) b.put(0, Frames.RELAY);
        s.sendPartialBinary(b, sent == count - 1, Callback.from(() -> sendFragments(s, chunk, count, sent + 1), e -> { }));
    }

    private static final Set<String> BAD = Set.of("0000000000000002", "0000000000000003", "0000000000000004",
            "0000000000000005", "0000000000000007", "0000000000000008");

    private static Message.PeerInfo peer(String replica, String name, String color) {
        return new Message.PeerInfo(replica, name, color, "active", false, null, null);
    }

    @Test
    void peersWithBadColoursOrNames_neverReachTheListener() throws Exception {
        List<Message.PeerInfo> welcomePeers = List.of(
                peer("0000000000000001", "Good", "#112233"),
                peer("0000000000000002", "Bad colour", "red"),
                peer("0000000000000003", "evil\u202Eeman", "#000000"),
                peer("0000000000000004", "two\nlines", "#000000"),
                peer("0000000000000005", "short colour", "#12345"));
        URI hub = fakeHub(welcomePeers, s -> {
            s.sendText(Wire.write(new Message.PeerChanged(peer("0000000000000007", "colour function", "rgb(1,2,3)"))), Callback.NOOP);
            s.sendText(Wire.write(new Message.PeerChanged(peer("0000000000000008", "\u2066isolate", "#abcdef"))), Callback.NOOP);
            s.sendText(Wire.write(new Message.PeerChanged(peer("0000000000000006", "Later", "#445566"))), Callback.NOOP);
        });
        List<List<Peer>> seen = new CopyOnWriteArrayList<>();
        client = SyncClient.start(SyncConfig.builder(hub, "notes", new Doc()).user("me", "#010203")
                .backoff(Duration.ofMillis(50), Duration.ofMillis(500)).build(), new SyncListener() {
                    @Override public void onPeers(List<Peer> peers) { seen.add(peers); }
                });
        client.synced().get(10, TimeUnit.SECONDS);
        // The fake hub sends peer 6 last: once it is seen, every earlier message was handled.
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (seen.stream().noneMatch(l -> l.stream().anyMatch(p -> p.replicaId() == 6))) {
            if (System.nanoTime() > deadline) fail("the last good peer never arrived: " + seen);
            Thread.sleep(10);
        }
        for (List<Peer> list : seen) {
            for (Peer p : list) {
                assertFalse(BAD.contains(Wire.replica(p.replicaId())), "a bad peer reached the listener: " + Wire.quote(p.name()) + " " + Wire.quote(p.color()));
                assertTrue(p.color().matches("#[0-9a-f]{6}"), "colour " + Wire.quote(p.color()));
            }
        }
        assertTrue(seen.get(seen.size() - 1).stream().anyMatch(p -> p.replicaId() == 1 && p.name().equals("Good")), "good peers are kept: " + seen);
    }

    /**
     * A hub from before named versions (its welcome has no namedVersions): the client says so
     * (onNamedVersions(null)) and sends no name_version, which such a hub would answer with
     * unknown_type and a close.
     */
    @Test
    void aHubWithoutNamedVersions_isNeverSentOne() throws Exception {
        RECEIVED.clear();
        URI hub = fakeHub(s -> { });
        List<Boolean> told = new CopyOnWriteArrayList<>();
        client = SyncClient.start(SyncConfig.builder(hub, "notes", new Doc()).user("me", "#010203").build(), new SyncListener() {
            @Override public void onNamedVersions(List<NamedVersion> versions) { told.add(versions == null); }
        });
        client.synced().get(10, TimeUnit.SECONDS);
        assertEquals(List.of(true), told, "the listener hears this hub keeps no named versions");
        var e = assertThrows(java.util.concurrent.ExecutionException.class,
                () -> client.nameVersion("Draft", Version.EMPTY).get(10, TimeUnit.SECONDS));
        assertTrue(e.getCause().getMessage().contains("does not keep named versions"), e.getCause().getMessage());
        client.flush().get(10, TimeUnit.SECONDS);
        assertTrue(RECEIVED.stream().noneMatch(t -> t.contains("name_version")), "nothing was sent: " + RECEIVED);
        // A name a hub would refuse is refused here, before anything is sent.
        assertThrows(IllegalArgumentException.class, () -> client.nameVersion("two\nlines", Version.EMPTY));
    }
}
