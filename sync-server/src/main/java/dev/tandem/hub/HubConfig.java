package dev.tandem.hub;

import java.nio.file.Path;
import java.time.Duration;

/**
 * Everything configurable about a hub, with the defaults documented in docs/hub.md. Immutable;
 * {@link #defaults(Path)} then the {@code with...} methods.
 *
 * @param host interface to listen on
 * @param port TCP port, 0 for an ephemeral one
 * @param dataDir where the store lives
 * @param maxMessageBytes largest text or binary message accepted
 * @param maxQueuedBytes outbound bytes queued for one connection before it is cut off; at least
 *     twice {@code maxMessageBytes}, so a relay of the largest message reaches a busy peer
 * @param maxQueuedMessages outbound messages queued for one connection before it is cut off
 * @param messagesPerSecond sustained messages per second per connection
 * @param messageBurst messages a connection may send at once above the sustained rate
 * @param bytesPerSecond sustained bytes per second per connection (burst: maxMessageBytes)
 * @param maxRooms rooms loaded at once
 * @param maxRoomBytes stored size (snapshot, held operations and log) of one room
 * @param maxHeldRuns runs (operations one replica made in a row) a room holds while their causes
 *     have not arrived; a push that could hold more is refused
 * @param maxHeldChars characters (UTF-16 units) in the runs a room holds, likewise
 * @param idleTimeout a connection that sends nothing (not even a ping) this long is closed
 * @param roomUnloadAfter a room with no connections is flushed and unloaded after this long
 * @param compactEvery log entries after which a room's log is folded into a new snapshot
 * @param stopTimeout how long a graceful stop waits for sessions to close
 * @param security who may connect and what they may do, TLS, and the per-address limits
 * @param store where rooms are kept ({@code --store}); null: SQLite in {@code dataDir}
 * @param bus {@code redis://HOST:PORT} of the bus between hubs serving the same rooms
 *     ({@code --bus}, docs/scale.md); null: a hub on its own
 * @param writeLinger how long a message to a connection may wait for others to share its write
 *     ({@code --write-linger}, docs/benchmarks.md): zero writes at once; more costs latency and
 *     saves CPU on a busy hub
 */
