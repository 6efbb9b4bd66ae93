package dev.tandem.protocol;

import org.junit.jupiter.api.Test;

import dev.tandem.crdt.Anchor;
import dev.tandem.crdt.Bias;
import dev.tandem.crdt.Version;

import java.nio.ByteBuffer;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Freezes the wire format of docs/protocol.md: exact JSON and bytes, and the parse errors. */
class WireTest {

    @Test
    void helloIsExactlyTheDocumentedJson() {
        String json = Wire.write(new Message.Hello(2, Wire.replica(0x9f2c4e01a0b3c4d5L), new Message.User("Ada", "#3366cc"),
                Wire.version(Version.EMPTY), null, null));
        assertEquals("{\"type\":\"hello\",\"protocol\":2,\"replica\":\"9f2c4e01a0b3c4d5\",\"user\":{\"name\":\"Ada\",\"color\":\"#3366cc\"},"
                + "\"version\":\"VgEA\",\"token\":null,\"secret\":null}", json);
        assertEquals(new Message.Hello(2, "9f2c4e01a0b3c4d5", new Message.User("Ada", "#3366cc"), "VgEA", null, null), Wire.read(json));
    }

    @Test
    void controlMessagesRoundTrip() {
        List<Message> all = List.of(
                new Message.Welcome(1, "notes", "VgE=", List.of(new Message.PeerInfo("0000000000000001", "A", "#000000", "idle", true,
                        Wire.anchor(new Anchor(5, 3, Bias.LEFT)), null)), new Message.Limits(8, 15000), null),
                new Message.Welcome(1, "notes", "VgE=", List.of(), new Message.Limits(8, 15000),
                        List.of(new Message.Author("0000000000000001", "ada", "Ada"), new Message.Author("0000000000000002", null, "Bob"))),
                new Message.Authors(List.of(new Message.Author("0000000000000003", "carol", "Carol"))),
                new Message.Presence(Wire.anchor(Anchor.END), null, false, "active"),
                new Message.PeerChanged(new Message.PeerInfo("0000000000000002", "B", "#ffffff", "active", false, null, null)),
                new Message.Leave("0000000000000002"),
                new Message.Ack(17),
                new Message.Error("unsupported_version", "no", false, List.of(1)));
        for (Message m : all) assertEquals(m, Wire.read(Wire.write(m)), Wire.write(m));
        assertEquals("{\"type\":\"ack\",\"seq\":17}", Wire.write(new Message.Ack(17)));
        for (long seq : new long[] {1, 17, 4294967295L}) assertEquals(Wire.write(new Message.Ack(seq)), Wire.ack(seq));
        assertEquals("{\"type\":\"error\",\"code\":\"bad_room\",\"message\":\"m\",\"retry\":false}",
                Wire.write(new Message.Error("bad_room", "m", false, null)));
    }

    @Test
    void parseErrorsCarryTheirCodes() {
        assertEquals(ErrorCode.BAD_JSON, assertThrows(ProtocolException.class, () -> Wire.read("{")).code());
        assertEquals(ErrorCode.BAD_JSON, assertThrows(ProtocolException.class, () -> Wire.read("null")).code());
        assertEquals(ErrorCode.UNKNOWN_TYPE, assertThrows(ProtocolException.class, () -> Wire.read("{\"type\":\"x\"}")).code());
        assertEquals(ErrorCode.UNKNOWN_TYPE, assertThrows(ProtocolException.class, () -> Wire.read("{}")).code());
        assertEquals(ErrorCode.BAD_MESSAGE, assertThrows(ProtocolException.class, () -> Wire.read("{\"type\":\"ack\",\"seq\":\"x\"}")).code());
        assertEquals(ErrorCode.BAD_JSON, assertThrows(ProtocolException.class, () -> Wire.read("[1]")).code());
        // Unknown fields are ignored: newer peers may add some.
        assertEquals(new Message.Ack(3), Wire.read("{\"type\":\"ack\",\"seq\":3,\"future\":true}"));
    }

    @Test
    void replicaIdsAreSixteenLowercaseHexDigits() {
        assertEquals("0000000000000001", Wire.replica(1));
        assertEquals("ffffffffffffffff", Wire.replica(-1));
        assertEquals(-1L, Wire.parseReplica("ffffffffffffffff", "r"));
        assertThrows(ProtocolException.class, () -> Wire.parseReplica("FFFFFFFFFFFFFFFF", "r"));
        assertThrows(ProtocolException.class, () -> Wire.parseReplica("1", "r"));
        assertThrows(ProtocolException.class, () -> Wire.parseReplica(null, "r"));
    }

    @Test
    void anchorsRoundTripAndRejectBadBias() {
        Anchor a = new Anchor(0x1234, 7, Bias.RIGHT);
        assertEquals(a, Wire.parseAnchor(Wire.anchor(a), "a"));
        assertNull(Wire.parseAnchor(null, "a"));
        assertThrows(ProtocolException.class, () -> Wire.parseAnchor(new Message.WireAnchor("0000000000000001", 1, "up"), "a"));
        assertThrows(ProtocolException.class, () -> Wire.parseAnchor(new Message.WireAnchor("0000000000000001", -2, "left"), "a"));
    }

