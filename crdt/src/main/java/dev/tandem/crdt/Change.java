package dev.tandem.crdt;

/**
 * One positional change to the visible text, as a view needs it to patch itself: at
 * {@code index} (UTF-16 units), remove {@code deleted} units, then insert {@code inserted};
 * and, for a change of formatting only, {@code restyled} units from {@code index} whose
 * formatting (marks or paragraph attributes) changed, for the view to restyle. A list of
 * changes applies in order, each to the text the previous one left.
 */
public record Change(int index, int deleted, String inserted, int restyled) {
    public Change {
        if (index < 0 || deleted < 0 || restyled < 0) throw new IllegalArgumentException("negative index or length: " + index + ", " + deleted + ", " + restyled);
        if (inserted == null) inserted = "";
    }

    /** A change of the text: at {@code index}, remove {@code deleted} units, then insert {@code inserted}. */
    public Change(int index, int deleted, String inserted) {
        this(index, deleted, inserted, 0);
    }

    /** A change of formatting only: {@code length} units from {@code index} look different now. */
    public static Change restyle(int index, int length) {
        return new Change(index, 0, "", length);
    }

    /** True for a change of formatting only, which leaves the text as it was. */
    public boolean isRestyle() {
        return restyled > 0;
    }
}
