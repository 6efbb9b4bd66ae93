package dev.tandem.client;

import dev.tandem.crdt.Doc;
import dev.tandem.hub.Hub;
import dev.tandem.hub.HubConfig;
import dev.tandem.sync.SyncClient;
import dev.tandem.sync.SyncConfig;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The application as users run it: its real entry point in a process of its own, started with no
 * arguments (or the documented ones), its windows its own (no test framework stage keeps it
 * alive), driven through the start screen and the keyboard. See {@link AppHarness}.
 */
class AppProcessTest {
    @TempDir Path dir;
    private final List<AppProcess> processes = new ArrayList<>();
    private final List<AutoCloseable> resources = new ArrayList<>();

    @AfterEach
    void cleanUp() throws Exception {
        for (AppProcess p : processes) p.close();
        for (AutoCloseable r : resources) r.close();
    }

    private AppProcess harness(Path data, String... args) throws Exception {
        AppProcess p = AppProcess.harness(data, args);
        processes.add(p);
        return p;
    }

    private URI startHub() throws Exception {
        Hub hub = Hub.start(HubConfig.defaults(dir.resolve("test-hub")).withPort(0).withSecurity(dev.tandem.hub.HubSecurity.none()));
        resources.add(hub::close);
        return URI.create("ws://127.0.0.1:" + hub.port());
    }

    /** Waits (bounded) until the hub's copy of the room reads {@code expected}: the state that ends the wait, not a time. */
    static void hubEventuallyHas(URI server, String room, String expected) throws Exception {
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(AppProcess.WAIT_SECONDS);
        String last = null;
        try (SyncClient c = SyncClient.start(SyncConfig.builder(server, room, new Doc()).user("probe", "#000000").build(), null)) {
            c.synced().get(AppProcess.WAIT_SECONDS, TimeUnit.SECONDS);
            while (System.nanoTime() < end) {
                last = c.text().get(AppProcess.WAIT_SECONDS, TimeUnit.SECONDS);
                if (expected.equals(last)) return;
                Thread.sleep(50);
            }
        }
        fail("the hub's copy of " + room + " never became \"" + expected + "\"; last: \"" + last + "\"");
    }

    private static URI hostedServer(String roomAnswer) {
        Matcher m = Pattern.compile("wss://[^/ ]+:(\\d+)/rooms/").matcher(roomAnswer);
        assertTrue(m.find(), "the room window shows the address of the hosted hub: " + roomAnswer);
        return URI.create("wss://127.0.0.1:" + m.group(1));
    }

    /** {@link #hubEventuallyHas} for the hub the profile {@code data} hosts: with a token it mints and its certificate pinned. */
    static void hostedHubEventuallyHas(Path data, URI server, String room, String expected) throws Exception {
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(AppProcess.WAIT_SECONDS);
        String last = null;
        while (System.nanoTime() < end) {
            last = TandemAppTest.hostedText(data, server, room);
            if (expected.equals(last)) return;
            Thread.sleep(100);
        }
        fail("the hosted hub's copy of " + room + " never became \"" + expected + "\"; last: \"" + last + "\"");
    }

    /**
     * The README's first step, with no arguments: join a room from the start screen and type, host
     * one from a second start screen and type, then quit with both rooms open. (One process for
     * the three, to keep the suite quick: each start of the toolkit costs seconds.)
     */
    @Test
    void startScreen_joinAndHost_thenQuitWithTwoRoomsOpen() throws Exception {
        URI server = startHub();
        Path data = dir.resolve("profile");
        AppProcess app = harness(data);
        app.send("start-screen Ada|" + server + "|notes");
        String room = app.send("room notes");
        assertTrue(room.startsWith("notes - Tandem"), room);
        app.send("type notes|hello from the start screen");
        hubEventuallyHas(server, "notes", "hello from the start screen");
        assertTrue(Files.exists(data.resolve(Settings.FILE)), "the profile is where TANDEM_CLIENT_DATA says");

        app.send("key notes|SHORTCUT+O"); // File > Join room...: a second start screen
        app.send("start-screen Ada|host|hosted");
        URI hosted = hostedServer(app.send("room hosted"));
        app.send("type hosted|hosted here");
        hostedHubEventuallyHas(data, hosted, "hosted", "hosted here");

        // Quit with two rooms open: both offline copies are written, the embedded hub stops cleanly.
        app.sendLast("key hosted|SHORTCUT+Q");
        assertEquals(0, app.waitForExit(), app.output());
        assertEquals("hello from the start screen", Doc.decode(Files.readAllBytes(RoomSession.replicaFile(data, new RoomAddress(server, "notes")))).text());
        assertEquals("hosted here", Doc.decode(Files.readAllBytes(RoomSession.replicaFile(data, new RoomAddress(hosted, "hosted")))).text());
        assertNoWal(data.resolve("hub"));
    }

