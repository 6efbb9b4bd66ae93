package dev.tandem.crdt;

import java.util.Arrays;
import java.util.Map;
import java.util.TreeMap;

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

    /**
     * Characters whose text is not known (start seq -> end seq, disjoint, not touching), or null
     * when every text is known: only a document upgraded from format v1 has them, and they are
     * all deleted. Their entries in {@code text} hold {@link Update#FILLER}.
     */
    TreeMap<Integer, Integer> unknown;

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

    /** Room for {@code more} more insert runs and {@code moreDels} delete runs. */
    void reserveRuns(int more, int moreDels) {
        if (runCount + more > runs.length) runs = Arrays.copyOf(runs, Math.max(runCount + more, runs.length * 2));
        if (delCount + moreDels > dels.length) dels = Arrays.copyOf(dels, Math.max(delCount + moreDels, dels.length * 2));
    }

    void addRun(int run) {
        if (runCount == runs.length) runs = Arrays.copyOf(runs, Math.max(4, runCount * 2));
        runs[runCount++] = run;
    }

    void addDel(int del) {
        if (delCount == dels.length) dels = Arrays.copyOf(dels, Math.max(2, delCount * 2));
        dels[delCount++] = del;
    }

    /** Whether the text of character {@code seq} is unknown. */
    boolean unknown(int seq) {
        if (unknown == null) return false;
        Map.Entry<Integer, Integer> e = unknown.floorEntry(seq);
        return e != null && e.getValue() > seq;
    }

    void markUnknown(int from, int to) {
        if (from >= to) return;
        if (unknown == null) unknown = new TreeMap<>();
        Map.Entry<Integer, Integer> before = unknown.floorEntry(from);
        if (before != null && before.getValue() >= from) {
            from = before.getKey();
            to = Math.max(to, before.getValue());
        }
        Map.Entry<Integer, Integer> e;
        while ((e = unknown.ceilingEntry(from)) != null && e.getKey() <= to) {
            to = Math.max(to, e.getValue());
            unknown.remove(e.getKey());
        }
        unknown.put(from, to);
    }

    /** The text of characters from .. to-1 became known. */
    void markKnown(int from, int to) {
        if (unknown == null || from >= to) return;
        Map.Entry<Integer, Integer> before = unknown.lowerEntry(from);
        if (before != null && before.getValue() > from) {
            unknown.put(before.getKey(), from);
            if (before.getValue() > to) unknown.put(to, before.getValue());
        }
        Map.Entry<Integer, Integer> e;
        while ((e = unknown.ceilingEntry(from)) != null && e.getKey() < to) {
            unknown.remove(e.getKey());
            if (e.getValue() > to) unknown.put(to, e.getValue());
        }
        if (unknown.isEmpty()) unknown = null;
    }
}
