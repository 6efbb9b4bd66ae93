package dev.tandem.crdt;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.Iterator;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.TreeMap;
import java.util.function.IntFunction;

/**
 * The received runs of one {@link Doc} whose causes have not arrived yet ("held"), kept until
 * they can be applied. Owned by the document's thread; the document is its only user.
 *
 * <ul>
 *   <li><b>De-duplicated.</b> Per replica, held insert runs and held delete runs are kept by seq
 *       and never overlap: a run (or the part of it) already held is not held again, and a
 *       longer run takes the place of the shorter ones it covers.</li>
 *   <li><b>Woken, not rescanned.</b> A held run waits for one thing: a count of some replica's
 *       characters or deletions (its own previous one, an origin, the last character it
 *       deletes). It sits in that replica's queue, ordered by the count it needs, and is woken
 *       only when the count is reached; it then either applies or waits for its next missing
 *       cause. Each run is woken at most once per cause, so applying n held runs costs
 *       O(n log n), whatever order they came in.</li>
 *   <li><b>Own text only.</b> A held insert run keeps a copy of its own characters, never the
 *       array of the whole update it came in.</li>
 *   <li><b>Bounded.</b> At most {@code maxRuns} runs and {@code maxChars} characters;
 *       {@link #checkRoom} refuses, before anything changes, an update that could go beyond.</li>
 *   <li><b>Refusals.</b> A held run that turns out invalid when its causes arrive (it would
 *       split a surrogate pair) is refused: it is dropped with every later held run of its
 *       replica (of the same kind) and every run waiting for what it would have brought, and
 *       from then on updates carrying those operations are refused ({@link #checkRefused}).</li>
 * </ul>
 */
final class HeldRuns {
    /** Held runs allowed by default: far above what honest reordering holds, and small in memory. */
    static final int DEFAULT_MAX_RUNS = 10_000;
    /** Held characters allowed by default (4 Mi, 8 MB of text). */
    static final long DEFAULT_MAX_CHARS = 1L << 22;

    /**
     * One held run, ids packed for the document. An insert run's characters are seq..seq+len-1
     * of {@code agent} with origins {@code left} and {@code right}; a delete run's deletions are
     * seq..seq+len-1 of {@code agent}, deleting {@code left}, then the ones after it (or before
     * it, {@code backward}).
     */
    static final class Run {
        final boolean isInsert;
        final Agent agent;
        final int seq;
        final int len;
        final long left;
        final long right;
        final char[] text;
        final boolean backward;
        /** When it was made, seconds since the epoch (clamped to this replica's clock). */
        final long time;
        /** What it waits for: {@code need} characters (or deletions, {@code waitDels}) of {@code waitOn}. */
        Agent waitOn;
        boolean waitDels;
        int need;
        /** No longer held (applied, replaced or refused) while still in a queue: skipped there. */
        boolean gone;

        private Run(boolean isInsert, Agent agent, int seq, int len, long left, long right, char[] text, boolean backward, long time) {
            this.time = time;
            this.isInsert = isInsert;
            this.agent = agent;
            this.seq = seq;
            this.len = len;
            this.left = left;
            this.right = right;
            this.text = text;
            this.backward = backward;
        }

        int end() {
            return seq + len;
        }
    }

    private static final Comparator<Run> BY_NEED = Comparator.comparingInt(r -> r.need);

    /** What is held of one replica, and who waits for it. Made on first use. */
    private static final class PerAgent {
        final TreeMap<Integer, Run> inserts = new TreeMap<>();
        final TreeMap<Integer, Run> deletes = new TreeMap<>();
        final PriorityQueue<Run> waitingForChars = new PriorityQueue<>(BY_NEED);
        final PriorityQueue<Run> waitingForDels = new PriorityQueue<>(BY_NEED);
        /** Characters (deletions) of this replica from this seq on are refused; MAX_VALUE: none. */
        int refusedChars = Integer.MAX_VALUE;
        int refusedDels = Integer.MAX_VALUE;
        String refusal;
    }

