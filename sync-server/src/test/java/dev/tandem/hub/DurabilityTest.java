package dev.tandem.hub;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import dev.tandem.hub.store.DataDirectoryLockedException;
import dev.tandem.hub.store.SqliteRoomStore;
import dev.tandem.hub.store.StoredRoom;
import dev.tandem.sync.SyncClient;

import java.net.URI;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static dev.tandem.hub.TestHubs.client;
import static dev.tandem.hub.TestHubs.sync;
import static dev.tandem.hub.TestHubs.text;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Acknowledged edits survive restarts, SIGKILL and compaction; unreadable rooms are refused, never emptied. */
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class DurabilityTest {
    @TempDir
    Path dir;

    @Test
    void restartOnSameDataDirectoryKeepsEveryRoomThroughCompaction() throws Exception {
        List<String> expected = new ArrayList<>();
        try (Hub hub = Hub.start(TestHubs.config(dir).withCompactEvery(5))) {
            for (int r = 0; r < 3; r++) {
                try (SyncClient c = client(hub, "room-" + r)) {
                    sync(c);
                    for (int i = 0; i < 12; i++) {
                        String s = "r" + r + "e" + i + " ";
                        c.edit(d -> d.insert(d.length(), s)).get();
                        c.flush().get(20, TimeUnit.SECONDS);
                    }
                    c.edit(d -> d.delete(0, 5)).get();
                    c.flush().get(20, TimeUnit.SECONDS);
                    expected.add(text(c));
                }
            }
        }
        try (SqliteRoomStore store = SqliteRoomStore.open(dir)) {
            StoredRoom stored = store.open("room-0");
            assertNotNull(stored.snapshot(), "the log was compacted into a snapshot");
            assertTrue(stored.updates().size() < 13, "log holds " + stored.updates().size() + " entries after compaction");
        }
        try (Hub hub = Hub.start(TestHubs.config(dir))) {
            for (int r = 0; r < 3; r++) {
                try (SyncClient c = client(hub, "room-" + r)) {
                    sync(c);
                    assertEquals(expected.get(r), text(c), "room-" + r + " after restart");
                }
            }
        }
    }

    @Test
    void hubKilledWithSigkillRightAfterAcksLosesNothingAcknowledged() throws Exception {
        String acked;
        try (ChildHub hub = ChildHub.start(dir)) {
            URI uri = URI.create("ws://127.0.0.1:" + hub.awaitListening());
            try (SyncClient a = SyncClient.start(dev.tandem.sync.SyncConfig.builder(uri, "kill", new dev.tandem.crdt.Doc())
                    .coalesce(Duration.ofMillis(2)).build(), null);
                 SyncClient b = SyncClient.start(dev.tandem.sync.SyncConfig.builder(uri, "kill", new dev.tandem.crdt.Doc())
                    .coalesce(Duration.ofMillis(2)).build(), null)) {
                sync(a);
                sync(b);
                for (int i = 0; i < 40; i++) {
                    String s = i + ",";
                    (i % 2 == 0 ? a : b).edit(d -> d.insert(d.length(), s)).get();
                    if (i % 4 == 3) {
                        a.flush().get(20, TimeUnit.SECONDS);
                        b.flush().get(20, TimeUnit.SECONDS);
                    }
                }
                a.flush().get(20, TimeUnit.SECONDS);
                b.flush().get(20, TimeUnit.SECONDS);
                // Both flushes are acked: everything is durable. Kill at once, no goodbye.
                hub.process.destroyForcibly();
                acked = a.snapshot().thenApply(bytes -> dev.tandem.crdt.Doc.decode(bytes).text()).get();
                String bText = b.text().get();
                assertTrue(acked.length() > 0);
                // a may not have seen b's last edits yet; the hub must hold the union of both.
                for (int i = 0; i < 40; i++) assertTrue((i % 2 == 0 ? acked : bText).contains(i + ","), "edit " + i + " was made");
            }
            assertEquals(137, hub.awaitExit(20), "the hub was SIGKILLed");
        }
        try (Hub restarted = Hub.start(TestHubs.config(dir)); SyncClient c = client(restarted, "kill")) {
            sync(c);
            String after = text(c);
            for (int i = 0; i < 40; i++) assertTrue(after.contains(i + ","), "acknowledged edit " + i + " survived the kill: " + after);
        }
    }

    @Test
    void anEmbeddedHubOnADataDirectoryInUseFailsToStartWithAClearException() throws Exception {
        try (Hub first = TestHubs.start(dir)) {
            DataDirectoryLockedException e = assertThrows(DataDirectoryLockedException.class, () -> TestHubs.start(dir).close());
            assertTrue(e.getMessage().contains(dir.toAbsolutePath().toString()), e.getMessage());
            assertTrue(e.getMessage().contains("pid " + ProcessHandle.current().pid()), e.getMessage());
            try (SyncClient c = client(first, "mine")) {
                sync(c);
                c.edit(d -> d.insert(0, "still served")).get();
                c.flush().get(20, TimeUnit.SECONDS);
            }
        }
        // Released when the hub closes.
        try (Hub again = TestHubs.start(dir); SyncClient c = client(again, "mine")) {
            sync(c);
            assertEquals("still served", text(c));
        }
    }

    @Test
    void roomWhoseStoredStateIsCorruptIsRefusedAndNeverOverwritten() throws Exception {
        try (Hub hub = TestHubs.start(dir); SyncClient c = client(hub, "precious"); SyncClient d = client(hub, "other")) {
            sync(c);
            sync(d);
            c.edit(doc -> doc.insert(0, "years of work")).get();
            c.flush().get(20, TimeUnit.SECONDS);
            d.edit(doc -> doc.insert(0, "fine")).get();
            d.flush().get(20, TimeUnit.SECONDS);
        }
        byte[] garbage = {0x54, 0x01, 0x7f, 0x7f, 0x7f};
        String db = "jdbc:sqlite:" + dir.resolve("tandem.db");
        try (Connection conn = DriverManager.getConnection(db); Statement s = conn.createStatement()) {
            // The hub's graceful stop folded the log into a snapshot: corrupt that.
            assertEquals(1, s.executeUpdate("UPDATE rooms SET snapshot = x'54017f7f7f' WHERE name = 'precious' AND snapshot IS NOT NULL"));
        }
        try (Hub hub = TestHubs.start(dir)) {
            try (RawClient raw = RawClient.connect(hub.port(), "precious")) {
                raw.text(RawClient.hello(0xabc, dev.tandem.crdt.Version.EMPTY));
                Dev.assertMessageMentions(raw.expectError("room_unavailable", 1011), "precious");
            }
            try (SyncClient ok = client(hub, "other")) {
                sync(ok);
                assertEquals("fine", text(ok), "other rooms are served");
            }
            // A second attempt is refused again, not served empty.
            try (RawClient raw = RawClient.connect(hub.port(), "precious")) {
                raw.text(RawClient.hello(0xabd, dev.tandem.crdt.Version.EMPTY));
                raw.expectError("room_unavailable", 1011);
            }
        }
        try (Connection conn = DriverManager.getConnection(db); Statement s = conn.createStatement();
             ResultSet rs = s.executeQuery("SELECT snapshot FROM rooms WHERE name = 'precious'")) {
            int rows = 0;
            while (rs.next()) {
                assertArrayEquals(garbage, rs.getBytes(1), "stored bytes untouched");
                rows++;
            }
            assertTrue(rows > 0);
        }
    }

    @Test
    void aHubThatLostItsDataIsRefilledByReturningClients(@TempDir Path empty) throws Exception {
        Hub first = TestHubs.start(dir);
        int port = first.port();
        try (SyncClient a = client(first, "phoenix")) {
            sync(a);
            a.edit(d -> d.insert(0, "kept by the client")).get();
            a.flush().get(20, TimeUnit.SECONDS);
            first.close();
            // Same address, empty data directory: the hub's disk is gone.
            try (Hub second = Hub.start(TestHubs.config(empty).withPort(port))) {
                a.edit(d -> d.insert(d.length(), ", and more")).get();
                a.flush().get(20, TimeUnit.SECONDS);
                try (SyncClient reader = client(second, "phoenix")) {
                    sync(reader);
                    assertEquals("kept by the client, and more", text(reader));
                }
            }
        } finally {
            first.close();
        }
    }

    @Test
    void gracefulStopTellsClientsAndClosesWith1001() throws Exception {
        Hub hub = TestHubs.start(dir);
        try (RawClient raw = RawClient.joined(hub.port(), "bye", 0x77)) {
            hub.close();
            raw.expectError("shutting_down", 1001);
        } finally {
            hub.close();
        }
    }

    static final class Dev {
        static void assertMessageMentions(dev.tandem.protocol.Message.Error e, String word) {
            assertTrue(e.message().contains(word), e.message());
            assertTrue(e.retry());
        }
    }
}