    @Test
    void namesThatCouldBreakALineOrTurnTextAroundAreRefused() {
        String[] bad = {
            "a\nb", "a\rb", "a\u0000b", "a\tb", "a\u0085b", "a\u001bb", "a\u2028b", "a\u2029b", // controls, line breaks
            "a\u202Eb", "\u202Aab", "a\u202Bb", "a\u202Cb", "a\u202Db", // bidi embeddings and overrides
            "\u2066x\u2069", "a\u2067b", "a\u2068b", "a\u200Eb", "a\u200Fb", "a\u061Cb", // isolates and marks
            "a\uFEFFb", "a\u00ADb", "a\u2060b", "a\uDB40\uDC01b", // other invisible format characters (U+E0001 too)
            "a\uD800b", "a\uFFFFb", "a\uFDD0b", // a lone surrogate, noncharacters
        };
        for (String name : bad) {
            ProtocolException e = assertThrows(ProtocolException.class, () -> Wire.checkName(name), Wire.quote(name));
            assertEquals(ErrorCode.BAD_MESSAGE, e.code());
            assertTrue(e.getMessage().startsWith("user.name"), e.getMessage());
            for (char c : e.getMessage().toCharArray()) {
                assertTrue(c >= 0x20 && c != 0x7f && c != 0x202e && c != 0x2028, "the error message carries the character raw: " + e.getMessage());
            }
        }
        // Letters of any script, accents, emoji (with joiners and variation selectors) are names.
        for (String ok : List.of("Zoë", "李雷", "ناصر", "Ada \uD83D\uDC69\u200D\uD83D\uDCBB", "\u2764\uFE0F", "x".repeat(64))) {
            assertEquals(ok, Wire.checkName("  " + ok + " "));
        }
        // 64 code points, not 64 chars: an emoji counts once.
        assertEquals(128, Wire.checkName("\uD83D\uDE00".repeat(64)).length());
        assertThrows(ProtocolException.class, () -> Wire.checkName("\uD83D\uDE00".repeat(65)));
        assertThrows(ProtocolException.class, () -> Wire.checkName("x".repeat(65)));
        assertThrows(ProtocolException.class, () -> Wire.checkName(" \t "));
        // Colours stay #rrggbb, nothing Color.web would read differently.
        for (String c : List.of("red", "#12345", "#1234567", "#gg0000", "rgb(1,2,3)", "#123456 ", "")) {
            assertThrows(ProtocolException.class, () -> Wire.checkColor(c), c);
        }
        assertThrows(ProtocolException.class, () -> Wire.checkColor(null));
        assertEquals("#aabbcc", Wire.checkColor("#AABBCC"));
    }

    @Test
    void quotedUserStringsCannotForgeALogLine() {
        String forged = "x\n2026-01-01 00:00:00.000:INFO :dth.Hub:main: hub stopped";
        String q = Wire.quote(forged);
        assertTrue(q.startsWith("\"x\\u000a2026"), q);
        assertTrue(q.endsWith("...\""), "cut to 40 code points: " + q);
        assertEquals("\"a\\u202eb \\\"c\\\" \\\\\"", Wire.quote("a\u202Eb \"c\" \\"));
        assertEquals("\"\\u2028\\u2066\\u0000\\udb40\\udc01\"", Wire.quote("\u2028\u2066\u0000\uDB40\uDC01"));
        assertEquals("\"Zoë \uD83D\uDC69\u200D\uD83D\uDCBB\"", Wire.quote("Zoë \uD83D\uDC69\u200D\uD83D\uDCBB"));
        assertEquals("null", Wire.quote(null));
        String long1 = Wire.escape("\n".repeat(5000));
        assertTrue(long1.length() < 2000 * 6 + 10 && !long1.contains("\n"), "escape is bounded");
    }

    @Test
    void binaryFrameLayouts() {
        byte[] update = {9, 8, 7};
        ByteBuffer push = Frames.push(0x01020304L, update);
        assertArrayEquals(new byte[] {1, 1, 2, 3, 4, 9, 8, 7}, push.array());
        assertArrayEquals(new byte[] {1, (byte) 0xff, (byte) 0xff, (byte) 0xff, (byte) 0xff}, Frames.push(0xffffffffL, new byte[0]).array());
        assertArrayEquals(new byte[] {2, 9, 8, 7}, Frames.withKind(Frames.RELAY, update).array());
        assertArrayEquals(new byte[] {3, 9, 8, 7}, Frames.withKind(Frames.CATCH_UP, update).array());
        assertThrows(IllegalArgumentException.class, () -> Frames.push(0, update));
    }

    @Test
    void roomNames() {
        for (String ok : List.of("a", "notes", "Team_Notes-2026", "beta room", "v1.2", "x".repeat(64))) assertNull(RoomNames.problem(ok), ok);
        for (String bad : List.of("", " a", "a ", ".a", "a.", "a/b", "..", "été", "x".repeat(65), "a\u0000b")) {
            assertEquals(true, RoomNames.problem(bad) != null, bad);
        }
        assertEquals("beta%20room", RoomNames.encode("beta room"));
        assertEquals("beta room", RoomNames.decode("beta%20room"));
        assertEquals(true, RoomNames.problem("a\u0000b").startsWith("room name \"a\\u0000b\" is invalid"));
    }
}
