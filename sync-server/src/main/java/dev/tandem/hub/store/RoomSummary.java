package dev.tandem.hub.store;

/**
 * One room as the admin listing shows it.
 *
 * @param name the room
 * @param storedBytes snapshot, held operations and log
 * @param lastActivity epoch milliseconds of the last stored change, 0 if none was recorded
 */
public record RoomSummary(String name, long storedBytes, long lastActivity) {}
