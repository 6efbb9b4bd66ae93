package dev.tandem.sync;

import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.websocket.api.Callback;
import org.eclipse.jetty.websocket.api.Session;
import org.eclipse.jetty.websocket.server.WebSocketUpgradeHandler;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import dev.tandem.crdt.Doc;
import dev.tandem.crdt.Update;
import dev.tandem.crdt.Version;
import dev.tandem.protocol.Frames;
import dev.tandem.protocol.Message;
import dev.tandem.protocol.Wire;

import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * The client never trusts the hub: a fake hub (a real WebSocket server on loopback) sends peers
 * whose colour {@code Color.web} would reject or whose name carries line breaks or bidi
 * overrides, and the listener never sees them.
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class HostileHubTest {
    private static final Set<String> BAD = Set.of("0000000000000002", "0000000000000003", "0000000000000004",
            "0000000000000005", "0000000000000007", "0000000000000008");

    private static Message.PeerInfo peer(String replica, String name, String color) {
        return new Message.PeerInfo(replica, name, color, "active", false, null, null);
    }

    @Test
    void peersWithBadColoursOrNamesNeverReachTheListener() throws Exception {
        Server server = new Server();
        ServerConnector connector = new ServerConnector(server);
        connector.setHost("127.0.0.1");
        connector.setPort(0);
        server.addConnector(connector);
        server.setHandler(WebSocketUpgradeHandler.from(server, container -> container.addMapping("/rooms/*", (req, resp, cb) -> new FakeHub())));
        server.start();
        List<List<Peer>> seen = new CopyOnWriteArrayList<>();
        SyncListener listener = new SyncListener() {
            @Override
            public void onPeers(List<Peer> peers) {
                seen.add(peers);
            }
        };
        try (SyncClient client = SyncClient.start(SyncConfig.builder(URI.create("ws://127.0.0.1:" + connector.getLocalPort()), "room", new Doc())
                .user("me", "#010203").backoff(Duration.ofMillis(50), Duration.ofMillis(500)).build(), listener)) {
            client.synced().get(10, TimeUnit.SECONDS);
            // The fake hub sends peer 6 last: once it is seen, every earlier message was handled.
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (seen.stream().noneMatch(l -> l.stream().anyMatch(p -> p.replicaId() == 6))) {
                if (System.nanoTime() > deadline) fail("the last good peer never arrived: " + seen);
                Thread.sleep(10);
            }
            for (List<Peer> list : seen) {
                for (Peer p : list) {
                    assertTrue(!BAD.contains(Wire.replica(p.replicaId())), "a bad peer reached the listener: " + Wire.quote(p.name()) + " " + Wire.quote(p.color()));
                    assertTrue(p.color().matches("#[0-9a-f]{6}"), "colour " + Wire.quote(p.color()));
                }
            }
            assertTrue(seen.get(seen.size() - 1).stream().anyMatch(p -> p.replicaId() == 1 && p.name().equals("Good")), "good peers are kept: " + seen);
        } finally {
            server.stop();
        }
    }

    /** Public for Jetty. Answers hello with a welcome full of bad peers, then sends more of them. */
    public static final class FakeHub implements Session.Listener.AutoDemanding {
        private Session session;

        @Override
        public void onWebSocketOpen(Session s) {
            session = s;
        }

        @Override
        public void onWebSocketText(String text) {
            if (!(Wire.read(text) instanceof Message.Hello hello)) return;
            List<Message.PeerInfo> peers = List.of(
                    peer(hello.replica(), "me", "#010203"),
                    peer("0000000000000001", "Good", "#112233"),
                    peer("0000000000000002", "Bad colour", "red"),
                    peer("0000000000000003", "evil\u202Eeman", "#000000"),
                    peer("0000000000000004", "two\nlines", "#000000"),
                    peer("0000000000000005", "short colour", "#12345"));
            send(Wire.write(new Message.Welcome(1, "room", Wire.version(Version.EMPTY), peers, new Message.Limits(1 << 20, 15000))));
            session.sendBinary(Frames.withKind(Frames.CATCH_UP, Update.empty().encode()), Callback.NOOP);
            send(Wire.write(new Message.PeerChanged(peer("0000000000000007", "colour function", "rgb(1,2,3)"))));
            send(Wire.write(new Message.PeerChanged(peer("0000000000000008", "\u2066isolate", "#abcdef"))));
            send(Wire.write(new Message.PeerChanged(peer("0000000000000006", "Later", "#445566"))));
        }

        private void send(String text) {
            session.sendText(text, Callback.NOOP);
        }
    }
}
