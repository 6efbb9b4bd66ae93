package dev.tandem.client;

import dev.tandem.crdt.Doc;
import dev.tandem.hub.Hub;
import dev.tandem.hub.HubConfig;
import dev.tandem.sync.SyncClient;
import dev.tandem.sync.SyncConfig;
import javafx.stage.Stage;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.testfx.api.FxRobot;
import org.testfx.api.FxToolkit;
import org.testfx.util.WaitForAsyncUtils;

import java.io.File;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Real windows (headless Monocle), real key events, a real hub on a loopback port, real files in
 * temporary folders. Every room name is unique to its test, so tests share one hub.
 */
class CollaborationUiTest {
    private static final long WAIT_SECONDS = 10;
    private static Hub hub;
    private static URI server;
    private static ExecutorService io;
    @TempDir static Path hubDir;
    @TempDir Path dir;

    private final FxRobot robot = new FxRobot();
    private final List<RoomSession> open = new ArrayList<>();
    private final List<SyncClient> headless = new ArrayList<>();

    @BeforeAll
    static void startHub() throws Exception {
        FxToolkit.registerPrimaryStage();
        hub = Hub.start(HubConfig.defaults(hubDir).withPort(0));
        server = URI.create("ws://127.0.0.1:" + hub.port());
        io = Executors.newSingleThreadExecutor();
    }

    @AfterAll
    static void stopHub() {
        hub.close();
        io.shutdownNow();
    }

    @AfterEach
    void closeEverything() throws Exception {
        for (RoomSession s : open) fx(s::close).get(WAIT_SECONDS, TimeUnit.SECONDS);
        for (SyncClient c : headless) c.close();
    }

    // ---- helpers

    private static <T> T fx(Callable<T> c) throws Exception {
        return WaitForAsyncUtils.asyncFx(c).get(WAIT_SECONDS, TimeUnit.SECONDS);
    }

    /** Waits until {@code condition} (evaluated on the FX thread) holds; fails with {@code what}. */
    private static void eventually(String what, Callable<Boolean> condition) throws Exception {
        try {
            WaitForAsyncUtils.waitFor(WAIT_SECONDS, TimeUnit.SECONDS, () -> fx(condition));
        } catch (TimeoutException e) {
            fail("timed out waiting until " + what);
        }
    }

    private RoomSession openRoom(String name, String color, URI hubUri, String room, Path dataDir) throws Exception {
        RoomAddress address = new RoomAddress(hubUri, room);
        RoomSession s = fx(() -> RoomSession.open(new Stage(), address, address, new RoomSession.Identity(name, color),
                dataDir, io, new NoActions())).get(WAIT_SECONDS, TimeUnit.SECONDS);
        fx(() -> {
            s.window.stage.show();
            s.window.stage.toFront();
            return null;
        });
        open.add(s);
        return s;
    }

    private RoomSession openRoom(String name, String room) throws Exception {
        return openRoom(name, "#1f77b4", server, room, dir.resolve(name));
    }

    /** A second participant without a window: the hub's view of the room, as any client sees it. */
    private SyncClient headlessPeer(String room) throws Exception {
        SyncClient c = SyncClient.start(SyncConfig.builder(server, room, new Doc()).user("probe", "#000000").build(), null);
        headless.add(c);
        c.synced().get(WAIT_SECONDS, TimeUnit.SECONDS);
        return c;
    }

    private static String text(RoomSession s) throws Exception {
        return fx(() -> s.window.area.getText());
    }

    private static final class NoActions implements RoomWindow.Actions {
        @Override public void joinRoom() {}
        @Override public void host() {}
        @Override public void exportText(File target, String text) {}
        @Override public void setOffline(boolean offline) {}
        @Override public void quit() {}
    }

    // ---- the tests

    @Test
    void typing_reachesModelAndHub() throws Exception {
        RoomSession a = openRoom("Ada", "typing");
        eventually("connected", () -> a.window.status.connectionTextProperty().get().equals("Connected"));
        robot.clickOn(a.window.area).write("hello hub");
        WaitForAsyncUtils.waitForFxEvents();
        assertEquals("hello hub", fx(a::text), "the UI replica has it at once");
        eventually("everything is acknowledged", () -> a.window.status.unsentTextProperty().get().equals("All changes sent"));
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
        for (int round = 0; round < 30; round++) {
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
        RoomSession a = openRoom("Ada", "#1f77b4", server, "presence", dir.resolve("a"));
        eventually("Ada sees herself", () -> a.window.presence.rows().size() == 1 && a.window.presence.rows().get(0).label().equals("Ada (you)"));
        RoomSession b = openRoom("Bob", "#d62728", server, "presence", dir.resolve("b"));
        eventually("Ada sees Bob join", () -> a.window.presence.rows().stream().anyMatch(r -> r.name().equals("Bob") && !r.self()));
        eventually("Bob sees Ada", () -> b.window.presence.rows().stream().anyMatch(r -> r.name().equals("Ada") && !r.self()));
        robot.clickOn(b.window.area).write("hi");
        eventually("Ada sees Bob typing and his cursor", () -> a.window.presence.rows().stream().anyMatch(r -> r.name().equals("Bob") && r.typing())
                && a.window.cursors.count() == 1 && a.window.area.getText().equals("hi"));
        String bobId = fx(() -> a.window.presence.rows().stream().filter(r -> r.name().equals("Bob")).findFirst().orElseThrow().id());
        assertEquals("Bob", fx(() -> a.window.cursors.labelOf(bobId).orElseThrow()));
        assertEquals(2, fx(() -> a.window.cursors.positionOf(bobId).orElseThrow()), "Bob's cursor is after his text");
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
        Thread.sleep(300);
        assertFalse(text(b).contains("ada offline"), "nothing leaks while offline");
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
        RoomSession a = openRoom("Ada", "#1f77b4", server, "restart", data);
        robot.clickOn(a.window.area).write("kept on disk");
        fx(a::close).get(WAIT_SECONDS, TimeUnit.SECONDS);
        open.remove(a);

        // Same room on a hub that is gone now: nobody listens on the port.
        int deadPort;
        try (ServerSocket s = new ServerSocket(0)) {
            deadPort = s.getLocalPort();
        }
        Path file = RoomSession.replicaFile(data, new RoomAddress(server, "restart"));
        Path moved = RoomSession.replicaFile(data, new RoomAddress(URI.create("ws://127.0.0.1:" + deadPort), "restart"));
        java.nio.file.Files.createDirectories(moved.getParent());
        java.nio.file.Files.copy(file, moved);
        RoomSession again = openRoom("Ada", "#1f77b4", URI.create("ws://127.0.0.1:" + deadPort), "restart", data);
        assertEquals("kept on disk", text(again));
        eventually("it keeps trying", () -> again.window.status.connectionProperty().get() == StatusViewModel.Connection.CONNECTING);
        robot.clickOn(again.window.area).write(" and more");
        assertEquals("kept on disk and more", fx(again::text));
        fx(again::close).get(WAIT_SECONDS, TimeUnit.SECONDS);
        open.remove(again);
        RoomSession third = openRoom("Ada", "#1f77b4", URI.create("ws://127.0.0.1:" + deadPort), "restart", data);
        assertEquals("kept on disk and more", text(third), "offline edits survive a restart too");
    }
}
