package dev.tandem.crdt;

import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.zip.CRC32;
import java.util.zip.DataFormatException;
import java.util.zip.Deflater;
import java.util.zip.Inflater;

/**
 * The binary format of updates and documents, byte for byte as described in
 * {@code crdt/FORMAT.md}. Keep the two in step: the golden files in the tests pin it.
 */
final class Codec {
    private Codec() {}

    /** The format written; {@link #FORMAT_V1} is still read (FORMAT.md, "Reading v1"). */
    static final int FORMAT_VERSION = 2;
    static final int FORMAT_V1 = 1;

    // Section tags (FORMAT.md, "Body"). Odd tags must be understood; an unknown even tag is skipped.
    static final int SEC_REPLICAS = 1;
    static final int SEC_INSERTS = 3;
    static final int SEC_INSERT_TIMES = 4;
    static final int SEC_TEXT = 5;
    static final int SEC_UNKNOWN = 9;
    static final int SEC_DELETES = 11;
    static final int SEC_DELETE_TIMES = 12;
    static final int SEC_ORDER = 13;
    static final int SEC_FORMATS = 15;
    /** Tags above this are not known to this build. */
    static final int MAX_KNOWN_TAG = SEC_FORMATS;
    /** Latest time accepted (seconds since the epoch, about the year 2514); receivers clamp to their clock anyway. */
    static final long MAX_TIME = 1L << 34;
    static final byte MAGIC = 'T';
    static final byte VERSION_MAGIC = 'V';
    static final byte KIND_UPDATE = 'U';
    static final byte KIND_DOCUMENT = 'D';
    static final int FLAG_DEFLATE = 1;

    /** Bodies smaller than this are stored raw: deflate would not pay for its own header. */
    static final int DEFLATE_THRESHOLD = 256;
    /** Largest decoded body accepted by default: far above any real document, far below the heap. */
    static final int DEFAULT_MAX_BODY = 512 << 20;
    /**
     * Most characters (tombstones included) one decoded document or update may hold: 64 Mi,
     * far beyond any text edited by hand, and small enough that a hostile "huge run" cannot
     * make the decoder allocate more than a few hundred MB.
     */
    static final int MAX_CHARS = 1 << 26;

    private static final int HEADER = 4;
    /** Characters of unknown text an update may name per byte of its body (plus 4096). */
    static final int MAX_UNKNOWN_PER_BYTE = 64;

    static byte[] encodeUpdate(Update update, byte kind) {
        Update.Ops u = update.ops();
        List<FormatOp> formats = update.formats();
        ByteWriter body = new ByteWriter(64 + u.insCount * 8 + u.text.length + u.delCount * 8 + formats.size() * 16);
        long[] table = FormatCodec.replicas(u.agents, formats);
        writeOps(body, u, table, knownText(u));
        if (!formats.isEmpty()) section(body, SEC_FORMATS, FormatCodec.write(formats, table));
        return frame(kind, body);
    }

    /** The text of an update's runs without the characters whose text is unknown. */
    static char[] knownText(Update.Ops u) {
        if (u.unkStart.length == 0) return u.text;
        char[] out = new char[u.text.length];
        int n = 0;
        for (int i = 0; i < u.insCount; i++) {
            for (int k = 0; k < u.insLen[i]; k++) {
                if (!u.unknown(Ids.pack(u.insAgent[i], u.insSeq[i] + k))) out[n++] = u.text[u.insTextStart[i] + k];
            }
        }
        return Arrays.copyOf(out, n);
    }

    /**
     * Writes the sections of the operations (FORMAT.md, "Body"), with {@code text} as the text
     * section: column by column, so that deflate finds like next to like (all lengths together,
     * all origins together...). Empty sections are left out. {@code replicas} starts with
     * {@code u.agents}, and may list more (see {@link FormatCodec#replicas}).
     */
    static void writeOps(ByteWriter body, Update.Ops u, long[] replicas, char[] text) {
        // The replicas of the operations, then any that only the formatting names.
        ByteWriter w = new ByteWriter(16 + replicas.length * 8);
        w.writeVarInt(replicas.length);
        for (long a : replicas) w.writeLong(a);
        section(body, SEC_REPLICAS, w);
        if (u.insCount > 0) {
            section(body, SEC_INSERTS, writeInserts(u));
            section(body, SEC_INSERT_TIMES, writeTimes(u.insTime, u.insCount));
        }
        if (text.length > 0) {
            w = new ByteWriter(text.length + 16);
            w.writeUtf8(text);
            section(body, SEC_TEXT, w);
        }
        if (u.unkStart.length > 0) section(body, SEC_UNKNOWN, writeUnknown(u));
        if (u.delCount > 0) {
            section(body, SEC_DELETES, writeDeletes(u));
            section(body, SEC_DELETE_TIMES, writeTimes(u.delTime, u.delCount));
        }
    }

    static void section(ByteWriter body, int tag, ByteWriter content) {
        body.writeVarInt(tag);
        body.writeVarInt(content.size());
        body.writeBytes(content.array(), 0, content.size());
    }

