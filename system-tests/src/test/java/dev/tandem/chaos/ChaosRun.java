package dev.tandem.chaos;

import dev.tandem.crdt.Doc;
import dev.tandem.crdt.Version;
import dev.tandem.hub.store.SqliteRoomStore;
import dev.tandem.hub.store.StoredRoom;
import dev.tandem.sync.SyncClient;
import dev.tandem.sync.SyncConfig;

import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

/**
 * One chaos run: a real hub process, {@code clients} headless users each behind its own
 * {@link ChaosProxy}, seeded random editing for {@code chaos} time while faults are injected, then
 * every fault healed and the whole system checked: everyone converged to the same text and
 * version, which is exactly what the {@link Ledger} says (nothing lost, nothing resurrected,
 * nothing forged), and the hub still has it all after one more SIGKILL.
 *
 * <p>Threads: the calling thread is the driver (edits, client faults, timers, checks); one
 * "hub-faults" thread kills and restarts the hub; one "garbage" thread runs the hostile client.
 */
final class ChaosRun {
    static final String ROOM = "chaos room";

    /** What to run. Equal settings and seed make the same choices (thread timing still varies). */
    record Settings(long seed, Duration chaos, int clients, int editsPerSecond, Duration faultEvery,
                    Duration hubFaultEvery, Duration garbageEvery, int maxLength, Duration convergeTimeout) {

        /** The run inside {@code ./mvnw verify}: a minute of dense faults, six clients, several hub kills. */
        static Settings shortRun(long seed) {
            return new Settings(seed, Duration.ofSeconds(60), 6, 30, Duration.ofMillis(600), Duration.ofSeconds(12),
                    Duration.ofSeconds(4), 3000, Duration.ofSeconds(60));
        }

        /** The soak: eight clients, a fault a second, the hub killed about every 35 s. */
        static Settings soak(long seed, Duration chaos) {
            return new Settings(seed, chaos, 8, 32, Duration.ofMillis(1000), Duration.ofSeconds(35),
                    Duration.ofSeconds(6), 4000, Duration.ofSeconds(120));
        }
    }

    private final Settings s;
    private final Path dir;
    private final FaultLog log = new FaultLog();
    private final Random rnd;
    private final Random hubRnd;
    private final Random garbageRnd;
    private final Ledger ledger = new Ledger();
    private final List<ChaosClient> clients = new ArrayList<>();
    private final List<ChaosProxy> proxies = new ArrayList<>();
    private final PriorityQueue<Timer> timers = new PriorityQueue<>();
    private final ExecutorService hubThread = Executors.newSingleThreadExecutor(r -> daemon(r, "chaos-hub-faults"));
    private final ExecutorService garbageThread = Executors.newSingleThreadExecutor(r -> daemon(r, "chaos-garbage"));
    private HubProcess hub;
    private GarbageClient garbage;
    private long timerSeq;
    private long convergeMillis = -1;
    private int hubStarts;

    private record Timer(long at, long seq, Runnable action) implements Comparable<Timer> {
        @Override
        public int compareTo(Timer o) {
            return at != o.at ? Long.compare(at, o.at) : Long.compare(seq, o.seq);
        }
    }

    ChaosRun(Settings settings, Path dir) {
        this.s = settings;
        this.dir = dir;
        this.rnd = new Random(settings.seed());
        this.hubRnd = new Random(settings.seed() * 31 + 7);
        this.garbageRnd = new Random(settings.seed() * 17 + 3);
    }

    FaultLog log() {
        return log;
    }

    /** Runs everything; returns the summary. Problems are in {@link #log()}. Always cleans up. */
    String run() throws Exception {
        System.out.println("[chaos] run directory " + dir + " (kept if the test fails)");
        System.out.println("[chaos] seed " + s.seed() + " (replay: -Dtandem.chaos.seed=" + s.seed() + "), " + s);
        long t0 = System.nanoTime();
        try {
            setUp();
            chaos();
            converge();
            if (log.problems().isEmpty()) finalChecks();
        } catch (Exception | Error e) {
            log.problem("run aborted: " + e);
            throw e;
        } finally {
            tearDown();
            String summary = summary((System.nanoTime() - t0) / 1e9);
            System.out.println(summary);
            if (!log.problems().isEmpty()) {
                System.out.println("[chaos] last events:\n  " + String.join("\n  ", log.lastEvents(60)));
            }
            Files.writeString(dir.resolve("summary.txt"), summary);
        }
        return summary((System.nanoTime() - t0) / 1e9);
    }

