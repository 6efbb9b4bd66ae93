package dev.tandem.client;

import dev.tandem.crdt.Doc;
import dev.tandem.hub.Hub;
import dev.tandem.hub.HubConfig;
import dev.tandem.sync.SyncClient;
import dev.tandem.sync.Invite;
import dev.tandem.sync.SyncConfig;
import dev.tandem.sync.SyncStatus;
import javafx.application.Application;
import javafx.scene.control.Label;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.testfx.api.FxRobot;
import org.testfx.api.FxToolkit;

import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static dev.tandem.client.UiTesting.WAIT_SECONDS;
import static dev.tandem.client.UiTesting.eventually;
import static dev.tandem.client.UiTesting.fx;
import static org.junit.jupiter.api.Assertions.*;

/** The whole application, started the way users start it: from the command line, and from the start screen. */
class TandemAppTest {
    @TempDir Path dir;
    private final FxRobot robot = new FxRobot();
    private Application app;

    @AfterEach
    void stopApp() throws Exception {
        if (app != null) FxToolkit.cleanupApplication(app);
        FxToolkit.cleanupStages();
    }



    /** Every edit made so far in {@code s} is acknowledged by the hub, then its status bar says so (see CollaborationUiTest.allSent). */
    private static void allSent(RoomSession s) throws Exception {
        fx(() -> s.sync().flush()).get(WAIT_SECONDS, TimeUnit.SECONDS);
        eventually("the status bar says all changes are sent", () -> s.window.status.unsentTextProperty().get().equals("All changes sent"));
    }

    private static String hubText(URI server, String room) throws Exception {
        try (SyncClient c = SyncClient.start(SyncConfig.builder(server, room, new Doc()).build(), null)) {
            c.synced().get(WAIT_SECONDS, TimeUnit.SECONDS);
            return c.text().get(WAIT_SECONDS, TimeUnit.SECONDS);
        }
    }

    /** The text of a room on the hub hosted by the profile {@code data}: read with an editor token minted with its key, its certificate pinned. */
    static String hostedText(Path data, URI server, String room) throws Exception {
        Access access = new Access(dev.tandem.hub.Tokens.issue(data.resolve("hub"), "probe", null, room, dev.tandem.hub.Grant.Role.EDITOR, java.time.Duration.ofMinutes(5)),
                HostTls.loadOrCreate(data.resolve(EmbeddedHost.TLS_DIR)).sha256());
        try (SyncClient c = EmbeddedHostTest.client(server, room, access, null)) {
            c.synced().get(WAIT_SECONDS, TimeUnit.SECONDS);
            return c.text().get(WAIT_SECONDS, TimeUnit.SECONDS);
        }
    }

    @Test
    void commandLine_opensRoomWithKeyboardFocusInEditor() throws Exception {
        Hub hub = Hub.start(HubConfig.defaults(dir.resolve("hub")).withPort(0).withSecurity(dev.tandem.hub.HubSecurity.none()));
        try {
            URI server = URI.create("ws://127.0.0.1:" + hub.port());
            FxToolkit.registerPrimaryStage();
            TandemApp tandem = (TandemApp) FxToolkit.setupApplication(TandemApp.class,
                    "--server", server.toString(), "--room", "cli room", "--name", "Ada", "--color", "#2ca02c", "--data", dir.resolve("data").toString());
            app = tandem;
            eventually("the room window is open", () -> tandem.sessions().size() == 1);
            RoomSession s = fx(() -> tandem.sessions().get(0));
            eventually("the editor has the focus", () -> s.window.area.isFocused());
            robot.write("no click needed");
            eventually("typed text is in the document", () -> s.text().equals("no click needed"));
            assertEquals("cli room - Tandem", fx(() -> s.window.stage.getTitle()));
            allSent(s);
            assertEquals("no click needed", hubText(server, "cli room"));
            FxToolkit.cleanupApplication(app); // stop(): saves and closes every room
            app = null;
            String settings = Files.readString(dir.resolve("data").resolve(Settings.FILE));
            assertTrue(settings.contains("name=Ada") && settings.contains("recent.0=cli room") && settings.contains("color=\\#2ca02c"), settings);
            assertTrue(Files.exists(RoomSession.replicaFile(dir.resolve("data"), new RoomAddress(server, "cli room"))), "offline copy saved");
        } finally {
            hub.close();
        }
    }

