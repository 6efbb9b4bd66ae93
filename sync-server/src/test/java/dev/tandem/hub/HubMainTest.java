package dev.tandem.hub;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import picocli.CommandLine;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The cat and append subcommands against a real hub, and their exit codes when things go wrong. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class HubMainTest {
    @TempDir
    Path dir;

    private record Run(int code, String out, String err) {}

    private static Run run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine cl = HubMain.commandLine();
        cl.setOut(new PrintWriter(out, true));
        cl.setErr(new PrintWriter(err, true));
        java.io.PrintStream oldErr = System.err;
        java.io.ByteArrayOutputStream captured = new java.io.ByteArrayOutputStream();
        System.setErr(new java.io.PrintStream(captured, true, java.nio.charset.StandardCharsets.UTF_8));
        try {
            int code = HubMain.execute(cl, args);
            return new Run(code, out.toString(), err + captured.toString(java.nio.charset.StandardCharsets.UTF_8));
        } finally {
            System.setErr(oldErr);
        }
    }

    @Test
    void appendThenCatPrintsTheRoom() throws Exception {
        try (Hub hub = TestHubs.start(dir)) {
            String url = "ws://127.0.0.1:" + hub.port();
            assertEquals(0, run("append", url, "notes", "héllo ").code());
            assertEquals(0, run("append", url, "notes", "wörld").code());
            Run cat = run("cat", url, "notes");
            assertEquals(0, cat.code(), cat.err());
            assertEquals("héllo wörld", cat.out());
            Run empty = run("cat", url, "never-written");
            assertEquals(0, empty.code());
            assertEquals("", empty.out());
        }
    }

    @Test
    void appendAndCatTakeSeveralHubs_andSkipADeadOne() throws Exception {
        int dead;
        try (ServerSocket s = new ServerSocket(0)) {
            dead = s.getLocalPort();
        }
        try (Hub hub = TestHubs.start(dir)) {
            String live = "ws://127.0.0.1:" + hub.port();
            // Random start: run a few times so the dead address is tried first at least once (odds 1 - 2^-6).
            StringBuilder expected = new StringBuilder();
            for (int i = 0; i < 6; i++) {
                Run r = run("append", "ws://127.0.0.1:" + dead + "," + live, "notes", "line " + i + " ");
                assertEquals(0, r.code(), r.err());
                expected.append("line ").append(i).append(' ');
            }
            Run shortForm = run("append", "ws://127.0.0.1:" + dead + ",127.0.0.1:" + hub.port(), "notes", "short");
            assertEquals(0, shortForm.code(), shortForm.err());
            expected.append("short");
            Run cat = run("cat", "ws://127.0.0.1:" + dead + ", " + live, "notes");
            assertEquals(0, cat.code(), cat.err());
            assertEquals(expected.toString(), cat.out());
        }
        Run allDown = run("cat", "ws://127.0.0.1:" + dead + ",ws://127.0.0.1:" + dead + "/x", "notes", "--timeout", "2s");
        assertEquals(1, allDown.code());
        assertTrue(allDown.err().contains("no answer from ws://127.0.0.1:" + dead + ",ws://127.0.0.1:" + dead + "/x"), allDown.err());
        Run badList = run("cat", "ws://127.0.0.1:1,http://127.0.0.1:2", "notes");
        assertEquals(2, badList.code());
        assertTrue(badList.err().contains("ws:// or wss://, was http://127.0.0.1:2"), badList.err());
        Run twice = run("cat", "ws://127.0.0.1:1,ws://127.0.0.1:1", "notes");
        assertEquals(2, twice.code());
        assertTrue(twice.err().contains("listed twice"), twice.err());
        Run help = run("append", "--help");
        assertTrue(help.out().contains("comma-separated"), help.out());
    }

    @Test
    void appendFailsWithAMessageWhenTheHubIsDownOrRefuses() throws Exception {
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        Run down = run("append", "ws://127.0.0.1:" + port, "notes", "x", "--timeout", "2s");
        assertEquals(1, down.code());
        assertTrue(down.err().contains("no answer"), down.err());

        Run badRoom = run("append", "ws://127.0.0.1:" + port, "no/slashes", "x", "--timeout", "2s");
        assertEquals(2, badRoom.code());
        assertTrue(badRoom.err().contains("invalid"), badRoom.err());

        Run badUrl = run("cat", "http://127.0.0.1:" + port, "notes");
        assertEquals(2, badUrl.code());
        assertTrue(badUrl.err().contains("ws://"), badUrl.err());
    }

    @Test
    void serveRejectsBadOptions() {
        Run r = run("serve", "--port", "70000", "--data", dir.toString());
        assertEquals(2, r.code());
        assertTrue(r.err().contains("port"), r.err());
        Run held = run("serve", "--port", "0", "--max-held-runs", "-1", "--data", dir.toString());
        assertEquals(2, held.code());
        assertTrue(held.err().contains("max held runs was -1"), held.err());
        Run store = run("serve", "--port", "0", "--store", "mysql://db/tandem", "--data", dir.toString());
        assertEquals(2, store.code());
        assertTrue(store.err().contains("unknown scheme \"mysql\""), store.err());
        Run noDb = run("serve", "--port", "0", "--store", "postgresql://127.0.0.1:5432/?user=hub&password=hunter2", "--data", dir.toString());
        assertEquals(2, noDb.code());
        assertTrue(noDb.err().contains("no database") && !noDb.err().contains("hunter2"), noDb.err());
    }

    @Test
    void aHubWhoseDatabaseIsUnreachableDoesNotStartAndSaysWhy() throws Exception {
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        Run r = run("serve", "--port", "0", "--auth", "none", "--store", "postgresql://127.0.0.1:" + port + "/tandem?user=hub&password=hunter2",
                "--data", dir.toString());
        assertEquals(1, r.code());
        assertTrue(r.err().contains("cannot start") && r.err().contains("127.0.0.1:" + port), r.err());
        assertTrue(!r.err().contains("hunter2"), r.err());
    }

    @Test
    void authNoneIsRefusedOffLoopback() {
        Run r = run("serve", "--port", "0", "--auth", "none", "--host", "0.0.0.0", "--data", dir.toString());
        assertEquals(2, r.code());
        assertTrue(r.err().contains("--auth none") && r.err().contains("0.0.0.0"), r.err());
    }

    @Test
    void tokenCommandIssuesWhatTheHubAcceptsAndCatNeedsIt() throws Exception {
        Path data = dir.resolve("hub");
        try (Hub hub = Hub.start(TestHubs.config(data).withSecurity(HubSecurity.defaults()))) {
            String url = "ws://127.0.0.1:" + hub.port();
            Run t = run("token", "--data", data.toString(), "--room", "notes", "--role", "editor", "--user", "ada", "--name", "Ada L", "--ttl", "2h",
                    "--invite", url);
            assertEquals(0, t.code(), t.err());
            String[] lines = t.out().strip().split("\n");
            String token = lines[lines.length - 2];
            Grant g = Tokens.ownKey(data).verify(token, "notes");
            assertEquals(new Grant("ada", "Ada L", "notes", Grant.Role.EDITOR, g.expires()), g);
            assertTrue(java.time.Duration.between(java.time.Instant.now(), g.expires()).toMinutes() > 110);
            assertEquals(url + "/rooms/notes#token=" + token, lines[lines.length - 1]);
            assertEquals(new dev.tandem.sync.Invite(java.net.URI.create(url), "notes", token, null), dev.tandem.sync.Invite.parse(lines[lines.length - 1]));

            assertEquals(0, run("append", url, "notes", "hi", "--token", token).code());
            Run cat = run("cat", url, "notes", "--token", token);
            assertEquals("hi", cat.out(), cat.err());
            Run without = run("cat", url, "notes", "--timeout", "5s");
            assertEquals(1, without.code());
            assertTrue(without.err().contains("unauthorized"), without.err());

            Run several = run("token", "--data", data.toString(), "--room", "notes", "--role", "editor", "--invite", "wss://a.example:7443,wss://b.example:7443");
            assertEquals(0, several.code(), several.err());
            String[] sl = several.out().strip().split("\n");
            assertEquals("wss://a.example:7443,b.example:7443/rooms/notes#token=" + sl[sl.length - 2], sl[sl.length - 1]);
            Run mixed = run("token", "--data", data.toString(), "--room", "notes", "--role", "editor", "--invite", "wss://a.example:7443,ws://b.example:7070");
            assertEquals(2, mixed.code());
            assertTrue(mixed.err().contains("all be ws:// or all wss://"), mixed.err());

            Run bad = run("token", "--data", data.toString(), "--room", "notes", "--role", "owner");
            assertEquals(2, bad.code());
            assertTrue(bad.err().contains("--role"), bad.err());
            Run badName = run("token", "--data", data.toString(), "--room", "notes", "--role", "viewer", "--name", "Eve\u202Eevil");
            assertEquals(2, badName.code(), badName.err());
        }
    }

    @Test
    void versionPrintsTheProjectVersion() {
        String expected = System.getProperty("tandem.expectedVersion");
        assertTrue(expected != null && !expected.isBlank(), "surefire passes the POM's version");
        for (String[] args : new String[][] {{"--version"}, {"serve", "--version"}}) {
            Run r = run(args);
            assertEquals(0, r.code(), r.err());
            assertEquals("tandem-hub " + expected + ", protocol " + dev.tandem.protocol.Message.PROTOCOL + System.lineSeparator(), r.out());
        }
    }
}
