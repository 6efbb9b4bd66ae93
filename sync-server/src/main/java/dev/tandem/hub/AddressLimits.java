package dev.tandem.hub;

import java.util.concurrent.ConcurrentHashMap;

/**
 * Per remote address (IP): open connections, and joins in a token bucket that refills
 * {@code joinsPerMinute} a minute. Both are kept by address, not by connection, so reconnecting
 * resets neither. Thread-safe. Entries of addresses with no connection and a full bucket are
 * dropped by {@link #prune}, so the map holds only addresses that are active or recently were.
 */
final class AddressLimits {
    private final int maxConnections;
    private final double joinsPerNano;
    private final double joinBurst;
    private final ConcurrentHashMap<String, Entry> entries = new ConcurrentHashMap<>();

    /** Guarded by itself. */
    private static final class Entry {
        int connections;
        double joins;
        long last;
    }

    AddressLimits(int maxConnections, int joinsPerMinute) {
        this.maxConnections = maxConnections;
        this.joinsPerNano = joinsPerMinute / 60e9;
        this.joinBurst = joinsPerMinute;
    }

    /** Counts a new connection from {@code address}; false (and not counted) if it has its maximum. */
    boolean connect(String address) {
        boolean[] ok = {false};
        entries.compute(address, (k, e) -> {
            if (e == null) {
                e = new Entry();
                e.joins = joinBurst;
                e.last = System.nanoTime();
            }
            if (e.connections < maxConnections) {
                e.connections++;
                ok[0] = true;
            }
            return e;
        });
        return ok[0];
    }

    /** A connection counted by {@link #connect} closed. */
    void disconnect(String address) {
        entries.computeIfPresent(address, (k, e) -> {
            e.connections = Math.max(0, e.connections - 1);
            return e;
        });
    }

    /** Takes one join for {@code address}; false if it used up its joins for now. */
    boolean join(String address, long now) {
        boolean[] ok = {false};
        entries.compute(address, (k, e) -> {
            if (e == null) {
                e = new Entry();
                e.joins = joinBurst;
                e.last = now;
            }
            e.joins = Math.min(joinBurst, e.joins + Math.max(0, now - e.last) * joinsPerNano);
            e.last = now;
            if (e.joins >= 1) {
                e.joins -= 1;
                ok[0] = true;
            }
            return e;
        });
        return ok[0];
    }

    /** Drops addresses with no connection whose join bucket has refilled: they are as if new. */
    void prune(long now) {
        entries.forEach((address, e) -> entries.computeIfPresent(address, (k, x) ->
                x.connections == 0 && x.joins + Math.max(0, now - x.last) * joinsPerNano >= joinBurst ? null : x));
    }

    int addresses() {
        return entries.size();
    }
}
