package dev.tandem.hub;

import java.time.Instant;

/**
 * What a verified token allows: one user, in the rooms its pattern names, with one role.
 *
 * @param userId the token's {@code sub}: a stable id, the owner of the replicas this user creates
 * @param name display name shown to the others (checked like every name, see {@code Wire.checkName})
 * @param rooms a room name, or a prefix followed by {@code *} ({@code team-*}; {@code *} alone is every room)
 * @param role what the user may do there
 * @param expires when the token stops being accepted
 */
public record Grant(String userId, String name, String rooms, Role role, Instant expires) {

    /** With {@code --auth none}: anyone, editing every room; no user id, so replicas are owned by their secret. */
    static final Grant ANYONE = new Grant(null, null, "*", Role.EDITOR, Instant.MAX);

    public enum Role {
        /** Receives everything, may send presence, may not edit. */
        VIEWER,
        /** Also edits. */
        EDITOR,
        /** Also lists, exports, deletes and resets rooms (the admin endpoints). */
        ADMIN;

        public String wire() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }

        /** The role for a claim value, or null. */
        public static Role fromWire(String s) {
            for (Role r : values()) {
                if (r.wire().equals(s)) return r;
            }
            return null;
        }
    }

    /** True if {@code room} is the room this grant names or starts with its prefix. */
    public boolean covers(String room) {
        if (rooms.endsWith("*")) return room.startsWith(rooms.substring(0, rooms.length() - 1));
        return rooms.equals(room);
    }

    public boolean mayEdit() {
        return role != Role.VIEWER;
    }
}