    // ------------------------------------------------------------------ phases

    private void setUp() throws Exception {
        Path data = Files.createDirectories(dir.resolve("hub-data"));
        hubData = data;
        // Tokens on (the hub's default): every client has its own user and token, as in a deployment.
        readerToken = token(data, "chaos-reader");
        hub = new HubProcess(data, dir.resolve("hub.log"),
                // Every client connects from 127.0.0.1 and reconnects after each fault.
                List.of("--idle-timeout", "5s", "--compact-every", "200", "--unload-after", "3s", "--max-joins-per-ip", "1000000"));
        startHub();
        garbage = new GarbageClient(log, token(data, "garbage"));
        for (int i = 0; i < s.clients(); i++) {
            ChaosProxy proxy = new ChaosProxy("c" + i, hub::port, log);
            proxies.add(proxy);
            long replica = rnd.nextLong() | 1;
            ChaosClient c = new ChaosClient(i, replica, proxy, dir.resolve("client-" + i + ".tandem"), ROOM, token(data, "chaos-user-" + i),
                    new Random(rnd.nextLong()), log);
            clients.add(c);
            c.start();
        }
        for (ChaosClient c : clients) c.sync.synced().get(30, TimeUnit.SECONDS);
    }

    private void chaos() throws Exception {
        long start = System.nanoTime();
        long end = start + s.chaos().toNanos();
        long tick = 1_000_000_000L / s.editsPerSecond();
        long nextFault = start + s.faultEvery().toNanos() / 2;
        long nextHub = start + s.hubFaultEvery().toNanos() / 2;
        long nextGarbage = start + s.garbageEvery().toNanos() / 3;
        List<String> faultCycle = new ArrayList<>();
        List<String> hubCycle = new ArrayList<>();
        List<GarbageClient.Kind> garbageCycle = new ArrayList<>();
        Future<?> hubJob = CompletableFuture.completedFuture(null);
        Future<?> garbageJob = CompletableFuture.completedFuture(null);
        long nextTick = start;
        while (System.nanoTime() < end) {
            runTimers(false);
            ChaosClient editor = clients.get(rnd.nextInt(clients.size()));
            try {
                editor.edit(ledger, s.maxLength());
            } catch (RuntimeException e) {
                log.problem(editor.name + "'s UI replica failed: " + e + "; its operations are in " + editor.dumpTrace()
                        + " (replay: TraceReplay)");
                throw e;
            }
            long now = System.nanoTime();
            if (now >= nextFault) {
                if (faultCycle.isEmpty()) faultCycle.addAll(shuffled(CLIENT_FAULTS));
                clientFault(faultCycle.remove(faultCycle.size() - 1));
                nextFault = now + jitter(s.faultEvery());
            }
            if (now >= nextHub && hubJob.isDone()) {
                check(hubJob);
                if (hubCycle.isEmpty()) hubCycle.addAll(shuffled(HUB_FAULTS));
                String kind = hubCycle.remove(hubCycle.size() - 1);
                hubJob = hubThread.submit(() -> {
                    hubFault(kind);
                    return null;
                });
                nextHub = now + jitter(s.hubFaultEvery());
            }
            if (now >= nextGarbage && garbageJob.isDone()) {
                check(garbageJob);
                if (garbageCycle.isEmpty()) garbageCycle.addAll(shuffled(Arrays.asList(GarbageClient.Kind.values())));
                GarbageClient.Kind kind = garbageCycle.remove(garbageCycle.size() - 1);
                garbageJob = garbageThread.submit(() -> {
                    if (!garbage.attack(kind, hub, ROOM, garbageRnd)) log.count("garbage attempts skipped (hub down)", 1);
                    return null;
                });
                nextGarbage = now + jitter(s.garbageEvery());
            }
            nextTick += tick;
            long sleep = nextTick - System.nanoTime();
            if (sleep > 0) Thread.sleep(sleep / 1_000_000, (int) (sleep % 1_000_000));
            else nextTick = System.nanoTime();
        }
        hubJob.get(120, TimeUnit.SECONDS);
        garbageJob.get(60, TimeUnit.SECONDS);
        check(hubJob);
        check(garbageJob);
        // How many hub faults fit into the window depends on how fast the hub restarts on this
        // box; every fault the run claims to cover is injected at least once, whatever the timing.
        if (log.faults("hub-sigkill-verified") == 0) {
            log.event("hub-sigkill-verified did not fit into the chaos window: injecting it now");
            hubFault("hub-sigkill-verified");
        }
        for (String kind : CLIENT_FAULTS) {
            // The cuts are logged when they fire (on traffic), the others when injected.
            if (log.faults(kind) == 0 && !kind.startsWith("cut-")) {
                log.event(kind + " did not fit into the chaos window: injecting it now");
                clientFault(kind);
            }
        }
    }

