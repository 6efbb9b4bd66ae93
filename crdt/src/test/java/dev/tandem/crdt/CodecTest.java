package dev.tandem.crdt;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.zip.CRC32;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

class CodecTest {
    /** The clock of the golden documents: a fixed second (2023-11-14), so their bytes are too. */
    static final long GOLDEN_TIME = 1_700_000_000L;

    /** A replica whose local edits are stamped {@link #GOLDEN_TIME}. */
    static Doc fixedClock(long replicaId) {
        Doc d = new Doc(replicaId);
        d.clock(() -> GOLDEN_TIME);
        return d;
    }

    /** Three small documents built deterministically; their bytes are pinned in golden files. */
    static Doc golden(int which) {
        switch (which) {
            case 0 -> {
                Doc d = fixedClock(0x1111);
                d.insert(0, "hello world");
                return d;
            }
            case 1 -> {
                Doc a = fixedClock(0x1111);
                Doc b = fixedClock(0x2222);
                b.apply(a.insert(0, "shared text"));
                Update ua = a.insert(6, "and concurrent ");
                Update ub = b.insert(6, "edited ");
                b.delete(0, 1);
                a.apply(ub);
                a.apply(b.updatesSince(a.version()));
                b.apply(ua);
                a.insert(a.length(), " \uD83D\uDE00 é");
                return a;
            }
            case 3 -> {
                // Formatting: marks of every kind, a removal, concurrent writes, paragraph attributes.
                Doc a = fixedClock(0x1111);
                Doc b = fixedClock(0x2222);
                b.apply(a.insert(0, "Title\nSome bold and italic text with a link.\n- item\nlast"));
                b.apply(a.setParagraph(0, Formats.BLOCK, "h1"));
                Update ub = b.mark(11, 15, Formats.BOLD, "true");
                Update ua = a.mark(20, 26, Formats.ITALIC, "true");
                a.apply(ub);
                b.apply(ua);
                b.apply(a.mark(39, 43, Formats.LINK, "https://example.org/"));
                a.apply(b.mark(6, 26, "comment:c1", "check this"));
                a.apply(b.setParagraph(46, Formats.BLOCK, "bullet"));
                a.apply(b.setParagraph(46, Formats.INDENT, "2"));
                a.mark(12, 14, Formats.BOLD, null);
                a.delete(5, 1);
                return a;
            }
            default -> {
                Doc d = fixedClock(-42);
                for (int i = 0; i < 300; i++) d.insert(d.length(), "line " + i + "\n");
                for (int i = 0; i < 50; i++) d.delete(i * 3, 2);
                for (int i = 10; i > 0; i--) d.delete(i, 1);
                return d;
            }
        }
    }

    /** Format v1 documents of {@link #golden}, written by the v1 build: they stay, and still decode. */
    static final String[] GOLDEN_V1_FILES = {"hello.tdoc", "concurrent.tdoc", "edited.tdoc"};
    /** The same documents in format v2, and the update that builds the second one. */
    private static final String[] GOLDEN_V2_FILES = {"hello.v2.tdoc", "concurrent.v2.tdoc", "edited.v2.tdoc", "formatted.v2.tdoc"};
    private static final String GOLDEN_V2_UPDATE = "concurrent.v2.tupd";

    @Test
    void goldenFilesPinTheFormat() throws IOException {
        boolean rewrite = Boolean.getBoolean("tandem.updateGolden");
        Path dir = Path.of("src/test/resources/golden");
        for (int i = 0; i < GOLDEN_V2_FILES.length; i++) {
            Doc d = golden(i);
            byte[] bytes = d.encode();
            String name = GOLDEN_V2_FILES[i];
            if (rewrite) {
                Files.write(dir.resolve(name), bytes);
                Files.writeString(dir.resolve(name + ".txt"), d.text());
                continue;
            }
            byte[] pinned = resource("/golden/" + name);
            String text = new String(resource("/golden/" + name + ".txt"), java.nio.charset.StandardCharsets.UTF_8);
            assertEquals(2, pinned[2], name + " is format v2");
            assertEquals(text, Doc.decode(pinned).text(), name + " decodes to its text");
            assertEquals(MarksTest.show(d), MarksTest.show(Doc.decode(pinned)), name + " decodes to its formatting");
            assertArrayEquals(pinned, bytes, name + ": the encoding changed. If that is a deliberate format change, "
                    + "bump the format version, update crdt/FORMAT.md and rerun with -Dtandem.updateGolden=true");
        }
        byte[] update = golden(1).updatesSince(Version.EMPTY).encode();
        if (rewrite) {
            Files.write(dir.resolve(GOLDEN_V2_UPDATE), update);
            return;
        }
        assertArrayEquals(resource("/golden/" + GOLDEN_V2_UPDATE), update, GOLDEN_V2_UPDATE + ": the update encoding changed");
    }

