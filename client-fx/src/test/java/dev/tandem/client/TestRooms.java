package dev.tandem.client;

import dev.tandem.crdt.Doc;
import dev.tandem.hub.Hub;
import dev.tandem.hub.HubConfig;
import dev.tandem.hub.HubSecurity;
import dev.tandem.sync.SyncClient;
import dev.tandem.sync.SyncConfig;
import javafx.stage.Stage;
import org.testfx.api.FxToolkit;

import java.net.URI;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

import static dev.tandem.client.UiTesting.WAIT_SECONDS;
import static dev.tandem.client.UiTesting.fx;

/**
 * The room windows of a window test class and the real hub they meet at: one hub on a loopback
 * port for the whole class (every room name is unique to its test, so tests can share it), and
 * the windows and headless peers each test opens, closed after it.
 */
final class TestRooms {
    /** The hub's address, for tests that build a {@link RoomAddress} themselves. */
    final URI server;
    private final Hub hub;
    private final ExecutorService io = Executors.newSingleThreadExecutor();
    private final List<RoomSession> open = new ArrayList<>();
    private final List<SyncClient> headless = new ArrayList<>();

    private TestRooms(Hub hub) {
        this.hub = hub;
        this.server = URI.create("ws://127.0.0.1:" + hub.port());
    }

    /** Starts the FX toolkit (if not yet) and a hub without security that keeps its rooms in {@code hubDir}. */
    static TestRooms start(Path hubDir) throws Exception {
        FxToolkit.registerPrimaryStage();
        return new TestRooms(Hub.start(HubConfig.defaults(hubDir).withPort(0).withSecurity(HubSecurity.none())));
    }

    /** Opens {@code room} at the hub {@code hubUri} in a window of the given size, shown in front. */
    RoomSession open(String name, String color, URI hubUri, String room, Path dataDir, double width, double height)
            throws Exception {
        return open(name, color, hubUri, room, dataDir, width, height, new UiTesting.NoActions());
    }

    /** As above, with the menu's actions of the test's own (to see a link opened, say). */
    RoomSession open(String name, String color, URI hubUri, String room, Path dataDir, double width, double height,
                     RoomWindow.Actions actions) throws Exception {
        RoomAddress address = new RoomAddress(hubUri, room);
        RoomSession s = fx(() -> RoomSession.open(new Stage(), address, address, new RoomSession.Identity(name, color),
                dataDir, io, actions)).get(WAIT_SECONDS, TimeUnit.SECONDS);
        fx(() -> {
            s.window.stage.setWidth(width);
            s.window.stage.setHeight(height);
            s.window.stage.show();
            s.window.stage.toFront();
            return null;
        });
        open.add(s);
        return s;
    }

    /** A participant without a window, synced with the hub: the hub's view of the room, as any client sees it. */
    SyncClient headlessPeer(String room) throws Exception {
        return headlessPeer(room, "probe", "#000000");
    }

    /** A participant without a window, as {@code user} (another device of someone with a window, say). */
    SyncClient headlessPeer(String room, String user, String color) throws Exception {
        SyncClient c = SyncClient.start(SyncConfig.builder(server, room, new Doc()).user(user, color).build(), null);
        headless.add(c);
        c.synced().get(WAIT_SECONDS, TimeUnit.SECONDS);
        return c;
    }

    /** Closes one window before the test ends (to reopen its room, say); it saves its offline copy as it closes. */
    void close(RoomSession s) throws Exception {
        fx(s::close).get(WAIT_SECONDS, TimeUnit.SECONDS);
        open.remove(s);
    }

    /** After each test: closes the windows and headless peers it opened, so the next test starts with none. */
    void closeEverything() throws Exception {
        try {
            for (RoomSession s : open) fx(s::close).get(WAIT_SECONDS, TimeUnit.SECONDS);
            for (SyncClient c : headless) c.close();
        } finally {
            open.clear();
            headless.clear();
        }
    }

    /** After all tests of the class: the hub and the io thread go. */
    void closeHub() {
        hub.close();
        io.shutdownNow();
    }
}