    private static ByteWriter writeInserts(Update.Ops u) {
        int n = u.insCount;
        ByteWriter body = new ByteWriter(16 + n * 8);
        body.writeVarInt(n);
        int[] nextSeq = new int[u.agents.length];
        for (int i = 0; i < n; i++) body.writeVarInt(u.insAgent[i]);
        for (int i = 0; i < n; i++) {
            int a = u.insAgent[i];
            body.writeSignedVarLong((long) u.insSeq[i] - nextSeq[a]);
            nextSeq[a] = u.insSeq[i] + u.insLen[i];
        }
        for (int i = 0; i < n; i++) body.writeVarInt(u.insLen[i]);
        for (int i = 0; i < n; i++) {
            long left = u.insLeft[i];
            int tag = left == Ids.NONE ? 0 : left == Ids.pack(u.insAgent[i], u.insSeq[i] - 1) ? 1 : Ids.agent(left) + 2;
            body.writeVarInt(tag);
        }
        for (int i = 0; i < n; i++) {
            long left = u.insLeft[i];
            if (left != Ids.NONE && left != Ids.pack(u.insAgent[i], u.insSeq[i] - 1)) {
                body.writeSignedVarLong((long) Ids.seq(left) - u.insSeq[i]);
            }
        }
        // Right origin: 0 none, 1 the character after the left origin in its own run (typing
        // into the middle of earlier text, the common case), 2+k a character of agent k.
        for (int i = 0; i < n; i++) body.writeVarInt(rightTag(u.insLeft[i], u.insRight[i]));
        for (int i = 0; i < n; i++) {
            if (rightTag(u.insLeft[i], u.insRight[i]) >= 2) body.writeSignedVarLong((long) Ids.seq(u.insRight[i]) - u.insSeq[i]);
        }
        return body;
    }

    /** Times, run-length encoded: groups of runs with the same time, each time a delta from the last. */
    private static ByteWriter writeTimes(long[] time, int n) {
        ByteWriter w = new ByteWriter(16);
        int groups = 0;
        for (int i = 0; i < n; i++) if (i == 0 || time[i] != time[i - 1]) groups++;
        w.writeVarInt(groups);
        long prev = 0;
        for (int i = 0; i < n; ) {
            int j = i;
            while (j < n && time[j] == time[i]) j++;
            w.writeVarInt(j - i);
            w.writeSignedVarLong(time[i] - prev);
            prev = time[i];
            i = j;
        }
        return w;
    }

    private static ByteWriter writeUnknown(Update.Ops u) {
        int n = u.unkStart.length;
        ByteWriter w = new ByteWriter(16 + n * 4);
        w.writeVarInt(n);
        for (int k = 0; k < n; k++) w.writeVarInt(Ids.agent(u.unkStart[k]));
        long prevEnd = 0;
        int prevAgent = -1;
        for (int k = 0; k < n; k++) {
            int a = Ids.agent(u.unkStart[k]);
            if (a != prevAgent) prevEnd = 0;
            w.writeVarLong(Ids.seq(u.unkStart[k]) - prevEnd);
            prevEnd = Ids.seq(u.unkStart[k]) + (long) u.unkLen[k];
            prevAgent = a;
        }
        for (int k = 0; k < n; k++) w.writeVarInt(u.unkLen[k]);
        return w;
    }

    private static ByteWriter writeDeletes(Update.Ops u) {
        int d = u.delCount;
        ByteWriter body = new ByteWriter(16 + d * 8);
        body.writeVarInt(d);
        int[] nextSeq = new int[u.agents.length];
        for (int i = 0; i < d; i++) body.writeVarInt(u.delAgent[i]);
        for (int i = 0; i < d; i++) {
            int a = u.delAgent[i];
            body.writeSignedVarLong((long) u.delSeq[i] - nextSeq[a]);
            nextSeq[a] = u.delSeq[i] + u.delLen[i];
        }
        for (int i = 0; i < d; i++) body.writeVarInt(u.delLen[i]);
        for (int i = 0; i < d; i++) body.writeVarInt(Ids.agent(u.delTarget[i]));
        long prevTarget = 0;
        for (int i = 0; i < d; i++) {
            body.writeSignedVarLong(Ids.seq(u.delTarget[i]) - prevTarget);
            prevTarget = Ids.seq(u.delTarget[i]);
        }
        for (int i = 0; i < d; i++) body.writeByte(u.delBackward[i] ? 1 : 0);
        return body;
    }

    static byte[] frame(byte kind, ByteWriter body) {
        CRC32 crc = new CRC32();
        crc.update(body.array(), 0, body.size());
        boolean deflate = body.size() >= DEFLATE_THRESHOLD;
        ByteWriter out = new ByteWriter(deflate ? body.size() / 2 + 32 : body.size() + 16);
        out.writeByte(MAGIC);
        out.writeByte(kind);
        out.writeByte(FORMAT_VERSION);
        out.writeByte(deflate ? FLAG_DEFLATE : 0);
        out.writeVarInt(body.size());
        out.writeInt((int) crc.getValue());
        if (!deflate) {
            out.writeBytes(body.array(), 0, body.size());
            return out.toByteArray();
        }
        Deflater deflater = new Deflater(Deflater.DEFAULT_COMPRESSION, true);
        try {
            deflater.setInput(body.array(), 0, body.size());
            deflater.finish();
            byte[] chunk = new byte[Math.max(1024, body.size() / 2)];
            while (!deflater.finished()) {
                int n = deflater.deflate(chunk);
                out.writeBytes(chunk, 0, n);
            }
        } finally {
            deflater.end();
        }
        return out.toByteArray();
    }

    /** A checked, inflated body and the kind of data it holds. */
    record Body(byte kind, int format, ByteReader reader) {
        void expectEnd() {
            reader.expectEnd();
        }
    }

