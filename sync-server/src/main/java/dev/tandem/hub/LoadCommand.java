package dev.tandem.hub;

import org.eclipse.jetty.client.HttpClient;
import org.eclipse.jetty.util.thread.QueuedThreadPool;
import org.eclipse.jetty.websocket.api.Callback;
import org.eclipse.jetty.websocket.api.Session;
import org.eclipse.jetty.websocket.client.WebSocketClient;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import dev.tandem.crdt.Doc;
import dev.tandem.crdt.Update;
import dev.tandem.crdt.Version;
import dev.tandem.protocol.Frames;
import dev.tandem.protocol.Message;
import dev.tandem.protocol.RoomNames;
import dev.tandem.protocol.Wire;

import java.lang.management.ManagementFactory;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * {@code load URL --rooms R --clients C --rate CHARS_PER_S --seconds S}: simulated typists in this
 * process against a running hub. Each client holds its own replica, types single characters at
 * random positions at the given rate, and measures, for every character, the time from its
 * author's keystroke to its arrival at each other client in the room. Reports latency
 * percentiles, deliveries expected vs received, convergence (all clients and the hub agree), and
 * the hub's CPU per delivery from its {@code /metrics}. The last line is one JSON object.
 */
@Command(name = "load", mixinStandardHelpOptions = true, description = "Run simulated typists against a running hub and report latency and cost.")
final class LoadCommand implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "URL", description = "Hub address, e.g. ws://127.0.0.1:7070")
    URI url;
    @Option(names = "--also", paramLabel = "URL", description = "Another hub serving the same rooms (repeatable; hubs on one --bus): client c of each room joins hub c modulo the number of hubs, the hub CPU is summed over all, and every hub must serve each room's text.")
    List<URI> also = new ArrayList<>();
    @Option(names = "--rooms", defaultValue = "1", description = "Rooms (default ${DEFAULT-VALUE}).")
    int rooms;
    @Option(names = "--clients", defaultValue = "50", description = "Clients per room (default ${DEFAULT-VALUE}).")
    int clients;
    @Option(names = "--rate", defaultValue = "5", description = "Characters per second per client (default ${DEFAULT-VALUE}).")
    double rate;
    @Option(names = "--seconds", defaultValue = "30", description = "Measured typing time (default ${DEFAULT-VALUE}).")
    int seconds;
    @Option(names = "--warmup", defaultValue = "5", description = "Typing before measuring starts, for the JITs (default ${DEFAULT-VALUE}).")
    int warmup;
    @Option(names = "--room-prefix", description = "Room names are PREFIX-0, PREFIX-1, ... (default: load-RANDOM, fresh rooms each run).")
    String prefix;
    @Option(names = "--seed", defaultValue = "1", description = "Random seed (default ${DEFAULT-VALUE}).")
    long seed;
    @Option(names = "--token", description = "Access token for a hub running --auth token: an editor (or admin) token for every room used, e.g. --room-prefix with a token for PREFIX-*.")
    String token;

    /** Written by typing threads and frame handlers, read at the end. */
    private final AtomicLong typed = new AtomicLong();
    private volatile boolean measuring;
    private final AtomicLong measuredDeliveries = new AtomicLong();
    /** Worst latency seen in each second of the measured window: shows whether the tail is steady or bursty. */
    private java.util.concurrent.atomic.AtomicLongArray worstBySecond;
    private volatile long measureStart;

    @Override
    public Integer call() throws Exception {
        if (rooms < 1 || clients < 2 || rate <= 0 || seconds < 1 || warmup < 0) {
            System.err.println("tandem-hub load: need --rooms >= 1, --clients >= 2, --rate > 0, --seconds >= 1");
            return 2;
        }
        QueuedThreadPool threads = new QueuedThreadPool(Math.max(16, Runtime.getRuntime().availableProcessors() * 4), 4);
        threads.setName("load-io");
        threads.setDaemon(true);
        HttpClient http = new HttpClient();
        http.setExecutor(threads);
        WebSocketClient jetty = new WebSocketClient(http);
        jetty.setMaxBinaryMessageSize(512L << 20);
        jetty.setMaxTextMessageSize(16L << 20);
        jetty.setMaxFrameSize(512L << 20);
        jetty.setIdleTimeout(java.time.Duration.ofSeconds(120));
        jetty.start();
        ScheduledExecutorService typing = Executors.newScheduledThreadPool(2, r -> {
            Thread t = new Thread(r, "load-typing");
            t.setDaemon(true);
            return t;
        });
        List<Typist> all = new ArrayList<>();
        Map<Long, Typist> byReplica = new ConcurrentHashMap<>();
        Random rnd = new Random(seed);
        // Replica ids must never repeat across runs (a reused id with new text is refused), so
        // they come from SecureRandom, not from the seed.
        java.security.SecureRandom ids = new java.security.SecureRandom();
        if (prefix == null) prefix = "load-" + Long.toHexString(ids.nextLong() & 0xffffffL);
        try {
            List<URI> hubs = hubs();
            System.err.printf(Locale.ROOT, "connecting %d clients in %d rooms to %s ...%n", rooms * clients, rooms, hubs);
            List<CompletableFuture<Void>> pending = new ArrayList<>();
            for (int r = 0; r < rooms; r++) {
                for (int c = 0; c < clients; c++) {
                    Typist t = new Typist(prefix + "-" + r, ids.nextLong() | 1, byReplica);
                    all.add(t);
                    byReplica.put(t.replica, t);
                    pending.add(t.connect(jetty, hubs.get(c % hubs.size())));
                    if (pending.size() >= 50) {
                        CompletableFuture.allOf(pending.toArray(CompletableFuture[]::new)).get(60, TimeUnit.SECONDS);
                        pending.clear();
                    }
                }
            }
            CompletableFuture.allOf(pending.toArray(CompletableFuture[]::new)).get(60, TimeUnit.SECONDS);
            System.err.printf(Locale.ROOT, "connected; typing %.1f chars/s each for %d s warm-up + %d s measured%n", rate, warmup, seconds);

            long periodMicros = (long) (1_000_000 / rate);
            List<ScheduledFuture<?>> tasks = new ArrayList<>();
            for (Typist t : all) {
                long phase = (long) (rnd.nextDouble() * periodMicros);
                Random own = new Random(rnd.nextLong());
                tasks.add(typing.scheduleAtFixedRate(() -> t.type(own), phase, periodMicros, TimeUnit.MICROSECONDS));
            }
            Thread.sleep(warmup * 1000L);
            Map<String, Double> before = hubMetrics();
            double hubCpuBefore = before.getOrDefault(CPU, Double.NaN);
            long loadCpuBefore = processCpuNanos();
            long wallBefore = System.nanoTime();
            worstBySecond = new java.util.concurrent.atomic.AtomicLongArray(seconds + 1);
            measureStart = System.nanoTime();
            measuring = true;
            Thread.sleep(seconds * 1000L);
            measuring = false;
            Map<String, Double> after = hubMetrics();
            double hubCpuAfter = after.getOrDefault(CPU, Double.NaN);
            // Hubs before gathered writes do not count their writes: then no ratio is printed.
            double writes = after.getOrDefault(WRITES, Double.NaN) - before.getOrDefault(WRITES, Double.NaN);
            double sent = after.getOrDefault(SENT, Double.NaN) - before.getOrDefault(SENT, Double.NaN);
            long loadCpu = processCpuNanos() - loadCpuBefore;
            long wall = System.nanoTime() - wallBefore;
            for (ScheduledFuture<?> f : tasks) f.cancel(false);
            typing.shutdown();
            typing.awaitTermination(5, TimeUnit.SECONDS);

            long expected = typed.get() * (clients - 1);
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
            while (received(all) < expected && System.nanoTime() < deadline) Thread.sleep(50);
            long received = received(all);
            boolean converged = converged(all, jetty);

            long[] lat = latencies(all);
            Arrays.sort(lat);
            double p50 = percentile(lat, 0.50);
            double p99 = percentile(lat, 0.99);
            double max = lat.length == 0 ? 0 : lat[lat.length - 1] / 1e6;
            long deliveries = measuredDeliveries.get();
            double hubUs = Double.isNaN(hubCpuBefore) || deliveries == 0 ? -1 : (hubCpuAfter - hubCpuBefore) * 1e6 / deliveries;
            double loadPct = 100.0 * loadCpu / wall;
            System.err.printf(Locale.ROOT, "latency ms: p50 %.2f, p99 %.2f, max %.2f (%d samples)%n", p50, p99, max, lat.length);
            StringBuilder worst = new StringBuilder();
            for (int i = 0; i < seconds; i++) worst.append(i == 0 ? "" : " ").append(Math.round(worstBySecond.get(i) / 1e6));
            System.err.println("worst latency in each measured second, ms: " + worst);
            System.err.printf(Locale.ROOT, "deliveries: expected %d, received %d; converged: %s%n", expected, received, converged);
            System.err.printf(Locale.ROOT, "hub CPU per delivery: %.2f us (%d deliveries measured); load generator CPU: %.0f %% of one core%n",
                    hubUs, deliveries, loadPct);
            double perWrite = writes > 0 ? sent / writes : -1;
            if (perWrite > 0) System.err.printf(Locale.ROOT, "hub messages per write: %.2f (%.0f messages in %.0f gathered writes)%n", perWrite, sent, writes);
            System.out.printf(Locale.ROOT, "{\"p50_ms\":%.3f,\"p99_ms\":%.3f,\"max_ms\":%.3f,\"expected\":%d,\"received\":%d,\"converged\":%s,"
                    + "\"hub_cpu_us_per_delivery\":%.3f,\"loadgen_cpu_pct\":%.1f,\"hub_messages_per_write\":%.2f}%n",
                    p50, p99, max, expected, received, converged, hubUs, loadPct, perWrite);
            return received == expected && converged ? 0 : 1;
        } finally {
            for (Typist t : all) t.close();
            jetty.stop();
        }
    }

    private static long received(List<Typist> all) {
        long n = 0;
        for (Typist t : all) n += t.receivedChars();
        return n;
    }

    private static long[] latencies(List<Typist> all) {
        int n = 0;
        for (Typist t : all) n += t.latencyCount();
        long[] out = new long[n];
        int i = 0;
        for (Typist t : all) i = t.copyLatencies(out, i);
        return out;
    }

    private static double percentile(long[] sorted, double q) {
        if (sorted.length == 0) return 0;
        return sorted[Math.min(sorted.length - 1, (int) Math.ceil(q * sorted.length) - 1)] / 1e6;
    }

    /** Every client in a room holds the same text, and so does the hub (read by a fresh joiner). */
    private boolean converged(List<Typist> all, WebSocketClient jetty) throws Exception {
        Map<String, Typist> first = new HashMap<>();
        boolean same = true;
        for (Typist t : all) {
            Typist prev = first.putIfAbsent(t.room, t);
            if (prev != null && !same(prev, t, "client")) same = false;
        }
        for (Map.Entry<String, Typist> e : first.entrySet()) {
            for (URI hub : hubs()) {
                Typist reader = new Typist(e.getKey(), new java.security.SecureRandom().nextLong() | 1, Map.of());
                reader.connect(jetty, hub).get(30, TimeUnit.SECONDS);
                if (!same(e.getValue(), reader, "hub " + hub)) same = false;
                reader.close();
            }
        }
        return same;
    }

    /** Compares two replicas and explains a difference on stderr. */
    private static boolean same(Typist a, Typist b, String what) {
        String ta = a.text();
        String tb = b.text();
        if (ta.equals(tb)) return true;
        int i = 0;
        while (i < Math.min(ta.length(), tb.length()) && ta.charAt(i) == tb.charAt(i)) i++;
        System.err.printf(Locale.ROOT, "room %s: %s %s differs from client %s: lengths %d vs %d, first difference at %d, "
                        + "versions %s, pending %s/%s%n", a.room, what, Wire.replica(b.replica), Wire.replica(a.replica), ta.length(), tb.length(), i,
                a.version().equals(b.version()) ? "equal" : "differ", a.pending(), b.pending());
        return false;
    }

    private static final String CPU = "process_cpu_seconds_total";
    private static final String WRITES = "tandem_writes_total";
    private static final String SENT = "tandem_messages_sent_total";

    private List<URI> hubs() {
        List<URI> hubs = new ArrayList<>();
        hubs.add(url);
        hubs.addAll(also);
        return hubs;
    }

    /** The hubs' CPU seconds and write counters from their /metrics, summed (those they all have; none if one is unreadable). */
    private Map<String, Double> hubMetrics() {
        Map<String, Double> out = new HashMap<>();
        for (URI hub : hubs()) {
            try {
                String scheme = hub.getScheme().equals("wss") ? "https" : "http";
                URI metrics = URI.create(scheme + "://" + hub.getRawAuthority() + "/metrics");
                String body = java.net.http.HttpClient.newHttpClient().send(HttpRequest.newBuilder(metrics).build(),
                        HttpResponse.BodyHandlers.ofString()).body();
                for (String line : body.split("\n")) {
                    for (String name : List.of(CPU, WRITES, SENT)) {
                        if (line.startsWith(name + " ")) out.merge(name, Double.parseDouble(line.substring(line.indexOf(' ') + 1).trim()), Double::sum);
                    }
                }
            } catch (Exception e) {
                System.err.println("cannot read the /metrics of " + hub + ": " + e);
                return new HashMap<>();
            }
        }
        return out;
    }

    private static long processCpuNanos() {
        var os = ManagementFactory.getOperatingSystemMXBean();
        return os instanceof com.sun.management.OperatingSystemMXBean sun ? sun.getProcessCpuTime() : 0;
    }

    /**
     * One simulated client: its replica, its connection, and the send times of its characters.
     * All mutable state is guarded by {@code this} (typing thread and Jetty's reader both touch it).
     */
    final class Typist {
        final String room;
        final long replica;
        private final Map<Long, Typist> byReplica;
        private final Doc doc;
        private Session session;
        private long seq;
        private final Object times = new Object();
        /** sendNanos[k]: when this client typed its k-th character (k from 1). Guarded by times. */
        private long[] sendNanos = new long[1024];
        private int chars;
        private final Map<Long, Integer> seenFrom = new HashMap<>();
        private long received;
        private long[] latencies = new long[1024];
        private int latencyCount;
        private final CompletableFuture<Void> ready = new CompletableFuture<>();
        private boolean sending;
        private final java.util.ArrayDeque<ByteBuffer> outbox = new java.util.ArrayDeque<>();

        Typist(String room, long replica, Map<Long, Typist> byReplica) {
            this.room = room;
            this.replica = replica;
            this.byReplica = byReplica;
            this.doc = new Doc(replica);
        }

        CompletableFuture<Void> connect(WebSocketClient jetty, URI hub) throws Exception {
            URI uri = URI.create(hub.getScheme() + "://" + hub.getRawAuthority() + "/rooms/" + RoomNames.encode(room));
            jetty.connect(new LoadSocket(this), uri).whenComplete((s, e) -> {
                if (e != null) ready.completeExceptionally(e);
            });
            return ready;
        }

        synchronized void opened(Session s) {
            session = s;
            s.sendText(Wire.write(new Message.Hello(Message.PROTOCOL, Wire.replica(replica), new Message.User("load", "#888888"),
                    Wire.version(Version.EMPTY), token, dev.tandem.sync.ReplicaSecret.generate())), Callback.NOOP);
        }

        void onText(String text) {
            // One ack arrives per push; only errors matter here.
            if (text.startsWith("{\"type\":\"ack\"")) return;
            Message m = Wire.read(text);
            if (m instanceof Message.Error e) ready.completeExceptionally(new IllegalStateException(e.code() + ": " + e.message()));
        }

        synchronized void onBinary(byte[] frame) {
            Update u = Update.decode(Arrays.copyOfRange(frame, 1, frame.length));
            doc.apply(u);
            Version v = doc.version();
            if (frame[0] == Frames.CATCH_UP) {
                // What was in the room before this run is not a delivery of it.
                for (long r : v.replicas()) seenFrom.put(r, v.inserts(r));
                ready.complete(null);
                return;
            }
            long now = System.nanoTime();
            for (long r : u.replicas()) {
                Typist author = byReplica.get(r);
                int have = v.inserts(r);
                int seen = seenFrom.getOrDefault(r, 0);
                if (have <= seen) continue;
                seenFrom.put(r, have);
                received += have - seen;
                if (author == null) continue;
                for (int k = seen + 1; k <= have; k++) {
                    long sent = author.sendTime(k);
                    if (sent == 0) continue;
                    if (measuring) {
                        if (latencyCount == latencies.length) latencies = Arrays.copyOf(latencies, latencyCount * 2);
                        latencies[latencyCount++] = now - sent;
                        int second = (int) Math.min(seconds, (now - measureStart) / 1_000_000_000L);
                        worstBySecond.accumulateAndGet(second, now - sent, Math::max);
                        measuredDeliveries.incrementAndGet();
                    }
                }
            }
        }

        // Readers hold their own lock when they ask: a separate lock keeps two clients from
        // waiting on each other.
        long sendTime(int k) {
            synchronized (times) {
                return k < sendNanos.length ? sendNanos[k] : 0;
            }
        }

        synchronized void type(Random rnd) {
            if (session == null || !ready.isDone()) return;
            char c = (char) ('a' + rnd.nextInt(26));
            Update u = doc.insert(rnd.nextInt(doc.length() + 1), String.valueOf(c));
            synchronized (times) {
                chars++;
                if (chars == sendNanos.length) sendNanos = Arrays.copyOf(sendNanos, chars * 2);
                sendNanos[chars] = System.nanoTime();
            }
            typed.incrementAndGet();
            send(Frames.push(++seq, u.encode()));
        }

        // One send in flight per session (Jetty's rule); guarded by this.
        private void send(ByteBuffer frame) {
            if (sending) {
                outbox.add(frame);
                return;
            }
            sending = true;
            session.sendBinary(frame, Callback.from(this::sent, e -> { }));
        }

        private synchronized void sent() {
            sending = false;
            ByteBuffer next = outbox.poll();
            if (next != null) send(next);
        }

        synchronized long receivedChars() {
            return received;
        }

        synchronized int latencyCount() {
            return latencyCount;
        }

        synchronized int copyLatencies(long[] out, int at) {
            System.arraycopy(latencies, 0, out, at, latencyCount);
            return at + latencyCount;
        }

        synchronized String text() {
            return doc.text();
        }

        synchronized Version version() {
            return doc.version();
        }

        synchronized boolean pending() {
            return doc.hasPending();
        }

        synchronized void close() {
            if (session != null && session.isOpen()) session.close(1000, "load done", Callback.NOOP);
        }
    }
}
