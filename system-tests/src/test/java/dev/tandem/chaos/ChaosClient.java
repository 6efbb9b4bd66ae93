package dev.tandem.chaos;

import dev.tandem.crdt.Bias;
import dev.tandem.crdt.Doc;
import dev.tandem.crdt.Update;
import dev.tandem.crdt.Version;
import dev.tandem.sync.LocalStore;
import dev.tandem.sync.SyncClient;
import dev.tandem.sync.SyncConfig;
import dev.tandem.sync.SyncListener;
import dev.tandem.sync.SyncStatus;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;

/**
 * One simulated user, wired exactly like the desktop editor: a "UI" replica the user edits, a
 * {@link SyncClient} that owns the session replica and the connection, a {@link LocalStore} file
 * for offline work. Local edits go UI replica -> {@link SyncClient#submit}; remote updates come
 * back through the listener and are applied to the UI replica by the driver (as the FX thread
 * would). It connects through its own {@link ChaosProxy}.
 *
 * <p>Threads: everything here is owned by the chaos driver thread, except {@link #inbox} and the
 * acknowledged counters, which the sync client's session thread writes.
 */
final class ChaosClient {
    final int index;
    final String name;
    final long replica;
    final ChaosProxy proxy;
    private final Path storeFile;
    private final String room;
    private final Random rnd;
    private final FaultLog log;

    Doc ui;
    SyncClient sync;
    private int generation;
    private final ConcurrentLinkedQueue<Delivery> inbox = new ConcurrentLinkedQueue<>();
    /** Remote updates held back to be delivered later, out of order (reorder fault). */
    private final List<Update> held = new ArrayList<>();
    /** Own updates, and some received ones, for duplicate resubmission. */
    private final List<Update> ownHistory = new ArrayList<>();
    private final List<Update> receivedHistory = new ArrayList<>();
    boolean reorderDelivery;
    /** When this client last resubmitted others' updates (read by its session thread). */
    private volatile long lastForeignResubmit = System.nanoTime() - 60_000_000_000L;
    /** The current generation's listener. */
    private Listener listener;
    private int tokens;
    /** Characters this replica typed, over all its restarts. */
    private int typed;

    // Written by session threads (flush completions), read by the hub-fault thread.
    private long ackedInserts;
    private long ackedDeletes;

    /**
     * Everything done to the UI replica since it was opened, so a CRDT failure can be replayed
     * outside the run ({@link TraceReplay}).
     */
    private final List<String> trace = new ArrayList<>();
    private static final java.util.Base64.Encoder B64 = java.util.Base64.getEncoder();

    /** Writes the UI replica's trace next to its store: {@code client-N.trace}. */
    Path dumpTrace() throws IOException {
        Path file = storeFile.resolveSibling(name + ".trace");
        java.nio.file.Files.write(file, trace);
        return file;
    }

    private record Delivery(int generation, Update update) {}

    private final String token;

    ChaosClient(int index, long replica, ChaosProxy proxy, Path storeFile, String room, String token, Random rnd, FaultLog log) {
        this.token = token;
        this.index = index;
        this.name = "client-" + index;
        this.replica = replica;
        this.proxy = proxy;
        this.storeFile = storeFile;
        this.room = room;
        this.rnd = rnd;
        this.log = log;
    }

    /** Opens the local store (if any) as this replica and starts syncing through the proxy. */
    void start() throws IOException {
        byte[] saved = LocalStore.file(storeFile).load();
        ui = saved == null ? new Doc(replica) : Doc.decode(saved, replica);
        trace.clear();
        trace.add("init " + Long.toHexString(replica) + " " + (saved == null ? "-" : B64.encodeToString(saved)));
        long sessionId = rnd.nextLong() | 1;
        Doc session = saved == null ? new Doc(sessionId) : Doc.decode(saved, sessionId);
        int gen = ++generation;
        SyncConfig config = SyncConfig.builder(URI.create("ws://127.0.0.1:" + proxy.port()), room, session)
                .replicaId(replica)
                .token(token)
                .user(name, String.format("#%06x", (index * 0x3a5f17) & 0xffffff))
                .localStore(LocalStore.file(storeFile))
                .backoff(Duration.ofMillis(100), Duration.ofSeconds(2))
                .heartbeat(Duration.ofSeconds(1), Duration.ofSeconds(4))
                .connectTimeout(Duration.ofSeconds(5))
                .random(new Random(rnd.nextLong()))
                .build();
        listener = new Listener(gen);
        sync = SyncClient.start(config, listener);
    }

