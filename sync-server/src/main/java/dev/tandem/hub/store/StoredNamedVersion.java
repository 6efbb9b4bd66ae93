package dev.tandem.hub.store;

/**
 * A named version of a room as stored: its name, the version vector ({@code Version.encode()}),
 * the display name of who named it and when (milliseconds since the epoch).
 */
public record StoredNamedVersion(String name, byte[] version, String by, long atMillis) {}
