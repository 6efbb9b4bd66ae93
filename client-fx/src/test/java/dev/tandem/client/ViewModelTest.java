package dev.tandem.client;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.*;

/** The view models and small helpers, in plain Java: no toolkit, no windows. */
class ViewModelTest {

    @Test
    void startForm_validatesAndBuildsRequest() {
        StartViewModel vm = new StartViewModel(new Settings("", "#1f77b4", "ws://127.0.0.1:7070", List.of()));
        assertEquals("", vm.problemProperty().get(), "no problem shows before the user touched anything");
        assertFalse(vm.validProperty().get());
        assertTrue(vm.submit().isEmpty(), "Join on an empty form joins nothing");
        assertEquals("Enter your name.", vm.problemProperty().get(), "after Join every problem shows");
        assertEquals(StartViewModel.Field.NAME, vm.firstInvalidField().orElseThrow());
        vm.name.set("  Ada ");
        assertEquals("Room name is empty.", vm.problemProperty().get());
        assertEquals(StartViewModel.Field.ROOM, vm.firstInvalidField().orElseThrow());
        vm.room.set("notes");
        assertTrue(vm.validProperty().get(), vm.problemProperty().get());
        vm.server.set("http://example.org");
        assertTrue(vm.problemProperty().get().contains("ws://"), vm.problemProperty().get());
        vm.host.set(true); // hosting needs no server address, but who can join
        assertFalse(vm.validProperty().get());
        vm.hostBind.set(Settings.LOCAL_ONLY);
        assertTrue(vm.validProperty().get());
        StartViewModel.JoinRequest hosted = vm.submit().orElseThrow();
        assertNull(hosted.server());
        assertTrue(hosted.host());
        vm.host.set(false);
        vm.server.set("10.0.0.5:7070");
        StartViewModel.JoinRequest joined = vm.request();
        assertEquals(new StartViewModel.JoinRequest("Ada", "#1f77b4", URI.create("ws://10.0.0.5:7070"), "notes", false), joined);
        vm.color.set("blue");
        assertEquals("Pick a colour.", vm.problemProperty().get());
        assertThrows(IllegalStateException.class, vm::request);
    }

