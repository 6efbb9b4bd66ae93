package dev.tandem.crdt;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.InputStream;
import java.util.Arrays;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.zip.CRC32;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Format v2: deleted text kept, unknown text as ranges, edit times, sections. */
class FormatV2Test {
    private static final long T0 = CodecTest.GOLDEN_TIME;

    // ---------------------------------------------------------------- deleted text

    @Test
    void deletedTextSurvivesReloadAndGoesInUpdates() {
        Doc a = CodecTest.golden(2); // 300 lines, 60 deletions
        byte[] saved = a.encode();
        Doc loaded = Doc.decode(saved, 7);
        loaded.clock(() -> T0);
        assertEquals(a.text(), loaded.text());
        // What the reloaded copy sends is exactly what the original sends: the deleted text too.
        assertArrayEquals(a.updatesSince(Version.EMPTY).encode(), loaded.updatesSince(Version.EMPTY).encode());
        Update.Ops ops = loaded.updatesSince(Version.EMPTY).ops();
        assertEquals(0, ops.unkStart.length, "nothing unknown");
        assertFalse(new String(ops.text).contains("\uFFFF"));
        // And saved again, byte for byte the same document.
        assertArrayEquals(saved, loaded.encode());
    }

    @Test
    void aTypedUFFFFIsTextVisibleOrDeleted() {
        Doc a = CodecTest.fixedClock(1);
        a.insert(0, "a\uFFFFb\uFFFFc");
        a.delete(1, 1); // a deleted U+FFFF: its text is kept like any other
        Doc loaded = Doc.decode(a.encode());
        assertEquals("ab\uFFFFc", loaded.text());
        Update.Ops ops = loaded.updatesSince(Version.EMPTY).ops();
        assertEquals(0, ops.unkStart.length);
        assertEquals("a\uFFFFb\uFFFFc", new String(ops.text));
        Doc b = new Doc(2);
        b.apply(Update.decode(loaded.updatesSince(Version.EMPTY).encode()));
        assertEquals("ab\uFFFFc", b.text());
        assertArrayEquals(a.updatesSince(Version.EMPTY).encode(), b.updatesSince(Version.EMPTY).encode());
    }

    // ---------------------------------------------------------------- v1 upgrade, unknown ranges

    private static byte[] resource(String path) throws IOException {
        try (InputStream in = FormatV2Test.class.getResourceAsStream(path)) {
            assertNotNull(in, "missing " + path);
            return in.readAllBytes();
        }
    }

    @Test
    void aV1DocumentIsUpgradedWithItsDeletedTextUnknown() throws IOException {
        Doc upgraded = Doc.decode(resource("/golden/edited.tdoc"), 7);
        Doc original = CodecTest.golden(2);
        assertEquals(original.text(), upgraded.text());
        long deleted = 0;
        for (String id : original.idSequence()) if (id.endsWith("-")) deleted++;
        // Its updates say which text is unknown, as ranges, with no character standing in.
        Update.Ops ops = upgraded.updatesSince(Version.EMPTY).ops();
        assertEquals(deleted, ops.unknownChars());
        // Merging keeps them, once.
        Doc another = Doc.decode(resource("/golden/edited.tdoc"), 11);
        Update past = another.updatesSince(Version.EMPTY);
        Update more = another.insert(0, "new ");
        Update merged = Update.merge(java.util.List.of(past, more, past));
        assertEquals(deleted, Update.decode(merged.encode()).ops().unknownChars());
        Doc fromMerged = new Doc(9);
        fromMerged.apply(Update.decode(merged.encode()));
        assertEquals(another.text(), fromMerged.text());
        // A fresh replica takes them, keeps them unknown through its own save and sends them on.
        Doc fresh = new Doc(8);
        fresh.apply(Update.decode(upgraded.updatesSince(Version.EMPTY).encode()));
        assertEquals(original.text(), fresh.text());
        Doc reloaded = Doc.decode(fresh.encode());
        assertEquals(original.text(), reloaded.text());
        assertEquals(deleted, reloaded.updatesSince(Version.EMPTY).ops().unknownChars());
        assertNotNull(sections(fresh.encode())[Codec.SEC_UNKNOWN]);
        // A replica that kept the text teaches it: nothing unknown any more, the save has no
        // unknown section and its text (deleted text included) is the original's.
        for (Doc d : new Doc[] {upgraded, reloaded}) {
            d.apply(original.updatesSince(Version.EMPTY));
            assertEquals(0, d.updatesSince(Version.EMPTY).ops().unknownChars());
            assertNull(sections(d.encode())[Codec.SEC_UNKNOWN]);
            assertArrayEquals(parts(original.encode()).get(Codec.SEC_TEXT), parts(d.encode()).get(Codec.SEC_TEXT));
        }
        // The other way round: the replica that knows keeps its text.
        Doc knows = CodecTest.golden(2);
        knows.apply(Update.decode(fresh.updatesSince(Version.EMPTY).encode()));
        assertEquals(0, knows.updatesSince(Version.EMPTY).ops().unknownChars());
    }

