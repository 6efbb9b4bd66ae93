package dev.tandem.chaos;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import dev.tandem.crdt.Doc;
import dev.tandem.hub.Grant;
import dev.tandem.hub.Tokens;
import dev.tandem.hub.store.PostgresRoomStore;
import dev.tandem.hub.store.PostgresServer;
import dev.tandem.hub.store.StoredRoom;
import dev.tandem.hub.store.TestServers;
import dev.tandem.hub.store.RedisServer;
import dev.tandem.hub.store.StoreLocation;
import dev.tandem.sync.Peer;
import dev.tandem.sync.SyncClient;
import dev.tandem.sync.SyncConfig;
import dev.tandem.sync.SyncListener;
import dev.tandem.sync.SyncStatus;

import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BooleanSupplier;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Three real hub processes serving one room on one real PostgreSQL and one real Redis, every one
 * compacting the room often (so compactions race), six clients spread over them, each knowing
 * all three addresses and typing the whole time, while faults hit the system in turn: a hub is
 * SIGKILLed (its clients move to the others), Redis is killed and restarted (everything it held
 * is lost), PostgreSQL crashes and restarts. At the end every word every client typed is in every
 * client, in each surviving hub and in the store; presence crossed hubs. Tokens signed with one
 * shared key work on every hub.
 */
class ScaleOutTest {
    private static final String ROOM = "scale";
    private static final int HUBS = 3;
    private static final int CLIENTS = 6;

    @TempDir
    Path dir;

    /** One round of the faults, inside {@code ./mvnw verify}. */
    @Test
    @Timeout(value = 6, unit = TimeUnit.MINUTES)
    void threeHubsLoseNoEditThroughAHubKillARedisRestartAndAPostgresRestart() throws Exception {
        run(1, Duration.ofSeconds(3));
    }

    /** The chaos suite's long run (-Plong): the same faults round after round for tandem.soak.minutes, each hub killed in turn. */
    @Test
    @org.junit.jupiter.api.Tag("long")
    @Timeout(value = 4, unit = TimeUnit.HOURS)
    void soak() throws Exception {
        int minutes = Integer.getInteger("tandem.soak.minutes", 10);
        Duration phase = Duration.ofSeconds(4);
        run(Math.max(1, (int) (minutes * 60 / (phase.toSeconds() * 5))), phase);
    }

