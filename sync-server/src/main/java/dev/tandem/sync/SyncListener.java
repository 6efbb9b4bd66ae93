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

    /** Connection state, unsent count or last error changed. */
    default void onStatus(SyncStatus status) {}
}
