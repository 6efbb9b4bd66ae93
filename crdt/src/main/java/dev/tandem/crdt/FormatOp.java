package dev.tandem.crdt;

/**
 * One formatting operation, as updates carry it: a mark over a range of characters, or an
 * attribute of a paragraph.
 *
 * <p>It is operation {@code seq} of {@code replica}, numbered together with the replica's
 * deletions (so a version's second count covers both). {@code lamport} orders concurrent writes
 * of one key: the higher (lamport, then replica id unsigned) wins.
 *
 * <p>A mark runs from its start anchor to its end anchor: character {@code (startReplica,
 * startSeq)}, on its before side or (with {@code startAfter}) its after side, {@code startSeq
 * == -1} naming the document start; the same for the end, {@code endSeq == -1} naming the
 * document end. A paragraph attribute names the line break that ends its paragraph in the start
 * fields ({@code startSeq == -1}: the last paragraph); its end fields are unused (0, -1, false).
 * {@code value == null} removes.
 */
record FormatOp(long replica, int seq, long lamport, String key, String value,
                long startReplica, int startSeq, boolean startAfter,
                long endReplica, int endSeq, boolean endAfter) {

    boolean isParagraph() {
        return Formats.kindOf(key) == Formats.Kind.PARAGRAPH;
    }

    /** Whether this write beats {@code other} on the same key. */
    boolean beats(FormatOp other) {
        if (lamport != other.lamport) return lamport > other.lamport;
        if (replica != other.replica) return Long.compareUnsigned(replica, other.replica) > 0;
        return seq > other.seq;
    }

    /** Why this operation is malformed (null: it is not), before anything else is checked. */
    String problem() {
        if (seq < 0) return "negative seq";
        if (lamport < 1 || lamport > Long.MAX_VALUE / 2) return "lamport time out of range";
        String p = Formats.problem(key, value);
        if (p != null) return p;
        if (startSeq < -1 || endSeq < -1) return "bad anchor seq";
        if (isParagraph()) {
            if (startAfter || endSeq != -1 || endAfter || endReplica != 0) return "paragraph attribute with an end";
            if (startSeq == -1 && startReplica != 0) return "document end named with a replica";
        } else {
            if (startSeq == -1 && (startAfter || startReplica != 0)) return "bad document-start anchor";
            if (endSeq == -1 && (endAfter || endReplica != 0)) return "bad document-end anchor";
        }
        return null;
    }
}