    @Test
    void v1GoldenFilesStillDecode() throws IOException {
        for (int i = 0; i < GOLDEN_V1_FILES.length; i++) {
            String name = GOLDEN_V1_FILES[i];
            byte[] pinned = resource("/golden/" + name);
            assertEquals(1, pinned[2], name + " is format v1");
            String text = new String(resource("/golden/" + name + ".txt"), java.nio.charset.StandardCharsets.UTF_8);
            Doc d = Doc.decode(pinned);
            d.checkInvariants();
            assertEquals(text, d.text(), name);
            assertEquals(golden(i).version(), d.version(), name + " holds the same operations");
            // Upgraded on load: saved again it is v2, and reads back the same.
            byte[] again = d.encode();
            assertEquals(2, again[2]);
            Doc back = Doc.decode(again);
            assertEquals(text, back.text(), name + " upgraded");
            assertEquals(d.version(), back.version());
        }
    }

    private static byte[] resource(String path) throws IOException {
        try (InputStream in = CodecTest.class.getResourceAsStream(path)) {
            assertNotNull(in, "missing " + path);
            return in.readAllBytes();
        }
    }

    @Test
    void updateRoundTrip() {
        Doc d = golden(1);
        Update u = d.updatesSince(Version.EMPTY);
        Update back = Update.decode(u.encode());
        assertArrayEquals(u.encode(), back.encode());
        Doc e = new Doc();
        e.apply(back);
        assertEquals(d.text(), e.text());
        assertEquals(d.version(), e.version());
        assertEquals(d.version(), Version.decode(d.version().encode()));
    }

    @Test
    void everyTruncationIsRejectedClearly() {
        for (Doc d : List.of(golden(0), golden(1), golden(2), golden(3))) {
            byte[] bytes = d.encode();
            for (int n = 0; n < bytes.length; n++) {
                byte[] cut = Arrays.copyOf(bytes, n);
                assertThrows(CrdtFormatException.class, () -> Doc.decode(cut), "prefix of " + n + " bytes");
                assertThrows(CrdtFormatException.class, () -> Update.decode(cut), "prefix of " + n + " bytes");
            }
        }
    }

    @Test
    void corruptedBytesAreRejectedClearly() {
        Random rnd = new Random(7);
        for (Doc d : List.of(golden(0), golden(1), golden(2), golden(3))) {
            byte[] bytes = d.encode();
            for (int i = 0; i < 2000; i++) {
                byte[] bad = bytes.clone();
                int flips = 1 + rnd.nextInt(3);
                for (int f = 0; f < flips; f++) bad[rnd.nextInt(bad.length)] ^= (byte) (1 + rnd.nextInt(255));
                Doc x;
                try {
                    x = Doc.decode(bad);
                } catch (CrdtFormatException expected) {
                    continue; // the one exception type
                } catch (RuntimeException | Error e) {
                    throw new AssertionError("corrupted input raised " + e + " instead of CrdtFormatException", e);
                }
                // The checksum covers the body and the header's every other byte is checked,
                // so bytes that still decode must be the same document.
                assertEquals(d.text(), x.text(), "corrupted bytes that decode");
                assertEquals(d.version(), x.version(), "corrupted bytes that decode");
                assertEquals(d.idSequence(), x.idSequence(), "corrupted bytes that decode");
            }
        }
    }

    /** Frames a body, uncompressed, with a correct checksum, so what is in it reaches the parser. */
    /** A format v1 frame (raw) around {@code body}. */
    static byte[] reframe(byte kind, byte[] body) {
        return reframe(kind, 1, body);
    }

    static byte[] reframe(byte kind, int format, byte[] body) {
        CRC32 crc = new CRC32();
        crc.update(body, 0, body.length);
        ByteWriter out = new ByteWriter(body.length + 16);
        out.writeByte('T');
        out.writeByte(kind);
        out.writeByte(format);
        out.writeByte(0);
        out.writeVarInt(body.length);
        out.writeInt((int) crc.getValue());
        out.writeBytes(body, 0, body.length);
        return out.toByteArray();
    }

