package dev.tandem.hub;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import dev.tandem.crdt.Doc;
import dev.tandem.protocol.Message;
import dev.tandem.sync.SyncClient;
import dev.tandem.sync.SyncConfig;
import dev.tandem.sync.SyncListener;
import dev.tandem.sync.SyncStatus;
import dev.tandem.sync.TlsTrust;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** TLS with pinned certificates, Origin, per-address and per-room limits, the store bound, the admin port: real sockets. */
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class TransportTest {
    @TempDir
    static Path certs;
    @TempDir
    Path dir;

    /**
     * Self-signed for 127.0.0.1, made with the JDK's keytool (CI has only a JDK), the key written
     * out as the PKCS#8 PEM an operator's openssl or certbot gives.
     */
    static Path cert;
    static Path key;
    static Path otherCert;

    @BeforeAll
    static void makeCertificates() throws Exception {
        cert = certs.resolve("hub.pem");
        key = certs.resolve("hub.key");
        otherCert = certs.resolve("other.pem");
        selfSigned(cert, key);
        selfSigned(otherCert, certs.resolve("other.key"));
    }

    static void selfSigned(Path certFile, Path keyFile) throws Exception {
        Path store = certFile.resolveSibling(certFile.getFileName() + ".p12");
        String keytool = Path.of(System.getProperty("java.home"), "bin", "keytool").toString();
        run(keytool, "-genkeypair", "-alias", "hub", "-keyalg", "RSA", "-keysize", "2048", "-dname", "CN=127.0.0.1", "-ext", "san=ip:127.0.0.1",
                "-validity", "2", "-keystore", store.toString(), "-storetype", "PKCS12", "-storepass", "changeit");
        run(keytool, "-exportcert", "-rfc", "-alias", "hub", "-keystore", store.toString(), "-storepass", "changeit", "-file", certFile.toString());
        java.security.KeyStore ks = java.security.KeyStore.getInstance("PKCS12");
        try (var in = Files.newInputStream(store)) {
            ks.load(in, "changeit".toCharArray());
        }
        byte[] pkcs8 = ks.getKey("hub", "changeit".toCharArray()).getEncoded();
        Files.writeString(keyFile, "-----BEGIN PRIVATE KEY-----\n" + java.util.Base64.getMimeEncoder(64, "\n".getBytes()).encodeToString(pkcs8)
                + "\n-----END PRIVATE KEY-----\n");
    }

    private static void run(String... cmd) throws Exception {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        assertTrue(p.waitFor(60, TimeUnit.SECONDS) && p.exitValue() == 0, String.join(" ", cmd) + " failed: " + out);
    }

    static String fingerprint(Path pem) throws Exception {
        try (var in = Files.newInputStream(pem)) {
            return TlsTrust.fingerprint((X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(in));
        }
    }

    private Hub tlsHub() throws Exception {
        return Hub.start(TestHubs.config(dir).withSecurity(TestHubs.open(HubSecurity.none()).withTls(cert, key)));
    }

    private static SyncClient client(URI hub, TlsTrust trust, CompletableFuture<SyncStatus> failed) {
        return SyncClient.start(SyncConfig.builder(hub, "notes", new Doc()).trust(trust).coalesce(Duration.ZERO)
                .backoff(Duration.ofMillis(50), Duration.ofMillis(200)).build(), new SyncListener() {
                    @Override
                    public void onStatus(SyncStatus s) {
                        if (s.lastError() != null && failed != null) failed.complete(s);
                    }
                });
    }

    @Test
    void tlsWithAPinnedCertificateOrFingerprintSyncs() throws Exception {
        try (Hub hub = tlsHub()) {
            assertEquals("wss", hub.scheme());
            URI wss = URI.create("wss://127.0.0.1:" + hub.port());
            SyncClient byFile = client(wss, TlsTrust.withCertificate(cert), null);
            SyncClient byFingerprint = client(wss, TlsTrust.withFingerprint(fingerprint(cert)), null);
            try {
                TestHubs.sync(byFile);
                TestHubs.sync(byFingerprint);
                byFile.edit(d -> d.insert(0, "over tls")).get(10, TimeUnit.SECONDS);
                TestHubs.awaitText(byFingerprint, "over tls");
            } finally {
                byFile.close();
                byFingerprint.close();
            }
            // https:// on the same port.
            HttpResponse<String> health = HttpClient.newBuilder().sslContext(TlsTrust.withCertificate(cert).sslContext()).build()
                    .send(HttpRequest.newBuilder(URI.create("https://127.0.0.1:" + hub.port() + "/healthz")).build(), HttpResponse.BodyHandlers.ofString());
            assertEquals(200, health.statusCode());
        }
    }

    @Test
    void aWrongCertificateIsAClearErrorAndNeverAFallback() throws Exception {
        try (Hub hub = tlsHub()) {
            CompletableFuture<SyncStatus> failed = new CompletableFuture<>();
            SyncClient c = client(URI.create("wss://127.0.0.1:" + hub.port()), TlsTrust.withCertificate(otherCert), failed);
            try {
                String error = failed.get(20, TimeUnit.SECONDS).lastError();
                assertTrue(error.contains("not trusted") && error.contains(fingerprint(cert)), error);
                assertTrue(!c.synced().isDone(), "never synced");
            } finally {
                c.close();
            }
            CompletableFuture<SyncStatus> system = new CompletableFuture<>();
            SyncClient d = client(URI.create("wss://127.0.0.1:" + hub.port()), null, system);
            try {
                String error = system.get(20, TimeUnit.SECONDS).lastError();
                assertTrue(error.contains("cannot connect"), error);
            } finally {
                d.close();
            }
            // Plain ws:// to the TLS port gets no WebSocket either.
            CompletableFuture<SyncStatus> plain = new CompletableFuture<>();
            SyncClient e = client(URI.create("ws://127.0.0.1:" + hub.port()), null, plain);
            try {
                plain.get(20, TimeUnit.SECONDS);
                assertTrue(!e.synced().isDone());
            } finally {
                e.close();
            }
        }
    }

    @Test
    void aSchemeThatDoesNotMatchTheHubIsAClearError() throws Exception {
        try (Hub hub = tlsHub(); Hub plain = TestHubs.start(dir.resolve("plain"))) {
            CompletableFuture<SyncStatus> failed = new CompletableFuture<>();
            SyncClient c = client(URI.create("ws://127.0.0.1:" + hub.port()), null, failed);
            try {
                String error = failed.get(20, TimeUnit.SECONDS).lastError();
                assertEquals("the hub at 127.0.0.1:" + hub.port() + " speaks TLS: use wss://127.0.0.1:" + hub.port(), error);
            } finally {
                c.close();
            }
            CompletableFuture<SyncStatus> failedToo = new CompletableFuture<>();
            SyncClient d = client(URI.create("wss://127.0.0.1:" + plain.port()), TlsTrust.withCertificate(cert), failedToo);
            try {
                String error = failedToo.get(20, TimeUnit.SECONDS).lastError();
                assertEquals("the hub at 127.0.0.1:" + plain.port() + " does not speak TLS: use ws://127.0.0.1:" + plain.port(), error);
            } finally {
                d.close();
            }
        }
    }

    @Test
    void aForeignOriginIsRefusedBeforeTheUpgrade() throws Exception {
        try (Hub hub = Hub.start(TestHubs.config(dir).withSecurity(TestHubs.open(HubSecurity.none()).withAllowedOrigins(List.of("https://editor.example.org"))))) {
            ExecutionException e = assertThrows(ExecutionException.class,
                    () -> RawClient.connect(hub.port(), "notes", Map.of("Origin", "https://evil.example")));
            assertTrue(String.valueOf(e.getCause()).contains("403"), String.valueOf(e.getCause()));
            try (RawClient ok = RawClient.connect(hub.port(), "notes", Map.of("Origin", "https://editor.example.org"))) {
                ok.text(RawClient.hello(0x1, dev.tandem.crdt.Version.EMPTY));
                ok.expect(Message.Welcome.class);
            }
            try (RawClient desktop = RawClient.joined(hub.port(), "notes", 0x2)) {
                assertTrue(desktop.isOpen(), "no Origin: a desktop client");
            }
        }
    }

    @Test
    void perAddressLimitsSurviveReconnects() throws Exception {
        try (Hub hub = Hub.start(TestHubs.config(dir).withSecurity(HubSecurity.none().withAddressLimits(3, 6)))) {
            List<RawClient> open = new ArrayList<>();
            for (int i = 1; i <= 3; i++) open.add(RawClient.joined(hub.port(), "notes", i));
            try (RawClient fourth = RawClient.connect(hub.port(), "notes")) {
                fourth.expectError("too_many_connections", 1013);
            }
            open.remove(0).close();
            TestHubs.awaitTrue("the closed connection is uncounted", () -> hub.metrics().scrape().contains("tandem_connections 2"));
            // Joins: 3 used; 3 more fit in the minute, however often the client reconnects.
            for (int i = 10; i < 13; i++) {
                try (RawClient c = RawClient.joined(hub.port(), "notes", i)) {
                    assertTrue(c.isOpen());
                }
            }
            // A close is asynchronous: until the hub has uncounted them, the next connection
            // could meet the connection limit (3) instead of the join limit this checks.
            TestHubs.awaitTrue("the closed connections are uncounted", () -> hub.metrics().scrape().contains("tandem_connections 2"));
            try (RawClient c = RawClient.connect(hub.port(), "notes")) {
                c.text(RawClient.hello(0x20, dev.tandem.crdt.Version.EMPTY));
                assertTrue(c.expectError("too_many_connections", 1013).message().contains("joins a minute"));
            }
            for (RawClient c : open) c.close();
        }
    }

    @Test
    void membersPerRoomAreBounded() throws Exception {
        try (Hub hub = Hub.start(TestHubs.config(dir).withSecurity(TestHubs.open(HubSecurity.none()).withMaxMembersPerRoom(2)));
             RawClient a = RawClient.joined(hub.port(), "notes", 1);
             RawClient b = RawClient.joined(hub.port(), "notes", 2);
             RawClient c = RawClient.connect(hub.port(), "notes")) {
            c.text(RawClient.hello(3, dev.tandem.crdt.Version.EMPTY));
            assertTrue(c.expectError("too_many_connections", 1013).message().contains("maximum of 2 members"));
            RawClient.joined(hub.port(), "elsewhere", 3).close();
        }
    }

    @Test
    void aFullStoreRefusesNewRoomsButServesExistingOnes() throws Exception {
        try (Hub hub = TestHubs.start(dir)) {
            SyncClient w = TestHubs.client(hub, "existing");
            TestHubs.sync(w);
            w.edit(d -> d.insert(0, "kept")).get();
            w.flush().get(10, TimeUnit.SECONDS);
            w.close();
        }
        try (Hub hub = Hub.start(TestHubs.config(dir).withSecurity(TestHubs.open(HubSecurity.none()).withMaxStoreBytes(1024)))) {
            try (RawClient fresh = RawClient.connect(hub.port(), "new-room")) {
                fresh.text(RawClient.hello(5, dev.tandem.crdt.Version.EMPTY));
                assertTrue(!fresh.expectError("store_full", 1008).retry());
            }
            SyncClient again = TestHubs.client(hub, "existing");
            try {
                TestHubs.awaitText(again, "kept");
                again.edit(d -> d.insert(4, "!")).get();
                again.flush().get(10, TimeUnit.SECONDS);
            } finally {
                again.close();
            }
        }
    }

    @Test
    void metricsAndHealthCanMoveToALoopbackAdminPort() throws Exception {
        try (Hub hub = Hub.start(TestHubs.config(dir).withSecurity(TestHubs.open(HubSecurity.none()).withAdminPort(0)))) {
            HttpClient http = HttpClient.newHttpClient();
            assertEquals(200, http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + hub.adminPort() + "/healthz")).build(),
                    HttpResponse.BodyHandlers.ofString()).statusCode());
            assertEquals(200, http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + hub.adminPort() + "/metrics")).build(),
                    HttpResponse.BodyHandlers.ofString()).statusCode());
            assertEquals(404, http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + hub.port() + "/metrics")).build(),
                    HttpResponse.BodyHandlers.ofString()).statusCode());
            assertThrows(ExecutionException.class, () -> RawClient.connect(hub.adminPort(), "notes"));
            RawClient.joined(hub.port(), "notes", 1).close();
        }
    }
}
