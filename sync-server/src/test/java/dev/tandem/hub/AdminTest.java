package dev.tandem.hub;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import picocli.CommandLine;

import dev.tandem.crdt.Doc;
import dev.tandem.protocol.Message;
import dev.tandem.sync.SyncClient;
import dev.tandem.sync.SyncConfig;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The admin command against a real hub over HTTP: list, export, delete, reset, and who may. */
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class AdminTest {
    @TempDir
    Path dir;

    private record Run(int code, String out, String err) {}

    private static Run admin(String... args) {
        StringWriter out = new StringWriter();
        CommandLine cl = HubMain.commandLine();
        cl.setOut(new PrintWriter(out, true));
        java.io.PrintStream oldErr = System.err;
        java.io.ByteArrayOutputStream err = new java.io.ByteArrayOutputStream();
        System.setErr(new java.io.PrintStream(err, true, java.nio.charset.StandardCharsets.UTF_8));
        try {
            String[] all = new String[args.length + 1];
            all[0] = "admin";
            System.arraycopy(args, 0, all, 1, args.length);
            int code = cl.execute(all);
            return new Run(code, out.toString(), err.toString(java.nio.charset.StandardCharsets.UTF_8));
        } finally {
            System.setErr(oldErr);
        }
    }

    private static SyncClient write(Hub hub, String room, String token, String text) throws Exception {
        SyncClient c = SyncClient.start(SyncConfig.builder(TestHubs.uri(hub), room, new Doc()).token(token).coalesce(java.time.Duration.ZERO).build(), null);
        TestHubs.sync(c);
        c.edit(d -> d.insert(d.length(), text)).get(10, TimeUnit.SECONDS);
        c.flush().get(10, TimeUnit.SECONDS);
        return c;
    }

    @Test
    void listExportDeleteWithAnAdminToken() throws Exception {
        try (Hub hub = AccessTest.tokenHub(dir)) {
            String url = TestHubs.uri(hub).toString();
            String admin = AccessTest.token(dir, "root", "*", Grant.Role.ADMIN);
            String teamAdmin = AccessTest.token(dir, "lead", "team-*", Grant.Role.ADMIN);
            String editor = AccessTest.token(dir, "ada", "*", Grant.Role.EDITOR);
            SyncClient live = write(hub, "team-notes", editor, "héllo team");
            write(hub, "private", editor, "secret plans").close();

            Run rooms = admin("rooms", url, "--token", admin);
            assertEquals(0, rooms.code(), rooms.err());
            String[] lines = rooms.out().strip().split("\n");
            assertEquals(2, lines.length, rooms.out());
            assertTrue(lines[0].startsWith("private\t"), lines[0]);
            String[] team = lines[1].split("\t");
            assertEquals("team-notes", team[0]);
            assertTrue(Long.parseLong(team[1]) > 0, "bytes");
            assertEquals("1", team[2], "members now");
            assertTrue(team[3].startsWith("20"), "last activity " + team[3]);

            Run teamRooms = admin("rooms", url, "--token", teamAdmin);
            assertEquals("team-notes", teamRooms.out().strip().split("\t")[0], "a team admin sees only the team's rooms");
            Run notTheirs = admin("export", url, "private", "--token", teamAdmin);
            assertEquals(1, notTheirs.code());
            assertTrue(notTheirs.err().contains("403"), notTheirs.err());
            Run notAdmin = admin("rooms", url, "--token", editor);
            assertTrue(notAdmin.code() == 1 && notAdmin.err().contains("admin token"), notAdmin.err());
            Run noToken = admin("rooms", url, "--token", "x.y.z");
            assertTrue(noToken.code() == 1 && noToken.err().contains("401"), noToken.err());

            Run export = admin("export", url, "team-notes", "--token", teamAdmin);
            assertEquals(0, export.code(), export.err());
            assertEquals("héllo team", export.out());
            assertEquals(1, admin("export", url, "nowhere", "--token", admin).code());

            Run delete = admin("delete", url, "team-notes", "--token", admin);
            assertEquals(0, delete.code(), delete.err());
            Run after = admin("rooms", url, "--token", admin);
            assertEquals("private", after.out().strip().split("\t")[0]);
            assertEquals(1, after.out().strip().split("\n").length, after.out());
            live.close();
        }
    }

    @Test
    void deleteTellsMembersRoomDeletedWithoutRetry() throws Exception {
        try (Hub hub = AccessTest.tokenHub(dir);
             RawClient member = AccessTest.joined(hub, "doomed", 0x71, AccessTest.token(dir, "ada", "doomed", Grant.Role.EDITOR))) {
            assertEquals(0, admin("delete", TestHubs.uri(hub).toString(), "doomed", "--token", AccessTest.token(dir, "root", "*", Grant.Role.ADMIN)).code());
            Message.Error e = member.expectError("room_deleted", 1008);
            assertTrue(!e.retry());
        }
    }

    /** room_deleted says retry:false: a client holding several hubs stops, it does not carry the room to another hub. */
    @Test
    void deleteIsFinal_forAClientWithSeveralHubs() throws Exception {
        try (Hub hub = AccessTest.tokenHub(dir); Hub open = TestHubs.start(dir.resolve("open"))) {
            java.util.List<dev.tandem.sync.SyncStatus> statuses = new java.util.concurrent.CopyOnWriteArrayList<>();
            SyncConfig config = SyncConfig.builder(java.util.List.of(TestHubs.uri(hub), TestHubs.uri(open)), "doomed", new Doc()).firstHubFirst()
                    .token(AccessTest.token(dir, "ada", "doomed", Grant.Role.EDITOR)).backoff(java.time.Duration.ofMillis(50), java.time.Duration.ofMillis(200)).build();
            try (SyncClient c = SyncClient.start(config, new dev.tandem.sync.SyncListener() {
                @Override public void onStatus(dev.tandem.sync.SyncStatus s) { statuses.add(s); }
            })) {
                TestHubs.sync(c);
                assertEquals(0, admin("delete", TestHubs.uri(hub).toString(), "doomed", "--token", AccessTest.token(dir, "root", "*", Grant.Role.ADMIN)).code());
                TestHubs.awaitTrue("the client gives up", () -> !statuses.get(statuses.size() - 1).retrying());
                assertTrue(statuses.get(statuses.size() - 1).lastError().startsWith("room_deleted"), statuses.toString());
                Thread.sleep(500);
                assertEquals(TestHubs.uri(hub), c.hub());
                assertTrue(statuses.stream().noneMatch(st -> TestHubs.uri(open).equals(st.hub())), "never tried the other hub: " + statuses);
                assertEquals(dev.tandem.sync.SyncStatus.State.OFFLINE, statuses.get(statuses.size() - 1).state());
            }
        }
    }

    @Test
    void resetOnlyARoomThatCannotLoadAndKeepItsBytes() throws Exception {
        try (Hub hub = AccessTest.tokenHub(dir)) {
            String url = TestHubs.uri(hub).toString();
            String admin = AccessTest.token(dir, "root", "*", Grant.Role.ADMIN);
            String editor = AccessTest.token(dir, "ada", "*", Grant.Role.EDITOR);
            write(hub, "broken", editor, "will break").close();
            write(hub, "fine", editor, "fine").close();
            Run refused = admin("reset", url, "fine", "--token", admin);
            assertEquals(1, refused.code());
            assertTrue(refused.err().contains("409") && refused.err().contains("loads"), refused.err());

            // Corrupt the stored log of "broken" beside the running hub (a bad disk, say).
            hub.store().flush().get(10, TimeUnit.SECONDS);
            try (java.sql.Connection c = java.sql.DriverManager.getConnection("jdbc:sqlite:" + dir.resolve("tandem.db"));
                 java.sql.Statement s = c.createStatement()) {
                s.execute("PRAGMA busy_timeout=10000");
                assertEquals(1, s.executeUpdate("UPDATE updates SET data = x'00ff00ff' WHERE room = (SELECT id FROM rooms WHERE name = 'broken')"));
            }
            Run export = admin("export", url, "broken", "--token", admin);
            assertTrue(export.code() == 1 && export.err().contains("reset it"), export.err());

            Run reset = admin("reset", url, "broken", "--token", admin);
            assertEquals(0, reset.code(), reset.err());
            try (var files = Files.list(dir.resolve("reset"))) {
                Path backup = files.findFirst().orElseThrow();
                assertTrue(Files.size(backup) > 8, "the unloadable bytes are kept");
            }
            SyncClient again = write(hub, "broken", editor, "fresh");
            assertEquals("fresh", TestHubs.text(again));
            again.close();
        }
    }

    @Test
    void noAdminEndpointsWithAuthNone() throws Exception {
        try (Hub hub = TestHubs.start(dir)) {
            HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + hub.port() + "/admin/rooms")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertEquals(403, r.statusCode());
        }
    }
}