    /** The hub refuses such names for good (bad_message): the form says so before joining. */
    @Test
    void startForm_refusesNamesTheHubWouldRefuse() {
        StartViewModel vm = new StartViewModel(new Settings("Ada", "#1f77b4", "ws://127.0.0.1:7070", List.of()));
        vm.room.set("notes");
        assertTrue(vm.validProperty().get(), vm.problemProperty().get());
        vm.touch(StartViewModel.Field.NAME);
        for (String bad : List.of("Ada\nBob", "evil\u202Eeman", "tab\there", "\u2066isolate")) {
            vm.name.set(bad);
            assertFalse(vm.validProperty().get(), bad);
            assertTrue(vm.problemProperty().get().contains("must not contain"), vm.problemProperty().get());
        }
        vm.name.set("Zoë 👩\u200D💻"); // an emoji with a zero-width joiner is fine
        assertTrue(vm.validProperty().get(), vm.problemProperty().get());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> LaunchOptions.parse("--name", "a\u202Eb"));
        assertTrue(e.getMessage().startsWith("--name: Name must not contain"), e.getMessage());
    }

    @Test
    void startForm_showsOnlyTheProblemsOfTouchedFields() {
        StartViewModel vm = new StartViewModel(new Settings("Ada", "#1f77b4", "", List.of()));
        assertEquals("", vm.problemProperty().get());
        vm.touch(StartViewModel.Field.ROOM);
        assertEquals("Room name is empty.", vm.problemProperty().get(), "the server is wrong too, but untouched");
        vm.room.set("notes");
        assertEquals("", vm.problemProperty().get());
        assertFalse(vm.validProperty().get(), "the form is still not valid: no server");
        vm.touch(StartViewModel.Field.SERVER);
        assertFalse(vm.problemProperty().get().isEmpty());
    }

    @Test
    void startForm_pastedInviteFillsServerAndRoom() {
        StartViewModel vm = new StartViewModel(Settings.defaults("#1f77b4"));
        vm.server.set("ws://192.168.1.20:7070/rooms/team%20notes");
        assertEquals("ws://192.168.1.20:7070", vm.server.get());
        assertEquals("team notes", vm.room.get());
    }

    @Test
    void startForm_remembersNameColourAndRecentRooms(@TempDir Path dir) throws Exception {
        Settings s = Settings.load(dir, "#2ca02c");
        assertEquals("#2ca02c", s.color());
        StartViewModel vm = new StartViewModel(s);
        vm.name.set("Ada");
        vm.room.set("b");
        s = vm.remember(s, vm.request());
        s = s.withJoined("Ada", "#2ca02c", s.server(), "a");
        s = s.withJoined("Ada", "#2ca02c", s.server(), "b");
        s.save(dir);
        Settings back = Settings.load(dir, "#000000");
        assertEquals(s, back);
        assertEquals(List.of("b", "a"), back.recentRooms());
        StartViewModel again = new StartViewModel(back);
        assertEquals("Ada", again.name.get());
        assertEquals("b", again.room.get(), "the last room is offered first");
        assertEquals(List.of("b", "a"), again.recentRooms);
    }

    /** Found by hand: reopening Tandem offered to join the room it had hosted, at a hub that no longer ran. */
    @Test
    void startForm_hostsAgainARoomHostedLastTime_andJoinsAJoinedOne(@TempDir Path dir) throws Exception {
        Settings s = Settings.load(dir, "#2ca02c")
                .withJoined("Ada", "#2ca02c", "ws://10.0.0.5:7070", "joined", false)
                .withJoined("Ada", "#2ca02c", "ws://10.0.0.5:7070", "hosted", true);
        s.save(dir);
        Settings back = Settings.load(dir, "#000000");
        assertEquals(s, back);
        StartViewModel vm = new StartViewModel(back);
        assertEquals("hosted", vm.room.get());
        assertTrue(vm.host.get(), "the room hosted last time is hosted again");
        vm.room.set("joined");
        assertFalse(vm.host.get(), "a room joined last time is joined");
        vm.room.set("hosted");
        assertTrue(vm.host.get());
        vm.room.set("brand-new");
        assertTrue(vm.host.get(), "typing a new name keeps the choice on screen");
        // Joining a hosted room from elsewhere later forgets that it was hosted here.
        Settings later = back.withJoined("Ada", "#2ca02c", "ws://10.0.0.5:7070", "hosted", false);
        assertFalse(later.wasHosted("hosted"));
        assertFalse(new StartViewModel(later).host.get());
    }

    @Test
    void settings_corruptFileGivesDefaults(@TempDir Path dir) throws Exception {
        Files.write(dir.resolve(Settings.FILE), new byte[] {'n', 'a', 'm', 'e', '=', '\\', 'u', '1'});
        Settings s = Settings.load(dir, "#d62728");
        assertEquals("#d62728", s.color());
        Files.writeString(dir.resolve(Settings.FILE), "color=not-a-colour\nname=Bob\n");
        assertEquals("#d62728", Settings.load(dir, "#d62728").color());
        assertEquals("Bob", Settings.load(dir, "#d62728").name());
    }

    @Test
    void settings_keepsAtMostTenRecentRooms() {
        Settings s = Settings.defaults("#1f77b4");
        for (int i = 0; i < 15; i++) s = s.withJoined("A", "#1f77b4", "ws://h:1", "r" + i);
        assertEquals(Settings.MAX_RECENT, s.recentRooms().size());
        assertEquals("r14", s.recentRooms().get(0));
    }

    @Test
    void roomAddress_parsesAndRoundTripsInvites() {
        RoomAddress a = new RoomAddress(URI.create("ws://10.0.0.5:7070/"), " team notes/x ".replace("/x", ""));
        assertEquals("team notes", a.room());
        assertEquals("ws://10.0.0.5:7070/rooms/team%20notes", a.invite());
        assertEquals(a, RoomAddress.parseInvite(a.invite()));
        assertEquals(URI.create("ws://h:1"), RoomAddress.parseServer("h:1"));
        assertEquals(URI.create("wss://h"), RoomAddress.parseServer("WSS://h/"));
        assertThrows(IllegalArgumentException.class, () -> RoomAddress.parseServer("http://h:1"));
        assertThrows(IllegalArgumentException.class, () -> RoomAddress.parseServer(" "));
        assertThrows(IllegalArgumentException.class, () -> RoomAddress.checkRoom("a/b"));
        assertThrows(IllegalArgumentException.class, () -> RoomAddress.checkRoom(".hidden"));
        assertThrows(IllegalArgumentException.class, () -> RoomAddress.checkRoom("caf\u00e9"));
        assertEquals("a.b c", RoomAddress.checkRoom(" a.b c "));
        assertThrows(IllegalArgumentException.class, () -> RoomAddress.checkRoom("x".repeat(65)));
        assertNull(RoomAddress.parseInvite("ws://h:1"));
        assertNotEquals(new RoomAddress(URI.create("ws://h:1"), "r").storageName(),
                new RoomAddress(URI.create("ws://h:2"), "r").storageName(), "same room on another hub is another file");
        assertTrue(new RoomAddress(URI.create("ws://h:1"), "Team Notes").storageName().startsWith("team_notes-"));
    }

    @Test
    void launchOptions_parseAndReject() {
        LaunchOptions o = LaunchOptions.parse("--server", "ws://127.0.0.1:9000", "--room", "notes", "--name", "Ada", "--data", "/tmp/x");
        assertTrue(o.opensRoomDirectly());
        assertEquals(URI.create("ws://127.0.0.1:9000"), o.serverUri());
        assertEquals(Path.of("/tmp/x"), o.dataDirOrDefault());
        assertFalse(LaunchOptions.parse().opensRoomDirectly());
        assertTrue(LaunchOptions.parse("--host-port", "0", "--room", "r").opensRoomDirectly());
        assertEquals("#abcdef", LaunchOptions.parse("--color", "#ABCDEF").color);
        assertTrue(LaunchOptions.parse("--help").helpOnly);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> LaunchOptions.parse("--server", "http://x"));
        assertTrue(e.getMessage().contains("ws://") && e.getMessage().contains("Usage"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> LaunchOptions.parse("--host-port", "70000"));
        assertThrows(IllegalArgumentException.class, () -> LaunchOptions.parse("--bogus"));
        assertThrows(IllegalArgumentException.class, () -> LaunchOptions.parse("--server", "ws://h:1", "--host-port", "1"));
        assertThrows(IllegalArgumentException.class, () -> LaunchOptions.parse("--color", "red"));
    }

    @Test
    void errors_areDescribedForPeople() {
        assertEquals("Failed to bind to /0.0.0.0:7070 (Address already in use)", TandemApp.describe(new java.util.concurrent.CompletionException(
                new java.io.IOException("Failed to bind to /0.0.0.0:7070", new java.net.BindException("Address already in use")))));
        assertEquals("cannot create data directory /d/hub: /d/hub", TandemApp.describe(new java.util.concurrent.CompletionException(
                new IllegalStateException("cannot create data directory /d/hub: /d/hub", new java.nio.file.FileAlreadyExistsException("/d/hub")))));
    }

    @Test
    void appDirs_followPlatformConventions() {
        Path home = Path.of("/home/ada");
        assertEquals(Path.of("/home/ada/.local/share/tandem"), AppDirs.defaultDataDir("Linux", Map.of(), home));
        assertEquals(Path.of("/xdg/tandem"), AppDirs.defaultDataDir("Linux", Map.of("XDG_DATA_HOME", "/xdg"), home));
        assertEquals(Path.of("/home/ada/.local/share/tandem"), AppDirs.defaultDataDir("Linux", Map.of("XDG_DATA_HOME", "rel"), home),
                "a relative XDG_DATA_HOME is ignored, as the spec says");
        assertEquals(Path.of("/home/ada/Library/Application Support/Tandem"), AppDirs.defaultDataDir("Mac OS X", Map.of(), home));
        assertEquals(Path.of("C:\\Users\\ada\\AppData\\Local").resolve("Tandem"),
                AppDirs.defaultDataDir("Windows 11", Map.of("LOCALAPPDATA", "C:\\Users\\ada\\AppData\\Local"), home));
        assertEquals(Path.of("/profiles/test"), AppDirs.defaultDataDir("Linux", Map.of("TANDEM_CLIENT_DATA", "/profiles/test", "XDG_DATA_HOME", "/xdg"), home),
                "TANDEM_CLIENT_DATA names the profile on every platform");
        assertEquals(Path.of("/profiles/test"), AppDirs.defaultDataDir("Windows 11", Map.of("TANDEM_CLIENT_DATA", "/profiles/test"), home));
        assertEquals(Path.of("/xdg/tandem"), AppDirs.defaultDataDir("Linux", Map.of("TANDEM_CLIENT_DATA", "rel", "XDG_DATA_HOME", "/xdg"), home),
                "a relative one is ignored");
    }

    @Test
    void status_namesTheHubInUseWhenTheRoomKnowsSeveral() {
        AtomicLong now = new AtomicLong(1_000);
        StatusViewModel vm = new StatusViewModel("notes", now::get);
        vm.setHub("hub2.example:7070");
        vm.setConnection(StatusViewModel.Connection.CONNECTING, 3_000, "cannot connect to ws://hub1.example:7070/rooms/notes");
        assertEquals("Connecting to hub2.example:7070 (next retry in 3 s)", vm.connectionTextProperty().get());
        assertEquals("Retry in 3 s", vm.connectionShortTextProperty().get(), "the short form stays short");
        vm.setConnection(StatusViewModel.Connection.CONNECTED, 0, null);
        assertEquals("Connected to hub2.example:7070", vm.connectionTextProperty().get());
        assertEquals("Connected", vm.connectionShortTextProperty().get());
        vm.setHub(null);
        assertEquals("Connected", vm.connectionTextProperty().get(), "one hub: nothing to name");
    }

    @Test
    void status_countsDownRetryAndReportsUnsent() {
        AtomicLong now = new AtomicLong(1_000);
        StatusViewModel vm = new StatusViewModel("notes", now::get);
        assertEquals("Room: notes", vm.roomTextProperty().get());
        vm.setConnection(StatusViewModel.Connection.CONNECTING, 4_200, "connection refused");
        assertEquals("Connecting (next retry in 5 s)", vm.connectionTextProperty().get());
        assertEquals("Retry in 5 s", vm.connectionShortTextProperty().get(), "the short form, for narrow windows");
        assertEquals("connection refused", vm.errorTextProperty().get());
        now.addAndGet(2_500);
        vm.tick();
        assertEquals("Connecting (next retry in 2 s)", vm.connectionTextProperty().get());
        now.addAndGet(5_000);
        vm.tick();
        assertEquals("Connecting…", vm.connectionTextProperty().get());
        vm.setUnsent(3);
        assertEquals("3 unsent changes (saved on this computer)", vm.unsentTextProperty().get());
        assertEquals("3 unsent", vm.unsentShortTextProperty().get());
        vm.setConnection(StatusViewModel.Connection.CONNECTED, 0, null);
        assertEquals("Connected", vm.connectionTextProperty().get());
        assertEquals("", vm.errorTextProperty().get());
        assertEquals("3 unsent changes", vm.unsentTextProperty().get());
        vm.setUnsent(0);
        assertEquals("All changes sent", vm.unsentTextProperty().get());
        assertEquals("All sent", vm.unsentShortTextProperty().get());
        vm.setConnection(StatusViewModel.Connection.OFFLINE, 0, null);
        assertEquals("Offline", vm.connectionTextProperty().get());
        vm.setNotice("offline copy unreadable");
        vm.setConnection(StatusViewModel.Connection.CONNECTED, 0, null);
        assertEquals("offline copy unreadable", vm.errorTextProperty().get(), "a notice outlives reconnects");
        vm.setConnection(StatusViewModel.Connection.CONNECTING, 100, "refused");
        assertEquals("refused", vm.errorTextProperty().get(), "a live error comes first");
        vm.setSaveError("cannot save the local copy: disk full");
        assertEquals("cannot save the local copy: disk full | refused", vm.errorTextProperty().get(), "a failing disk comes first of all");
        vm.setUnsent(2);
        assertEquals("2 unsent changes (not saved yet)", vm.unsentTextProperty().get());
        vm.setSaveError(null);
        assertEquals("refused", vm.errorTextProperty().get());
        assertEquals("2 unsent changes (saved on this computer)", vm.unsentTextProperty().get());
        vm.setLength(1234567);
        assertEquals("1,234,567 characters", vm.lengthTextProperty().get());
        assertEquals("1,234,567 chars", vm.lengthShortTextProperty().get());
        vm.setLength(1);
        assertEquals("1 character", vm.lengthTextProperty().get());
        assertEquals("1 char", vm.lengthShortTextProperty().get());
    }

    @Test
    void displayNames_cannotBreakOrReorderWhatIsAroundThem() {
        assertEquals("Ada Lovelace", DisplayNames.clean("  Ada\n\r\tLovelace \u2028 "));
        assertEquals("Eveexe.gnp", DisplayNames.clean("Eve\u202Eexe.gnp"), "bidi override dropped");
        assertEquals("ab", DisplayNames.clean("\u2066a\u2069\u200Fb\u200E\u061C\uFEFF"), "isolates and marks dropped");
        assertEquals("a b", DisplayNames.clean("a\u0000\u0007\u001Bb"), "control characters become one space");
        assertEquals("\uD83D\uDC69\u200D\uD83D\uDCBB", DisplayNames.clean("\uD83D\uDC69\u200D\uD83D\uDCBB"), "a joined emoji stays whole");
        assertEquals("x\uFFFDy", DisplayNames.clean("x\uD800y"), "an unpaired surrogate is replaced");
        assertEquals("e\u0301\u0301\u0301", DisplayNames.clean("e" + "\u0301".repeat(200)), "marks cannot stack without end");
        assertEquals(DisplayNames.ANONYMOUS, DisplayNames.clean(null));
        assertEquals(DisplayNames.ANONYMOUS, DisplayNames.clean(" \n\u202E "));
        String longName = DisplayNames.clean("\uD83D\uDE00".repeat(100));
        assertEquals(DisplayNames.MAX_LENGTH, longName.codePointCount(0, longName.length()));
        assertTrue(longName.endsWith("\u2026") && !longName.contains("\uD83D\u2026"), "cut between code points, with an ellipsis");
        assertEquals("x".repeat(DisplayNames.MAX_LENGTH), DisplayNames.clean("x".repeat(DisplayNames.MAX_LENGTH)), "exactly the limit is not cut");
    }

    @Test
    void userColors_fromTheNetworkNeverThrowNorInjectStyle() {
        assertEquals("#1f77b4", UserColors.safe("#1F77B4"));
        for (String bad : new String[] {null, "", "red", "#12345", "#1234567", "#gggggg", "#1f77b4; -fx-font-size: 99px", "rgb(1,2,3)"}) {
            assertEquals(UserColors.FALLBACK, UserColors.safe(bad), String.valueOf(bad));
            assertEquals(javafx.scene.paint.Color.web(UserColors.FALLBACK), UserColors.toColor(bad));
        }
    }

    @Test
    void presence_cleansNamesAndColoursFromTheNetwork() {
        PresenceViewModel vm = new PresenceViewModel();
        vm.update(List.of(new PresenceViewModel.Row("2", "Eve\u202E\nx", "bogus", false, true, false)));
        assertEquals(new PresenceViewModel.Row("2", "Eve x", UserColors.FALLBACK, false, true, false), vm.rows().get(0));
    }

    @Test
    void presence_selfFirstThenByNameAndNoChurn() {
        PresenceViewModel vm = new PresenceViewModel();
        var zed = new PresenceViewModel.Row("3", "zed", "#1f77b4", false, true, false);
        var me = new PresenceViewModel.Row("1", "Mia", "#d62728", true, true, false);
        var amy = new PresenceViewModel.Row("2", "Amy", "#2ca02c", false, false, true);
        vm.update(List.of(zed, me, amy));
        assertEquals(List.of(me, amy, zed), vm.rows());
        assertEquals("Mia (you)", vm.rows().get(0).label());
        assertEquals("typing…", amy.activity());
        assertEquals("idle", new PresenceViewModel.Row("4", "x", "#000000", false, false, false).activity());
        assertEquals("3 people here", vm.summary());
        int[] changes = {0};
        vm.rows().addListener((javafx.collections.ListChangeListener<PresenceViewModel.Row>) c -> changes[0]++);
        vm.update(List.of(amy, zed, me));
        assertEquals(0, changes[0], "same people in another order is no change");
        vm.update(List.of(me));
        assertEquals(1, changes[0]);
        assertEquals("1 person here", vm.summary());
        assertThrows(UnsupportedOperationException.class, () -> vm.rows().clear());
    }

    @Test
    void presenceRows_markViewers() {
        assertEquals("Val (view only)", new PresenceViewModel.Row("1", "Val", "#000000", false, true, false, true).label());
        assertEquals("Ada (you, view only)", new PresenceViewModel.Row("2", "Ada", "#000000", true, true, false, true).label());
        assertEquals("Bob", new PresenceViewModel.Row("3", "Bob", "#000000", false, true, false, false).label());
    }
}
