package dev.tandem.sync;

import dev.tandem.crdt.Update;

import java.util.List;

/**
 * What a {@link SyncClient} reports. Every callback runs on the client's session thread, one at a
 * time, in order; implementations must not block (hand work to your own thread, e.g. with
 * {@code Platform.runLater}). No callback runs after {@link SyncClient#close()} returns.
 */
public interface SyncListener {

    /** Operations from other replicas arrived; they are already applied to the session replica. */
    default void onRemoteUpdate(Update update) {}

    /** The people in the room changed (joined, left, moved a cursor); the full list, self included. */
    default void onPeers(List<Peer> peers) {}

    /** Connection state, unsent count, last error or save error changed. */
    default void onStatus(SyncStatus status) {}

    /**
     * The session replica refused an update given to {@link SyncClient#submit}: the submitting
     * replica has diverged from the session replica, and its later updates will be dropped too.
     * Rebuild it from {@code snapshot} (the session replica's {@code Doc.encode()}) with a new
     * replica id ({@code Doc.decode(snapshot)}), and tell the user: the refused edit is not in the
     * room. Remote updates reported after this callback are not in the snapshot.
     */
    default void onLocalEditRejected(String reason, byte[] snapshot) {}

    /**
     * Who made the operations of each replica id of the room (from the hub's authorship map):
     * the whole map, after each welcome and whenever it grows. Use it to name authors in history.
     */
    default void onAuthors(java.util.Map<Long, Author> authors) {}

    /**
     * The room's named versions, oldest first: after each welcome and whenever one is added.
     * {@code null} after a welcome from a hub that does not keep named versions (an older hub):
     * then {@link SyncClient#nameVersion} sends nothing, and the UI should not offer naming.
     */
    default void onNamedVersions(List<NamedVersion> versions) {}
}
