package dev.tandem.client;

import dev.tandem.crdt.Doc;
import dev.tandem.crdt.Update;
import dev.tandem.sync.SyncClient;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.testfx.api.FxRobot;

import java.net.ServerSocket;
import java.net.URI;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;

import static dev.tandem.client.UiTesting.WAIT_SECONDS;
import static dev.tandem.client.UiTesting.eventually;
import static dev.tandem.client.UiTesting.fx;
import static org.junit.jupiter.api.Assertions.*;

/**
 * Real windows (headless Monocle), real key events, a real hub on a loopback port, real files in
 * temporary folders. Every room name is unique to its test, so tests share one hub.
 */
class CollaborationUiTest {
    private static TestRooms rooms;
    @TempDir static Path hubDir;
    @TempDir Path dir;

    private final FxRobot robot = new FxRobot();

    @BeforeAll
    static void startHub() throws Exception {
        rooms = TestRooms.start(hubDir);
    }

    @AfterAll
    static void stopHub() {
        rooms.closeHub();
    }

    @AfterEach
    void closeEverything() throws Exception {
        rooms.closeEverything();
    }

    // ---- helpers

    private RoomSession openRoom(String name, String color, URI hubUri, String room, Path dataDir) throws Exception {
        // Small windows: software rendering of big ones costs this shared machine seconds per test.
        return rooms.open(name, color, hubUri, room, dataDir, 640, 360);
    }

    private RoomSession openRoom(String name, String room) throws Exception {
        return openRoom(name, "#1f77b4", rooms.server, room, dir.resolve(name));
    }

    /** A second participant without a window: the hub's view of the room, as any client sees it. */
    private SyncClient headlessPeer(String room) throws Exception {
        return rooms.headlessPeer(room);
    }

    private static String text(RoomSession s) throws Exception {
        return fx(() -> s.window.area.getText());
    }

    /**
     * Waits until the robot's keystrokes have all arrived: the editor and the UI replica both read
     * {@code expected}. (A robot's key events are queued onto the FX thread as events of their own,
     * and TestFX's waitForFxEvents is a number of round trips, not a guarantee, so "the robot
     * returned" does not mean "the window has them".)
     */
    private static void typed(RoomSession s, String expected) throws Exception {
        eventually("the window has every keystroke of \"" + expected + "\"",
                () -> s.window.area.getText().equals(expected) && s.text().equals(expected));
    }

    /**
     * Waits until the hub has acknowledged every edit made in {@code s} so far, and then until its
     * status bar says so. Waiting for the text "All changes sent" alone is a race: right after an
     * edit the bar may still show that text from before it, until the sync thread's count arrives.
     * A flush asked on the FX thread comes after every edit the FX thread has handed over.
     */
    private static void allSent(RoomSession s) throws Exception {
        fx(() -> s.sync().flush()).get(WAIT_SECONDS, TimeUnit.SECONDS);
        eventually("the status bar says all changes are sent", () -> s.window.status.unsentTextProperty().get().equals("All changes sent"));
    }

    // ---- the tests

    @Test
    void typing_reachesModelAndHub() throws Exception {
        RoomSession a = openRoom("Ada", "typing");
        eventually("connected", () -> a.window.status.connectionTextProperty().get().equals("Connected"));
        robot.clickOn(a.window.area).write("hello hub");
        typed(a, "hello hub");
        allSent(a);
        SyncClient probe = headlessPeer("typing");
        assertEquals("hello hub", probe.text().get(WAIT_SECONDS, TimeUnit.SECONDS), "a newcomer gets it from the hub");
        assertEquals("9 characters", fx(() -> a.window.status.lengthTextProperty().get()));
    }

