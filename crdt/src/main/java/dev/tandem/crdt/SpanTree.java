package dev.tandem.crdt;

import java.util.ArrayList;
import java.util.Arrays;

/**
 * The document's characters in document order, tombstones included, as a B-tree of spans.
 *
 * <p>A span is a run of characters with consecutive ids from one replica that sit next to each
 * other in the document and are all visible or all deleted. Leaves hold up to
 * {@link #LEAF_CAP} spans in two parallel primitive arrays ({@code ids}: the packed id of the
 * span's first character; {@code lens}: its length in UTF-16 units, negated when deleted), so a
 * document is a few arrays rather than an object per character. Every node caches the visible
 * length, the total length (tombstones included) and the number of visible surrogate pairs of
 * its subtree, which makes "the n-th visible character" and "the index of this character" walks
 * of O(log n) nodes. Leaves are linked left to right for scanning.
 *
 * <p>Leaves are numbered; the owner keeps, for every character, the number of the leaf that
 * holds it ({@link Owner#moved}) so an id finds its leaf without a search. This class tells the
 * owner whenever spans move to another leaf.
 */
final class SpanTree {
    static final int LEAF_CAP = 64;
    static final int BRANCH_CAP = 32;

    // Capacities are per tree so tests can use tiny nodes and exercise every split.
    final int leafCap;
    final int branchCap;

    /** What the tree needs from its document. */
    interface Owner {
        /** Characters {@code id .. id+len-1} now live in {@code leaf}. */
        void moved(long id, int len, Leaf leaf);

        /** Number of surrogate pairs in the characters {@code id .. id+len-1}. */
        int astralIn(long id, int len);

        /** Whether any character of the document is outside the BMP (else astral counts stay 0). */
        boolean hasAstral();
    }

    abstract static class Node {
        Branch parent;
        int visible;
        int total;
        int astral;
    }

    static final class Leaf extends Node {
        final long[] ids;
        final int[] lens;
        int count;
        Leaf next;
        Leaf prev;
        final int number;

        Leaf(int number, int capacity) {
            this.number = number;
            this.ids = new long[capacity];
            this.lens = new int[capacity];
        }
    }

    static final class Branch extends Node {
        final Node[] kids;
        int count;

        Branch(int capacity) {
            kids = new Node[capacity];
        }
    }

    private final Owner owner;
    final ArrayList<Leaf> leaves = new ArrayList<>();
    Node root;
    Leaf first;
    Leaf last;

    // Result registers of the locate and insert operations (the tree is single-threaded):
    // a position inside the tree is (leaf, index of span, offset in span).
    Leaf atLeaf;
    int atIdx;
    int atOffset;

    // The leaf the last visible-position lookup ended in and the visible characters before it.
    private Leaf cacheLeaf;
    private int cacheStart;

    SpanTree(Owner owner) {
        this(owner, LEAF_CAP, BRANCH_CAP);
    }

    SpanTree(Owner owner, int leafCap, int branchCap) {
        if (leafCap < 4 || branchCap < 4) throw new IllegalArgumentException("capacities below 4");
        this.owner = owner;
        this.leafCap = leafCap;
        this.branchCap = branchCap;
        Leaf leaf = newLeaf();
        root = leaf;
        first = leaf;
        last = leaf;
    }

    private Leaf newLeaf() {
        Leaf leaf = new Leaf(leaves.size(), leafCap);
        leaves.add(leaf);
        return leaf;
    }

    int visibleLength() {
        return root.visible;
    }

    int totalLength() {
        return root.total;
    }

    /**
     * Finds the place just before the {@code pos}-th visible character (after any tombstones
     * before it), or the very end when {@code pos == visibleLength()}. Sets atLeaf/atIdx/atOffset;
     * at the end atIdx == count of the last leaf.
     */
    void locateVisible(int pos) {
        if (pos >= root.visible) {
            atLeaf = last;
            atIdx = last.count;
            atOffset = 0;
            return;
        }
        Leaf leaf = cacheLeaf;
        if (leaf != null && pos >= cacheStart && pos < cacheStart + leaf.visible) {
            // Typing tends to hit the same leaf again: skip the walk from the root.
            pos -= cacheStart;
        } else {
            Node node = root;
            int start = 0;
            while (node instanceof Branch b) {
                Node[] kids = b.kids;
                int i = 0;
                for (; i < b.count - 1; i++) {
                    int v = kids[i].visible;
                    if (pos < v) break;
                    pos -= v;
                    start += v;
                }
                node = kids[i];
            }
            leaf = (Leaf) node;
            cacheLeaf = leaf;
            cacheStart = start;
        }
        int[] lens = leaf.lens;
        for (int i = 0; i < leaf.count; i++) {
            int len = lens[i];
            if (len > 0) {
                if (pos < len) {
                    atLeaf = leaf;
                    atIdx = i;
                    atOffset = pos;
                    return;
                }
                pos -= len;
            }
        }
        throw new IllegalStateException("visible counts out of step");
    }

