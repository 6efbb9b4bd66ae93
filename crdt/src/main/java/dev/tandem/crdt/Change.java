package dev.tandem.crdt;

/**
 * One positional change to the visible text, as a view needs it to patch itself: at
 * {@code index} (UTF-16 units), remove {@code deleted} units, then insert {@code inserted}.
 * A list of changes applies in order, each to the text the previous one left.
 */
public record Change(int index, int deleted, String inserted) {
    public Change {
        if (index < 0 || deleted < 0) throw new IllegalArgumentException("negative index or length: " + index + ", " + deleted);
        if (inserted == null) inserted = "";
    }
}