    private final IntFunction<Agent> agentAt;
    private PerAgent[] per = new PerAgent[4];
    private final ArrayDeque<Run> ready = new ArrayDeque<>();
    private final ArrayList<Agent> refused = new ArrayList<>(0);
    private int runs;
    private long chars;
    private int maxRuns = DEFAULT_MAX_RUNS;
    private long maxChars = DEFAULT_MAX_CHARS;
    /** Times a held run was woken to be tried again. Package-private for tests. */
    long wakes;
    /** Grows with every run held or no longer held: unchanged means the held runs are the same. */
    private long changes;

    /** @param agentAt the document's agent of an index (ids are packed with these indexes) */
    HeldRuns(IntFunction<Agent> agentAt) {
        this.agentAt = agentAt;
    }

    int runs() {
        return runs;
    }

    long chars() {
        return chars;
    }

    long changes() {
        return changes;
    }

    void limit(int maxRuns, long maxChars) {
        if (maxRuns < 0 || maxChars < 0) throw new IllegalArgumentException("limits must not be negative: " + maxRuns + " runs, " + maxChars + " characters");
        this.maxRuns = maxRuns;
        this.maxChars = maxChars;
    }

    int maxRuns() {
        return maxRuns;
    }

    long maxChars() {
        return maxChars;
    }

    private PerAgent of(Agent a) {
        if (a.index >= per.length) per = Arrays.copyOf(per, Math.max(per.length * 2, a.index + 1));
        PerAgent p = per[a.index];
        if (p == null) per[a.index] = p = new PerAgent();
        return p;
    }

    private PerAgent peek(int agentIndex) {
        return agentIndex < per.length ? per[agentIndex] : null;
    }

    private static boolean known(Agent a, int seq) {
        return seq < a.insClock;
    }

    // ---------------------------------------------------------------- holding

    /** Holds characters seq..seq+len-1 of {@code a}, whose text is {@code text[off..off+len)}. */
    void holdInsert(Agent a, int seq, int len, long left, long right, long time, char[] text, int off) {
        PerAgent p = of(a);
        int[] part = uncoveredPart(p.inserts, seq, seq + len);
        if (part == null) return;
        int k = part[0] - seq;
        int n = part[1] - part[0];
        long partLeft = Ids.tailLeft(left, a.index, seq, part[0]);
        Run r = new Run(true, a, part[0], n, partLeft, right, Arrays.copyOfRange(text, off + k, off + k + n), false, time);
        p.inserts.put(r.seq, r);
        runs++;
        changes++;
        chars += n;
        waitOrWake(r);
    }

    /** Holds deletions seq..seq+len-1 of {@code a}, the first deleting {@code first}. */
    void holdDelete(Agent a, int seq, int len, long first, boolean backward, long time) {
        PerAgent p = of(a);
        int[] part = uncoveredPart(p.deletes, seq, seq + len);
        if (part == null) return;
        int k = part[0] - seq;
        int n = part[1] - part[0];
        long target = Ids.tailTarget(first, backward, k);
        Run r = new Run(false, a, part[0], n, target, Ids.NONE, null, backward, time);
        p.deletes.put(r.seq, r);
        runs++;
        changes++;
        waitOrWake(r);
    }

    /**
     * The part of [start, end) that is not held yet, after taking out the held runs it covers
     * whole (the new run carries their operations too); null if all of it is held. Held runs
     * never overlap, so what is left is one range: a held run that starts before it and reaches
     * into it trims its start, one that reaches past its end trims its end.
     */
    private int[] uncoveredPart(TreeMap<Integer, Run> held, int start, int end) {
        if (held.isEmpty()) return new int[] {start, end};
        Map.Entry<Integer, Run> at = held.floorEntry(start);
        if (at != null && at.getValue().end() >= end) return null; // a resend: kept as it is
        Map.Entry<Integer, Run> before = held.lowerEntry(start);
        if (before != null && before.getValue().end() > start) start = before.getValue().end();
        if (start >= end) return null;
        Map.Entry<Integer, Run> last = held.lowerEntry(end);
        if (last != null && last.getKey() >= start && last.getValue().end() > end) end = last.getKey();
        if (start >= end) return null;
        for (Iterator<Run> it = held.subMap(start, true, end, false).values().iterator(); it.hasNext(); ) {
            Run inside = it.next();
            it.remove();
            forget(inside);
        }
        return new int[] {start, end};
    }

