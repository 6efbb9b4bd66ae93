package dev.tandem.crdt;

import java.util.Arrays;

/**
 * A document's history: its insert runs and delete runs in the order they arrived here (a causal
 * order), ids packed with the document's agent indexes. Answers the origins of any character
 * (what integration needs) and lists what a replica at some version lacks ({@link #opsSince}).
 */
final class RunLog {
    private final Doc doc;
    final InsertRuns ins = new InsertRuns(16, false);
    final DeleteRuns del = new DeleteRuns(8);
    // The run runOf found last: lookups come in streaks.
    private int lastRun;

    RunLog(Doc doc) {
        this.doc = doc;
    }

    /** Logs characters seq..seq+len-1 of {@code a}, growing its last run when they continue it. */
    void logInsert(Agent a, int seq, int len, long left, long right, long time) {
        if (a.runCount > 0) {
            int r = a.runs[a.runCount - 1];
            if (ins.continues(r, a.index, seq, left, right, time)) {
                ins.len[r] += len;
                return;
            }
        }
        a.addRun(ins.add(a.index, seq, len, left, right, time, 0));
    }

    /** Logs deletions seq..seq+len-1 of {@code a}, growing its last run when they continue it. */
    void logDelete(Agent a, int seq, int len, long target, boolean backward, long time) {
        if (a.delCount > 0 && del.extend(a.dels[a.delCount - 1], a.index, seq, len, target, backward, time)) return;
        a.addDel(del.add(a.index, seq, len, target, backward, time));
    }

    /** The run that holds character {@code id}. */
    int runOf(long id) {
        int agent = Ids.agent(id);
        int seq = Ids.seq(id);
        int last = lastRun;
        if (last < ins.count && ins.agent[last] == agent && seq >= ins.seq[last] && seq < ins.seq[last] + ins.len[last]) return last;
        Agent a = doc.agents[agent];
        int lo = 0;
        int hi = a.runCount - 1;
        while (lo < hi) {
            int mid = (lo + hi + 1) >>> 1;
            if (ins.seq[a.runs[mid]] <= seq) lo = mid;
            else hi = mid - 1;
        }
        lastRun = last = a.runs[lo];
        return last;
    }

    long originLeft(long id) {
        int r = runOf(id);
        return Ids.seq(id) == ins.seq[r] ? ins.left[r] : id - 1;
    }

    long originRight(long id) {
        return ins.right[runOf(id)];
    }