    /**
     * One generation's listener (a restart makes a new one, so a late status from a closed client
     * is never mistaken for the new one's). Runs on that client's session thread.
     */
    private final class Listener implements SyncListener {
        private final int gen;
        /** Set before disconnect() or close(); cleared on the session thread once reconnect() ran. */
        volatile boolean offlineOnPurpose;
        /** How often the harness took this client offline; guarded by this. */
        private int offlineRequests;
        private String lastError;
        private SyncStatus.State lastState;
        private boolean reportedGivingUp;

        synchronized void markOfflineOnPurpose() {
            offlineOnPurpose = true;
            offlineRequests++;
        }

        synchronized int offlineRequests() {
            return offlineRequests;
        }

        /**
         * Clears the flag unless the harness took the client offline again meanwhile: a
         * goOnline's clearing can run after the next goOffline has set it.
         */
        synchronized void clearOfflineOnPurpose(int asOf) {
            if (offlineRequests == asOf) offlineOnPurpose = false;
        }

        Listener(int gen) {
            this.gen = gen;
        }

        @Override
        public void onRemoteUpdate(Update update) {
            inbox.add(new Delivery(gen, update));
        }

        @Override
        public void onStatus(SyncStatus s) {
            if (s.state() == SyncStatus.State.CONNECTED && lastState != SyncStatus.State.CONNECTED) log.count("client handshakes completed", 1);
            lastState = s.state();
            String e = s.lastError();
            if (e != null && !e.equals(lastError)) log.count("client saw: " + kindOf(e), 1);
            if (e != null && e.startsWith("replica_claimed") && !e.equals(lastError)) {
                // Tell the duplicates we injected apart from ones the sync client made on its own.
                boolean injected = System.nanoTime() - lastForeignResubmit < 3_000_000_000L;
                log.count("replica_claimed " + (injected ? "after resubmit-foreign" : "with no foreign resubmit in the last 3 s"), 1);
                log.event(name + " saw " + e);
            }
            lastError = e;
            if (!s.retrying() && s.state() == SyncStatus.State.OFFLINE && !offlineOnPurpose && !reportedGivingUp) {
                reportedGivingUp = true;
                log.problem(name + " gave up (OFFLINE, not retrying, nobody asked it to): " + e);
            }
        }
    }

    private static String kindOf(String error) {
        int colon = error.indexOf(':');
        String head = colon > 0 ? error.substring(0, colon) : error;
        if (head.matches("[a-z_]+")) return "hub error " + head;
        if (error.startsWith("connection closed")) return "connection closed";
        if (error.startsWith("cannot connect")) return "cannot connect";
        if (error.startsWith("no handshake")) return "handshake timeout";
        if (error.startsWith("send failed")) return "send failed";
        return head.length() > 40 ? head.substring(0, 40) : head;
    }

    /** Closes the sync client (it saves the store), reopens the store as the same replica, restarts. */
    void restart() throws IOException {
        Version before = ui.version();
        listener.markOfflineOnPurpose();
        sync.close();
        // close() waits at most 5 s for the session's last save; on a loaded box the save may land
        // later, so wait (bounded) for the state the check is about rather than read the file once.
        Doc reopened = null;
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        do {
            if (reopened != null) sleepQuietly(50);
            byte[] saved = LocalStore.file(storeFile).load();
            reopened = saved == null ? new Doc(replica) : Doc.decode(saved, replica);
        } while (!reopened.version().covers(before) && System.nanoTime() < deadline);
        if (!reopened.version().covers(before)) {
            log.problem(name + ": local store 30 s after close lacks edits the UI replica had: store " + reopened.version() + ", UI " + before);
        }
        held.clear();
        start();
        if (ui.version().inserts(replica) != typed) {
            log.problem(name + ": reopened store has " + ui.version().inserts(replica) + " own characters, typed " + typed
                    + " (before close the UI had " + before.inserts(replica) + ")");
        }
    }

