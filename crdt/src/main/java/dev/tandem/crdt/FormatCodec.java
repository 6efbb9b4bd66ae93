package dev.tandem.crdt;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;

/**
 * The formatting section (FORMAT.md, "15, formatting"): marks and paragraph attributes of an
 * update or a document. Its replicas are entries of the body's replicas section, which the
 * writer extends with those only formatting names ({@link #replicas}).
 */
final class FormatCodec {
    private FormatCodec() {}

    /** Replicas the formatting names that {@code table} lacks, to list after it. */
    static long[] replicas(long[] table, List<FormatOp> formats) {
        if (formats.isEmpty()) return table;
        ReplicaIndex index = new ReplicaIndex();
        for (long r : table) index.intern(r);
        for (FormatOp f : formats) {
            index.intern(f.replica());
            if (f.startSeq() != -1) index.intern(f.startReplica());
            if (f.endSeq() != -1) index.intern(f.endReplica());
        }
        long[] out = new long[index.size()];
        for (int i = 0; i < out.length; i++) out[i] = index.id(i);
        return out;
    }

    static ByteWriter write(List<FormatOp> formats, long[] table) {
        ReplicaIndex index = new ReplicaIndex();
        for (long r : table) index.intern(r);
        List<String> strings = new ArrayList<>();
        HashMap<String, Integer> stringIndex = new HashMap<>();
        for (FormatOp f : formats) {
            stringIndex.computeIfAbsent(f.key(), k -> { strings.add(k); return strings.size() - 1; });
            if (f.value() != null) stringIndex.computeIfAbsent(f.value(), k -> { strings.add(k); return strings.size() - 1; });
        }
        ByteWriter w = new ByteWriter(16 + formats.size() * 12);
        w.writeVarInt(strings.size());
        for (String s : strings) {
            byte[] utf8 = s.getBytes(StandardCharsets.UTF_8);
            w.writeVarInt(utf8.length);
            w.writeBytes(utf8, 0, utf8.length);
        }
        w.writeVarInt(formats.size());
        long prevLamport = 0;
        for (FormatOp f : formats) {
            w.writeVarInt(index.find(f.replica()));
            w.writeVarInt(f.seq());
            w.writeSignedVarLong(f.lamport() - prevLamport);
            prevLamport = f.lamport();
            w.writeVarInt(stringIndex.get(f.key()));
            w.writeVarInt(f.value() == null ? 0 : stringIndex.get(f.value()) + 1);
            writeAnchor(w, index, f.startReplica(), f.startSeq(), f.startAfter());
            writeAnchor(w, index, f.endReplica(), f.endSeq(), f.endAfter());
        }
        return w;
    }

    private static void writeAnchor(ByteWriter w, ReplicaIndex index, long replica, int seq, boolean after) {
        if (seq == -1) {
            w.writeVarInt(0);
            return;
        }
        w.writeVarInt(1 + index.find(replica));
        w.writeVarInt(seq);
        w.writeByte(after ? 1 : 0);
    }

    /** Reads the section; every operation is checked against the schema ({@link FormatOp#problem()}). */
    static List<FormatOp> read(ByteReader r, long[] table) {
        int stringCount = r.readCount(1);
        String[] strings = new String[stringCount];
        for (int i = 0; i < stringCount; i++) {
            int len = r.readCount(1);
            byte[] utf8 = new byte[len];
            r.readBytes(utf8, 0, len);
            strings[i] = strictUtf8(utf8, "formatting string");
        }
        int n = r.readCount(7);
        List<FormatOp> out = new ArrayList<>(n);
        long lamport = 0;
        for (int i = 0; i < n; i++) {
            long replica = replica(r.readVarInt(), table);
            int seq = seq(r.readVarLong());
            lamport += r.readSignedVarLong();
            String key = string(r.readVarInt(), strings);
            int v = r.readVarInt();
            String value = v == 0 ? null : string(v - 1, strings);
            long startReplica = 0;
            int startSeq = -1;
            boolean startAfter = false;
            int tag = r.readVarInt();
            if (tag != 0) {
                startReplica = replica(tag - 1, table);
                startSeq = seq(r.readVarLong());
                startAfter = side(r.readByte());
            }
            long endReplica = 0;
            int endSeq = -1;
            boolean endAfter = false;
            tag = r.readVarInt();
            if (tag != 0) {
                endReplica = replica(tag - 1, table);
                endSeq = seq(r.readVarLong());
                endAfter = side(r.readByte());
            }
            FormatOp op = new FormatOp(replica, seq, lamport, key, value, startReplica, startSeq, startAfter, endReplica, endSeq, endAfter);
            String problem = op.problem();
            if (problem != null) throw new CrdtFormatException("formatting operation " + i + ": " + problem);
            out.add(op);
        }
        r.expectEnd();
        return out;
    }

    private static long replica(int index, long[] table) {
        if (index < 0 || index >= table.length) throw new CrdtFormatException("formatting names replica #" + index + " but only " + table.length + " are listed");
        return table[index];
    }

    private static int seq(long seq) {
        if (seq < 0 || seq > Integer.MAX_VALUE - 1) throw new CrdtFormatException("formatting seq out of range");
        return (int) seq;
    }

    private static boolean side(int b) {
        if (b > 1) throw new CrdtFormatException("anchor side " + b);
        return b == 1;
    }

    private static String string(int index, String[] strings) {
        if (index < 0 || index >= strings.length) throw new CrdtFormatException("formatting names string #" + index + " of " + strings.length);
        return strings[index];
    }

    /**
     * Strict UTF-8 (a malformed byte is an error, not a replacement character), for the
     * formatting strings here and the undo stacks' text; {@code what} names it in the error.
     */
    static String strictUtf8(byte[] bytes, String what) {
        try {
            return StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(bytes)).toString();
        } catch (CharacterCodingException e) {
            throw new CrdtFormatException(what + " is not UTF-8");
        }
    }
}
