package dev.tandem.hub;

import dev.tandem.crdt.Doc;
import dev.tandem.hub.store.SqliteRoomStore;
import dev.tandem.hub.store.StoredRoom;
import dev.tandem.sync.SyncClient;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import static dev.tandem.hub.TestHubs.awaitText;
import static dev.tandem.hub.TestHubs.client;
import static dev.tandem.hub.TestHubs.sync;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

/**
 * A data directory written by a v1 hub (snapshots in crdt format v1) still serves its rooms:
 * the hub upgrades each one as it loads it, and protocol 2 clients read and edit it.
 */
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class V1RoomTest {
    @TempDir
    Path dir;

    private static byte[] resource(String path) throws Exception {
        try (InputStream in = V1RoomTest.class.getResourceAsStream(path)) {
            assertNotNull(in, "missing test resource " + path);
            return in.readAllBytes();
        }
    }

    @Test
    void aRoomStoredByAV1HubLoadsAndGoesOnSyncing() throws Exception {
        // crdt's golden file edited.tdoc (copied here), written by the v1 build: 300 lines, 60 deletions.
        byte[] v1 = resource("/v1/edited.tdoc");
        String text = new String(resource("/v1/edited.tdoc.txt"), StandardCharsets.UTF_8);
        assertEquals(1, v1[2], "a format v1 document");
        // Stored the way the store writes a snapshot: a compaction of the room's log.
        try (SqliteRoomStore store = SqliteRoomStore.open(dir)) {
            long key = store.open("legacy").key();
            store.compact(key, 0, v1, null).get(10, TimeUnit.SECONDS);
        }
        try (Hub hub = Hub.start(TestHubs.config(dir).withCompactEvery(2))) {
            try (SyncClient a = client(hub, "legacy"); SyncClient b = client(hub, "legacy")) {
                awaitText(a, text);
                awaitText(b, text);
                a.edit(d -> d.insert(0, "v2 ")).get(10, TimeUnit.SECONDS);
                b.edit(d -> d.delete(d.length() - 1, 1)).get(10, TimeUnit.SECONDS);
                String expected = "v2 " + text.substring(0, text.length() - 1);
                sync(a);
                sync(b);
                awaitText(a, expected);
                awaitText(b, expected);
            }
        }
        // After compaction the room is stored in format v2 and still reads the same.
        try (SqliteRoomStore store = SqliteRoomStore.open(dir)) {
            StoredRoom room = store.open("legacy");
            assertNotNull(room.snapshot());
            assertEquals(2, room.snapshot()[2], "compacted into a format v2 snapshot");
            Doc d = Doc.decode(room.snapshot());
            for (byte[] u : room.updates()) d.apply(dev.tandem.crdt.Update.decode(u));
            assertEquals("v2 " + text.substring(0, text.length() - 1), d.text());
        }
    }
}