    @Test
    void unknownTextOnAVisibleCharacterIsRefused() {
        Doc a = CodecTest.fixedClock(1);
        a.insert(0, "abc");
        // An update that claims not to know the text of a visible character.
        Update.Builder b = new Update.Builder();
        b.addInsert(1, 0, "a\uFFFFc".toCharArray(), 0, 3, 0, 0, true, 0, 0, true, T0);
        b.addUnknown(1, 1, 1);
        Update forged = Update.decode(Codec.encodeUpdate(b.build(), Codec.KIND_UPDATE));
        Doc fresh = new Doc(2);
        CrdtFormatException e = assertThrows(CrdtFormatException.class, () -> fresh.apply(forged));
        assertTrue(e.getMessage().contains("not deleted"), e.getMessage());
        assertEquals(Version.EMPTY, fresh.version());
        Version before = a.version();
        assertThrows(CrdtFormatException.class, () -> a.apply(forged));
        assertEquals("abc", a.text());
        assertEquals(before, a.version());
        // Deleted by the same update, the same range is fine.
        b.addDelete(1, 0, 1, 1, 1, false, T0);
        Doc other = new Doc(3);
        other.apply(Update.decode(Codec.encodeUpdate(b.build(), Codec.KIND_UPDATE)));
        assertEquals("ac", other.text());
        assertEquals(1, other.updatesSince(Version.EMPTY).ops().unknownChars());
    }

    @Test
    void unknownTextMustArriveWithItsCauses() {
        Update.Builder b = new Update.Builder();
        // Characters 1:5..6 whose left origin 1:4 has not arrived, text unknown, deleted.
        b.addInsert(1, 5, "\uFFFF\uFFFF".toCharArray(), 0, 2, 1, 4, false, 0, 0, true, T0);
        b.addUnknown(1, 5, 2);
        b.addDelete(1, 0, 2, 1, 5, false, T0);
        Update u = Update.decode(Codec.encodeUpdate(b.build(), Codec.KIND_UPDATE));
        Doc d = new Doc(2);
        CrdtFormatException e = assertThrows(CrdtFormatException.class, () -> d.apply(u));
        assertTrue(e.getMessage().contains("cannot apply yet"), e.getMessage());
        assertEquals(0, d.heldRuns());
        assertEquals(Version.EMPTY, d.version());
    }

