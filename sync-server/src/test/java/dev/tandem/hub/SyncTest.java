package dev.tandem.hub;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import dev.tandem.crdt.Anchor;
import dev.tandem.crdt.Bias;
import dev.tandem.crdt.Doc;
import dev.tandem.crdt.Update;
import dev.tandem.sync.Peer;
import dev.tandem.sync.SyncClient;
import dev.tandem.sync.SyncListener;
import dev.tandem.sync.SyncStatus;

import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import static dev.tandem.hub.TestHubs.awaitSame;
import static dev.tandem.hub.TestHubs.awaitText;
import static dev.tandem.hub.TestHubs.awaitTrue;
import static dev.tandem.hub.TestHubs.client;
import static dev.tandem.hub.TestHubs.sync;
import static dev.tandem.hub.TestHubs.text;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Sync clients against a real hub on loopback: convergence, late joiners, offline work, presence. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class SyncTest {
    @TempDir
    Path dir;
    Hub hub;

    @BeforeEach
    void start() throws Exception {
        hub = TestHubs.start(dir);
    }

    @AfterEach
    void stop() {
        hub.close();
    }

    @Test
    void twoClientsConvergeAfterConcurrentEdits() throws Exception {
        try (SyncClient a = client(hub, "pad"); SyncClient b = client(hub, "pad")) {
            sync(a);
            sync(b);
            Random rnd = new Random(42);
            for (int i = 0; i < 200; i++) {
                SyncClient c = rnd.nextBoolean() ? a : b;
                int r = rnd.nextInt(10);
                String s = String.valueOf((char) ('a' + rnd.nextInt(26)));
                c.edit(d -> r < 7 || d.length() == 0
                        ? d.insert(rnd.nextInt(d.length() + 1), s)
                        : d.delete(rnd.nextInt(d.length()), 1));
            }
            a.flush().get(20, TimeUnit.SECONDS);
            b.flush().get(20, TimeUnit.SECONDS);
            String merged = awaitSame(a, b);
            assertFalse(merged.isEmpty());
            // The hub's replica agrees: a fresh reader sees the same text.
            try (SyncClient reader = client(hub, "pad")) {
                sync(reader);
                assertEquals(merged, text(reader));
            }
        }
    }

    @Test
    void uiReplicaSubmitsAndReceivesRemoteUpdates() throws Exception {
        // The desktop arrangement: a UI Doc of its own, updates handed over with submit().
        Doc ui = new Doc();
        CopyOnWriteArrayList<Update> remote = new CopyOnWriteArrayList<>();
        SyncListener listener = new SyncListener() {
            @Override
            public void onRemoteUpdate(Update u) {
                remote.add(u);
            }
        };
        try (SyncClient a = client(hub, "ui", new Doc(), listener); SyncClient b = client(hub, "ui")) {
            sync(a);
            sync(b);
            a.submit(ui.insert(0, "typed in the UI"));
            a.flush().get(20, TimeUnit.SECONDS);
            awaitText(b, "typed in the UI");
            b.edit(d -> d.insert(d.length(), "!")).get();
            awaitTrue("the UI got b's edit", () -> !remote.isEmpty());
            for (Update u : remote) ui.apply(u);
            assertEquals("typed in the UI!", ui.text());
        }
    }

    @Test
    void lateJoinerReceivesMergedState() throws Exception {
        try (SyncClient a = client(hub, "late"); SyncClient b = client(hub, "late")) {
            sync(a);
            sync(b);
            a.edit(d -> d.insert(0, "alpha ")).get();
            b.edit(d -> d.insert(0, "beta ")).get();
            a.flush().get(20, TimeUnit.SECONDS);
            b.flush().get(20, TimeUnit.SECONDS);
            String merged = awaitSame(a, b);
            try (SyncClient late = client(hub, "late")) {
                sync(late);
                // Synced means the catch-up is applied: no waiting needed.
                assertEquals(merged, text(late));
                assertEquals(a.version().get(), late.version().get());
            }
        }
    }

    @Test
    void offlineClientWithUnsentEditsReconnectsAndBothSidesCatchUp() throws Exception {
        List<SyncStatus> statuses = new CopyOnWriteArrayList<>();
        SyncListener recorder = new SyncListener() {
            @Override
            public void onStatus(SyncStatus s) {
                statuses.add(s);
            }
        };
        try (SyncClient a = client(hub, "trip", new Doc(), recorder); SyncClient b = client(hub, "trip")) {
            sync(a);
            sync(b);
            a.edit(d -> d.insert(0, "shared. ")).get();
            a.flush().get(20, TimeUnit.SECONDS);
            awaitText(b, "shared. ");

            a.disconnect();
            awaitTrue("a is offline", () -> !statuses.isEmpty() && statuses.get(statuses.size() - 1).state() == SyncStatus.State.OFFLINE);
            a.edit(d -> d.insert(d.length(), "written offline.")).get();
            b.edit(d -> d.insert(0, "meanwhile online. ")).get();
            b.flush().get(20, TimeUnit.SECONDS);
            var pending = a.flush();
            awaitTrue("a reports unsent edits", () -> statuses.get(statuses.size() - 1).unsentOps() > 0);
            assertFalse(pending.isDone(), "flush cannot complete while offline");

            a.reconnect();
            pending.get(20, TimeUnit.SECONDS);
            String merged = awaitSame(a, b);
            assertTrue(merged.contains("written offline.") && merged.contains("meanwhile online. ") && merged.contains("shared. "), merged);
            awaitTrue("a reports nothing unsent", () -> statuses.get(statuses.size() - 1).unsentOps() == 0
                    && statuses.get(statuses.size() - 1).state() == SyncStatus.State.CONNECTED);
        }
    }

    @Test
    void presenceShowsJoinCursorAndLeave() throws Exception {
        AtomicReference<List<Peer>> seenByA = new AtomicReference<>(List.of());
        SyncListener listener = new SyncListener() {
            @Override
            public void onPeers(List<Peer> peers) {
                seenByA.set(peers);
            }
        };
        try (SyncClient a = client(hub, "people", new Doc(), listener)) {
            sync(a);
            a.edit(d -> d.insert(0, "hello")).get();
            a.flush().get(20, TimeUnit.SECONDS);
            Doc bDoc = new Doc();
            SyncClient b = client(hub, "people", bDoc, null);
            sync(b);
            awaitTrue("a sees b", () -> seenByA.get().size() == 2);
            Anchor cursor = b.edit(d -> Update.empty()).thenCompose(u -> b.text()).thenApply(t -> new Anchor(0, -1, Bias.RIGHT)).get();
            b.setPresence(cursor, null, true, false);
            awaitTrue("a sees b typing at the end", () -> seenByA.get().stream().anyMatch(p -> !p.self() && p.typing() && cursor.equals(p.cursor())));
            Peer self = seenByA.get().stream().filter(Peer::self).findFirst().orElseThrow();
            assertEquals("tester", self.name());
            b.close();
            awaitTrue("b left", () -> seenByA.get().size() == 1);
        }
    }
}
