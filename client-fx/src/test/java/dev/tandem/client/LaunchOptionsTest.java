package dev.tandem.client;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The command line's answers that need no display: the version, and invite links (what the desktop passes on a click). */
class LaunchOptionsTest {
    @Test
    void versionPrintsTheProjectVersion() {
        String expected = System.getProperty("tandem.expectedVersion");
        assertTrue(expected != null && !expected.isBlank(), "surefire passes the POM's version");
        LaunchOptions o = LaunchOptions.parse("--version");
        assertTrue(o.helpOnly);
        assertEquals("Tandem " + expected + System.lineSeparator(), o.message);
    }

    @Test
    void inviteLinkOpensItsRoom() {
        LaunchOptions plain = LaunchOptions.parse("tandem://10.0.0.5:7070/rooms/quarterly%20notes");
        assertEquals("ws://10.0.0.5:7070", plain.server);
        assertEquals("quarterly notes", plain.room);
        assertTrue(plain.opensRoomDirectly());

        LaunchOptions tls = LaunchOptions.parse("--name", "Ada", "TANDEMS://hub.example.org:443/rooms/notes/");
        assertEquals("wss://hub.example.org:443", tls.server);
        assertEquals("notes", tls.room);
        assertEquals("Ada", tls.name);

        LaunchOptions invite = LaunchOptions.parse("ws://127.0.0.1:7070/rooms/notes");
        assertEquals("ws://127.0.0.1:7070", invite.server);
        assertEquals("notes", invite.room);
    }

    @Test
    void hostileOrWrongLinksAreRefusedBeforeAnyWindow() {
        for (String bad : new String[] {
                "http://10.0.0.5:7070/rooms/notes",          // not ours
                "tandem://10.0.0.5:7070/",                    // no room
                "tandem://10.0.0.5:7070/rooms/..%2F..%2Fetc", // a name the hub refuses
                "tandem://10.0.0.5:99999/rooms/notes",        // no such port
                "tandem://10.0.0.5:7070/rooms/" + "a".repeat(3000)}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> LaunchOptions.parse(bad), bad);
            assertTrue(e.getMessage().contains("invite link"), e.getMessage());
        }
        IllegalArgumentException both = assertThrows(IllegalArgumentException.class,
                () -> LaunchOptions.parse("--server", "ws://a:1", "tandem://10.0.0.5:7070/rooms/notes"));
        assertTrue(both.getMessage().contains("without --server"), both.getMessage());
    }
}
