package dev.tandem.crdt;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The formatting of a document (Peritext semantics): marks anchored to character ids, each end on
 * the before or after side of a character, and paragraph attributes on line breaks. Owned by the
 * document's thread, like the document.
 *
 * <p>Marks are found through an index of their ends ("events") kept in sequence order. The order
 * of characters already in the sequence never changes (new ones only go between them), so the
 * index, once sorted, stays sorted: only a new mark needs its place found, with O(log m)
 * position lookups. Reading the runs of a range replays the events before it without looking up
 * any position (O(m) array steps) and looks up positions only for the events inside it.
 */
final class Formatting {
    /** Formatting operations held at most while their causes have not arrived. */
    static final int MAX_PENDING = 10_000;

    private final Doc doc;
    /** Applied operations, in the order they were applied here (a causal order). */
    final ArrayList<FormatOp> ops = new ArrayList<>();
    // Per applied operation: its anchors, packed for the document (Ids.NONE: a document edge).
    private long[] startId = new long[16];
    private long[] endId = new long[16];
    /** The highest Lamport time seen. */
    long lamport;
    // Mark ends in sequence order, each (op index << 1) | 1 for a start, << 1 for an end.
    private int[] events = new int[32];
    private int eventCount;
    // Paragraph attributes: line break (packed; Ids.NONE: the last paragraph) -> key -> winning write.
    private final HashMap<Long, HashMap<String, FormatOp>> paragraphs = new HashMap<>();
    // Characters holding a mark end on their before side, with how many: text typed in a gap of
    // tombstones goes before the first of these (see Doc.insert).
    private final HashMap<Long, Integer> beforeAnchors = new HashMap<>();
    /** Received operations whose causes have not arrived, in arrival order. */
    final ArrayList<FormatOp> pending = new ArrayList<>();
    /** Grows whenever {@code pending} changes. */
    long pendingChanges;

    Formatting(Doc doc) {
        this.doc = doc;
    }

    boolean isEmpty() {
        return ops.isEmpty();
    }

    boolean hasBeforeAnchors() {
        return !beforeAnchors.isEmpty();
    }

    boolean isBeforeAnchor(long id) {
        return beforeAnchors.containsKey(id);
    }

    // ---------------------------------------------------------------- applying

    /** Whether {@code op}'s characters are here (edges always are). */
    private boolean anchorsKnown(FormatOp op) {
        return known(op.startReplica(), op.startSeq()) && known(op.endReplica(), op.endSeq());
    }

    private boolean known(long replica, int seq) {
        return seq == -1 || doc.has(replica, seq);
    }

    /** Applies {@code op} if its causes are here, holds it if not; does nothing if it is here. */
    void offer(FormatOp op, ChangeList changes) {
        Agent a = doc.agent(op.replica());
        if (op.seq() < a.delClock) return;
        if (op.seq() > a.delClock || !anchorsKnown(op)) {
            for (FormatOp p : pending) if (p.replica() == op.replica() && p.seq() == op.seq()) return;
            pending.add(op);
            pendingChanges++;
            return;
        }
        integrate(a, op, changes);
    }

    /** Applies held operations whose causes arrived; true if any did. */
    boolean retryPending(ChangeList changes) {
        boolean any = false;
        boolean progress = true;
        while (progress && !pending.isEmpty()) {
            progress = false;
            for (int i = 0; i < pending.size(); i++) {
                FormatOp op = pending.get(i);
                Agent a = doc.agent(op.replica());
                if (op.seq() < a.delClock) {
                    pending.remove(i--);
                    pendingChanges++;
                    continue;
                }
                if (op.seq() == a.delClock && anchorsKnown(op)) {
                    pending.remove(i--);
                    pendingChanges++;
                    integrate(a, op, changes);
                    progress = true;
                    any = true;
                }
            }
        }
        return any;
    }

