package dev.tandem.hub;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.tandem.crdt.CrdtFormatException;
import dev.tandem.crdt.Doc;
import dev.tandem.crdt.Update;
import dev.tandem.crdt.Version;
import dev.tandem.hub.store.ReplicaOwner;
import dev.tandem.hub.store.RoomStore;
import dev.tandem.hub.store.StoredRoom;
import dev.tandem.protocol.ErrorCode;
import dev.tandem.protocol.Frames;
import dev.tandem.protocol.Message;
import dev.tandem.protocol.Wire;
import dev.tandem.sync.SerialExecutor;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * One room: the hub's replica of the document, its members and its storage. Every field below
 * {@link #exec} is owned by that serial executor (the room's "thread"); other threads only
 * submit tasks to it.
 */
final class Room {
    private static final Logger log = LoggerFactory.getLogger(Room.class);

    enum State { LOADING, OPEN, UNLOADING, FAILED, CLOSED }

    final String name;
    final SerialExecutor exec;
    private final RoomRegistry registry;
    private final RoomStore store;
    private final HubConfig config;
    private final HubMetrics metrics;
    /** Joins routed to this room whose task has not run yet; keeps an unload from racing a join. */
    final AtomicInteger pendingJoins = new AtomicInteger();
    /** Everything it covers is committed; written only by the store's completion thread, in commit order. */
    private volatile Version durableVersion = Version.EMPTY;

    private State state = State.LOADING;
    private String failure;
    /** What a join of a FAILED room is told (store_full for a new room over the store bound). */
    private ErrorCode failureCode = ErrorCode.ROOM_UNAVAILABLE;
    private Doc doc;
    private Version version = Version.EMPTY;
    private long key;
    /**
     * The store's sequence number of the last entry this room appended (or loaded): what a
     * snapshot taken now covers. The store gives the numbers out, so this completes only when
     * that append has committed.
     */
    private CompletableFuture<Long> lastAppend = CompletableFuture.completedFuture(0L);
    /** Snapshot, held operations and log, as stored: what the room size bound counts. */
    private long storedBytes;
    private int logEntries;
    /** The doc's held runs and characters as last added to the hub's metrics. */
    private int reportedHeldRuns;
    private long reportedHeldChars;
    /** How many of {@code doc.refusedReplicas()} were logged and told. */
    private int reportedRefusals;
    private final Map<Long, HubConnection> members = new LinkedHashMap<>();
    /**
     * Who owns each replica id used in this room: bound at its first hello or first operation,
     * never rebound. Operations of a replica are accepted only from its owner.
     */
    private final Map<Long, ReplicaOwner> owners = new java.util.HashMap<>();
    /** The room's named versions, oldest first, as stored. */
    private final List<dev.tandem.hub.store.StoredNamedVersion> named = new ArrayList<>();
    /** The most named versions a room keeps; one more is refused (docs/protocol.md, name_version). */
    static final int MAX_NAMED_VERSIONS = Message.MAX_NAMED_VERSIONS;
    /** members.size(), for the admin listing (read by any thread). */
    private volatile int memberCount;
    private ScheduledFuture<?> unloadTimer;

    /**
     * Tests only: called with (room, point) at named points of a room's tasks ("load", and
     * "apply" right after a push changed the replica); it may throw to inject a failure there.
     */
    static volatile java.util.function.BiConsumer<String, String> faultHook;

    private void hook(String point) {
        java.util.function.BiConsumer<String, String> h = faultHook;
        if (h != null) h.accept(name, point);
    }

    Room(String name, java.util.concurrent.Executor pool, RoomRegistry registry, RoomStore store, HubConfig config, HubMetrics metrics) {
        this.name = name;
        this.exec = new SerialExecutor(pool, this::taskFailed);
        this.registry = registry;
        this.store = store;
        this.config = config;
        this.metrics = metrics;
        exec.execute(this::load);
    }

    private void load() {
        try {
            hook("load");
            StoredRoom stored = store.read(name);
            if (stored == null) {
                long max = config.security().maxStoreBytes();
                if (max != Long.MAX_VALUE && store.totalBytes() >= max) {
                    // Existing rooms keep working: only a new room would grow the store further.
                    failureCode = ErrorCode.STORE_FULL;
                    log.warn("room {} refused: the store uses {} bytes, --max-store-bytes is {}", Wire.quote(name), store.totalBytes(), max);
                    fail("the hub's store is full (--max-store-bytes " + max + "): no new rooms; existing rooms keep working");
                    return;
                }
                stored = store.open(name);
            }
            Doc d = decode(stored);
            d.limitHeld(config.maxHeldRuns(), config.maxHeldChars());
            doc = d;
            version = d.version();
            durableVersion = version;
            key = stored.key();
            lastAppend = CompletableFuture.completedFuture(stored.lastSeq());
            storedBytes = stored.storedBytes();
            logEntries = stored.updates().size();
            owners.putAll(stored.owners());
            named.addAll(stored.namedVersions());
            state = State.OPEN;
            heldChanged();
            reportRefusals();
            log.info("room \"{}\" loaded: {} chars, {} held runs, {} log entries, {} bytes", name, d.length(), d.heldRuns(), logEntries, storedBytes);
        } catch (RuntimeException | Error e) {
            // Never serve a room whose stored state is unreadable: starting it empty would let
            // the next edit overwrite good data. An Error (say, OutOfMemoryError on a huge
            // document) is refused the same way, rather than leaving the room without a replica.
            log.error("room {} could not be loaded", Wire.quote(name), e);
            fail("room \"" + name + "\" could not be loaded: " + e.getMessage());
        }
    }

    /**
     * The document a stored room holds. Everything stored was accepted under the limits of its
     * time: it is loaded whole (the caller bounds what comes next; runs held already stay held).
     *
     * @throws RuntimeException (a CrdtFormatException, say) if the stored bytes do not load
     */
    static Doc decode(StoredRoom stored) {
        Doc d = stored.snapshot() == null ? new Doc() : Doc.decode(stored.snapshot());
        d.limitHeld(Integer.MAX_VALUE, Long.MAX_VALUE);
        if (stored.held() != null) d.apply(Update.decode(stored.held()));
        for (byte[] u : stored.updates()) d.apply(Update.decode(u));
        return d;
    }

    int memberCount() {
        return memberCount;
    }

    /**
     * Runs on exec: an admin deleted the room. Every member is told {@code room_deleted} (retry
     * false), the replica is dropped, and once earlier writes have settled the stored room is
     * deleted; {@code done} completes with whether there was a stored room.
     */
    void delete(CompletableFuture<Boolean> done) {
        state = State.FAILED;
        failure = "room \"" + name + "\" was deleted by an admin";
        doc = null;
        heldChanged();
        cancelUnload();
        for (HubConnection m : new ArrayList<>(members.values())) m.fail(ErrorCode.ROOM_DELETED, failure);
        members.clear();
        memberCount = 0;
        store.flush().handle((ok, e) -> null).thenCompose(x -> store.delete(name)).whenComplete((had, error) -> {
            if (error != null) done.completeExceptionally(error);
            else done.complete(had);
            exec.execute(this::retireDeleted);
        });
    }

    private void retireDeleted() {
        if (registry.holds(this) && !registry.remove(this)) {
            // A join is on its way here; it will be refused (the room is FAILED), then this retries.
            exec.execute(this::retireDeleted);
            return;
        }
        state = State.CLOSED;
    }

    /** Runs on exec. */
    void join(HubConnection conn, long replica, Message.PeerInfo peer, Version clientVersion) {
        pendingJoins.decrementAndGet();
        if (state == State.CLOSED) {
            // Cannot happen while pendingJoins holds the room in the registry; refuse rather than guess.
            conn.fail(ErrorCode.ROOM_UNAVAILABLE, "room \"" + name + "\" was being unloaded; reconnect");
            return;
        }
        if (state == State.FAILED) {
            conn.fail(failureCode, failure);
            return;
        }
        if (conn.isClosed()) {
            maybeScheduleUnload();
            return;
        }
        ReplicaOwner bound = owners.get(replica);
        if (bound != null && !sameOwner(bound, conn.owner())) {
            // Refused, not replacing the owner's connection: the id is someone else's, online or not.
            conn.fail(ErrorCode.REPLICA_CLAIMED, "replica " + Wire.replica(replica) + " belongs to another user in room \"" + name
                    + "\"; a client must use replica ids of its own", false);
            maybeScheduleUnload();
            return;
        }
        if (!members.containsKey(replica) && members.size() >= config.security().maxMembersPerRoom()) {
            conn.fail(ErrorCode.TOO_MANY_CONNECTIONS, "room \"" + name + "\" has its maximum of " + config.security().maxMembersPerRoom() + " members");
            maybeScheduleUnload();
            return;
        }
        if (state == State.UNLOADING) state = State.OPEN;
        cancelUnload();
        List<Message.Author> changed = bind(replica, conn.owner());
        HubConnection old = members.put(replica, conn);
        memberCount = members.size();
        if (old != null) {
            log.info("room \"{}\": replica {} reconnected, replacing its old connection", name, Wire.replica(replica));
            old.replaced();
        }
        List<Message.PeerInfo> peers = new ArrayList<>(members.size());
        for (HubConnection m : members.values()) peers.add(m.peer());
        List<Message.Author> authors = new ArrayList<>(owners.size());
        owners.forEach((r, o) -> authors.add(author(r, o)));
        conn.send(Wire.write(new Message.Welcome(Message.PROTOCOL, name, Wire.version(durableVersion), peers,
                new Message.Limits(config.maxMessageBytes(), config.idleTimeout().toMillis()), authors, namedVersions())));
        conn.send(Frames.withKind(Frames.CATCH_UP, doc.updatesSince(clientVersion).encode()));
        if (!changed.isEmpty()) broadcast(conn, Wire.write(new Message.Authors(changed)));
        broadcast(conn, Wire.write(new Message.PeerChanged(peer)));
    }

    /** Runs on exec. */
    void push(HubConnection conn, long seq, Update update, byte[] bytes) {
        if (state != State.OPEN && state != State.UNLOADING) return;
        if (conn.isClosed() || members.get(conn.replica()) != conn) return;
        // Only *new* operations are a claim: operations the room already holds come back
        // honestly (a resend, or a joiner echoing its catch-up). New operations of a replica
        // someone else owns are refused whether its owner is online or not: otherwise they would
        // take the owner's next sequence numbers, and the owner's real edits could never sync.
        Version carried = null;
        List<Long> unbound = null;
        for (long r : update.replicas()) {
            if (carried == null) carried = update.version();
            if (carried.inserts(r) <= version.inserts(r) && carried.deletes(r) <= version.deletes(r)) continue;
            ReplicaOwner o = owners.get(r);
            if (o == null) {
                if (unbound == null) unbound = new ArrayList<>();
                unbound.add(r);
            } else if (!sameOwner(o, conn.owner())) {
                conn.fail(ErrorCode.REPLICA_CLAIMED, "the update carries new operations of replica " + Wire.replica(r)
                        + ", which belongs to another user; nothing of it was applied", false);
                return;
            }
        }
        for (long r : update.replicas()) {
            if (r == conn.replica() || !members.containsKey(r)) continue;
            if (carried.inserts(r) > version.inserts(r) || carried.deletes(r) > version.deletes(r)) {
                conn.fail(ErrorCode.REPLICA_CLAIMED, "the update carries operations of replica " + Wire.replica(r)
                        + ", which another live connection in this room owns");
                return;
            }
        }
        // A resend of what the room has is stored nowhere, so a full room still acks it.
        if (storedBytes + bytes.length > config.maxRoomBytes() && !version.covers(update.version())) {
            conn.fail(ErrorCode.ROOM_FULL, "room \"" + name + "\" reached its maximum size of " + config.maxRoomBytes() + " bytes");
            return;
        }
        long heldMark = doc.heldChanges();
        long wakeMark = doc.heldWakes();
        try {
            // Refused (document unchanged) also when it could make the held operations exceed
            // the room's limits: only a dishonest or broken client sends what never applies.
            doc.apply(update);
        } catch (CrdtFormatException e) {
            conn.fail(ErrorCode.BAD_UPDATE, "update rejected: " + e.getMessage());
            return;
        }
        hook("apply");
        if (unbound != null) {
            // First use of these ids (a replica the client rebuilt, say): they are the pusher's now.
            List<Message.Author> bound = new ArrayList<>();
            for (long r : unbound) bound.addAll(bind(r, conn.owner()));
            if (!bound.isEmpty()) {
                String authors = Wire.write(new Message.Authors(bound));
                for (HubConnection m : members.values()) m.send(authors);
            }
        }
        Version after = doc.version();
        // Held operations are not in the version: an update that only adds to them is stored
        // too, and one that adds nothing at all (a resend, held or applied) is not.
        boolean heldMoved = doc.heldChanges() != heldMark;
        boolean changed = heldMoved || !after.equals(version);
        if (heldMoved) {
            heldChanged();
            reportRefusals();
        }
        CompletableFuture<Void> durable;
        if (changed) {
            ByteBuffer relay = Frames.withKind(Frames.RELAY, bytes);
            // Held operations this push let apply are not in its bytes, and a peer that joined
            // after they arrived never got them: relay them too (all that was applied; a
            // duplicate is harmless). Only when a held run woke, so an ordinary push pays nothing.
            ByteBuffer woken = doc.heldWakes() != wakeMark && !after.equals(version)
                    ? Frames.withKind(Frames.RELAY, doc.updatesSince(version).encode()) : null;
            version = after;
            storedBytes += bytes.length;
            logEntries++;
            metrics.updateStored();
            CompletableFuture<Long> appended = store.append(key, bytes);
            lastAppend = appended;
            durable = appended.thenApply(entry -> null);
            int delivered = 0;
            for (HubConnection m : members.values()) {
                if (m != conn) {
                    m.send(relay);
                    delivered++;
                    if (woken != null) {
                        m.send(woken);
                        delivered++;
                    }
                }
            }
            metrics.delivered(delivered);
            if (logEntries >= config.compactEvery()) compact();
        } else {
            durable = store.flush(key);
        }
        durable.whenComplete((ok, error) -> {
            if (error != null) {
                exec.execute(() -> storageFailed(error));
            } else {
                durableVersion = after;
                conn.ack(seq);
            }
        });
    }

    /**
     * Runs on exec: names the room's text at {@code v} (already checked for its form by the
     * connection). Refused when the room does not hold everything {@code v} names (a client sends
     * its edits before naming them) or has its maximum of named versions. Stored, then sent to
     * every member (the whole list), so everyone sees only what is durable.
     */
    void nameVersion(HubConnection conn, String versionName, Version v, String by) {
        if (state != State.OPEN && state != State.UNLOADING) return;
        if (conn.isClosed() || members.get(conn.replica()) != conn) return;
        if (!version.covers(v)) {
            conn.fail(ErrorCode.BAD_MESSAGE, "name_version.version names operations room \"" + name + "\" does not hold");
            return;
        }
        if (named.size() >= MAX_NAMED_VERSIONS) {
            // Retry true: an honest client checks the count first, so this is a race with
            // someone else naming at the same moment; reconnecting loses nothing.
            conn.fail(ErrorCode.ROOM_FULL, "room \"" + name + "\" has its maximum of " + MAX_NAMED_VERSIONS + " named versions", true);
            return;
        }
        var entry = new dev.tandem.hub.store.StoredNamedVersion(versionName, v.encode(), by, System.currentTimeMillis());
        named.add(entry);
        log.info("room {}: version {} named by {}", Wire.quote(name), Wire.quote(versionName), Wire.quote(by));
        store.addNamedVersion(key, entry).whenComplete((ok, error) -> exec.execute(() -> {
            if (error != null) {
                storageFailed(error);
            } else if (state == State.OPEN || state == State.UNLOADING) {
                String list = Wire.write(new Message.NamedVersions(namedVersions()));
                for (HubConnection m : members.values()) m.send(list);
            }
        }));
    }

    private List<Message.NamedVersionInfo> namedVersions() {
        List<Message.NamedVersionInfo> out = new ArrayList<>(named.size());
        for (var n : named) {
            out.add(new Message.NamedVersionInfo(n.name(), java.util.Base64.getEncoder().encodeToString(n.version()), n.by(), n.atMillis()));
        }
        return out;
    }

    /**
     * Runs on exec: binds {@code replica} to {@code owner} if unbound (or renames it for the same
     * owner); returns the authorship entries that changed (empty if none).
     */
    private List<Message.Author> bind(long replica, ReplicaOwner owner) {
        ReplicaOwner old = owners.get(replica);
        if (old != null && (!sameOwner(old, owner) || old.name().equals(owner.name()))) return List.of();
        owners.put(replica, owner);
        store.bindReplica(key, replica, owner).whenComplete((ok, error) -> {
            if (error != null) exec.execute(() -> storageFailed(error));
        });
        if (old == null) log.info("room {}: replica {} bound to {}", Wire.quote(name), Wire.replica(replica),
                owner.userId() != null ? "user " + Wire.quote(owner.userId()) : "a replica secret (" + Wire.quote(owner.name()) + ")");
        return List.of(author(replica, owner));
    }

    private static Message.Author author(long replica, ReplicaOwner o) {
        return new Message.Author(Wire.replica(replica), o.userId(), o.name());
    }

    /** Compares in constant time: the owner string of --auth none is derived from a secret. */
    private static boolean sameOwner(ReplicaOwner a, ReplicaOwner b) {
        return java.security.MessageDigest.isEqual(a.owner().getBytes(java.nio.charset.StandardCharsets.UTF_8),
                b.owner().getBytes(java.nio.charset.StandardCharsets.UTF_8));
    }

    /** Runs on exec: brings the hub's held gauges to this room's counts. */
    private void heldChanged() {
        int runs = doc == null ? 0 : doc.heldRuns();
        long chars = doc == null ? 0 : doc.heldChars();
        if (runs == reportedHeldRuns && chars == reportedHeldChars) return;
        metrics.held(runs - reportedHeldRuns, chars - reportedHeldChars);
        reportedHeldRuns = runs;
        reportedHeldChars = chars;
    }

    /**
     * Runs on exec, after held runs changed: logs each replica the replica newly refuses (a held
     * run of it turned out never to apply) and fails that replica's connection here, if any,
     * with {@code bad_update}, so its owner learns of it instead of waiting forever.
     */
    private void reportRefusals() {
        long[] refused = doc.refusedReplicas();
        for (int i = reportedRefusals; i < refused.length; i++) {
            String why = "operations of replica " + Wire.replica(refused[i]) + " that waited for their causes can never apply (with the causes"
                    + " that arrived they would split a surrogate pair); they were dropped, and its later operations that depend on them are refused";
            log.warn("room {}: {}", Wire.quote(name), why);
            HubConnection owner = members.get(refused[i]);
            if (owner != null) owner.fail(ErrorCode.BAD_UPDATE, why);
        }
        reportedRefusals = refused.length;
    }

    /** Runs on exec. */
    void presence(HubConnection conn, Message.PeerInfo peer) {
        if (members.get(conn.replica()) != conn) return;
        conn.setPeer(peer);
        broadcast(conn, Wire.write(new Message.PeerChanged(peer)));
    }

    /** Runs on exec: the connection closed, failed or was replaced. */
    void leave(HubConnection conn) {
        if (members.get(conn.replica()) == conn) {
            members.remove(conn.replica());
            memberCount = members.size();
            broadcast(conn, Wire.write(new Message.Leave(Wire.replica(conn.replica()))));
        }
        maybeScheduleUnload();
    }

    /** Runs on exec: closes every member with 1001 ahead of a hub stop. */
    void shutdown() {
        for (HubConnection m : new ArrayList<>(members.values())) m.fail(ErrorCode.SHUTTING_DOWN, "the hub is shutting down");
        if (state == State.OPEN && logEntries > 0) compact();
    }

    /** Folds the log into a snapshot; the held operations are stored beside it, not lost. */
    private void compact() {
        byte[] snapshot = doc.encode();
        byte[] held = doc.hasPending() ? doc.heldUpdate().encode() : null;
        // The snapshot holds every entry appended so far; it covers them once the last one has its
        // number. If that append fails, so does this compaction (the room fails either way).
        lastAppend.thenCompose(upto -> store.compact(key, upto, snapshot, held)).whenComplete((ok, error) -> {
            if (error != null) exec.execute(() -> storageFailed(error));
        });
        storedBytes = snapshot.length + (held == null ? 0 : held.length);
        logEntries = 0;
    }

    private void broadcast(HubConnection except, String text) {
        for (HubConnection m : members.values()) {
            if (m != except) m.send(text);
        }
    }

    private void storageFailed(Throwable error) {
        if (state == State.FAILED || state == State.CLOSED) return;
        log.error("room {}: a write failed: {}", Wire.quote(name), Wire.escape(String.valueOf(error.getMessage())));
        fail("room \"" + name + "\" could not be stored: " + error.getMessage());
    }

    /**
     * Runs on exec, right after a task of this room threw: the replica may be half-changed (a
     * push applied but not stored, say), so it must never be relayed, stored or compacted.
     */
    private void taskFailed(Throwable e) {
        log.error("room {}: a task failed; its replica is dropped and reloaded from disk at the next join", Wire.quote(name), e);
        fail("room \"" + name + "\" failed on the hub and is reloaded from what is stored; reconnect");
    }

    /**
     * Runs on exec: drops the replica, disconnects every member with {@code room_unavailable}
     * (they keep their unacknowledged edits and resend them), and leaves the registry once the
     * room's writes have settled, so the next join reloads what is durable.
     */
    private void fail(String why) {
        if (state == State.FAILED || state == State.CLOSED) return;
        state = State.FAILED;
        failure = why;
        doc = null;
        heldChanged();
        cancelUnload();
        for (HubConnection m : new ArrayList<>(members.values())) m.fail(ErrorCode.ROOM_UNAVAILABLE, failure);
        members.clear();
        memberCount = 0;
        retire();
    }

    private void maybeScheduleUnload() {
        if (!members.isEmpty() || unloadTimer != null || state != State.OPEN) return;
        unloadTimer = registry.scheduler().schedule(() -> exec.execute(this::startUnload),
                config.roomUnloadAfter().toMillis(), TimeUnit.MILLISECONDS);
    }

    private void cancelUnload() {
        if (unloadTimer != null) {
            unloadTimer.cancel(false);
            unloadTimer = null;
        }
    }

    private void startUnload() {
        unloadTimer = null;
        if (state != State.OPEN || !members.isEmpty()) return;
        state = State.UNLOADING;
        if (logEntries > 0) compact();
        store.flush().whenComplete((ok, error) -> exec.execute(this::finishUnload));
    }

    private void finishUnload() {
        if (state != State.UNLOADING || !members.isEmpty()) return;
        if (registry.remove(this)) {
            state = State.CLOSED;
            doc = null;
            heldChanged();
            log.info("room \"{}\" unloaded", name);
        } else {
            state = State.OPEN;
            maybeScheduleUnload();
        }
    }

    /** Leaves the registry once every write of this room has settled, so a reload sees them all. */
    private void retire() {
        store.flush().whenComplete((ok, error) -> exec.execute(() -> {
            if (!registry.remove(this)) {
                exec.execute(this::retire);
                return;
            }
            State was = state;
            state = State.CLOSED;
            if (was == State.FAILED) log.info("room \"{}\" retired after failure", name);
        }));
    }
}