    /** Checks the header and returns the body, inflated and checksummed. */
    static Body openBody(byte[] bytes, int maxBody) {
        if (bytes == null) throw new CrdtFormatException("no data (null)");
        if (bytes.length < HEADER) throw new CrdtFormatException("truncated: " + bytes.length + " bytes is shorter than the header");
        if (bytes[0] != MAGIC) throw new CrdtFormatException("not Tandem CRDT data (bad magic byte 0x" + Integer.toHexString(bytes[0] & 0xff) + ")");
        byte kind = bytes[1];
        if (kind != KIND_UPDATE && kind != KIND_DOCUMENT) throw new CrdtFormatException("unknown kind byte 0x" + Integer.toHexString(kind & 0xff));
        int format = bytes[2] & 0xff;
        if (format != FORMAT_VERSION && format != FORMAT_V1) throw new CrdtFormatException("unsupported format version " + format + ", this build reads versions " + FORMAT_V1 + " and " + FORMAT_VERSION);
        int flags = bytes[3] & 0xff;
        if ((flags & ~FLAG_DEFLATE) != 0) throw new CrdtFormatException("unknown flags 0x" + Integer.toHexString(flags));
        ByteReader head = new ByteReader(bytes, HEADER, bytes.length - HEADER);
        int bodyLength = head.readVarInt();
        int crc = head.readInt();
        if (bodyLength > maxBody) throw new CrdtFormatException("body of " + bodyLength + " bytes exceeds the limit of " + maxBody);
        byte[] body;
        int start = head.position();
        if ((flags & FLAG_DEFLATE) == 0) {
            if (head.remaining() != bodyLength) throw new CrdtFormatException("body is " + head.remaining() + " bytes, header says " + bodyLength);
            body = Arrays.copyOfRange(bytes, start, bytes.length);
        } else {
            body = inflate(bytes, start, bytes.length - start, bodyLength);
        }
        CRC32 check = new CRC32();
        check.update(body, 0, body.length);
        if ((int) check.getValue() != crc) throw new CrdtFormatException("checksum mismatch: the data is corrupted");
        return new Body(kind, format, new ByteReader(body, 0, body.length));
    }

    /** Inflates exactly {@code expected} bytes, growing the buffer only as real output arrives. */
    private static byte[] inflate(byte[] src, int off, int len, int expected) {
        Inflater inflater = new Inflater(true);
        try {
            inflater.setInput(src, off, len);
            byte[] out = new byte[Math.min(expected, Math.max(4096, len * 4))];
            int n = 0;
            while (true) {
                if (n == out.length) {
                    if (n == expected) {
                        // Anything more than announced is corruption.
                        byte[] probe = new byte[1];
                        if (inflater.inflate(probe) > 0) throw new CrdtFormatException("body longer than the " + expected + " bytes announced");
                        break;
                    }
                    out = Arrays.copyOf(out, (int) Math.min(expected, (long) out.length * 2));
                }
                int got = inflater.inflate(out, n, out.length - n);
                n += got;
                if (got == 0) {
                    if (inflater.finished()) break;
                    if (inflater.needsInput()) throw new CrdtFormatException("truncated: the compressed body ends early");
                    if (inflater.needsDictionary()) throw new CrdtFormatException("corrupted compressed body");
                }
            }
            if (n != expected) throw new CrdtFormatException("body is " + n + " bytes, header says " + expected);
            if (!inflater.finished()) {
                // All bytes arrived but the stream's end marker did not: cut short.
                byte[] probe = new byte[1];
                if (inflater.inflate(probe) > 0) throw new CrdtFormatException("body longer than the " + expected + " bytes announced");
                if (!inflater.finished()) throw new CrdtFormatException("truncated: the compressed body ends early");
            }
            if (inflater.getRemaining() > 0) throw new CrdtFormatException(inflater.getRemaining() + " trailing bytes after the compressed body");
            return out;
        } catch (DataFormatException e) {
            throw new CrdtFormatException("corrupted compressed body: " + e.getMessage(), e);
        } finally {
            inflater.end();
        }
    }

    static Update decodeUpdate(byte[] bytes) {
        return decodeUpdate(bytes, DEFAULT_MAX_BODY);
    }

    static Update decodeUpdate(byte[] bytes, int maxBody) {
        Body body = openBody(bytes, maxBody);
        if (body.kind() == KIND_DOCUMENT) throw new CrdtFormatException("these bytes are a whole document: read them with Doc.decode");
        Decoded d = read(body);
        return d.formats.isEmpty() ? Update.of(d.ops) : Update.of(d.ops, d.formats);
    }

    /**
     * What a body holds. For a document: {@code ops.text} is the known text of every character
     * in document order (a {@code v1} document: the visible text only), {@code order} the order
     * section. For an update: every run's text, FILLER where unknown.
     */
    record Decoded(Update.Ops ops, boolean v1, ByteReader order, List<FormatOp> formats) {}

    static Decoded read(Body body) {
        boolean document = body.kind() == KIND_DOCUMENT;
        if (body.format() == FORMAT_V1) {
            ByteReader r = body.reader();
            Update.Ops ops = readOpsV1(r, document);
            if (!document) r.expectEnd();
            return new Decoded(ops, true, document ? r : null, List.of());
        }
        int bodyBytes = body.reader().remaining();
        ByteReader[] sec = sections(body.reader());
        if (!document && sec[SEC_ORDER] != null) throw new CrdtFormatException("an update holds an order section, which only documents have");
        Update.Ops ops = readOps(sec, document, bodyBytes);
        List<FormatOp> formats = sec[SEC_FORMATS] == null ? List.of() : FormatCodec.read(sec[SEC_FORMATS], ops.agents);
        if (!document) return new Decoded(ops, false, null, formats);
        if (sec[SEC_ORDER] == null) throw new CrdtFormatException("document without an order section");
        return new Decoded(ops, false, sec[SEC_ORDER], formats);
    }

