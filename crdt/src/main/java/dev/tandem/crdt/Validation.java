package dev.tandem.crdt;

import java.util.Arrays;

/**
 * The checks a received update passes before anything changes: it may not give known
 * characters another text, nor split a surrogate pair (with this document's characters or
 * its own). What {@link HeldRuns} checks (refused replicas, room) comes after.
 */
final class Validation {
    private Validation() {}

    /** Rejects, before anything changes, an update that would split a pair or rewrite text. */
    static void validate(Doc doc, Update.Ops u, int[] map) {
        boolean surrogates = doc.hasAstral || u.surrogates;
        // The update's runs by (agent, seq), to find its characters without a scan per lookup.
        Integer[] byId = null;
        if (surrogates) {
            byId = new Integer[u.insCount];
            for (int i = 0; i < byId.length; i++) byId[i] = i;
            Arrays.sort(byId, (x, y) -> u.insAgent[x] != u.insAgent[y] ? Integer.compare(u.insAgent[x], u.insAgent[y]) : Integer.compare(u.insSeq[x], u.insSeq[y]));
        }
        for (int i = 0; i < u.insCount; i++) {
            Agent a = doc.agents[map[u.insAgent[i]]];
            int seq = u.insSeq[i];
            int known = Math.max(0, Math.min(a.insClock - seq, u.insLen[i]));
            for (int k = 0; k < known; k++) {
                char mine = a.text[seq + k];
                char theirs = u.text[u.insTextStart[i] + k];
                boolean mineUnknown = a.unknown != null && a.unknown(seq + k);
                boolean theirsUnknown = u.unkStart.length > 0 && u.unknown(Ids.pack(u.insAgent[i], seq + k));
                if (mine == theirs && !mineUnknown && !theirsUnknown) continue;
                // Either side may not know the text of a deleted character (checkUnknown checks
                // the update's side is deleted); an unknown one here is deleted.
                if (mineUnknown || theirsUnknown) continue;
                throw new CrdtFormatException("update gives characters " + Long.toHexString(a.replica) + ":" + seq + " a different text than they have");
            }
            if (known < u.insLen[i] && doc.held.conflicts(a, seq + known, u.text, u.insTextStart[i] + known, u.insLen[i] - known, u, u.insAgent[i])) {
                throw new CrdtFormatException("update gives characters " + Long.toHexString(a.replica) + ":" + seq + " a different text than held ones have");
            }
            if (surrogates) {
                if (charIs(doc, u, map, byId, u.insLeft[i], true)) throw new CrdtFormatException("insert run " + i + " would split a surrogate pair (left origin)");
                if (charIs(doc, u, map, byId, u.insRight[i], false)) throw new CrdtFormatException("insert run " + i + " would split a surrogate pair (right origin)");
            }
        }
        if (surrogates) {
            for (int i = 0; i < u.delCount; i++) {
                long lo = Ids.lowestDeleted(u.delTarget[i], u.delLen[i], u.delBackward[i]);
                long hi = lo + u.delLen[i] - 1;
                if (charIs(doc, u, map, byId, lo, false) || charIs(doc, u, map, byId, hi, true)) throw new CrdtFormatException("delete run " + i + " would split a surrogate pair");
            }
        }
    }

