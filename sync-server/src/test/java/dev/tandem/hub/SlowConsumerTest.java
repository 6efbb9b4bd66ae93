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
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A peer that stops reading is cut off once its outbound queue overflows; the room carries on. */
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class SlowConsumerTest {
    @TempDir
    Path dir;

    @Test
    void slowConsumerIsCutOffWhileTheRoomCarriesOn() throws Exception {
        // A long idle timeout, so the only way out for the silent peer is the queue bound.
        try (Hub hub = Hub.start(TestHubs.config(dir).withOutboundQueue(32 * 1024, 1000).withRateLimit(1000, 1000, 64L << 20)
                .withTimeouts(java.time.Duration.ofSeconds(120), java.time.Duration.ofSeconds(30), java.time.Duration.ofSeconds(3)))) {
            hub.setAcceptedSendBufferSize(4096);
            AtomicReference<List<Peer>> peersOfA = new AtomicReference<>(List.of());
            SyncListener listener = new SyncListener() {
                @Override
                public void onPeers(List<Peer> peers) {
                    peersOfA.set(peers);
                }
            };
            // A client that never reads: no automatic demand, and a tiny receive window.
            ClientConnector connector = new ClientConnector();
            connector.setReceiveBufferSize(4096);
            WebSocketClient stalled = new WebSocketClient(new HttpClient(new org.eclipse.jetty.client.transport.HttpClientTransportOverHTTP(connector)));
            stalled.start();
            try (SyncClient a = client(hub, "busy", new dev.tandem.crdt.Doc(), listener); SyncClient b = client(hub, "busy")) {
                sync(a);
                sync(b);
                Session slow = stalled.connect(new NeverReads(), URI.create("ws://127.0.0.1:" + hub.port() + "/rooms/busy")).get(10, TimeUnit.SECONDS);
                Callback.Completable sent = new Callback.Completable();
                slow.sendText(RawClient.hello(0x51095, dev.tandem.crdt.Version.EMPTY), sent);
                sent.get(10, TimeUnit.SECONDS);
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

    /** Public for Jetty; demands nothing, so Jetty never reads from the socket after the upgrade. */
    public static final class NeverReads implements Session.Listener {
    }
}
