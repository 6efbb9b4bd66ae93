package dev.tandem.crdt;

import java.util.Arrays;

/**
 * Insert runs as growable parallel columns: characters seq .. seq+len-1 of agent, the first
 * with left origin {@code left} (or {@link Ids#NONE}: document start), every later one with the
 * character before it, all with right origin {@code right} (or NONE: document end), typed at
 * {@code time}. The one layout of a document's run log and an update builder.
 */
final class InsertRuns {
    /**
     * Seconds a run's time stands for: characters typed up to this long after a run's first one
     * join the run, and share its time. So a character's time is known to within a minute,
     * and a burst of typing stays one run.
     */
    static final long TIME_STEP = 60;

    int count;
    int[] agent;
    int[] seq;
    int[] len;
    long[] left;
    long[] right;
    /** When the run's first character was typed, seconds since the epoch (0: not known). */
    long[] time;
    /** Where the run's text starts in the holder's text (builders); null in the log. */
    int[] textStart;

    InsertRuns(int capacity, boolean withText) {
        agent = new int[capacity];
        seq = new int[capacity];
        len = new int[capacity];
        left = new long[capacity];
        right = new long[capacity];
        time = new long[capacity];
        textStart = withText ? new int[capacity] : null;
    }

    /**
     * Whether characters from {@code s} with left origin {@code l} and right origin {@code r},
     * typed at {@code t}, continue run {@code i}.
     */
    boolean continues(int i, int a, int s, long l, long r, long t) {
        return agent[i] == a && seq[i] + len[i] == s && right[i] == r && l == Ids.pack(a, s - 1) && sameStep(time[i], t);
    }

    /** Whether time {@code t} may share a run that started at {@code runTime}. */
    static boolean sameStep(long runTime, long t) {
        return t >= runTime && t - runTime < TIME_STEP;
    }

    /** Makes room for {@code more} runs at once (a whole update or document is about to be logged). */
    void reserve(int more) {
        if (count + more > agent.length) grow(Math.max(count + more, agent.length * 2));
    }

    private void grow(int cap) {
        agent = Arrays.copyOf(agent, cap);
        seq = Arrays.copyOf(seq, cap);
        len = Arrays.copyOf(len, cap);
        left = Arrays.copyOf(left, cap);
        right = Arrays.copyOf(right, cap);
        time = Arrays.copyOf(time, cap);
        if (textStart != null) textStart = Arrays.copyOf(textStart, cap);
    }

    /** Appends a run; returns its index. */
    int add(int a, int s, int n, long l, long r, long t, int text) {
        if (count == agent.length) grow(Math.max(4, count * 2));
        agent[count] = a;
        seq[count] = s;
        len[count] = n;
        left[count] = l;
        right[count] = r;
        time[count] = t;
        if (textStart != null) textStart[count] = text;
        return count++;
    }
}
