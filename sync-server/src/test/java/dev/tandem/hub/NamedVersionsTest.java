package dev.tandem.hub;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import dev.tandem.crdt.Doc;
import dev.tandem.crdt.Version;
import dev.tandem.protocol.Frames;
import dev.tandem.protocol.Message;
import dev.tandem.protocol.Wire;
import dev.tandem.sync.NamedVersion;
import dev.tandem.sync.SyncClient;
import dev.tandem.sync.SyncListener;

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import static dev.tandem.hub.TestHubs.awaitTrue;
import static org.junit.jupiter.api.Assertions.*;

/**
 * Named versions on a real hub over real sockets: kept with the room (across a restart), sent to
 * every member, and every malformed, oversized or unauthorised name_version refused with its
 * error, nothing of it kept.
 */
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class NamedVersionsTest {
    @TempDir
    Path dir;

    private static final class Named implements SyncListener {
        final AtomicReference<List<NamedVersion>> latest = new AtomicReference<>();
        final List<Boolean> supported = new CopyOnWriteArrayList<>();

        @Override
        public void onNamedVersions(List<NamedVersion> versions) {
            supported.add(versions != null);
            if (versions != null) latest.set(versions);
        }
    }

    @Test
    void aNamedVersionReachesEveryMemberAndOutlivesARestart() throws Exception {
        Version named;
        Named bobSees = new Named();
        try (Hub hub = TestHubs.start(dir)) {
            Named aliceSees = new Named();
            SyncClient alice = TestHubs.client(hub, "notes", new Doc(), aliceSees);
            SyncClient bob = TestHubs.client(hub, "notes", new Doc(), bobSees);
            try {
                TestHubs.sync(alice);
                TestHubs.sync(bob);
                assertEquals(List.of(), aliceSees.latest.get(), "this hub keeps named versions: the welcome lists them (none yet)");
                alice.edit(d -> d.insert(0, "first draft")).get(10, TimeUnit.SECONDS);
                named = alice.version().get(10, TimeUnit.SECONDS);
                // Named right after the edit: the edit goes first, so the hub holds what the name names.
                alice.nameVersion("  Draft 1  ", named).get(10, TimeUnit.SECONDS);
                awaitTrue("Bob hears of the named version", () -> bobSees.latest.get() != null && bobSees.latest.get().size() == 1);
                NamedVersion n = bobSees.latest.get().get(0);
                assertEquals("Draft 1", n.name(), "trimmed");
                assertEquals(named, n.version());
                assertEquals("tester", n.by());
                awaitTrue("Alice hears of it too", () -> aliceSees.latest.get().size() == 1);
            } finally {
                alice.close();
                bob.close();
            }
        }
        try (Hub hub = TestHubs.start(dir)) {
            Named later = new Named();
            SyncClient carol = TestHubs.client(hub, "notes", new Doc(), later);
            try {
                TestHubs.sync(carol);
                awaitTrue("the welcome after a restart lists it", () -> later.latest.get() != null);
                assertEquals(1, later.latest.get().size());
                assertEquals("Draft 1", later.latest.get().get(0).name());
                assertEquals(named, later.latest.get().get(0).version());
            } finally {
                carol.close();
            }
        }
    }

    /** A raw client in room "r" that has typed "hello": the version it may name. */
    private static RawClient editor(Hub hub, long replica) throws Exception {
        RawClient c = RawClient.joined(hub.port(), "r", replica);
        Doc d = new Doc(replica);
        d.insert(0, "hello");
        c.binary(Frames.push(1, d.updatesSince(Version.EMPTY).encode()).array());
        c.expect(Message.Ack.class);
        return c;
    }

    private static Version helloVersion(long replica) {
        Doc d = new Doc(replica);
        d.insert(0, "hello");
        return d.version();
    }

    private static String nameVersion(String name, String version) {
        return Wire.write(new Message.NameVersion(name, version));
    }

    private static void refused(Hub hub, long replica, String message, String code) throws Exception {
        try (RawClient c = editor(hub, replica)) {
            c.text(message);
            Message.Error e = c.expectError(code, 1008);
            assertFalse(e.retry(), "retry: " + e.message());
        }
    }

    @Test
    void badNamesAndVersionsAreRefusedAndNothingIsKept() throws Exception {
        try (Hub hub = TestHubs.start(dir)) {
            String ok = Wire.version(helloVersion(0x71));
            refused(hub, 0x71, nameVersion("", ok), "bad_message");
            refused(hub, 0x72, nameVersion("   ", ok), "bad_message");
            refused(hub, 0x73, nameVersion("x".repeat(Wire.MAX_VERSION_NAME_CODE_POINTS + 1), ok), "bad_message");
            refused(hub, 0x74, nameVersion("Draft\nINFO forged log line", ok), "bad_message");
            refused(hub, 0x75, nameVersion("Final\u202Efdp.exe", ok), "bad_message");
            refused(hub, 0x76, nameVersion("Draft\u0000", ok), "bad_message");
            refused(hub, 0x77, nameVersion(null, ok), "bad_message");
            refused(hub, 0x78, nameVersion("Draft", "not base64!"), "bad_message");
            refused(hub, 0x79, nameVersion("Draft", null), "bad_message");
            refused(hub, 0x7a, nameVersion("Draft", "AAAA"), "bad_message"); // base64, not a version
            // Operations the room never received: a name for text nobody can show.
            refused(hub, 0x7b, nameVersion("Draft", Wire.version(Version.EMPTY.with(0x7b, 500, 0))), "bad_message");
            // More replicas than any name may list, although the message is small enough.
            Version huge = Version.EMPTY;
            for (int i = 1; i <= Message.MAX_NAMED_VERSION_REPLICAS + 1; i++) huge = huge.with(i, 1, 0);
            refused(hub, 0x7c, nameVersion("Draft", Wire.version(huge)), "bad_message");
            // Before hello it is not a session yet.
            try (RawClient c = RawClient.connect(hub.port(), "r")) {
                c.text(nameVersion("Draft", ok));
                c.expectError("bad_message", 1008);
            }
            // None of that was kept: a newcomer's welcome lists no named version.
            try (RawClient c = RawClient.connect(hub.port(), "r")) {
                c.text(RawClient.hello(0x7d, Version.EMPTY));
                assertEquals(List.of(), c.expect(Message.Welcome.class).namedVersions());
            }
        }
    }

    @Test
    void aRoomKeepsAtMostItsMaximumOfNamedVersions() throws Exception {
        try (Hub hub = Hub.start(TestHubs.config(dir).withRateLimit(1000, 1000, 1 << 20));
             RawClient c = editor(hub, 0x81)) {
            String v = Wire.version(helloVersion(0x81));
            for (int i = 1; i <= Room.MAX_NAMED_VERSIONS; i++) {
                c.text(nameVersion("v" + i, v));
                assertEquals(i, c.expect(Message.NamedVersions.class).versions().size());
            }
            c.text(nameVersion("one too many", v));
            assertTrue(c.expectError("room_full", 1008).retry(), "retry: only a race with another naming gets here");
            try (RawClient d = RawClient.connect(hub.port(), "r")) {
                d.text(RawClient.hello(0x82, Version.EMPTY));
                List<Message.NamedVersionInfo> kept = d.expect(Message.Welcome.class).namedVersions();
                assertEquals(Room.MAX_NAMED_VERSIONS, kept.size());
                assertEquals("v1", kept.get(0).name(), "oldest first");
            }
        }
    }

    @Test
    void aViewerCannotNameVersions() throws Exception {
        try (Hub hub = AccessTest.tokenHub(dir);
             RawClient editor = AccessTest.joined(hub, "notes", 0x91, AccessTest.token(dir, "ada", "notes", Grant.Role.EDITOR));
             RawClient viewer = AccessTest.joined(hub, "notes", 0x92, AccessTest.token(dir, "val", "notes", Grant.Role.VIEWER))) {
            viewer.text(nameVersion("mine now", Wire.version(Version.EMPTY)));
            Message.Error e = viewer.expectError("forbidden", 1008);
            assertFalse(e.retry());
            // The editor may, and is named by the token's name.
            editor.text(nameVersion("Draft", Wire.version(Version.EMPTY)));
            Message.NamedVersions list = editor.expect(Message.NamedVersions.class);
            assertEquals(1, list.versions().size());
            assertEquals("ada name", list.versions().get(0).by());
        }
    }
}