    /**
     * The operations a replica at {@code version} lacks, as arrays, in log order (a causal
     * order). Fills {@code agentMap} with each agent's index in the result's agent table (-1:
     * not in it).
     */
    Update.Ops opsSince(Version version, int[] agentMap) {
        Agent[] agents = doc.agents;
        int agentCount = doc.agentCount();
        int[] haveIns = new int[agentCount];
        int[] haveDel = new int[agentCount];
        if (!version.isEmpty()) {
            for (int i = 0; i < agentCount; i++) {
                haveIns[i] = version.inserts(agents[i].replica);
                haveDel[i] = version.deletes(agents[i].replica);
            }
        }
        // Pass 1: sizes, and which agents the result names.
        boolean[] used = new boolean[agentCount];
        int insN = 0;
        int chars = 0;
        for (int r = 0; r < ins.count; r++) {
            int a = ins.agent[r];
            int from = Math.max(ins.seq[r], haveIns[a]);
            int end = ins.seq[r] + ins.len[r];
            if (from >= end) continue;
            insN++;
            chars += end - from;
            used[a] = true;
            if (from == ins.seq[r] && ins.left[r] != Ids.NONE) used[Ids.agent(ins.left[r])] = true;
            if (ins.right[r] != Ids.NONE) used[Ids.agent(ins.right[r])] = true;
        }
        int delN = 0;
        for (int r = 0; r < del.count; r++) {
            int a = del.agent[r];
            if (Math.max(del.seq[r], haveDel[a]) >= del.seq[r] + del.len[r]) continue;
            delN++;
            used[a] = true;
            used[Ids.agent(del.target[r])] = true;
        }
        int n = 0;
        long[] table = new long[agentCount];
        for (int i = 0; i < agentCount; i++) {
            if (used[i]) {
                agentMap[i] = n;
                table[n++] = agents[i].replica;
            } else {
                agentMap[i] = -1;
            }
        }
        // Pass 2: fill.
        int[] insAgent = new int[insN];
        int[] insSeq = new int[insN];
        int[] insLen = new int[insN];
        long[] insLeft = new long[insN];
        long[] insRight = new long[insN];
        long[] insTime = new long[insN];
        int[] insTextStart = new int[insN];
        char[] text = new char[chars];
        long[] unkStart = new long[0];
        int[] unkLen = new int[0];
        int unk = 0;
        int i = 0;
        int t = 0;
        for (int r = 0; r < ins.count; r++) {
            int a = ins.agent[r];
            int seq = ins.seq[r];
            int from = Math.max(seq, haveIns[a]);
            int end = seq + ins.len[r];
            if (from >= end) continue;
            insAgent[i] = agentMap[a];
            insSeq[i] = from;
            insLen[i] = end - from;
            insLeft[i] = Doc.remap(Ids.tailLeft(ins.left[r], a, seq, from), agentMap);
            insRight[i] = Doc.remap(ins.right[r], agentMap);
            insTime[i] = ins.time[r];
            insTextStart[i] = t;
            System.arraycopy(agents[a].text, from, text, t, end - from);
            if (agents[a].unknown != null) {
                Integer first = agents[a].unknown.floorKey(from);
                for (var e : agents[a].unknown.subMap(first == null ? from : first, true, end, false).entrySet()) {
                    int lo = Math.max(from, e.getKey());
                    int hi = Math.min(end, e.getValue());
                    if (lo >= hi) continue;
                    if (unk == unkStart.length) {
                        unkStart = Arrays.copyOf(unkStart, unk * 2 + 4);
                        unkLen = Arrays.copyOf(unkLen, unk * 2 + 4);
                    }
                    unkStart[unk] = Ids.pack(agentMap[a], lo);
                    unkLen[unk++] = hi - lo;
                }
            }
            t += end - from;
            i++;
        }
        int[] dAgent = new int[delN];
        int[] dSeq = new int[delN];
        int[] dLen = new int[delN];
        long[] dTarget = new long[delN];
        boolean[] dBackward = new boolean[delN];
        long[] dTime = new long[delN];
        i = 0;
        for (int r = 0; r < del.count; r++) {
            int a = del.agent[r];
            int seq = del.seq[r];
            int from = Math.max(seq, haveDel[a]);
            int end = seq + del.len[r];
            if (from >= end) continue;
            dAgent[i] = agentMap[a];
            dSeq[i] = from;
            dLen[i] = end - from;
            dTarget[i] = Doc.remap(Ids.tailTarget(del.target[r], del.backward[r], from - seq), agentMap);
            dBackward[i] = del.backward[r] && end - from > 1;
            dTime[i] = del.time[r];
            i++;
        }
        // Runs are in log order, not id order: sort the unknown ranges (rare: v1 upgrades only).
        long[][] ranges = new long[unk][];
        for (int k = 0; k < unk; k++) ranges[k] = new long[] {unkStart[k], unkLen[k]};
        Arrays.sort(ranges, (x, y) -> Long.compare(x[0], y[0]));
        unkStart = new long[unk];
        unkLen = new int[unk];
        for (int k = 0; k < unk; k++) {
            unkStart[k] = ranges[k][0];
            unkLen[k] = (int) ranges[k][1];
        }
        return new Update.Ops(Arrays.copyOf(table, n), insN, insAgent, insSeq, insLen, insLeft, insRight, insTime, insTextStart,
                text, delN, dAgent, dSeq, dLen, dTarget, dBackward, dTime, unkStart, unkLen);
    }
}