    /**
     * Unknown text in an update (FORMAT.md, "Unknown text"): only on characters that are deleted
     * here or by the update itself, and only in runs that apply at once (held runs keep no
     * unknown ranges), simulating the document's clocks in the update's order as
     * {@link Doc#apply} goes.
     */
    static void checkUnknown(Doc doc, Update.Ops u, int[] map) {
        if (u.unkStart.length == 0) return;
        long[][] deleted = deletedRanges(u);
        for (int k = 0; k < u.unkStart.length; k++) {
            Agent a = doc.agents[map[Ids.agent(u.unkStart[k])]];
            for (int off = 0; off < u.unkLen[k]; off++) {
                long id = u.unkStart[k] + off;
                if (contains(deleted, id)) continue;
                if (Ids.seq(id) < a.insClock && deletedHere(doc, Ids.pack(a.index, Ids.seq(id)))) continue;
                throw new CrdtFormatException("update says the text of " + Long.toHexString(a.replica) + ":" + Ids.seq(id) + " is unknown, but that character is not deleted");
            }
        }
        int[] ins = new int[u.agents.length];
        for (int i = 0; i < ins.length; i++) ins[i] = doc.agents[map[i]].insClock;
        for (int i = 0; i < u.insCount; i++) {
            int a = u.insAgent[i];
            int seq = u.insSeq[i];
            int end = seq + u.insLen[i];
            if (end <= ins[a]) continue;
            int from = Math.max(seq, ins[a]);
            if (seq <= ins[a] && knownIn(ins, Ids.tailLeft(u.insLeft[i], a, seq, from)) && knownIn(ins, u.insRight[i])) {
                ins[a] = end;
                continue;
            }
            for (int s = from; s < end; s++) {
                if (u.unknown(Ids.pack(a, s))) {
                    throw new CrdtFormatException("insert run " + i + " has unknown text but cannot apply yet: unknown text must arrive with its causes");
                }
            }
        }
    }

    private static boolean knownIn(int[] clocks, long id) {
        return id == Ids.NONE || Ids.seq(id) < clocks[Ids.agent(id)];
    }

    private static boolean deletedHere(Doc doc, long id) {
        doc.integration.locate(id);
        return doc.tree.atLeaf.lens[doc.tree.atIdx] < 0;
    }

    /**
     * The characters an update deletes, ids packed for the update: ranges sorted by first id,
     * as {first ids, running maximum of last ids}. Ids of a lower agent index are all smaller,
     * so one running maximum serves every agent.
     */
    private static long[][] deletedRanges(Update.Ops u) {
        long[][] ranges = new long[u.delCount][];
        for (int i = 0; i < u.delCount; i++) {
            long lo = Ids.lowestDeleted(u.delTarget[i], u.delLen[i], u.delBackward[i]);
            ranges[i] = new long[] {lo, lo + u.delLen[i] - 1};
        }
        Arrays.sort(ranges, (x, y) -> Long.compare(x[0], y[0]));
        long[] first = new long[ranges.length];
        long[] lastMax = new long[ranges.length];
        for (int i = 0; i < ranges.length; i++) {
            first[i] = ranges[i][0];
            lastMax[i] = Math.max(ranges[i][1], i > 0 ? lastMax[i - 1] : Long.MIN_VALUE);
        }
        return new long[][] {first, lastMax};
    }

    private static boolean contains(long[][] ranges, long id) {
        int k = Arrays.binarySearch(ranges[0], id);
        if (k < 0) k = -k - 2; // the last range starting before id
        return k >= 0 && ranges[1][k] >= id;
    }

    /**
     * Whether the character {@code id} (packed for the update) is a high surrogate
     * ({@code high}) or a low one, looking in this document and then in the update. Unknown
     * characters answer false: they are checked when they arrive.
     */
    private static boolean charIs(Doc doc, Update.Ops u, int[] map, Integer[] byId, long id, boolean high) {
        if (id == Ids.NONE) return false;
        Agent a = doc.agents[map[Ids.agent(id)]];
        int agent = Ids.agent(id);
        int seq = Ids.seq(id);
        char c;
        if (seq < a.insClock) {
            c = a.text[seq];
        } else {
            // The last run (by agent, seq) starting at or before the character, then back
            // over earlier ones of the agent in case runs overlap (a resend merged in).
            int lo = 0;
            int hi = byId.length - 1;
            while (lo <= hi) {
                int mid = (lo + hi) >>> 1;
                int r = byId[mid];
                if (u.insAgent[r] < agent || (u.insAgent[r] == agent && u.insSeq[r] <= seq)) lo = mid + 1;
                else hi = mid - 1;
            }
            int run = -1;
            for (int k = hi; k >= 0 && u.insAgent[byId[k]] == agent; k--) {
                int r = byId[k];
                if (seq < u.insSeq[r] + u.insLen[r]) {
                    run = r;
                    break;
                }
            }
            if (run < 0) return false;
            c = u.text[u.insTextStart[run] + seq - u.insSeq[run]];
        }
        return high ? Character.isHighSurrogate(c) : Character.isLowSurrogate(c);
    }
}