    @Test
    void remoteEdit_appearsWithoutMovingLocalCaret() throws Exception {
        RoomSession a = openRoom("Ada", "caret");
        robot.clickOn(a.window.area).write("hello world");
        SyncClient bob = headlessPeer("caret");
        eventually("Bob has the text", () -> bob.text().get().equals("hello world"));
        fx(() -> {
            a.window.area.selectRange(11, 6); // "world" selected, caret at its start
            return null;
        });
        bob.edit(d -> d.insert(0, "Big ")).get();
        bob.edit(d -> d.insert(d.length(), "!")).get();
        eventually("Bob's edits show", () -> a.window.area.getText().equals("Big hello world!"));
        assertEquals("world", fx(() -> a.window.area.getSelectedText()));
        assertEquals(10, fx(() -> a.window.area.getCaretPosition()));
        robot.write("W"); // replaces the selection, right where it is now
        eventually("Bob sees the replacement", () -> bob.text().get().equals("Big hello W!"));
    }

    @Test
    void twoClientsTypingConcurrently_converge() throws Exception {
        RoomSession a = openRoom("Ada", "converge");
        RoomSession b = openRoom("Bob", "converge");
        eventually("both connected", () -> a.window.status.connectionProperty().get() == StatusViewModel.Connection.CONNECTED
                && b.window.status.connectionProperty().get() == StatusViewModel.Connection.CONNECTED);
        Random random = new Random(42);
        for (int round = 0; round < 20; round++) {
            int seed = random.nextInt();
            // Both edit in the same FX pulse: neither has seen the other's edit, a true conflict.
            fx(() -> {
                Random r = new Random(seed);
                for (RoomSession s : List.of(a, b)) {
                    var area = s.window.area;
                    int pos = r.nextInt(area.getLength() + 1);
                    if (area.getLength() > 4 && r.nextInt(4) == 0) area.deleteText(pos - Math.min(pos, 2), pos);
                    else area.insertText(pos, s == a ? "a" + r.nextInt(10) : "B" + r.nextInt(10));
                }
                return null;
            });
        }
        robot.clickOn(a.window.area).write("!typed");
        eventually("both windows show the same text", () -> a.window.area.getText().equals(b.window.area.getText())
                && a.window.area.getText().contains("!typed"));
        assertEquals(text(a), fx(a::text));
        assertEquals(text(b), fx(b::text));
        SyncClient probe = headlessPeer("converge");
        eventually("the hub has it too", () -> probe.text().get().equals(a.window.area.getText()));
    }

    @Test
    void presence_reactsToJoinAndLeave() throws Exception {
        RoomSession a = openRoom("Ada", "#1f77b4", rooms.server, "presence", dir.resolve("a"));
        eventually("Ada sees herself", () -> a.window.presence.rows().size() == 1 && a.window.presence.rows().get(0).label().equals("Ada (you)"));
        RoomSession b = openRoom("Bob", "#d62728", rooms.server, "presence", dir.resolve("b"));
        eventually("Ada sees Bob join", () -> a.window.presence.rows().stream().anyMatch(r -> r.name().equals("Bob") && !r.self()));
        eventually("Bob sees Ada", () -> b.window.presence.rows().stream().anyMatch(r -> r.name().equals("Ada") && !r.self()));
        robot.clickOn(b.window.area).write("hi");
        // Bob's presence after "h" (cursor at 1) may arrive before the one after "i": wait for the last.
        eventually("Ada sees Bob typing, and his cursor after his text", () -> a.window.presence.rows().stream().anyMatch(r -> r.name().equals("Bob") && r.typing())
                && a.window.cursors.count() == 1 && a.window.area.getText().equals("hi")
                && a.window.presence.rows().stream().filter(r -> r.name().equals("Bob"))
                        .anyMatch(r -> a.window.cursors.positionOf(r.id()).orElse(-1) == 2));
        String bobId = fx(() -> a.window.presence.rows().stream().filter(r -> r.name().equals("Bob")).findFirst().orElseThrow().id());
        assertEquals("Bob", fx(() -> a.window.cursors.labelOf(bobId).orElseThrow()));
        fx(b::close).get(WAIT_SECONDS, TimeUnit.SECONDS);
        eventually("Ada sees Bob leave", () -> a.window.presence.rows().size() == 1 && a.window.cursors.count() == 0);
    }