public record HubConfig(String host, int port, Path dataDir, int maxMessageBytes, long maxQueuedBytes,
                        int maxQueuedMessages, double messagesPerSecond, int messageBurst, long bytesPerSecond,
                        int maxRooms, long maxRoomBytes, int maxHeldRuns, long maxHeldChars, Duration idleTimeout, Duration roomUnloadAfter,
                        int compactEvery, Duration stopTimeout, HubSecurity security,
                        dev.tandem.hub.store.StoreLocation store, String bus, Duration writeLinger) {

    /** Longest {@link #writeLinger}: beyond it the wait, not the write, is what users feel. */
    public static final Duration MAX_WRITE_LINGER = Duration.ofMillis(100);

    public HubConfig {
        if (host == null || host.isBlank()) throw new IllegalArgumentException("host is empty");
        if (port < 0 || port > 65535) throw new IllegalArgumentException("port was " + port + ", must be 0..65535");
        if (dataDir == null) throw new IllegalArgumentException("data directory is not set");
        if (maxMessageBytes < 1024) throw new IllegalArgumentException("max message size was " + maxMessageBytes + ", must be >= 1024");
        // A relay can be as large as the largest message; it must fit behind what a healthy peer
        // has queued, or one legitimate big push would cut off every peer that is not idle.
        if (maxQueuedBytes < 2L * maxMessageBytes) {
            throw new IllegalArgumentException("max queued bytes was " + maxQueuedBytes + ", must be at least twice the max message size ("
                    + 2L * maxMessageBytes + ")");
        }
        if (maxQueuedMessages < 1) throw new IllegalArgumentException("max queued messages was " + maxQueuedMessages + ", must be >= 1");
        if (!(messagesPerSecond > 0)) throw new IllegalArgumentException("messages per second was " + messagesPerSecond + ", must be > 0");
        if (messageBurst < 1) throw new IllegalArgumentException("message burst was " + messageBurst + ", must be >= 1");
        if (bytesPerSecond < 1) throw new IllegalArgumentException("bytes per second was " + bytesPerSecond + ", must be >= 1");
        if (maxRooms < 1) throw new IllegalArgumentException("max rooms was " + maxRooms + ", must be >= 1");
        if (maxRoomBytes < 1024) throw new IllegalArgumentException("max room size was " + maxRoomBytes + ", must be >= 1024");
        if (maxHeldRuns < 0) throw new IllegalArgumentException("max held runs was " + maxHeldRuns + ", must be >= 0");
        if (maxHeldChars < 0) throw new IllegalArgumentException("max held chars was " + maxHeldChars + ", must be >= 0");
        if (idleTimeout.isNegative() || idleTimeout.isZero()) throw new IllegalArgumentException("idle timeout was " + idleTimeout + ", must be > 0");
        if (roomUnloadAfter.isNegative()) throw new IllegalArgumentException("room unload delay was " + roomUnloadAfter + ", must be >= 0");
        if (compactEvery < 1) throw new IllegalArgumentException("compact-every was " + compactEvery + ", must be >= 1");
        if (security == null) throw new IllegalArgumentException("security is not set");
        if (writeLinger == null || writeLinger.isNegative() || writeLinger.compareTo(MAX_WRITE_LINGER) > 0) {
            throw new IllegalArgumentException("--write-linger was " + (writeLinger == null ? "not set" : writeLinger.toMillis() + "ms")
                    + ", must be 0ms to " + MAX_WRITE_LINGER.toMillis() + "ms");
        }
        if (bus != null && !(storeLocation(store, dataDir) instanceof dev.tandem.hub.store.StoreLocation.Postgres)) {
            throw new IllegalArgumentException("--bus needs a store every hub shares: --store postgresql://... (SQLite is one hub's own)");
        }
        if (security.auth() == HubSecurity.Auth.NONE && !security.noneOnAnyInterface() && !HubSecurity.isLoopback(host)) {
            throw new IllegalArgumentException("--auth none is for development on this computer only: it cannot be combined with --host "
                    + host + " (use 127.0.0.1, or --auth token)");
        }
    }

    public static HubConfig defaults(Path dataDir) {
        return new HubConfig("127.0.0.1", 7070, dataDir, 8 << 20, 16L << 20, 4096, 100, 200, 1L << 20,
                1000, 64L << 20, 1000, 1L << 20, Duration.ofSeconds(15), Duration.ofSeconds(30), 1000, Duration.ofSeconds(5), HubSecurity.defaults(), null, null, Duration.ZERO);
    }

    public HubConfig withHost(String v) {
        return new HubConfig(v, port, dataDir, maxMessageBytes, maxQueuedBytes, maxQueuedMessages, messagesPerSecond, messageBurst, bytesPerSecond, maxRooms, maxRoomBytes, maxHeldRuns, maxHeldChars, idleTimeout, roomUnloadAfter, compactEvery, stopTimeout, security, store, bus, writeLinger);
    }

    public HubConfig withPort(int v) {
        return new HubConfig(host, v, dataDir, maxMessageBytes, maxQueuedBytes, maxQueuedMessages, messagesPerSecond, messageBurst, bytesPerSecond, maxRooms, maxRoomBytes, maxHeldRuns, maxHeldChars, idleTimeout, roomUnloadAfter, compactEvery, stopTimeout, security, store, bus, writeLinger);
    }

    public HubConfig withMaxMessageBytes(int v) {
        return new HubConfig(host, port, dataDir, v, maxQueuedBytes, maxQueuedMessages, messagesPerSecond, messageBurst, bytesPerSecond, maxRooms, maxRoomBytes, maxHeldRuns, maxHeldChars, idleTimeout, roomUnloadAfter, compactEvery, stopTimeout, security, store, bus, writeLinger);
    }

    public HubConfig withOutboundQueue(long bytes, int messages) {
        return new HubConfig(host, port, dataDir, maxMessageBytes, bytes, messages, messagesPerSecond, messageBurst, bytesPerSecond, maxRooms, maxRoomBytes, maxHeldRuns, maxHeldChars, idleTimeout, roomUnloadAfter, compactEvery, stopTimeout, security, store, bus, writeLinger);
    }

    public HubConfig withRateLimit(double perSecond, int burst, long bytesPerSec) {
        return new HubConfig(host, port, dataDir, maxMessageBytes, maxQueuedBytes, maxQueuedMessages, perSecond, burst, bytesPerSec, maxRooms, maxRoomBytes, maxHeldRuns, maxHeldChars, idleTimeout, roomUnloadAfter, compactEvery, stopTimeout, security, store, bus, writeLinger);
    }

    public HubConfig withRoomLimits(int rooms, long roomBytes) {
        return new HubConfig(host, port, dataDir, maxMessageBytes, maxQueuedBytes, maxQueuedMessages, messagesPerSecond, messageBurst, bytesPerSecond, rooms, roomBytes, maxHeldRuns, maxHeldChars, idleTimeout, roomUnloadAfter, compactEvery, stopTimeout, security, store, bus, writeLinger);
    }

    public HubConfig withTimeouts(Duration idle, Duration unloadAfter, Duration stop) {
        return new HubConfig(host, port, dataDir, maxMessageBytes, maxQueuedBytes, maxQueuedMessages, messagesPerSecond, messageBurst, bytesPerSecond, maxRooms, maxRoomBytes, maxHeldRuns, maxHeldChars, idle, unloadAfter, compactEvery, stop, security, store, bus, writeLinger);
    }

    public HubConfig withCompactEvery(int v) {
        return new HubConfig(host, port, dataDir, maxMessageBytes, maxQueuedBytes, maxQueuedMessages, messagesPerSecond, messageBurst, bytesPerSecond, maxRooms, maxRoomBytes, maxHeldRuns, maxHeldChars, idleTimeout, roomUnloadAfter, v, stopTimeout, security, store, bus, writeLinger);
    }

    /** Bounds the operations a room holds while their causes have not arrived (see docs/hub.md). */
    public HubConfig withHeldLimits(int runs, long chars) {
        return new HubConfig(host, port, dataDir, maxMessageBytes, maxQueuedBytes, maxQueuedMessages, messagesPerSecond, messageBurst, bytesPerSecond, maxRooms, maxRoomBytes, runs, chars, idleTimeout, roomUnloadAfter, compactEvery, stopTimeout, security, store, bus, writeLinger);
    }

    /** Replaces the security settings (authentication, TLS, Origin, per-address limits). */
    public HubConfig withSecurity(HubSecurity v) {
        return new HubConfig(host, port, dataDir, maxMessageBytes, maxQueuedBytes, maxQueuedMessages, messagesPerSecond, messageBurst, bytesPerSecond, maxRooms, maxRoomBytes, maxHeldRuns, maxHeldChars, idleTimeout, roomUnloadAfter, compactEvery, stopTimeout, v, store, bus, writeLinger);
    }

    /** Keeps rooms at {@code v} instead of SQLite in the data directory (null: back to that). */
    public HubConfig withStore(dev.tandem.hub.store.StoreLocation v) {
        return new HubConfig(host, port, dataDir, maxMessageBytes, maxQueuedBytes, maxQueuedMessages, messagesPerSecond, messageBurst, bytesPerSecond, maxRooms, maxRoomBytes, maxHeldRuns, maxHeldChars, idleTimeout, roomUnloadAfter, compactEvery, stopTimeout, security, v, bus, writeLinger);
    }

    /** Serves rooms together with other hubs over the bus at {@code v} (null: on its own). */
    public HubConfig withBus(String v) {
        return new HubConfig(host, port, dataDir, maxMessageBytes, maxQueuedBytes, maxQueuedMessages, messagesPerSecond, messageBurst, bytesPerSecond, maxRooms, maxRoomBytes, maxHeldRuns, maxHeldChars, idleTimeout, roomUnloadAfter, compactEvery, stopTimeout, security, store, v, writeLinger);
    }

    /** Lets each message wait up to {@code v} for others to the same connection, so they share one write. */
    public HubConfig withWriteLinger(Duration v) {
        return new HubConfig(host, port, dataDir, maxMessageBytes, maxQueuedBytes, maxQueuedMessages, messagesPerSecond, messageBurst, bytesPerSecond, maxRooms, maxRoomBytes, maxHeldRuns, maxHeldChars, idleTimeout, roomUnloadAfter, compactEvery, stopTimeout, security, store, bus, v);
    }

    /** Where rooms are kept: {@link #store}, or SQLite in the data directory. */
    public dev.tandem.hub.store.StoreLocation storeLocation() {
        return storeLocation(store, dataDir);
    }

    private static dev.tandem.hub.store.StoreLocation storeLocation(dev.tandem.hub.store.StoreLocation store, Path dataDir) {
        return store != null ? store : new dev.tandem.hub.store.StoreLocation.Sqlite(dataDir);
    }
}
