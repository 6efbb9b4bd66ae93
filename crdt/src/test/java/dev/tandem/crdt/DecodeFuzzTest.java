package dev.tandem.crdt;

import org.junit.jupiter.api.Test;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Hostile bytes: tiny inputs that name huge seqs, counts and lengths (in varints of every
 * length, minimal or padded), and documents with many replicas. Every one must end in a
 * {@link CrdtFormatException} or a sane document, never in an {@link OutOfMemoryError} or
 * another exception, and never allocate what its size cannot justify.
 */
class DecodeFuzzTest {
    private static final long TWO_31 = 1L << 31;

    /**
     * A document: one replica, one-character insert runs (text "a" each) whose seqs are stored
     * as {@code seqDeltas} (relative to the end of the run before), and their order.
     */
    private static byte[] document(long... seqDeltas) {
        int runs = seqDeltas.length;
        ByteWriter body = new ByteWriter(32 + 8 * runs);
        body.writeVarInt(1);
        body.writeLong(7);
        body.writeVarInt(runs);
        for (int i = 0; i < runs; i++) body.writeVarInt(0);                   // agent
        for (long delta : seqDeltas) body.writeSignedVarLong(delta);          // seq
        for (int i = 0; i < runs; i++) body.writeVarInt(1);                   // len
        for (int i = 0; i < 2 * runs; i++) body.writeVarInt(0);               // origins: start, end
        body.writeVarInt(runs);
        for (int i = 0; i < runs; i++) body.writeByte('a');
        body.writeVarInt(0);                                                  // no delete run
        body.writeVarInt(0);                                                  // no extra boundary
        body.writeVarInt(runs);
        for (int i = 0; i < runs; i++) body.writeSignedVarLong(0);
        return CodecTest.reframe((byte) 'D', body.toByteArray());
    }

    @Test
    void aTinyDocumentWithAHugeSeqIsRefusedBeforeAllocating() {
        byte[] sane = document(0);
        assertEquals("a", Doc.decode(sane).text());
        for (long seq : new long[] {TWO_31 - 2, TWO_31 - 3, 1L << 30, 1L << 28, 1L << 26, 1}) {
            byte[] bytes = document(seq);
            assertTrue(bytes.length <= 34, bytes.length + " bytes");
            try {
                CrdtFormatException e = assertThrows(CrdtFormatException.class, () -> Doc.decode(bytes), "seq " + seq);
                assertTrue(e.getMessage().contains("out of order") || e.getMessage().contains("gap"), e.getMessage());
                assertThrows(CrdtFormatException.class, () -> Update.decode(bytes), "seq " + seq);
            } catch (OutOfMemoryError e) {
                fail("a " + bytes.length + "-byte document with one run at seq " + seq + " ran out of memory: " + e);
            }
        }
    }

    @Test
    void theLargestDocumentAllowedDecodesInAModestHeap() {
        // 2^26 characters, all deleted: a few bytes (deleted text is not saved), the most a
        // document may hold. It must decode within the test heap (-Xmx1g, crdt/pom.xml); one
        // more character is refused before anything is allocated.
        for (long chars : new long[] {Codec.MAX_CHARS, Codec.MAX_CHARS + 1L}) {
            ByteWriter body = new ByteWriter(64);
            body.writeVarInt(1);
            body.writeLong(7);
            body.writeVarInt(1);
            body.writeVarInt(0);
            body.writeSignedVarLong(0);
            body.writeVarLong(chars);
            body.writeVarInt(0);
            body.writeVarInt(0);
            body.writeVarInt(0);              // no visible text
            body.writeVarInt(1);              // one delete run: all of them
            body.writeVarInt(0);
            body.writeSignedVarLong(0);
            body.writeVarLong(chars);
            body.writeVarInt(0);
            body.writeSignedVarLong(0);
            body.writeByte(0);
            body.writeVarInt(0);
            body.writeVarInt(1);
            body.writeSignedVarLong(0);
            byte[] bytes = CodecTest.reframe((byte) 'D', body.toByteArray());
            if (chars == Codec.MAX_CHARS) {
                Doc d = Doc.decode(bytes);
                assertEquals("", d.text());
                assertEquals((int) chars, d.version().inserts(7));
            } else {
                assertThrows(CrdtFormatException.class, () -> Doc.decode(bytes));
            }
        }
    }

