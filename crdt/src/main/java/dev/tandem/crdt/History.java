package dev.tandem.crdt;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.Comparator;
import java.util.List;

/**
 * The past of a document, read off its present: every character and tombstone is still in the
 * sequence, with its id, and every deletion in the run log. A character is visible at version
 * v when v holds its insertion and none of its deletions, so the text at v is the current
 * sequence filtered, in one pass; nothing is replayed.
 */
final class History {
    private History() {}

    /** What stands for a character whose text is not known (upgraded from format v1). */
    static final char UNKNOWN_SHOWN = '\uFFFD';

    /**
     * The document as seen at version {@code v}: per agent index, how many of its characters
     * ({@code ins}) and deletions ({@code del}) v holds, and which characters those deletions
     * delete. A character is visible at v when v holds its insertion and none of its deletions.
     */
    private static final class At {
        final int[] ins;
        final int[] del;
        /** Per agent index (null: none), its characters deleted at v. */
        final BitSet[] deleted;

        At(Doc doc, Version v) {
            if (!doc.version().covers(v)) throw new IllegalArgumentException("this document has not seen version " + v);
            int n = doc.agentCount();
            ins = new int[n];
            del = new int[n];
            for (int i = 0; i < n; i++) {
                ins[i] = v.inserts(doc.agents[i].replica);
                del[i] = v.deletes(doc.agents[i].replica);
            }
            deleted = deletedBy(doc, del);
        }

        boolean visible(int agent, int seq) {
            return seq < ins[agent] && (deleted[agent] == null || !deleted[agent].get(seq));
        }
    }

    /**
     * Per agent index (null: none), which of its characters the deletions {@code haveDel} holds
     * delete: deletion seqs below {@code haveDel[deleter]}. Concurrent deletions of one
     * character simply mark it twice.
     */
    private static BitSet[] deletedBy(Doc doc, int[] haveDel) {
        DeleteRuns del = doc.log.del;
        BitSet[] out = new BitSet[doc.agentCount()];
        for (int r = 0; r < del.count; r++) {
            int in = Math.min(del.len[r], haveDel[del.agent[r]] - del.seq[r]);
            if (in <= 0) continue;
            long lo = Ids.lowestDeleted(del.target[r], in, del.backward[r]);
            int ta = Ids.agent(lo);
            if (out[ta] == null) out[ta] = new BitSet(doc.agents[ta].insClock);
            out[ta].set(Ids.seq(lo), Ids.seq(lo) + in);
        }
        return out;
    }

    private static char charOf(Agent a, int seq) {
        return a.unknown != null && a.unknown(seq) ? UNKNOWN_SHOWN : a.text[seq];
    }

    static String textAt(Doc doc, Version v) {
        At at = new At(doc, v);
        int[] haveIns = at.ins;
        BitSet[] deleted = at.deleted;
        StringBuilder out = new StringBuilder(doc.tree.visibleLength());
        for (SpanTree.Leaf leaf = doc.tree.first; leaf != null; leaf = leaf.next) {
            for (int i = 0; i < leaf.count; i++) {
                long id = leaf.ids[i];
                int agent = Ids.agent(id);
                Agent a = doc.agents[agent];
                int seq = Ids.seq(id);
                int end = Math.min(seq + Math.abs(leaf.lens[i]), haveIns[agent]);
                if (seq >= end) continue;
                BitSet gone = deleted[agent];
                // Runs of visible characters between the deleted ones.
                for (int s = seq; s < end; ) {
                    if (gone != null) {
                        int next = gone.nextClearBit(s);
                        if (next >= end) break;
                        s = next;
                    }
                    int stop = gone == null ? end : Math.min(end, nextSet(gone, s));
                    if (a.unknown == null) {
                        out.append(a.text, s, stop - s);
                    } else {
                        for (int k = s; k < stop; k++) out.append(charOf(a, k));
                    }
                    s = stop;
                }
            }
        }
        return out.toString();
    }