    /** Heals everything, then waits until the hub and every client hold exactly the ledger's document. */
    private void converge() throws Exception {
        runTimers(true);
        for (ChaosProxy p : proxies) p.healAll();
        if (!hub.alive()) startHub();
        for (ChaosClient c : clients) {
            c.reorderDelivery = false;
            c.goOnline();
        }
        Doc expected = ledger.expected();
        Version want = expected.version();
        long t0 = System.nanoTime();
        long deadline = t0 + s.convergeTimeout().toNanos();
        String why = "";
        while (true) {
            for (ChaosClient c : clients) c.deliver(true);
            Doc hubDoc = readHub();
            List<String> behind = new ArrayList<>();
            if (!hubDoc.version().equals(want)) behind.add("hub " + hubDoc.version());
            for (ChaosClient c : clients) {
                Version session = c.sessionVersion();
                if (!session.equals(want)) behind.add(c.name + " session " + session);
                if (!c.ui.version().equals(want)) behind.add(c.name + " ui " + c.ui.version());
            }
            if (behind.isEmpty()) break;
            why = String.join("; ", behind);
            if (System.nanoTime() > deadline) {
                log.problem("no convergence within " + s.convergeTimeout().toSeconds() + " s: expected " + want + "; " + why);
                return;
            }
            Thread.sleep(200);
        }
        convergeMillis = (System.nanoTime() - t0) / 1_000_000;
        log.event("converged after " + convergeMillis + " ms");

        // Everyone holds the expected version; the text must follow, everywhere.
        String text = expected.text();
        Doc hubDoc = readHub();
        if (!hubDoc.text().equals(text)) log.problem("hub text differs from the ledger's (" + hubDoc.length() + " vs " + text.length() + " chars)");
        for (ChaosClient c : clients) {
            if (!c.sessionText().equals(text)) log.problem(c.name + " session text differs");
            if (!c.ui.text().equals(text)) log.problem(c.name + " UI text differs");
        }
        for (String p : ledger.check(hubDoc, "hub")) log.problem(p);
        for (String p : ledger.check(clients.get(0).ui, clients.get(0).name)) log.problem(p);
        if (ledger.survivors() != text.length()) {
            log.problem("ledger says " + ledger.survivors() + " characters survive, text has " + text.length());
        }
        log.count("final text length", text.length());
    }

    /** Once converged: every edit is acknowledged; a SIGKILL now must lose nothing; `cat` must print it. */
    private void finalChecks() throws Exception {
        for (ChaosClient c : clients) c.sync.flush().get(30, TimeUnit.SECONDS);
        Doc expected = ledger.expected();
        for (ChaosProxy p : proxies) p.partition(false);
        hub.kill();
        log.fault("hub-sigkill", "final, after every client's flush completed");
        startHub();
        Doc after = readHub();
        if (!after.version().equals(expected.version()) || !after.text().equals(expected.text())) {
            log.problem("after the final SIGKILL the hub holds " + after.version() + ", expected " + expected.version());
        }
        String cat = cat();
        if (!cat.equals(expected.text())) log.problem("`tandem-hub cat` printed " + cat.length() + " chars, expected " + expected.length());
        for (ChaosProxy p : proxies) p.heal(false);
        log.count("final SIGKILL + restart kept every edit, `cat` printed the text", 1);
    }