    @Test
    void aDocumentWithAGapAfterItsFirstRunIsRefused() {
        byte[] bytes = document(0, TWO_31 - 10); // the second run far after the first
        assertEquals("aa", Doc.decode(document(0, 0)).text());
        try {
            assertThrows(CrdtFormatException.class, () -> Doc.decode(bytes));
        } catch (OutOfMemoryError e) {
            fail("a " + bytes.length + "-byte document with a gap ran out of memory: " + e);
        }
    }

    /** Values that break careless arithmetic, for counts, seqs and lengths. */
    private static final long[] EDGES = {
        0, 1, 2, 3, 127, 128, (1 << 26) - 1, 1 << 26, 1 << 28, TWO_31 - 2, TWO_31 - 1, TWO_31,
        (1L << 32) - 1, 1L << 32, 1L << 35, Long.MAX_VALUE, -1, Long.MIN_VALUE, -2, -(TWO_31),
    };

    /** Writes fields of a body: mostly plausible small values, sometimes edge values, in varints of any length. */
    private static final class Fuzz {
        final Random rnd;
        final ByteWriter w = new ByteWriter(256);

        Fuzz(Random rnd) {
            this.rnd = rnd;
        }

        long value(int small) {
            if (rnd.nextInt(8) == 0) {
                long v = EDGES[rnd.nextInt(EDGES.length)];
                // Keep the huge-but-legal lengths rare: a document may hold 2^26 deleted
                // characters in a few bytes, and building one takes a moment.
                if (v == (1 << 26) - 1 && rnd.nextInt(4) != 0) v = 3;
                return v;
            }
            return rnd.nextInt(small);
        }

        /** An unsigned varint, sometimes padded with continuation bytes up to 5 or 10 bytes. */
        void varint(long v) {
            int pad = rnd.nextInt(6) == 0 ? (rnd.nextBoolean() ? 5 : 10) : 0;
            int n = 0;
            while (true) {
                boolean last = (v & ~0x7fL) == 0 && n + 1 >= pad;
                if (n == 9) last = true;
                w.writeByte((int) (v & 0x7f) | (last ? 0 : 0x80));
                v >>>= 7;
                n++;
                if (last) break;
            }
        }

        void svarint(long v) {
            varint((v << 1) ^ (v >> 63));
        }
    }

    /** A random body shaped like the real thing, with edge values sprinkled in. */
    private static byte[] randomBody(Random rnd, boolean document) {
        Fuzz f = new Fuzz(rnd);
        int agents = 1 + rnd.nextInt(4);
        f.varint(rnd.nextInt(10) == 0 ? f.value(3) : agents);
        for (int i = 0; i < agents; i++) f.w.writeLong(rnd.nextInt(3) == 0 ? i - 1L : rnd.nextLong());
        int runs = rnd.nextInt(4);
        f.varint(rnd.nextInt(10) == 0 ? f.value(4) : runs);
        for (int i = 0; i < runs; i++) f.varint(f.value(agents));
        for (int i = 0; i < runs; i++) f.svarint(rnd.nextInt(3) == 0 ? f.value(3) : 0);
        long chars = 0;
        long[] lens = new long[runs];
        for (int i = 0; i < runs; i++) {
            lens[i] = f.value(4) + (rnd.nextInt(5) == 0 ? 0 : 1);
            chars += lens[i];
            f.varint(lens[i]);
        }
        int[] left = new int[runs];
        for (int i = 0; i < runs; i++) {
            left[i] = (int) f.value(agents + 2);
            f.varint(left[i]);
        }
        for (int i = 0; i < runs; i++) if (left[i] >= 2) f.svarint(-f.value(4));
        int[] right = new int[runs];
        for (int i = 0; i < runs; i++) {
            right[i] = (int) f.value(agents + 2);
            f.varint(right[i]);
        }
        for (int i = 0; i < runs; i++) if (right[i] >= 2) f.svarint(-f.value(4));
        int textLen = (int) Math.max(0, Math.min(64, rnd.nextInt(3) == 0 ? f.value(8) : chars));
        f.varint(rnd.nextInt(10) == 0 ? f.value(8) : textLen);
        for (int i = 0; i < textLen; i++) f.w.writeByte(rnd.nextInt(20) == 0 ? 0xff : 'a' + rnd.nextInt(26));
        int dels = rnd.nextInt(3);
        f.varint(rnd.nextInt(10) == 0 ? f.value(3) : dels);
        for (int i = 0; i < dels; i++) f.varint(f.value(agents));
        for (int i = 0; i < dels; i++) f.svarint(rnd.nextInt(3) == 0 ? f.value(3) : 0);
        for (int i = 0; i < dels; i++) f.varint(f.value(4) + 1);
        for (int i = 0; i < dels; i++) f.varint(f.value(agents));
        for (int i = 0; i < dels; i++) f.svarint(f.value(4));
        for (int i = 0; i < dels; i++) f.w.writeByte(rnd.nextInt(10) == 0 ? 2 : rnd.nextInt(2));
        if (document) {
            int extras = rnd.nextInt(4) == 0 ? 1 : 0;
            f.varint(rnd.nextInt(10) == 0 ? f.value(3) : extras);
            for (int i = 0; i < extras; i++) f.varint(f.value(agents));
            for (int i = 0; i < extras; i++) f.varint(f.value(4));
            int pieces = (int) Math.min(8, f.value(4) + runs);
            f.varint(rnd.nextInt(10) == 0 ? f.value(4) : pieces);
            for (int i = 0; i < pieces; i++) f.svarint(rnd.nextInt(4) == 0 ? f.value(3) - 1 : 0);
        }
        return f.w.toByteArray();
    }

