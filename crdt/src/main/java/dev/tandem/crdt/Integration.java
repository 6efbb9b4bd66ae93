package dev.tandem.crdt;

/**
 * Puts characters and deletions into a document's sequence: where FugueMax places an insert
 * run among concurrent ones (the ordering scan), splitting and joining spans of the tree, and
 * marking characters deleted. The document decides what to integrate and when.
 */
final class Integration {
    private final Doc doc;
    private final SpanTree tree;
    private final RunLog log;
    // Where integrateAt put the characters: the span that ends with them.
    SpanTree.Leaf placedLeaf;
    int placedIdx;

    Integration(Doc doc, SpanTree tree, RunLog log) {
        this.doc = doc;
        this.tree = tree;
        this.log = log;
    }

    /** Marks the characters {@code lo .. lo+len-1} deleted (already deleted ones stay so). */
    void deleteRange(long lo, int len, ChangeList changes) {
        Agent target = doc.agents[Ids.agent(lo)];
        long end = lo + len;
        long id = lo;
        while (id < end) {
            SpanTree.Leaf leaf = tree.leaves.get(target.leaf(Ids.seq(id)));
            tree.locateIn(leaf, id);
            int idx = tree.atIdx;
            int offset = tree.atOffset;
            int spanLen = leaf.lens[idx];
            int abs = Math.abs(spanLen);
            int take = (int) Math.min(abs - offset, end - id);
            if (spanLen > 0) {
                tree.isolate(leaf, idx, offset, take);
                leaf = tree.atLeaf;
                idx = tree.atIdx;
                if (changes != null) changes.delete(tree.visibleIndex(leaf, idx), take);
                markDeleted(leaf, idx);
            }
            id += take;
        }
    }

    /**
     * Marks span {@code idx} of {@code leaf} deleted and joins it with tombstone neighbours that
     * continue it. Returns the index of the span that now holds its characters (in
     * {@code tree.atLeaf}, which is {@code leaf}).
     */
    int markDeleted(SpanTree.Leaf leaf, int idx) {
        int len = leaf.lens[idx];
        int astral = doc.hasAstral ? CodePoints.countAstral(doc.agents[Ids.agent(leaf.ids[idx])].text, Ids.seq(leaf.ids[idx]), len) : 0;
        leaf.lens[idx] = -len;
        tree.addCounts(leaf, -len, 0, -astral);
        if (idx + 1 < leaf.count && leaf.lens[idx + 1] < 0 && continues(leaf.ids[idx] + len - 1, leaf.ids[idx + 1])) {
            leaf.lens[idx] += leaf.lens[idx + 1];
            SpanTree.removeSpan(leaf, idx + 1);
        }
        if (idx > 0 && leaf.lens[idx - 1] < 0 && continues(leaf.ids[idx - 1] - leaf.lens[idx - 1] - 1, leaf.ids[idx])) {
            leaf.lens[idx - 1] += leaf.lens[idx];
            SpanTree.removeSpan(leaf, idx);
            idx--;
        }
        tree.atLeaf = leaf;
        return idx;
    }

    /**
     * Whether character {@code next} directly continues {@code prev} (same replica, next seq,
     * left origin {@code prev}), so the two can share a span.
     */
    private boolean continues(long prev, long next) {
        return next == prev + 1 && log.originLeft(next) == prev;
    }

    /**
     * Integrates characters {@code seq..seq+len-1} of {@code a}, whose origins are known, at the
     * place FugueMax gives them.
     */
    void integrate(Agent a, int seq, char[] text, int textStart, int len, long left, long right, long time, ChangeList changes) {
        // The place right after the left origin, splitting its span if needed.
        SpanTree.Leaf leaf;
        int idx;
        if (left == Ids.NONE) {
            leaf = tree.first;
            idx = 0;
        } else {
            locate(left);
            leaf = tree.atLeaf;
            idx = tree.atIdx;
            int offset = tree.atOffset;
            int abs = Math.abs(leaf.lens[idx]);
            if (offset + 1 < abs) {
                tree.split(leaf, idx, offset + 1);
                leaf = tree.atLeaf;
                idx = tree.atIdx;
            } else {
                idx++;
            }
        }
        long next = idAt(leaf, idx);
        if (next != right) {
            // Others inserted between the origins concurrently: make the right origin start a
            // span, then scan (the rare case).
            if (right != Ids.NONE) {
                locate(right);
                if (tree.atOffset > 0) tree.split(tree.atLeaf, tree.atIdx, tree.atOffset);
            }
            if (left == Ids.NONE) {
                leaf = tree.first;
                idx = 0;
            } else {
                locate(left);
                leaf = tree.atLeaf;
                idx = tree.atIdx + 1;
            }
            if (idAt(leaf, idx) != right) {
                scan(a, left, right, leaf, idx);
                leaf = tree.atLeaf;
                idx = tree.atIdx;
            }
        }
        integrateAt(leaf, idx, a, seq, text, textStart, len, left, right, time, changes);
    }

