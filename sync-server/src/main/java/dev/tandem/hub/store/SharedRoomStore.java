package dev.tandem.hub.store;

import java.util.Collection;
import java.util.List;
import java.util.Map;

/**
 * A {@link RoomStore} several hubs write at once ({@link PostgresRoomStore}). What a hub needs on
 * top of the single-hub store to catch up, from the store, with entries other hubs appended: the
 * store is the truth, the bus between hubs only a fast path (docs/scale.md).
 */
public interface SharedRoomStore extends RoomStore {

    /** A log entry with the sequence number the store gave it. */
    record Entry(long seq, byte[] data) {}

    /**
     * The room's log entries after {@code afterSeq}, in order; null if a snapshot has already
     * folded some of them in (the caller then reads the room whole with {@link #read}). Blocking.
     *
     * @throws StoreException if the store cannot be read
     */
    List<Entry> tail(long roomKey, long afterSeq);

    /**
     * The sequence number of each room's last entry (or snapshot), by room key: one query for
     * many rooms, so a hub can check every room it serves for entries it missed. Rooms that no
     * longer exist are absent. Blocking.
     *
     * @throws StoreException if the store cannot be read
     */
    Map<Long, Long> lastSeqs(Collection<Long> roomKeys);

    /**
     * The caller's replica of the room holds every entry up to {@code seq}, whoever wrote them
     * (it applied them from the bus or from {@link #tail}): a compaction of it may drop them.
     */
    void holdsUpto(long roomKey, long seq);

    /**
     * Binds {@code replica} of the room to {@code owner} unless it is bound already, now, and
     * returns the owner it is bound to afterwards: the caller's if it was free, else the first
     * claimant's, whichever hub that was on. Blocking (one round trip), so a hub never accepts
     * operations of a replica id another hub's user holds.
     *
     * @throws StoreException if the store cannot be written
     */
    ReplicaOwner claimReplica(long roomKey, long replica, ReplicaOwner owner);
}