    /**
     * A random v2 body: the same shapes as {@link #randomBody}, cut into sections (random times
     * and unknown ranges besides), sometimes with a section dropped, an extra one, or one with
     * an unknown tag.
     */
    private static byte[] randomBodyV2(Random rnd, boolean document) {
        java.util.TreeMap<Integer, byte[]> parts = new java.util.TreeMap<>();
        int agents = 1 + rnd.nextInt(4);
        Fuzz f = new Fuzz(rnd);
        f.varint(rnd.nextInt(10) == 0 ? f.value(3) : agents);
        for (int i = 0; i < agents; i++) f.w.writeLong(rnd.nextInt(3) == 0 ? i - 1L : rnd.nextLong());
        parts.put(Codec.SEC_REPLICAS, f.w.toByteArray());
        int runs = rnd.nextInt(4);
        f = new Fuzz(rnd);
        f.varint(rnd.nextInt(10) == 0 ? f.value(4) : runs);
        for (int i = 0; i < runs; i++) f.varint(f.value(agents));
        for (int i = 0; i < runs; i++) f.svarint(rnd.nextInt(3) == 0 ? f.value(3) : 0);
        long chars = 0;
        for (int i = 0; i < runs; i++) {
            long len = f.value(4) + (rnd.nextInt(5) == 0 ? 0 : 1);
            chars += len;
            f.varint(len);
        }
        int[] left = new int[runs];
        for (int i = 0; i < runs; i++) f.varint(left[i] = (int) f.value(agents + 2));
        for (int i = 0; i < runs; i++) if (left[i] >= 2) f.svarint(-f.value(4));
        int[] right = new int[runs];
        for (int i = 0; i < runs; i++) f.varint(right[i] = (int) f.value(agents + 2));
        for (int i = 0; i < runs; i++) if (right[i] >= 2) f.svarint(-f.value(4));
        if (runs > 0 || rnd.nextInt(5) == 0) parts.put(Codec.SEC_INSERTS, f.w.toByteArray());
        for (int tag : new int[] {Codec.SEC_INSERT_TIMES, Codec.SEC_DELETE_TIMES}) {
            if (rnd.nextInt(4) == 0) continue;
            f = new Fuzz(rnd);
            int groups = rnd.nextInt(3);
            f.varint(rnd.nextInt(10) == 0 ? f.value(3) : groups);
            for (int g = 0; g < groups; g++) {
                f.varint(rnd.nextInt(3) == 0 ? f.value(4) : Math.max(1, runs / Math.max(1, groups)));
                f.svarint(rnd.nextInt(4) == 0 ? f.value(100) : 1_700_000_000L);
            }
            parts.put(tag, f.w.toByteArray());
        }
        int unknown = rnd.nextInt(3) == 0 ? 1 + rnd.nextInt(2) : 0;
        long unknownChars = 0;
        if (unknown > 0) {
            f = new Fuzz(rnd);
            f.varint(rnd.nextInt(10) == 0 ? f.value(3) : unknown);
            for (int k = 0; k < unknown; k++) f.varint(rnd.nextInt(4) == 0 ? f.value(agents) : 0);
            for (int k = 0; k < unknown; k++) f.varint(f.value(3));
            for (int k = 0; k < unknown; k++) {
                long len = f.value(3) + 1;
                unknownChars += len;
                f.varint(len);
            }
            parts.put(Codec.SEC_UNKNOWN, f.w.toByteArray());
        }
        int textLen = (int) Math.max(0, Math.min(64, rnd.nextInt(3) == 0 ? f.value(8) : chars - (document ? 0 : unknownChars)));
        byte[] text = new byte[textLen];
        for (int i = 0; i < textLen; i++) text[i] = (byte) (rnd.nextInt(20) == 0 ? 0xff : 'a' + rnd.nextInt(26));
        if (textLen > 0) parts.put(Codec.SEC_TEXT, text);
        int dels = rnd.nextInt(3);
        f = new Fuzz(rnd);
        f.varint(rnd.nextInt(10) == 0 ? f.value(3) : dels);
        for (int i = 0; i < dels; i++) f.varint(f.value(agents));
        for (int i = 0; i < dels; i++) f.svarint(rnd.nextInt(3) == 0 ? f.value(3) : 0);
        for (int i = 0; i < dels; i++) f.varint(f.value(4) + 1);
        for (int i = 0; i < dels; i++) f.varint(f.value(agents));
        for (int i = 0; i < dels; i++) f.svarint(f.value(4));
        for (int i = 0; i < dels; i++) f.w.writeByte(rnd.nextInt(10) == 0 ? 2 : rnd.nextInt(2));
        if (dels > 0 || rnd.nextInt(5) == 0) parts.put(Codec.SEC_DELETES, f.w.toByteArray());
        if (document) {
            f = new Fuzz(rnd);
            int extras = rnd.nextInt(4) == 0 ? 1 : 0;
            f.varint(rnd.nextInt(10) == 0 ? f.value(3) : extras);
            for (int i = 0; i < extras; i++) f.varint(f.value(agents));
            for (int i = 0; i < extras; i++) f.varint(f.value(4));
            int pieces = (int) Math.min(8, f.value(4) + runs);
            f.varint(rnd.nextInt(10) == 0 ? f.value(4) : pieces);
            for (int i = 0; i < pieces; i++) f.svarint(rnd.nextInt(4) == 0 ? f.value(3) - 1 : 0);
            parts.put(Codec.SEC_ORDER, f.w.toByteArray());
        }
        switch (rnd.nextInt(12)) {
            case 0 -> parts.remove(parts.keySet().toArray(new Integer[0])[rnd.nextInt(parts.size())]);
            case 1 -> parts.put(2 * (1 + rnd.nextInt(20)), new byte[] {(byte) rnd.nextInt()}); // optional: skipped
            case 2 -> parts.put(2 * rnd.nextInt(20) + 15, new byte[0]); // must be understood: refused
            default -> { }
        }
        ByteWriter body = new ByteWriter(256);
        parts.forEach((tag, bytes) -> {
            body.writeVarInt(tag);
            body.writeVarInt(bytes.length);
            body.writeBytes(bytes, 0, bytes.length);
        });
        return body.toByteArray();
    }

