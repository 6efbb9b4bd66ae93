package dev.tandem.crdt;

/**
 * Which neighbouring character a sticky {@link Anchor} holds on to.
 *
 * <p>Text inserted exactly at an anchored position lands on the side opposite the bias: an anchor
 * with {@link #LEFT} stays before it, one with {@link #RIGHT} ends up after it.
 */
public enum Bias {
    /** Stick to the character before the position (or to the document start). */
    LEFT,
    /** Stick to the character after the position (or to the document end). */
    RIGHT
}