    /**
     * The formatted runs of the whole text at {@code v}: the characters visible then, with the
     * marks that covered them then (only formatting operations {@code v} holds). One pass over
     * the sequence and the marks' ends, sorted; nothing is replayed.
     */
    static List<Doc.TextRun> runsAt(Doc doc, Version v) {
        At at = new At(doc, v);
        Formatting f = doc.formatting;
        // The ends of the marks v holds, as (key, op << 1 | start) pairs sorted by key.
        List<long[]> ends = new ArrayList<>();
        for (int k = 0; k < f.ops.size(); k++) {
            FormatOp op = f.ops.get(k);
            if (op.isParagraph() || op.seq() >= v.deletes(op.replica())) continue;
            long ks = f.key(f.startOf(k), op.startAfter(), true);
            long ke = f.key(f.endOf(k), op.endAfter(), false);
            if (ks >= ke) continue;
            ends.add(new long[] {ks, (long) k << 1 | 1});
            ends.add(new long[] {ke, (long) k << 1});
        }
        ends.sort(Comparator.comparingLong(e -> e[0]));
        List<Doc.TextRun> out = new ArrayList<>();
        List<Integer> active = new ArrayList<>();
        java.util.Map<String, String> marks = java.util.Map.of();
        StringBuilder run = new StringBuilder();
        java.util.Map<String, String> runMarks = null;
        int next = 0;
        long t = 0; // index in the sequence, tombstones included
        for (SpanTree.Leaf leaf = doc.tree.first; leaf != null; leaf = leaf.next) {
            for (int i = 0; i < leaf.count; i++) {
                long id = leaf.ids[i];
                int agent = Ids.agent(id);
                Agent a = doc.agents[agent];
                int seq = Ids.seq(id);
                int n = Math.abs(leaf.lens[i]);
                for (int s = seq; s < seq + n; s++, t++) {
                    long charKey = 4 * t + 1;
                    boolean changed = false;
                    while (next < ends.size() && ends.get(next)[0] < charKey) {
                        long e = ends.get(next++)[1];
                        Integer op = (int) (e >>> 1);
                        if ((e & 1) != 0) active.add(op);
                        else active.remove(op);
                        changed = true;
                    }
                    if (changed) marks = f.resolve(active);
                    if (!at.visible(agent, s)) continue;
                    if (runMarks != null && !runMarks.equals(marks)) {
                        out.add(new Doc.TextRun(run.toString(), runMarks));
                        run.setLength(0);
                    }
                    runMarks = marks;
                    run.append(charOf(a, s));
                }
            }
        }
        if (run.length() > 0) out.add(new Doc.TextRun(run.toString(), runMarks));
        return out;
    }

    /** The attributes of each paragraph of the text at {@code v}, first to last. */
    static List<java.util.Map<String, String>> paragraphsAt(Doc doc, Version v) {
        At at = new At(doc, v);
        Formatting f = doc.formatting;
        // Per line break (packed; Ids.NONE: the last paragraph), per key, the winning write v holds.
        java.util.HashMap<Long, java.util.HashMap<String, FormatOp>> winners = new java.util.HashMap<>();
        for (int k = 0; k < f.ops.size(); k++) {
            FormatOp op = f.ops.get(k);
            if (!op.isParagraph() || op.seq() >= v.deletes(op.replica())) continue;
            java.util.HashMap<String, FormatOp> attrs = winners.computeIfAbsent(f.startOf(k), x -> new java.util.HashMap<>());
            FormatOp w = attrs.get(op.key());
            if (w == null || op.beats(w)) attrs.put(op.key(), op);
        }
        List<java.util.Map<String, String>> out = new ArrayList<>();
        for (SpanTree.Leaf leaf = doc.tree.first; leaf != null; leaf = leaf.next) {
            for (int i = 0; i < leaf.count; i++) {
                long id = leaf.ids[i];
                int agent = Ids.agent(id);
                Agent a = doc.agents[agent];
                int seq = Ids.seq(id);
                for (int s = seq, end = seq + Math.abs(leaf.lens[i]); s < end; s++) {
                    if (a.text[s] == '\n' && at.visible(agent, s) && (a.unknown == null || !a.unknown(s))) {
                        out.add(attributes(winners.get(Ids.pack(agent, s))));
                    }
                }
            }
        }
        out.add(attributes(winners.get(Ids.NONE)));
        return out;
    }

    private static java.util.Map<String, String> attributes(java.util.HashMap<String, FormatOp> writes) {
        if (writes == null) return java.util.Map.of();
        java.util.TreeMap<String, String> out = new java.util.TreeMap<>();
        for (FormatOp w : writes.values()) if (w.value() != null) out.put(w.key(), w.value());
        return out.isEmpty() ? java.util.Map.of() : out;
    }

