package dev.tandem.client;

import dev.tandem.crdt.Doc;
import dev.tandem.hub.Grant;
import dev.tandem.sync.Invite;
import dev.tandem.sync.SyncClient;
import dev.tandem.sync.SyncConfig;
import dev.tandem.sync.SyncListener;
import dev.tandem.sync.SyncStatus;
import dev.tandem.sync.TlsTrust;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.*;

/**
 * "Host on this computer" runs a hub with tokens and TLS: its certificate is made once and kept
 * in the profile, it admits the tokens it mints (the host's own, editor and viewer invites) and
 * refuses everyone else. Real hub, real sockets on 127.0.0.1.
 */
class EmbeddedHostTest {
    static final long WAIT = 15;
    @TempDir Path dir;

    /** A client with this access; {@code failed} completes with the first status that carries an error. */
    static SyncClient client(URI server, String room, Access access, CompletableFuture<SyncStatus> failed) {
        return SyncClient.start(SyncConfig.builder(server, room, new Doc()).user("probe", "#000000")
                .token(access.token()).trust(access.trust()).coalesce(Duration.ZERO)
                .backoff(Duration.ofMillis(50), Duration.ofMillis(200)).build(), new SyncListener() {
                    @Override public void onStatus(SyncStatus s) {
                        if (s.lastError() != null && failed != null) failed.complete(s);
                    }
                });
    }