    /** Starts the app on the start screen with "Host on this computer" ticked, and asks to host room "hosted". */
    private TandemApp hostFromStartScreen(Path data) throws Exception {
        FxToolkit.registerPrimaryStage();
        TandemApp tandem = (TandemApp) FxToolkit.setupApplication(TandemApp.class,
                "--host-port", "0", "--host-bind", "127.0.0.1", "--data", data.toString());
        app = tandem;
        robot.clickOn("#start-name").write("Grace");
        robot.clickOn("#start-room").write("hosted");
        robot.clickOn("#start-join");
        return tandem;
    }

    @Test
    void startScreen_hostOnThisComputer() throws Exception {
        TandemApp tandem = hostFromStartScreen(dir);
        eventually("the hosted room is open", () -> tandem.sessions().size() == 1);
        RoomSession s = fx(() -> tandem.sessions().get(0));
        String banner = fx(() -> ((Label) s.window.stage.getScene().lookup("#host-banner")).getText());
        Matcher m = Pattern.compile("wss://127\\.0\\.0\\.1:(\\d+)/rooms/hosted").matcher(banner);
        assertTrue(m.find(), banner);
        eventually("the editor has the focus", () -> s.window.area.isFocused());
        robot.write("hosted here");
        eventually("typed text is in the document", () -> s.text().equals("hosted here"));
        allSent(s);
        URI hosted = URI.create("wss://127.0.0.1:" + m.group(1));
        assertEquals("hosted here", hostedText(dir, hosted, "hosted"));
        // The hosted hub wants a token: the host joined with one it minted for itself.
        CompletableFuture<SyncStatus> refused = new CompletableFuture<>();
        try (SyncClient c = EmbeddedHostTest.client(hosted, "hosted", new Access(null, fx(() -> s.access.sha256())), refused)) {
            assertTrue(refused.get(WAIT_SECONDS, TimeUnit.SECONDS).lastError().startsWith("unauthorized"));
        }

        // The share area offers the two invites instead of the bare address; each works, with its role.
        assertFalse(fx(() -> s.window.stage.getScene().lookup("#copy-invite").isVisible()));
        robot.clickOn("#copy-editor-invite");
        eventually("an editor invite is on the clipboard", () -> javafx.scene.input.Clipboard.getSystemClipboard().getString().contains("#token="));
        Invite editor = Invite.parse(fx(() -> javafx.scene.input.Clipboard.getSystemClipboard().getString()));
        assertEquals(RoomWindow.COPIED, fx(() -> s.window.copyEditorInvite.getText()));
        assertEquals(hosted, editor.hub());
        assertEquals(fx(() -> s.access.sha256()), editor.sha256());
        assertFalse(Access.of(editor).viewOnly());
        robot.clickOn("#copy-viewer-invite");
        eventually("a viewer invite is on the clipboard", () -> !javafx.scene.input.Clipboard.getSystemClipboard().getString().equals(editor.format()));
        Invite viewer = Invite.parse(fx(() -> javafx.scene.input.Clipboard.getSystemClipboard().getString()));
        assertTrue(Access.of(viewer).viewOnly());
        for (Invite i : List.of(editor, viewer)) {
            try (SyncClient c = EmbeddedHostTest.client(i.hub(), i.room(), Access.of(i), null)) {
                c.synced().get(WAIT_SECONDS, TimeUnit.SECONDS);
                assertEquals("hosted here", c.text().get(WAIT_SECONDS, TimeUnit.SECONDS));
            }
        }
        assertTrue(Files.isDirectory(dir.resolve("hub")), "the hosted hub keeps its store in the data directory");
    }