    @Test
    void offlineEdits_convergeWithClientThatKeptEditing() throws Exception {
        RoomSession a = openRoom("Ada", "offline");
        RoomSession b = openRoom("Bob", "offline");
        fx(() -> {
            a.window.area.replaceText("shared start\n");
            return null;
        });
        eventually("Bob has the start", () -> b.window.area.getText().equals("shared start\n"));
        // Only once the hub acknowledged the start does Ada's count of unsent edits mean "made offline".
        allSent(a);
        fx(() -> {
            a.setOffline(true);
            return null;
        });
        eventually("Ada is offline", () -> a.window.status.connectionProperty().get() == StatusViewModel.Connection.OFFLINE);
        fx(() -> {
            a.window.area.appendText("ada offline\n");
            a.window.area.insertText(0, "[A] ");
            b.window.area.appendText("bob online\n");
            b.window.area.insertText(0, "[B] ");
            return null;
        });
        eventually("Ada counts her unsent edits", () -> a.window.status.unsentTextProperty().get().startsWith("16 unsent"));
        // Nothing leaks while offline: once the hub has all of Bob's edits, it still has none of Ada's.
        allSent(b);
        String hub = headlessPeer("offline").text().get(WAIT_SECONDS, TimeUnit.SECONDS);
        assertTrue(hub.contains("bob online") && !hub.contains("ada offline"), hub);
        fx(() -> {
            a.setOffline(false);
            return null;
        });
        eventually("both converge", () -> a.window.area.getText().equals(b.window.area.getText())
                && a.window.area.getText().contains("ada offline") && a.window.area.getText().contains("bob online"));
        String t = text(a);
        assertEquals(1, t.split("ada offline", -1).length - 1, "nothing duplicated: " + t);
        assertEquals(1, t.split("shared start", -1).length - 1, "nothing duplicated: " + t);
        assertTrue(t.contains("[A] ") && t.contains("[B] "), t);
        eventually("all sent", () -> a.window.status.unsentTextProperty().get().equals("All changes sent"));
    }

    @Test
    void restartingOffline_restoresText() throws Exception {
        Path data = dir.resolve("ada");
        RoomSession a = openRoom("Ada", "#1f77b4", rooms.server, "restart", data);
        robot.clickOn(a.window.area).write("kept on disk");
        typed(a, "kept on disk"); // then close: every keystroke is handed to the sync client before it saves
        rooms.close(a);

        // Same room on a hub that is gone now: nobody listens on the port.
        int deadPort;
        try (ServerSocket s = new ServerSocket(0)) {
            deadPort = s.getLocalPort();
        }
        Path file = RoomSession.replicaFile(data, new RoomAddress(rooms.server, "restart"));
        Path moved = RoomSession.replicaFile(data, new RoomAddress(URI.create("ws://127.0.0.1:" + deadPort), "restart"));
        java.nio.file.Files.createDirectories(moved.getParent());
        java.nio.file.Files.copy(file, moved);
        RoomSession again = openRoom("Ada", "#1f77b4", URI.create("ws://127.0.0.1:" + deadPort), "restart", data);
        assertEquals("kept on disk", text(again));
        eventually("it keeps trying", () -> again.window.status.connectionProperty().get() == StatusViewModel.Connection.CONNECTING);
        robot.clickOn(again.window.area).write(" and more");
        typed(again, "kept on disk and more");
        rooms.close(again);
        RoomSession third = openRoom("Ada", "#1f77b4", URI.create("ws://127.0.0.1:" + deadPort), "restart", data);
        assertEquals("kept on disk and more", text(third), "offline edits survive a restart too");
    }

