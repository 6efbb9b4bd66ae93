package dev.tandem.hub.store;

import java.util.concurrent.CompletableFuture;

/**
 * Durable storage of rooms: per room a snapshot, the operations it held then (waiting for their
 * causes), and the log of updates since. Kept so
 * small that a networked database implements it too: {@link SqliteRoomStore} (one hub) and
 * {@link PostgresRoomStore} (designed for several hubs on one database).
 *
 * <p>Writes are asynchronous and applied in submission order; a write's future completes only
 * once it (and every write submitted before it) is durable. Futures complete on the store's own
 * thread: callers must not block in them. Implementations are thread-safe.
 *
 * <p>Once a write of a room fails, every later write of that room ({@link #append},
 * {@link #compact}, {@link #flush(long)}) fails too until the room is {@linkplain #open opened}
 * again: an acknowledgement must never cover a write that was lost before it.
 */
public interface RoomStore extends AutoCloseable {

    /**
     * Reads a room, registering it (empty) if it was never stored, and clears an earlier write
     * failure of it (the caller reloads what is stored). Blocking.
     *
     * @throws StoreException if the room cannot be read; the caller must then refuse the room
     *     rather than serve it empty
     */
    StoredRoom open(String room);

    /**
     * Appends update bytes to the room's log; completes, once committed, with the sequence number
     * the store gave the entry. The store assigns them (increasing, from the room's last entry
     * or snapshot + 1), not the caller: with several hubs on one database only the database
     * knows the next free number.
     */
    CompletableFuture<Long> append(long roomKey, byte[] update);

    /**
     * Stores {@code snapshot} and {@code held} (null: nothing) as the room's state up to and
     * including log entry {@code uptoSeq} (a number {@link #append} completed with), and drops
     * those entries, all at once. Does nothing if the stored snapshot is newer, or if the store
     * cannot be sure the snapshot holds every entry it would drop (one another hub wrote, say):
     * a skipped compaction loses nothing, the log just stays longer. Likewise if
     * {@code uptoSeq} is beyond the room's last entry (a caller's bug).
     */
    CompletableFuture<Void> compact(long roomKey, long uptoSeq, byte[] snapshot, byte[] held);

    /** Completes when every write submitted before it is durable. */
    CompletableFuture<Void> flush();

    /**
     * Like {@link #flush()}, but fails if a write of this room has failed since it was opened:
     * the barrier for acknowledging a push that carried nothing new.
     */
    CompletableFuture<Void> flush(long roomKey);

    /**
     * Binds {@code replica} of the room to {@code owner}, or, if it is bound to that same owner
     * already, updates the name; never changes the owner of a bound replica.
     */
    CompletableFuture<Void> bindReplica(long roomKey, long replica, ReplicaOwner owner);

    /** Adds a named version to the room (after the ones it has). */
    CompletableFuture<Void> addNamedVersion(long roomKey, StoredNamedVersion named);

    /** Every stored room, by name: what the admin listing shows. Blocking. */
    java.util.List<RoomSummary> list();

    /** Like {@link #open} for a room that exists, but null for one that does not (nothing is created). Blocking. */
    StoredRoom read(String room);

    /**
     * Deletes a room's snapshot, held operations, log, replica owners and named versions; completes once that is
     * durable (true) or when there was no such room (false).
     */
    CompletableFuture<Boolean> delete(String room);

    /** Bytes the store uses on disk (all rooms, with the database's own overhead), for --max-store-bytes. Blocking. */
    long totalBytes();

    /** Why the store cannot write (its last commit failed), or null while it can. */
    String writeFailure();

    /** Flushes and releases the store; later writes fail. */
    @Override
    void close();
}