    /**
     * The start screen's address names the hub this app hosts (its default, 127.0.0.1:7070, is
     * the hub's usual port): Join without an invite opens another hosted room instead of a plain
     * ws:// connection that would meet TLS and no token.
     */
    @Test
    void joiningTheOwnHostedHubByAddress_opensAnotherHostedRoom() throws Exception {
        TandemApp tandem = hostFromStartScreen(dir);
        eventually("the hosted room is open", () -> tandem.sessions().size() == 1);
        RoomSession first = fx(() -> tandem.sessions().get(0));
        allSent(first);
        int port = first.address.server().getPort();
        fx(() -> {
            tandem.showStartScreen(new javafx.stage.Stage(), false, "second");
            return null;
        });
        eventually("the second start screen shows", () -> robot.lookup("#start-server").tryQuery().isPresent());
        fx(() -> {
            ((javafx.scene.control.TextField) robot.lookup("#start-server").query()).setText("ws://127.0.0.1:" + port);
            return null;
        });
        robot.clickOn("#start-join");
        eventually("the second room is open", () -> tandem.sessions().size() == 2);
        RoomSession second = fx(() -> tandem.sessions().stream().filter(x -> x.address.room().equals("second")).findFirst().orElseThrow());
        assertEquals(first.address.server(), second.address.server(), "through the hosted hub, over TLS");
        assertTrue(fx(() -> second.window.stage.getScene().lookup("#host-banner").isVisible()), "a hosted room, with its banner");
        eventually("the editor has the focus", () -> second.window.area.isFocused());
        robot.clickOn(second.window.area); // Monocle leaves the keyboard with the first window
        robot.write("second room");
        eventually("typed text is in the document", () -> second.text().equals("second room"));
        allSent(second);
        assertEquals("second room", hostedText(dir, first.address.server(), "second"));
        // Remembered as hosted: the next start screen ticks Host for it, not a join of a hub that is not running then.
        eventually("the settings name it hosted", () -> Settings.load(dir, "#000000").hostedRooms().contains("second"));
    }

    /** Launched with no options, the start screen offers the last room as it was opened: a room hosted here is hosted again. */
    @Test
    void theLastRoomHostedHere_isHostedAgainAtTheNextStart() throws Exception {
        Path data = dir.resolve("data");
        Settings.defaults("#000000").withJoined("Ada", "#2ca02c", "ws://127.0.0.1:7070", "joined", false)
                .withJoined("Ada", "#2ca02c", "ws://127.0.0.1:7070", "plans", true).save(data);
        FxToolkit.registerPrimaryStage();
        TandemApp tandem = (TandemApp) FxToolkit.setupApplication(TandemApp.class, "--data", data.toString());
        app = tandem;
        eventually("the start screen shows", () -> robot.lookup("#start-host").tryQuery().isPresent());
        assertEquals("plans", fx(() -> ((javafx.scene.control.ComboBox<?>) robot.lookup("#start-room").query()).getEditor().getText()));
        assertTrue(fx(() -> robot.lookup("#start-host").queryAs(javafx.scene.control.CheckBox.class).isSelected()), "hosted last time");
        // A room only joined before is joined again.
        fx(() -> {
            ((javafx.scene.control.ComboBox<?>) robot.lookup("#start-room").query()).getEditor().setText("joined");
            return null;
        });
        eventually("Host is unticked for a joined room", () -> !robot.lookup("#start-host").queryAs(javafx.scene.control.CheckBox.class).isSelected());
    }

    /** The look in the profile's settings is the first window's, and a change the user makes is written back. */
    @Test
    void themeAndZoom_fromTheSettings_andSavedWhenChanged() throws Exception {
        Path data = dir.resolve("data");
        Files.createDirectories(data);
        Files.writeString(data.resolve(Settings.FILE), "name=Ada\ntheme=dark\nzoom=150\n");
        try {
            FxToolkit.registerPrimaryStage();
            app = FxToolkit.setupApplication(TandemApp.class, "--data", data.toString());
            eventually("the start screen shows, dark", () -> robot.lookup("#start-name").tryQuery()
                    .map(n -> n.getScene().getRoot().getStyleClass().contains(Look.DARK_CLASS)).orElse(false));
            assertEquals(new atlantafx.base.theme.PrimerDark().getUserAgentStylesheet(), fx(Application::getUserAgentStylesheet));
            assertEquals(150, (int) fx(() -> Look.get().zoom()));
            fx(() -> {
                Look.get().setTheme(Look.ThemeChoice.LIGHT);
                Look.get().zoomIn();
                return null;
            });
            eventually("the change is in the settings file", () -> {
                String file = Files.readString(data.resolve(Settings.FILE));
                return file.contains("theme=light") && file.contains("zoom=175") && file.contains("name=Ada");
            });
        } finally {
            fx(() -> {
                Look.get().configure(Look.ThemeChoice.LIGHT, 100, false, null); // other tests share the process's look
                return null;
            });
        }
    }