    private static boolean known(int tag) {
        return switch (tag) {
            case SEC_REPLICAS, SEC_INSERTS, SEC_INSERT_TIMES, SEC_TEXT, SEC_UNKNOWN, SEC_DELETES,
                 SEC_DELETE_TIMES, SEC_ORDER, SEC_FORMATS -> true;
            default -> false;
        };
    }

    /**
     * Splits a v2 body into its sections, by tag: tags strictly ascending (so none twice), each
     * length within the bytes left. An unknown odd tag is refused (it must be understood); an
     * unknown even tag is skipped.
     */
    static ByteReader[] sections(ByteReader r) {
        ByteReader[] out = new ByteReader[MAX_KNOWN_TAG + 1];
        int last = 0;
        while (r.remaining() > 0) {
            int tag = r.readVarInt();
            if (tag <= last) throw new CrdtFormatException("section tag " + tag + " after tag " + last + ": tags must ascend, each once");
            last = tag;
            int len = r.readVarInt();
            if (len > r.remaining()) throw new CrdtFormatException("section " + tag + " announces " + len + " bytes but only " + r.remaining() + " remain");
            ByteReader content = r.sub(len);
            if (tag > MAX_KNOWN_TAG || !known(tag)) {
                if ((tag & 1) == 1) throw new CrdtFormatException("section " + tag + " must be understood but this build does not know it (written by a newer version?)");
                continue;
            }
            out[tag] = content;
        }
        return out;
    }

    /** Reads the operations of a v2 body (FORMAT.md, "Body") straight into arrays. */
    static Update.Ops readOps(ByteReader[] sec, boolean document, int bodyBytes) {
        if (sec[SEC_REPLICAS] == null) throw new CrdtFormatException("no replicas section");
        long[] agents = readReplicas(sec[SEC_REPLICAS]);
        sec[SEC_REPLICAS].expectEnd();
        Inserts ins = sec[SEC_INSERTS] == null ? new Inserts(0) : readInserts(sec[SEC_INSERTS], agents.length);
        if (sec[SEC_INSERTS] != null) sec[SEC_INSERTS].expectEnd();
        long[] insTime = sec[SEC_INSERT_TIMES] == null ? new long[ins.n] : readTimes(sec[SEC_INSERT_TIMES], ins.n, "insert");
        long[][] unknown = sec[SEC_UNKNOWN] == null ? new long[][] {new long[0], new long[0]} : readUnknown(sec[SEC_UNKNOWN], agents.length);
        long[] unkStart = unknown[0];
        int[] unkLen = new int[unkStart.length];
        long unknownChars = 0;
        for (int k = 0; k < unkLen.length; k++) {
            unkLen[k] = (int) unknown[1][k];
            unknownChars += unkLen[k];
        }
        Deletes del = sec[SEC_DELETES] == null ? new Deletes(0) : readDeletes(sec[SEC_DELETES], agents.length);
        if (sec[SEC_DELETES] != null) sec[SEC_DELETES].expectEnd();
        long[] delTime = sec[SEC_DELETE_TIMES] == null ? new long[del.n] : readTimes(sec[SEC_DELETE_TIMES], del.n, "delete");
        ByteReader textSec = sec[SEC_TEXT] == null ? new ByteReader(new byte[0], 0, 0) : sec[SEC_TEXT];
        char[] text;
        if (document) {
            text = decodeUtf8(textSec, textSec.remaining());
        } else {
            // Every run's text but the unknown characters', in run order; each UTF-16 unit
            // takes at least one byte, so a short section is refused before decoding.
            // Unknown characters cost no text: bound them by the body's size, so a small update
            // cannot make a receiver allocate much (an honest one carries far fewer).
            if (unknownChars > MAX_UNKNOWN_PER_BYTE * (long) bodyBytes + 4096) {
                throw new CrdtFormatException("update names " + unknownChars + " characters of unknown text, more than its " + bodyBytes + " bytes allow");
            }
            long expected = ins.total - unknownChars;
            if (expected < 0) throw new CrdtFormatException("unknown ranges hold more characters than the insert runs");
            if (textSec.remaining() < expected) throw new CrdtFormatException("insert runs hold " + expected + " known characters but the text has only " + textSec.remaining() + " bytes");
            char[] known = decodeUtf8(textSec, textSec.remaining());
            if (known.length != expected) throw new CrdtFormatException("insert runs hold " + expected + " known characters but the text has " + known.length);
            checkUnknownInRuns(ins, unkStart, unkLen);
            text = unkStart.length == 0 ? known : withFiller(ins, known, unkStart, unkLen);
            for (int i = 0; i < ins.n; i++) checkWellFormed(text, ins.textStart[i], ins.len[i], i);
            if (unkStart.length > 0) checkUnknownEdges(ins, text, unkStart, unkLen);
        }
        return new Update.Ops(agents, ins.n, ins.agent, ins.seq, ins.len, ins.left, ins.right, insTime, ins.textStart, text,
                del.n, del.agent, del.seq, del.len, del.target, del.backward, delTime, unkStart, unkLen);
    }

