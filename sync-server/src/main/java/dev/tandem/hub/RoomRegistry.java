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
    private final ExecutorService pool;
    private final ScheduledExecutorService scheduler;
    private final RoomStore store;
    private final HubConfig config;
    private final HubMetrics metrics;

    RoomRegistry(ExecutorService pool, ScheduledExecutorService scheduler, RoomStore store, HubConfig config, HubMetrics metrics) {
        this.pool = pool;
        this.scheduler = scheduler;
        this.store = store;
        this.config = config;
        this.metrics = metrics;
    }

    /** Routes a validated hello to its room, loading the room first if needed; null if refused. */
    Room join(HubConnection conn, long replica, Message.PeerInfo peer, Version clientVersion) {
        String name = conn.roomName();
        boolean[] full = {false};
        Room room = rooms.compute(name, (k, existing) -> {
            if (existing != null) {
                existing.pendingJoins.incrementAndGet();
                return existing;
            }
            if (rooms.size() >= config.maxRooms()) {
                full[0] = true;
                return null;
            }
            Room created = new Room(k, pool, this, store, config, metrics);
            created.pendingJoins.incrementAndGet();
            return created;
        });
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

    int size() {
        return rooms.size();
    }

    List<Room> all() {
        return new ArrayList<>(rooms.values());
    }

    ScheduledExecutorService scheduler() {
        return scheduler;
    }
}
