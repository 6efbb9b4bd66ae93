package dev.tandem.sync;

import dev.tandem.crdt.Doc;
import dev.tandem.hub.Hub;
import dev.tandem.hub.HubConfig;
import dev.tandem.hub.HubSecurity;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.net.ServerSocket;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.*;

/**
 * A client given several hubs moves to the next when its hub dies, and loses nothing. Real hubs
 * on loopback ports, each with its own store: a hub the client moves to has none of the room, so
 * everything it ends up holding was resent by the client.
 */
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class FailoverTest {
    @TempDir Path dir;
    private final List<AutoCloseable> open = new CopyOnWriteArrayList<>();

    @AfterEach
    void closeAll() throws Exception {
        for (int i = open.size() - 1; i >= 0; i--) open.get(i).close();
    }

    private Hub hub(String name, int port, HubSecurity security) throws Exception {
        Hub h = Hub.start(HubConfig.defaults(dir.resolve(name)).withPort(port).withSecurity(security.withAddressLimits(100_000, 1_000_000)));
        open.add(h);
        return h;
    }

    private Hub hub(String name) throws Exception {
        return hub(name, 0, HubSecurity.none());
    }

    private static URI uri(Hub h) {
        return URI.create("ws://127.0.0.1:" + h.port());
    }

    private static URI uri(int port) {
        return URI.create("ws://127.0.0.1:" + port);
    }

    /** A loopback port nothing listens on (connections to it are refused at once). */
    private static int deadPort() throws Exception {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    private SyncClient client(SyncConfig.Builder b, SyncListener listener) {
        SyncClient c = SyncClient.start(b.user("tester", "#336699").coalesce(Duration.ZERO).build(), listener);
        open.add(c);
        return c;
    }

    private SyncClient client(List<URI> hubs, SyncListener listener) {
        return client(SyncConfig.builder(hubs, "notes", new Doc()).firstHubFirst().backoff(Duration.ofMillis(50), Duration.ofMillis(400)), listener);
    }

    private static String text(SyncClient c) throws Exception {
        return c.text().get(10, TimeUnit.SECONDS);
    }

    private static void awaitText(SyncClient c, String expected) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        String last = null;
        while (System.nanoTime() < deadline) {
            last = text(c);
            if (expected.equals(last)) return;
            Thread.sleep(20);
        }
        fail("text never became \"" + expected + "\"; last seen \"" + last + "\"");
    }

    @Test
    void whenItsHubStops_theClientMovesToTheNext_andThatHubGetsEveryEditIncludingTheUnacked() throws Exception {
        Hub a = hub("a");
        Hub b = hub("b");
        List<SyncStatus> statuses = new CopyOnWriteArrayList<>();
        SyncClient c = client(List.of(uri(a), uri(b)), new SyncListener() {
            @Override public void onStatus(SyncStatus s) { statuses.add(s); }
        });
        c.synced().get(20, TimeUnit.SECONDS);
        assertEquals(uri(a), c.hub(), "firstHubFirst: the first address first");

        StringBuilder expected = new StringBuilder();
        for (int i = 0; i < 20; i++) {
            String line = "acked " + i + "\n";
            c.edit(d -> d.insert(d.length(), line));
            expected.append(line);
        }
        c.flush().get(20, TimeUnit.SECONDS);

        // Edits in flight as the hub goes away, and edits made while it is gone.
        List<CompletableFuture<Void>> flushes = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            String line = "in flight " + i + "\n";
            c.edit(d -> d.insert(d.length(), line));
            expected.append(line);
            flushes.add(c.flush());
        }
        a.close();
        for (int i = 0; i < 20; i++) {
            String line = "after " + i + "\n";
            c.edit(d -> d.insert(d.length(), line));
            expected.append(line);
            flushes.add(c.flush());
        }

        CompletableFuture.allOf(flushes.toArray(CompletableFuture[]::new)).get(30, TimeUnit.SECONDS);
        assertEquals(uri(b), c.hub());
        assertTrue(statuses.stream().anyMatch(s -> s.state() == SyncStatus.State.CONNECTED && uri(b).equals(s.hub())), "the status names the new hub");
        // The flush futures complete just before the status that follows the ack is reported.
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (statuses.get(statuses.size() - 1).unsentOps() != 0 && System.nanoTime() < deadline) Thread.sleep(10);
        assertEquals(0, statuses.get(statuses.size() - 1).unsentOps());
        assertEquals(expected.toString(), text(c));

        // B, which never saw the room before the move, now holds every edit: acked by A, in flight, and later.
        SyncClient reader = client(SyncConfig.builder(uri(b), "notes", new Doc()), null);
        reader.synced().get(20, TimeUnit.SECONDS);
        awaitText(reader, expected.toString());
    }

    @Test
    void aHubDownAtStart_isSkipped() throws Exception {
        int dead = deadPort();
        Hub b = hub("b");
        List<SyncStatus> statuses = new CopyOnWriteArrayList<>();
        SyncClient c = client(List.of(uri(dead), uri(b)), new SyncListener() {
            @Override public void onStatus(SyncStatus s) { statuses.add(s); }
        });
        c.synced().get(20, TimeUnit.SECONDS);
        assertEquals(uri(b), c.hub());
        assertTrue(statuses.stream().anyMatch(s -> s.lastError() != null && s.lastError().contains(":" + dead)),
                "the failed attempt is reported: " + statuses);
        c.edit(d -> d.insert(0, "hello"));
        c.flush().get(20, TimeUnit.SECONDS);
        SyncClient reader = client(SyncConfig.builder(uri(b), "notes", new Doc()), null);
        reader.synced().get(20, TimeUnit.SECONDS);
        awaitText(reader, "hello");
    }

    @Test
    void allHubsDown_editsWaitOffline_andGoToTheFirstHubThatComesBack() throws Exception {
        int first = deadPort();
        int second = deadPort();
        List<SyncStatus> statuses = new CopyOnWriteArrayList<>();
        SyncClient c = client(List.of(uri(first), uri(second)), new SyncListener() {
            @Override public void onStatus(SyncStatus s) { statuses.add(s); }
        });
        c.edit(d -> d.insert(0, "written offline"));
        CompletableFuture<Void> flushed = c.flush();
        Thread.sleep(1500);
        assertFalse(flushed.isDone());
        assertFalse(c.synced().isDone());
        SyncStatus now = statuses.get(statuses.size() - 1);
        assertEquals(SyncStatus.State.CONNECTING, now.state());
        assertTrue(now.retrying());
        assertTrue(now.unsentOps() > 0);
        // Both were tried, and not in a tight loop: 50..400 ms between attempts, growing per round of two.
        long attempts = statuses.stream().filter(s -> s.state() == SyncStatus.State.CONNECTING && s.nextRetryMillis() == 0).count();
        assertTrue(statuses.stream().anyMatch(s -> uri(first).equals(s.hub())) && statuses.stream().anyMatch(s -> uri(second).equals(s.hub())));
        assertTrue(attempts >= 3 && attempts <= 30, "attempts in 1.5 s: " + attempts);

        Hub back = hub("second", second, HubSecurity.none());
        flushed.get(30, TimeUnit.SECONDS);
        assertEquals(uri(second), c.hub());
        SyncClient reader = client(SyncConfig.builder(uri(back), "notes", new Doc()), null);
        reader.synced().get(20, TimeUnit.SECONDS);
        awaitText(reader, "written offline");
    }

    @Test
    void theBackoffGrowsOncePerRoundOfTheList_notPerAddress() throws Exception {
        List<URI> dead = List.of(uri(deadPort()), uri(deadPort()), uri(deadPort()));
        List<SyncStatus> waits = new CopyOnWriteArrayList<>();
        client(SyncConfig.builder(dead, "notes", new Doc()).firstHubFirst().backoff(Duration.ofMillis(100), Duration.ofSeconds(10)), new SyncListener() {
            @Override public void onStatus(SyncStatus s) {
                if (s.state() == SyncStatus.State.CONNECTING && s.nextRetryMillis() > 0) waits.add(s);
            }
        });
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (waits.size() < 7 && System.nanoTime() < deadline) Thread.sleep(20);
        assertTrue(waits.size() >= 7, "waits: " + waits);
        // Jitter keeps each delay within 50-100 % of 100 ms << round.
        for (int i = 0; i < 7; i++) {
            long cap = 100L << (i / 3);
            long delay = waits.get(i).nextRetryMillis();
            assertTrue(delay >= cap / 2 && delay <= cap, "wait " + i + " was " + delay + " ms, expected " + cap / 2 + ".." + cap);
            assertEquals(dead.get((i + 1) % 3), waits.get(i).hub(), "round robin: wait " + i + " is for the next address");
        }
    }

    @Test
    void aRefusalRetryingCannotFix_endsTheSession_insteadOfMovingOn() throws Exception {
        Hub tokens = hub("tokens", 0, HubSecurity.defaults()); // --auth token: no token, unauthorized
        Hub open = hub("open");
        List<SyncStatus> statuses = new CopyOnWriteArrayList<>();
        SyncClient c = client(List.of(uri(tokens), uri(open)), new SyncListener() {
            @Override public void onStatus(SyncStatus s) { statuses.add(s); }
        });
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while ((statuses.isEmpty() || statuses.get(statuses.size() - 1).retrying()) && System.nanoTime() < deadline) Thread.sleep(20);
        SyncStatus last = statuses.get(statuses.size() - 1);
        assertFalse(last.retrying(), "given up: " + last);
        assertEquals(SyncStatus.State.OFFLINE, last.state());
        assertTrue(last.lastError().startsWith("unauthorized"), last.lastError());
        Thread.sleep(500);
        assertFalse(c.synced().isDone(), "did not move on to the open hub");
        assertEquals(uri(tokens), c.hub());
        assertTrue(statuses.stream().noneMatch(s -> uri(open).equals(s.hub())), "never tried the open hub: " + statuses);
    }

    @Test
    void withoutFirstHubFirst_theStartIsSpreadOverTheList() {
        List<URI> hubs = List.of(uri(1), uri(2), uri(3), uri(4));
        java.util.Set<URI> starts = new java.util.HashSet<>();
        // The default Random, as every client has: missing one of 4 in 60 starts has odds of 1 in 10^7.
        for (int i = 0; i < 60 && starts.size() < hubs.size(); i++) {
            CompletableFuture<URI> start = new CompletableFuture<>();
            SyncClient c = SyncClient.start(SyncConfig.builder(hubs, "notes", new Doc()).build(), new SyncListener() {
                @Override public void onStatus(SyncStatus s) { start.complete(s.hub()); } // the first status: the first attempt
            });
            starts.add(start.join());
            c.close();
        }
        assertEquals(java.util.Set.copyOf(hubs), starts);
    }
}