    private void run(int rounds, Duration phase) throws Exception {
        long seed = Seeds.seed();
        System.out.println("ScaleOutTest seed " + seed + " (replay: -Dtandem.chaos.seed=" + seed + ")");
        Random random = new Random(seed);
        List<AutoCloseable> open = new ArrayList<>();
        try (PostgresServer pg = PostgresServer.startOwn(); RedisServer redis = RedisServer.startOwn()) {
            StoreLocation.Postgres db = pg.newDatabase("scale");
            String store = "postgresql://127.0.0.1:" + pg.port() + "/" + db.database() + "?user=" + db.user();
            // One key for all hubs: a token issued by any of them is good on every one.
            Path first = Files.createDirectories(dir.resolve("hub-0"));
            String readerToken = Tokens.issue(first, "reader", "reader", ROOM, Grant.Role.EDITOR, Duration.ofHours(1));
            List<HubProcess> hubs = new ArrayList<>();
            for (int h = 0; h < HUBS; h++) {
                Path data = Files.createDirectories(dir.resolve("hub-" + h));
                if (h > 0) Files.copy(first.resolve("token-hmac.key"), data.resolve("token-hmac.key"), StandardCopyOption.COPY_ATTRIBUTES); // as an admin would (docs/scale.md)
                HubProcess hub = new HubProcess(data, dir.resolve("hub-" + h + ".log"), TestServers.freePort(), List.of("--store", store, "--bus", redis.url(),
                        "--compact-every", "5", "--idle-timeout", "5s", "--max-joins-per-ip", "1000000"));
                open.add(hub);
                hubs.add(hub);
            }
            List<URI> addresses = new ArrayList<>();
            for (HubProcess hub : hubs) addresses.add(URI.create("ws://127.0.0.1:" + hub.start()));

            // Client i starts on hub i % 3 and knows the others.
            List<SyncClient> clients = new ArrayList<>();
            List<Doc> docs = new ArrayList<>();
            List<AtomicReference<List<Peer>>> seen = new ArrayList<>();
            List<AtomicReference<SyncStatus>> states = new ArrayList<>();
            for (int i = 0; i < CLIENTS; i++) {
                List<URI> mine = new ArrayList<>();
                for (int k = 0; k < HUBS; k++) mine.add(addresses.get((i + k) % HUBS));
                Doc doc = new Doc();
                AtomicReference<List<Peer>> peers = new AtomicReference<>(List.of());
                AtomicReference<SyncStatus> state = new AtomicReference<>();
                SyncClient c = SyncClient.start(SyncConfig.builder(mine, ROOM, doc).firstHubFirst()
                        .user("c" + i, "#3366" + (10 + i)).token(Tokens.issue(first, "user-" + i, "c" + i, ROOM, Grant.Role.EDITOR, Duration.ofHours(1)))
                        .coalesce(Duration.ofMillis(20)).backoff(Duration.ofMillis(100), Duration.ofSeconds(1)).connectTimeout(Duration.ofSeconds(3)).build(),
                        new SyncListener() {
                            @Override
                            public void onPeers(List<Peer> list) {
                                peers.set(list);
                            }

                            @Override
                            public void onStatus(SyncStatus status) {
                                state.set(status);
                            }
                        });
                open.add(c);
                clients.add(c);
                docs.add(doc);
                seen.add(peers);
                states.add(state);
            }
            for (SyncClient c : clients) c.synced().get(60, TimeUnit.SECONDS);
            // Presence crosses hubs: client 0 (hub 0) sees clients 1 (hub 1) and 2 (hub 2).
            await("client 0 sees the clients on the other hubs", 30, () -> sees(seen.get(0), docs.get(1)) && sees(seen.get(0), docs.get(2)));

            List<String> typed = new CopyOnWriteArrayList<>();
            AtomicBoolean typing = new AtomicBoolean(true);
            List<Thread> typists = new ArrayList<>();
            List<Throwable> errors = new CopyOnWriteArrayList<>();
            for (int i = 0; i < CLIENTS; i++) {
                SyncClient c = clients.get(i);
                int who = i;
                long clientSeed = random.nextLong();
                Thread t = new Thread(() -> {
                    Random r = new Random(clientSeed);
                    try {
                        for (int n = 0; typing.get(); n++) {
                            String word = "c" + who + "w" + n + " ";
                            c.edit(d -> d.insert(r.nextInt(d.length() + 1) == 0 ? 0 : d.length(), word)).get(10, TimeUnit.SECONDS);
                            typed.add(word);
                            Thread.sleep(20 + r.nextInt(40));
                        }
                    } catch (Throwable e) {
                        errors.add(e);
                    }
                }, "typist-" + i);
                t.start();
                typists.add(t);
            }

            long pause = phase.toMillis();
            for (int round = 0; round < rounds; round++) {
                int victim = (round + 1) % HUBS;
                Thread.sleep(pause);
                System.out.println("ScaleOutTest round " + round + ": SIGKILL hub " + victim);
                hubs.get(victim).kill();
                // Its clients move to the hubs that are left.
                URI dead = addresses.get(victim);
                await("every client is connected to a hub that is left", 60, () -> {
                    for (int i = 0; i < CLIENTS; i++) {
                        SyncStatus st = states.get(i).get();
                        if (st == null || st.state() != SyncStatus.State.CONNECTED || dead.equals(clients.get(i).hub())) return false;
                    }
                    return true;
                });
                Thread.sleep(pause);
                System.out.println("ScaleOutTest round " + round + ": Redis killed");
                redis.kill();
                Thread.sleep(pause / 2);
                redis.start();
                System.out.println("ScaleOutTest round " + round + ": Redis back");
                // Rooms converge within seconds of its return: a word typed on one hub reaches a client on another.
                String marker = "redis-back-" + round + " ";
                long back = System.nanoTime();
                SyncClient from = clients.get(0);
                // Every client may be on one hub by now: a reader on another live hub, synced first.
                URI other = addresses.stream().filter(a -> !a.equals(from.hub()) && !a.equals(dead)).findFirst().orElseThrow();
                try (SyncClient to = SyncClient.start(SyncConfig.builder(other, ROOM, new Doc()).user("reader", "#000000").token(readerToken).build(), null)) {
                    to.synced().get(30, TimeUnit.SECONDS);
                    from.edit(d -> d.insert(d.length(), marker)).get(10, TimeUnit.SECONDS);
                    typed.add(marker);
                    await("a word typed after Redis came back crosses hubs", 30, () -> textOf(to).contains(marker));
                    long crossed = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - back);
                    System.out.println("ScaleOutTest round " + round + ": a word crossed from " + from.hub() + " to " + other + " " + crossed
                            + " ms after Redis's return (a reader there synced first)");
                }
                Thread.sleep(pause);
                System.out.println("ScaleOutTest round " + round + ": PostgreSQL crashed");
                pg.stop(true);
                Thread.sleep(pause / 2);
                pg.start();
                System.out.println("ScaleOutTest round " + round + ": PostgreSQL back; hub " + victim + " restarted");
                hubs.get(victim).start();
                Thread.sleep(pause);
            }
            typing.set(false);
            for (Thread t : typists) t.join(30_000);
            assertEquals(List.of(), errors, "typists failed");

            for (SyncClient c : clients) c.flush().get(90, TimeUnit.SECONDS);
            // Every client holds every word: all acked, all relayed, across the surviving hubs.
            String text = awaitConverged(clients);
            for (String w : typed) assertTrue(text.contains(w), "missing " + w);
            System.out.println("ScaleOutTest: " + typed.size() + " words typed, all in every client (" + text.length() + " chars)");
            // Each hub, the restarted one too, serves the same text to a fresh client, with the shared-key token.
            for (int h = 0; h < HUBS; h++) {
                try (SyncClient reader = SyncClient.start(SyncConfig.builder(addresses.get(h), ROOM, new Doc()).user("reader", "#000000")
                        .token(readerToken).build(), null)) {
                    reader.synced().get(30, TimeUnit.SECONDS);
                    assertEquals(text, reader.text().get(10, TimeUnit.SECONDS), "hub " + h + " serves another text");
                }
            }
            // And the store holds it, as any hub would load it.
            try (PostgresRoomStore direct = PostgresRoomStore.open(db)) {
                StoredRoom stored = direct.read(ROOM);
                assertEquals(text, stored.decode().text(), "the store holds another text");
                System.out.println("ScaleOutTest: the store holds it: snapshot " + (stored.snapshot() == null ? 0 : stored.snapshot().length)
                        + " bytes and " + stored.updates().size() + " log entries");
            }
        } finally {
            for (int i = open.size() - 1; i >= 0; i--) {
                try {
                    open.get(i).close();
                } catch (Exception e) {
                    System.err.println("closing: " + e);
                }
            }
        }
    }

    private static String textOf(SyncClient c) {
        try {
            return c.text().get(10, TimeUnit.SECONDS);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private static boolean sees(AtomicReference<List<Peer>> peers, Doc other) {
        return peers.get().stream().anyMatch(p -> p.replicaId() == other.replicaId());
    }

    private static String awaitConverged(List<SyncClient> clients) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        List<String> texts = new ArrayList<>();
        while (System.nanoTime() < deadline) {
            texts.clear();
            for (SyncClient c : clients) texts.add(c.text().get(10, TimeUnit.SECONDS));
            if (texts.stream().distinct().count() == 1) return texts.get(0);
            Thread.sleep(100);
        }
        fail("clients did not converge in 60 s: lengths " + texts.stream().map(String::length).toList());
        return null;
    }

    private static void await(String what, int seconds, BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) fail("timed out waiting until " + what);
            Thread.sleep(50);
        }
    }
}