    /** Applies {@code op}, whose causes are here, as operation {@code op.seq()} of {@code a}. */
    void integrate(Agent a, FormatOp op, ChangeList changes) {
        // Only a document being loaded applies operations out of their replica's order (its
        // deletions are in already); elsewhere op.seq() == a.delClock.
        a.delClock = Math.max(a.delClock, op.seq() + 1);
        doc.held.advanced(a);
        if (op.lamport() > lamport) lamport = op.lamport();
        int index = ops.size();
        ops.add(op);
        if (index == startId.length) {
            startId = Arrays.copyOf(startId, index * 2);
            endId = Arrays.copyOf(endId, index * 2);
        }
        long start = pack(op.startReplica(), op.startSeq());
        long end = pack(op.endReplica(), op.endSeq());
        startId[index] = start;
        endId[index] = end;
        if (op.isParagraph()) {
            HashMap<String, FormatOp> attrs = paragraphs.computeIfAbsent(start, k -> new HashMap<>());
            FormatOp current = attrs.get(op.key());
            if (current == null || op.beats(current)) {
                attrs.put(op.key(), op);
                if (changes != null) restyleParagraph(start, changes);
            }
            return;
        }
        long ks = key(start, op.startAfter(), true);
        long ke = key(end, op.endAfter(), false);
        if (ks >= ke) return; // covers no character (only a forged operation can): no effect
        addEvent(index << 1 | 1, ks);
        addEvent(index << 1, ke);
        if (start != Ids.NONE && !op.startAfter()) beforeAnchors.merge(start, 1, Integer::sum);
        if (end != Ids.NONE && !op.endAfter()) beforeAnchors.merge(end, 1, Integer::sum);
        if (changes != null) {
            int from = boundary(start, op.startAfter(), true);
            int to = boundary(end, op.endAfter(), false);
            changes.restyle(from, to - from);
        }
    }

    /** The packed start anchor of applied operation {@code op} (Ids.NONE: an edge; a paragraph's line break). */
    long startOf(int op) {
        return startId[op];
    }

    long endOf(int op) {
        return endId[op];
    }

    private long pack(long replica, int seq) {
        return seq == -1 ? Ids.NONE : Ids.pack(doc.agent(replica).index, seq);
    }

    /**
     * The place of an anchor in the sequence, tombstones included: a character at index t is
     * 4t + 1, its before side 4t, its after side 4t + 2; the document edges are the extremes.
     */
    long key(long id, boolean after, boolean isStart) {
        if (id == Ids.NONE) return isStart ? Long.MIN_VALUE : Long.MAX_VALUE;
        return 4L * doc.integration.position(id) + (after ? 2 : 0);
    }

    private long eventKey(int event) {
        int op = event >>> 1;
        FormatOp f = ops.get(op);
        return (event & 1) != 0 ? key(startId[op], f.startAfter(), true) : key(endId[op], f.endAfter(), false);
    }

    private void addEvent(int event, long key) {
        int lo = 0;
        int hi = eventCount;
        while (lo < hi) {
            int mid = (lo + hi) >>> 1;
            if (eventKey(events[mid]) <= key) lo = mid + 1;
            else hi = mid;
        }
        if (eventCount == events.length) events = Arrays.copyOf(events, eventCount * 2);
        System.arraycopy(events, lo, events, lo + 1, eventCount - lo);
        events[lo] = event;
        eventCount++;
    }

    /** The visible index an anchor falls at: how many visible characters lie before it. */
    private int boundary(long id, boolean after, boolean isStart) {
        if (id == Ids.NONE) return isStart ? 0 : doc.length();
        doc.integration.locate(id);
        SpanTree tree = doc.tree;
        SpanTree.Leaf leaf = tree.atLeaf;
        int idx = tree.atIdx;
        boolean visible = leaf.lens[idx] > 0;
        int before = tree.visibleIndex(leaf, idx) + (visible ? tree.atOffset : 0);
        return after && visible ? before + 1 : before;
    }

    private int eventBoundary(int event) {
        int op = event >>> 1;
        FormatOp f = ops.get(op);
        return (event & 1) != 0 ? boundary(startId[op], f.startAfter(), true) : boundary(endId[op], f.endAfter(), false);
    }

    // ---------------------------------------------------------------- reading

