package dev.tandem.sync;

import dev.tandem.crdt.Anchor;

/**
 * One person in the room, as the hub reports it.
 *
 * @param replicaId the replica id its edits carry
 * @param name display name
 * @param color {@code #rrggbb}
 * @param idle true when the peer reports itself idle
 * @param typing true while the peer is typing
 * @param cursor caret position, or null
 * @param selection the other end of the selection, or null when nothing is selected
 * @param self true for this client's own entry
 */
public record Peer(long replicaId, String name, String color, boolean idle, boolean typing,
                   Anchor cursor, Anchor selection, boolean self, boolean viewer) {
    public Peer(long replicaId, String name, String color, boolean idle, boolean typing, Anchor cursor, Anchor selection, boolean self) {
        this(replicaId, name, color, idle, typing, cursor, selection, self, false);
    }
}
