package dev.tandem.hub;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import dev.tandem.crdt.Doc;
import dev.tandem.crdt.Update;
import dev.tandem.hub.store.StoreHooks;
import dev.tandem.sync.SyncClient;
import dev.tandem.sync.SyncListener;
import dev.tandem.sync.SyncStatus;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import static dev.tandem.hub.TestHubs.awaitTrue;
import static dev.tandem.hub.TestHubs.client;
import static dev.tandem.hub.TestHubs.sync;
import static dev.tandem.hub.TestHubs.text;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A real "disk full" (SQLite's max_page_count on the hub's own connection): clients get a
 * retryable error, no acknowledgement covers an edit that is not stored, /healthz says the hub is
 * degraded while it cannot write, and once space returns the hub recovers by itself.
 */
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class DiskFullTest {
    @TempDir
    Path dir;

    private record Pushed(String text, CompletableFuture<Void> acked) {}

    @Test
    void aFullDiskGivesRetryableErrorsNoFalseAcksAndADegradedHealthUntilSpaceReturns() throws Exception {
        AtomicReference<SyncStatus> status = new AtomicReference<>();
        List<String> errors = new java.util.concurrent.CopyOnWriteArrayList<>();
        SyncListener listener = new SyncListener() {
            @Override
            public void onStatus(SyncStatus s) {
                status.set(s);
                if (s.lastError() != null) errors.add(s.lastError() + (s.retrying() ? " (retrying)" : " (not retrying)"));
            }
        };
        String finalText;
        try (Hub hub = TestHubs.start(dir); SyncClient a = client(hub, "full", new Doc(), listener)) {
            sync(a);
            a.edit(d -> d.insert(0, "before the disk filled. ")).get();
            a.flush().get(20, TimeUnit.SECONDS);
            assertEquals(200, health(hub).statusCode());

            // Room for a few pushes first, so that some are acknowledged before the disk fills.
            StoreHooks.diskFullAfter(hub.store(), 16);
            List<Pushed> pushed = new ArrayList<>();
            Random rnd = new Random(11);
            for (int i = 0; i < 100 && errors.stream().noneMatch(e -> e.startsWith("room_unavailable")); i++) {
                StringBuilder chunk = new StringBuilder("[" + i + "]");
                // Random letters: the update format compresses, so each push needs new pages.
                for (int k = 0; k < 16_000; k++) chunk.append((char) ('a' + rnd.nextInt(26)));
                String c = chunk.toString();
                a.edit(d -> d.insert(d.length(), c)).get();
                pushed.add(new Pushed(text(a), a.flush()));
                awaitTrue("push " + i + " is acked or the room failed", () -> pushed.get(pushed.size() - 1).acked().isDone()
                        || errors.stream().anyMatch(e -> e.startsWith("room_unavailable")));
            }
            assertTrue(errors.stream().anyMatch(e -> e.startsWith("room_unavailable") && e.endsWith("(retrying)")),
                    "the client was told the room is unavailable, retryably: " + errors);

            HttpResponse<String> degraded = health(hub);
            assertEquals(503, degraded.statusCode(), degraded.body());
            assertTrue(degraded.body().contains("\"status\":\"degraded\""), degraded.body());

            // Stop the client from resending, then look at what is really on disk: every
            // acknowledged push must be there (acks are cumulative, so the text is a prefix).
            a.disconnect();
            String stored = storedText(dir, "full");
            int acked = 0;
            for (Pushed p : pushed) {
                if (p.acked().isDone() && !p.acked().isCompletedExceptionally()) {
                    acked++;
                    assertTrue(stored.startsWith(p.text()), "an acknowledged edit is not stored: " + p.text().length()
                            + " chars acked, " + stored.length() + " stored");
                }
            }
            System.out.println("DiskFullTest: " + acked + " of " + pushed.size() + " pushes acked before the disk filled");
            // Each push waited for the one before; the first fits in the 16 pages left.
            assertTrue(acked >= 1, "no push was acknowledged before the disk filled, so the check above proved nothing");

            StoreHooks.spaceReturns(hub.store());
            a.reconnect();
            a.flush().get(30, TimeUnit.SECONDS);
            // A commit succeeded after the failure (that is what the ack says): healthy again.
            HttpResponse<String> ok = health(hub);
            assertEquals(200, ok.statusCode(), ok.body());
            finalText = text(a);
        }
        try (Hub hub = TestHubs.start(dir); SyncClient reader = client(hub, "full")) {
            sync(reader);
            assertEquals(finalText, text(reader), "after a restart the hub holds everything");
        }
    }

    static HttpResponse<String> health(Hub hub) throws Exception {
        return HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + hub.port() + "/healthz")).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    /** The room as committed to the database, read with a connection of its own. */
    static String storedText(Path dir, String room) throws Exception {
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + dir.resolve("tandem.db"))) {
            long key;
            long snapshotSeq;
            Doc doc;
            try (PreparedStatement p = c.prepareStatement("SELECT id, snapshot, snapshot_seq FROM rooms WHERE name = ?")) {
                p.setString(1, room);
                try (ResultSet rs = p.executeQuery()) {
                    assertTrue(rs.next(), "room " + room + " is stored");
                    key = rs.getLong(1);
                    byte[] snapshot = rs.getBytes(2);
                    snapshotSeq = rs.getLong(3);
                    doc = snapshot == null ? new Doc() : Doc.decode(snapshot);
                }
            }
            try (PreparedStatement p = c.prepareStatement("SELECT data FROM updates WHERE room = ? AND seq > ? ORDER BY seq")) {
                p.setLong(1, key);
                p.setLong(2, snapshotSeq);
                try (ResultSet rs = p.executeQuery()) {
                    while (rs.next()) doc.apply(Update.decode(rs.getBytes(1)));
                }
            }
            return doc.text();
        }
    }
}
