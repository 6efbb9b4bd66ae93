package dev.tandem.hub;

/**
 * How a hub tells the other hubs what happens in the rooms it serves, and hears what happens in
 * theirs ({@link RedisBus}); {@link #NONE} for a hub on its own. Thread-safe; publishing never
 * blocks. What it loses is healed from the store (docs/scale.md): a room never depends on the bus
 * for what it stores, only for how soon it sees other hubs' edits and people.
 */
interface Bus extends AutoCloseable {

    /** What a bus delivers to the hub, on the bus's own threads (implementations hand it on at once). */
    interface Handler {
        /** A message about {@code room} from another hub (never this hub's own). */
        void roomMessage(String room, BusMessage message);

        /** The hub with this id stopped or has not been heard from for the presence TTL. */
        void hubGone(long hub);

        /**
         * The connection to the bus came back after an outage, or a hub declared gone was heard
         * again (a partition healed): messages may have been lost meanwhile, and presence is stale.
         */
        void reconnected();
    }

    /** A hub on its own: nothing to tell anyone. */
    Bus NONE = new Bus() {
        @Override
        public long hubId() {
            return 0;
        }

        @Override
        public void subscribe(String room) {}

        @Override
        public void unsubscribe(String room) {}

        @Override
        public void publish(String room, BusMessage message) {}

        @Override
        public boolean shared() {
            return false;
        }

        @Override
        public void close() {}
    };

    /** This hub's id on the bus (random per process), as messages carry it. */
    long hubId();

    /**
     * Starts hearing the room's messages; waits (boundedly) for the subscription to be confirmed,
     * so that whatever the caller reads from the store next, nothing published later is missed.
     * Counted: a room subscribed twice needs two {@link #unsubscribe}s.
     */
    void subscribe(String room);

    /** Undoes one {@link #subscribe}. */
    void unsubscribe(String room);

    /** Sends {@code message} to every other hub serving {@code room}; best effort, never blocks. */
    void publish(String room, BusMessage message);

    /** False for {@link #NONE}. */
    boolean shared();

    /** Tells the other hubs this one is going, and disconnects. */
    @Override
    void close();
}