    @Test
    void structuredGarbageWithHugeValuesIsRefusedOrSane() {
        String fixed = System.getProperty("tandem.seed");
        long seed = fixed != null ? Long.parseLong(fixed) : System.nanoTime();
        System.out.println("DecodeFuzzTest: seed=" + seed + " (rerun: -Dtest=DecodeFuzzTest -Dtandem.seed=" + seed + ")");
        Random rnd = new Random(seed);
        int accepted = 0;
        for (int i = 0; i < 30_000; i++) {
            boolean document = rnd.nextBoolean();
            boolean v2 = rnd.nextBoolean();
            byte[] body = v2 ? randomBodyV2(rnd, document) : randomBody(rnd, document);
            byte[] bytes = v2 ? FormatV2Test.frameBody(document ? 'D' : 'U', body) : CodecTest.reframe((byte) (document ? 'D' : 'U'), body);
            String what = "case " + i + " of seed=" + seed + " (rerun: -Dtandem.seed=" + seed + "), " + body.length + "-byte v" + (v2 ? 2 : 1) + " " + (document ? "document" : "update");
            try {
                if (document) {
                    Doc x = Doc.decode(bytes);
                    x.checkInvariants();
                    Doc again = Doc.decode(x.encode());
                    assertEquals(x.text(), again.text(), what);
                    assertEquals(x.idSequence(), again.idSequence(), what);
                    assertEquals(x.version(), again.version(), what);
                } else {
                    Doc x = new Doc();
                    x.apply(Update.decode(bytes));
                    x.checkInvariants();
                    Doc again = Doc.decode(x.encode());
                    assertEquals(x.text(), again.text(), what);
                    assertEquals(x.idSequence(), again.idSequence(), what);
                }
                accepted++;
            } catch (CrdtFormatException expected) {
                // the one exception type
            } catch (RuntimeException | Error e) {
                throw new AssertionError(what + " raised " + e + " instead of CrdtFormatException", e);
            }
        }
        System.out.println("DecodeFuzzTest: " + accepted + " of 30000 decoded");
    }