    @Test
    @org.junit.jupiter.api.Timeout(60)
    void corruptedBodiesWithValidChecksumsAreRejectedOrSane() {
        Random rnd = new Random(13);
        for (Doc d : List.of(golden(0), golden(1), golden(2), golden(3))) {
            for (byte kind : new byte[] {'D', 'U'}) {
                byte[] framed = kind == 'D' ? d.encode() : d.updatesSince(Version.EMPTY).encode();
                Codec.Body b = Codec.openBody(framed, Codec.DEFAULT_MAX_BODY);
                byte[] body = new byte[b.reader().remaining()];
                b.reader().readBytes(body, 0, body.length);
                for (int i = 0; i < 3000; i++) {
                    byte[] bad = body.clone();
                    int edits = 1 + rnd.nextInt(4);
                    for (int e = 0; e < edits; e++) {
                        int at = rnd.nextInt(bad.length);
                        switch (rnd.nextInt(3)) {
                            case 0 -> bad[at] ^= (byte) (1 + rnd.nextInt(255));
                            case 1 -> bad[at] = (byte) 0xff;
                            default -> bad[at] = (byte) rnd.nextInt(4);
                        }
                    }
                    if (rnd.nextInt(5) == 0) bad = Arrays.copyOf(bad, rnd.nextInt(bad.length));
                    byte[] bytes = reframe(kind, 2, bad);
                    try {
                        if (kind == 'D') {
                            Doc x = Doc.decode(bytes);
                            x.checkInvariants();
                            x.insert(x.length(), "still editable");
                            x.checkInvariants();
                        } else {
                            Doc x = new Doc();
                            x.apply(Update.decode(bytes));
                            x.checkInvariants();
                        }
                    } catch (CrdtFormatException expected) {
                        // the one exception type
                    } catch (RuntimeException | Error e) {
                        fail("corrupted body (kind " + (char) kind + ", case " + i + ") raised " + e + " instead of CrdtFormatException", e);
                    }
                }
            }
        }
    }

    @Test
    void randomGarbageIsRejected() {
        Random rnd = new Random(11);
        for (int i = 0; i < 2000; i++) {
            byte[] junk = new byte[rnd.nextInt(64)];
            rnd.nextBytes(junk);
            if (junk.length > 0 && rnd.nextBoolean()) junk[0] = 'T';
            assertThrows(CrdtFormatException.class, () -> Update.decode(junk));
        }
        assertThrows(CrdtFormatException.class, () -> Update.decode(null));
    }

    @Test
    void wrongFormatVersionSaysWhichItReads() {
        byte[] bytes = golden(0).encode();
        bytes[2] = 9;
        CrdtFormatException e = assertThrows(CrdtFormatException.class, () -> Doc.decode(bytes));
        assertTrue(e.getMessage().contains("version 9") && e.getMessage().contains("versions 1 and 2"), e.getMessage());
    }

    @Test
    void absurdCountsFailBeforeAllocating() {
        ByteWriter body = new ByteWriter(16);
        body.writeVarInt(Integer.MAX_VALUE); // agents
        byte[] bytes = reframe((byte) 'U', body.toByteArray());
        CrdtFormatException e = assertThrows(CrdtFormatException.class, () -> Update.decode(bytes));
        assertTrue(e.getMessage().contains("count"), e.getMessage());

        ByteWriter huge = new ByteWriter(16);
        huge.writeByte('T');
        huge.writeByte('U');
        huge.writeByte(1);
        huge.writeByte(1); // deflated
        huge.writeVarInt(Integer.MAX_VALUE);
        huge.writeInt(0);
        huge.writeByte(0);
        assertThrows(CrdtFormatException.class, () -> Update.decode(huge.toByteArray()));
    }

    @Test
    void aHugeRunWithoutTextIsRefusedBeforeAllocating() {
        // A document body may omit deleted text, so run lengths are not bounded by its size.
        ByteWriter body = new ByteWriter(32);
        body.writeVarInt(1);
        body.writeLong(1);
        body.writeVarInt(1);          // one insert run
        body.writeVarInt(0);          // agent
        body.writeSignedVarLong(0);   // seq
        body.writeVarInt(Integer.MAX_VALUE - 1); // len
        byte[] framed = reframe((byte) 'D', body.toByteArray());
        CrdtFormatException e = assertThrows(CrdtFormatException.class, () -> Doc.decode(framed));
        assertTrue(e.getMessage().contains("most one document"), e.getMessage());
    }

    @Test
    void aDecodedSizeLimitRefusesHighlyCompressedUpdates() {
        Doc d = new Doc(1);
        d.insert(0, "a".repeat(100_000)); // deflates to a few hundred bytes
        byte[] bytes = d.updatesSince(Version.EMPTY).encode();
        assertTrue(bytes.length < 2_000, "compressed to " + bytes.length);
        CrdtFormatException e = assertThrows(CrdtFormatException.class, () -> Update.decode(bytes, 10_000));
        assertTrue(e.getMessage().contains("exceeds the limit"), e.getMessage());
        assertEquals(100_000, Update.decode(bytes, 1_000_000).operationCount());
    }