    @Test
    void unknownRangesOutsideTheRunsOrInsideAPairAreRefused() {
        Update.Builder outside = new Update.Builder();
        outside.addInsert(1, 0, "ab".toCharArray(), 0, 2, 0, 0, true, 0, 0, true, T0);
        outside.addUnknown(1, 1, 5);
        byte[] bytes = Codec.encodeUpdate(outside.build(), Codec.KIND_UPDATE);
        CrdtFormatException e = assertThrows(CrdtFormatException.class, () -> Update.decode(bytes));
        assertTrue(e.getMessage().contains("unknown"), e.getMessage());
        Update.Builder beside = new Update.Builder();
        beside.addInsert(1, 0, "ab".toCharArray(), 0, 2, 0, 0, true, 0, 0, true, T0);
        beside.addInsert(2, 0, "cd".toCharArray(), 0, 2, 0, 0, true, 0, 0, true, T0);
        beside.addUnknown(1, 1, 2); // as many characters as the runs have, but past the first run's end
        TreeMap<Integer, byte[]> besideParts = parts(Codec.encodeUpdate(beside.build(), Codec.KIND_UPDATE));
        besideParts.put(Codec.SEC_TEXT, new byte[] {'c', 'd'}); // as much known text as the counts say
        byte[] besideBytes = frame('U', besideParts);
        e = assertThrows(CrdtFormatException.class, () -> Update.decode(besideBytes));
        assertTrue(e.getMessage().contains("does not carry"), e.getMessage());

        Update.Builder pair = new Update.Builder();
        // Known text "x" + a pair, valid UTF-8, but an unknown character sits between the halves.
        pair.addInsert(1, 0, "x\uD83D\uFFFF\uDE00".toCharArray(), 0, 4, 0, 0, true, 0, 0, true, T0);
        pair.addUnknown(1, 2, 1);
        byte[] split = Codec.encodeUpdate(pair.build(), Codec.KIND_UPDATE);
        e = assertThrows(CrdtFormatException.class, () -> Update.decode(split));
        assertTrue(e.getMessage().contains("surrogate"), e.getMessage());
    }

    @Test
    void aSmallUpdateCannotNameMuchUnknownText() {
        // One run of 2^24 characters, all unknown and deleted: a few bytes that would cost a
        // receiver 32 MB of text (and more for its index) if it believed them.
        int n = 1 << 24;
        ByteWriter runs = new ByteWriter(16);
        runs.writeVarInt(1);
        runs.writeVarInt(0);
        runs.writeSignedVarLong(0);
        runs.writeVarInt(n);
        runs.writeVarInt(0);
        runs.writeVarInt(0);
        ByteWriter unknown = new ByteWriter(16);
        unknown.writeVarInt(1);
        unknown.writeVarInt(0);
        unknown.writeVarLong(0);
        unknown.writeVarInt(n);
        ByteWriter replicas = new ByteWriter(16);
        replicas.writeVarInt(1);
        replicas.writeLong(5);
        TreeMap<Integer, byte[]> parts = new TreeMap<>();
        parts.put(Codec.SEC_REPLICAS, replicas.toByteArray());
        parts.put(Codec.SEC_INSERTS, runs.toByteArray());
        parts.put(Codec.SEC_UNKNOWN, unknown.toByteArray());
        byte[] bytes = frame('U', parts);
        assertTrue(bytes.length < 64, bytes.length + " bytes");
        CrdtFormatException e = assertThrows(CrdtFormatException.class, () -> Update.decode(bytes));
        assertTrue(e.getMessage().contains("unknown text, more than"), e.getMessage());
    }

    @Test
    void aDocumentWhoseUnknownRangeCoversVisibleTextIsRefused() throws IOException {
        byte[] good = Doc.decode(resource("/golden/edited.tdoc")).encode();
        ByteReader[] sec = sections(good);
        assertNotNull(sec[Codec.SEC_UNKNOWN]);
        // One range over the last character typed, the final line break, which is visible...
        int last = CodecTest.golden(2).version().inserts(-42) - 1;
        ByteWriter w = new ByteWriter(8);
        w.writeVarInt(1);
        w.writeVarInt(0);
        w.writeVarLong(last);
        w.writeVarInt(1);
        TreeMap<Integer, byte[]> parts = parts(good);
        parts.put(Codec.SEC_UNKNOWN, w.toByteArray());
        byte[] forged = frame('D', parts);
        CrdtFormatException e = assertThrows(CrdtFormatException.class, () -> Doc.decode(forged));
        assertTrue(e.getMessage().contains("visible"), e.getMessage());
        // ...while the unchanged parts, framed the same way, decode.
        assertEquals(Doc.decode(good).text(), Doc.decode(frame('D', parts(good))).text());
    }

    // ---------------------------------------------------------------- times