    /** Reads a v1 body's operations (FORMAT.md, "Reading v1"): one stream, no sections, no times. */
    static Update.Ops readOpsV1(ByteReader r, boolean document) {
        long[] agents = readReplicas(r);
        Inserts ins = readInserts(r, agents.length);
        int utf8Len = r.readCount(1);
        if (!document && ins.total > utf8Len) throw new CrdtFormatException("insert runs hold " + ins.total + " characters but the text has only " + utf8Len + " bytes");
        char[] text = decodeUtf8(r, utf8Len);
        if (!document) {
            if (text.length != ins.total) throw new CrdtFormatException("insert runs hold " + ins.total + " characters but the text has " + text.length);
            for (int i = 0; i < ins.n; i++) checkWellFormed(text, ins.textStart[i], ins.len[i], i);
        }
        Deletes del = readDeletes(r, agents.length);
        long[] unkStart = new long[0];
        int[] unkLen = new int[0];
        if (!document) {
            // v1 sent U+FFFF for deleted text it did not know: on a character the same update
            // deletes, that is what it means (FORMAT.md, "Reading v1").
            long[][] u = v1Unknown(ins, text, del);
            unkStart = u[0];
            unkLen = new int[unkStart.length];
            for (int k = 0; k < unkLen.length; k++) unkLen[k] = (int) u[1][k];
        }
        return new Update.Ops(agents, ins.n, ins.agent, ins.seq, ins.len, ins.left, ins.right, new long[ins.n], ins.textStart, text,
                del.n, del.agent, del.seq, del.len, del.target, del.backward, new long[del.n], unkStart, unkLen);
    }

    private static long[][] v1Unknown(Inserts ins, char[] text, Deletes del) {
        long[] starts = new long[4];
        long[] lens = new long[4];
        int n = 0;
        for (int i = 0; i < ins.n; i++) {
            for (int k = 0; k < ins.len[i]; k++) {
                if (text[ins.textStart[i] + k] != Update.FILLER) continue;
                long id = Ids.pack(ins.agent[i], ins.seq[i] + k);
                if (!deletes(del, id)) continue;
                if (n > 0 && starts[n - 1] + lens[n - 1] == id) {
                    lens[n - 1]++;
                    continue;
                }
                if (n == starts.length) {
                    starts = Arrays.copyOf(starts, n * 2);
                    lens = Arrays.copyOf(lens, n * 2);
                }
                starts[n] = id;
                lens[n++] = 1;
            }
        }
        // Sorted and joined, as the Ops want them.
        long[][] ranges = new long[n][];
        for (int k = 0; k < n; k++) ranges[k] = new long[] {starts[k], lens[k]};
        Arrays.sort(ranges, (x, y) -> Long.compare(x[0], y[0]));
        long[] s = new long[n];
        long[] l = new long[n];
        int m = 0;
        for (long[] r : ranges) {
            if (m > 0 && s[m - 1] + l[m - 1] >= r[0] && Ids.agent(s[m - 1]) == Ids.agent(r[0])) {
                l[m - 1] = Math.max(l[m - 1], r[0] + r[1] - s[m - 1]);
            } else {
                s[m] = r[0];
                l[m++] = r[1];
            }
        }
        return new long[][] {Arrays.copyOf(s, m), Arrays.copyOf(l, m)};
    }

    private static boolean deletes(Deletes del, long id) {
        for (int i = 0; i < del.n; i++) {
            long lo = Ids.lowestDeleted(del.target[i], del.len[i], del.backward[i]);
            if (Ids.agent(lo) == Ids.agent(id) && id >= lo && id < lo + del.len[i]) return true;
        }
        return false;
    }

    private static long[] readReplicas(ByteReader r) {
        int agentCount = r.readCount(8);
        long[] agents = new long[agentCount];
        java.util.HashSet<Long> seen = new java.util.HashSet<>();
        for (int i = 0; i < agentCount; i++) {
            agents[i] = r.readLong();
            if (!seen.add(agents[i])) throw new CrdtFormatException("replica " + Long.toHexString(agents[i]) + " listed twice");
        }
        return agents;
    }

    /** Insert run columns as read. */
    static final class Inserts {
        final int n;
        final int[] agent;
        final int[] seq;
        final int[] len;
        final long[] left;
        final long[] right;
        final int[] textStart;
        long total;

        Inserts(int n) {
            this.n = n;
            agent = new int[n];
            seq = new int[n];
            len = new int[n];
            left = new long[n];
            right = new long[n];
            textStart = new int[n];
        }
    }

    /** Delete run columns as read. */
    static final class Deletes {
        final int n;
        final int[] agent;
        final int[] seq;
        final int[] len;
        final long[] target;
        final boolean[] backward;

        Deletes(int n) {
            this.n = n;
            agent = new int[n];
            seq = new int[n];
            len = new int[n];
            target = new long[n];
            backward = new boolean[n];
        }
    }

