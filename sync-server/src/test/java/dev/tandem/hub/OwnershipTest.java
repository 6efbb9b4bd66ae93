package dev.tandem.hub;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import dev.tandem.crdt.Doc;
import dev.tandem.crdt.Update;
import dev.tandem.crdt.Version;
import dev.tandem.protocol.Frames;
import dev.tandem.protocol.Message;
import dev.tandem.protocol.Wire;
import dev.tandem.sync.Author;
import dev.tandem.sync.SyncClient;
import dev.tandem.sync.SyncConfig;
import dev.tandem.sync.SyncListener;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Replica ownership on a real hub: the attack of issue #13 (someone fills an offline user's next
 * sequence numbers so that the user's own edits are refused forever) is refused, with tokens and
 * with --auth none, and the owner's later edits still sync; the authorship map reaches clients.
 */
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class OwnershipTest {
    static final long VICTIM = 0x7a11ce0000000001L;
    static final long ATTACKER = 0x0bad0000000000e1L;

    @TempDir
    Path dir;

    /** A hello as {@code replica}: with a token (token mode) or with a secret (--auth none). */
    static String hello(long replica, String token, String secret) {
        return Wire.write(new Message.Hello(Message.PROTOCOL, Wire.replica(replica), new Message.User("someone", "#112233"), Wire.version(Version.EMPTY), token, secret));
    }

    static RawClient join(Hub hub, String room, long replica, String token, String secret, Doc into) throws Exception {
        RawClient c = RawClient.connect(hub.port(), room);
        c.text(hello(replica, token, secret));
        c.expect(Message.Welcome.class);
        byte[] catchUp = c.nextBinary();
        into.apply(Update.decode(Arrays.copyOfRange(catchUp, 1, catchUp.length)));
        return c;
    }

    /**
     * The attack, then the victim's return. {@code victimToken}/{@code attackerToken} for token
     * mode, else secrets.
     */
    private void attackIsRefusedAndTheOwnersEditsStillSync(Hub hub, String victimToken, String attackerToken, String victimSecret, String attackerSecret)
            throws Exception {
        Doc victim = new Doc(VICTIM);
        try (RawClient v = join(hub, "notes", VICTIM, victimToken, victimSecret, victim)) {
            v.binary(Frames.push(1, victim.insert(0, "hello").encode()).array());
            v.expect(Message.Ack.class);
        }
        // The victim is offline now. The attacker learned its replica id (every peer sees it).
        Doc attacker = new Doc(ATTACKER);
        try (RawClient a = join(hub, "notes", ATTACKER, attackerToken, attackerSecret, attacker)) {
            Doc forger = Doc.decode(attacker.encode(), VICTIM);
            Update forged = forger.insert(5, " (forged)");
            a.binary(Frames.push(1, forged.encode()).array());
            Message.Error e = a.expectError("replica_claimed", 1008);
            assertFalse(e.retry(), "retry");
        }
        try (RawClient a = RawClient.connect(hub.port(), "notes")) {
            a.text(hello(VICTIM, attackerToken, attackerSecret));
            assertFalse(a.expectError("replica_claimed", 1008).retry());
        }
        // The victim comes back with edits made offline under its own id: they sync.
        Update offline = victim.insert(5, " world");
        try (RawClient v = join(hub, "notes", VICTIM, victimToken, victimSecret, new Doc(VICTIM))) {
            v.binary(Frames.push(1, offline.encode()).array());
            v.expect(Message.Ack.class);
        }
        Doc reader = new Doc(0x4ead);
        join(hub, "notes", 0x4ead, victimToken, victimSecret == null ? null : "reader-secret-0123456789", reader).close();
        assertEquals("hello world", reader.text());
    }

    @Test
    void withTokensAnotherUsersReplicaIsRefusedOnlineOrNot() throws Exception {
        try (Hub hub = AccessTest.tokenHub(dir)) {
            attackIsRefusedAndTheOwnersEditsStillSync(hub, AccessTest.token(dir, "vic", "notes", Grant.Role.EDITOR),
                    AccessTest.token(dir, "mal", "notes", Grant.Role.EDITOR), null, null);
        }
        // The binding is stored: after a restart the attacker is still refused.
        try (Hub hub = AccessTest.tokenHub(dir); RawClient a = RawClient.connect(hub.port(), "notes")) {
            a.text(hello(VICTIM, AccessTest.token(dir, "mal", "notes", Grant.Role.EDITOR), null));
            a.expectError("replica_claimed", 1008);
        }
    }

    @Test
    void withAuthNoneTheReplicaSecretDecidesAndOnlyItsHashIsStored() throws Exception {
        String victimSecret = "victim-secret-0123456789abcdef";
        try (Hub hub = TestHubs.start(dir)) {
            attackIsRefusedAndTheOwnersEditsStillSync(hub, null, null, victimSecret, "attacker-secret-0123456789");
            try (RawClient noSecret = RawClient.connect(hub.port(), "notes")) {
                noSecret.text(hello(0x99, null, null));
                assertTrue(noSecret.expectError("bad_message", 1008).message().contains("hello.secret"));
            }
        }
        try (java.sql.Connection c = java.sql.DriverManager.getConnection("jdbc:sqlite:" + dir.resolve("tandem.db"));
             java.sql.ResultSet rs = c.createStatement().executeQuery("SELECT owner FROM replica_owners WHERE replica = " + VICTIM)) {
            assertTrue(rs.next());
            String owner = rs.getString(1);
            assertTrue(owner.startsWith("secret:") && !owner.contains(victimSecret), owner);
        }
    }

    @Test
    void aSecondConnectionOfTheSameUsersReplicaStillReplacesTheFirst() throws Exception {
        try (Hub hub = AccessTest.tokenHub(dir)) {
            String token = AccessTest.token(dir, "vic", "notes", Grant.Role.EDITOR);
            RawClient first = join(hub, "notes", VICTIM, token, null, new Doc());
            RawClient second = join(hub, "notes", VICTIM, token, null, new Doc());
            assertEquals(4000, first.awaitClose().code());
            second.close();
        }
    }

    @Test
    void authorsComeWithTheWelcomeAndAsTheyAreBound() throws Exception {
        try (Hub hub = AccessTest.tokenHub(dir)) {
            String ada = AccessTest.token(dir, "ada", "notes", Grant.Role.EDITOR);
            AtomicReference<Map<Long, Author>> seen = new AtomicReference<>(Map.of());
            SyncClient client = SyncClient.start(SyncConfig.builder(TestHubs.uri(hub), "notes", new Doc(0xada)).token(ada).build(), new SyncListener() {
                @Override
                public void onAuthors(Map<Long, Author> authors) {
                    seen.set(authors);
                }
            });
            try {
                TestHubs.sync(client);
                TestHubs.awaitTrue("own replica in the welcome's authors", () -> seen.get().containsKey(0xadaL));
                assertEquals(new Author(0xada, "ada", "ada name"), seen.get().get(0xadaL));
                try (RawClient bob = RawClient.connect(hub.port(), "notes")) {
                    bob.text(hello(0xb0b, AccessTest.token(dir, "bob", "notes", Grant.Role.EDITOR), null));
                    Message.Welcome w = bob.expect(Message.Welcome.class);
                    assertEquals(List.of(new Message.Author(Wire.replica(0xada), "ada", "ada name"), new Message.Author(Wire.replica(0xb0b), "bob", "bob name")),
                            w.authors().stream().sorted(java.util.Comparator.comparing(Message.Author::replica)).toList());
                    TestHubs.awaitTrue("bob's replica reaches ada", () -> seen.get().containsKey(0xb0bL));
                    assertEquals("bob name", seen.get().get(0xb0bL).name());
                }
            } finally {
                client.close();
            }
        }
    }
}