    @Test
    void corruptOfflineCopy_isKeptAsideAndRoomLoadsFromHub() throws Exception {
        SyncClient bob = headlessPeer("corrupt");
        bob.edit(d -> d.insert(0, "from the hub")).get();
        bob.flush().get(WAIT_SECONDS, TimeUnit.SECONDS);
        Path data = dir.resolve("ada");
        Path file = RoomSession.replicaFile(data, new RoomAddress(rooms.server, "corrupt"));
        java.nio.file.Files.createDirectories(file.getParent());
        java.nio.file.Files.write(file, new byte[] {1, 2, 3, 4, 5, 6, 7, 8});
        RoomSession a = openRoom("Ada", "#1f77b4", rooms.server, "corrupt", data);
        eventually("the hub's text arrives", () -> a.window.area.getText().equals("from the hub"));
        try (var files = java.nio.file.Files.list(file.getParent())) {
            assertTrue(files.anyMatch(f -> f.getFileName().toString().startsWith(file.getFileName() + ".corrupt-")),
                    "the unreadable copy is kept aside, not overwritten");
        }
        eventually("connected", () -> a.window.status.connectionProperty().get() == StatusViewModel.Connection.CONNECTED);
        assertTrue(fx(() -> a.window.status.errorTextProperty().get()).contains("unreadable"), "and the user is told");
    }

    @Test
    void refusedLocalEdit_rebuildsTheEditorFromTheSessionReplicaAndSaysSo() throws Exception {
        RoomSession a = openRoom("Ada", "refused");
        robot.clickOn(a.window.area).write("hello");
        typed(a, "hello");
        allSent(a);
        long uiId = fx(() -> a.window.binding.doc().replicaId());
        // The session replica gets an edit under the UI replica's id that the UI replica does not
        // have: the divergence only a bug could make. The UI's next character reuses that id.
        a.sync().edit(d -> {
            Doc twin = Doc.decode(d.encode(), uiId);
            Update x = twin.insert(5, "X");
            d.apply(x);
            return x;
        }).get(WAIT_SECONDS, TimeUnit.SECONDS);
        robot.write("Y");
        eventually("the editor is rebuilt from the session replica", () -> a.window.area.getText().equals("helloX") && a.text().equals("helloX"));
        assertTrue(fx(() -> a.window.status.errorTextProperty().get()).contains("could not be applied"), "and the user is told");
        assertNotEquals(uiId, fx(() -> a.window.binding.doc().replicaId()), "a rebuilt replica takes a new id");
        robot.clickOn(a.window.area).write("Z");
        typed(a, "helloXZ");
        allSent(a);
        assertEquals("helloXZ", headlessPeer("refused").text().get(WAIT_SECONDS, TimeUnit.SECONDS), "editing goes on");
    }

    @Test
    void failedSave_isShownInTheStatusBarUntilASaveSucceeds() throws Exception {
        Path data = dir.resolve("ada");
        RoomSession a = openRoom("Ada", "#1f77b4", rooms.server, "disk", data);
        robot.clickOn(a.window.area).write("saved");
        typed(a, "saved");
        allSent(a);
        Path roomsDir = data.resolve("rooms");
        Path file = RoomSession.replicaFile(data, new RoomAddress(rooms.server, "disk"));
        eventually("the offline copy is saved", () -> java.nio.file.Files.exists(file));
        // The disk fails: a file where the rooms directory must be.
        java.nio.file.Files.move(roomsDir, data.resolve("rooms-away"));
        java.nio.file.Files.writeString(roomsDir, "in the way");
        robot.write(" more");
        typed(a, "saved more");
        eventually("the status bar shows the failed save", () -> a.window.status.errorTextProperty().get().contains("cannot save the local copy"));
        java.nio.file.Files.delete(roomsDir); // the disk works again: the client retries by itself
        eventually("the error goes once a save succeeds", () -> !a.window.status.errorTextProperty().get().contains("cannot save"));
        assertEquals("saved more", Doc.decode(java.nio.file.Files.readAllBytes(file)).text());
    }
}