    private static Inserts readInserts(ByteReader r, int agentCount) {
        int[] nextSeq = new int[agentCount];
        int n = r.readCount(5); // agent, seq, len, left tag, right tag: one byte each at least
        Inserts ins = new Inserts(n);
        int[] a = ins.agent;
        int[] seq = ins.seq;
        int[] len = ins.len;
        long[] left = ins.left;
        long[] right = ins.right;
        for (int i = 0; i < n; i++) a[i] = agentIndex(r.readVarInt(), agentCount, "insert", i);
        long[] rawSeq = new long[n];
        for (int i = 0; i < n; i++) rawSeq[i] = r.readSignedVarLong();
        long total = 0;
        for (int i = 0; i < n; i++) {
            len[i] = r.readVarInt();
            if (len[i] == 0) throw new CrdtFormatException("insert run " + i + " is empty");
            ins.textStart[i] = (int) total;
            total += len[i];
            if (total > MAX_CHARS) throw new CrdtFormatException("insert runs hold more than " + MAX_CHARS + " characters, the most one document may have");
        }
        ins.total = total;
        // Seqs are stored relative to the end of the same agent's previous run.
        for (int i = 0; i < n; i++) {
            long s = nextSeq[a[i]] + rawSeq[i]; // a stored delta near ±2^63 may wrap: checked as a range below
            if (rawSeq[i] < -(long) Integer.MAX_VALUE || rawSeq[i] > Integer.MAX_VALUE || s < 0 || s > Integer.MAX_VALUE - len[i]) {
                throw new CrdtFormatException("insert run " + i + " has seq out of range: " + s);
            }
            seq[i] = (int) s;
            nextSeq[a[i]] = (int) s + len[i];
        }
        int[] leftTag = new int[n];
        for (int i = 0; i < n; i++) {
            leftTag[i] = r.readVarInt();
            if (leftTag[i] >= 2) agentIndex(leftTag[i] - 2, agentCount, "insert", i);
        }
        for (int i = 0; i < n; i++) {
            if (leftTag[i] == 0) {
                left[i] = Ids.NONE;
            } else if (leftTag[i] == 1) {
                if (seq[i] == 0) throw new CrdtFormatException("insert run " + i + " continues a character before seq 0");
                left[i] = Ids.pack(a[i], seq[i] - 1);
            } else {
                left[i] = Ids.pack(leftTag[i] - 2, originSeq(r, seq[i], i));
            }
        }
        int[] rightTag = leftTag; // reused
        for (int i = 0; i < n; i++) {
            rightTag[i] = r.readVarInt();
            if (rightTag[i] >= 2) agentIndex(rightTag[i] - 2, agentCount, "insert", i);
            if (rightTag[i] == 1 && (left[i] == Ids.NONE || Ids.seq(left[i]) == Integer.MAX_VALUE)) {
                throw new CrdtFormatException("insert run " + i + " puts its right origin after a missing left origin");
            }
        }
        for (int i = 0; i < n; i++) {
            right[i] = switch (rightTag[i]) {
                case 0 -> Ids.NONE;
                case 1 -> left[i] + 1;
                default -> Ids.pack(rightTag[i] - 2, originSeq(r, seq[i], i));
            };
            checkOrigin(left[i], a[i], seq[i], i);
            checkOrigin(right[i], a[i], seq[i], i);
        }
        return ins;
    }

    private static Deletes readDeletes(ByteReader r, int agentCount) {
        int d = r.readCount(6);
        Deletes del = new Deletes(d);
        int[] da = del.agent;
        int[] ds = del.seq;
        int[] dl = del.len;
        long[] dt = del.target;
        boolean[] db = del.backward;
        for (int i = 0; i < d; i++) da[i] = agentIndex(r.readVarInt(), agentCount, "delete", i);
        long[] delRawSeq = new long[d];
        for (int i = 0; i < d; i++) delRawSeq[i] = r.readSignedVarLong();
        for (int i = 0; i < d; i++) {
            dl[i] = r.readVarInt();
            if (dl[i] == 0) throw new CrdtFormatException("delete run " + i + " is empty");
        }
        int[] nextSeq = new int[agentCount];
        for (int i = 0; i < d; i++) {
            long s = nextSeq[da[i]] + delRawSeq[i];
            if (delRawSeq[i] < -(long) Integer.MAX_VALUE || delRawSeq[i] > Integer.MAX_VALUE || s < 0 || s > Integer.MAX_VALUE - dl[i]) {
                throw new CrdtFormatException("delete run " + i + " has seq out of range: " + s);
            }
            ds[i] = (int) s;
            nextSeq[da[i]] = (int) s + dl[i];
        }
        int[] ta = new int[d];
        for (int i = 0; i < d; i++) ta[i] = agentIndex(r.readVarInt(), agentCount, "delete", i);
        long prevTarget = 0;
        for (int i = 0; i < d; i++) {
            long delta = r.readSignedVarLong();
            long ts = prevTarget + delta;
            if (delta < -(long) Integer.MAX_VALUE || delta > Integer.MAX_VALUE || ts < 0 || ts > Integer.MAX_VALUE) throw new CrdtFormatException("delete run " + i + " targets seqs out of range");
            dt[i] = Ids.pack(ta[i], (int) ts);
            prevTarget = ts;
        }
        for (int i = 0; i < d; i++) {
            int dir = r.readByte();
            if (dir != 0 && dir != 1) throw new CrdtFormatException("delete run " + i + " has direction byte " + dir);
            boolean backward = dir == 1;
            long ts = Ids.seq(dt[i]);
            if (backward ? ts - dl[i] + 1 < 0 : ts + dl[i] > Integer.MAX_VALUE) throw new CrdtFormatException("delete run " + i + " targets seqs out of range");
            db[i] = backward && dl[i] > 1;
        }
        return del;
    }

    /** A time column: {@code n} times as groups (count, delta from the previous group's time). */
    private static long[] readTimes(ByteReader r, int n, String kind) {
        int groups = r.readCount(2);
        long[] out = new long[n];
        int at = 0;
        long time = 0;
        for (int g = 0; g < groups; g++) {
            int count = r.readVarInt();
            if (count == 0 || count > n - at) throw new CrdtFormatException(kind + " times: group " + g + " of " + count + " runs does not fit the " + n + " runs");
            long delta = r.readSignedVarLong();
            if (delta < -MAX_TIME || delta > MAX_TIME || time + delta < 0 || time + delta > MAX_TIME) throw new CrdtFormatException(kind + " times: group " + g + " has a time out of range");
            time += delta;
            Arrays.fill(out, at, at + count, time);
            at += count;
        }
        if (at != n) throw new CrdtFormatException(kind + " times cover " + at + " of " + n + " runs");
        r.expectEnd();
        return out;
    }