    /** Another computer's host, as a joiner meets it: paste its invite on the start screen, join, type. */
    @Test
    void pastedInvite_joinsATokenHubOverPinnedTls() throws Exception {
        try (EmbeddedHost remote = EmbeddedHost.start(dir.resolve("remote"), "127.0.0.1", 0)) {
            String invite = remote.invite("shared", dev.tandem.hub.Grant.Role.EDITOR).format();
            FxToolkit.registerPrimaryStage();
            TandemApp tandem = (TandemApp) FxToolkit.setupApplication(TandemApp.class, "--data", dir.resolve("data").toString());
            app = tandem;
            robot.clickOn("#start-name").write("Grace");
            robot.clickOn("#start-server");
            fx(() -> { // what pasting does to the field
                ((javafx.scene.control.TextField) robot.lookup("#start-server").query()).setText(invite);
                return null;
            });
            assertEquals("shared", fx(() -> robot.lookup("#start-room").queryComboBox().getEditor().getText()));
            assertEquals("Invite to edit, the host's certificate pinned.", fx(() -> robot.lookup("#start-invite").queryAs(Label.class).getText()));
            robot.clickOn("#start-join");
            eventually("the room is open", () -> tandem.sessions().size() == 1);
            RoomSession s = fx(() -> tandem.sessions().get(0));
            eventually("connected", () -> s.window.status.connectionProperty().get() == StatusViewModel.Connection.CONNECTED);
            eventually("the editor has the focus", () -> s.window.area.isFocused());
            robot.write("by invite");
            allSent(s);
            Invite probe = Invite.parse(remote.invite("shared", dev.tandem.hub.Grant.Role.VIEWER).format());
            try (SyncClient c = EmbeddedHostTest.client(probe.hub(), "shared", Access.of(probe), null)) {
                c.synced().get(WAIT_SECONDS, TimeUnit.SECONDS);
                assertEquals("by invite", c.text().get(WAIT_SECONDS, TimeUnit.SECONDS));
            }
            assertFalse(fx(() -> s.window.stage.getScene().lookup("#copy-editor-invite").isVisible()), "a joiner cannot mint invites");
        }
    }

    /** An invite whose token the hub refuses (here: signed with another key, as after key rotation), given on the command line. */
    @Test
    void staleInvite_saysItIsNoLongerValid_andStopsRetrying() throws Exception {
        try (EmbeddedHost remote = EmbeddedHost.start(dir.resolve("remote"), "127.0.0.1", 0)) {
            String stale = new Invite(remote.localServer(), "shared", dev.tandem.hub.Tokens.issue(dir.resolve("rotated-away"), "guest", null, "shared",
                    dev.tandem.hub.Grant.Role.EDITOR, java.time.Duration.ofDays(1)), remote.fingerprint()).format();
            FxToolkit.registerPrimaryStage();
            TandemApp tandem = (TandemApp) FxToolkit.setupApplication(TandemApp.class, "--data", dir.resolve("data").toString(), "--name", "Ada", stale);
            app = tandem;
            eventually("the room window is open", () -> tandem.sessions().size() == 1);
            RoomSession s = fx(() -> tandem.sessions().get(0));
            eventually("the status bar says the invite is no longer valid", () -> s.window.status.errorTextProperty().get().startsWith("This invite is no longer valid"));
            assertEquals(StatusViewModel.Connection.OFFLINE, fx(() -> s.window.status.connectionProperty().get()), "not retrying");
            Thread.sleep(1000); // retries would have begun within the first backoff (250 ms)
            assertEquals(StatusViewModel.Connection.OFFLINE, fx(() -> s.window.status.connectionProperty().get()), "still not retrying");
        }
    }