    private static int nextSet(BitSet b, int from) {
        int n = b.nextSetBit(from);
        return n < 0 ? Integer.MAX_VALUE : n;
    }

    static List<Diff> diff(Doc doc, Version from, Version to) {
        At later = new At(doc, to);
        if (!to.covers(from)) throw new IllegalArgumentException("version " + to + " does not follow " + from);
        At earlier = new At(doc, from);
        int[][] deleter = deleters(doc, earlier.del, later.del);
        List<Diff> out = new ArrayList<>();
        StringBuilder run = new StringBuilder();
        Diff.Kind runKind = null;
        long runReplica = 0;
        int runIndex = 0;
        int index = 0; // in the later text
        for (SpanTree.Leaf leaf = doc.tree.first; leaf != null; leaf = leaf.next) {
            for (int i = 0; i < leaf.count; i++) {
                long id = leaf.ids[i];
                int agent = Ids.agent(id);
                Agent a = doc.agents[agent];
                int seq = Ids.seq(id);
                int end = seq + Math.abs(leaf.lens[i]);
                for (int s = seq; s < end; s++) {
                    boolean before = earlier.visible(agent, s);
                    boolean after = later.visible(agent, s);
                    Diff.Kind kind = null;
                    long replica = 0;
                    if (after && !before) {
                        kind = Diff.Kind.INSERTED;
                        replica = a.replica;
                    } else if (before && !after) {
                        kind = Diff.Kind.DELETED;
                        // By a deletion "to" holds and "from" does not (there is one, since
                        // the character was visible at "from").
                        int by = deleter[agent] == null ? 0 : deleter[agent][s];
                        replica = by == 0 ? 0 : doc.agents[by - 1].replica;
                    }
                    boolean extends_ = kind != null && kind == runKind && replica == runReplica
                            && (kind == Diff.Kind.DELETED ? runIndex == index : runIndex + run.length() == index);
                    if (!extends_ && runKind != null) {
                        out.add(new Diff(runKind, runIndex, run.toString(), runReplica));
                        run.setLength(0);
                        runKind = null;
                    }
                    if (kind != null) {
                        if (runKind == null) {
                            runKind = kind;
                            runReplica = replica;
                            runIndex = index;
                        }
                        run.append(charOf(a, s));
                    }
                    if (after) index++;
                }
            }
        }
        if (runKind != null) out.add(new Diff(runKind, runIndex, run.toString(), runReplica));
        return out;
    }

    /**
     * Per agent index (null: none), for each character deleted by a deletion that {@code haveTo}
     * holds and {@code haveFrom} does not: 1 + the agent index of the first such deletion's replica.
     */
    private static int[][] deleters(Doc doc, int[] haveFrom, int[] haveTo) {
        DeleteRuns del = doc.log.del;
        int[][] out = new int[doc.agentCount()][];
        for (int r = 0; r < del.count; r++) {
            int da = del.agent[r];
            int lo = Math.max(0, haveFrom[da] - del.seq[r]);
            int hi = Math.min(del.len[r], haveTo[da] - del.seq[r]);
            for (int k = lo; k < hi; k++) {
                long target = Ids.tailTarget(del.target[r], del.backward[r], k);
                int ta = Ids.agent(target);
                if (out[ta] == null) out[ta] = new int[doc.agents[ta].insClock];
                if (out[ta][Ids.seq(target)] == 0) out[ta][Ids.seq(target)] = da + 1;
            }
        }
        return out;
    }

    /** One run of the log as a history event. */
    private record Event(long time, boolean insert, int seqEnd, int len) {}

