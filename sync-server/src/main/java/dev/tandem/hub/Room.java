package dev.tandem.hub;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.tandem.crdt.CrdtFormatException;
import dev.tandem.crdt.Doc;
import dev.tandem.crdt.Update;
import dev.tandem.crdt.Version;
import dev.tandem.hub.store.ReplicaOwner;
import dev.tandem.hub.store.RoomStore;
import dev.tandem.hub.store.SharedRoomStore;
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
 *
 * <p>With a {@link Bus} (several hubs serving the room, docs/scale.md) the room also applies what
 * other hubs store: each entry arrives on the bus with its sequence number once committed, and
 * {@link #seqs} tracks which numbers the replica holds. A gap (a lost message) or an entry the
 * periodic check finds in the store is read from the store ({@link #catchUp}). People on other
 * hubs are in {@link #remote}.
 */
final class Room {
    private static final Logger log = LoggerFactory.getLogger(Room.class);

    enum State { LOADING, OPEN, UNLOADING, FAILED, CLOSED }

    final String name;
    final SerialExecutor exec;
    private final RoomRegistry registry;
    private final RoomStore store;
    private final Bus bus;
    private final HubConfig config;
    private final HubMetrics metrics;
    /** Joins routed to this room whose task has not run yet; keeps an unload from racing a join. */
    final AtomicInteger pendingJoins = new AtomicInteger();
    /** Everything it covers is committed; written only by the store's completion thread, in commit order. */
    private volatile Version durableVersion = Version.EMPTY;

    private State state = State.LOADING;
    /** Whether this room holds one of the bus's subscriptions of its name (undone when it leaves the registry). */
    private boolean subscribed;
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
    /** The store's sequence numbers of the entries the replica holds (own, from the bus, or read). */
    private final Seqs seqs = new Seqs();
    /** The highest number in {@link #seqs}, for the periodic check (read by the timer thread). */
    private volatile long knownSeq;
    /** The store's key of the room once loaded, for the periodic check (read by the timer thread). */
    private volatile long storeKey = -1;
    /** Own appends not committed yet: while there are some, an entry from the bus does not move durableVersion. */
    private int pendingAppends;
    /** People in this room on other hubs: hub id -> replica -> presence. */
    private final Map<Long, Map<Long, Message.PeerInfo>> remote = new java.util.HashMap<>();
    private ScheduledFuture<?> gapTimer;
    /** Answers of the shared store to replica claims made for joins, until the join takes them. */
    private final Map<Long, ReplicaOwner> claimed = new java.util.HashMap<>();
    /** A read of the store for this room is on its way (one at a time). */
    private boolean catchingUp;
    /** How long a gap in the sequence numbers may last before the room reads the store (messages of two hubs may cross). */
    static volatile long gapWaitMillis = 2000;

    /**
     * Tests only: called with (room, point) at named points of a room's tasks ("load", and
     * "apply" right after a push changed the replica); it may throw to inject a failure there.
     */
    static volatile java.util.function.BiConsumer<String, String> faultHook;

    private void hook(String point) {
        java.util.function.BiConsumer<String, String> h = faultHook;
        if (h != null) h.accept(name, point);
    }

    Room(String name, java.util.concurrent.Executor pool, RoomRegistry registry, RoomStore store, Bus bus, HubConfig config, HubMetrics metrics) {
        this.name = name;
        this.exec = new SerialExecutor(pool, this::taskFailed);
        this.registry = registry;
        this.store = store;
        this.bus = bus;
        this.config = config;
        this.metrics = metrics;
        exec.execute(this::load);
    }

    /**
     * Runs on exec, first: reads the room on the store readers (the room pool is small and
     * shared by every room, and a load from a slow database must not hold up joins to the
     * others) while exec waits, then {@link #loaded} applies what was read before any queued
     * task (joins, messages from the bus) runs.
     */
    private void load() {
        CompletableFuture<Loaded> read = new CompletableFuture<>();
        try {
            registry.storeReaders().execute(() -> read.complete(readStored()));
        } catch (java.util.concurrent.RejectedExecutionException e) {
            // The hub is closing.
            read.complete(Loaded.failed(false, e));
        }
        // readStored catches what fails; a failed future is handled the same way all the same.
        exec.waitFor(read, (r, unexpected) -> loaded(unexpected == null ? r : Loaded.failed(false, unexpected)));
    }

    /**
     * What a load read from the store, handed back to exec (which owns the room's fields):
     * either the stored room and its decoded replica, or the store's size if a new room would
     * go over the store bound, or what failed. {@code subscribed} whether the bus subscription
     * was taken (also when a later step failed: it is undone when the room retires).
     */
    private record Loaded(boolean subscribed, StoredRoom stored, Doc doc, long storeFullAt, Throwable failure) {
        static Loaded failed(boolean subscribed, Throwable failure) {
            return new Loaded(subscribed, null, null, -1, failure);
        }
    }

    /** Runs on a store reader (blocking): never touches the room's fields. */
    private Loaded readStored() {
        boolean subscribedNow = false;
        try {
            hook("load");
            // Subscribed before reading: an entry committed after the read is then on the bus.
            bus.subscribe(name);
            subscribedNow = true;
            StoredRoom stored = store.read(name);
            if (stored == null) {
                long max = config.security().maxStoreBytes();
                if (max != Long.MAX_VALUE) {
                    long total = store.totalBytes();
                    // Existing rooms keep working: only a new room would grow the store further.
                    if (total >= max) return new Loaded(true, null, null, total, null);
                }
                stored = store.open(name);
            }
            Doc d = stored.decode();
            d.limitHeld(config.maxHeldRuns(), config.maxHeldChars());
            return new Loaded(true, stored, d, -1, null);
        } catch (RuntimeException | Error e) {
            return Loaded.failed(subscribedNow, e);
        }
    }

    /** Runs on exec, before any task queued meanwhile: opens the room with what {@link #load} read, or fails it. */
    private void loaded(Loaded r) {
        subscribed = r.subscribed();
        if (r.failure() != null) {
            loadFailed(r.failure());
            return;
        }
        if (r.stored() == null) {
            long max = config.security().maxStoreBytes();
            failureCode = ErrorCode.STORE_FULL;
            log.warn("room {} refused: the store uses {} bytes, --max-store-bytes is {}", Wire.quote(name), r.storeFullAt(), max);
            fail("the hub's store is full (--max-store-bytes " + max + "): no new rooms; existing rooms keep working");
            return;
        }
        try {
            StoredRoom stored = r.stored();
            Doc d = r.doc();
            doc = d;
            version = d.version();
            durableVersion = version;
            key = stored.key();
            lastAppend = CompletableFuture.completedFuture(stored.lastSeq());
            storedBytes = stored.storedBytes();
            logEntries = stored.updates().size();
            owners.putAll(stored.owners());
            named.addAll(stored.namedVersions());
            seqs.advanceTo(stored.lastSeq());
            knownSeq = seqs.max();
            storeKey = key;
            state = State.OPEN;
            if (bus.shared()) bus.publish(name, BusMessage.signal(BusMessage.Kind.HELLO, bus.hubId()));
            heldChanged();
            reportRefusals();
            log.info("room \"{}\" loaded: {} chars, {} held runs, {} log entries, {} bytes", name, d.length(), d.heldRuns(), logEntries, storedBytes);
        } catch (RuntimeException | Error e) {
            loadFailed(e);
        }
    }

    /**
     * Never serve a room whose stored state is unreadable: starting it empty would let the next
     * edit overwrite good data. An Error (say, OutOfMemoryError on a huge document) is refused
     * the same way, rather than leaving the room without a replica.
     */
    private void loadFailed(Throwable e) {
        log.error("room {} could not be loaded", Wire.quote(name), e);
        fail("room \"" + name + "\" could not be loaded: " + e.getMessage());
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
        stopServing(ErrorCode.ROOM_DELETED, "room \"" + name + "\" was deleted by an admin");
        store.flush().handle((ok, e) -> null).thenCompose(x -> store.delete(name)).whenComplete((had, error) -> {
            if (error == null) bus.publish(name, BusMessage.signal(BusMessage.Kind.DELETED, bus.hubId()));
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
        leaveBus();
    }

    /** Runs on exec: another hub's admin deleted the room; like {@link #delete}, but the store is that hub's business. */
    private void deletedElsewhere() {
        stopServing(ErrorCode.ROOM_DELETED, "room \"" + name + "\" was deleted by an admin");
        log.info("room {} was deleted on another hub", Wire.quote(name));
        retireDeleted();
    }

    /** Runs on exec. */
    void join(HubConnection conn, long replica, Message.PeerInfo peer, Version clientVersion) {
        pendingJoins.decrementAndGet();
        // The shared store's answer to a claim made for this join, if it made one (below).
        ReplicaOwner claimedNow = claimed.remove(replica);
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
        if (bound == null && store instanceof SharedRoomStore shared) {
            if (claimedNow == null) {
                // Another hub may have bound it (a message about that may still be on its way):
                // the store decides. Asked off the room pool, which a join storm (a hub died, its
                // clients arrive here) must not tie up; the join goes on here with the answer.
                claimAndJoin(shared, conn, replica, peer, clientVersion);
                return;
            }
            bound = learnClaim(replica, claimedNow, conn.owner());
        }
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
        for (Map<Long, Message.PeerInfo> there : remote.values()) {
            there.forEach((r, p) -> {
                if (!members.containsKey(r)) peers.add(p);
            });
        }
        List<Message.Author> authors = new ArrayList<>(owners.size());
        owners.forEach((r, o) -> authors.add(author(r, o)));
        conn.send(Wire.write(new Message.Welcome(Message.PROTOCOL, name, Wire.version(durableVersion), peers,
                new Message.Limits(config.maxMessageBytes(), config.idleTimeout().toMillis()), authors, namedVersions())));
        conn.send(Frames.withKind(Frames.CATCH_UP, doc.updatesSince(clientVersion).encode()));
        // A client coming from another hub may know entries that hub stored but had not told
        // the bus yet (it died, say): read them now rather than at the next check.
        if (store instanceof SharedRoomStore && !version.covers(clientVersion)) exec.execute(this::catchUp);
        if (!changed.isEmpty()) broadcast(conn, Wire.write(new Message.Authors(changed)));
        broadcast(conn, Wire.write(new Message.PeerChanged(peer)));
        bus.publish(name, BusMessage.peer(bus.hubId(), conn.peer()));
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
        if (unbound != null && store instanceof SharedRoomStore) {
            // Bound on another hub, perhaps: the store decides, before anything is applied.
            for (long r : unbound) {
                ReplicaOwner stored;
                try {
                    stored = claimShared(r, conn.owner());
                } catch (dev.tandem.hub.store.StoreException e) {
                    conn.fail(ErrorCode.ROOM_UNAVAILABLE, "room \"" + name + "\" cannot be stored right now; reconnect");
                    return;
                }
                if (!sameOwner(stored, conn.owner())) {
                    conn.fail(ErrorCode.REPLICA_CLAIMED, "the update carries new operations of replica " + Wire.replica(r)
                            + ", which belongs to another user; nothing of it was applied", false);
                    return;
                }
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
            relayApplied(conn, bytes, wakeMark, after);
            version = after;
            storedBytes += bytes.length;
            logEntries++;
            metrics.updateStored();
            CompletableFuture<Long> appended = store.append(key, bytes);
            lastAppend = appended;
            pendingAppends++;
            // Committed, then told to the other hubs: what they see is durable, and carries its number.
            durable = appended.thenApply(entry -> {
                bus.publish(name, BusMessage.update(bus.hubId(), entry, bytes));
                exec.execute(() -> ownCommitted(entry));
                return null;
            });
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
                bus.publish(name, BusMessage.named(bus.hubId(), entry));
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
            else bus.publish(name, BusMessage.owner(bus.hubId(), replica, owner));
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
        bus.publish(name, BusMessage.peer(bus.hubId(), peer));
    }

    /** Runs on exec: the connection closed, failed or was replaced. */
    void leave(HubConnection conn) {
        if (members.get(conn.replica()) == conn) {
            members.remove(conn.replica());
            memberCount = members.size();
            broadcast(conn, Wire.write(new Message.Leave(Wire.replica(conn.replica()))));
            bus.publish(name, BusMessage.leave(bus.hubId(), conn.replica()));
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
        CompletableFuture<Void> written;
        if (store instanceof SharedRoomStore shared) {
            // Other hubs append too: the snapshot covers the numbers the replica holds without a
            // gap, whoever wrote them (own entries count once committed).
            long upto = seqs.upto;
            shared.holdsUpto(key, upto);
            written = upto == 0 ? CompletableFuture.completedFuture(null) : store.compact(key, upto, snapshot, held);
        } else {
            // The snapshot holds every entry appended so far; it covers them once the last one has
            // its number. If that append fails, so does this compaction (the room fails either way).
            written = lastAppend.thenCompose(upto -> store.compact(key, upto, snapshot, held));
        }
        written.whenComplete((ok, error) -> {
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
        stopServing(ErrorCode.ROOM_UNAVAILABLE, why);
        retire();
    }

    /**
     * Runs on exec: the room is FAILED with {@code why} (what later joins are told), its replica
     * dropped, and every member disconnected with {@code code}. Leaving the registry is the
     * caller's next step.
     */
    private void stopServing(ErrorCode code, String why) {
        state = State.FAILED;
        failure = why;
        doc = null;
        heldChanged();
        cancelUnload();
        for (HubConnection m : new ArrayList<>(members.values())) m.fail(code, why);
        members.clear();
        memberCount = 0;
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
            leaveBus();
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
            leaveBus();
            if (was == State.FAILED) log.info("room \"{}\" retired after failure", name);
        }));
    }

    // ---- Several hubs (docs/scale.md): what the bus and the store bring from the others ----

    /** Runs on exec: an own append committed as entry {@code seq}. */
    private void ownCommitted(long seq) {
        pendingAppends--;
        noteSeq(seq);
    }

    private void noteSeq(long seq) {
        seqs.add(seq);
        knownSeq = seqs.max();
        if (seqs.hasGap() && gapTimer == null) {
            gapTimer = registry.scheduler().schedule(() -> exec.execute(this::gapTimedOut), gapWaitMillis, TimeUnit.MILLISECONDS);
        } else if (!seqs.hasGap() && gapTimer != null) {
            gapTimer.cancel(false);
            gapTimer = null;
        }
    }

    private void gapTimedOut() {
        gapTimer = null;
        if (seqs.hasGap()) {
            log.info("room {}: entries after {} did not arrive on the bus within {} ms; reading them from the store", Wire.quote(name), seqs.upto, gapWaitMillis);
            catchUp();
        }
    }

    /** Runs on exec: a message from another hub about this room. */
    void fromBus(BusMessage m) {
        if (m.kind() == BusMessage.Kind.DELETED) {
            if (state == State.OPEN || state == State.UNLOADING) deletedElsewhere();
            return;
        }
        if (state != State.OPEN && state != State.UNLOADING) return;
        switch (m.kind()) {
            case UPDATE -> {
                if (seqs.holds(m.seq())) return;
                Update u;
                try {
                    u = Update.decode(m.body());
                } catch (RuntimeException e) {
                    // The store has the entry as its hub checked it; read it from there.
                    log.warn("room {}: entry {} from the bus does not decode ({}); reading it from the store", Wire.quote(name), m.seq(), e.getMessage());
                    catchUp();
                    return;
                }
                metrics.busUpdate();
                if (applyStored(u, m.body())) noteSeq(m.seq());
            }
            case PEER -> {
                Message.PeerInfo p = m.peerInfo();
                long r = Wire.parseReplica(p.replica(), "peer.replica");
                Map<Long, Message.PeerInfo> there = remote.computeIfAbsent(m.hub(), h -> new java.util.HashMap<>());
                // Another hub keeps its rooms to --max-members too; more is not a hub talking.
                if (!there.containsKey(r) && there.size() >= config.security().maxMembersPerRoom()) return;
                there.put(r, p);
                // Someone who moved here from that hub is shown as they are here.
                if (!members.containsKey(r)) broadcast(null, m.peerText());
            }
            case LEAVE -> {
                Map<Long, Message.PeerInfo> there = remote.get(m.hub());
                if (there != null && there.remove(m.seq()) != null) remoteLeft(m.seq());
            }
            case OWNER -> {
                ReplicaOwner o = m.replicaOwner();
                ReplicaOwner old = owners.get(m.seq());
                if (old == null || (sameOwner(old, o) && !old.name().equals(o.name()))) {
                    owners.put(m.seq(), o);
                    broadcast(null, Wire.write(new Message.Authors(List.of(author(m.seq(), o)))));
                } else if (!sameOwner(old, o)) {
                    log.warn("room {}: another hub bound replica {} to another owner; the store keeps the first binding", Wire.quote(name), Wire.replica(m.seq()));
                }
            }
            case NAMED -> {
                var n = m.namedVersion();
                for (var have : named) {
                    if (have.name().equals(n.name()) && java.util.Arrays.equals(have.version(), n.version())) return;
                }
                if (named.size() >= MAX_NAMED_VERSIONS) return;
                named.add(n);
                named.sort(java.util.Comparator.comparingLong(dev.tandem.hub.store.StoredNamedVersion::atMillis));
                broadcast(null, Wire.write(new Message.NamedVersions(namedVersions())));
            }
            case HELLO -> tellMembers();
            default -> { }
        }
    }

    /**
     * Runs on exec (blocking): asks the shared store who owns {@code replica}, claiming it for
     * {@code owner} if nobody does. Another owner found there is remembered here at once.
     */
    private ReplicaOwner claimShared(long replica, ReplicaOwner owner) {
        return learnClaim(replica, ((SharedRoomStore) store).claimReplica(key, replica, owner), owner);
    }

    /** Runs on exec: the store's answer to a claim of {@code replica} for {@code owner}; another owner is remembered here. */
    private ReplicaOwner learnClaim(long replica, ReplicaOwner stored, ReplicaOwner owner) {
        if (!sameOwner(stored, owner)) {
            owners.put(replica, stored);
            log.info("room {}: replica {} is bound to another owner on another hub", Wire.quote(name), Wire.replica(replica));
        }
        return stored;
    }

    /** Runs on exec: claims {@code replica} for the joining connection on a store reader, then joins again. */
    private void claimAndJoin(SharedRoomStore shared, HubConnection conn, long replica, Message.PeerInfo peer, Version clientVersion) {
        pendingJoins.incrementAndGet();
        long roomKey = key;
        ReplicaOwner owner = conn.owner();
        Runnable unavailable = () -> {
            pendingJoins.decrementAndGet();
            conn.fail(ErrorCode.ROOM_UNAVAILABLE, "room \"" + name + "\" cannot be stored right now; reconnect");
            maybeScheduleUnload();
        };
        try {
            registry.storeReaders().execute(() -> {
                ReplicaOwner answer;
                try {
                    answer = shared.claimReplica(roomKey, replica, owner);
                } catch (RuntimeException e) {
                    log.warn("room {}: claiming replica {} failed: {}", Wire.quote(name), Wire.replica(replica), e.getMessage());
                    exec.execute(unavailable);
                    return;
                }
                exec.execute(() -> {
                    claimed.put(replica, answer);
                    join(conn, replica, peer, clientVersion);
                });
            });
        } catch (java.util.concurrent.RejectedExecutionException e) {
            unavailable.run();
        }
    }

    /** Runs on exec: {@code replica} left another hub; the members here see it leave unless it is still here or on a third hub. */
    private void remoteLeft(long replica) {
        if (!members.containsKey(replica) && !elsewhere(replica)) broadcast(null, Wire.write(new Message.Leave(Wire.replica(replica))));
    }

    /** Whether another hub still has {@code replica} in this room (it moved between hubs). */
    private boolean elsewhere(long replica) {
        for (Map<Long, Message.PeerInfo> there : remote.values()) {
            if (there.containsKey(replica)) return true;
        }
        return false;
    }

    /** Runs on exec: publishes every member's presence (a hub asked, or the bus came back). */
    private void tellMembers() {
        for (HubConnection member : members.values()) {
            if (member.peer() != null) bus.publish(name, BusMessage.peer(bus.hubId(), member.peer()));
        }
    }

    /** Runs on exec: the hub {@code hub} is gone; its people leave. */
    void hubGone(long hub) {
        Map<Long, Message.PeerInfo> there = remote.remove(hub);
        if (there == null || state == State.FAILED || state == State.CLOSED) return;
        for (long r : there.keySet()) remoteLeft(r);
    }

    /** Runs on exec: the bus was away; what it carried meanwhile is read from the store, and presence told again. */
    void busReconnected() {
        if (state != State.OPEN && state != State.UNLOADING) return;
        bus.publish(name, BusMessage.signal(BusMessage.Kind.HELLO, bus.hubId()));
        tellMembers();
        catchUp();
    }

    /**
     * Runs on exec: applies an entry the store holds (another hub's, from the bus or read back)
     * and relays what it adds to the members here. False if the room failed on it.
     */
    private boolean applyStored(Update update, byte[] bytes) {
        long heldMark = doc.heldChanges();
        long wakeMark = doc.heldWakes();
        try {
            doc.apply(update);
        } catch (CrdtFormatException e) {
            // It was stored, so it applies to what is stored: reloading is the way back.
            log.error("room {}: an entry another hub stored does not apply here: {}", Wire.quote(name), e.getMessage());
            fail("room \"" + name + "\" could not apply an entry another hub stored; reconnect");
            return false;
        }
        Version after = doc.version();
        boolean heldMoved = doc.heldChanges() != heldMark;
        if (heldMoved) {
            heldChanged();
            reportRefusals();
        }
        if (!heldMoved && after.equals(version)) return true;
        relayApplied(null, bytes, wakeMark, after);
        version = after;
        storedBytes += bytes.length;
        if (pendingAppends == 0) durableVersion = after;
        return true;
    }

    /**
     * Runs on exec, after an update ({@code bytes}) moved the replica from {@link #version} to
     * {@code after}, before {@code version} is moved: relays it to every member but
     * {@code except} (null: to all).
     */
    private void relayApplied(HubConnection except, byte[] bytes, long wakeMark, Version after) {
        ByteBuffer relay = Frames.withKind(Frames.RELAY, bytes);
        // Held operations this update let apply are not in its bytes, and a peer that joined
        // after they arrived never got them: relay them too (all that was applied; a duplicate
        // is harmless). Only when a held run woke, so an ordinary update pays nothing.
        ByteBuffer woken = doc.heldWakes() != wakeMark && !after.equals(version)
                ? Frames.withKind(Frames.RELAY, doc.updatesSince(version).encode()) : null;
        int delivered = 0;
        for (HubConnection m : members.values()) {
            if (m == except) continue;
            m.send(relay);
            delivered++;
            if (woken != null) {
                m.send(woken);
                delivered++;
            }
        }
        metrics.delivered(delivered);
    }

    /**
     * Runs on exec: reads from the store the entries the replica lacks (after the last number it
     * holds without a gap), or the whole room if a snapshot folded them in, and applies them.
     * A store that cannot be read now is tried again by the next check.
     */
    void catchUp() {
        if (!(store instanceof SharedRoomStore shared) || (state != State.OPEN && state != State.UNLOADING) || catchingUp) return;
        catchingUp = true;
        metrics.catchUp();
        long from = seqs.upto;
        long roomKey = key;
        // Read on the store readers, not here: the room pool is small and shared by every room,
        // and a room waiting for the database must not hold up the others.
        registry.storeReaders().execute(() -> {
            List<SharedRoomStore.Entry> tail = null;
            StoredRoom whole = null;
            Doc wholeDoc = null;
            RuntimeException failure = null;
            try {
                tail = shared.tail(roomKey, from);
                if (tail == null) {
                    whole = store.read(name);
                    if (whole != null && whole.key() == roomKey) wholeDoc = whole.decode();
                }
            } catch (RuntimeException e) {
                failure = e;
            }
            List<SharedRoomStore.Entry> readTail = tail;
            StoredRoom readWhole = whole;
            Doc readDoc = wholeDoc;
            RuntimeException readFailure = failure;
            exec.execute(() -> caughtUp(readTail, readWhole, readDoc, readFailure));
        });
    }

    /** Runs on exec: applies what {@link #catchUp} read. */
    private void caughtUp(List<SharedRoomStore.Entry> tail, StoredRoom whole, Doc wholeDoc, RuntimeException failure) {
        catchingUp = false;
        if (state != State.OPEN && state != State.UNLOADING) return;
        if (failure != null) {
            log.warn("room {}: catching up from the store failed, tried again at the next check: {}", Wire.quote(name), failure.getMessage());
            return;
        }
        if (tail != null) {
            for (SharedRoomStore.Entry e : tail) {
                if (seqs.holds(e.seq())) continue;
                if (!applyStored(Update.decode(e.data()), e.data())) return;
                noteSeq(e.seq());
            }
        } else {
            if (whole == null || whole.key() != key) {
                deletedElsewhere();
                return;
            }
            Update missing = wholeDoc.updatesSince(version);
            if (!missing.isEmpty() && !applyStored(missing, missing.encode())) return;
            whole.owners().forEach(owners::putIfAbsent);
            seqs.advanceTo(whole.lastSeq());
            noteSeq(whole.lastSeq());
        }
        ((SharedRoomStore) store).holdsUpto(key, seqs.upto);
    }

    /** For the periodic check (any thread): the store's key of the room, -1 until loaded. */
    long storeKey() {
        return storeKey;
    }

    /** For the periodic check (any thread): the highest entry number the replica holds. */
    long knownSeq() {
        return knownSeq;
    }

    /** Runs on exec, once the room left the registry for good. */
    private void leaveBus() {
        if (!subscribed) return;
        subscribed = false;
        if (gapTimer != null) {
            gapTimer.cancel(false);
            gapTimer = null;
        }
        bus.unsubscribe(name);
    }

    /**
     * Which of the store's sequence numbers the replica holds: every one up to {@link #upto},
     * and those in {@link #above}. Entries usually arrive in order and cost no set; two hubs'
     * entries can cross on the bus, and a lost one leaves a gap until it is read.
     */
    static final class Seqs {
        long upto;
        private final java.util.TreeSet<Long> above = new java.util.TreeSet<>();

        boolean holds(long seq) {
            return seq <= upto || above.contains(seq);
        }

        void add(long seq) {
            if (seq == upto + 1 && above.isEmpty()) {
                upto = seq;
                return;
            }
            if (seq <= upto) return;
            above.add(seq);
            while (!above.isEmpty() && above.first() == upto + 1) upto = above.pollFirst();
        }

        /** Every number up to {@code seq} is held (read from the store). */
        void advanceTo(long seq) {
            if (seq <= upto) return;
            upto = seq;
            above.headSet(seq, true).clear();
            while (!above.isEmpty() && above.first() == upto + 1) upto = above.pollFirst();
        }

        boolean hasGap() {
            return !above.isEmpty();
        }

        long max() {
            return above.isEmpty() ? upto : above.last();
        }
    }
}
