package dev.tandem.protocol;

/**
 * The error codes of protocol v1 (docs/protocol.md section 3), with whether a reconnect can help
 * and the WebSocket close code the hub uses after sending the error.
 */
public enum ErrorCode {
    BAD_JSON("bad_json", false, 1007),
    UNKNOWN_TYPE("unknown_type", false, 1008),
    BAD_MESSAGE("bad_message", false, 1008),
    UNSUPPORTED_VERSION("unsupported_version", false, 1002),
    BAD_ROOM("bad_room", false, 1008),
    BAD_UPDATE("bad_update", false, 1008),
    REPLICA_CLAIMED("replica_claimed", true, 1008),
    RATE_LIMITED("rate_limited", true, 1008),
    ROOM_FULL("room_full", false, 1008),
    TOO_MANY_ROOMS("too_many_rooms", true, 1013),
    ROOM_UNAVAILABLE("room_unavailable", true, 1011),
    SHUTTING_DOWN("shutting_down", true, 1001),
    /** No token, or one that is malformed, badly signed, expired, not yet valid, or for another room. */
    UNAUTHORIZED("unauthorized", false, 1008),
    /** The token's role does not allow this (a viewer's push). */
    FORBIDDEN("forbidden", false, 1008),
    /** An admin deleted the room. */
    ROOM_DELETED("room_deleted", false, 1008),
    /** The store reached --max-store-bytes: no new rooms (existing rooms keep working). */
    STORE_FULL("store_full", false, 1008),
    /** Too many connections or joins from this address. */
    TOO_MANY_CONNECTIONS("too_many_connections", true, 1013);

    private final String wire;
    private final boolean retry;
    private final int closeCode;

    ErrorCode(String wire, boolean retry, int closeCode) {
        this.wire = wire;
        this.retry = retry;
        this.closeCode = closeCode;
    }

    /** The {@code code} string on the wire. */
    public String wire() {
        return wire;
    }

    /** True when reconnecting later may succeed. */
    public boolean retry() {
        return retry;
    }

    /** The WebSocket close code that follows the error message. */
    public int closeCode() {
        return closeCode;
    }

    /** The code for a wire string, or null if this build does not know it. */
    public static ErrorCode fromWire(String wire) {
        for (ErrorCode c : values()) {
            if (c.wire.equals(wire)) return c;
        }
        return null;
    }
}
