package dev.tandem.sync;

/**
 * Where a {@link SyncClient} stands.
 *
 * @param state see {@link State}
 * @param nextRetryMillis with {@link State#CONNECTING} after a failure: milliseconds until the next
 *     attempt; 0 while an attempt is under way
 * @param unsentOps local operations not yet acknowledged as durable by the hub (0 = all safe)
 * @param lastError the last error (hub error code and message, or connection failure), or null
 * @param retrying false once the hub said retrying cannot help (then state is OFFLINE)
 * @param saveError why the last save to the {@link LocalStore} failed, or null when it succeeded
 *     (or there is none); the client keeps retrying the save with backoff until it succeeds
 * @param hub the hub of the current connection or attempt; while waiting to retry, the one the
 *     next attempt goes to (with several hubs it changes as the client moves between them)
 */
public record SyncStatus(State state, long nextRetryMillis, long unsentOps, String lastError, boolean retrying, String saveError, java.net.URI hub) {

    public enum State {
        /** Connecting, handshaking, or waiting to retry. */
        CONNECTING,
        /** Handshake done: local edits flow to the hub and remote ones arrive. */
        CONNECTED,
        /** Not trying: {@link SyncClient#disconnect()}, close, or an error retrying cannot fix. */
        OFFLINE
    }
}
