package dev.tandem.crdt;

import java.util.List;

/**
 * One replica of a shared text document.
 *
 * <p>Not thread-safe: one thread owns a {@code Doc} (the client's model thread, a hub room's
 * executor). Positions and lengths are UTF-16 code units, as in {@link String} and JavaFX.
 */
public final class Doc {
    public Doc() { throw new UnsupportedOperationException("engine lands next"); }
    public Doc(long replicaId) { throw new UnsupportedOperationException(); }
    public long replicaId() { throw new UnsupportedOperationException(); }
    public int length() { throw new UnsupportedOperationException(); }
    public String text() { throw new UnsupportedOperationException(); }
    public Update insert(int pos, String text) { throw new UnsupportedOperationException(); }
    public Update delete(int pos, int len) { throw new UnsupportedOperationException(); }
    public List<Change> apply(Update update) { throw new UnsupportedOperationException(); }
    public Version version() { throw new UnsupportedOperationException(); }
    public Update updatesSince(Version version) { throw new UnsupportedOperationException(); }
    public boolean hasPending() { throw new UnsupportedOperationException(); }
    public byte[] encode() { throw new UnsupportedOperationException(); }
    public static Doc decode(byte[] bytes) { throw new UnsupportedOperationException(); }
    public static Doc decode(byte[] bytes, long replicaId) { throw new UnsupportedOperationException(); }
    public Anchor anchor(int pos, Bias bias) { throw new UnsupportedOperationException(); }
    public int resolve(Anchor anchor) { throw new UnsupportedOperationException(); }
    public int codePointToIndex(int codePoints) { throw new UnsupportedOperationException(); }
    public int indexToCodePoint(int index) { throw new UnsupportedOperationException(); }
}
