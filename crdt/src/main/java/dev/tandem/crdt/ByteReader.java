package dev.tandem.crdt;

/**
 * Reads what {@link ByteWriter} writes. Every read is bounds-checked and every failure is a
 * {@link CrdtFormatException}, so a hostile buffer can neither overrun nor loop.
 */
final class ByteReader {
    private final byte[] buf;
    private int pos;
    private final int end;

    ByteReader(byte[] buf, int off, int len) {
        if (off < 0 || len < 0 || off + len > buf.length) throw new IllegalArgumentException("bad range");
        this.buf = buf;
        this.pos = off;
        this.end = off + len;
    }

    int remaining() {
        return end - pos;
    }

    int position() {
        return pos;
    }

    int readByte() {
        if (pos >= end) throw truncated();
        return buf[pos++];
    }

    long readVarLong() {
        long v = 0;
        for (int shift = 0; shift < 64; shift += 7) {
            if (pos >= end) throw truncated();
            byte b = buf[pos++];
            v |= (long) (b & 0x7f) << shift;
            if (b >= 0) {
                if (shift == 63 && (b & 0x7e) != 0) throw new CrdtFormatException("varint overflows 64 bits");
                return v;
            }
        }
        throw new CrdtFormatException("varint longer than 10 bytes");
    }

    /** A varint that must fit a non-negative int. */
    int readVarInt() {
        long v = readVarLong();
        if (v < 0 || v > Integer.MAX_VALUE) throw new CrdtFormatException("number out of range: " + Long.toUnsignedString(v));
        return (int) v;
    }

    long readSignedVarLong() {
        long v = readVarLong();
        return (v >>> 1) ^ -(v & 1);
    }

    /**
     * A count of items that each take at least {@code minBytesEach} bytes: a count the rest of
     * the buffer cannot hold is rejected before anything is allocated for it.
     */
    int readCount(int minBytesEach) {
        int n = readVarInt();
        if ((long) n * minBytesEach > remaining()) throw new CrdtFormatException("count " + n + " exceeds what the remaining " + remaining() + " bytes can hold");
        return n;
    }

    long readLong() {
        if (end - pos < 8) throw truncated();
        long v = 0;
        for (int i = 0; i < 8; i++) v |= (buf[pos++] & 0xffL) << (8 * i);
        return v;
    }

    int readInt() {
        if (end - pos < 4) throw truncated();
        int v = 0;
        for (int i = 0; i < 4; i++) v |= (buf[pos++] & 0xff) << (8 * i);
        return v;
    }

    /** The next {@code len} bytes as a buffer (no copy), skipping them. */
    java.nio.ByteBuffer slice(int len) {
        if (len < 0 || end - pos < len) throw truncated();
        java.nio.ByteBuffer b = java.nio.ByteBuffer.wrap(buf, pos, len);
        pos += len;
        return b;
    }

    /** The next {@code len} bytes as a reader of their own, skipping them here. */
    ByteReader sub(int len) {
        if (len < 0 || end - pos < len) throw truncated();
        ByteReader r = new ByteReader(buf, pos, len);
        pos += len;
        return r;
    }

    void readBytes(byte[] dst, int off, int len) {
        if (len < 0 || end - pos < len) throw truncated();
        System.arraycopy(buf, pos, dst, off, len);
        pos += len;
    }

    void expectEnd() {
        if (pos != end) throw new CrdtFormatException((end - pos) + " trailing bytes after the data");
    }

    private static CrdtFormatException truncated() {
        return new CrdtFormatException("truncated: the data ends in the middle of a value");
    }
}
