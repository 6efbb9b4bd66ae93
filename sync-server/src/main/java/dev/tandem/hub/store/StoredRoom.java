package dev.tandem.hub.store;

import dev.tandem.crdt.Doc;
import dev.tandem.crdt.Update;

import java.util.List;

/**
 * A room as read from a {@link RoomStore}.
 *
 * @param key the store's handle for the room
 * @param snapshot {@code Doc.encode()} bytes, or null if the room has no snapshot yet
 * @param held {@code Doc.heldUpdate().encode()} bytes written with the snapshot (the operations
 *     that waited for their causes then; apply after the snapshot, before the log), or null
 * @param updates log entries after the snapshot, in order
 * @param lastSeq sequence number of the last log entry (or the snapshot's), 0 for a new room
 * @param storedBytes snapshot, held and log size, for the room size bound
 * @param owners who owns each replica id of the room, by replica id
 * @param namedVersions the room's named versions, oldest first
 */
public record StoredRoom(long key, byte[] snapshot, byte[] held, List<byte[]> updates, long lastSeq, long storedBytes,
                         java.util.Map<Long, ReplicaOwner> owners, List<StoredNamedVersion> namedVersions) {

    /**
     * The document this stored room holds: the snapshot, then the held operations, then the log.
     * Everything stored was accepted under the limits of its time: it is loaded whole (the caller
     * bounds what comes next; runs held already stay held).
     *
     * @throws RuntimeException (a CrdtFormatException, say) if the stored bytes do not load
     */
    public Doc decode() {
        Doc d = snapshot == null ? new Doc() : Doc.decode(snapshot);
        d.limitHeld(Integer.MAX_VALUE, Long.MAX_VALUE);
        if (held != null) d.apply(Update.decode(held));
        for (byte[] u : updates) d.apply(Update.decode(u));
        return d;
    }
}
