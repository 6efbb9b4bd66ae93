package dev.tandem.crdt;

import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
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

    static final int FORMAT_VERSION = 1;
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

    static byte[] encodeUpdate(Update update, byte kind) {
        Update.Ops u = update.ops();
        return frame(kind, writeOps(u, 64 + u.insCount * 8 + u.text.length + u.delCount * 8));
    }

    /**
     * Writes the operations part of a body (FORMAT.md, "Body"): column by column, so that
     * deflate finds like next to like (all lengths together, all origins together...).
     */
    static ByteWriter writeOps(Update.Ops u, int capacity) {
        ByteWriter body = new ByteWriter(capacity);
        body.writeVarInt(u.agents.length);
        for (long a : u.agents) body.writeLong(a);

        int n = u.insCount;
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
        body.writeVarInt(utf8Length(u.text));
        body.writeUtf8(u.text);

        int d = u.delCount;
        body.writeVarInt(d);
        Arrays.fill(nextSeq, 0);
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
    record Body(byte kind, ByteReader reader) {
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
        if (format != FORMAT_VERSION) throw new CrdtFormatException("unsupported format version " + format + ", this build reads version " + FORMAT_VERSION);
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
        return new Body(kind, new ByteReader(body, 0, body.length));
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
        Update.Ops ops = readOps(body.reader(), false);
        body.expectEnd();
        return Update.of(ops);
    }

    /** Reads the operations part of a body (FORMAT.md, "Body") straight into arrays. */
    static Update.Ops readOps(ByteReader r, boolean document) {
        int agentCount = r.readCount(8);
        long[] agents = new long[agentCount];
        java.util.HashSet<Long> seen = new java.util.HashSet<>();
        for (int i = 0; i < agentCount; i++) {
            agents[i] = r.readLong();
            if (!seen.add(agents[i])) throw new CrdtFormatException("replica " + Long.toHexString(agents[i]) + " listed twice");
        }
        int[] nextSeq = new int[agentCount];

        int n = r.readCount(6);
        int[] a = new int[n];
        int[] seq = new int[n];
        int[] len = new int[n];
        long[] left = new long[n];
        long[] right = new long[n];
        int[] textStart = new int[n];
        for (int i = 0; i < n; i++) a[i] = agentIndex(r.readVarInt(), agentCount, "insert", i);
        long[] rawSeq = new long[n];
        for (int i = 0; i < n; i++) rawSeq[i] = r.readSignedVarLong();
        long total = 0;
        for (int i = 0; i < n; i++) {
            len[i] = r.readVarInt();
            if (len[i] == 0) throw new CrdtFormatException("insert run " + i + " is empty");
            textStart[i] = (int) total;
            total += len[i];
            if (total > MAX_CHARS) throw new CrdtFormatException("insert runs hold more than " + MAX_CHARS + " characters, the most one document may have");
        }
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
        int utf8Len = r.readCount(1);
        if (!document && total > utf8Len) throw new CrdtFormatException("insert runs hold " + total + " characters but the text has only " + utf8Len + " bytes");
        char[] text = decodeUtf8(r, utf8Len);
        if (!document) {
            // An update carries every character's text, run by run. (A document carries only
            // its visible text, in document order; Doc.decode places it.)
            if (text.length != total) throw new CrdtFormatException("insert runs hold " + total + " characters but the text has " + text.length);
            for (int i = 0; i < n; i++) checkWellFormed(text, textStart[i], len[i], i);
        }

        int d = r.readCount(6);
        int[] da = new int[d];
        int[] ds = new int[d];
        int[] dl = new int[d];
        long[] dt = new long[d];
        boolean[] db = new boolean[d];
        for (int i = 0; i < d; i++) da[i] = agentIndex(r.readVarInt(), agentCount, "delete", i);
        long[] delRawSeq = new long[d];
        for (int i = 0; i < d; i++) delRawSeq[i] = r.readSignedVarLong();
        for (int i = 0; i < d; i++) {
            dl[i] = r.readVarInt();
            if (dl[i] == 0) throw new CrdtFormatException("delete run " + i + " is empty");
        }
        Arrays.fill(nextSeq, 0);
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
        return new Update.Ops(agents, n, a, seq, len, left, right, textStart, text, d, da, ds, dl, dt, db);
    }

    /**
     * A document lists each replica's characters and deletions gap-free from seq 0, and deletes
     * only characters it lists: checked on the runs alone, before anything is allocated per
     * character (a 30-byte body can name seq 2^31-2).
     */
    static void checkGapFree(Update.Ops ops) {
        int[] chars = new int[ops.agents.length];
        for (int i = 0; i < ops.insCount; i++) {
            int a = ops.insAgent[i];
            if (ops.insSeq[i] != chars[a]) {
                throw new CrdtFormatException("document lists characters of " + Long.toHexString(ops.agents[a]) + " out of order (a gap) at seq " + ops.insSeq[i]);
            }
            chars[a] += ops.insLen[i];
        }
        int[] dels = new int[ops.agents.length];
        for (int i = 0; i < ops.delCount; i++) {
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

    private static char[] decodeUtf8(ByteReader r, int utf8Len) {
        try {
            CharBuffer chars = StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(r.slice(utf8Len));
            char[] out = new char[chars.remaining()];
            chars.get(out);
            return out;
        } catch (CharacterCodingException e) {
            throw new CrdtFormatException("text is not valid UTF-8", e);
        }
    }
}
