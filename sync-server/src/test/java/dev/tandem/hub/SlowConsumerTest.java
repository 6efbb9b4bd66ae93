package dev.tandem.hub;

import org.eclipse.jetty.client.HttpClient;
import org.eclipse.jetty.io.ClientConnector;
import org.eclipse.jetty.websocket.api.Callback;
import org.eclipse.jetty.websocket.api.Session;
import org.eclipse.jetty.websocket.client.WebSocketClient;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import dev.tandem.sync.Peer;
import dev.tandem.sync.SyncClient;
import dev.tandem.sync.SyncListener;

import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import static dev.tandem.hub.TestHubs.awaitSame;
import static dev.tandem.hub.TestHubs.awaitTrue;
import static dev.tandem.hub.TestHubs.client;
import static dev.tandem.hub.TestHubs.sync;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A peer that stops reading is cut off once its outbound queue overflows; the room carries on. */
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class SlowConsumerTest {
    @TempDir
    Path dir;

    @Test
    void slowConsumerIsCutOffWhileTheRoomCarriesOn() throws Exception {
        // A long idle timeout, so the only way out for the silent peer is the queue bound.
        try (Hub hub = Hub.start(TestHubs.config(dir).withMaxMessageBytes(256 * 1024).withOutboundQueue(512 * 1024, 1000).withRateLimit(1000, 1000, 64L << 20)
                .withTimeouts(java.time.Duration.ofSeconds(120), java.time.Duration.ofSeconds(30), java.time.Duration.ofSeconds(3)))) {
            hub.setAcceptedSendBufferSize(4096);
            AtomicReference<List<Peer>> peersOfA = new AtomicReference<>(List.of());
            SyncListener listener = new SyncListener() {
                @Override
                public void onPeers(List<Peer> peers) {
                    peersOfA.set(peers);

                }
            };
            // A client that stops reading: demand only while told to, and a tiny receive window.
            WebSocketClient stalled = tinyWindowClient(1 << 20);
            try (SyncClient a = client(hub, "busy", new dev.tandem.crdt.Doc(), listener); SyncClient b = client(hub, "busy")) {
                sync(a);
                sync(b);
                // Reads its welcome and catch-up, then nothing more.
                PausedReader.join(stalled, hub.port(), "busy", 0x51095);
                awaitTrue("a sees the slow peer", () -> peersOfA.get().size() == 3);

                // Write until the silent peer is cut off (bounded), then a little more.
                Random rnd = new Random(3);
                int chunks = 0;
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
                int after = -1;
                while (after != 0 && chunks < 400 && System.nanoTime() < deadline) {
                    StringBuilder chunk = new StringBuilder();
                    for (int k = 0; k < 16000; k++) chunk.append((char) ('a' + rnd.nextInt(26)));
                    String s = chunk.toString();
                    a.edit(d -> d.insert(d.length(), s)).get();
                    chunks++;
                    if (chunks % 10 == 0) {
                        a.flush().get(20, TimeUnit.SECONDS);
                        boolean gone = peersOfA.get().stream().noneMatch(p -> p.replicaId() == 0x51095);
                        if (gone && after < 0) after = 3;
                        else if (after > 0) after--;
                    }
                }
                a.flush().get(20, TimeUnit.SECONDS);
                awaitTrue("the slow peer was cut off and left", () -> peersOfA.get().stream().noneMatch(p -> p.replicaId() == 0x51095));
                int total = chunks;
                String text = awaitSame(a, b);
                assertTrue(text.length() == total * 16000, "b received everything: " + text.length());
                String metrics = java.net.http.HttpClient.newHttpClient().send(
                        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + hub.port() + "/metrics")).build(),
                        HttpResponse.BodyHandlers.ofString()).body();
                // b reads, but through the same tiny socket buffers it may fall behind a burst too and
                // be cut off; the SyncClient then reconnects and catches up, which awaitSame proved.
                double cut = metrics.lines().filter(l -> l.startsWith("tandem_slow_consumers_total "))
                        .mapToDouble(l -> Double.parseDouble(l.substring(l.indexOf(' ') + 1))).sum();
                assertTrue(cut >= 1, "slow consumers cut off: " + cut);
            } finally {
                stalled.stop();
            }
        }
    }

    @Test
    void aRelayAtTheMessageLimitReachesAPeerThatAlreadyHasDataQueued() throws Exception {
        // Default message and queue limits; only the rate limit is raised, for the two big pushes.
        HubConfig config = TestHubs.config(dir).withRateLimit(1000, 1000, 64L << 20);
        int limit = config.maxMessageBytes();
        try (Hub hub = Hub.start(config)) {
            hub.setAcceptedSendBufferSize(4096);
            WebSocketClient jetty = tinyWindowClient(2L * limit);
            try (RawClient pusher = RawClient.joined(hub.port(), "big", 0xb16)) {
                PausedReader reader = PausedReader.join(jetty, hub.port(), "big", 0x5ead);

                // The reader stops reading: a 1 MiB relay cannot pass the tiny socket buffers and
                // stays queued for it (it is queued before the pusher's ack is sent).
                dev.tandem.crdt.Doc doc = new dev.tandem.crdt.Doc(0xb16);
                byte[] first = doc.insert(0, randomText(new Random(1), 400_000)).encode();
                pusher.binary(dev.tandem.protocol.Frames.push(1, first).array());
                assertEquals(1, pusher.expect(dev.tandem.protocol.Message.Ack.class).seq());
                // Then a legitimate push as large as the hub accepts.
                byte[] atLimit = updateOfSize(doc, limit - dev.tandem.protocol.Frames.PUSH_HEADER);
                pusher.binary(dev.tandem.protocol.Frames.push(2, atLimit).array());
                assertEquals(2, pusher.expect(dev.tandem.protocol.Message.Ack.class).seq());

                reader.resume();
                byte[] relay1 = (byte[]) reader.take();
                byte[] relay2 = (byte[]) reader.take();
                assertEquals(first.length + 1, relay1.length);
                assertEquals(atLimit.length + 1, relay2.length, "the relay at the message limit arrived whole");
                assertTrue(reader.session.isOpen(), "the peer with queued data was not cut off");
            } finally {
                jetty.stop();
            }
        }
    }

    /** A WebSocket client with a 4 KiB TCP receive window, so what it does not read stays queued at the hub. */
    static WebSocketClient tinyWindowClient(long maxMessage) throws Exception {
        ClientConnector connector = new ClientConnector();
        connector.setReceiveBufferSize(4096);
        WebSocketClient client = new WebSocketClient(new HttpClient(new org.eclipse.jetty.client.transport.HttpClientTransportOverHTTP(connector)));
        client.setMaxBinaryMessageSize(maxMessage);
        client.start();
        return client;
    }

    /** Random CJK text: the update format compresses, and this barely compresses. */
    static String randomText(Random rnd, int chars) {
        StringBuilder b = new StringBuilder(chars);
        for (int i = 0; i < chars; i++) b.append((char) (0x4e00 + rnd.nextInt(0x5000)));
        return b.toString();
    }

    /** An update of {@code doc}'s replica whose encoding is {@code bytes} long, or a little under. */
    static byte[] updateOfSize(dev.tandem.crdt.Doc doc, int bytes) {
        Random rnd = new Random(2);
        int chars = bytes / 2;
        for (int attempt = 0; ; attempt++) {
            dev.tandem.crdt.Doc trial = dev.tandem.crdt.Doc.decode(doc.encode(), 0xb16);
            byte[] u = trial.insert(trial.length(), randomText(new Random(rnd.nextLong()), chars)).encode();
            if (u.length <= bytes && u.length > bytes - 4096) {
                doc.apply(dev.tandem.crdt.Update.decode(u));
                return u;
            }
            if (attempt > 20) throw new AssertionError("no update of " + bytes + " bytes: last was " + u.length);
            chars = (int) ((long) chars * (bytes - 2048) / u.length);
        }
    }

    /**
     * Public for Jetty. Reads its first {@code n} messages, then demands nothing until
     * {@link #resume}, so the hub's queue for it fills; events go to a queue the test takes from.
     */
    public static final class PausedReader implements Session.Listener {
        private final java.util.concurrent.BlockingQueue<Object> events = new java.util.concurrent.LinkedBlockingQueue<>();
        volatile Session session;
        /** Messages still to read before pausing; negative once resumed. Guarded by this. */
        private int before;
        private boolean paused;

        PausedReader(int n) {
            this.before = n;
        }

        /** Joins {@code room} as {@code replica}, reads the welcome and the catch-up, and pauses. */
        static PausedReader join(WebSocketClient client, int port, String room, long replica) throws Exception {
            PausedReader reader = new PausedReader(2);
            Session s = client.connect(reader, URI.create("ws://127.0.0.1:" + port + "/rooms/" + room)).get(10, TimeUnit.SECONDS);
            Callback.Completable sent = new Callback.Completable();
            s.sendText(RawClient.hello(replica, dev.tandem.crdt.Version.EMPTY), sent);
            sent.get(10, TimeUnit.SECONDS);
            assertTrue(reader.take() instanceof String, "welcome");
            assertTrue(reader.take() instanceof byte[], "catch-up");
            return reader;
        }

        @Override
        public synchronized void onWebSocketOpen(Session s) {
            session = s;
            s.demand();
        }

        @Override
        public void onWebSocketText(String message) {
            events.add(message);
            next();
        }

        @Override
        public void onWebSocketBinary(java.nio.ByteBuffer payload, Callback callback) {
            byte[] b = new byte[payload.remaining()];
            payload.get(b);
            callback.succeed();
            events.add(b);
            next();
        }

        @Override
        public void onWebSocketClose(int statusCode, String reason) {
            events.add("closed " + statusCode + " " + reason);
        }

        private synchronized void next() {
            if (before > 0 && --before == 0) paused = true;
            else session.demand();
        }

        synchronized void resume() {
            before = -1;
            if (paused) {
                paused = false;
                session.demand();
            }
        }

        Object take() throws InterruptedException {
            Object e = events.poll(30, TimeUnit.SECONDS);
            if (e == null) throw new AssertionError("nothing received within 30 s");
            if (e instanceof String str && str.startsWith("closed ")) throw new AssertionError("the hub cut the connection: " + str);
            return e;
        }
    }
}
