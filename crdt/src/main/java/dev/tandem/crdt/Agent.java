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
    /**
     * For each known character, the number of the leaf that holds it: in a char while every
     * number stored here fits in {@code narrowMax} (half the memory of an int; 65,535 leaves
     * hold millions of spans), else in {@code wideLeafOf} from then on. Use {@link #leaf} and
     * {@link #setLeaf}; only loading fills {@code leafOf} directly, as scratch.
     */
    char[] leafOf = NO_CHARS;
    int[] wideLeafOf;
    private final int narrowMax;
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

    Agent(long replica, int index, int narrowMax) {
        this.replica = replica;
        this.index = index;
        this.narrowMax = narrowMax;
    }

    /** The number of the leaf that holds character {@code seq}. */
    int leaf(int seq) {
        return wideLeafOf == null ? leafOf[seq] : wideLeafOf[seq];
    }

    /** Characters {@code from .. to-1} live in leaf {@code number}. */
    void setLeaf(int from, int to, int number) {
        if (wideLeafOf == null && number > narrowMax) {
            wideLeafOf = new int[leafOf.length];
            for (int i = 0; i < leafOf.length; i++) wideLeafOf[i] = leafOf[i];
            leafOf = null;
        }
        if (wideLeafOf != null) Arrays.fill(wideLeafOf, from, to, number);
        else Arrays.fill(leafOf, from, to, (char) number);
    }


    /**
     * Room for {@code size} characters. These two arrays are most of a document's memory, so they
     * grow by a quarter (not the usual half): less unused room, for copies that cost about
     * 0.2 ms over a 180,000-character history.
     */
    void ensureChars(int size) {
        if (size > text.length) {
            int n = Math.max(size, text.length + (text.length >> 2) + 64);
            text = Arrays.copyOf(text, n);
            if (wideLeafOf != null) wideLeafOf = Arrays.copyOf(wideLeafOf, n);
            else leafOf = Arrays.copyOf(leafOf, n);
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
