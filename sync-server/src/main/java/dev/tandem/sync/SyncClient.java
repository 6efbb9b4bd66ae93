package dev.tandem.sync;

import org.eclipse.jetty.websocket.api.Callback;
import org.eclipse.jetty.websocket.api.Session;
import org.eclipse.jetty.websocket.client.ClientUpgradeRequest;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.tandem.crdt.Anchor;
import dev.tandem.crdt.CrdtFormatException;
import dev.tandem.crdt.Doc;
import dev.tandem.crdt.Update;
import dev.tandem.crdt.Version;
import dev.tandem.protocol.ErrorCode;
import dev.tandem.protocol.Frames;
import dev.tandem.protocol.Message;
import dev.tandem.protocol.ProtocolException;
import dev.tandem.protocol.RoomNames;
import dev.tandem.protocol.Wire;

import java.net.URI;
import java.net.URISyntaxException;
import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

/**
 * A headless client of one room on a Tandem hub (protocol v1, docs/protocol.md): keeps a session
 * replica in sync with the hub, survives disconnects, and never drops a local edit before the hub
 * acknowledged it as durable.
 *
 * <p>Threads: the client runs a single logical "session thread" (tasks in order on a shared pool)
 * that owns the session replica, the WebSocket and all bookkeeping below. Every public method may
 * be called from any thread and returns at once. {@link SyncListener} callbacks run on the session
 * thread.
 *
 * <p>Typical desktop use: the UI applies its own edits to its own {@link Doc} and passes the
 * returned {@link Update}s to {@link #submit}; remote updates arrive through
 * {@link SyncListener#onRemoteUpdate} for the UI to apply to its replica.
 *
 * <p>Several hubs ({@link SyncConfig#builder(List, String, Doc)}): the client is connected to one
 * at a time. When a connection attempt fails or a connection is lost for a reason retrying can
 * fix, the next attempt goes to the next address, round robin; the handshake there is the one
 * every reconnect does (hello with this replica's version, catch-up, resend of what that hub
 * lacks of this replica's edits), so moving loses nothing. The backoff grows once per round of
 * the whole list, not per address, and every attempt still waits its (randomised) delay, so a
 * list of dead hubs is tried at a bounded rate. A refusal retrying cannot fix (retry:false, bad
 * token) ends the session as with one hub: another hub of the same room would refuse the same.
 */