    /**
     * The FugueMax scan over the spans between the origins (see CRDT-NOTES / reference-crdts
     * {@code integrateYjsMod}): for each span o with origins oL, oR (positions, tombstones
     * included; -1 and the document length standing for "none"):
     * <pre>
     *   oL &lt; left                      stop: insert before o
     *   oL == left, oR &lt; right          maybe after o: pass it tentatively (scanning)
     *   oL == left, oR == right         true conflict: lower replica id first
     *   oL == left, oR &gt; right          pass o for good
     *   oL &gt; left                      o hangs off something passed: keep the current standing
     * </pre>
     * Only a span's first character needs looking at: each later one has the one before it as
     * its left origin (the last row). Sets atLeaf/atIdx to the insertion place.
     */
    private void scan(Agent a, long left, long right, SpanTree.Leaf leaf, int idx) {
        int leftPos = left == Ids.NONE ? -1 : position(left);
        int rightPos = right == Ids.NONE ? tree.totalLength() : position(right);
        int i = leftPos + 1;
        SpanTree.Leaf destLeaf = leaf;
        int destIdx = idx;
        boolean scanning = false;
        while (true) {
            if (idx >= leaf.count && leaf.next != null) {
                leaf = leaf.next;
                idx = 0;
            }
            if (!scanning) {
                destLeaf = leaf;
                destIdx = idx;
            }
            if (idx >= leaf.count || i == rightPos) break;
            long o = leaf.ids[idx];
            long oLeft = log.originLeft(o);
            long oRight = log.originRight(o);
            int oLeftPos = oLeft == Ids.NONE ? -1 : position(oLeft);
            if (oLeftPos < leftPos) break;
            if (oLeftPos == leftPos) {
                int oRightPos = oRight == Ids.NONE ? tree.totalLength() : position(oRight);
                if (oRightPos < rightPos) {
                    scanning = true;
                } else if (oRightPos == rightPos) {
                    if (Long.compareUnsigned(a.replica, doc.agents[Ids.agent(o)].replica) < 0) break;
                    scanning = false;
                } else {
                    scanning = false;
                }
            }
            i += Math.abs(leaf.lens[idx]);
            idx++;
        }
        tree.atLeaf = destLeaf;
        tree.atIdx = destIdx;
    }

    /**
     * Puts characters {@code seq..} of {@code a} before span {@code idx} of {@code leaf} (a place
     * already decided), logs the run, and records the change.
     */
    void integrateAt(SpanTree.Leaf leaf, int idx, Agent a, int seq, char[] text, int textStart, int len,
                             long left, long right, long time, ChangeList changes) {
        // Prefer the end of the previous leaf to the start of this one, so the span typed just
        // before can grow.
        if (idx == 0 && leaf.prev != null) {
            leaf = leaf.prev;
            idx = leaf.count;
        }
        a.ensureChars(seq + len);
        System.arraycopy(text, textStart, a.text, seq, len);
        a.insClock = seq + len;
        doc.held.advanced(a);
        int astral = 0;
        if (doc.hasAstral) astral = CodePoints.countAstral(text, textStart, len);
        if (changes != null) changes.insert(tree.visibleIndex(leaf, idx), text, textStart, len);
        long id = Ids.pack(a.index, seq);
        int prev = idx - 1;
        if (prev >= 0 && leaf.lens[prev] > 0 && leaf.ids[prev] + leaf.lens[prev] == id && left == id - 1) {
            placedLeaf = leaf;
            placedIdx = prev;
            leaf.lens[prev] += len;
            a.setLeaf(seq, seq + len, leaf.number);
            tree.addCounts(leaf, len, len, astral);
        } else {
            tree.insertNew(leaf, idx, id, len, astral);
            placedLeaf = tree.atLeaf;
            placedIdx = tree.atIdx;
        }
        log.logInsert(a, seq, len, left, right, time);
    }

    /** Finds character {@code id}: sets tree.atLeaf/atIdx/atOffset. */
    void locate(long id) {
        tree.locateIn(tree.leaves.get(doc.agents[Ids.agent(id)].leaf(Ids.seq(id))), id);
    }

    /** Index of character {@code id} among all characters, tombstones included. */
    int position(long id) {
        locate(id);
        return tree.totalIndex(tree.atLeaf, tree.atIdx) + tree.atOffset;
    }

    /** Id of the first character of span {@code idx} of {@code leaf} (or the next leaf), or NONE at the end. */
    static long idAt(SpanTree.Leaf leaf, int idx) {
        if (idx >= leaf.count) {
            leaf = leaf.next;
            idx = 0;
            if (leaf == null || leaf.count == 0) return Ids.NONE;
        }
        return leaf.ids[idx];
    }

    /** Id of the last character before span {@code idx} of {@code leaf}, or NONE at the start. */
    static long lastIdBefore(SpanTree.Leaf leaf, int idx) {
        if (idx == 0) {
            leaf = leaf.prev;
            if (leaf == null) return Ids.NONE;
            idx = leaf.count;
        }
        return leaf.ids[idx - 1] + Math.abs(leaf.lens[idx - 1]) - 1;
    }
}
