package dev.tandem.crdt;

import java.util.Arrays;
import java.util.BitSet;

/**
 * The pieces a saved document's order is written in. Characters with consecutive ids sit
 * next to each other in the document unless something was inserted between them, and what was
 * inserted there names them as its origins. So the places where the order can break (piece
 * boundaries) follow from the insert runs alone: every run's first character, the character
 * after every left origin, and every right origin. A document then stores only the order of
 * these pieces, which costs about one small number per piece (see FORMAT.md, "Order").
 *
 * <p>Both the encoder and the decoder derive the pieces from the same insert runs (those of
 * the encoded operations), so they agree; boundaries the rule misses are written explicitly.
 */
final class Pieces {
    /**
     * Per agent of the operations' table: bit s says a piece starts at seq s. Bits, not
     * booleans: numbering the pieces then skips a word of 64 characters at a time.
     */
    final BitSet[] boundary;
    /** Per agent: the seqs pieces start at, ascending, and the global index of the first. */
    int[][] starts;
    int[] firstIndex;
    int count;
    final int[] clock;

    /**
     * From the insert runs of {@code ops}. Allocates one bit per character up to each agent's
     * highest seq: a decoder must first check that the runs are gap-free (so that the seqs are
     * bounded by the characters the body counts), see {@code Doc.load}.
     */
    Pieces(Update.Ops ops) {
        int agents = ops.agents.length;
        clock = new int[agents];
        for (int i = 0; i < ops.insCount; i++) {
            clock[ops.insAgent[i]] = Math.max(clock[ops.insAgent[i]], ops.insSeq[i] + ops.insLen[i]);
        }
        boundary = new BitSet[agents];
        for (int a = 0; a < agents; a++) boundary[a] = new BitSet(clock[a] + 1);
        for (int i = 0; i < ops.insCount; i++) {
            mark(ops.insAgent[i], ops.insSeq[i]);
            long left = ops.insLeft[i];
            if (left != Ids.NONE) mark(Ids.agent(left), Ids.seq(left) + 1);
            long right = ops.insRight[i];
            if (right != Ids.NONE) mark(Ids.agent(right), Ids.seq(right));
        }
    }

    /** Marks a boundary; returns false if it was not one already. Out-of-range seqs are ignored. */
    boolean mark(int agent, long seq) {
        if (agent < 0 || agent >= boundary.length || seq < 0 || seq >= clock[agent]) return true;
        boolean was = boundary[agent].get((int) seq);
        boundary[agent].set((int) seq);
        return was;
    }

    /** Numbers the pieces: agent by agent, seq ascending. Call after the last {@link #mark}. */
    void index() {
        int agents = boundary.length;
        starts = new int[agents][];
        firstIndex = new int[agents];
        count = 0;
        for (int a = 0; a < agents; a++) {
            BitSet b = boundary[a];
            int[] st = new int[b.cardinality()]; // (mark keeps every bit below clock[a])
            int n = 0;
            for (int s = b.nextSetBit(0); s >= 0; s = b.nextSetBit(s + 1)) st[n++] = s;
            starts[a] = st;
            firstIndex[a] = count;
            count += n;
        }
    }

    /** Index of the piece of {@code agent} that starts at {@code seq}, or -1 if none does. */
    int indexOf(int agent, int seq) {
        int k = Arrays.binarySearch(starts[agent], seq);
        return k < 0 ? -1 : firstIndex[agent] + k;
    }

    /**
     * The agent of piece {@code index}: the last agent whose first piece is at or before it (a
     * binary search, since firstIndex ascends; agents without pieces share their successor's
     * first index and are passed over). O(log agents): a document may name many replicas.
     */
    int agentOf(int index) {
        int lo = 0;
        int hi = firstIndex.length - 1;
        while (lo < hi) {
            int mid = (lo + hi + 1) >>> 1;
            if (firstIndex[mid] <= index) lo = mid;
            else hi = mid - 1;
        }
        return lo;
    }

    int start(int agent, int index) {
        return starts[agent][index - firstIndex[agent]];
    }

    int end(int agent, int index) {
        int k = index - firstIndex[agent];
        return k + 1 < starts[agent].length ? starts[agent][k + 1] : clock[agent];
    }
}
