package dev.tandem.hub;

import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.ECDSASigner;
import com.nimbusds.jose.crypto.MACSigner;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import dev.tandem.crdt.Doc;
import dev.tandem.crdt.Version;
import dev.tandem.protocol.Frames;
import dev.tandem.protocol.Message;
import dev.tandem.protocol.Wire;
import dev.tandem.sync.SyncClient;
import dev.tandem.sync.SyncConfig;
import dev.tandem.sync.SyncListener;
import dev.tandem.sync.SyncStatus;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.interfaces.ECPrivateKey;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.Date;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Tokens on a real hub over real sockets: who gets in, as what, and everyone else refused. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class AccessTest {
    @TempDir
    Path dir;

    static Hub tokenHub(Path dir) throws Exception {
        return Hub.start(TestHubs.config(dir).withSecurity(TestHubs.open(HubSecurity.defaults())));
    }

    static String token(Path dir, String user, String rooms, Grant.Role role) throws Exception {
        return Tokens.ownKey(dir).issue(user, user + " name", rooms, role, Duration.ofHours(1), Instant.now());
    }

    static String hello(long replica, String token) {
        return Wire.write(new Message.Hello(Message.PROTOCOL, Wire.replica(replica), new Message.User("claimed name", "#112233"),
                Wire.version(Version.EMPTY), token, RawClient.secret(replica)));
    }

    /** A client that says hello with {@code token} and must be refused with unauthorized, 1008, retry false. */
    static Message.Error refused(Hub hub, String room, String token) throws Exception {
        try (RawClient c = RawClient.connect(hub.port(), room)) {
            c.text(hello(0x51, token));
            Message.Error e = c.expectError("unauthorized", 1008);
            assertFalse(e.retry(), "retry");
            return e;
        }
    }

    static RawClient joined(Hub hub, String room, long replica, String token) throws Exception {
        RawClient c = RawClient.connect(hub.port(), room);
        c.text(hello(replica, token));
        c.expect(Message.Welcome.class);
        assertEquals(Frames.CATCH_UP, c.nextBinary()[0]);
        return c;
    }

    @Test
    void missingTamperedExpiredAndOtherRoomTokensAreRefused() throws Exception {
        try (Hub hub = tokenHub(dir)) {
            String good = token(dir, "ada", "notes", Grant.Role.EDITOR);
            try (RawClient ok = joined(hub, "notes", 0x11, good)) {
                assertTrue(ok.isOpen());
            }
            assertTrue(refused(hub, "notes", null).message().contains("needs a token"));
            assertTrue(refused(hub, "notes", "not-a-jwt").message().contains("not a signed JWT"));

            // Tampered: the payload changed to another room, the signature kept.
            String[] parts = good.split("\\.");
            String payload = new String(Base64.getUrlDecoder().decode(parts[1])).replace("\"notes\"", "\"other\"");
            String forged = parts[0] + "." + Base64.getUrlEncoder().withoutPadding().encodeToString(payload.getBytes()) + "." + parts[2];
            assertTrue(refused(hub, "other", forged).message().contains("signature"), "forged payload");
            // Tampered signature.
            char last = good.charAt(good.length() - 2);
            assertTrue(refused(hub, "notes", good.substring(0, good.length() - 2) + (last == 'A' ? 'B' : 'A') + good.charAt(good.length() - 1))
                    .message().contains("refused"));

            String expired = Tokens.ownKey(dir).issue("ada", "Ada", "notes", Grant.Role.EDITOR, Duration.ofMinutes(1), Instant.now().minus(Duration.ofMinutes(10)));
            assertTrue(refused(hub, "notes", expired).message().contains("Expired"), "expired");

            assertTrue(refused(hub, "secret-room", good).message().contains("not \"secret-room\""), "other room");

            // Signed with another key (another hub's), and the unsigned "alg": "none" trick.
            Path elsewhere = dir.resolve("other-hub");
            String foreign = Tokens.ownKey(elsewhere).issue("ada", "Ada", "notes", Grant.Role.ADMIN, Duration.ofHours(1), Instant.now());
            assertTrue(refused(hub, "notes", foreign).message().contains("signature"), "other key");
            String none = Base64.getUrlEncoder().withoutPadding().encodeToString("{\"alg\":\"none\"}".getBytes()) + "." + parts[1] + ".";
            refused(hub, "notes", none);

            // Right key, wrong audience.
            SignedJWT otherAudience = new SignedJWT(new JWSHeader.Builder(JWSAlgorithm.HS256).type(JOSEObjectType.JWT).build(),
                    new JWTClaimsSet.Builder().subject("ada").audience("another-service").claim("room", "notes").claim("role", "editor")
                            .expirationTime(Date.from(Instant.now().plusSeconds(600))).build());
            otherAudience.sign(new MACSigner(Tokens.loadOrCreateKey(dir)));
            assertTrue(refused(hub, "notes", otherAudience.serialize()).message().contains("aud"), "audience");
        }
    }

    @Test
    void prefixPatternsAndTheBearerHeader() throws Exception {
        try (Hub hub = tokenHub(dir)) {
            String team = token(dir, "bob", "team-*", Grant.Role.EDITOR);
            joined(hub, "team-alpha", 0x21, team).close();
            refused(hub, "teams", team);
            refused(hub, "xteam-alpha", team);
            try (RawClient c = RawClient.connect(hub.port(), "team-beta", Map.of("Authorization", "Bearer " + team))) {
                c.text(hello(0x22, null));
                c.expect(Message.Welcome.class);
            }
        }
    }

    @Test
    void theNameComesFromTheToken() throws Exception {
        try (Hub hub = tokenHub(dir); RawClient a = joined(hub, "notes", 0x31, token(dir, "ada", "notes", Grant.Role.EDITOR))) {
            try (RawClient b = RawClient.connect(hub.port(), "notes")) {
                b.text(hello(0x32, token(dir, "bob", "notes", Grant.Role.EDITOR)));
                Message.Welcome w = b.expect(Message.Welcome.class);
                assertEquals(List.of("ada name", "bob name"), w.peers().stream().map(Message.PeerInfo::name).toList(), "not the claimed name");
            }
        }
    }

    @Test
    void aViewerReadsAndSendsPresenceButItsPushIsForbiddenAndGoesNowhere() throws Exception {
        try (Hub hub = tokenHub(dir)) {
            String editor = token(dir, "ada", "notes", Grant.Role.EDITOR);
            try (RawClient ed = joined(hub, "notes", 0x41, editor);
                 RawClient viewer = joined(hub, "notes", 0x42, token(dir, "val", "notes", Grant.Role.VIEWER))) {
                Doc d = new Doc(0x41);
                ed.binary(Frames.push(1, d.insert(0, "hello").encode()).array());
                ed.expect(Message.Ack.class);
                assertEquals(Frames.RELAY, viewer.nextBinary()[0], "the viewer receives edits");

                viewer.text(Wire.write(new Message.Presence(null, null, true, "active")));
                Message.PeerChanged p = ed.expect(Message.PeerChanged.class);
                assertEquals(Wire.replica(0x42), p.peer().replica());
                assertTrue(p.peer().typing(), "presence from a viewer is relayed");
                assertEquals(Boolean.TRUE, p.peer().viewer(), "others see that the viewer may only read");

                Doc v = new Doc(0x42);
                v.apply(d.updatesSince(Version.EMPTY));
                viewer.binary(Frames.push(1, v.insert(5, " forged").encode()).array());
                viewer.expectError("forbidden", 1008);
            }
            TestHubs.Stored before = TestHubs.stored(dir, "notes");
            SyncClient reader = SyncClient.start(SyncConfig.builder(TestHubs.uri(hub), "notes", new Doc()).token(editor).build(), null);
            try {
                TestHubs.sync(reader);
                assertEquals("hello", TestHubs.text(reader), "nothing of the viewer's push applied");
            } finally {
                reader.close();
            }
            assertEquals(1, before.logEntries(), "nothing of the viewer's push stored");
        }
    }

    @Test
    void syncClientStopsRetryingWhenUnauthorized() throws Exception {
        try (Hub hub = tokenHub(dir)) {
            CompletableFuture<SyncStatus> gaveUp = new CompletableFuture<>();
            SyncClient c = SyncClient.start(SyncConfig.builder(TestHubs.uri(hub), "notes", new Doc())
                    .token(token(dir, "ada", "elsewhere", Grant.Role.EDITOR)).backoff(Duration.ofMillis(20), Duration.ofMillis(50)).build(),
                    new SyncListener() {
                        @Override
                        public void onStatus(SyncStatus s) {
                            if (!s.retrying()) gaveUp.complete(s);
                        }
                    });
            try {
                SyncStatus s = gaveUp.get(20, TimeUnit.SECONDS);
                assertTrue(s.lastError().startsWith("unauthorized"), s.lastError());
                assertEquals(SyncStatus.State.OFFLINE, s.state());
            } finally {
                c.close();
            }
        }
    }

    @Test
    void anOutsideServiceSignsWithEs256() throws Exception {
        KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
        g.initialize(new java.security.spec.ECGenParameterSpec("secp256r1"));
        KeyPair pair = g.generateKeyPair();
        Path pem = dir.resolve("issuer.pem");
        Files.writeString(pem, "-----BEGIN PUBLIC KEY-----\n" + Base64.getMimeEncoder().encodeToString(pair.getPublic().getEncoded())
                + "\n-----END PUBLIC KEY-----\n");
        try (Hub hub = Hub.start(TestHubs.config(dir.resolve("hub")).withSecurity(HubSecurity.defaults().withTokenPublicKey(pem)))) {
            SignedJWT jwt = new SignedJWT(new JWSHeader.Builder(JWSAlgorithm.ES256).type(JOSEObjectType.JWT).build(),
                    new JWTClaimsSet.Builder().subject("carol").audience("tandem-hub").claim("room", "notes").claim("role", "editor")
                            .claim("name", "Carol").expirationTime(Date.from(Instant.now().plusSeconds(600))).build());
            jwt.sign(new ECDSASigner((ECPrivateKey) pair.getPrivate()));
            joined(hub, "notes", 0x61, jwt.serialize()).close();
            // The outside service is trusted with who people are, not with what the hub shows:
            // a name with a bidi override or a line break is refused like any other.
            for (String hostile : new String[] {"Mallory\u202Egnp.exe", "Mallory\nINFO forged log line", "Eve\u0000"}) {
                SignedJWT bad = new SignedJWT(new JWSHeader.Builder(JWSAlgorithm.ES256).type(JOSEObjectType.JWT).build(),
                        new JWTClaimsSet.Builder().subject("mallory").audience("tandem-hub").claim("room", "notes").claim("role", "editor")
                                .claim("name", hostile).expirationTime(Date.from(Instant.now().plusSeconds(600))).build());
                bad.sign(new ECDSASigner((ECPrivateKey) pair.getPrivate()));
                assertTrue(refused(hub, "notes", bad.serialize()).message().contains("user.name"), hostile);
            }
            // The hub's own HS256 key (which an attacker might hope it still accepts) is not asked: the algorithm is pinned.
            refused(hub, "notes", Tokens.ownKey(dir.resolve("hub")).issue("eve", "Eve", "notes", Grant.Role.ADMIN, Duration.ofHours(1), Instant.now()));
        }
    }

    @Test
    void theKeyIsOwnerOnlyAndAKeyOthersCanReadIsRefused() throws Exception {
        Path hubDir = dir.resolve("hub");
        tokenHub(hubDir).close();
        Path key = hubDir.resolve(Tokens.KEY_FILE);
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(key)));
        assertEquals(32, Base64.getDecoder().decode(Files.readString(key).strip()).length);
        byte[] before = Files.readAllBytes(key);
        tokenHub(hubDir).close();
        assertEquals(new String(before), new String(Files.readAllBytes(key)), "the key is kept across restarts");
        Files.setPosixFilePermissions(key, PosixFilePermissions.fromString("rw-r--r--"));
        Exception e = assertThrows(Exception.class, () -> tokenHub(hubDir));
        assertTrue(e.getMessage().contains("chmod 600"), e.getMessage());
    }

    @Test
    void authNoneIsRefusedOnANetworkInterface() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> TestHubs.config(dir).withHost("0.0.0.0"));
        assertTrue(e.getMessage().contains("--auth none"), e.getMessage());
        TestHubs.config(dir).withHost("127.0.0.1").withSecurity(HubSecurity.defaults()).withHost("0.0.0.0"); // tokens: fine
    }
}