    /** Uncounts a run taken out of its replica's map; a queue still holding it skips it. */
    private void forget(Run r) {
        r.gone = true;
        runs--;
        changes++;
        if (r.isInsert) chars -= r.len;
    }

    /** Queues {@code r} for the first cause it lacks, or as ready if it lacks none. */
    private void waitOrWake(Run r) {
        Agent a = r.agent;
        if (r.isInsert) {
            if (a.insClock < r.seq) wait(r, a, false, r.seq);
            else if (r.left != Ids.NONE && !known(agentAt.apply(Ids.agent(r.left)), Ids.seq(r.left))) wait(r, agentAt.apply(Ids.agent(r.left)), false, Ids.seq(r.left) + 1);
            else if (r.right != Ids.NONE && !known(agentAt.apply(Ids.agent(r.right)), Ids.seq(r.right))) wait(r, agentAt.apply(Ids.agent(r.right)), false, Ids.seq(r.right) + 1);
            else ready.add(r);
        } else {
            long hi = r.backward ? r.left : r.left + r.len - 1;
            Agent target = agentAt.apply(Ids.agent(hi));
            if (a.delClock < r.seq) wait(r, a, true, r.seq);
            else if (!known(target, Ids.seq(hi))) wait(r, target, false, Ids.seq(hi) + 1);
            else ready.add(r);
        }
    }

    private void wait(Run r, Agent on, boolean dels, int need) {
        PerAgent p = of(on);
        if (need > (dels ? p.refusedDels : p.refusedChars)) {
            // It waits for operations that were refused: it can never apply.
            (r.isInsert ? of(r.agent).inserts : of(r.agent).deletes).remove(r.seq);
            forget(r);
            return;
        }
        r.waitOn = on;
        r.waitDels = dels;
        r.need = need;
        (dels ? p.waitingForDels : p.waitingForChars).add(r);
    }

    // ---------------------------------------------------------------- waking

    /** Called whenever {@code a}'s characters or deletions grew: wakes the runs that waited for them. */
    void advanced(Agent a) {
        if (runs == 0) return;
        PerAgent p = peek(a.index);
        if (p == null) return;
        wake(p.waitingForChars, a.insClock);
        wake(p.waitingForDels, a.delClock);
    }

    private void wake(PriorityQueue<Run> queue, int clock) {
        Run r;
        while ((r = queue.peek()) != null && r.need <= clock) {
            queue.poll();
            if (!r.gone) ready.add(r);
        }
    }

    /**
     * The next held run whose cause arrived, no longer held (the caller tries it, and holds it
     * again if it lacks another cause), or null.
     */
    Run nextReady() {
        Run r;
        while ((r = ready.poll()) != null) {
            if (r.gone) continue;
            PerAgent p = of(r.agent);
            (r.isInsert ? p.inserts : p.deletes).remove(r.seq);
            forget(r);
            wakes++;
            return r;
        }
        return null;
    }

    // ---------------------------------------------------------------- refusing

