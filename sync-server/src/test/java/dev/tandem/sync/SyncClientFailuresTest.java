package dev.tandem.sync;

import dev.tandem.crdt.Doc;
import dev.tandem.crdt.Update;
import dev.tandem.hub.Hub;
import dev.tandem.hub.HubConfig;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

import static org.junit.jupiter.api.Assertions.*;

/** Failures the sync client must never swallow: a real hub on a loopback port, real files. */
class SyncClientFailuresTest {
    private static final long WAIT_SECONDS = 20;
    @TempDir Path dir;
    private Hub hub;
    private URI server;
    private final List<SyncClient> clients = new CopyOnWriteArrayList<>();

    @BeforeEach
    void startHub() throws Exception {
        hub = Hub.start(HubConfig.defaults(dir.resolve("hub")).withPort(0).withSecurity(dev.tandem.hub.HubSecurity.none()));
        server = URI.create("ws://127.0.0.1:" + hub.port());
    }

    @AfterEach
    void stop() {
        for (SyncClient c : clients) c.close();
        hub.close();
    }

    private SyncClient client(String room, Doc doc, LocalStore store, SyncListener listener, long replica) {
        SyncConfig.Builder b = SyncConfig.builder(server, room, doc).user("tester", "#336699")
                .backoff(Duration.ofMillis(50), Duration.ofMillis(400)).coalesce(Duration.ofMillis(5));
        if (store != null) b.localStore(store);
        if (replica != 0) b.replicaId(replica);
        SyncClient c = SyncClient.start(b.build(), listener);
        clients.add(c);
        return c;
    }

    static void await(String what, BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(WAIT_SECONDS);
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) fail("timed out waiting until " + what);
            Thread.sleep(10);
        }
    }

    private String hubText(String room) throws Exception {
        SyncClient probe = client(room, new Doc(), null, null, 0);
        probe.synced().get(WAIT_SECONDS, TimeUnit.SECONDS);
        return probe.text().get(WAIT_SECONDS, TimeUnit.SECONDS);
    }

    private static SyncStatus last(List<SyncStatus> statuses) {
        return statuses.isEmpty() ? null : statuses.get(statuses.size() - 1);
    }

    @Test
    void failedSave_isShownAndRetriedUntilItSucceeds_whileEditsStillReachTheHub() throws Exception {
        Path blocker = dir.resolve("profile");
        Files.writeString(blocker, "a file where the directory should be"); // every save fails
        Path file = blocker.resolve("rooms").resolve("notes.tandem");
        List<SyncStatus> statuses = new CopyOnWriteArrayList<>();
        SyncClient c = client("notes", new Doc(), LocalStore.file(file), new SyncListener() {
            @Override public void onStatus(SyncStatus s) { statuses.add(s); }
        }, 0);
        c.synced().get(WAIT_SECONDS, TimeUnit.SECONDS);
        c.edit(d -> d.insert(0, "typed while the disk fails")).get(WAIT_SECONDS, TimeUnit.SECONDS);

        await("the status reports the failed save", () -> last(statuses) != null && last(statuses).saveError() != null);
        assertTrue(last(statuses).saveError().startsWith("cannot save the local copy"), last(statuses).saveError());
        assertEquals(SyncStatus.State.CONNECTED, last(statuses).state(), "a save error is not a connection error");
        // The push is not held back by the failing disk: the hub's durable copy is then the only one.
        c.flush().get(WAIT_SECONDS, TimeUnit.SECONDS);
        assertEquals("typed while the disk fails", hubText("notes"));

        Files.delete(blocker); // the disk recovers; no further edit is needed for the save to happen
        await("the local copy is saved", () -> Files.exists(file));
        await("the status clears the save error", () -> last(statuses).saveError() == null);
        assertEquals("typed while the disk fails", Doc.decode(Files.readAllBytes(file)).text());
    }

    @Test
    void refusedLocalEdit_isReportedWithTheSessionSnapshot_andLaterEditsOfThatReplicaAreDropped() throws Exception {
        long uiId = 0x1234_5678_9abc_def0L;
        Doc ui = new Doc(uiId);
        Update hello = ui.insert(0, "hello");
        Doc session = new Doc();
        session.apply(hello);
        // The session replica holds another edit under the UI's id: the UI replica has diverged
        // (what a bug would do). The UI's next character reuses that id with another text.
        Doc twin = new Doc(uiId);
        twin.apply(hello);
        session.apply(twin.insert(5, "X"));

        List<String> reasons = new CopyOnWriteArrayList<>();
        List<byte[]> snapshots = new CopyOnWriteArrayList<>();
        SyncClient c = client("refused", session, null, new SyncListener() {
            @Override public void onLocalEditRejected(String reason, byte[] snapshot) {
                reasons.add(reason);
                snapshots.add(snapshot);
            }
        }, uiId);
        c.synced().get(WAIT_SECONDS, TimeUnit.SECONDS);

        c.submit(ui.insert(5, "Y"));
        await("the refusal is reported", () -> !reasons.isEmpty());
        assertTrue(reasons.get(0).contains("different text"), reasons.get(0));
        Doc rebuilt = Doc.decode(snapshots.get(0)); // a new replica id, as the listener contract says
        assertEquals("helloX", rebuilt.text());
        assertNotEquals(uiId, rebuilt.replicaId());

        c.submit(ui.insert(6, "Z")); // built on the refused edit: dropped, not applied after "X"
        c.submit(rebuilt.insert(6, "!"));
        c.flush().get(WAIT_SECONDS, TimeUnit.SECONDS);
        assertEquals("helloX!", c.text().get(WAIT_SECONDS, TimeUnit.SECONDS));
        assertEquals("helloX!", hubText("refused"));
        assertEquals(1, reasons.size(), "reported once: " + reasons);
    }
}