public final class SyncClient implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(SyncClient.class);

    private final SyncConfig config;
    private final SyncListener listener;
    private final SerialExecutor session = new SerialExecutor(SyncRuntime.POOL);
    private final CompletableFuture<Void> firstSync = new CompletableFuture<>();

    // ---- owned by the session thread
    private final Doc doc;
    /** Current connection attempt; events of older attempts are ignored. */
    private int attempt;
    private Session socket;
    private Phase phase = Phase.OFFLINE;
    /** False after disconnect(), close() or an error retrying cannot fix. */
    private boolean wantOnline = true;
    private boolean closed;
    /** Failed attempts since the last handshake; the backoff grows once per round of {@code config.hubs}. */
    private int failures;
    /** Index in {@code config.hubs} of the current attempt or, while waiting to retry, of the next one. */
    private int hubIndex;
    /** {@code config.hubs.get(hubIndex)}, for {@link #hub()} from any thread. */
    private volatile URI currentHub;
    private ScheduledFuture<?> retryTask;
    private ScheduledFuture<?> sendTask;
    private ScheduledFuture<?> pingTask;
    private ScheduledFuture<?> connectTimeoutTask;
    private long nextRetryMillis;
    private String lastError;
    /** Submitted updates not yet sent, and how many operations they carry. */
    private final List<Update> outgoing = new ArrayList<>();
    private long outgoingOps;
    /** Pushes sent on this connection and not yet acked: {seq, operations}. */
    private final ArrayDeque<long[]> unacked = new ArrayDeque<>();
    /** Operations submitted and not yet acknowledged. */
    private long unsentOps;
    private long nextSeq = 1;
    /** flush() callers: {@code seq} to wait for, or -1 while offline (resolved at the next handshake). */
    private final List<Waiter> waiters = new ArrayList<>();
    private final ArrayDeque<Object> sendQueue = new ArrayDeque<>();
    private boolean sending;
    private final Map<Long, Peer> peers = new LinkedHashMap<>();
    /** The room's authorship map as the hub sent it; bounded like any other input (see addAuthors). */
    private final Map<Long, Author> authors = new LinkedHashMap<>();
    private Message.Presence presence = new Message.Presence(null, null, false, "active");
    /** Whether the hub of this connection keeps named versions (its welcome listed them). */
    private boolean hubNamesVersions;
    /** How many the room has, as last heard: one more than the hub keeps is not sent. */
    private int namedVersionCount;
    private boolean storeDirty;
    private ScheduledFuture<?> saveTask;
    /** Why the last save failed (null: it succeeded), and how many failed in a row (for the retry backoff). */
    private String saveError;
    private int saveFailures;
    /** Replicas a submitted update of which the session replica refused: their later updates are dropped. */
    private final java.util.Set<Long> refusedReplicas = new java.util.HashSet<>();
    private SyncStatus lastStatus;

    private enum Phase { OFFLINE, CONNECTING, AWAIT_WELCOME, AWAIT_CATCH_UP, SYNCED }

    private record Waiter(long seq, CompletableFuture<Void> future) {}

    private SyncClient(SyncConfig config, SyncListener listener) {
        this.config = config;
        this.listener = listener == null ? new SyncListener() {} : listener;
        this.doc = config.doc;
        this.hubIndex = config.firstHubFirst || config.hubs.size() == 1 ? 0 : config.random.nextInt(config.hubs.size());
        this.currentHub = config.hubs.get(hubIndex);
        peers.put(config.replicaId, selfPeer());
    }

    /** Creates the client and starts connecting. Ownership of {@code config}'s doc passes to the client. */
    public static SyncClient start(SyncConfig config, SyncListener listener) {
        SyncClient c = new SyncClient(config, listener);
        c.session.execute(c::connect);
        return c;
    }

    // ------------------------------------------------------------------ public API

    /**
     * Sends a local edit made on another replica (the UI's). Applied to the session replica, then
     * sent with whatever else arrives within the coalescing delay (30 ms by default).
     *
     * <p>If the session replica refuses the update (it breaks a CRDT rule against what the session
     * holds: the submitting replica has diverged), nothing of it is applied, saved or sent; the
     * listener gets {@link SyncListener#onLocalEditRejected} with the session replica's snapshot to
     * rebuild from, and every later update of the same replica is dropped (they build on the
     * refused one). The rebuilt replica must take a new id ({@code Doc.decode(snapshot)} does).
     */
    public void submit(Update localUpdate) {
        if (localUpdate == null || localUpdate.isEmpty()) return;
        session.execute(() -> {
            if (closed) return;
            for (long r : localUpdate.replicas()) {
                if (refusedReplicas.contains(r)) return; // already reported; the caller is rebuilding
            }
            try {
                doc.apply(localUpdate);
            } catch (CrdtFormatException e) {
                // Doc.apply changes nothing when it refuses: the session replica is still good.
                for (long r : localUpdate.replicas()) refusedReplicas.add(r);
                String why = "a local edit was refused by the session replica (" + e.getMessage() + ")";
                log.error("room \"{}\": {}; the editor is rebuilt from the session replica", config.room, why);
                listener.onLocalEditRejected(why, doc.encode());
                return;
            }
            queue(localUpdate);
        });
    }

    /**
     * Edits the session replica directly, on the session thread, and sends the result like
     * {@link #submit}. For headless users (CLI, tests) that keep no replica of their own; the edit
     * carries the session replica's id. The future completes with the update once it is queued.
     */
    public CompletableFuture<Update> edit(Function<Doc, Update> edit) {
        CompletableFuture<Update> f = new CompletableFuture<>();
        session.execute(() -> {
            if (closed) {
                f.completeExceptionally(new IllegalStateException("client is closed"));
                return;
            }
            try {
                Update u = edit.apply(doc);
                if (u != null && !u.isEmpty()) queue(u);
                f.complete(u);
            } catch (RuntimeException e) {
                f.completeExceptionally(e);
            }
        });
        return f;
    }

    /** Sets this client's presence; sent to the others at once if connected, else after the next handshake. */
    public void setPresence(Anchor cursor, Anchor selection, boolean typing, boolean idle) {
        Message.Presence p = new Message.Presence(Wire.anchor(cursor), Wire.anchor(selection), typing, idle ? "idle" : "active");
        session.execute(() -> {
            if (closed) return;
            presence = p;
            peers.put(config.replicaId, selfPeer());
            listener.onPeers(List.copyOf(peers.values()));
            if (phase == Phase.SYNCED) send(Wire.write(p));
        });
    }

    /**
     * Completes when every edit submitted before this call is acknowledged as durable by the hub
     * (at once if nothing is unsent). While offline it waits for the next successful handshake.
     * Never completes exceptionally except on {@link #close()}.
     */
    public CompletableFuture<Void> flush() {
        CompletableFuture<Void> f = new CompletableFuture<>();
        session.execute(() -> {
            if (closed) {
                f.completeExceptionally(new IllegalStateException("client is closed"));
                return;
            }
            sendOutgoing();
            if (unsentOps == 0 && unacked.isEmpty()) {
                f.complete(null);
            } else if (phase == Phase.SYNCED && !unacked.isEmpty()) {
                waiters.add(new Waiter(unacked.peekLast()[0], f));
            } else {
                waiters.add(new Waiter(-1, f));
            }
        });
        return f;
    }

    /**
     * Names the room's text at {@code version} for everyone in the room (the hub keeps it and
     * tells every member, see {@link SyncListener#onNamedVersions}). Sent after every edit
     * submitted before it, so the hub holds what the version names. Completes exceptionally
     * when not connected or when the hub does not keep named versions; the name is checked here
     * first (1..100 characters, none that could break or disguise a line), as the hub will.
     *
     * @throws IllegalArgumentException if the name would be refused
     */
    public CompletableFuture<Void> nameVersion(String name, Version version) {
        String checked;
        try {
            checked = Wire.checkVersionName(name);
        } catch (ProtocolException e) {
            throw new IllegalArgumentException(e.getMessage(), e);
        }
        if (version.size() > Message.MAX_NAMED_VERSION_REPLICAS) {
            throw new IllegalArgumentException("a version naming " + version.size() + " replicas is more than a hub accepts");
        }
        String message = Wire.write(new Message.NameVersion(checked, Wire.version(version)));
        CompletableFuture<Void> f = new CompletableFuture<>();
        session.execute(() -> {
            if (closed || phase != Phase.SYNCED) {
                f.completeExceptionally(new IllegalStateException("not connected to the hub: try again when online"));
            } else if (!hubNamesVersions) {
                f.completeExceptionally(new IllegalStateException("this hub does not keep named versions"));
            } else if (namedVersionCount >= Message.MAX_NAMED_VERSIONS) {
                f.completeExceptionally(new IllegalStateException("this room has its maximum of " + Message.MAX_NAMED_VERSIONS + " named versions"));
            } else {
                sendOutgoing(); // the edits the version names go first
                send(message);
                f.complete(null);
            }
        });
        return f;
    }

    /**
     * The hub this client is connected to, or trying: with several hubs, the one of the current
     * attempt or, while waiting to retry, the one the next attempt goes to. For status displays
     * and logs; {@link SyncStatus#hub()} carries the same.
     */
    public URI hub() {
        return currentHub;
    }

    /** Completes once the first handshake finished: the session replica then holds the hub's state. */
    public CompletableFuture<Void> synced() {
        return firstSync;
    }

    /** The session replica's text. */
    public CompletableFuture<String> text() {
        return call(Doc::text);
    }

    /** The session replica's version vector. */
    public CompletableFuture<Version> version() {
        return call(Doc::version);
    }

    /**
     * Runs {@code reader} on the session thread with the session replica, which it must only
     * read, and completes with its result: for work on the whole document (the past of a big
     * document, say) that should not run on a UI thread. The session replica holds every update
     * submitted before this call, and possibly remote ones the caller has not been told of yet.
     */
    public <T> CompletableFuture<T> read(Function<Doc, T> reader) {
        return call(reader);
    }

    /** The session replica's snapshot ({@code Doc.encode()}). */
    public CompletableFuture<byte[]> snapshot() {
        return call(Doc::encode);
    }

    /** Goes offline: closes the connection and stops reconnecting until {@link #reconnect()}. Edits keep being accepted. */
    public void disconnect() {
        session.execute(() -> {
            if (closed) return;
            wantOnline = false;
            dropConnection(1000, "going offline");
            status();
        });
    }

    /** Connects now (cancelling any backoff wait), also after {@link #disconnect()} or a fatal error. */
    public void reconnect() {
        session.execute(() -> {
            if (closed) return;
            wantOnline = true;
            failures = 0;
            if (phase == Phase.OFFLINE) connect();
        });
    }

    /**
     * Closes the connection (1000), saves the local store, and stops; unacknowledged edits stay in
     * the local store for the next run. Waits up to 5 s for the session thread. Idempotent.
     */
    @Override
    public void close() {
        CompletableFuture<Void> done = new CompletableFuture<>();
        session.execute(() -> {
            try {
                if (!closed) {
                    wantOnline = false;
                    dropConnection(1000, "client closed");
                    if (storeDirty) saveLocal();
                    status();
                    closed = true;
                    cancel(saveTask);
                    for (Waiter w : waiters) w.future().completeExceptionally(new IllegalStateException("client closed"));
                    waiters.clear();
                    firstSync.completeExceptionally(new IllegalStateException("client closed"));
                }
            } finally {
                done.complete(null);
            }
        });
        try {
            done.get(5, TimeUnit.SECONDS);
        } catch (Exception e) {
            log.warn("sync client close did not finish: {}", e.toString());
        }
    }

    private <T> CompletableFuture<T> call(Function<Doc, T> f) {
        CompletableFuture<T> r = new CompletableFuture<>();
        session.execute(() -> {
            try {
                r.complete(f.apply(doc));
            } catch (RuntimeException e) {
                r.completeExceptionally(e);
            }
        });
        return r;
    }

    // ------------------------------------------------------------------ connection (session thread)

    private void connect() {
        if (closed || !wantOnline || phase != Phase.OFFLINE) return;
        cancel(retryTask);
        retryTask = null;
        int a = ++attempt;
        phase = Phase.CONNECTING;
        nextRetryMillis = 0;
        URI hub = config.hubs.get(hubIndex);
        currentHub = hub;
        status();
        URI uri;
        try {
            String base = hub.getPath() == null ? "" : hub.getPath().replaceAll("/+$", "");
            uri = new URI(hub.getScheme() + "://" + hub.getRawAuthority() + base + "/rooms/" + RoomNames.encode(config.room));
        } catch (URISyntaxException e) {
            fatal("bad hub address: " + e.getMessage());
            return;
        }
        ClientUpgradeRequest req = new ClientUpgradeRequest();
        connectTimeoutTask = SyncRuntime.TIMER.schedule(() -> session.execute(() -> {
            if (a == attempt && (phase == Phase.CONNECTING || phase == Phase.AWAIT_WELCOME || phase == Phase.AWAIT_CATCH_UP)) {
                lost(a, "no handshake within " + config.connectTimeout.toMillis() + " ms");
            }
        }), config.connectTimeout.toMillis(), TimeUnit.MILLISECONDS);
        try {
            SyncRuntime.jetty(config.trust).connect(new SyncSocket(this, a, config.maxMessageBytes), uri, req).whenComplete((s, error) -> {
                if (error != null) session.execute(() -> lost(a, connectFailure(uri, error)));
            });
        } catch (Exception e) {
            lost(a, connectFailure(uri, e));
        }
    }

    void onOpen(int a, Session s) {
        session.execute(() -> {
            if (a != attempt || phase != Phase.CONNECTING || closed) {
                s.close(1000, "superseded", Callback.NOOP);
                return;
            }
            socket = s;
            s.setIdleTimeout(config.idleTimeout);
            phase = Phase.AWAIT_WELCOME;
            send(Wire.write(new Message.Hello(Message.PROTOCOL, Wire.replica(config.replicaId),
                    new Message.User(config.userName, config.color), Wire.version(doc.version()), config.token, config.secret)));
            schedulePing(a);
        });
    }

    void onText(int a, String text) {
        session.execute(() -> {
            if (a != attempt || socket == null) return;
            Message m;
            try {
                m = Wire.read(text);
            } catch (ProtocolException e) {
                lost(a, "hub sent a bad message: " + e.getMessage());
                return;
            }
            if (m instanceof Message.Welcome w) welcome(w);
            else if (m instanceof Message.Ack ack) ack(ack.seq());
            else if (m instanceof Message.PeerChanged p) peerChanged(p.peer());
            else if (m instanceof Message.Leave l) peerLeft(l.replica());
            else if (m instanceof Message.Error e) hubError(e);
            else if (m instanceof Message.Authors as) addAuthors(as.authors());
            else if (m instanceof Message.NamedVersions nv) namedVersions(nv.versions());
            else lost(a, "hub sent an unexpected " + m.getClass().getSimpleName());
        });
    }

    void onBinary(int a, byte[] frame) {
        session.execute(() -> {
            if (a != attempt || socket == null) return;
            if (frame.length == 0) {
                lost(a, "hub sent an empty binary frame");
                return;
            }
            byte kind = frame[0];
            if (kind == Frames.CATCH_UP && phase == Phase.AWAIT_CATCH_UP) {
                if (applyRemote(a, frame)) caughtUp();
            } else if (kind == Frames.RELAY && phase == Phase.SYNCED) {
                applyRemote(a, frame);
            } else {
                lost(a, "hub sent binary kind " + kind + " in phase " + phase);
            }
        });
    }

    void onClosed(int a, String why) {
        session.execute(() -> {
            if (a != attempt) return;
            // Jetty may report a failed connect here before the connect future does: it is the
            // same failure, and says so the same way (naming the address).
            if (phase == Phase.CONNECTING) lost(a, connectFailure(currentHub, why));
            else lost(a, lastError != null && phase == Phase.OFFLINE ? lastError : "connection closed: " + why);
        });
    }

    private void welcome(Message.Welcome w) {
        if (phase != Phase.AWAIT_WELCOME) {
            lost(attempt, "hub sent a second welcome");
            return;
        }
        Version hubVersion;
        try {
            hubVersion = Wire.parseVersion(w.version(), "welcome.version");
        } catch (ProtocolException e) {
            lost(attempt, e.getMessage());
            return;
        }
        peers.clear();
        if (w.peers() != null) {
            for (Message.PeerInfo p : w.peers()) {
                Peer peer = toPeer(p);
                if (peer != null && peer.replicaId() != config.replicaId) peers.put(peer.replicaId(), peer);
            }
        }
        peers.put(config.replicaId, selfPeer());
        this.hubVersion = hubVersion;
        authors.clear();
        addAuthors(w.authors());
        hubNamesVersions = w.namedVersions() != null;
        if (hubNamesVersions) namedVersions(w.namedVersions());
        else listener.onNamedVersions(null);
        phase = Phase.AWAIT_CATCH_UP;
        listener.onPeers(List.copyOf(peers.values()));
    }

    private Version hubVersion = Version.EMPTY;

    private void caughtUp() {
        cancel(connectTimeoutTask);
        // Everything submitted so far is in doc; the hub lacks exactly updatesSince(its durable version).
        outgoing.clear();
        outgoingOps = 0;
        unacked.clear();
        nextSeq = 1;
        phase = Phase.SYNCED;
        failures = 0;
        lastError = null;
        // Only this replica's own operations: the hub binds each replica to its owner and
        // refuses anyone else's new operations (replica_claimed). Operations of others that the
        // hub lacks (relayed to us before a hub crash lost them) are their owners' to resend:
        // they are unacked there, and kept in their offline copies.
        long me = config.replicaId;
        Update missing = doc.updatesSince(doc.version().with(me, hubVersion.inserts(me), hubVersion.deletes(me)));
        if (missing.isEmpty()) {
            unsentOps = 0;
            for (Waiter w : waiters) w.future().complete(null);
            waiters.clear();
        } else {
            if (unsentOps == 0) unsentOps = missing.operationCount();
            push(missing, unsentOps);
            List<Waiter> moved = new ArrayList<>(waiters.size());
            for (Waiter w : waiters) moved.add(new Waiter(1, w.future()));
            waiters.clear();
            waiters.addAll(moved);
        }
        send(Wire.write(presence));
        status();
        firstSync.complete(null);
    }

    private boolean applyRemote(int a, byte[] frame) {
        Update u;
        try {
            u = Update.decode(java.util.Arrays.copyOfRange(frame, 1, frame.length), config.maxDecodedBytes);
        } catch (CrdtFormatException e) {
            lost(a, "hub sent an update that does not decode: " + e.getMessage());
            return false;
        }
        try {
            if (!u.isEmpty()) doc.apply(u);
        } catch (CrdtFormatException e) {
            lost(a, "hub sent an update that does not apply: " + e.getMessage());
            return false;
        }
        if (!u.isEmpty()) {
            markStoreDirty();
            listener.onRemoteUpdate(u);
        }
        return true;
    }

    private void ack(long seq) {
        boolean changed = false;
        while (!unacked.isEmpty() && unacked.peekFirst()[0] <= seq) {
            unsentOps = Math.max(0, unsentOps - unacked.pollFirst()[1]);
            changed = true;
        }
        if (unacked.isEmpty() && outgoing.isEmpty()) unsentOps = 0;
        waiters.removeIf(w -> {
            if (w.seq() >= 1 && w.seq() <= seq) {
                w.future().complete(null);
                return true;
            }
            return false;
        });
        if (changed) status();
    }

    /** Most authorship entries kept: a hub cannot make the client grow without bound. */
    private static final int MAX_AUTHORS = 100_000;

    private void addAuthors(List<Message.Author> list) {
        if (list == null) return;
        for (Message.Author a : list) {
            try {
                long r = Wire.parseReplica(a.replica(), "author.replica");
                String user = a.user();
                if (user != null && (user.isEmpty() || user.length() > 128 || !Wire.isSafe(user))) {
                    throw new ProtocolException(ErrorCode.BAD_MESSAGE, "author.user is not a safe id: " + Wire.quote(user));
                }
                if (authors.size() >= MAX_AUTHORS && !authors.containsKey(r)) {
                    log.warn("hub sent more than {} authors; the rest are ignored", MAX_AUTHORS);
                    break;
                }
                authors.put(r, new Author(r, user, Wire.checkName(a.name())));
            } catch (ProtocolException e) {
                log.warn("hub sent a bad author: {}", e.getMessage());
            }
        }
        listener.onAuthors(java.util.Map.copyOf(authors));
    }

    /** Most named versions kept from one message: a hub cannot make the client grow without bound. */
    private static final int MAX_NAMED_VERSIONS = 10_000;

    private void namedVersions(List<Message.NamedVersionInfo> list) {
        if (list == null) return;
        List<NamedVersion> out = new ArrayList<>();
        for (Message.NamedVersionInfo n : list) {
            if (out.size() >= MAX_NAMED_VERSIONS) {
                log.warn("hub sent more than {} named versions; the rest are ignored", MAX_NAMED_VERSIONS);
                break;
            }
            try {
                if (n == null) throw new ProtocolException(ErrorCode.BAD_MESSAGE, "null entry");
                Version v = Wire.parseVersion(n.version(), "namedVersion.version");
                if (n.at() < 0) throw new ProtocolException(ErrorCode.BAD_MESSAGE, "namedVersion.at is negative");
                out.add(new NamedVersion(Wire.checkVersionName(n.name()), v, Wire.checkName(n.by()), java.time.Instant.ofEpochMilli(n.at())));
            } catch (ProtocolException e) {
                log.warn("hub sent a bad named version: {}", e.getMessage());
            }
        }
        namedVersionCount = list.size();
        listener.onNamedVersions(List.copyOf(out));
    }

    private void peerChanged(Message.PeerInfo info) {
        Peer p = toPeer(info);
        if (p == null || p.replicaId() == config.replicaId) return;
        peers.put(p.replicaId(), p);
        listener.onPeers(List.copyOf(peers.values()));
    }

    private void peerLeft(String replica) {
        try {
            if (peers.remove(Wire.parseReplica(replica, "leave.replica")) != null) listener.onPeers(List.copyOf(peers.values()));
        } catch (ProtocolException e) {
            log.warn("hub sent a bad leave: {}", e.getMessage());
        }
    }

    private void hubError(Message.Error e) {
        lastError = e.code() + ": " + e.message();
        log.info("room \"{}\": hub error {}", config.room, lastError);
        // Whatever the flag says, retrying cannot fix an access refusal: only a new invite can.
        ErrorCode code = ErrorCode.fromWire(e.code());
        if (!e.retry() || code == ErrorCode.UNAUTHORIZED || code == ErrorCode.FORBIDDEN) {
            fatal(lastError);
        }
        // The hub closes the connection next; onClosed then schedules the retry.
    }

    private void fatal(String error) {
        lastError = error;
        wantOnline = false;
        dropConnection(1000, "giving up");
        status();
    }

    /** The current connection attempt ended; back off and retry if we still want to be online. */
    private void lost(int a, String why) {
        if (a != attempt || closed) return;
        if (phase == Phase.OFFLINE) return;
        if (lastError == null || phase != Phase.OFFLINE) lastError = lastError != null && why.startsWith("connection closed") ? lastError : why;
        log.debug("room \"{}\": connection lost: {}", config.room, why);
        dropConnection(1000, "reconnecting");
        if (wantOnline) {
            int hubs = config.hubs.size();
            // The delay grows once per round of the list: while this round has untried
            // addresses, trying the next one waits no longer than the round's first retry did.
            long delay = backoff(failures++ / hubs);
            if (hubs > 1) {
                URI from = config.hubs.get(hubIndex);
                hubIndex = (hubIndex + 1) % hubs;
                currentHub = config.hubs.get(hubIndex);
                log.info("room \"{}\": {} failed ({}); trying {} in {} ms", config.room, from, why, currentHub, delay);
            }
            nextRetryMillis = delay;
            retryTask = SyncRuntime.TIMER.schedule(() -> session.execute(this::connect), delay, TimeUnit.MILLISECONDS);
        }
        status();
    }

    /** The delay before retry number {@code failures + 1}: doubling from the initial backoff up to the maximum, randomised to 50-100 %. */
    private long backoff(int failures) {
        long cap = Math.min(config.maxBackoff.toMillis(), config.initialBackoff.toMillis() << Math.min(failures, 20));
        return (long) (cap * (0.5 + 0.5 * config.random.nextDouble()));
    }

    private void dropConnection(int code, String reason) {
        attempt++;
        cancel(pingTask);
        cancel(connectTimeoutTask);
        cancel(sendTask);
        sendTask = null;
        Session s = socket;
        socket = null;
        if (s != null && s.isOpen()) s.close(code, reason, Callback.NOOP);
        sendQueue.clear();
        sending = false;
        phase = Phase.OFFLINE;
        // Unacked pushes of this connection will be covered by the next handshake's resend.
        unacked.clear();
        List<Waiter> moved = new ArrayList<>(waiters.size());
        for (Waiter w : waiters) moved.add(new Waiter(-1, w.future()));
        waiters.clear();
        waiters.addAll(moved);
        if (peers.size() > 1) {
            peers.keySet().removeIf(id -> id != config.replicaId);
            listener.onPeers(List.copyOf(peers.values()));
        }
    }

    // ------------------------------------------------------------------ sending (session thread)

    private void queue(Update u) {
        outgoing.add(u);
        long ops = u.operationCount();
        outgoingOps += ops;
        unsentOps += ops;
        markStoreDirty();
        if (config.coalesce.isZero()) {
            sendOutgoing();
        } else if (sendTask == null) {
            sendTask = SyncRuntime.TIMER.schedule(() -> session.execute(() -> {
                sendTask = null;
                sendOutgoing();
            }), config.coalesce.toMillis(), TimeUnit.MILLISECONDS);
        }
        status();
    }

    private void sendOutgoing() {
        cancel(sendTask);
        sendTask = null;
        if (outgoing.isEmpty()) return;
        if (phase != Phase.SYNCED) {
            // The doc holds these edits; the next handshake sends whatever the hub lacks.
            outgoing.clear();
            outgoingOps = 0;
            if (storeDirty) saveLocal();
            return;
        }
        Update merged = outgoing.size() == 1 ? outgoing.get(0) : Update.merge(outgoing);
        long ops = outgoingOps;
        outgoing.clear();
        outgoingOps = 0;
        push(merged, ops);
    }

    private void push(Update u, long ops) {
        // Write-ahead: whatever the hub may see is on disk first, so a crash right after the send
        // cannot leave the hub with edits this replica's file lacks. That matters only to a
        // replica that, after a crash, reopens its file under the same id: its next edits would
        // reuse ids the hub already holds with other text (bad_update forever). A replica reloaded
        // with a fresh id (Doc.decode(bytes), what the desktop client does) just catches up on
        // them. So when the save fails, the push still goes: holding it back would keep the edits
        // in memory only, and the hub's durable copy is then the only one there is. The failure is
        // in the status (saveError) and the save is retried until it succeeds.
        if (storeDirty) saveLocal();
        long seq = nextSeq++;
        unacked.addLast(new long[] {seq, ops});
        send(Frames.push(seq, u.encode()));
    }

    private void send(Object message) {
        if (socket == null) return;
        sendQueue.addLast(message);
        pump();
    }

    private void pump() {
        Session s = socket;
        if (sending || s == null) return;
        Object next = sendQueue.pollFirst();
        if (next == null) return;
        sending = true;
        int a = attempt;
        Callback done = Callback.from(() -> session.execute(() -> sent(a)), error -> session.execute(() -> {
            if (a == attempt) lost(a, "send failed: " + rootMessage(error));
        }));
        if (next instanceof String text) s.sendText(text, done);
        else if (next instanceof ByteBuffer b) s.sendBinary(b, done);
        else s.sendPing(ByteBuffer.allocate(0), done);
    }

    private void sent(int a) {
        if (a != attempt) return;
        sending = false;
        pump();
    }

    private void schedulePing(int a) {
        pingTask = SyncRuntime.TIMER.scheduleAtFixedRate(() -> session.execute(() -> {
            if (a == attempt && socket != null) send(PING);
        }), config.pingInterval.toMillis(), config.pingInterval.toMillis(), TimeUnit.MILLISECONDS);
    }

    private static final Object PING = new Object();

    // ------------------------------------------------------------------ local store and status

    private void markStoreDirty() {
        if (config.localStore == null) return;
        storeDirty = true;
        scheduleSave(1000);
    }

    private void scheduleSave(long delayMillis) {
        if (saveTask != null) return;
        saveTask = SyncRuntime.TIMER.schedule(() -> session.execute(() -> {
            saveTask = null;
            if (storeDirty && !closed) saveLocal();
        }), delayMillis, TimeUnit.MILLISECONDS);
    }

    /** Saves the session replica; on failure reports it in the status and retries with backoff until a save succeeds. */
    private void saveLocal() {
        if (config.localStore == null) return;
        try {
            config.localStore.save(doc.encode());
            storeDirty = false;
            saveFailures = 0;
            if (saveError != null) {
                saveError = null;
                log.info("room \"{}\": saving the local copy works again", config.room);
                status();
            }
        } catch (Exception e) {
            String error = "cannot save the local copy: " + rootMessage(e);
            if (!error.equals(saveError)) log.error("room \"{}\": {} (retrying)", config.room, error);
            saveError = error;
            if (!closed) scheduleSave(backoff(saveFailures++));
            status();
        }
    }

    private void status() {
        SyncStatus.State state = phase == Phase.SYNCED ? SyncStatus.State.CONNECTED
                : wantOnline && !closed ? SyncStatus.State.CONNECTING : SyncStatus.State.OFFLINE;
        SyncStatus s = new SyncStatus(state, state == SyncStatus.State.CONNECTING ? nextRetryMillis : 0, unsentOps, lastError, wantOnline && !closed, saveError, currentHub);
        if (!s.equals(lastStatus)) {
            lastStatus = s;
            listener.onStatus(s);
        }
    }

    private Peer selfPeer() {
        return new Peer(config.replicaId, config.userName, config.color.toLowerCase(java.util.Locale.ROOT), "idle".equals(presence.state()),
                presence.typing(), anchorOrNull(presence.cursor()), anchorOrNull(presence.selection()), true);
    }

    private static Peer toPeer(Message.PeerInfo p) {
        try {
            // The hub is not trusted either: a colour Color.web rejects would throw on the FX thread.
            return new Peer(Wire.parseReplica(p.replica(), "peer.replica"), Wire.checkName(p.name()), Wire.checkColor(p.color()), "idle".equals(p.state()), p.typing(),
                    Wire.parseAnchor(p.cursor(), "peer.cursor"), Wire.parseAnchor(p.selection(), "peer.selection"), false,
                    Boolean.TRUE.equals(p.viewer()));
        } catch (ProtocolException e) {
            log.warn("hub sent a bad peer: {}", e.getMessage());
            return null;
        }
    }

    private static Anchor anchorOrNull(Message.WireAnchor a) {
        return a == null ? null : Wire.parseAnchor(a, "presence");
    }

    private static void cancel(ScheduledFuture<?> f) {
        if (f != null) f.cancel(false);
    }

    /**
     * Why a connection could not be made, in words a user can act on. A {@code ws://} address
     * of a hub that serves TLS gets a TLS alert (record type 0x15) where an HTTP status line
     * should be; a {@code wss://} address of a plain hub gets plain HTTP where a TLS record should
     * be. Both are a wrong scheme in the address, not a broken hub.
     */
    static String connectFailure(URI uri, Throwable error) {
        return connectFailure(uri, rootMessage(error));
    }

    private static String connectFailure(URI uri, String root) {
        String at = uri.getRawAuthority();
        if ("ws".equalsIgnoreCase(uri.getScheme()) && root.contains("Illegal character CNTL=0x15")) {
            return "the hub at " + at + " speaks TLS: use wss://" + at;
        }
        if ("wss".equalsIgnoreCase(uri.getScheme()) && (root.contains("Unrecognized SSL message") || root.contains("Unsupported or unrecognized SSL message"))) {
            return "the hub at " + at + " does not speak TLS: use ws://" + at;
        }
        return "cannot connect to " + uri + ": " + root;
    }

    private static String rootMessage(Throwable t) {
        while (t.getCause() != null && t.getCause() != t) t = t.getCause();
        return t.getMessage() == null ? t.toString() : t.getMessage();
    }
}