    @Test
    void localEditsAreStampedAndABurstOfTypingIsOneRun() {
        AtomicLong now = new AtomicLong(T0);
        Doc d = new Doc(1);
        d.clock(now::get);
        for (int i = 0; i < 200; i++) {
            d.insert(d.length(), "x");
            if (i % 10 == 9) now.addAndGet(2); // 200 keystrokes over 40 s
        }
        Update.Ops ops = d.updatesSince(Version.EMPTY).ops();
        assertEquals(1, ops.insCount, "one run");
        assertEquals(T0, ops.insTime[0]);
        // Its time column costs a few bytes: one group, one count, one time.
        byte[] burst = parts(d.encode()).get(Codec.SEC_INSERT_TIMES);
        assertTrue(burst.length <= 8, "time column of " + burst.length + " bytes");
        now.addAndGet(60); // a minute later: a new run
        d.insert(d.length(), "y");
        ops = d.updatesSince(Version.EMPTY).ops();
        assertEquals(2, ops.insCount);
        assertEquals(T0 + 100, ops.insTime[1]);
        d.delete(0, 3);
        ops = d.updatesSince(Version.EMPTY).ops();
        assertEquals(T0 + 100, ops.delTime[0]);
        // Times survive reload and updates.
        Doc loaded = Doc.decode(d.encode());
        Update.Ops back = loaded.updatesSince(Version.EMPTY).ops();
        assertArrayEquals(new long[] {T0, T0 + 100}, back.insTime);
        assertArrayEquals(new long[] {T0 + 100}, back.delTime);
        Doc remote = new Doc(2);
        remote.apply(Update.decode(d.updatesSince(Version.EMPTY).encode()));
        assertArrayEquals(new long[] {T0, T0 + 100}, remote.updatesSince(Version.EMPTY).ops().insTime);
    }

    @Test
    void timesSurviveMergingHoldingAndHeldUpdates() {
        AtomicLong now = new AtomicLong(T0);
        Doc a = new Doc(1);
        a.clock(now::get);
        Update first = a.insert(0, "one");
        now.addAndGet(600);
        Update second = a.insert(3, " two");
        now.addAndGet(600);
        Update third = a.delete(0, 4);
        // Merged without a document: each run keeps its own time.
        Update merged = Update.decode(Update.merge(java.util.List.of(first, second, third)).encode());
        assertArrayEquals(new long[] {T0, T0 + 600}, merged.ops().insTime);
        assertArrayEquals(new long[] {T0 + 1200}, merged.ops().delTime);
        // Delivered backwards: held, then woken; the times are those of the edits, also in the
        // held update a store keeps beside a snapshot.
        Doc b = new Doc(2);
        b.clock(() -> T0 + 5000);
        b.apply(Update.decode(third.encode()));
        b.apply(Update.decode(second.encode()));
        assertEquals(2, b.heldRuns());
        Update held = Update.decode(b.heldUpdate().encode());
        assertArrayEquals(new long[] {T0 + 600}, held.ops().insTime);
        assertArrayEquals(new long[] {T0 + 1200}, held.ops().delTime);
        b.apply(Update.decode(first.encode()));
        assertEquals(0, b.heldRuns());
        assertEquals("two", b.text());
        Update.Ops ops = b.updatesSince(Version.EMPTY).ops();
        assertArrayEquals(new long[] {T0, T0 + 600}, ops.insTime);
        assertArrayEquals(new long[] {T0 + 1200}, ops.delTime);
    }

    @Test
    void timesInTheFutureAreClampedToTheReceiversClock() {
        Doc ahead = new Doc(1);
        ahead.clock(() -> T0 + 86_400); // a day ahead
        Update u = ahead.insert(0, "from tomorrow");
        Update del = ahead.delete(0, 5);
        Doc here = new Doc(2);
        here.clock(() -> T0);
        here.apply(Update.decode(u.encode()));
        here.apply(Update.decode(del.encode()));
        Update.Ops ops = here.updatesSince(Version.EMPTY).ops();
        assertEquals(T0, ops.insTime[0]);
        assertEquals(T0, ops.delTime[0]);
        Doc loaded = Doc.decode(ahead.encode());
        loaded.clock(() -> T0); // too late for the load itself, which used the real clock: now < tomorrow
        assertTrue(loaded.updatesSince(Version.EMPTY).ops().insTime[0] <= System.currentTimeMillis() / 1000 + 1);
    }