    /**
     * Refuses {@code a}'s characters (or deletions) from {@code seq} on: the run there turned
     * out invalid. Drops its later held runs and every run waiting for them.
     */
    void refuse(Agent a, boolean chars, int seq, String reason) {
        PerAgent p = of(a);
        if (chars ? seq >= p.refusedChars : seq >= p.refusedDels) return;
        if (p.refusedChars == Integer.MAX_VALUE && p.refusedDels == Integer.MAX_VALUE) refused.add(a);
        if (chars) p.refusedChars = seq;
        else p.refusedDels = seq;
        p.refusal = reason;
        TreeMap<Integer, Run> own = chars ? p.inserts : p.deletes;
        for (Iterator<Run> it = own.tailMap(seq, true).values().iterator(); it.hasNext(); ) {
            Run r = it.next();
            it.remove();
            forget(r);
        }
        Map.Entry<Integer, Run> over = own.lowerEntry(seq);
        if (over != null && over.getValue().end() > seq) {
            own.remove(over.getKey());
            forget(over.getValue());
        }
        for (Run r : chars ? p.waitingForChars : p.waitingForDels) {
            if (!r.gone && r.need > seq) {
                PerAgent o = of(r.agent);
                (r.isInsert ? o.inserts : o.deletes).remove(r.seq);
                forget(r);
            }
        }
    }

    /** The replicas refused so far, in the order they were. */
    long[] refusedReplicas() {
        long[] out = new long[refused.size()];
        for (int i = 0; i < out.length; i++) out[i] = refused.get(i).replica;
        return out;
    }

    /**
     * Throws if {@code u} (ids packed with its own agent table, {@code map} to the document's)
     * carries operations of a refused replica from where it was refused on, or depends on them.
     */
    void checkRefused(Update.Ops u, int[] map) {
        if (refused.isEmpty()) return;
        for (int i = 0; i < u.insCount; i++) {
            checkChars(map[u.insAgent[i]], u.insSeq[i] + u.insLen[i] - 1, "carries characters");
            if (u.insLeft[i] != Ids.NONE) checkChars(map[Ids.agent(u.insLeft[i])], Ids.seq(u.insLeft[i]), "depends on characters");
            if (u.insRight[i] != Ids.NONE) checkChars(map[Ids.agent(u.insRight[i])], Ids.seq(u.insRight[i]), "depends on characters");
        }
        for (int i = 0; i < u.delCount; i++) {
            PerAgent p = peek(map[u.delAgent[i]]);
            if (p != null && u.delSeq[i] + u.delLen[i] - 1 >= p.refusedDels) throw refusal(p, map[u.delAgent[i]], "carries deletions");
            long t = u.delTarget[i];
            long hi = u.delBackward[i] ? t : t + u.delLen[i] - 1;
            checkChars(map[Ids.agent(hi)], Ids.seq(hi), "deletes characters");
        }
    }

    private void checkChars(int agentIndex, int lastSeq, String what) {
        PerAgent p = peek(agentIndex);
        if (p != null && lastSeq >= p.refusedChars) throw refusal(p, agentIndex, what);
    }

    private CrdtFormatException refusal(PerAgent p, int agentIndex, String what) {
        return new CrdtFormatException("update " + what + " of replica " + Long.toHexString(agentAt.apply(agentIndex).replica)
                + " that were refused earlier (" + p.refusal + ")");
    }

    // ---------------------------------------------------------------- checks before applying

    /**
     * Whether held characters of {@code a} in seq..seq+len-1 have a text other than
     * {@code text[off..off+len)}: the same ids with other content, which no honest replica sends.
     * Characters whose text the update does not know ({@code unknownInUpdate}, packed for the
     * update: its agent {@code updateAgent}) match anything; held runs never have unknown text.
     */
    boolean conflicts(Agent a, int seq, char[] text, int off, int len, Update.Ops u, int updateAgent) {
        PerAgent p = peek(a.index);
        if (p == null || p.inserts.isEmpty()) return false;
        int end = seq + len;
        Map.Entry<Integer, Run> first = p.inserts.floorEntry(seq);
        Integer from = first != null && first.getValue().end() > seq ? first.getKey() : Integer.valueOf(seq);
        for (Run r : p.inserts.subMap(from, true, end, false).values()) {
            int lo = Math.max(seq, r.seq);
            int hi = Math.min(end, r.end());
            for (int s = lo; s < hi; s++) {
                char mine = r.text[s - r.seq];
                char theirs = text[off + s - seq];
                if (mine != theirs && !u.unknown(Ids.pack(updateAgent, s))) return true;
            }
        }
        return false;
    }

