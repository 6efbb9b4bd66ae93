package dev.tandem.hub.store;

import java.util.concurrent.TimeUnit;

/** Lets tests of other packages reach the store's test hooks. */
public final class StoreHooks {
    private StoreHooks() {}

    /** Runs a PRAGMA on the store's writer connection and returns its first column. */
    public static String pragma(RoomStore store, String sql) throws Exception {
        return ((SqliteRoomStore) store).pragma(sql).get(10, TimeUnit.SECONDS);
    }

    /** A real "disk full": SQLite may not grow the file beyond its current pages. */
    public static void diskFull(RoomStore store) throws Exception {
        diskFullAfter(store, 0);
    }

    /** The disk fills after {@code pages} more pages (of 4 KiB). */
    public static void diskFullAfter(RoomStore store, int pages) throws Exception {
        long now = Long.parseLong(pragma(store, "PRAGMA page_count"));
        pragma(store, "PRAGMA max_page_count = " + (now + pages));
    }

    /** The space is back. */
    public static void spaceReturns(RoomStore store) throws Exception {
        pragma(store, "PRAGMA max_page_count = 1073741823");
    }
}
