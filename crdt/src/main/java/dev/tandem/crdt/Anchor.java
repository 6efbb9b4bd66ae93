package dev.tandem.crdt;

/**
 * A position that stays on the same characters while others edit: a character id plus a
 * {@link Bias}. Made by {@link Doc#anchor(int, Bias)}, turned back into an index by
 * {@link Doc#resolve(Anchor)}. Any replica of the same document can resolve it, so anchors are
 * what remote cursors and selections are sent as.
 *
 * <p>{@code seq == -1} names a document edge: the start with {@link Bias#LEFT}, the end with
 * {@link Bias#RIGHT}. Otherwise {@code (replicaId, seq)} is the id of a character; with
 * {@code LEFT} the position is just after that character, with {@code RIGHT} just before it.
 */
public record Anchor(long replicaId, int seq, Bias bias) {
    /** The start of the document; text typed there goes after it. */
    public static final Anchor START = new Anchor(0, -1, Bias.LEFT);
    /** The end of the document; text typed there goes before it. */
    public static final Anchor END = new Anchor(0, -1, Bias.RIGHT);

    public Anchor {
        if (bias == null) throw new IllegalArgumentException("bias is null");
        if (seq < -1) throw new IllegalArgumentException("seq was " + seq + ", must be >= -1");
        if (seq == -1) replicaId = 0;
    }

    /** True when this anchor names a document edge rather than a character. */
    public boolean isEdge() {
        return seq == -1;
    }
}
