package dev.tandem.crdt;

import java.util.Arrays;

/**
 * What a document knows of one replica: the characters it inserted (their text and the leaf
 * each one lives in, indexed by seq), how many of its deletions were applied, and which runs of
 * the document's logs are its own. Owned by the document's thread.
 */
final class Agent {
    final long replica;
    final int index;

    /** Text of the replica's characters by seq; {@code insClock} of them are known. */
    char[] text = NO_CHARS;
    /** For each known character, the number of the leaf that holds it. */
    int[] leafOf = NO_INTS;
    int insClock;
    /** Deletions by this replica applied so far (they are numbered apart from characters). */
    int delClock;

    /** Indexes into the document's insert-run log, in seq order. */
    int[] runs = new int[4];
    int runCount;
    /** Indexes into the document's delete-run log, in seq order. */
    int[] dels = new int[2];
    int delCount;

    // Shared empty arrays: an update may name many replicas, and most never get a character here.
    private static final char[] NO_CHARS = {};
    private static final int[] NO_INTS = {};

    Agent(long replica, int index) {
        this.replica = replica;
        this.index = index;
    }

    void ensureChars(int size) {
        if (size > text.length) {
            int n = Math.max(size, text.length + (text.length >> 1) + 16);
            text = Arrays.copyOf(text, n);
            leafOf = Arrays.copyOf(leafOf, n);
        }
    }

    void addRun(int run) {
        if (runCount == runs.length) runs = Arrays.copyOf(runs, runCount * 2);
        runs[runCount++] = run;
    }

    void addDel(int del) {
        if (delCount == dels.length) dels = Arrays.copyOf(dels, delCount * 2);
        dels[delCount++] = del;
    }
}