    static List<EditSession> sessions(Doc doc, Duration gap) {
        if (gap.isNegative()) throw new IllegalArgumentException("gap was " + gap);
        long gapSeconds = gap.getSeconds();
        int n = doc.agentCount();
        InsertRuns ins = doc.log.ins;
        DeleteRuns del = doc.log.del;
        // Per agent, in seq order (the order it made them): the running maximum of run times
        // and the seq each run ends at, to find "everything made by time t" by binary search.
        long[][] insMaxTime = new long[n][];
        int[][] insEnd = new int[n][];
        long[][] delMaxTime = new long[n][];
        int[][] delEnd = new int[n][];
        int[][] delStart = new int[n][];
        for (int a = 0; a < n; a++) {
            Agent ag = doc.agents[a];
            insMaxTime[a] = new long[ag.runCount];
            insEnd[a] = new int[ag.runCount];
            long max = Long.MIN_VALUE;
            for (int k = 0; k < ag.runCount; k++) {
                int r = ag.runs[k];
                max = Math.max(max, ins.time[r]);
                insMaxTime[a][k] = max;
                insEnd[a][k] = ins.seq[r] + ins.len[r];
            }
            delMaxTime[a] = new long[ag.delCount];
            delEnd[a] = new int[ag.delCount];
            delStart[a] = new int[ag.delCount];
            max = Long.MIN_VALUE;
            for (int k = 0; k < ag.delCount; k++) {
                int r = ag.dels[k];
                max = Math.max(max, del.time[r]);
                delMaxTime[a][k] = max;
                delStart[a][k] = del.seq[r];
                delEnd[a][k] = del.seq[r] + del.len[r];
            }
        }
        List<EditSession> out = new ArrayList<>();
        long[] replicas = new long[n];
        for (int a = 0; a < n; a++) replicas[a] = doc.agents[a].replica;
        for (int a = 0; a < n; a++) {
            Agent ag = doc.agents[a];
            List<Event> events = new ArrayList<>(ag.runCount + ag.delCount);
            for (int k = 0; k < ag.runCount; k++) {
                int r = ag.runs[k];
                events.add(new Event(ins.time[r], true, ins.seq[r] + ins.len[r], ins.len[r]));
            }
            for (int k = 0; k < ag.delCount; k++) {
                int r = ag.dels[k];
                events.add(new Event(del.time[r], false, del.seq[r] + del.len[r], del.len[r]));
            }
            if (events.isEmpty()) continue;
            events.sort(Comparator.comparingLong(Event::time)); // stable: seq order within a second
            int i = 0;
            while (i < events.size()) {
                long start = events.get(i).time();
                long end = start;
                long inserted = 0;
                long deleted = 0;
                int ownIns = 0;
                int ownDel = 0;
                int j = i;
                while (j < events.size() && events.get(j).time() - end <= gapSeconds) {
                    Event e = events.get(j);
                    end = e.time();
                    if (e.insert()) {
                        inserted += e.len();
                        ownIns = Math.max(ownIns, e.seqEnd());
                    } else {
                        deleted += e.len();
                        ownDel = Math.max(ownDel, e.seqEnd());
                    }
                    j++;
                }
                int[] vi = new int[n];
                int[] vd = new int[n];
                for (int b = 0; b < n; b++) {
                    vi[b] = prefixBy(insMaxTime[b], insEnd[b], end);
                    int dels = runsBy(delMaxTime[b], end);
                    // Formatting operations share the deletions' numbering but carry no time:
                    // those after a replica's last deletion by then, up to its next one, count
                    // as made by then (a replica that had not edited yet has made none).
                    boolean edited = vi[b] > 0 || dels > 0 || b == a;
                    vd[b] = !edited ? 0 : dels < delStart[b].length ? delStart[b][dels] : doc.agents[b].delClock;
                }
                vi[a] = Math.max(vi[a], ownIns);
                vd[a] = Math.max(vd[a], ownDel);
                out.add(new EditSession(ag.replica, Instant.ofEpochSecond(start), Instant.ofEpochSecond(end), inserted, deleted,
                        Version.of(replicas, vi, vd, n)));
                i = j;
            }
        }
        out.sort(Comparator.comparing(EditSession::end).thenComparing(EditSession::start).reversed()
                .thenComparing(s -> Long.toUnsignedString(s.replica())));
        return out;
    }

    /** How many runs the longest prefix of runs whose times are all at or before {@code time} has. */
    private static int runsBy(long[] maxTime, long time) {
        int lo = 0;
        int hi = maxTime.length;
        while (lo < hi) {
            int mid = (lo + hi + 1) >>> 1;
            if (maxTime[mid - 1] <= time) lo = mid;
            else hi = mid - 1;
        }
        return lo;
    }

    /** The seq end of the longest prefix of runs whose times are all at or before {@code time}. */
    private static int prefixBy(long[] maxTime, int[] end, long time) {
        int lo = 0;
        int hi = maxTime.length; // count of runs in the prefix
        while (lo < hi) {
            int mid = (lo + hi + 1) >>> 1;
            if (maxTime[mid - 1] <= time) lo = mid;
            else hi = mid - 1;
        }
        return lo == 0 ? 0 : end[lo - 1];
    }
}