    /** The first host is asked who can join; "Others on my network" is remembered and the invite names this machine's address. */
    @Test
    void hostOnTheNetwork_askedOnce_remembered_inviteNamesTheNetworkAddress() throws Exception {
        Path data = dir.resolve("data");
        FxToolkit.registerPrimaryStage();
        // --host-port 0 (any free port) ticks Host; with no choice made yet the hub waits for it.
        TandemApp tandem = (TandemApp) FxToolkit.setupApplication(TandemApp.class, "--host-port", "0", "--data", data.toString());
        app = tandem;
        robot.clickOn("#start-name").write("Grace");
        robot.clickOn("#start-room").write("lan");
        robot.clickOn("#start-join");
        assertEquals("Choose who can join: people on this computer only, or on your network.",
                fx(() -> robot.lookup("#start-problem").queryAs(Label.class).getText()));
        assertEquals(0, fx(() -> tandem.sessions().size()));
        robot.clickOn("#start-host-network");
        robot.clickOn("#start-join");
        eventually("the hosted room is open", () -> tandem.sessions().size() == 1);
        RoomSession s = fx(() -> tandem.sessions().get(0));
        String lan = EmbeddedHost.lanAddress();
        assertEquals(lan, s.invite.server().getHost(), "the invite names this machine's network address");
        assertTrue(fx(() -> ((Label) s.window.stage.getScene().lookup("#host-banner")).getText()).contains("wss://" + lan + ":"));
        eventually("the choice is saved", () -> Files.readString(data.resolve(Settings.FILE)).contains("hostBind=0.0.0.0"));
        assertEquals(Settings.NETWORK, Settings.load(data, "#000000").hostBind());

        fx(() -> {
            tandem.showStartScreen(new javafx.stage.Stage(), true, null);
            return null;
        });
        eventually("a second start screen shows the choice, fixed while the hub runs", () -> javafx.stage.Window.getWindows().stream()
                .map(w -> w.getScene().lookup("#start-host-network"))
                .anyMatch(n -> n instanceof javafx.scene.control.RadioButton r && r.isSelected() && r.isDisabled()));
    }

    /** A viewer invite opens the room read-only: it shows the room and who is there, refuses typing and pasting, and says so. */
    @Test
    void viewerInvite_opensTheRoomReadOnly() throws Exception {
        try (EmbeddedHost remote = EmbeddedHost.start(dir.resolve("remote"), "127.0.0.1", 0)) {
            try (SyncClient writer = EmbeddedHostTest.client(remote.localServer(), "shared", remote.ownAccess("shared", "Host"), null)) {
                writer.synced().get(WAIT_SECONDS, TimeUnit.SECONDS);
                writer.edit(d -> d.insert(0, "read me")).get(WAIT_SECONDS, TimeUnit.SECONDS);
                writer.flush().get(WAIT_SECONDS, TimeUnit.SECONDS);
            }
            String invite = remote.invite("shared", dev.tandem.hub.Grant.Role.VIEWER).format();
            FxToolkit.registerPrimaryStage();
            TandemApp tandem = (TandemApp) FxToolkit.setupApplication(TandemApp.class, "--data", dir.resolve("data").toString(), "--name", "Ada", invite);
            app = tandem;
            eventually("the room window is open", () -> tandem.sessions().size() == 1);
            RoomSession s = fx(() -> tandem.sessions().get(0));
            eventually("the room's text is shown", () -> s.text().equals("read me"));
            eventually("connected", () -> s.window.status.connectionProperty().get() == StatusViewModel.Connection.CONNECTED);
            assertTrue(fx(() -> s.window.stage.getScene().lookup("#view-only-banner").isVisible()));
            assertTrue(fx(() -> ((Label) s.window.stage.getScene().lookup("#view-only-banner")).getText()).startsWith("View only"));
            eventually("the sidebar marks you as a viewer", () -> s.window.presence.rows().stream().anyMatch(r -> r.self() && r.label().endsWith("(you, view only)")));

            fx(() -> {
                javafx.scene.input.ClipboardContent c = new javafx.scene.input.ClipboardContent();
                c.putString("pasted");
                javafx.scene.input.Clipboard.getSystemClipboard().setContent(c);
                return null;
            });
            robot.clickOn("#editor").write("typed");
            robot.press(javafx.scene.input.KeyCode.CONTROL).type(javafx.scene.input.KeyCode.V).release(javafx.scene.input.KeyCode.CONTROL);
            robot.press(javafx.scene.input.KeyCode.CONTROL).type(javafx.scene.input.KeyCode.X).release(javafx.scene.input.KeyCode.CONTROL);
            robot.type(javafx.scene.input.KeyCode.BACK_SPACE, javafx.scene.input.KeyCode.ENTER);
            // Formatting shortcuts and undo do nothing either; the toolbar is off.
            fx(() -> {
                s.window.area.selectAll();
                return null;
            });
            robot.press(javafx.scene.input.KeyCode.CONTROL).type(javafx.scene.input.KeyCode.B).release(javafx.scene.input.KeyCode.CONTROL);
            robot.press(javafx.scene.input.KeyCode.CONTROL).type(javafx.scene.input.KeyCode.Z).release(javafx.scene.input.KeyCode.CONTROL);
            org.testfx.util.WaitForAsyncUtils.waitForFxEvents();
            assertTrue(fx(() -> s.window.commands.toolbar.isDisabled()), "the formatting toolbar is off for a viewer");
            assertEquals(List.of(new dev.tandem.crdt.Doc.TextRun("read me", java.util.Map.of())), fx(() -> s.window.binding.doc().runs(0, 7)),
                    "no formatting reached the document");
            assertEquals("read me", fx(s::text), "nothing typed, pasted or cut reached the document");
            assertEquals("read me", fx(() -> s.window.area.getText()));
            fx(() -> s.sync().flush()).get(WAIT_SECONDS, TimeUnit.SECONDS);
            Invite probe = Invite.parse(invite);
            try (SyncClient c = EmbeddedHostTest.client(probe.hub(), "shared", Access.of(probe), null)) {
                c.synced().get(WAIT_SECONDS, TimeUnit.SECONDS);
                assertEquals("read me", c.text().get(WAIT_SECONDS, TimeUnit.SECONDS));
            }
            assertEquals(StatusViewModel.Connection.CONNECTED, fx(() -> s.window.status.connectionProperty().get()), "no edit was sent, so the hub refused none");

            // Were an edit sent anyway (here straight through the sync client), the hub refuses it and the status bar says why.
            s.sync().edit(d -> d.insert(0, "x")).get(WAIT_SECONDS, TimeUnit.SECONDS);
            eventually("the status bar explains the refusal", () -> s.window.status.errorTextProperty().get().startsWith("View only: this invite does not let you edit"));
        }
    }

