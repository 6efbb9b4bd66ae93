package dev.tandem.hub;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import dev.tandem.hub.store.PostgresRoomStore;
import dev.tandem.hub.store.PostgresServer;
import dev.tandem.hub.store.StoreLocation;
import dev.tandem.hub.store.StoredRoom;
import dev.tandem.sync.SyncClient;

import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import static dev.tandem.hub.TestHubs.client;
import static dev.tandem.hub.TestHubs.sync;
import static dev.tandem.hub.TestHubs.text;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A real hub with its rooms in a real PostgreSQL: acked edits survive a hub restart; a late joiner catches up. */
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class HubOnPostgresTest {
    @TempDir
    Path dir;

    @Test
    void editsPushedToAHubOnPostgresSurviveItsRestartAndReachALateJoiner() throws Exception {
        StoreLocation.Postgres db = PostgresServer.shared().newDatabase("hub");
        HubConfig config = TestHubs.config(dir).withStore(db).withCompactEvery(5);
        String expected;
        try (Hub hub = Hub.start(config)) {
            try (SyncClient a = client(hub, "notes"); SyncClient b = client(hub, "notes")) {
                sync(a);
                sync(b);
                for (int i = 0; i < 12; i++) {
                    String s = "e" + i + " ";
                    a.edit(d -> d.insert(d.length(), s)).get();
                    a.flush().get(20, TimeUnit.SECONDS);
                }
                b.edit(d -> d.insert(0, "from b: ")).get();
                b.flush().get(20, TimeUnit.SECONDS);
                TestHubs.awaitSame(a, b);
                expected = text(a);
            }
        }
        // Compacted (every 5 entries) into the database, not into the data directory.
        try (PostgresRoomStore store = PostgresRoomStore.open(db)) {
            StoredRoom stored = store.read("notes");
            assertNotNull(stored, "the room is in PostgreSQL");
            assertNotNull(stored.snapshot(), "the log was compacted into a snapshot");
            assertTrue(stored.updates().size() < 13, "log holds " + stored.updates().size() + " entries after compaction");
        }
        assertTrue(!java.nio.file.Files.exists(dir.resolve("tandem.db")), "a hub on PostgreSQL wrote a SQLite store too");
        try (Hub hub = Hub.start(config); SyncClient late = client(hub, "notes")) {
            sync(late);
            assertEquals(expected, text(late), "the late joiner after the restart");
            assertTrue(expected.startsWith("from b: e0 e1"), expected);
        }
    }

    @Test
    void clientsTypingThroughAPostgresRestartLoseNothingTheHubAcked() throws Exception {
        try (PostgresServer pg = PostgresServer.startOwn()) {
            HubConfig config = TestHubs.config(dir).withStore(pg.newDatabase("restart")).withCompactEvery(20);
            StringBuilder typed = new StringBuilder();
            java.util.List<String> errors = new java.util.concurrent.CopyOnWriteArrayList<>();
            dev.tandem.sync.SyncListener listener = new dev.tandem.sync.SyncListener() {
                @Override
                public void onStatus(dev.tandem.sync.SyncStatus status) {
                    if (status.lastError() != null && !errors.contains(status.lastError())) errors.add(status.lastError());
                }
            };
            try (Hub hub = Hub.start(config); SyncClient a = client(hub, "notes", new dev.tandem.crdt.Doc(), listener)) {
                sync(a);
                for (int i = 0; i < 60; i++) {
                    String s = i + ",";
                    typed.append(s);
                    a.edit(d -> d.insert(d.length(), s)).get();
                    if (i == 20) pg.stop(true);
                    if (i == 25) pg.start();
                    Thread.sleep(20);
                }
                // Every edit is acked once PostgreSQL is back: the acks waited, none failed.
                a.flush().get(60, TimeUnit.SECONDS);
                assertEquals(typed.toString(), text(a));
                assertEquals(java.util.List.of(), errors, "the room failed instead of waiting for PostgreSQL");
            }
            try (Hub hub = Hub.start(config); SyncClient late = client(hub, "notes")) {
                sync(late);
                assertEquals(typed.toString(), text(late), "an edit the hub acked is missing after the restart of both");
            }
        }
    }
}