    @Test
    void badTimeColumnsAreRefused() {
        Doc d = CodecTest.fixedClock(1);
        d.insert(0, "abc");
        d.insert(0, "x");
        byte[] good = d.encode();
        for (long[] groups : new long[][] {{3, 0}, {1, 0}, {2, -1}, {1, 1L << 40, 1, 0}, {0, 5, 2, 0}}) {
            ByteWriter w = new ByteWriter(16);
            w.writeVarInt(groups.length / 2);
            for (int g = 0; g < groups.length; g += 2) {
                w.writeVarLong(groups[g]);
                w.writeSignedVarLong(groups[g + 1]);
            }
            TreeMap<Integer, byte[]> parts = parts(good);
            parts.put(Codec.SEC_INSERT_TIMES, w.toByteArray());
            byte[] bad = frame('D', parts);
            assertThrows(CrdtFormatException.class, () -> Doc.decode(bad), Arrays.toString(groups));
        }
    }

    // ---------------------------------------------------------------- sections

    @Test
    void unknownEvenSectionsAreSkippedUnknownOddOnesRefused() {
        Doc d = CodecTest.golden(1);
        byte[] good = d.encode();
        TreeMap<Integer, byte[]> parts = parts(good);
        parts.put(14, new byte[] {1, 2, 3}); // a later optional section
        parts.put(2, new byte[] {9});
        assertEquals(d.text(), Doc.decode(frame('D', parts)).text());
        parts = parts(good);
        parts.put(17, new byte[] {1}); // a later section that must be understood (15 is formatting)
        byte[] odd = frame('D', parts);
        CrdtFormatException e = assertThrows(CrdtFormatException.class, () -> Doc.decode(odd));
        assertTrue(e.getMessage().contains("must be understood"), e.getMessage());
        // The same for updates.
        TreeMap<Integer, byte[]> up = parts(d.updatesSince(Version.EMPTY).encode());
        up.put(20, new byte[] {0});
        assertEquals(d.text(), applied(frame('U', up)).text());
        up.put(21, new byte[] {0});
        assertThrows(CrdtFormatException.class, () -> Update.decode(frame('U', up)));
    }

    @Test
    void sectionsOutOfOrderRepeatedOrTooLongAreRefused() {
        byte[] good = CodecTest.golden(1).encode();
        TreeMap<Integer, byte[]> parts = parts(good);
        ByteWriter body = new ByteWriter(256);
        // Replicas written twice.
        for (int i = 0; i < 2; i++) {
            body.writeVarInt(Codec.SEC_REPLICAS);
            body.writeVarInt(parts.get(Codec.SEC_REPLICAS).length);
            body.writeBytes(parts.get(Codec.SEC_REPLICAS), 0, parts.get(Codec.SEC_REPLICAS).length);
        }
        byte[] twice = frameBody('D', body.toByteArray());
        assertTrue(assertThrows(CrdtFormatException.class, () -> Doc.decode(twice)).getMessage().contains("ascend"));
        // Order section before the inserts.
        ByteWriter swapped = new ByteWriter(256);
        for (int tag : new int[] {Codec.SEC_REPLICAS, Codec.SEC_ORDER, Codec.SEC_INSERTS}) {
            swapped.writeVarInt(tag);
            swapped.writeVarInt(parts.get(tag).length);
            swapped.writeBytes(parts.get(tag), 0, parts.get(tag).length);
        }
        byte[] outOfOrder = frameBody('D', swapped.toByteArray());
        assertThrows(CrdtFormatException.class, () -> Doc.decode(outOfOrder));
        // A length past the end.
        ByteWriter tooLong = new ByteWriter(16);
        tooLong.writeVarInt(Codec.SEC_REPLICAS);
        tooLong.writeVarInt(Integer.MAX_VALUE);
        tooLong.writeLong(1);
        byte[] longBytes = frameBody('U', tooLong.toByteArray());
        assertTrue(assertThrows(CrdtFormatException.class, () -> Update.decode(longBytes)).getMessage().contains("remain"));
        // A document section in an update, and a document without an order.
        TreeMap<Integer, byte[]> up = parts(CodecTest.golden(1).updatesSince(Version.EMPTY).encode());
        up.put(Codec.SEC_ORDER, parts.get(Codec.SEC_ORDER));
        assertThrows(CrdtFormatException.class, () -> Update.decode(frame('U', up)));
        TreeMap<Integer, byte[]> noOrder = parts(good);
        noOrder.remove(Codec.SEC_ORDER);
        assertThrows(CrdtFormatException.class, () -> Doc.decode(frame('D', noOrder)));
    }