    private void tearDown() {
        hubThread.shutdownNow();
        garbageThread.shutdownNow();
        for (ChaosClient c : clients) {
            try {
                c.close();
            } catch (RuntimeException e) {
                log.event("closing " + c.name + ": " + e);
            }
        }
        for (ChaosProxy p : proxies) p.close();
        if (hub != null) hub.close();
        try {
            hubThread.awaitTermination(30, TimeUnit.SECONDS);
            garbageThread.awaitTermination(30, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    // ------------------------------------------------------------------ faults

    static final List<String> CLIENT_FAULTS = List.of("cut-mid-message", "cut-in-handshake", "connection-reset",
            "partition-blackhole", "partition-refuse", "slow-client", "latency", "work-offline",
            "client-restart-offline", "reorder-delivery", "resubmit-own", "resubmit-foreign");

    static final List<String> HUB_FAULTS = List.of("hub-sigkill", "hub-sigkill-verified", "hub-sigkill", "hub-sigterm",
            "hub-sigkill-verified");

    /** Driver thread. */
    private void clientFault(String kind) throws Exception {
        ChaosClient c = clients.get(rnd.nextInt(clients.size()));
        ChaosProxy p = c.proxy;
        long d = 1000 + rnd.nextInt(6000);
        switch (kind) {
            case "cut-mid-message" -> p.armMidMessageCut(rnd.nextBoolean() ? ChaosProxy.Dir.TO_HUB : ChaosProxy.Dir.TO_CLIENT, rnd);
            case "cut-in-handshake" -> {
                p.armHandshakeCut(rnd.nextBoolean() ? ChaosProxy.Dir.TO_HUB : ChaosProxy.Dir.TO_CLIENT, rnd);
                p.cutAll("forcing a new handshake");
            }
            case "connection-reset" -> {
                p.cutAll("connection-reset");
                log.fault(kind, c.name);
            }
            case "partition-blackhole", "partition-refuse" -> {
                boolean blackhole = kind.equals("partition-blackhole");
                p.partition(blackhole);
                log.fault(kind, c.name + " for " + d + " ms");
                later(d, () -> p.heal(blackhole));
            }
            case "slow-client" -> {
                int bps = 300 + rnd.nextInt(3000);
                p.throttle(bps);
                log.fault(kind, c.name + " receives " + bps + " B/s for " + d * 2 + " ms");
                later(d * 2, () -> p.throttle(0));
            }
            case "latency" -> {
                int ms = 20 + rnd.nextInt(300);
                p.delay(ms);
                log.fault(kind, c.name + " up to " + ms + " ms per chunk for " + d + " ms");
                later(d, () -> p.delay(0));
            }
            case "work-offline" -> {
                c.goOffline();
                log.fault(kind, c.name + " for " + d + " ms");
                later(d, c::goOnline);
            }
            case "client-restart-offline" -> {
                p.partition(false);
                c.restart();
                log.fault(kind, c.name + " restarted from its local store, offline for " + d + " ms");
                later(d, () -> p.heal(false));
            }
            case "reorder-delivery" -> {
                c.reorderDelivery = true;
                log.fault(kind, c.name + " for " + d + " ms");
                later(d, () -> c.reorderDelivery = false);
            }
            case "resubmit-own", "resubmit-foreign" -> {
                int n = c.resubmit(kind.equals("resubmit-foreign"));
                log.fault(kind, c.name + " resubmitted " + n + " earlier updates, shuffled");
            }
            default -> throw new IllegalArgumentException(kind);
        }
    }

    /** Hub-faults thread. */
    private void hubFault(String kind) throws Exception {
        switch (kind) {
            case "hub-sigkill" -> {
                hub.kill();
                log.fault(kind, "clients keep editing; restart in a moment");
                Thread.sleep(hubRnd.nextInt(2000));
                startHub();
            }
            case "hub-sigterm" -> {
                int status = hub.stop();
                log.fault(kind, "graceful stop, exit status " + status);
                if (status != 0) log.problem("the hub's graceful stop (SIGTERM) exited " + status + ", expected 0; see hub.log");
                startHub();
            }
            case "hub-sigkill-verified" -> {
                // Every client cut off first, so after the restart the hub shows exactly what it had on disk.
                for (ChaosProxy p : proxies) p.partition(false);
                try {
                    // No wait needed: an ack still in flight is simply not counted (an under-count
                    // is safe), and nothing can be acked once the clients are cut off.
                    long[][] acked = new long[clients.size()][];
                    for (int i = 0; i < clients.size(); i++) acked[i] = clients.get(i).acked();
                    hub.kill();
                    log.fault(kind, "acked edits must survive");
                    // Read as the next hub loads it. An acked edit may be held there, not applied:
                    // it depends on an edit of another client that the killed hub had relayed but
                    // not stored, and that client (partitioned, say) has not sent it again yet.
                    // Held edits are stored, but a reader is only sent what is applied.
                    Doc stored = storedRoom();
                    Version onDisk = stored.version().union(stored.heldUpdate().version());
                    startHub();
                    Version served = readHub().version();
                    if (!served.equals(stored.version())) {
                        log.problem("after SIGKILL the restarted hub serves " + served + ", its store holds " + stored.version());
                    }
                    for (int i = 0; i < clients.size(); i++) {
                        ChaosClient c = clients.get(i);
                        if (onDisk.inserts(c.replica) < acked[i][0] || onDisk.deletes(c.replica) < acked[i][1]) {
                            log.problem("ACKED EDITS LOST by SIGKILL: " + c.name + " had " + acked[i][0] + " inserts / " + acked[i][1]
                                    + " deletes acked, the store has " + onDisk.inserts(c.replica) + " / " + onDisk.deletes(c.replica)
                                    + " (" + stored.heldRuns() + " runs held)");
                        }
                    }
                    if (stored.heldRuns() > 0) log.count("SIGKILL-verified stores with held runs", 1);
                    log.count("acked edits verified after SIGKILL", Arrays.stream(acked).mapToLong(a -> a[0] + a[1]).sum());
                } finally {
                    for (ChaosProxy p : proxies) p.heal(false);
                }
            }
            default -> throw new IllegalArgumentException(kind);
        }
    }

    private void startHub() throws Exception {
        int port = hub.start();
        hubStarts++;
        log.event("hub started on port " + port);
    }

    // ------------------------------------------------------------------ helpers

    private String readerToken;
    private Path hubData;

    /** An editor token of the chaos room for {@code user}, signed with the hub's own key in {@code data}. */
    static String token(Path data, String user) throws java.io.IOException {
        return dev.tandem.hub.Tokens.issue(data, user, user, ROOM, dev.tandem.hub.Grant.Role.EDITOR, Duration.ofHours(6));
    }

    /** The hub's current document, read by a fresh sync client connected straight to it. */
    /** The room as the killed hub left it on disk, held operations included (the hub must be down). */
    private Doc storedRoom() {
        try (SqliteRoomStore direct = SqliteRoomStore.open(hubData)) {
            StoredRoom room = direct.read(ROOM);
            return room == null ? new Doc() : room.decode();
        }
    }

    private Doc readHub() throws Exception {
        int port = hub.port();
        if (port <= 0) throw new IllegalStateException("hub is down");
        SyncClient reader = SyncClient.start(SyncConfig.builder(URI.create("ws://127.0.0.1:" + port), ROOM, new Doc())
                .user("chaos-reader", "#000000").token(readerToken).coalesce(Duration.ZERO)
                .backoff(Duration.ofMillis(100), Duration.ofSeconds(1)).connectTimeout(Duration.ofSeconds(5)).build(), null);
        try {
            reader.synced().get(30, TimeUnit.SECONDS);
            return Doc.decode(reader.snapshot().get(10, TimeUnit.SECONDS));
        } finally {
            reader.close();
        }
    }

    /** The room's text through the real command line: {@code HubMain cat URL ROOM}, as its own process. */
    private String cat() throws Exception {
        Process p = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-XX:TieredStopAtLevel=1", "-cp", System.getProperty("java.class.path"), "dev.tandem.hub.HubMain",
                "cat", "ws://127.0.0.1:" + hub.port(), ROOM, "--token", readerToken)
                .redirectError(dir.resolve("cat.stderr").toFile()).start();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (InputStream in = p.getInputStream()) {
            in.transferTo(out);
        }
        if (!p.waitFor(60, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new IllegalStateException("cat did not finish");
        }
        if (p.exitValue() != 0) log.problem("cat exited " + p.exitValue() + ": " + Files.readString(dir.resolve("cat.stderr")));
        return out.toString(StandardCharsets.UTF_8);
    }

    private void later(long millis, Runnable action) {
        timers.add(new Timer(System.nanoTime() + millis * 1_000_000, timerSeq++, action));
    }

    private void runTimers(boolean all) {
        long now = System.nanoTime();
        while (!timers.isEmpty() && (all || timers.peek().at() <= now)) timers.poll().action().run();
    }

    private long jitter(Duration d) {
        return (long) (d.toNanos() * (0.5 + rnd.nextDouble()));
    }

    private <T> List<T> shuffled(List<T> list) {
        List<T> l = new ArrayList<>(list);
        Collections.shuffle(l, rnd);
        return l;
    }

    private void check(Future<?> job) throws Exception {
        if (job.isDone()) {
            try {
                job.get();
            } catch (java.util.concurrent.ExecutionException e) {
                log.problem("fault job failed: " + e.getCause());
                throw e;
            }
        }
    }

    /** A run that passed but never injected some kind of fault proved less than it claims: fail it. */
    static void assertCoverage(FaultLog log) {
        List<String> missing = new ArrayList<>();
        for (String kind : CLIENT_FAULTS) if (log.faults(kind) == 0) missing.add(kind);
        for (String kind : List.of("hub-sigkill", "hub-sigkill-verified", "garbage-client")) if (log.faults(kind) == 0) missing.add(kind);
        if (!missing.isEmpty()) throw new AssertionError("the run never injected: " + missing);
    }

    private static Thread daemon(Runnable r, String name) {
        Thread t = new Thread(r, name);
        t.setDaemon(true);
        return t;
    }

    String summary(double seconds) {
        StringBuilder b = new StringBuilder();
        b.append("[chaos] ===== summary =====\n");
        b.append(String.format("[chaos] seed %d, %d clients, %d s of chaos, %.1f s in all, hub started %d times%n",
                s.seed(), s.clients(), s.chaos().toSeconds(), seconds, hubStarts));
        b.append(String.format("[chaos] edits: %d inserts (%d chars), %d deletes (%d chars)%n",
                ledger.inserts, ledger.charsInserted, ledger.deletes, ledger.charsDeleted));
        b.append(String.format("[chaos] faults injected: %d in all%n", log.totalFaults()));
        for (Map.Entry<String, Long> e : log.faultsByKind().entrySet()) b.append(String.format("[chaos]   %-24s %d%n", e.getKey(), e.getValue()));
        b.append("[chaos] observed:\n");
        for (Map.Entry<String, Long> e : log.counters().entrySet()) b.append(String.format("[chaos]   %-48s %d%n", e.getKey(), e.getValue()));
        b.append(String.format("[chaos] time to converge after healing: %s%n", convergeMillis < 0 ? "did not converge" : convergeMillis + " ms"));
        List<String> problems = log.problems();
        b.append("[chaos] result: ").append(problems.isEmpty() ? "PASS (converged, nothing lost)" : "FAIL, " + problems.size() + " problem(s)").append('\n');
        for (String p : problems) b.append("[chaos]   ").append(p).append('\n');
        return b.toString();
    }
}