    /** The formatted runs of the visible text {@code from .. to-1}, adjacent equal runs merged. */
    List<Doc.TextRun> runs(int from, int to, String text) {
        List<Doc.TextRun> out = new ArrayList<>();
        if (from == to) return out;
        if (eventCount == 0) {
            out.add(new Doc.TextRun(text, Map.of()));
            return out;
        }
        // The first event after the range's first character: those before it say what is active there.
        doc.tree.locateVisible(from);
        long first = doc.tree.atLeaf.ids[doc.tree.atIdx] + doc.tree.atOffset;
        long firstKey = 4L * doc.integration.position(first) + 1;
        int lo = 0;
        int hi = eventCount;
        while (lo < hi) {
            int mid = (lo + hi) >>> 1;
            if (eventKey(events[mid]) < firstKey) lo = mid + 1;
            else hi = mid;
        }
        boolean[] on = new boolean[ops.size()];
        for (int i = 0; i < lo; i++) on[events[i] >>> 1] = (events[i] & 1) != 0;
        List<Integer> active = new ArrayList<>();
        for (int i = 0; i < on.length; i++) if (on[i]) active.add(i);

        int at = from;
        Map<String, String> attrs = resolve(active);
        for (int i = lo; i < eventCount; i++) {
            int event = events[i];
            int p = eventBoundary(event);
            if (p >= to) break;
            if (p > at) {
                add(out, text.substring(at - from, p - from), attrs);
                at = p;
            }
            Integer op = event >>> 1;
            if ((event & 1) != 0) active.add(op);
            else active.remove(op);
            attrs = resolve(active);
        }
        add(out, text.substring(at - from), attrs);
        return out;
    }

    private static void add(List<Doc.TextRun> out, String text, Map<String, String> attrs) {
        if (text.isEmpty()) return;
        int last = out.size() - 1;
        if (last >= 0 && out.get(last).marks().equals(attrs)) {
            out.set(last, new Doc.TextRun(out.get(last).text() + text, attrs));
        } else {
            out.add(new Doc.TextRun(text, attrs));
        }
    }

    /** What the active marks say: per key, the winning write, if it is not a removal. */
    Map<String, String> resolve(List<Integer> active) {
        if (active.isEmpty()) return Map.of();
        HashMap<String, FormatOp> winners = new HashMap<>();
        for (int op : active) {
            FormatOp f = ops.get(op);
            FormatOp w = winners.get(f.key());
            if (w == null || f.beats(w)) winners.put(f.key(), f);
        }
        TreeMap<String, String> attrs = new TreeMap<>();
        for (FormatOp f : winners.values()) if (f.value() != null) attrs.put(f.key(), f.value());
        return attrs.isEmpty() ? Map.of() : attrs;
    }

    /** The attributes of the paragraph ended by line break {@code lineBreak} (Ids.NONE: the last one). */
    Map<String, String> paragraph(long lineBreak) {
        HashMap<String, FormatOp> attrs = paragraphs.get(lineBreak);
        if (attrs == null) return Map.of();
        TreeMap<String, String> out = new TreeMap<>();
        for (FormatOp f : attrs.values()) if (f.value() != null) out.put(f.key(), f.value());
        return out.isEmpty() ? Map.of() : out;
    }

    private void restyleParagraph(long lineBreak, ChangeList changes) {
        int end = lineBreak == Ids.NONE ? doc.length() : boundary(lineBreak, true, false);
        if (lineBreak != Ids.NONE && end == boundary(lineBreak, false, true)) return; // a deleted break: no paragraph
        int start = doc.paragraphStart(Math.max(0, lineBreak == Ids.NONE ? end : end - 1));
        changes.restyle(start, end - start);
    }

    // ---------------------------------------------------------------- sync

    /** The operations a replica at {@code version} lacks, in the order they were applied here. */
    List<FormatOp> since(Version version) {
        List<FormatOp> out = new ArrayList<>();
        for (FormatOp op : ops) if (op.seq() >= version.deletes(op.replica())) out.add(op);
        return out;
    }
}
