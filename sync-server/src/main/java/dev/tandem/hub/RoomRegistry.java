package dev.tandem.hub;

import dev.tandem.crdt.Version;
import dev.tandem.hub.store.RoomStore;
import dev.tandem.protocol.ErrorCode;
import dev.tandem.protocol.Message;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.ScheduledExecutorService;

/** The loaded rooms, by name. Thread-safe; a room enters on its first join and leaves when unloaded. */
final class RoomRegistry {
    private final ConcurrentHashMap<String, Room> rooms = new ConcurrentHashMap<>();
    /** Rooms an admin is deleting: joins are refused until the deletion is durable. */
    private final java.util.Set<String> deleting = ConcurrentHashMap.newKeySet();
    private final ExecutorService pool;
    private final ScheduledExecutorService scheduler;
    private final RoomStore store;
    private final Bus bus;
    private final HubConfig config;
    private final HubMetrics metrics;
    /**
     * Room loads and catch-ups read here, mostly waiting on the database: four, half the store's
     * connection pool (the writer, the periodic check and replica claims use the rest).
     */
    static final int STORE_READERS = 4;
    private final ExecutorService storeReaders = java.util.concurrent.Executors.newFixedThreadPool(STORE_READERS, r -> {
        Thread t = new Thread(r, "tandem-store-read");
        t.setDaemon(true);
        return t;
    });
    /** The periodic check: each room's last stored number as the previous check read it. */
    private final java.util.Map<Long, Long> storedAtLastCheck = new java.util.HashMap<>();

    /**
     * The room pool as rooms see it: each turn a room takes on it (a burst of its queued tasks)
     * holds its writes, so the relays of every push in the burst leave in one gathered write per
     * connection (Outbox).
     */
    private final java.util.concurrent.Executor heldWrites;

    RoomRegistry(ExecutorService pool, ScheduledExecutorService scheduler, RoomStore store, Bus bus, HubConfig config, HubMetrics metrics) {
        this.pool = pool;
        this.heldWrites = task -> pool.execute(() -> Outbox.holdWrites(task));
        this.scheduler = scheduler;
        this.store = store;
        this.bus = bus;
        this.config = config;
        this.metrics = metrics;
    }

    /** Routes a validated hello to its room, loading the room first if needed; null if refused. */
    Room join(HubConnection conn, long replica, Message.PeerInfo peer, Version clientVersion) {
        String name = conn.roomName();
        boolean[] full = {false};
        boolean[] beingDeleted = {false};
        Room room = rooms.compute(name, (k, existing) -> {
            if (deleting.contains(k)) {
                beingDeleted[0] = true;
                return existing;
            }
            if (existing != null) {
                existing.pendingJoins.incrementAndGet();
                return existing;
            }
            if (rooms.size() >= config.maxRooms()) {
                full[0] = true;
                return null;
            }
            Room created = new Room(k, heldWrites, this, store, bus, config, metrics);
            created.pendingJoins.incrementAndGet();
            return created;
        });
        if (beingDeleted[0]) {
            conn.fail(ErrorCode.ROOM_UNAVAILABLE, "room \"" + name + "\" is being deleted");
            return null;
        }
        if (full[0]) {
            conn.fail(ErrorCode.TOO_MANY_ROOMS, "the hub already has its maximum of " + config.maxRooms() + " rooms loaded; try again later");
            return null;
        }
        room.exec.execute(() -> room.join(conn, replica, peer, clientVersion));
        return room;
    }

    /** Removes {@code room} unless a join is on its way to it. */
    boolean remove(Room room) {
        boolean[] removed = {false};
        rooms.compute(room.name, (k, r) -> {
            if (r == room && room.pendingJoins.get() == 0) {
                removed[0] = true;
                return null;
            }
            return r;
        });
        return removed[0];
    }

    /**
     * Deletes {@code name}, loaded or not (see {@link Room#delete}); completes with whether it was
     * stored. Joins arriving meanwhile are refused with {@code room_unavailable}.
     */
    java.util.concurrent.CompletableFuture<Boolean> delete(String name) {
        deleting.add(name);
        java.util.concurrent.CompletableFuture<Boolean> done = new java.util.concurrent.CompletableFuture<>();
        // A room created by a join just before the add is found here; later joins see deleting.
        Room room = rooms.get(name);
        if (room != null) {
            room.exec.execute(() -> room.delete(done));
        } else {
            store.delete(name).whenComplete((had, e) -> {
                if (e != null) done.completeExceptionally(e);
                else done.complete(had);
            });
        }
        return done.whenComplete((had, e) -> deleting.remove(name));
    }

    Room get(String name) {
        return rooms.get(name);
    }

    boolean holds(Room room) {
        return rooms.get(room.name) == room;
    }

    int size() {
        return rooms.size();
    }

    List<Room> all() {
        return new ArrayList<>(rooms.values());
    }

    ScheduledExecutorService scheduler() {
        return scheduler;
    }

    /** Where rooms read the store (loading, and catching up with other hubs): off the room pool. */
    java.util.concurrent.Executor storeReaders() {
        return storeReaders;
    }

    void close() {
        storeReaders.shutdownNow();
    }

    /**
     * What the bus delivers, handed to the rooms' own executors. A message about a room not
     * loaded here is dropped: when it loads, it reads the store.
     */
    Bus.Handler busHandler() {
        return new Bus.Handler() {
            @Override
            public void roomMessage(String name, BusMessage message) {
                Room room = rooms.get(name);
                if (room != null) room.exec.execute(() -> room.fromBus(message));
            }

            @Override
            public void hubGone(long hub) {
                for (Room room : all()) room.exec.execute(() -> room.hubGone(hub));
            }

            @Override
            public void reconnected() {
                for (Room room : all()) room.exec.execute(room::busReconnected);
            }
        };
    }

    /**
     * The periodic check (on the timer thread; blocking, one query): every loaded room whose
     * stored log goes beyond what its replica holds reads the rest from the store. This is what
     * heals a message the bus lost when no later message shows the gap.
     */
    void checkAgainstStore(dev.tandem.hub.store.SharedRoomStore shared) {
        // Runs on the timer thread only: storedAtLastCheck is its own.
        java.util.Map<Long, Room> byKey = new java.util.HashMap<>();
        for (Room room : all()) {
            if (room.storeKey() >= 0) byKey.put(room.storeKey(), room);
        }
        if (byKey.isEmpty()) return;
        java.util.Map<Long, Long> last;
        try {
            last = shared.lastSeqs(byKey.keySet());
        } catch (dev.tandem.hub.store.StoreException e) {
            org.slf4j.LoggerFactory.getLogger(RoomRegistry.class).warn("checking the rooms against the store failed: {}", e.getMessage());
            return;
        }
        // Only what was stored by the previous check and has still not arrived: an entry
        // committed a moment ago is usually on the bus right now.
        last.forEach((key, seq) -> {
            Room room = byKey.get(key);
            Long before = storedAtLastCheck.get(key);
            if (room != null && before != null && before > room.knownSeq()) room.exec.execute(room::catchUp);
        });
        storedAtLastCheck.clear();
        storedAtLastCheck.putAll(last);
    }
}
