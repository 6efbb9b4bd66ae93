package dev.tandem.crdt;

/**
 * Character ids packed in a long: a small agent index (the position of the replica id in a
 * table the document or update keeps) in the high 32 bits, the character's seq in the low 32.
 * Packing keeps ids in primitive arrays: no object per character or per run. Also the few rules
 * about runs that every holder of runs (log, builder, held runs, codec) shares.
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

    /**
     * The left origin of the tail {@code from..} of an insert run of {@code agent} that starts at
     * {@code seq} with left origin {@code left}: the run's own one for the whole run, else the
     * character before the tail (each character of a run has the one before it as left origin).
     */
    static long tailLeft(long left, int agent, int seq, int from) {
        return from == seq ? left : pack(agent, from - 1);
    }

    /**
     * The character the {@code skipped}-th deletion of a delete run deletes, the first deleting
     * {@code first}: backward runs (backspacing) go down, forward ones up.
     */
    static long tailTarget(long first, boolean backward, int skipped) {
        return backward ? first - skipped : first + skipped;
    }

    /** The lowest id a delete run of {@code len} deletions starting at {@code first} deletes. */
    static long lowestDeleted(long first, int len, boolean backward) {
        return backward ? first - (len - 1) : first;
    }
}