    /** Finds the span of {@code leaf} that holds character {@code id}; sets atIdx/atOffset. */
    void locateIn(Leaf leaf, long id) {
        long[] ids = leaf.ids;
        int[] lens = leaf.lens;
        for (int i = 0; i < leaf.count; i++) {
            long d = id - ids[i];
            if (d >= 0 && d < Math.abs(lens[i])) {
                atLeaf = leaf;
                atIdx = i;
                atOffset = (int) d;
                return;
            }
        }
        throw new IllegalStateException("character not in the leaf the index names");
    }

    /** Visible characters before the start of {@code leaf}. */
    int visibleBefore(Leaf leaf) {
        int sum = 0;
        Node node = leaf;
        for (Branch p = node.parent; p != null; node = p, p = p.parent) {
            for (int i = 0; p.kids[i] != node; i++) sum += p.kids[i].visible;
        }
        return sum;
    }

    /** Characters (tombstones included) before the start of {@code leaf}. */
    int totalBefore(Leaf leaf) {
        int sum = 0;
        Node node = leaf;
        for (Branch p = node.parent; p != null; node = p, p = p.parent) {
            for (int i = 0; p.kids[i] != node; i++) sum += p.kids[i].total;
        }
        return sum;
    }

    /** Visible characters before span {@code idx} of {@code leaf}, in the whole document. */
    int visibleIndex(Leaf leaf, int idx) {
        int sum = visibleBefore(leaf);
        int[] lens = leaf.lens;
        for (int i = 0; i < idx; i++) if (lens[i] > 0) sum += lens[i];
        return sum;
    }

    /** Characters (tombstones included) before span {@code idx} of {@code leaf}. */
    int totalIndex(Leaf leaf, int idx) {
        int sum = totalBefore(leaf);
        int[] lens = leaf.lens;
        for (int i = 0; i < idx; i++) sum += Math.abs(lens[i]);
        return sum;
    }

    /**
     * Adds to the cached counts of {@code leaf} and all its ancestors. Every change of counts
     * goes through here, which keeps the last-leaf cache honest: a change in any other leaf may
     * shift where the cached one starts.
     */
    void addCounts(Leaf leaf, int visible, int total, int astral) {
        if (leaf != cacheLeaf) cacheLeaf = null;
        addUp(leaf, visible, total, astral);
    }

    private static void addUp(Node node, int visible, int total, int astral) {
        for (; node != null; node = node.parent) {
            node.visible += visible;
            node.total += total;
            node.astral += astral;
        }
    }

    /**
     * Inserts a new visible span before span {@code idx} of {@code leaf} and counts it. Sets
     * atLeaf/atIdx to where it ended up (a full leaf splits first).
     */
    void insertNew(Leaf leaf, int idx, long id, int len, int astral) {
        insertRaw(leaf, idx, id, len);
        owner.moved(id, len, atLeaf);
        addCounts(atLeaf, len, len, astral);
    }

    /**
     * Splits span {@code idx} of {@code leaf} at {@code offset} (0 &lt; offset &lt; length). Counts
     * do not change. Sets atLeaf/atIdx to the right part.
     */
    void split(Leaf leaf, int idx, int offset) {
        long id = leaf.ids[idx];
        int len = leaf.lens[idx];
        int abs = Math.abs(len);
        if (offset <= 0 || offset >= abs) throw new IllegalArgumentException("split offset " + offset + " outside 1.." + (abs - 1));
        int sign = len < 0 ? -1 : 1;
        leaf.lens[idx] = sign * offset;
        long rightId = id + offset;
        int rightLen = sign * (abs - offset);
        insertRaw(leaf, idx + 1, rightId, rightLen);
        Leaf at = atLeaf;
        if (at != leaf) {
            // The leaf split and the right part went to the new leaf: its characters were
            // still counted in the old one.
            owner.moved(rightId, abs - offset, at);
            int visible = rightLen > 0 ? rightLen : 0;
            int astral = visible > 0 && owner.hasAstral() ? owner.astralIn(rightId, visible) : 0;
            if (cacheLeaf == at) cacheLeaf = null; // the new leaf's start moved; the old one's did not
            addUp(leaf, -visible, -(abs - offset), -astral);
            addUp(at, visible, abs - offset, astral);
            atLeaf = at;
        }
    }