    /** Unknown ranges: {packed starts, lengths}, sorted by agent then seq, not overlapping. */
    private static long[][] readUnknown(ByteReader r, int agentCount) {
        int n = r.readCount(3);
        long[] start = new long[n];
        long[] len = new long[n];
        int[] agent = new int[n];
        for (int k = 0; k < n; k++) {
            agent[k] = agentIndex(r.readVarInt(), agentCount, "unknown", k);
            if (k > 0 && agent[k] < agent[k - 1]) throw new CrdtFormatException("unknown range " + k + " is out of order");
        }
        long[] gap = new long[n];
        for (int k = 0; k < n; k++) gap[k] = r.readVarLong();
        long prevEnd = 0;
        for (int k = 0; k < n; k++) {
            len[k] = r.readVarInt();
            if (len[k] == 0) throw new CrdtFormatException("unknown range " + k + " is empty");
            if (k > 0 && agent[k] != agent[k - 1]) prevEnd = 0;
            if (gap[k] < 0 || gap[k] > Integer.MAX_VALUE || prevEnd + gap[k] + len[k] > Integer.MAX_VALUE) throw new CrdtFormatException("unknown range " + k + " has seqs out of range");
            long s = prevEnd + gap[k];
            start[k] = Ids.pack(agent[k], (int) s);
            prevEnd = s + len[k];
        }
        r.expectEnd();
        return new long[][] {start, len};
    }

    /** Each unknown range of an update lies within its insert runs. */
    private static void checkUnknownInRuns(Inserts ins, long[] unkStart, int[] unkLen) {
        if (unkStart.length == 0) return;
        // The runs' characters as sorted, joined ranges of packed ids.
        long[][] runs = new long[ins.n][];
        for (int i = 0; i < ins.n; i++) {
            long lo = Ids.pack(ins.agent[i], ins.seq[i]);
            runs[i] = new long[] {lo, lo + ins.len[i]};
        }
        Arrays.sort(runs, (x, y) -> Long.compare(x[0], y[0]));
        long[] lo = new long[runs.length];
        long[] hi = new long[runs.length];
        int m = 0;
        for (long[] r : runs) {
            if (m > 0 && hi[m - 1] >= r[0] && Ids.agent(lo[m - 1]) == Ids.agent(r[0])) {
                hi[m - 1] = Math.max(hi[m - 1], r[1]);
            } else {
                lo[m] = r[0];
                hi[m++] = r[1];
            }
        }
        for (int k = 0; k < unkStart.length; k++) {
            int j = Arrays.binarySearch(lo, 0, m, unkStart[k]);
            if (j < 0) j = -j - 2;
            if (j < 0 || unkStart[k] + unkLen[k] > hi[j]) throw new CrdtFormatException("unknown range " + k + " names characters the update does not carry");
        }
    }

    /** The full text of an update's runs: the known text with FILLER for each unknown character. */
    private static char[] withFiller(Inserts ins, char[] known, long[] unkStart, int[] unkLen) {
        char[] text = new char[(int) ins.total];
        int at = 0;
        for (int i = 0; i < ins.n; i++) {
            for (int k = 0; k < ins.len[i]; k++) {
                text[ins.textStart[i] + k] = Update.unknownIn(unkStart, unkLen, Ids.pack(ins.agent[i], ins.seq[i] + k)) ? Update.FILLER : known[at++];
            }
        }
        return text;
    }

    /** No unknown range starts or ends inside a surrogate pair of known text. */
    private static void checkUnknownEdges(Inserts ins, char[] text, long[] unkStart, int[] unkLen) {
        for (int i = 0; i < ins.n; i++) {
            for (int k = 0; k < ins.len[i]; k++) {
                boolean unknown = Update.unknownIn(unkStart, unkLen, Ids.pack(ins.agent[i], ins.seq[i] + k));
                if (unknown) continue;
                char c = text[ins.textStart[i] + k];
                boolean nextUnknown = k + 1 < ins.len[i] && Update.unknownIn(unkStart, unkLen, Ids.pack(ins.agent[i], ins.seq[i] + k + 1));
                boolean prevUnknown = k > 0 && Update.unknownIn(unkStart, unkLen, Ids.pack(ins.agent[i], ins.seq[i] + k - 1));
                if ((Character.isHighSurrogate(c) && nextUnknown) || (Character.isLowSurrogate(c) && prevUnknown)) {
                    throw new CrdtFormatException("unknown range splits a surrogate pair in insert run " + i);
                }
            }
        }
    }