    @Test
    void hugeValuesInVersionsAreRefused() {
        for (long v : EDGES) {
            ByteWriter w = new ByteWriter(32);
            w.writeByte('V');
            w.writeByte(1);
            w.writeVarInt(1);
            w.writeLong(9);
            w.writeVarLong(v);
            w.writeVarLong(1);
            byte[] bytes = w.toByteArray();
            if (v > 0 && v <= Integer.MAX_VALUE) {
                assertEquals((int) v, Version.decode(bytes).inserts(9));
            } else if (v != 0) {
                assertThrows(CrdtFormatException.class, () -> Version.decode(bytes), "inserts " + v);
            }
            ByteWriter count = new ByteWriter(16);
            count.writeByte('V');
            count.writeByte(1);
            count.writeVarLong(v);
            if (v != 0) assertThrows(CrdtFormatException.class, () -> Version.decode(count.toByteArray()), "count " + v);
        }
    }

    @Test
    void aDocumentWithManyReplicasRoundTrips() {
        // One character from each of many replicas, each inserted at a random place: many
        // pieces, each of a different replica, so finding a piece's replica must not scan.
        Doc doc = new Doc(1);
        Random rnd = new Random(4);
        int replicas = 20_000;
        for (int i = 0; i < replicas; i++) {
            Doc other = new Doc(1000L + i * 7919L);
            Update u = other.insert(0, String.valueOf((char) ('a' + rnd.nextInt(26))));
            // Re-home the character at a random place in doc: type it there as that replica would.
            Update.Builder b = new Update.Builder();
            int at = rnd.nextInt(doc.length() + 1);
            Anchor left = at == 0 ? Anchor.START : doc.anchor(at, Bias.LEFT);
            Anchor right = at == doc.length() ? Anchor.END : doc.anchor(at, Bias.RIGHT);
            b.addInsert(other.replicaId(), 0, u.ops().text, 0, 1,
                    left.replicaId(), left.seq(), left.isEdge(), right.replicaId(), right.seq(), right.isEdge());
            doc.apply(b.build());
        }
        assertEquals(replicas, doc.length());
        Doc copy = Doc.decode(doc.encode());
        assertEquals(doc.text(), copy.text());
        assertEquals(doc.idSequence(), copy.idSequence());
        copy.checkInvariants();
    }

    @Test
    void pieceReplicasAreFoundWithEmptyReplicasInBetween() {
        // Agents 0 and 2 have characters, agent 1 (only named as... nothing) and 3 none.
        Update.Builder b = new Update.Builder();
        b.agent(10);
        b.agent(11);
        b.agent(12);
        b.agent(13);
        char[] text = "abcd".toCharArray();
        b.addInsert(10, 0, text, 0, 2, 0, 0, true, 0, 0, true);
        b.addInsert(12, 0, text, 2, 2, 10, 1, false, 0, 0, true);
        Update.Ops ops = b.buildOps();
        Pieces pieces = new Pieces(ops);
        pieces.index();
        for (int p = 0; p < pieces.count; p++) {
            int expected = 0;
            for (int a = 0; a < pieces.firstIndex.length; a++) if (pieces.firstIndex[a] <= p && pieces.starts[a].length > 0) expected = a;
            assertEquals(expected, pieces.agentOf(p), "piece " + p);
        }
    }
}
