package dev.tandem.hub.store;

import java.util.List;

/**
 * A room as read from a {@link RoomStore}.
 *
 * @param key the store's handle for the room
 * @param snapshot {@code Doc.encode()} bytes, or null if the room has no snapshot yet
 * @param updates log entries after the snapshot, in order
 * @param lastSeq sequence number of the last log entry (or the snapshot's), 0 for a new room
 * @param storedBytes snapshot plus log size, for the room size bound
 */
public record StoredRoom(long key, byte[] snapshot, List<byte[]> updates, long lastSeq, long storedBytes) {}