    /**
     * A document lists each replica's characters and deletions gap-free from seq 0, and deletes
     * only characters it lists: checked on the runs alone, before anything is allocated per
     * character (a 30-byte body can name seq 2^31-2).
     */
    static void checkGapFree(Update.Ops ops, List<FormatOp> formats) {
        int[] chars = new int[ops.agents.length];
        for (int i = 0; i < ops.insCount; i++) {
            int a = ops.insAgent[i];
            if (ops.insSeq[i] != chars[a]) {
                throw new CrdtFormatException("document lists characters of " + Long.toHexString(ops.agents[a]) + " out of order (a gap) at seq " + ops.insSeq[i]);
            }
            chars[a] += ops.insLen[i];
        }
        // Deletions and formatting operations share one numbering per replica: a formatting
        // operation fills the gap at its seq (they are listed in each replica's seq order).
        int[][] formatSeqs = new int[ops.agents.length][];
        int[] formatCount = new int[ops.agents.length];
        int[] formatNext = new int[ops.agents.length];
        HashMap<Long, Integer> agentOf = new HashMap<>();
        for (int a = 0; a < ops.agents.length; a++) agentOf.putIfAbsent(ops.agents[a], a);
        for (FormatOp f : formats) {
            int a = agentOf.get(f.replica());
            if (formatSeqs[a] == null) formatSeqs[a] = new int[4];
            if (formatCount[a] == formatSeqs[a].length) formatSeqs[a] = Arrays.copyOf(formatSeqs[a], formatCount[a] * 2);
            formatSeqs[a][formatCount[a]++] = f.seq();
        }
        int[] dels = new int[ops.agents.length];
        for (int i = 0; i <= ops.delCount; i++) {
            // First the formatting operations that come before this delete run (or, after the
            // last run, all that are left).
            for (int a = 0; a < ops.agents.length; a++) {
                if (i < ops.delCount && a != ops.delAgent[i]) continue;
                while (formatNext[a] < formatCount[a] && (i == ops.delCount || formatSeqs[a][formatNext[a]] < ops.delSeq[i])) {
                    if (formatSeqs[a][formatNext[a]] != dels[a]) throw new CrdtFormatException("document lists formatting of " + Long.toHexString(ops.agents[a]) + " out of order (a gap) at seq " + formatSeqs[a][formatNext[a]]);
                    dels[a]++;
                    formatNext[a]++;
                }
            }
            if (i == ops.delCount) break;
            int a = ops.delAgent[i];
            if (ops.delSeq[i] != dels[a]) {
                throw new CrdtFormatException("document lists deletions of " + Long.toHexString(ops.agents[a]) + " out of order (a gap) at seq " + ops.delSeq[i]);
            }
            dels[a] += ops.delLen[i];
            long first = ops.delTarget[i];
            long lo = Ids.seq(first) - (ops.delBackward[i] ? ops.delLen[i] - 1L : 0);
            if (lo < 0 || lo + ops.delLen[i] > chars[Ids.agent(first)]) throw new CrdtFormatException("document deletes characters it does not contain");
        }
    }

    private static int rightTag(long left, long right) {
        if (right == Ids.NONE) return 0;
        if (left != Ids.NONE && right == left + 1) return 1;
        return Ids.agent(right) + 2;
    }

    /** An origin's seq, stored relative to the run's own first seq. */
    private static int originSeq(ByteReader r, int seq, int run) {
        long delta = r.readSignedVarLong();
        long s = seq + delta;
        if (delta < -(long) Integer.MAX_VALUE || delta > Integer.MAX_VALUE || s < 0 || s > Integer.MAX_VALUE) throw new CrdtFormatException("insert run " + run + " has an origin seq out of range: " + s);
        return (int) s;
    }

    private static int agentIndex(int idx, int agentCount, String kind, int run) {
        if (idx >= agentCount) throw new CrdtFormatException(kind + " run " + run + " names replica #" + idx + " but only " + agentCount + " are listed");
        return idx;
    }

    /** A run cannot depend on itself or on later characters of its own replica. */
    private static void checkOrigin(long origin, int agent, int seq, int run) {
        if (origin != Ids.NONE && Ids.agent(origin) == agent && Ids.seq(origin) >= seq) {
            throw new CrdtFormatException("insert run " + run + " has an origin at or after its own first character");
        }
    }

    /** UTF-8 length of well-formed UTF-16 text. */
    static int utf8Length(char[] text) {
        int n = text.length;
        for (char c : text) {
            if (c >= 0x80) n += c < 0x800 ? 1 : Character.isSurrogate(c) ? 1 : 2;
        }
        return n;
    }

    static void checkWellFormed(char[] text, int off, int len, int run) {
        if (Character.isLowSurrogate(text[off]) || Character.isHighSurrogate(text[off + len - 1])) {
            throw new CrdtFormatException("insert run " + run + " splits a surrogate pair");
        }
    }

    /**
     * Strict UTF-8 (malformed input is refused), straight into one array: an ASCII prefix is
     * widened by hand, the rest goes through the JDK's decoder. A document's text is its largest
     * column, so this is a good part of loading one.
     */
    private static char[] decodeUtf8(ByteReader r, int utf8Len) {
        java.nio.ByteBuffer in = r.slice(utf8Len);
        byte[] a = in.array();
        int p = in.arrayOffset() + in.position();
        int end = p + utf8Len;
        char[] out = new char[utf8Len]; // at most one char per byte
        int n = 0;
        while (p < end && a[p] >= 0) out[n++] = (char) a[p++];
        if (p < end) {
            java.nio.charset.CharsetDecoder decoder = StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT);
            CharBuffer dst = CharBuffer.wrap(out, n, out.length - n);
            java.nio.charset.CoderResult result = decoder.decode(java.nio.ByteBuffer.wrap(a, p, end - p), dst, true);
            if (!result.isUnderflow()) throw new CrdtFormatException("text is not valid UTF-8");
            result = decoder.flush(dst);
            if (!result.isUnderflow()) throw new CrdtFormatException("text is not valid UTF-8");
            n = dst.position();
        }
        return n == out.length ? out : Arrays.copyOf(out, n);
    }
}