    /** A plain room address, no token, pasted on the start screen: still joins a hub running --auth none. */
    @Test
    void plainRoomAddress_stillJoinsAHubWithoutTokens() throws Exception {
        Hub hub = Hub.start(HubConfig.defaults(dir.resolve("hub")).withPort(0).withSecurity(dev.tandem.hub.HubSecurity.none()));
        try {
            URI server = URI.create("ws://127.0.0.1:" + hub.port());
            FxToolkit.registerPrimaryStage();
            TandemApp tandem = (TandemApp) FxToolkit.setupApplication(TandemApp.class, "--data", dir.resolve("data").toString());
            app = tandem;
            robot.clickOn("#start-name").write("Ada");
            robot.clickOn("#start-server");
            fx(() -> {
                ((javafx.scene.control.TextField) robot.lookup("#start-server").query()).setText(server + "/rooms/plain%20room");
                return null;
            });
            assertFalse(fx(() -> robot.lookup("#start-invite").query().isVisible()), "no invite: nothing to say about one");
            robot.clickOn("#start-join");
            eventually("the room is open", () -> tandem.sessions().size() == 1);
            RoomSession s = fx(() -> tandem.sessions().get(0));
            assertEquals(Access.NONE, s.access);
            eventually("the editor has the focus", () -> s.window.area.isFocused());
            robot.write("no token needed");
            allSent(s);
            assertEquals("no token needed", hubText(server, "plain room"));
            assertTrue(fx(() -> s.window.stage.getScene().lookup("#copy-invite").isVisible()), "a joined room offers its plain address");
        } finally {
            hub.close();
        }
    }