    /**
     * Refuses, before anything changes, an update after which the held runs could exceed the
     * limits. Counts the runs of {@code u} that cannot apply when their turn comes, simulating
     * the document's counts in the update's order (as {@link Doc#apply} goes): an upper bound,
     * since held runs woken meanwhile only bring more. Runs already held whole do not count.
     */
    void checkRoom(Update.Ops u, int[] map, Agent[] agents) {
        if (runs + (long) u.insCount + u.delCount <= maxRuns && chars + (long) u.text.length <= maxChars) return;
        int n = u.agents.length;
        int[] ins = new int[n];
        int[] del = new int[n];
        for (int i = 0; i < n; i++) {
            ins[i] = agents[map[i]].insClock;
            del[i] = agents[map[i]].delClock;
        }
        long newRuns = 0;
        long newChars = 0;
        for (int i = 0; i < u.insCount; i++) {
            int a = u.insAgent[i];
            int seq = u.insSeq[i];
            int end = seq + u.insLen[i];
            if (end <= ins[a]) continue;
            int from = Math.max(seq, ins[a]);
            long left = Ids.tailLeft(u.insLeft[i], a, seq, from);
            if (seq <= ins[a] && knownIn(ins, left) && knownIn(ins, u.insRight[i])) {
                ins[a] = end;
            } else if (!heldWhole(peek(map[a]), true, from, end)) {
                newRuns++;
                newChars += end - from;
            }
        }
        for (int i = 0; i < u.delCount; i++) {
            int a = u.delAgent[i];
            int seq = u.delSeq[i];
            int end = seq + u.delLen[i];
            if (end <= del[a]) continue;
            int from = Math.max(seq, del[a]);
            long t = u.delTarget[i];
            long hi = u.delBackward[i] ? t - (from - seq) : t + u.delLen[i] - 1;
            if (seq <= del[a] && knownIn(ins, hi)) {
                del[a] = end;
            } else if (!heldWhole(peek(map[a]), false, from, end)) {
                newRuns++;
            }
        }
        if (runs + newRuns > maxRuns || chars + newChars > maxChars) {
            throw new CrdtFormatException("update refused: " + newRuns + " of its runs (" + newChars + " characters) wait for operations that have not arrived, and "
                    + runs + " runs (" + chars + " characters) are held already; the limit is " + maxRuns + " runs and " + maxChars + " characters");
        }
    }

    private static boolean knownIn(int[] clocks, long id) {
        return id == Ids.NONE || Ids.seq(id) < clocks[Ids.agent(id)];
    }

    private static boolean heldWhole(PerAgent p, boolean inserts, int start, int end) {
        if (p == null) return false;
        Map.Entry<Integer, Run> e = (inserts ? p.inserts : p.deletes).floorEntry(start);
        return e != null && e.getValue().end() >= end;
    }

    // ---------------------------------------------------------------- saving

    /**
     * Every held run as one update (ids resolved with {@code replicaOf}): insert runs replica by
     * replica in seq order, then delete runs.
     */
    Update toUpdate() {
        Update.Builder b = new Update.Builder();
        for (int i = 0; i < per.length; i++) {
            if (per[i] == null) continue;
            for (Run r : per[i].inserts.values()) {
                b.addInsert(r.agent.replica, r.seq, r.text, 0, r.len,
                        replicaOf(r.left), Ids.seq(r.left), r.left == Ids.NONE,
                        replicaOf(r.right), Ids.seq(r.right), r.right == Ids.NONE, r.time);
            }
        }
        for (int i = 0; i < per.length; i++) {
            if (per[i] == null) continue;
            for (Run r : per[i].deletes.values()) {
                b.addDelete(r.agent.replica, r.seq, r.len, replicaOf(r.left), Ids.seq(r.left), r.backward, r.time);
            }
        }
        return b.build();
    }

    private long replicaOf(long id) {
        return id == Ids.NONE ? 0 : agentAt.apply(Ids.agent(id)).replica;
    }
}