    private static void sleepQuietly(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    void close() {
        if (sync == null) return;
        listener.markOfflineOnPurpose();
        sync.close();
    }

    /** The user's "work offline" switch. */
    void goOffline() {
        listener.markOfflineOnPurpose();
        sync.disconnect();
    }

    void goOnline() {
        Listener l = listener;
        int asOf = l.offlineRequests();
        sync.reconnect();
        // Statuses of edits queued before reconnect() still say OFFLINE: clear the flag only once
        // the session thread has run reconnect() (tasks run in order; this completes there).
        sync.version().thenRun(() -> l.clearOfflineOnPurpose(asOf));
    }

    /** Applies what arrived to the UI replica; while reordering, shuffled, duplicated and partly held back. */
    void deliver(boolean everything) {
        List<Update> batch = new ArrayList<>();
        for (Delivery d; (d = inbox.poll()) != null; ) {
            if (d.generation() == generation) batch.add(d.update());
        }
        for (Update u : batch) {
            if (receivedHistory.size() >= 64) receivedHistory.remove(rnd.nextInt(receivedHistory.size()));
            receivedHistory.add(u);
        }
        if (reorderDelivery && !everything) {
            batch.addAll(held);
            held.clear();
            Collections.shuffle(batch, rnd);
            List<Update> out = new ArrayList<>();
            for (Update u : batch) {
                double p = rnd.nextDouble();
                if (p < 0.25) held.add(u);
                else {
                    out.add(u);
                    if (p > 0.85) out.add(rnd.nextInt(out.size()), u);
                }
            }
            batch = out;
            log.count("updates delivered out of order or twice", batch.size());
        } else {
            batch.addAll(0, held);
            held.clear();
        }
        for (Update u : batch) {
            trace.add("apply " + B64.encodeToString(u.encode()));
            ui.apply(u);
        }
    }

    /** One user action: types or pastes a marker, or deletes a range. */
    void edit(Ledger ledger, int maxLength) {
        int beforeDelivery = ui.version().inserts(replica);
        deliver(false);
        int own = ui.version().inserts(replica);
        if (own != typed) {
            throw new IllegalStateException(name + " (replica " + Long.toHexString(replica) + ", generation " + generation
                    + "): its UI replica counts " + own + " own characters (" + beforeDelivery + " before applying remote updates), it typed " + typed);
        }
        int len = ui.length();
        boolean delete = len > 0 && (len > maxLength || rnd.nextDouble() < 0.3);
        if (delete) {
            int pos = rnd.nextInt(len);
            int n = 1 + rnd.nextInt(Math.min(len > maxLength ? 80 : 12, len - pos));
            ledger.deleting(ui, pos, n);
            trace.add("delete " + pos + " " + n);
            Update u = ui.delete(pos, n);
            ledger.deleted(u, n);
            submit(u);
        } else {
            int pos = rnd.nextInt(len + 1);
            String token = "<" + index + "." + (tokens++) + ">";
            if (rnd.nextBoolean()) {
                trace.add("insert " + pos + " " + token);
                Update u = ui.insert(pos, token);
                typed += token.length();
                ledger.inserted(ui, pos, token, u);
                submit(u);
            } else {
                // Typed one key at a time, each keystroke its own update, like the editor sends them.
                for (int k = 0; k < token.length(); k++) {
                    String key = token.substring(k, k + 1);
                    trace.add("insert " + (pos + k) + " " + key);
                    Update u = ui.insert(pos + k, key);
                    typed++;
                    ledger.inserted(ui, pos + k, key, u);
                    submit(u);
                }
            }
        }
        if (rnd.nextInt(10) == 0) trackAck();
        if (rnd.nextInt(8) == 0) {
            int at = rnd.nextInt(ui.length() + 1);
            sync.setPresence(ui.anchor(at, Bias.LEFT), null, rnd.nextBoolean(), false);
        }
    }

    private void submit(Update u) {
        ownHistory.add(u);
        if (ownHistory.size() > 400) ownHistory.remove(rnd.nextInt(ownHistory.size()));
        sync.submit(u);
    }

    /** Remembers what is covered once the current flush completes: the hub acked it as durable. */
    private void trackAck() {
        Version v = ui.version();
        long ins = v.inserts(replica);
        long del = v.deletes(replica);
        sync.flush().thenRun(() -> {
            synchronized (this) {
                ackedInserts = Math.max(ackedInserts, ins);
                ackedDeletes = Math.max(ackedDeletes, del);
            }
        });
    }

    synchronized long[] acked() {
        return new long[] {ackedInserts, ackedDeletes};
    }

    /**
     * Duplicated, reordered delivery to the hub: earlier updates (own, and with {@code foreign}
     * also ones received from others) submitted again, shuffled, some twice.
     */
    int resubmit(boolean foreign) {
        if (foreign) lastForeignResubmit = System.nanoTime();
        List<Update> pick = new ArrayList<>();
        List<Update> from = foreign ? receivedHistory : ownHistory;
        int n = Math.min(from.size(), 2 + rnd.nextInt(6));
        for (int i = 0; i < n; i++) pick.add(from.get(rnd.nextInt(from.size())));
        Collections.shuffle(pick, rnd);
        for (Update u : pick) {
            sync.submit(u);
            if (rnd.nextInt(4) == 0) sync.submit(u);
        }
        return pick.size();
    }

    Version sessionVersion() throws Exception {
        return sync.version().get(10, TimeUnit.SECONDS);
    }

    String sessionText() throws Exception {
        return sync.text().get(10, TimeUnit.SECONDS);
    }
}
