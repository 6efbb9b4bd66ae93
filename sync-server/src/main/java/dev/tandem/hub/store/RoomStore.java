package dev.tandem.hub.store;

import java.util.concurrent.CompletableFuture;

/**
 * Durable storage of rooms: per room a snapshot plus the log of updates applied since. Kept this
 * small so a networked database (multi-hub deployments) can implement it later.
 *
 * <p>Writes are asynchronous and applied in submission order; a write's future completes only
 * once it (and every write submitted before it) is durable. Futures complete on the store's own
 * thread: callers must not block in them. Implementations are thread-safe.
 */
public interface RoomStore extends AutoCloseable {

    /**
     * Reads a room, registering it (empty) if it was never stored. Blocking.
     *
     * @throws StoreException if the room cannot be read; the caller must then refuse the room
     *     rather than serve it empty
     */
    StoredRoom open(String room);

    /** Appends update bytes as the room's log entry {@code seq} (increasing, from lastSeq + 1). */
    CompletableFuture<Void> append(long roomKey, long seq, byte[] update);

    /** Stores {@code snapshot} as the room's state up to and including log entry {@code uptoSeq}, and drops those entries. */
    CompletableFuture<Void> compact(long roomKey, long uptoSeq, byte[] snapshot);

    /** Completes when every write submitted before it is durable. */
    CompletableFuture<Void> flush();

    /** Flushes and releases the store; later writes fail. */
    @Override
    void close();
}