    /** Two hubs typed in the server field: the room moves to the other when its hub stops, and that hub gets every edit. */
    @Test
    void severalServers_onTheStartScreen_theRoomMovesWhenItsHubStops() throws Exception {
        Hub one = Hub.start(HubConfig.defaults(dir.resolve("hub1")).withPort(0).withSecurity(dev.tandem.hub.HubSecurity.none()));
        Hub two = Hub.start(HubConfig.defaults(dir.resolve("hub2")).withPort(0).withSecurity(dev.tandem.hub.HubSecurity.none()));
        try {
            URI a = URI.create("ws://127.0.0.1:" + one.port());
            URI b = URI.create("ws://127.0.0.1:" + two.port());
            FxToolkit.registerPrimaryStage();
            TandemApp tandem = (TandemApp) FxToolkit.setupApplication(TandemApp.class, "--data", dir.resolve("data").toString());
            app = tandem;
            robot.clickOn("#start-name").write("Ada");
            robot.clickOn("#start-server").eraseText(60).write(a + ", " + b);
            robot.clickOn("#start-room").eraseText(60).write("shared");
            robot.clickOn("#start-join");
            eventually("the room is open", () -> tandem.sessions().size() == 1);
            RoomSession s = fx(() -> tandem.sessions().get(0));
            eventually("the editor has the focus", () -> s.window.area.isFocused());
            robot.write("before ");
            allSent(s);
            URI first = s.sync().hub();
            Hub stopped = first.equals(a) ? one : two;
            URI other = first.equals(a) ? b : a;
            stopped.close();
            robot.write("after");
            eventually("moved to the other hub", () -> other.equals(s.sync().hub()));
            allSent(s);
            eventually("the status bar names the hub now in use",
                    () -> fx(() -> s.window.status.connectionTextProperty().get()).equals("Connected to " + other.getRawAuthority()));
            assertEquals("before after", hubText(other, "shared"), "the other hub has the edits made on the stopped one, too");
            assertEquals(a + "," + b.getRawAuthority(), Settings.load(dir.resolve("data"), "#000000").server(),
                    "the settings remember both");
        } finally {
            if (app != null) FxToolkit.cleanupApplication(app);
            app = null;
            one.close();
            two.close();
        }
    }

    @Test
    void sameRoomNameOnTwoServers_windowTitlesNameTheServer() throws Exception {
        Hub one = Hub.start(HubConfig.defaults(dir.resolve("hub1")).withPort(0).withSecurity(dev.tandem.hub.HubSecurity.none()));
        Hub two = Hub.start(HubConfig.defaults(dir.resolve("hub2")).withPort(0).withSecurity(dev.tandem.hub.HubSecurity.none()));
        try {
            FxToolkit.registerPrimaryStage();
            TandemApp tandem = (TandemApp) FxToolkit.setupApplication(TandemApp.class,
                    "--server", "ws://127.0.0.1:" + one.port(), "--room", "notes", "--name", "Ada", "--data", dir.resolve("data").toString());
            app = tandem;
            eventually("the first room is open", () -> tandem.sessions().size() == 1);
            RoomSession first = fx(() -> tandem.sessions().get(0));
            assertEquals("notes - Tandem", fx(() -> first.window.stage.getTitle()), "one room of that name: no server needed");

            fx(() -> {
                tandem.showStartScreen(new javafx.stage.Stage(), false, "notes");
                return null;
            });
            robot.clickOn("#start-server").eraseText(40).write("ws://127.0.0.1:" + two.port());
            robot.clickOn("#start-join");
            eventually("the second room is open", () -> tandem.sessions().size() == 2);
            RoomSession second = fx(() -> tandem.sessions().get(1));
            assertEquals("notes (127.0.0.1:" + one.port() + ") - Tandem", fx(() -> first.window.stage.getTitle()));
            assertEquals("notes (127.0.0.1:" + two.port() + ") - Tandem", fx(() -> second.window.stage.getTitle()));

            fx(() -> {
                second.window.stage.close();
                return null;
            });
            eventually("the first title no longer needs the server", () -> first.window.stage.getTitle().equals("notes - Tandem"));
        } finally {
            if (app != null) FxToolkit.cleanupApplication(app);
            app = null;
            one.close();
            two.close();
        }
    }

    @Test
    void hostingFails_startScreenStaysWithTheReason() throws Exception {
        Path data = dir.resolve("data");
        Files.createDirectories(data);
        Files.writeString(data.resolve("hub"), "a file where the hub's store must be"); // the embedded hub cannot start
        TandemApp tandem = hostFromStartScreen(data);
        eventually("the reason is shown", () -> javafx.stage.Window.getWindows().stream().anyMatch(w -> w.isShowing()
                && w.getScene().getRoot() instanceof javafx.scene.control.DialogPane d && "Could not host on this computer".equals(d.getHeaderText())
                && d.getContentText().contains(data.resolve("hub").toString())));
        eventually("the start screen is still up, usable", () -> javafx.stage.Window.getWindows().stream().anyMatch(w -> w.isShowing()
                && w.getScene().lookup("#start-join") != null && !w.getScene().getRoot().isDisabled()));
        assertEquals(0, fx(() -> tandem.sessions().size()));
    }
}