    @Test
    void absurdCountsInSectionsFailBeforeAllocating() {
        for (int tag : new int[] {Codec.SEC_REPLICAS, Codec.SEC_INSERTS, Codec.SEC_DELETES, Codec.SEC_UNKNOWN}) {
            TreeMap<Integer, byte[]> parts = parts(CodecTest.golden(1).updatesSince(Version.EMPTY).encode());
            ByteWriter w = new ByteWriter(8);
            w.writeVarInt(Integer.MAX_VALUE);
            parts.put(tag, w.toByteArray());
            byte[] bad = frame('U', parts);
            CrdtFormatException e = assertThrows(CrdtFormatException.class, () -> Update.decode(bad));
            assertTrue(e.getMessage().contains("count"), "section " + tag + ": " + e.getMessage());
        }
    }

    @Test
    void textThatDoesNotFitTheCharactersIsRefused() {
        Doc d = CodecTest.golden(2);
        byte[] good = d.encode();
        TreeMap<Integer, byte[]> parts = parts(good);
        byte[] text = parts.get(Codec.SEC_TEXT);
        parts.put(Codec.SEC_TEXT, Arrays.copyOf(text, text.length - 1));
        byte[] shorter = frame('D', parts);
        assertTrue(assertThrows(CrdtFormatException.class, () -> Doc.decode(shorter)).getMessage().contains("text is shorter"));
        byte[] longer = Arrays.copyOf(text, text.length + 1);
        longer[text.length] = 'z';
        parts.put(Codec.SEC_TEXT, longer);
        byte[] tooLong = frame('D', parts);
        assertTrue(assertThrows(CrdtFormatException.class, () -> Doc.decode(tooLong)).getMessage().contains("text is longer"));
    }

    // ---------------------------------------------------------------- helpers

    private static Doc applied(byte[] update) {
        Doc d = new Doc();
        d.apply(Update.decode(update));
        return d;
    }

    static ByteReader[] sections(byte[] framed) {
        Codec.Body b = Codec.openBody(framed, Codec.DEFAULT_MAX_BODY);
        return Codec.sections(b.reader());
    }

    private static byte[] bytesOf(ByteReader r) {
        byte[] out = new byte[r.remaining()];
        r.readBytes(out, 0, out.length);
        return out;
    }

    /** The sections of a v2 encoding, by tag. */
    static TreeMap<Integer, byte[]> parts(byte[] framed) {
        ByteReader[] sec = sections(framed);
        TreeMap<Integer, byte[]> out = new TreeMap<>();
        for (int tag = 0; tag < sec.length; tag++) if (sec[tag] != null) out.put(tag, bytesOf(sec[tag]));
        return out;
    }

    /** Sections in ascending tag order, framed raw as format v2 with a valid checksum. */
    static byte[] frame(char kind, TreeMap<Integer, byte[]> parts) {
        ByteWriter body = new ByteWriter(256);
        parts.forEach((tag, bytes) -> {
            body.writeVarInt(tag);
            body.writeVarInt(bytes.length);
            body.writeBytes(bytes, 0, bytes.length);
        });
        return frameBody(kind, body.toByteArray());
    }

    static byte[] frameBody(char kind, byte[] body) {
        CRC32 crc = new CRC32();
        crc.update(body, 0, body.length);
        ByteWriter out = new ByteWriter(body.length + 16);
        out.writeByte('T');
        out.writeByte(kind);
        out.writeByte(2);
        out.writeByte(0);
        out.writeVarInt(body.length);
        out.writeInt((int) crc.getValue());
        out.writeBytes(body, 0, body.length);
        return out.toByteArray();
    }
}