    /**
     * Splits span {@code idx} of {@code leaf} so that its characters {@code offset ..
     * offset+len-1} make a span of their own, and points atLeaf/atIdx at that span. A split can
     * move spans into a new leaf, so the part is found again from its right neighbour.
     */
    void isolate(Leaf leaf, int idx, int offset, int len) {
        if (offset > 0) {
            split(leaf, idx, offset);
            leaf = atLeaf;
            idx = atIdx;
        }
        if (len < Math.abs(leaf.lens[idx])) {
            split(leaf, idx, len);
            if (atIdx > 0) {
                atIdx--;
            } else {
                atLeaf = atLeaf.prev;
                atIdx = atLeaf.count - 1;
            }
        } else {
            atLeaf = leaf;
            atIdx = idx;
        }
    }

    /**
     * Puts a span into a leaf without touching counts, splitting the leaf when it is full (the
     * split moves counts with the spans). Sets atLeaf/atIdx to the new span's place.
     */
    private void insertRaw(Leaf leaf, int idx, long id, int len) {
        if (leaf.count == leafCap) {
            Leaf right = splitLeaf(leaf);
            if (idx > leaf.count) {
                idx -= leaf.count;
                leaf = right;
            }
        }
        int n = leaf.count - idx;
        if (n > 0) {
            System.arraycopy(leaf.ids, idx, leaf.ids, idx + 1, n);
            System.arraycopy(leaf.lens, idx, leaf.lens, idx + 1, n);
        }
        leaf.ids[idx] = id;
        leaf.lens[idx] = len;
        leaf.count++;
        atLeaf = leaf;
        atIdx = idx;
    }

    /** Moves the upper half of a full leaf into a new leaf after it; returns the new leaf. */
    private Leaf splitLeaf(Leaf leaf) {
        Leaf right = newLeaf();
        int keep = leaf.count / 2;
        int move = leaf.count - keep;
        System.arraycopy(leaf.ids, keep, right.ids, 0, move);
        System.arraycopy(leaf.lens, keep, right.lens, 0, move);
        right.count = move;
        leaf.count = keep;
        int visible = 0;
        int total = 0;
        int astral = 0;
        boolean countAstral = owner.hasAstral();
        for (int i = 0; i < move; i++) {
            int len = right.lens[i];
            int abs = Math.abs(len);
            total += abs;
            if (len > 0) {
                visible += len;
                if (countAstral) astral += owner.astralIn(right.ids[i], len);
            }
            owner.moved(right.ids[i], abs, right);
        }
        right.visible = visible;
        right.total = total;
        right.astral = astral;
        leaf.visible -= visible;
        leaf.total -= total;
        leaf.astral -= astral;

        right.next = leaf.next;
        right.prev = leaf;
        if (leaf.next != null) leaf.next.prev = right;
        else last = right;
        leaf.next = right;
        insertChildAfter(leaf, right);
        return right;
    }

    /**
     * Adds {@code added} after {@code existing} in the tree. {@code added} was carved out of
     * {@code existing}, so the ancestors' counts already include it: only a branch that splits
     * on the way needs its counts recomputed.
     */
    private void insertChildAfter(Node existing, Node added) {
        Branch parent = existing.parent;
        if (parent == null) {
            Branch newRoot = new Branch(branchCap);
            newRoot.kids[0] = existing;
            newRoot.kids[1] = added;
            newRoot.count = 2;
            newRoot.visible = existing.visible + added.visible;
            newRoot.total = existing.total + added.total;
            newRoot.astral = existing.astral + added.astral;
            existing.parent = newRoot;
            added.parent = newRoot;
            root = newRoot;
            return;
        }
        if (parent.count < branchCap) {
            putAfter(parent, existing, added);
            return;
        }
        // Full: move the upper half of the children to a new branch, recount both halves from
        // their children, put the new node where it belongs, then hang the new branch up.
        Branch right = new Branch(branchCap);
        int keep = parent.count / 2;
        int move = parent.count - keep;
        System.arraycopy(parent.kids, keep, right.kids, 0, move);
        Arrays.fill(parent.kids, keep, parent.count, null);
        parent.count = keep;
        right.count = move;
        for (int i = 0; i < move; i++) right.kids[i].parent = right;
        recount(parent);
        recount(right);
        Branch home = existing.parent;
        putAfter(home, existing, added);
        home.visible += added.visible;
        home.total += added.total;
        home.astral += added.astral;
        insertChildAfter(parent, right);
    }

    private static void putAfter(Branch parent, Node existing, Node added) {
        int idx = 0;
        while (parent.kids[idx] != existing) idx++;
        System.arraycopy(parent.kids, idx + 1, parent.kids, idx + 2, parent.count - idx - 1);
        parent.kids[idx + 1] = added;
        parent.count++;
        added.parent = parent;
    }

