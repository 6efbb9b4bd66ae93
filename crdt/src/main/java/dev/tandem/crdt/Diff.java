package dev.tandem.crdt;

/**
 * One change between two versions of a document, for a view that highlights changes: see
 * {@link Doc#diff}. Positions are UTF-16 indexes into the later text.
 *
 * @param kind     inserted or deleted
 * @param index    where in the later text: an insertion occupies {@code [index, index +
 *                 text.length())}; removed text sat just before the character at {@code index}
 *                 and occupies nothing in the later text
 * @param text     the inserted or the removed characters (U+FFFD for text a document upgraded
 *                 from format v1 does not know)
 * @param replica  the replica that inserted or deleted them
 */
public record Diff(Kind kind, int index, String text, long replica) {
    public enum Kind { INSERTED, DELETED }
}
