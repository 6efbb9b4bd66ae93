package dev.tandem.hub;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.condition.DisabledOnOs;
import org.junit.jupiter.api.condition.OS;
import org.junit.jupiter.api.io.TempDir;

import dev.tandem.crdt.Doc;
import dev.tandem.protocol.Message;
import dev.tandem.protocol.Wire;
import dev.tandem.sync.SyncClient;
import dev.tandem.sync.SyncConfig;

import java.net.URI;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import static dev.tandem.hub.TestHubs.sync;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The hub as an operator runs it: real processes, exit statuses, and what they print. */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class HubProcessTest {
    @TempDir
    Path dir;

    private static SyncClient client(int port, String room) {
        return SyncClient.start(SyncConfig.builder(URI.create("ws://127.0.0.1:" + port), room, new Doc()).user("ops", "#123456").build(), null);
    }

    @Test
    void aSecondHubOnTheSameDataDirectoryExitsAtOnceNamingItAndTheFirstKeepsServing() throws Exception {
        try (ChildHub first = ChildHub.start(dir)) {
            int port = first.awaitListening();
            try (ChildHub second = ChildHub.start(dir)) {
                int status = second.awaitExit(60);
                String out = second.output();
                assertNotEquals(0, status, out);
                assertTrue(out.contains(dir.toAbsolutePath().toString()), "names the directory: " + out);
                assertTrue(out.contains("pid " + first.process.pid()), "names the process holding it: " + out);
                assertTrue(!out.contains("listening"), out);
            }
            // The first one was not disturbed: it still stores and serves.
            try (SyncClient a = client(port, "still-here")) {
                sync(a);
                a.edit(d -> d.insert(0, "served")).get();
                a.flush().get(20, TimeUnit.SECONDS);
            }
            try (SyncClient b = client(port, "still-here")) {
                sync(b);
                assertEquals("served", b.text().get(10, TimeUnit.SECONDS));
            }
        }
    }

    @Test
    @DisabledOnOs(value = OS.WINDOWS, disabledReason = "no SIGTERM: Process.destroy() terminates at once there")
    void sigtermStopsGracefullyWithExitStatusZeroAndKeepsEverything() throws Exception {
        int port;
        try (ChildHub hub = ChildHub.start(dir)) {
            port = hub.awaitListening();
            try (SyncClient a = client(port, "stopped")) {
                sync(a);
                a.edit(d -> d.insert(0, "before SIGTERM")).get();
                a.flush().get(20, TimeUnit.SECONDS);
                hub.sigterm();
                int status = hub.awaitExit(30);
                assertEquals(0, status, "exit status after a graceful stop; output:\n" + hub.output());
                assertTrue(hub.output().contains("hub stopped"), hub.output());
            }
        }
        try (Hub restarted = TestHubs.start(dir); SyncClient c = TestHubs.client(restarted, "stopped")) {
            sync(c);
            assertEquals("before SIGTERM", TestHubs.text(c));
        }
    }

    @Test
    void aNameMadeToForgeALogLineIsRefusedAndLoggedEscaped() throws Exception {
        String forged = "2026-01-01 00:00:00.000:INFO :dth.Hub:main: hub stopped";
        try (ChildHub hub = ChildHub.start(dir)) {
            int port = hub.awaitListening();
            try (RawClient c = RawClient.connect(port, "logs")) {
                c.text(Wire.write(new Message.Hello(Message.PROTOCOL, Wire.replica(0xf0), new Message.User("Mallory\n" + forged, "#000000"), "VgEA", null, "secret-of-mallory-f0")));
                c.expectError("bad_message", 1008);
            }
            // The hub logs each error it sends; the refusal is the last thing it does here.
            TestHubs.awaitTrue("the refusal is logged", () -> hub.output().contains("bad_message"));
            hub.sigterm();
            hub.awaitExit(30);
            String out = hub.output();
            assertTrue(out.lines().noneMatch(l -> l.startsWith(forged)), "a client forged a log line:\n" + out);
            assertTrue(out.contains("Mallory\\u000a2026-01-01"), "the name is logged escaped:\n" + out);
        }
    }

    @Test
    void aRealHubProcessNeedsTokensByDefaultAndTheTokenCommandMakesThem() throws Exception {
        try (ChildHub hub = ChildHub.start(dir, "--auth", "token")) {
            int port = hub.awaitListening();
            // Issued beside the running hub, from its data directory, as an operator would.
            String editor = Tokens.issue(dir, "ada", "Ada", "notes", Grant.Role.EDITOR, java.time.Duration.ofMinutes(10));
            String viewer = Tokens.issue(dir, "val", "Val", "notes", Grant.Role.VIEWER, java.time.Duration.ofMinutes(10));
            try (RawClient none = RawClient.connect(port, "notes")) {
                none.text(RawClient.hello(0x1, dev.tandem.crdt.Version.EMPTY));
                none.expectError("unauthorized", 1008);
            }
            try (RawClient other = RawClient.connect(port, "other")) {
                other.text(AccessTest.hello(0x2, editor));
                other.expectError("unauthorized", 1008);
            }
            try (RawClient ed = RawClient.connect(port, "notes"); RawClient view = RawClient.connect(port, "notes")) {
                ed.text(AccessTest.hello(0x3, editor));
                ed.expect(Message.Welcome.class);
                view.text(AccessTest.hello(0x4, viewer));
                view.expect(Message.Welcome.class);
                view.nextBinary();
                view.binary(dev.tandem.protocol.Frames.push(1, new dev.tandem.crdt.Doc(0x4).insert(0, "x").encode()).array());
                view.expectError("forbidden", 1008);
            }
            assertTrue(hub.output().contains("unauthorized") && !hub.output().contains(editor), "tokens never reach the log");
            hub.sigterm();
            assertEquals(0, hub.awaitExit(30));
        }
    }

    @Test
    void aRealHubProcessServesTlsRefusesForeignOriginsAndCountsConnectionsPerAddress() throws Exception {
        Path cert = dir.resolve("cert.pem");
        Path key = dir.resolve("key.pem");
        TransportTest.selfSigned(cert, key);
        Path data = dir.resolve("data");
        try (ChildHub hub = ChildHub.start(data, "--auth", "token", "--tls-cert", cert.toString(), "--tls-key", key.toString(),
                "--max-connections-per-ip", "2", "--allow-origin", "https://editor.example.org")) {
            int port = hub.awaitListening();
            assertTrue(hub.output().contains("listening on wss://"), hub.output());
            String token = Tokens.issue(data, "ada", "Ada", "notes", Grant.Role.EDITOR, java.time.Duration.ofMinutes(10));
            java.net.URI wss = java.net.URI.create("wss://127.0.0.1:" + port);
            SyncClient a = SyncClient.start(dev.tandem.sync.SyncConfig.builder(wss, "notes", new dev.tandem.crdt.Doc()).token(token)
                    .trust(dev.tandem.sync.TlsTrust.withCertificate(cert)).build(), null);
            SyncClient b = SyncClient.start(dev.tandem.sync.SyncConfig.builder(wss, "notes", new dev.tandem.crdt.Doc()).token(token)
                    .trust(dev.tandem.sync.TlsTrust.withFingerprint(TransportTest.fingerprint(cert))).build(), null);
            try {
                sync(a);
                sync(b);
                a.edit(d -> d.insert(0, "over wss")).get();
                TestHubs.awaitText(b, "over wss");
                // Two connections from 127.0.0.1 are open: a third is refused, over TLS as over ws.
                java.util.concurrent.CompletableFuture<String> refused = new java.util.concurrent.CompletableFuture<>();
                SyncClient c = SyncClient.start(dev.tandem.sync.SyncConfig.builder(wss, "notes", new dev.tandem.crdt.Doc()).token(token)
                        .trust(dev.tandem.sync.TlsTrust.withCertificate(cert)).build(), new dev.tandem.sync.SyncListener() {
                            @Override
                            public void onStatus(dev.tandem.sync.SyncStatus s) {
                                if (s.lastError() != null) refused.complete(s.lastError());
                            }
                        });
                try {
                    assertTrue(refused.get(20, TimeUnit.SECONDS).startsWith("too_many_connections"));
                } finally {
                    c.close();
                }
            } finally {
                a.close();
                b.close();
            }
            // A web page's WebSocket (it carries the page's Origin), over wss:// to the real process.
            org.eclipse.jetty.util.ssl.SslContextFactory.Client ssl = new org.eclipse.jetty.util.ssl.SslContextFactory.Client();
            ssl.setSslContext(dev.tandem.sync.TlsTrust.withCertificate(cert).sslContext());
            org.eclipse.jetty.client.HttpClient http = new org.eclipse.jetty.client.HttpClient();
            http.setSslContextFactory(ssl);
            org.eclipse.jetty.websocket.client.WebSocketClient browser = new org.eclipse.jetty.websocket.client.WebSocketClient(http);
            browser.start();
            try {
                for (String origin : new String[] {"https://evil.example", "https://editor.example.org"}) {
                    org.eclipse.jetty.websocket.client.ClientUpgradeRequest req = new org.eclipse.jetty.websocket.client.ClientUpgradeRequest();
                    req.setHeader("Origin", origin);
                    java.util.concurrent.CompletableFuture<org.eclipse.jetty.websocket.api.Session> s =
                            browser.connect(new RawClient().new Listener(), java.net.URI.create(wss + "/rooms/notes"), req);
                    if (origin.contains("evil")) {
                        java.util.concurrent.ExecutionException e = org.junit.jupiter.api.Assertions.assertThrows(java.util.concurrent.ExecutionException.class,
                                () -> s.get(20, TimeUnit.SECONDS));
                        assertTrue(String.valueOf(e.getCause()).contains("403"), String.valueOf(e.getCause()));
                    } else {
                        s.get(20, TimeUnit.SECONDS).close();
                    }
                }
            } finally {
                browser.stop();
            }
            hub.sigterm();
            assertEquals(0, hub.awaitExit(30));
        }
    }
}
