package dev.tandem.client;

import dev.tandem.sync.Invite;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/** The start screen's model with pasted invites, and the command line's invite argument. No toolkit needed. */
class InviteFormTest {
    static final String FP = "0123456789abcdef".repeat(4);
    /** A JWT-shaped token whose payload says {"role":"viewer"} (the client reads the role for the UI only). */
    static final String VIEWER_TOKEN = "eyJhbGciOiJIUzI1NiJ9." + java.util.Base64.getUrlEncoder().withoutPadding()
            .encodeToString("{\"role\":\"viewer\",\"room\":\"team notes\"}".getBytes()) + ".c2ln";

    private static StartViewModel form() {
        StartViewModel vm = new StartViewModel(new Settings("Ada", "#1f77b4", "ws://127.0.0.1:7070", List.of()));
        vm.touch(StartViewModel.Field.SERVER);
        return vm;
    }

    @Test
    void pastingAnInvite_setsServerRoomTokenAndPin() {
        StartViewModel vm = form();
        String invite = new Invite(URI.create("wss://10.0.0.5:7070"), "team notes", VIEWER_TOKEN, FP).format();
        vm.server.set("  " + invite + "\n");
        assertEquals("wss://10.0.0.5:7070", vm.server.get());
        assertEquals("team notes", vm.room.get());
        StartViewModel.JoinRequest r = vm.submit().orElseThrow();
        assertEquals(new Access(VIEWER_TOKEN, FP), r.access());
        assertEquals(URI.create("wss://10.0.0.5:7070"), r.server());
        assertTrue(r.access().viewOnly());
        assertEquals("Invite to read (view only), the host's certificate pinned.", vm.inviteSummary());

        vm.server.set("wss://10.0.0.6:7070"); // typed over: that hub never issued the token
        assertEquals(Access.NONE, vm.request().access());
        assertEquals("", vm.inviteSummary());
    }

    @Test
    void aPlainRoomAddressStillJoinsWithoutAToken() {
        StartViewModel vm = form();
        vm.server.set("ws://10.0.0.5:7070/rooms/notes");
        StartViewModel.JoinRequest r = vm.request();
        assertEquals(Access.NONE, r.access());
        assertEquals(URI.create("ws://10.0.0.5:7070"), r.server());
        assertEquals("notes", r.room());
    }

    @Test
    void aBrokenInviteIsAProblem_notAJoin() {
        StartViewModel vm = form();
        for (String bad : List.of("wss://10.0.0.5:7070/rooms/notes#token=a b", "wss://10.0.0.5:7070/rooms/notes#sha256=12",
                "wss://10.0.0.5:7070/rooms/notes#evil=1", "wss://h:1/rooms/notes#token=" + "a".repeat(9000))) {
            vm.server.set(bad);
            assertTrue(vm.problemProperty().get().startsWith("This is not a valid invite"), bad + ": " + vm.problemProperty().get());
            assertTrue(vm.submit().isEmpty(), bad);
            assertEquals(Access.NONE, vm.access.get());
        }
        vm.room.set("notes");
        vm.server.set("ws://10.0.0.5:7070");
        assertEquals("", vm.problemProperty().get());
    }

