package dev.tandem.hub;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import dev.tandem.sync.SyncClient;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static dev.tandem.hub.TestHubs.client;
import static dev.tandem.hub.TestHubs.sync;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** 100 rooms edited at the same time: every room ends with exactly its own text. */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class RoomIsolationTest {
    @TempDir
    Path dir;

    @Test
    void hundredRoomsStayIsolated() throws Exception {
        int rooms = 100;
        List<SyncClient> writers = new ArrayList<>();
        List<SyncClient> watchers = new ArrayList<>();
        try (Hub hub = TestHubs.start(dir)) {
            try {
                for (int r = 0; r < rooms; r++) {
                    writers.add(client(hub, "iso-" + r));
                    watchers.add(client(hub, "iso-" + r));
                }
                for (SyncClient c : writers) sync(c);
                for (SyncClient c : watchers) sync(c);
                for (int r = 0; r < rooms; r++) {
                    String own = "room " + r + " only;";
                    writers.get(r).edit(d -> d.insert(0, own));
                    int w = r;
                    watchers.get(r).edit(d -> d.insert(d.length(), " watcher " + w));
                }
                for (int r = 0; r < rooms; r++) {
                    writers.get(r).flush().get(30, TimeUnit.SECONDS);
                    watchers.get(r).flush().get(30, TimeUnit.SECONDS);
                }
                for (int r = 0; r < rooms; r++) {
                    // Both inserted into an empty document concurrently: either order is a correct merge.
                    String merged = TestHubs.awaitSame(writers.get(r), watchers.get(r));
                    String own = "room " + r + " only;";
                    String other = " watcher " + r;
                    assertTrue(merged.equals(own + other) || merged.equals(other + own), "room " + r + " holds \"" + merged + "\"");
                }
            } finally {
                for (SyncClient c : writers) c.close();
                for (SyncClient c : watchers) c.close();
            }
        }
    }
}