    /** Polls (bounded) until the offline copy of a room holds {@code text}: the state that ends the wait. */
    private static byte[] offlineCopyEventually(Path file, String text) throws Exception {
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(AppProcess.WAIT_SECONDS);
        while (System.nanoTime() < end) {
            if (Files.exists(file)) {
                byte[] bytes = Files.readAllBytes(file);
                if (Doc.decode(bytes).text().equals(text)) return bytes;
            }
            Thread.sleep(50);
        }
        fail("the offline copy " + file + " never held \"" + text + "\"");
        return null;
    }

    @Test
    void secondStartOnTheSameProfile_handsItsRequestOver_andNeverTouchesTheOfflineCopy() throws Exception {
        URI server = startHub();
        Path data = dir.resolve("profile");
        AppProcess first = harness(data, "--server", server.toString(), "--room", "one", "--name", "Ada");
        first.send("room one");
        first.send("type one|typed in the first");
        hubEventuallyHas(server, "one", "typed in the first");
        Path copy = RoomSession.replicaFile(data, new RoomAddress(server, "one"));
        byte[] bytes = offlineCopyEventually(copy, "typed in the first");
        FileTime modified = Files.getLastModifiedTime(copy);

        // Through the application's own entry point, as a user would start it a second time.
        AppProcess second = AppProcess.main(data, "--server", server.toString(), "--room", "two", "--name", "Bob");
        processes.add(second);
        assertEquals(0, second.waitForExit(), second.output());
        assertTrue(second.output().contains("Tandem is already running with this profile (" + data + ")"), second.output());
        first.send("room two"); // the running instance opened the room asked for
        // The same room again: the running instance brings its window to the front, opens no second one.
        AppProcess third = AppProcess.main(data, "--server", server.toString(), "--room", "one");
        processes.add(third);
        assertEquals(0, third.waitForExit(), third.output());

        assertArrayEquals(bytes, Files.readAllBytes(copy), "the offline copy is untouched");
        assertEquals(modified, Files.getLastModifiedTime(copy), "not even rewritten");
        try (Stream<Path> files = Files.list(copy.getParent())) {
            Path two = RoomSession.replicaFile(data, new RoomAddress(server, "two"));
            // Besides each copy: its replica secret (RoomSession.secretFile) and its undo history (OfflineCopy).
            Path undo = copy.resolveSibling(copy.getFileName() + OfflineCopy.UNDO_SUFFIX);
            assertEquals(List.of(copy), files.filter(f -> !f.equals(two) && !f.equals(undo)
                            && !f.equals(RoomSession.secretFile(copy)) && !f.equals(RoomSession.secretFile(two)))
                    .toList(), "no other copy, no temporary file");
        }
        first.sendLast("key one|SHORTCUT+Q");
        assertEquals(0, first.waitForExit(), first.output());
    }

    @Test
    void secondStart_whenTheHolderDoesNotAnswer_saysSoAndExitsNonZero() throws Exception {
        Path data = dir.resolve("profile");
        Path copy = data.resolve("rooms").resolve("notes-0123.tandem");
        Files.createDirectories(copy.getParent());
        Files.write(copy, new byte[] {1, 2, 3});
        FileTime modified = Files.getLastModifiedTime(copy);
        // This test process holds the profile and has no hand-off endpoint: a hung Tandem, say.
        try (ProfileLock held = ProfileLock.tryAcquire(data)) {
            assertNotNull(held);
            AppProcess app = AppProcess.main(data, "--server", "ws://127.0.0.1:9", "--room", "notes");
            processes.add(app);
            assertEquals(1, app.waitForExit(), app.output());
            assertTrue(app.output().contains("Tandem is already running with this profile (" + data + ")"), app.output());
        }
        assertArrayEquals(new byte[] {1, 2, 3}, Files.readAllBytes(copy));
        assertEquals(modified, Files.getLastModifiedTime(copy));
        try (Stream<Path> files = Files.list(data)) {
            assertEquals(List.of("rooms", ProfileLock.FILE), files.map(f -> f.getFileName().toString()).sorted().toList(),
                    "no settings, no hub, nothing written");
        }
    }

    static void assertNoWal(Path hubDir) throws Exception {
        assertTrue(Files.isDirectory(hubDir), "the embedded hub kept its store in " + hubDir);
        try (Stream<Path> files = Files.list(hubDir)) {
            List<Path> wal = files.filter(f -> f.getFileName().toString().endsWith("-wal")).toList();
            assertEquals(List.of(), wal, "the embedded hub was stopped cleanly (its write-ahead log checkpointed and removed)");
        }
    }
}