    @Test
    void commandLineInvite_opensItsRoom_andRefusesMixing() {
        String invite = new Invite(URI.create("wss://10.0.0.5:7070"), "notes", VIEWER_TOKEN, FP).format();
        LaunchOptions o = LaunchOptions.parse(invite);
        assertTrue(o.opensRoomDirectly());
        assertEquals("notes", o.invite.room());
        assertEquals(FP, o.invite.sha256());
        assertThrows(IllegalArgumentException.class, () -> LaunchOptions.parse(invite, "--room", "other"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> LaunchOptions.parse("wss://h:1/rooms/x#sha256=zz"));
        assertTrue(e.getMessage().startsWith("not an invite"), e.getMessage());
    }

    @Test
    void severalServers_typedCommaSeparated_joinAsOneAddress_andAreRemembered(@org.junit.jupiter.api.io.TempDir java.nio.file.Path data) throws Exception {
        StartViewModel vm = form();
        vm.room.set("notes");
        vm.server.set(" 10.0.0.5:7070,  10.0.0.6:7070 ");
        StartViewModel.JoinRequest r = vm.submit().orElseThrow();
        assertEquals(URI.create("ws://10.0.0.5:7070,10.0.0.6:7070"), r.server());
        assertEquals(List.of(URI.create("ws://10.0.0.5:7070"), URI.create("ws://10.0.0.6:7070")),
                dev.tandem.sync.HubAddresses.check(List.of(r.server())), "the sync client reads it as both hubs");
        vm.server.set("wss://a.example:7443/ignored, wss://b.example:7443");
        assertEquals(URI.create("wss://a.example:7443,b.example:7443"), vm.request().server());

        Settings remembered = vm.remember(new Settings("Ada", "#1f77b4", "", List.of()), r);
        remembered.save(data);
        StartViewModel next = new StartViewModel(Settings.load(data, "#000000"));
        assertEquals("ws://10.0.0.5:7070,10.0.0.6:7070", next.server.get());
        assertEquals(r.server(), next.request().server());

        RoomAddress room = new RoomAddress(r.server(), "team notes");
        assertEquals("ws://10.0.0.5:7070,10.0.0.6:7070/rooms/team%20notes", room.invite());
        assertEquals(room, RoomAddress.parseInvite(room.invite()));
        assertEquals(room, RoomAddress.parseLink("tandem://10.0.0.5:7070,10.0.0.6:7070/rooms/team%20notes"));
        assertEquals(new RoomAddress(URI.create("ws://10.0.0.5:7070"), "r").storageName(),
                new RoomAddress(URI.create("ws://10.0.0.5:7070/"), "r").storageName(), "one hub: the offline copy's file name as before");
    }

    @Test
    void badServerLists_areProblemsThatSayWhy() {
        StartViewModel vm = form();
        vm.room.set("notes");
        StringBuilder seventeen = new StringBuilder("h0:1");
        for (int i = 1; i < 17; i++) seventeen.append(", h").append(i).append(":1");
        for (String[] bad : new String[][] {
                {"ws://a:1, wss://b:2", "must all be ws:// or all wss://"},
                {"ws://a:1, http://b:2", "ws:// or wss://, was http://b:2"},
                {"a:1, a:1", "listed twice"},
                {"a:1, , b:2", "empty hub address"},
                {"a:1, b:99999", "port"},
                {seventeen.toString(), "at most 16"}}) {
            vm.server.set(bad[0]);
            assertTrue(vm.problemProperty().get().toLowerCase(java.util.Locale.ROOT).contains(bad[1]), bad[0] + ": " + vm.problemProperty().get());
            assertTrue(vm.submit().isEmpty(), bad[0]);
        }
    }

    @Test
    void anInviteNamingSeveralHubs_fillsTheForm_andOpensFromTheCommandLine() {
        StartViewModel vm = form();
        Invite invite = new Invite(URI.create("wss://a.example:7443,b.example:7443"), "team notes", VIEWER_TOKEN, FP);
        vm.server.set(invite.format());
        assertEquals("wss://a.example:7443,b.example:7443", vm.server.get());
        assertEquals("team notes", vm.room.get());
        StartViewModel.JoinRequest r = vm.submit().orElseThrow();
        assertEquals(new Access(VIEWER_TOKEN, FP), r.access(), "the token stays with the list it came with");
        assertEquals(URI.create("wss://a.example:7443,b.example:7443"), r.server());

        LaunchOptions o = LaunchOptions.parse("tandems://a.example:7443,b.example:7443/rooms/team%20notes#token=" + VIEWER_TOKEN);
        assertEquals(List.of(URI.create("wss://a.example:7443"), URI.create("wss://b.example:7443")), o.invite.hubs());
        LaunchOptions plain = LaunchOptions.parse("--server", "h1:7070,h2:7070", "--room", "notes");
        assertEquals(URI.create("ws://h1:7070,h2:7070"), plain.serverUri());
        assertThrows(IllegalArgumentException.class, () -> LaunchOptions.parse("--server", "h1:7070,http://h2:7070", "--room", "notes"));
    }

    @Test
    void hosting_asksWhoCanJoinOnce_andRemembersIt(@org.junit.jupiter.api.io.TempDir java.nio.file.Path data) throws Exception {
        StartViewModel vm = form();
        vm.room.set("notes");
        vm.host.set(true);
        assertTrue(vm.submit().isEmpty(), "not chosen yet");
        assertEquals(StartViewModel.Field.HOST_BIND, vm.firstInvalidField().orElseThrow());
        vm.hostBind.set(Settings.NETWORK);
        assertEquals(Settings.NETWORK, vm.submit().orElseThrow().hostBind());
        vm.hostBind.set("192.168.1.5"); // --host-bind gave an address of its own: nothing to choose
        vm.hostBindFixed.set(true);
        assertTrue(vm.submit().isPresent(), vm.problemProperty().get());

        Settings chosen = new Settings("Ada", "#1f77b4", "ws://127.0.0.1:7070", List.of()).withHostBind(Settings.NETWORK);
        chosen.save(data);
        assertEquals(Settings.NETWORK, Settings.load(data, "#000000").hostBind());
        assertEquals(Settings.NETWORK, new StartViewModel(Settings.load(data, "#000000")).hostBind.get(), "preselected next time");
        assertEquals(Settings.NETWORK, chosen.withJoined("Ada", "#1f77b4", "ws://h:1", "x").hostBind(), "joining keeps it");
        java.nio.file.Files.writeString(data.resolve(Settings.FILE), "name=Ada\nhostBind=10.9.8.7\n");
        assertEquals("", Settings.load(data, "#000000").hostBind(), "an address that is not one of the two choices is asked again");
    }

    @Test
    void thePresenceListMarksAViewer() {
        PresenceViewModel vm = new PresenceViewModel();
        vm.update(List.of(new PresenceViewModel.Row("1", "Ada", "#1f77b4", true, true, false, true),
                new PresenceViewModel.Row("2", "Bob", "#1f77b4", false, true, false)));
        assertEquals("Ada (you, view only)", vm.rows().get(0).label());
        assertEquals("Bob", vm.rows().get(1).label());
    }

    @Test
    void aTokenThatCannotBeReadIsNotAViewers() {
        assertFalse(new Access("not.a.jwt", null).viewOnly());
        assertFalse(new Access(null, null).viewOnly());
        assertFalse(new Access("x", FP).toString().contains("x,"), "the token never shows in toString");
    }
}
