package dev.tandem.crdt;

import java.util.List;

/** A set of operations to send to other replicas. Immutable. */
public final class Update {
    public boolean isEmpty() { throw new UnsupportedOperationException(); }
    public byte[] encode() { throw new UnsupportedOperationException(); }
    public static Update decode(byte[] bytes) { throw new UnsupportedOperationException(); }
    public static Update merge(List<Update> updates) { throw new UnsupportedOperationException(); }
    public static Update empty() { throw new UnsupportedOperationException(); }
    /** The replica ids whose operations this update carries. */
    public long[] replicas() { throw new UnsupportedOperationException(); }
    /** Number of operations (characters inserted plus characters deleted). */
    public long operationCount() { throw new UnsupportedOperationException(); }
}
