package dev.tandem.crdt;

import java.util.Arrays;

/** A growable byte buffer with the varint encodings of {@code FORMAT.md}. */
final class ByteWriter {
    private byte[] buf;
    private int size;

    ByteWriter(int capacity) {
        buf = new byte[Math.max(16, capacity)];
    }

    int size() {
        return size;
    }

    private void ensure(int extra) {
        if (size + extra > buf.length) buf = Arrays.copyOf(buf, Math.max(buf.length * 2, size + extra));
    }

    void writeByte(int b) {
        ensure(1);
        buf[size++] = (byte) b;
    }

    void writeBytes(byte[] b, int off, int len) {
        ensure(len);
        System.arraycopy(b, off, buf, size, len);
        size += len;
    }

    /** Unsigned LEB128. */
    void writeVarInt(int v) {
        writeVarLong(v & 0xffffffffL);
    }

    void writeVarLong(long v) {
        ensure(10);
        while ((v & ~0x7fL) != 0) {
            buf[size++] = (byte) ((v & 0x7f) | 0x80);
            v >>>= 7;
        }
        buf[size++] = (byte) v;
    }

    /** Zigzag then LEB128, for small signed numbers. */
    void writeSignedVarLong(long v) {
        writeVarLong((v << 1) ^ (v >> 63));
    }

    /** Fixed 8 bytes, little-endian. */
    void writeLong(long v) {
        ensure(8);
        for (int i = 0; i < 8; i++) {
            buf[size++] = (byte) (v >>> (8 * i));
        }
    }

    void writeInt(int v) {
        ensure(4);
        for (int i = 0; i < 4; i++) {
            buf[size++] = (byte) (v >>> (8 * i));
        }
    }

    /** UTF-8 of well-formed UTF-16 text (surrogate pairs become one 4-byte sequence). */
    void writeUtf8(char[] text) {
        ensure(text.length * 3);
        byte[] b = buf;
        int n = size;
        for (int i = 0; i < text.length; i++) {
            char c = text[i];
            if (c < 0x80) {
                b[n++] = (byte) c;
            } else if (c < 0x800) {
                b[n++] = (byte) (0xc0 | (c >> 6));
                b[n++] = (byte) (0x80 | (c & 0x3f));
            } else if (Character.isHighSurrogate(c) && i + 1 < text.length && Character.isLowSurrogate(text[i + 1])) {
                int cp = Character.toCodePoint(c, text[++i]);
                b[n++] = (byte) (0xf0 | (cp >> 18));
                b[n++] = (byte) (0x80 | ((cp >> 12) & 0x3f));
                b[n++] = (byte) (0x80 | ((cp >> 6) & 0x3f));
                b[n++] = (byte) (0x80 | (cp & 0x3f));
            } else {
                b[n++] = (byte) (0xe0 | (c >> 12));
                b[n++] = (byte) (0x80 | ((c >> 6) & 0x3f));
                b[n++] = (byte) (0x80 | (c & 0x3f));
            }
        }
        size = n;
    }

    byte[] array() {
        return buf;
    }

    byte[] toByteArray() {
        return Arrays.copyOf(buf, size);
    }
}
