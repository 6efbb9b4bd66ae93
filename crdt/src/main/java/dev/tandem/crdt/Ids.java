package dev.tandem.crdt;

/**
 * Character ids packed in a long: a small agent index (the position of the replica id in a
 * table the document or update keeps) in the high 32 bits, the character's seq in the low 32.
 * Packing keeps ids in primitive arrays: no object per character or per run.
 */
final class Ids {
    private Ids() {}

    /** No character: a left origin of NONE is the document start, a right origin the end. */
    static final long NONE = -1L;

    static long pack(int agent, int seq) {
        return ((long) agent << 32) | (seq & 0xffffffffL);
    }

    static int agent(long id) {
        return (int) (id >>> 32);
    }

    static int seq(long id) {
        return (int) id;
    }
}