    private static void recount(Branch b) {
        int visible = 0;
        int total = 0;
        int astral = 0;
        for (int i = 0; i < b.count; i++) {
            visible += b.kids[i].visible;
            total += b.kids[i].total;
            astral += b.kids[i].astral;
        }
        b.visible = visible;
        b.total = total;
        b.astral = astral;
    }

    /**
     * Replaces this (empty) tree with the given spans, in order: leaves filled to three
     * quarters so the next edits rarely split them, branches built bottom up.
     */
    void bulkLoad(long[] ids, int[] lens, int n) {
        if (root.total != 0) throw new IllegalStateException("bulkLoad into a non-empty tree");
        leaves.clear();
        cacheLeaf = null;
        boolean countAstral = owner.hasAstral();
        int perLeaf = Math.max(2, leafCap * 3 / 4);
        ArrayList<Node> level = new ArrayList<>();
        Leaf prev = null;
        for (int i = 0; i < n || level.isEmpty(); i += perLeaf) {
            Leaf leaf = newLeaf();
            int m = Math.min(perLeaf, n - i);
            if (m > 0) {
                System.arraycopy(ids, i, leaf.ids, 0, m);
                System.arraycopy(lens, i, leaf.lens, 0, m);
            }
            leaf.count = Math.max(0, m);
            for (int k = 0; k < leaf.count; k++) {
                int len = leaf.lens[k];
                int abs = Math.abs(len);
                leaf.total += abs;
                if (len > 0) {
                    leaf.visible += len;
                    if (countAstral) leaf.astral += owner.astralIn(leaf.ids[k], len);
                }
                owner.moved(leaf.ids[k], abs, leaf);
            }
            leaf.prev = prev;
            if (prev != null) prev.next = leaf;
            prev = leaf;
            level.add(leaf);
        }
        first = (Leaf) level.get(0);
        last = prev;
        int perBranch = Math.max(3, branchCap * 3 / 4);
        while (level.size() > 1) {
            ArrayList<Node> up = new ArrayList<>();
            for (int i = 0; i < level.size(); ) {
                int m = Math.min(perBranch, level.size() - i);
                if (level.size() - i - m == 1) m++; // never leave a branch with one child
                Branch b = new Branch(branchCap);
                for (int k = 0; k < m; k++) {
                    Node kid = level.get(i + k);
                    b.kids[k] = kid;
                    kid.parent = b;
                }
                b.count = m;
                recount(b);
                up.add(b);
                i += m;
            }
            level = up;
        }
        root = level.get(0);
        root.parent = null;
    }

    /** Removes span {@code idx} of {@code leaf} (its characters were merged into a neighbour). */
    static void removeSpan(Leaf leaf, int idx) {
        int n = leaf.count - idx - 1;
        if (n > 0) {
            System.arraycopy(leaf.ids, idx + 1, leaf.ids, idx, n);
            System.arraycopy(leaf.lens, idx + 1, leaf.lens, idx, n);
        }
        leaf.count--;
    }

    /** Checks every cached count and link; for tests. */
    void checkInvariants() {
        int[] sums = check(root, null);
        if (sums[0] != root.visible || sums[1] != root.total) throw new IllegalStateException("root counts");
        Leaf l = first;
        Leaf prev = null;
        int n = 0;
        while (l != null) {
            if (l.prev != prev) throw new IllegalStateException("leaf links");
            prev = l;
            l = l.next;
            n++;
        }
        if (prev != last) throw new IllegalStateException("last leaf");
        if (n != leaves.size()) throw new IllegalStateException("leaf count " + n + " vs " + leaves.size());
    }

    private int[] check(Node node, Branch parent) {
        if (node.parent != parent) throw new IllegalStateException("parent link");
        int visible = 0;
        int total = 0;
        int astral = 0;
        if (node instanceof Leaf leaf) {
            if (leaf.count == 0 && leaves.size() > 1) throw new IllegalStateException("empty leaf");
            for (int i = 0; i < leaf.count; i++) {
                int len = leaf.lens[i];
                if (len == 0) throw new IllegalStateException("empty span");
                total += Math.abs(len);
                if (len > 0) {
                    visible += len;
                    if (owner.hasAstral()) astral += owner.astralIn(leaf.ids[i], len);
                }
            }
        } else {
            Branch b = (Branch) node;
            if (b.count < 2 && b != root) throw new IllegalStateException("thin branch");
            for (int i = 0; i < b.count; i++) {
                int[] s = check(b.kids[i], b);
                visible += s[0];
                total += s[1];
                astral += s[2];
            }
        }
        if (visible != node.visible || total != node.total || astral != node.astral) {
            throw new IllegalStateException("counts of a " + node.getClass().getSimpleName() + ": cached " + node.visible + "/" + node.total + "/" + node.astral + " real " + visible + "/" + total + "/" + astral);
        }
        return new int[] {visible, total, astral};
    }
}
