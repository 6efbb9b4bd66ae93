package dev.tandem.crdt;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * A batch of operations to send to other replicas: runs of inserted characters and runs of
 * deletions. Immutable. Made by a {@link Doc} (local edits, {@link Doc#updatesSince}), read back
 * with {@link #decode(byte[])}, combined without a document by {@link #merge(List)}.
 *
 * <p>Insert runs are listed in an order in which they can be applied (every run after the runs
 * it depends on); delete runs follow all insert runs.
 */
public final class Update {

    /**
     * The operations as parallel arrays. Built on first use for the one-run updates of local
     * edits (most keystrokes are never looked at again before they are encoded and sent).
     */
    static final class Ops {
        // Replica ids referenced by this update; ids below are packed as (index into agents) << 32 | seq.
        final long[] agents;

        // Insert runs: characters seq .. seq+len-1 of agents[insAgent], typed one after the other.
        // The first character's left origin is insLeft (or Ids.NONE: document start), every other
        // character's is the character before it; all share insRight (or Ids.NONE: document end).
        // insTime: when the run was typed, in seconds since the epoch (0: not known).
        final int insCount;
        final int[] insAgent;
        final int[] insSeq;
        final int[] insLen;
        final long[] insLeft;
        final long[] insRight;
        final long[] insTime;
        final int[] insTextStart; // into text
        // Every run's text, in run order; a character whose text is unknown holds FILLER.
        final char[] text;

        // Delete runs: deletions seq .. seq+len-1 of agents[delAgent], deleting the characters
        // delTarget, delTarget+1, ... (forward) or delTarget, delTarget-1, ... (backward).
        final int delCount;
        final int[] delAgent;
        final int[] delSeq;
        final int[] delLen;
        final long[] delTarget;
        final boolean[] delBackward;
        final long[] delTime;

        // Characters whose text is unknown (only after a v1 document was upgraded, see
        // FORMAT.md): unkStart[k] .. unkStart[k]+unkLen[k]-1, packed ids sorted ascending, disjoint.
        final long[] unkStart;
        final int[] unkLen;

        Ops(long[] agents, int insCount, int[] insAgent, int[] insSeq, int[] insLen, long[] insLeft,
            long[] insRight, long[] insTime, int[] insTextStart, char[] text, int delCount, int[] delAgent, int[] delSeq,
            int[] delLen, long[] delTarget, boolean[] delBackward, long[] delTime, long[] unkStart, int[] unkLen) {
            this.agents = agents;
            this.insCount = insCount;
            this.insAgent = insAgent;
            this.insSeq = insSeq;
            this.insLen = insLen;
            this.insLeft = insLeft;
            this.insRight = insRight;
            this.insTime = insTime;
            this.insTextStart = insTextStart;
            this.text = text;
            this.delCount = delCount;
            this.delAgent = delAgent;
            this.delSeq = delSeq;
            this.delLen = delLen;
            this.delTarget = delTarget;
            this.delBackward = delBackward;
            this.delTime = delTime;
            this.unkStart = unkStart;
            this.unkLen = unkLen;
            boolean any = false;
            for (char c : text) {
                if (Character.isSurrogate(c)) {
                    any = true;
                    break;
                }
            }
            this.surrogates = any;
        }

        /** Whether the text holds any surrogate (so astral characters need counting). */
        final boolean surrogates;

        long agentOf(long packedId) {
            return packedId == Ids.NONE ? 0 : agents[Ids.agent(packedId)];
        }

        /** Whether character {@code id} (packed for this update) has unknown text here. */
        boolean unknown(long id) {
            return unkStart.length > 0 && unknownIn(unkStart, unkLen, id);
        }

        /** Number of characters whose text is unknown. */
        long unknownChars() {
            long n = 0;
            for (int l : unkLen) n += l;
            return n;
        }
    }

    /**
     * What the text of a character with unknown text holds in memory (never written out): any
     * value would do, the unknown ranges say which characters it stands for.
     */
    static final char FILLER = '\uFFFF';

    /** Whether {@code id} lies in one of the sorted, disjoint ranges {@code starts[k] .. starts[k]+lens[k]-1}. */
    static boolean unknownIn(long[] starts, int[] lens, long id) {
        int k = Arrays.binarySearch(starts, id);
        if (k < 0) k = -k - 2;
        return k >= 0 && Ids.agent(starts[k]) == Ids.agent(id) && id < starts[k] + lens[k];
    }

    // Set for updates built from arrays; for a one-run local edit, built on first use from the
    // fields below. Volatile with final fields inside: safe to share between threads.
    private volatile Ops ops;
    // Formatting operations (marks, paragraph attributes), in an order they can be applied in.
    private List<FormatOp> formats = List.of();
    private final boolean isInsert;
    private final long replica;
    private final int seq;
    private final int len;
    private final char[] chars;
    private final long replica1;
    private final int seq1; // -1: none
    private final long replica2;
    private final int seq2; // -1: none
    private final long time;

    private Update(Ops ops) {
        this.ops = ops;
        this.isInsert = false;
        this.replica = 0;
        this.seq = 0;
        this.len = 0;
        this.chars = null;
        this.replica1 = 0;
        this.seq1 = -1;
        this.replica2 = 0;
        this.seq2 = -1;
        this.time = 0;
    }

    private Update(boolean isInsert, long replica, int seq, int len, char[] chars, long replica1, int seq1, long replica2, int seq2, long time) {
        this.isInsert = isInsert;
        this.replica = replica;
        this.seq = seq;
        this.len = len;
        this.chars = chars;
        this.replica1 = replica1;
        this.seq1 = seq1;
        this.replica2 = replica2;
        this.seq2 = seq2;
        this.time = time;
    }

    static Update of(Ops ops) {
        return new Update(ops);
    }

    /** The operations of {@code ops} and {@code formats}. */
    static Update of(Ops ops, List<FormatOp> formats) {
        Update u = new Update(ops);
        u.formats = List.copyOf(formats);
        return u;
    }

    /** One formatting operation (a local edit). */
    static Update ofFormat(FormatOp op) {
        return of(EMPTY.ops(), List.of(op));
    }

    /** The formatting operations, in an order they can be applied in. */
    List<FormatOp> formats() {
        return formats;
    }

    Ops ops() {
        Ops o = ops;
        if (o == null) {
            o = isInsert ? singleInsert() : singleDelete();
            ops = o;
        }
        return o;
    }

    private static final int[] ZERO = {0};
    private static final int[] NO_INTS = {};
    private static final long[] NO_LONGS = {};
    private static final boolean[] NO_BOOLEANS = {};
    private static final char[] NO_CHARS = {};

    private Ops singleInsert() {
        long[] table = {replica, 0, 0};
        int n = 1;
        long left = Ids.NONE;
        if (seq1 >= 0) {
            int k = indexIn(table, n, replica1);
            if (k == n) table[n++] = replica1;
            left = Ids.pack(k, seq1);
        }
        long right = Ids.NONE;
        if (seq2 >= 0) {
            int k = indexIn(table, n, replica2);
            if (k == n) table[n++] = replica2;
            right = Ids.pack(k, seq2);
        }
        return new Ops(n == 3 ? table : Arrays.copyOf(table, n), 1, ZERO, new int[] {seq}, new int[] {len},
                new long[] {left}, new long[] {right}, new long[] {time}, ZERO, chars, 0, NO_INTS, NO_INTS, NO_INTS, NO_LONGS, NO_BOOLEANS,
                NO_LONGS, NO_LONGS, NO_INTS);
    }

    private Ops singleDelete() {
        long[] table = replica1 == replica ? new long[] {replica} : new long[] {replica, replica1};
        return new Ops(table, 0, NO_INTS, NO_INTS, NO_INTS, NO_LONGS, NO_LONGS, NO_LONGS, NO_INTS, NO_CHARS,
                1, ZERO, new int[] {seq}, new int[] {len}, new long[] {Ids.pack(table.length - 1, seq1)}, new boolean[] {false},
                new long[] {time}, NO_LONGS, NO_INTS);
    }

    private static int indexIn(long[] table, int n, long replica) {
        for (int i = 0; i < n; i++) if (table[i] == replica) return i;
        return n;
    }

    /** One insert run (a local edit); {@code text} is taken, not copied. */
    static Update ofInsert(long replica, int seq, char[] text, long leftReplica, int leftSeq, boolean leftNone,
                           long rightReplica, int rightSeq, boolean rightNone, long time) {
        return new Update(true, replica, seq, text.length, text, leftReplica, leftNone ? -1 : leftSeq,
                rightReplica, rightNone ? -1 : rightSeq, time);
    }

    /** One forward delete run (a local edit). */
    static Update ofDelete(long replica, int seq, int len, long targetReplica, int targetSeq, long time) {
        return new Update(false, replica, seq, len, null, targetReplica, targetSeq, 0, -1, time);
    }

    private static final Update EMPTY = new Builder().build();

    /** An update with no operation. */
    public static Update empty() {
        return EMPTY;
    }

    public boolean isEmpty() {
        Ops o = ops();
        return o.insCount == 0 && o.delCount == 0 && formats.isEmpty();
    }

    /** The replica ids whose operations this update carries, each once. */
    public long[] replicas() {
        Ops o = ops();
        long[] agents = o.agents;
        int insCount = o.insCount;
        int delCount = o.delCount;
        int[] insAgent = o.insAgent;
        int[] delAgent = o.delAgent;
        boolean[] used = new boolean[agents.length];
        for (int i = 0; i < insCount; i++) used[insAgent[i]] = true;
        for (int i = 0; i < delCount; i++) used[delAgent[i]] = true;
        int n = 0;
        long[] out = new long[agents.length + formats.size()];
        for (int i = 0; i < agents.length; i++) if (used[i]) out[n++] = agents[i];
        for (FormatOp f : formats) {
            boolean seen = false;
            for (int i = 0; i < n && !seen; i++) seen = out[i] == f.replica();
            if (!seen) out[n++] = f.replica();
        }
        return Arrays.copyOf(out, n);
    }

    /**
     * The smallest version that covers every operation in this update: per replica, the end of
     * its last character and of its last deletion here. A document whose version covers it
     * already holds every operation of the update; one that does not lacks some.
     */
    public Version version() {
        Ops o = ops();
        int n = o.agents.length;
        long[] ids = o.agents;
        if (!formats.isEmpty()) {
            ReplicaIndex all = new ReplicaIndex();
            for (long r : o.agents) all.intern(r);
            for (FormatOp f : formats) all.intern(f.replica());
            n = all.size();
            ids = new long[n];
            for (int i = 0; i < n; i++) ids[i] = all.id(i);
        }
        int[] ins = new int[n];
        int[] del = new int[n];
        for (int i = 0; i < o.insCount; i++) ins[o.insAgent[i]] = Math.max(ins[o.insAgent[i]], o.insSeq[i] + o.insLen[i]);
        for (int i = 0; i < o.delCount; i++) del[o.delAgent[i]] = Math.max(del[o.delAgent[i]], o.delSeq[i] + o.delLen[i]);
        for (FormatOp f : formats) {
            int k = indexIn(ids, n, f.replica());
            del[k] = Math.max(del[k], f.seq() + 1);
        }
        return Version.of(ids, ins, del, n);
    }

    /** Number of operations: characters inserted plus characters deleted plus formatting operations. */
    public long operationCount() {
        Ops o = ops();
        int insCount = o.insCount;
        int delCount = o.delCount;
        int[] insLen = o.insLen;
        int[] delLen = o.delLen;
        long n = 0;
        for (int i = 0; i < insCount; i++) n += insLen[i];
        for (int i = 0; i < delCount; i++) n += delLen[i];
        return n + formats.size();
    }

    /** The binary form of {@code crdt/FORMAT.md}. */
    public byte[] encode() {
        return Codec.encodeUpdate(this, Codec.KIND_UPDATE);
    }

    /**
     * Reads an update written by {@link #encode()} (or a document written by
     * {@link Doc#encode()}, which is the update that builds it from nothing).
     *
     * @throws CrdtFormatException if the bytes are not a valid update
     */
    public static Update decode(byte[] bytes) {
        return Codec.decodeUpdate(bytes);
    }

    /**
     * Like {@link #decode(byte[])}, refusing an update whose decompressed body would exceed
     * {@code maxDecodedBytes}: how a server bounds the memory one small, highly compressed
     * message can take.
     *
     * @throws CrdtFormatException if the bytes are not a valid update or decode to more than that
     */
    public static Update decode(byte[] bytes, int maxDecodedBytes) {
        if (maxDecodedBytes < 0) throw new IllegalArgumentException("maxDecodedBytes was " + maxDecodedBytes);
        return Codec.decodeUpdate(bytes, maxDecodedBytes);
    }

    /**
     * Combines updates into one that carries every operation of each, once, without needing a
     * document. Later updates may depend on earlier ones: pass them in the order they were made.
     */
    public static Update merge(List<Update> updates) {
        if (updates.isEmpty()) return EMPTY;
        if (updates.size() == 1) return updates.get(0);
        Builder b = new Builder();
        // Per replica, the seq ranges already taken, so overlapping updates keep one copy.
        Map<Long, TreeMap<Integer, Integer>> insSeen = new HashMap<>();
        Map<Long, TreeMap<Integer, Integer>> delSeen = new HashMap<>();
        for (Update up : updates) {
            Ops u = up.ops();
            for (int i = 0; i < u.insCount; i++) {
                long replica = u.agents[u.insAgent[i]];
                TreeMap<Integer, Integer> seen = insSeen.computeIfAbsent(replica, k -> new TreeMap<>());
                int start = u.insSeq[i];
                int end = start + u.insLen[i];
                for (int[] part : uncovered(seen, start, end)) {
                    long left = Ids.tailLeft(u.insLeft[i], u.insAgent[i], start, part[0]);
                    long right = u.insRight[i];
                    b.addInsert(replica, part[0], u.text, u.insTextStart[i] + part[0] - start, part[1] - part[0],
                            u.agentOf(left), Ids.seq(left), left == Ids.NONE,
                            u.agentOf(right), Ids.seq(right), right == Ids.NONE, u.insTime[i]);
                    b.addUnknownOf(u, u.insAgent[i], part[0], part[1]);
                }
                cover(seen, start, end);
            }
        }
        for (Update up : updates) {
            Ops u = up.ops();
            for (int i = 0; i < u.delCount; i++) {
                long replica = u.agents[u.delAgent[i]];
                TreeMap<Integer, Integer> seen = delSeen.computeIfAbsent(replica, k -> new TreeMap<>());
                int start = u.delSeq[i];
                int end = start + u.delLen[i];
                for (int[] part : uncovered(seen, start, end)) {
                    long target = Ids.tailTarget(u.delTarget[i], u.delBackward[i], part[0] - start);
                    b.addDelete(replica, part[0], part[1] - part[0], u.agentOf(target), Ids.seq(target), u.delBackward[i], u.delTime[i]);
                }
                cover(seen, start, end);
            }
        }
        // Formatting operations: one copy of each (replica, seq), in the order first seen.
        List<FormatOp> formats = new ArrayList<>();
        java.util.HashSet<FormatKey> seenFormats = new java.util.HashSet<>();
        for (Update up : updates) {
            for (FormatOp f : up.formats) if (seenFormats.add(new FormatKey(f.replica(), f.seq()))) formats.add(f);
        }
        Update merged = b.build();
        return formats.isEmpty() ? merged : of(merged.ops(), formats);
    }

    private record FormatKey(long replica, int seq) {
    }

    /** Parts of [start, end) not in {@code seen} (a map of disjoint ranges start -> end). */
    private static List<int[]> uncovered(TreeMap<Integer, Integer> seen, int start, int end) {
        List<int[]> out = new ArrayList<>(1);
        int at = start;
        Map.Entry<Integer, Integer> e = seen.floorEntry(at);
        if (e != null && e.getValue() > at) at = e.getValue();
        while (at < end) {
            Map.Entry<Integer, Integer> next = seen.ceilingEntry(at);
            int stop = next == null ? end : Math.min(end, next.getKey());
            if (stop > at) out.add(new int[] {at, stop});
            if (next == null || next.getValue() >= end) break;
            at = Math.max(at, next.getValue());
        }
        return out;
    }

    private static void cover(TreeMap<Integer, Integer> seen, int start, int end) {
        Map.Entry<Integer, Integer> before = seen.floorEntry(start);
        if (before != null && before.getValue() >= start) {
            start = before.getKey();
            end = Math.max(end, before.getValue());
        }
        Map.Entry<Integer, Integer> e;
        while ((e = seen.ceilingEntry(start)) != null && e.getKey() <= end) {
            end = Math.max(end, e.getValue());
            seen.remove(e.getKey());
        }
        seen.put(start, end);
    }

    @Override
    public String toString() {
        Ops o = ops();
        return "Update[" + o.insCount + " insert runs, " + o.delCount + " delete runs, " + formats.size() + " formatting ops, " + operationCount() + " ops]";
    }

    /**
     * Collects runs, joining a run onto the previous one when it continues it, and interning
     * replica ids. Package-private: documents and the codec build updates.
     */
    static final class Builder {
        private final ReplicaIndex agents = new ReplicaIndex();
        private final InsertRuns ins = new InsertRuns(4, true);
        private final DeleteRuns del = new DeleteRuns(4);
        private char[] text = new char[16];
        private int textLen;
        // Unknown text: (replica, seq, len) triples, sorted and joined in buildOps.
        private long[] unknown = NO_LONGS;
        private int unknownCount;

        int agent(long replica) {
            return agents.intern(replica);
        }

        /** {@link #addInsert(long, int, char[], int, int, long, int, boolean, long, int, boolean, long)} at time 0 (not known). */
        void addInsert(long replica, int seq, char[] src, int off, int len,
                       long leftReplica, int leftSeq, boolean leftNone,
                       long rightReplica, int rightSeq, boolean rightNone) {
            addInsert(replica, seq, src, off, len, leftReplica, leftSeq, leftNone, rightReplica, rightSeq, rightNone, 0);
        }

        /**
         * Adds characters {@code seq .. seq+len-1} of {@code replica}, whose text is
         * {@code src[off .. off+len)}, with the given origins ({@code leftNone}/{@code rightNone}
         * mean the document start/end), typed at {@code time} (seconds since the epoch).
         */
        void addInsert(long replica, int seq, char[] src, int off, int len,
                       long leftReplica, int leftSeq, boolean leftNone,
                       long rightReplica, int rightSeq, boolean rightNone, long time) {
            int a = agent(replica);
            long left = leftNone ? Ids.NONE : Ids.pack(agent(leftReplica), leftSeq);
            long right = rightNone ? Ids.NONE : Ids.pack(agent(rightReplica), rightSeq);
            addInsertPacked(a, seq, src, off, len, left, right, time);
        }

        /** Like {@link #addInsert} with ids already packed against this builder's agents. */
        void addInsertPacked(int a, int seq, char[] src, int off, int len, long left, long right, long time) {
            if (len <= 0) return;
            int last = ins.count - 1;
            if (last >= 0 && ins.continues(last, a, seq, left, right, time) && ins.textStart[last] + ins.len[last] == textLen) {
                ins.len[last] += len;
            } else {
                ins.add(a, seq, len, left, right, time, textLen);
            }
            if (textLen + len > text.length) text = Arrays.copyOf(text, Math.max(text.length * 2, textLen + len));
            System.arraycopy(src, off, text, textLen, len);
            textLen += len;
        }

        /** Says that the text of characters seq .. seq+len-1 of {@code replica} (added too) is unknown. */
        void addUnknown(long replica, int seq, int len) {
            if (len <= 0) return;
            if (unknownCount + 3 > unknown.length) unknown = Arrays.copyOf(unknown, Math.max(12, unknown.length * 2));
            unknown[unknownCount++] = replica;
            unknown[unknownCount++] = seq;
            unknown[unknownCount++] = len;
        }

        /** The unknown text of {@code u} among characters from .. to-1 of its agent {@code a}. */
        void addUnknownOf(Ops u, int a, int from, int to) {
            for (int k = 0; k < u.unkStart.length; k++) {
                long s = u.unkStart[k];
                if (Ids.agent(s) != a) continue;
                int lo = Math.max(from, Ids.seq(s));
                int hi = Math.min(to, Ids.seq(s) + u.unkLen[k]);
                if (lo < hi) addUnknown(u.agents[a], lo, hi - lo);
            }
        }

        /** {@link #addDelete(long, int, int, long, int, boolean, long)} at time 0 (not known). */
        void addDelete(long replica, int seq, int len, long targetReplica, int targetSeq, boolean backward) {
            addDelete(replica, seq, len, targetReplica, targetSeq, backward, 0);
        }

        void addDelete(long replica, int seq, int len, long targetReplica, int targetSeq, boolean backward, long time) {
            addDeletePacked(agent(replica), seq, len, Ids.pack(agent(targetReplica), targetSeq), backward, time);
        }

        void addDeletePacked(int a, int seq, int len, long target, boolean backward, long time) {
            if (len <= 0) return;
            if (del.count > 0 && del.extend(del.count - 1, a, seq, len, target, backward, time)) return;
            del.add(a, seq, len, target, backward, time);
        }

        Update build() {
            return new Update(buildOps());
        }

        Ops buildOps() {
            int n = ins.count;
            int d = del.count;
            // Unknown ranges: packed, sorted, overlapping or touching ones joined.
            int u = unknownCount / 3;
            long[][] ranges = new long[u][];
            for (int k = 0; k < u; k++) {
                long lo = Ids.pack(agent(unknown[3 * k]), (int) unknown[3 * k + 1]);
                ranges[k] = new long[] {lo, lo + unknown[3 * k + 2]};
            }
            Arrays.sort(ranges, (x, y) -> Long.compare(x[0], y[0]));
            long[] unkStart = new long[u];
            int[] unkLen = new int[u];
            int m = 0;
            for (long[] r : ranges) {
                if (m > 0 && Ids.agent(unkStart[m - 1]) == Ids.agent(r[0]) && unkStart[m - 1] + unkLen[m - 1] >= r[0]) {
                    unkLen[m - 1] = (int) Math.max(unkLen[m - 1], r[1] - unkStart[m - 1]);
                } else {
                    unkStart[m] = r[0];
                    unkLen[m++] = (int) (r[1] - r[0]);
                }
            }
            return new Ops(agents.toArray(), n, Arrays.copyOf(ins.agent, n),
                    Arrays.copyOf(ins.seq, n), Arrays.copyOf(ins.len, n), Arrays.copyOf(ins.left, n),
                    Arrays.copyOf(ins.right, n), Arrays.copyOf(ins.time, n), Arrays.copyOf(ins.textStart, n), Arrays.copyOf(text, textLen),
                    d, Arrays.copyOf(del.agent, d), Arrays.copyOf(del.seq, d),
                    Arrays.copyOf(del.len, d), Arrays.copyOf(del.target, d), Arrays.copyOf(del.backward, d),
                    Arrays.copyOf(del.time, d), Arrays.copyOf(unkStart, m), Arrays.copyOf(unkLen, m));
        }
    }
}
