package dev.tandem.hub;

import dev.tandem.crdt.Doc;
import dev.tandem.sync.SyncClient;
import dev.tandem.sync.SyncConfig;
import dev.tandem.sync.SyncListener;

import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

import static org.junit.jupiter.api.Assertions.fail;

/** Shared helpers: hubs on ephemeral loopback ports, sync clients, polling with a deadline. */
final class TestHubs {
    private TestHubs() {}

    static HubConfig config(Path dir) {
        // --auth none: most tests are not about access; AccessTest and its kin start token hubs.
        return HubConfig.defaults(dir).withPort(0).withTimeouts(Duration.ofSeconds(15), Duration.ofSeconds(30), Duration.ofSeconds(3))
                .withSecurity(open(HubSecurity.none()));
    }

    /**
     * {@code security} with per-address limits out of the way: every test client comes from
     * 127.0.0.1. LimitsTest and its kin set their own.
     */
    static HubSecurity open(HubSecurity security) {
        return security.withAddressLimits(100_000, 1_000_000);
    }

    static Hub start(Path dir) throws Exception {
        return Hub.start(config(dir));
    }

    static URI uri(Hub hub) {
        return URI.create("ws://127.0.0.1:" + hub.port());
    }

    static SyncClient client(Hub hub, String room, Doc doc, SyncListener listener) {
        return SyncClient.start(SyncConfig.builder(uri(hub), room, doc).user("tester", "#336699")
                .backoff(Duration.ofMillis(50), Duration.ofMillis(500)).coalesce(Duration.ofMillis(5)).build(), listener);
    }

    static SyncClient client(Hub hub, String room) {
        return client(hub, room, new Doc(), null);
    }

    static String text(SyncClient c) throws Exception {
        return c.text().get(10, TimeUnit.SECONDS);
    }

    static void awaitTrue(String what, BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) fail("timed out waiting until " + what);
            Thread.sleep(10);
        }
    }

    static void awaitText(SyncClient c, String expected) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(Long.getLong("tandem.test.wait", 20));
        String last = null;
        while (System.nanoTime() < deadline) {
            last = text(c);
            if (expected.equals(last)) return;
            Thread.sleep(10);
        }
        fail("text never became \"" + clip(expected) + "\"; last seen \"" + clip(last) + "\"");
    }

    static String clip(String s) {
        return s == null || s.length() < 200 ? s : s.substring(0, 100) + "...(" + s.length() + " chars)..." + s.substring(s.length() - 100);
    }

    /** A text both clients agree on, waiting up to 20 s. */
    static String awaitSame(SyncClient a, SyncClient b) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        String ta = null;
        String tb = null;
        while (System.nanoTime() < deadline) {
            ta = text(a);
            tb = text(b);
            if (ta.equals(tb) && a.version().get().equals(b.version().get())) return ta;
            Thread.sleep(10);
        }
        fail("clients did not converge: \"" + ta + "\" vs \"" + tb + "\"");
        return null;
    }

    static void sync(SyncClient c) throws Exception {
        c.synced().get(20, TimeUnit.SECONDS);
    }

    /** What the store holds of one room, read from its SQLite file. */
    record Stored(long snapshotSeq, long logEntries, long bytes) {}

    /**
     * Reads {@code room}'s stored size from {@code dir/tandem.db} with a connection of its own
     * (WAL lets it read beside a running hub): snapshot, held operations and log, in bytes.
     */
    static Stored stored(Path dir, String room) throws java.sql.SQLException {
        try (java.sql.Connection c = java.sql.DriverManager.getConnection("jdbc:sqlite:" + dir.resolve("tandem.db"))) {
            boolean hasHeld = false;
            try (java.sql.Statement st = c.createStatement(); java.sql.ResultSet rs = st.executeQuery("PRAGMA table_info(rooms)")) {
                while (rs.next()) hasHeld |= "held".equals(rs.getString("name"));
            }
            long key;
            long snapshotSeq;
            long bytes;
            String sql = "SELECT id, snapshot_seq, coalesce(length(snapshot), 0)" + (hasHeld ? " + coalesce(length(held), 0)" : "")
                    + " FROM rooms WHERE name = ?";
            try (java.sql.PreparedStatement p = c.prepareStatement(sql)) {
                p.setString(1, room);
                try (java.sql.ResultSet rs = p.executeQuery()) {
                    if (!rs.next()) fail("room \"" + room + "\" is not stored");
                    key = rs.getLong(1);
                    snapshotSeq = rs.getLong(2);
                    bytes = rs.getLong(3);
                }
            }
            try (java.sql.PreparedStatement p = c.prepareStatement("SELECT count(*), coalesce(sum(length(data)), 0) FROM updates WHERE room = ?")) {
                p.setLong(1, key);
                try (java.sql.ResultSet rs = p.executeQuery()) {
                    rs.next();
                    return new Stored(snapshotSeq, rs.getLong(1), bytes + rs.getLong(2));
                }
            }
        }
    }
}
