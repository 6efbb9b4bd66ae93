package dev.tandem.crdt;

import java.util.Arrays;

/**
 * Delete runs as growable parallel columns: deletions seq .. seq+len-1 of agent, deleting the
 * characters target, target+1, ... (forward) or target, target-1, ... (backward), made at
 * {@code time} (to within {@link InsertRuns#TIME_STEP}). The one layout of a document's run log and an update builder.
 */
final class DeleteRuns {
    static final int NO = 0;
    static final int FORWARD = 1;
    static final int BACKWARD = 2;

    int count;
    int[] agent;
    int[] seq;
    int[] len;
    long[] target;
    boolean[] backward;
    long[] time;

    DeleteRuns(int capacity) {
        agent = new int[capacity];
        seq = new int[capacity];
        len = new int[capacity];
        target = new long[capacity];
        backward = new boolean[capacity];
        time = new long[capacity];
    }

    /**
     * Grows run {@code i} by deletions from {@code s} of {@code n} characters from {@code t} by
     * agent {@code a} if they continue it (see {@link #grows}); returns whether they did.
     */
    boolean extend(int i, int a, int s, int n, long t, boolean back, long when) {
        if (agent[i] != a || !InsertRuns.sameStep(time[i], when) || seq[i] + len[i] != s || Ids.agent(target[i]) != Ids.agent(t)) return false;
        int g = grows(Ids.seq(target[i]), len[i], backward[i], Ids.seq(t), n, back);
        if (g == NO) return false;
        backward[i] = g == BACKWARD;
        len[i] += n;
        return true;
    }

    /**
     * Whether deleting {@code len} characters from target seq {@code target} continues a delete
     * run (first target {@code runTarget}, {@code runLen} deletions, {@code runBackward}) of the
     * same replica, at its next deletion seq, on the same target replica (the caller checks
     * those): {@link #FORWARD} when it takes the characters right after the run's (Delete key,
     * or a selection), {@link #BACKWARD} when it takes the one character right before them
     * (backspacing), else {@link #NO}.
     */
    static int grows(int runTarget, int runLen, boolean runBackward, int target, int len, boolean backward) {
        if (!runBackward && !backward && runTarget + runLen == target) return FORWARD;
        if ((runBackward || runLen == 1) && len == 1 && runTarget - runLen == target) return BACKWARD;
        return NO;
    }

    /** Makes room for {@code more} runs at once (a whole update or document is about to be logged). */
    void reserve(int more) {
        if (count + more > agent.length) grow(Math.max(count + more, agent.length * 2));
    }

    private void grow(int cap) {
        agent = Arrays.copyOf(agent, cap);
        seq = Arrays.copyOf(seq, cap);
        len = Arrays.copyOf(len, cap);
        target = Arrays.copyOf(target, cap);
        backward = Arrays.copyOf(backward, cap);
        time = Arrays.copyOf(time, cap);
    }

    /** Appends a run; returns its index. */
    int add(int a, int s, int n, long t, boolean back, long when) {
        if (count == agent.length) grow(Math.max(4, count * 2));
        agent[count] = a;
        seq[count] = s;
        len[count] = n;
        target[count] = t;
        backward[count] = back && n > 1;
        time[count] = when;
        return count++;
    }
}