    @Test
    void certificateIsMadeOnceAndKept_keyIsOwnerOnly() throws Exception {
        String first;
        try (EmbeddedHost h = EmbeddedHost.start(dir, "127.0.0.1", 0)) {
            first = h.fingerprint();
            assertEquals("wss://127.0.0.1:" + h.port(), h.localServer().toString());
        }
        Path tls = dir.resolve(EmbeddedHost.TLS_DIR);
        if (Files.getFileStore(tls).supportsFileAttributeView("posix")) {
            assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(tls.resolve(HostTls.KEY))));
            assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(dir.resolve("hub").resolve("token-hmac.key"))));
        }
        try (EmbeddedHost h = EmbeddedHost.start(dir, "127.0.0.1", 0)) {
            assertEquals(first, h.fingerprint(), "a restart keeps the certificate, so invites already sent stay valid");
        }
        try (var files = Files.list(tls)) {
            assertEquals(2, files.count(), "no temporary key store left behind");
        }
    }

    @Test
    void aCorruptCertificateIsReported_neverReplaced() throws Exception {
        Path tls = dir.resolve(EmbeddedHost.TLS_DIR);
        HostTls.loadOrCreate(tls);
        Files.writeString(tls.resolve(HostTls.CERT), "-----BEGIN CERTIFICATE-----\nnot base64 at all\n-----END CERTIFICATE-----\n");
        Exception e = assertThrows(Exception.class, () -> EmbeddedHost.start(dir, "127.0.0.1", 0));
        assertTrue(e.getMessage().contains("is not a PEM certificate"), e.getMessage());
        assertTrue(Files.readString(tls.resolve(HostTls.CERT)).contains("not base64 at all"), "left as it was");
        Files.write(tls.resolve(HostTls.CERT), new byte[100_000]);
        e = assertThrows(Exception.class, () -> EmbeddedHost.start(dir, "127.0.0.1", 0));
        assertTrue(e.getMessage().contains("larger than a certificate"), e.getMessage());
    }

    @Test
    void hostAndInvitedEditorSync_viewerMayNotEdit_noTokenOrWrongPinIsRefused() throws Exception {
        try (EmbeddedHost h = EmbeddedHost.start(dir, "127.0.0.1", 0)) {
            Access own = h.ownAccess("notes", "Ada");
            assertFalse(own.viewOnly());
            Invite editor = Invite.parse(h.invite("notes", Grant.Role.EDITOR).format());
            Invite viewer = Invite.parse(h.invite("notes", Grant.Role.VIEWER).format());
            assertEquals(h.localServer(), editor.hub(), "listening on 127.0.0.1 only: the invite names 127.0.0.1");
            assertEquals(h.fingerprint(), editor.sha256());
            assertFalse(Access.of(editor).viewOnly());
            assertTrue(Access.of(viewer).viewOnly());

            try (SyncClient host = client(h.localServer(), "notes", own, null);
                 SyncClient guest = client(editor.hub(), "notes", Access.of(editor), null)) {
                host.synced().get(WAIT, TimeUnit.SECONDS);
                host.edit(d -> d.insert(0, "from the host")).get(WAIT, TimeUnit.SECONDS);
                host.flush().get(WAIT, TimeUnit.SECONDS);
                guest.synced().get(WAIT, TimeUnit.SECONDS);
                guest.edit(d -> d.insert(d.length(), ", and a guest")).get(WAIT, TimeUnit.SECONDS);
                guest.flush().get(WAIT, TimeUnit.SECONDS);
                long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(WAIT);
                while (!host.text().get().equals("from the host, and a guest") && System.nanoTime() < end) Thread.sleep(20);
                assertEquals("from the host, and a guest", host.text().get());
            }

            CompletableFuture<SyncStatus> viewerFailed = new CompletableFuture<>();
            try (SyncClient v = client(viewer.hub(), "notes", Access.of(viewer), viewerFailed)) {
                v.synced().get(WAIT, TimeUnit.SECONDS);
                assertEquals("from the host, and a guest", v.text().get(), "a viewer reads");
                v.edit(d -> d.insert(0, "x")).get(WAIT, TimeUnit.SECONDS);
                SyncStatus s = viewerFailed.get(WAIT, TimeUnit.SECONDS);
                assertTrue(s.lastError().startsWith("forbidden"), s.lastError());
            }

            CompletableFuture<SyncStatus> noToken = new CompletableFuture<>();
            try (SyncClient c = client(h.localServer(), "notes", new Access(null, h.fingerprint()), noToken)) {
                SyncStatus s = noToken.get(WAIT, TimeUnit.SECONDS);
                assertTrue(s.lastError().startsWith("unauthorized"), s.lastError());
            }
            CompletableFuture<SyncStatus> otherRoom = new CompletableFuture<>();
            try (SyncClient c = client(h.localServer(), "other", Access.of(editor), otherRoom)) {
                assertTrue(otherRoom.get(WAIT, TimeUnit.SECONDS).lastError().startsWith("unauthorized"), "an invite is for its room only");
            }
            CompletableFuture<SyncStatus> wrongPin = new CompletableFuture<>();
            try (SyncClient c = client(h.localServer(), "notes", new Access(own.token(), "ab".repeat(32)), wrongPin)) {
                String error = wrongPin.get(WAIT, TimeUnit.SECONDS).lastError();
                assertTrue(error.contains(h.fingerprint()) && error.contains("not trusted"), error);
            }
            CompletableFuture<SyncStatus> plain = new CompletableFuture<>();
            try (SyncClient c = client(URI.create("ws://127.0.0.1:" + h.port()), "notes", own, plain)) {
                assertNotNull(plain.get(WAIT, TimeUnit.SECONDS).lastError(), "no plain ws:// on the hosted port");
                assertThrows(Exception.class, () -> c.synced().get(1, TimeUnit.SECONDS));
            }
        }
    }

    @Test
    void onTheNetwork_theInviteNamesThisMachinesAddress() throws Exception {
        try (EmbeddedHost h = EmbeddedHost.start(dir, "0.0.0.0", 0)) {
            Invite invite = h.invite("notes", Grant.Role.EDITOR);
            assertEquals(URI.create("wss://" + EmbeddedHost.lanAddress() + ":" + h.port()), invite.hub());
            assertEquals(TlsTrust.withFingerprint(h.fingerprint()), Access.of(invite).trust());
        }
    }
}