    @Test
    void aDocumentReferringToUnknownIdsIsRejected() {
        Doc a = new Doc(1);
        a.insert(0, "abc");
        Version v = a.version();
        a.insert(1, "x"); // left origin 'a', right origin 'b': both outside the partial update
        byte[] partial = a.updatesSince(v).encode();
        CrdtFormatException e = assertThrows(CrdtFormatException.class, () -> Doc.decode(partial));
        assertTrue(e.getMessage().contains("does not contain"), e.getMessage());
        // The same operations framed as a document (no order section) are refused too.
        byte[] framed = Codec.encodeUpdate(a.updatesSince(v), Codec.KIND_DOCUMENT);
        assertThrows(CrdtFormatException.class, () -> Doc.decode(framed));
    }

    @Test
    void anUpdateThatRewritesTextIsRefusedAndChangesNothing() {
        Doc a = new Doc(1);
        Update good = a.insert(0, "abc");
        Doc evil = new Doc(1); // a second replica claiming the same id, with other text
        Update bad = evil.insert(0, "xyz");
        Doc b = new Doc(2);
        b.apply(good);
        Version before = b.version();
        assertThrows(CrdtFormatException.class, () -> b.apply(bad));
        assertEquals("abc", b.text());
        assertEquals(before, b.version());
    }

    @Test
    void aTypedUFFFFIsOrdinaryTextThatAForgeryCannotRewrite() {
        Doc a = new Doc(1);
        a.insert(0, "x\uFFFFy");
        Doc b = new Doc(2);
        b.apply(a.updatesSince(Version.EMPTY));
        Update forged = new Doc(1).insert(0, "xzy"); // the same ids with other text
        for (Doc d : List.of(a, b)) {
            Version before = d.version();
            CrdtFormatException e = assertThrows(CrdtFormatException.class, () -> d.apply(forged));
            assertTrue(e.getMessage().contains("different text"), e.getMessage());
            assertEquals("x\uFFFFy", d.text());
            assertEquals(before, d.version());
        }
        // The other way round: visible text rewritten to U+FFFF (what a save writes for deleted
        // text it no longer knows) is refused too.
        Doc c = new Doc(3);
        c.apply(new Doc(1).insert(0, "abc"));
        CrdtFormatException e = assertThrows(CrdtFormatException.class, () -> c.apply(new Doc(1).insert(0, "a\uFFFFc")));
        assertTrue(e.getMessage().contains("different text"), e.getMessage());
        assertEquals("abc", c.text());
    }

    @Test
    void aLoadedDocumentWithUnknownDeletedTextAcceptsHonestResends() {
        Doc a = new Doc(1);
        a.insert(0, "hello world");
        a.delete(1, 3); // "ell": their text is not saved
        Update history = a.updatesSince(Version.EMPTY);
        Doc loaded = Doc.decode(a.encode(), 2);
        assertEquals("ho world", loaded.text());
        loaded.apply(history); // the real text of the deleted characters: accepted, nothing changes
        assertEquals("ho world", loaded.text());
        assertEquals(a.version(), loaded.version());
        // What the loaded copy sends stands in for the text it lost; replicas that know it accept.
        Doc knows = new Doc(3);
        knows.apply(history);
        knows.apply(loaded.updatesSince(Version.EMPTY));
        assertEquals("ho world", knows.text());
        Doc fresh = new Doc(4);
        fresh.apply(loaded.updatesSince(Version.EMPTY));
        assertEquals("ho world", fresh.text());
        fresh.apply(history); // and then the real text again
        assertEquals("ho world", fresh.text());
        // But a loaded copy still refuses other text for a character that is visible.
        Update forged = new Doc(1).insert(0, "Hello world");
        assertThrows(CrdtFormatException.class, () -> loaded.apply(forged));
        assertEquals("ho world", loaded.text());
    }

    @Test
    void anUpdateThatSplitsASurrogatePairIsRefused() {
        Doc a = new Doc(1);
        a.insert(0, "\uD83D\uDE00");
        Update.Builder ub = new Update.Builder();
        char[] x = {'x'};
        // Insert after the high surrogate: left origin (1, 0), right origin (1, 1).
        ub.addInsert(2, 0, x, 0, 1, 1, 0, false, 1, 1, false);
        Update bad = ub.build();
        assertThrows(CrdtFormatException.class, () -> a.apply(bad));
        assertEquals("\uD83D\uDE00", a.text());
    }
}
