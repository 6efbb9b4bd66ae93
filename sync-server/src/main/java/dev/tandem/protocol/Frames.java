package dev.tandem.protocol;

import java.nio.ByteBuffer;

/**
 * The binary frames of protocol v1 (docs/protocol.md section 4): one kind byte, then for a push
 * a big-endian u32 sequence number, then {@code Update.encode()} bytes.
 */
public final class Frames {
    private Frames() {}

    /** Client -> hub: {@code 0x01, seq:u32, update}. */
    public static final byte PUSH = 0x01;
    /** Hub -> client: {@code 0x02, update} from another peer. */
    public static final byte RELAY = 0x02;
    /** Hub -> client: {@code 0x03, update}, once, right after the welcome. */
    public static final byte CATCH_UP = 0x03;

    /** Header length of a push frame. */
    public static final int PUSH_HEADER = 5;

    public static ByteBuffer push(long seq, byte[] update) {
        if (seq < 1 || seq > 0xffff_ffffL) throw new IllegalArgumentException("seq was " + seq + ", must be 1..2^32-1");
        ByteBuffer b = ByteBuffer.allocate(PUSH_HEADER + update.length);
        b.put(PUSH).putInt((int) seq).put(update).flip();
        return b;
    }

    /** A relay or catch-up frame around update bytes. */
    public static ByteBuffer withKind(byte kind, byte[] update) {
        ByteBuffer b = ByteBuffer.allocate(1 + update.length);
        b.put(kind).put(update).flip();
        return b;
    }
}
