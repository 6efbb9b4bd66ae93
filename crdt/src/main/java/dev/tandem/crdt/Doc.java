package dev.tandem.crdt;

import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;

/**
 * One replica of a shared text document: a sequence CRDT in which concurrent edits made
 * anywhere, delivered in any order and any number of times, end in the same text everywhere.
 *
 * <p>Every inserted character gets an id (replica id, seq) and remembers its neighbours at the
 * time it was typed (its left and right origins); deleted characters stay as tombstones. Where
 * several replicas insert at the same place, the order follows FugueMax ("YjsMod", Weidner &amp;
 * Kleppmann, "The Art of the Fugue"), which never interleaves two people's concurrent typing,
 * forwards or backwards. See {@code crdt/FORMAT.md} for the model, the structures and the bytes.
 *
 * <p>Not thread-safe: one thread owns a {@code Doc}. Positions and lengths are UTF-16 code
 * units, as in {@link String} and JavaFX; no edit may split a surrogate pair.
 */
public final class Doc {
    private static final SecureRandom RANDOM = new SecureRandom();

    /**
     * What a document loaded from a save holds as the text of its deleted characters (a save
     * keeps only the visible text), and so what {@link #updatesSince} sends for them: format v1
     * has no other way to say "text unknown". A user may type U+FFFF too, so it means "unknown"
     * only on a deleted character: {@code validate} lets a text differ from the known one only
     * when one side is U+FFFF and the character is deleted (here or by the same update). A
     * visible character's text, U+FFFF or not, can never be rewritten.
     */
    static final char UNKNOWN = '\uFFFF';

    private final Agent local;
    private Agent[] agents = new Agent[4];
    private int agentCount;
    private final HashMap<Long, Agent> byReplica = new HashMap<>();
    private final SpanTree tree;
    private boolean hasAstral;

    // The insert-run log, in the order runs arrived here (a causal order). Origins are packed
    // with this document's agent indexes.
    private int runCount;
    private int[] runAgent = new int[16];
    private int[] runSeq = new int[16];
    private int[] runLen = new int[16];
    private long[] runLeft = new long[16];
    private long[] runRight = new long[16];

    // The delete-run log, in arrival order.
    private int delCount;
    private int[] delAgent = new int[8];
    private int[] delSeq = new int[8];
    private int[] delLen = new int[8];
    private long[] delTarget = new long[8];
    private boolean[] delBackward = new boolean[8];

    // Received runs whose causes have not arrived yet (see HeldRuns), ids packed for this document.
    private final HeldRuns held = new HeldRuns(i -> agents[i]);

    // The run runOf found last: lookups come in streaks.
    private int lastRun;

    // Counts every change of the document but a keystroke that continues the last one.
    private long stamp;
    // The typing fast path (keepTyping): valid while typingStamp == stamp. The span at
    // (typingLeaf, typingIdx) ends with the last character typed here, at visible position
    // typingPos, and typingRight was that keystroke's right origin.
    private long typingStamp = -1;
    private int typingPos;
    private SpanTree.Leaf typingLeaf;
    private int typingIdx;
    private long typingRight;
    // Where integrateAt put the characters: the span that ends with them.
    private SpanTree.Leaf placedLeaf;
    private int placedIdx;

    /** A new empty document with a random replica id. */
    public Doc() {
        this(randomReplicaId());
    }

    /**
     * A new empty document that edits as {@code replicaId}. Two live replicas must never share
     * an id: use {@link #Doc()} unless you are reopening your own replica.
     */
    public Doc(long replicaId) {
        this(replicaId, SpanTree.LEAF_CAP, SpanTree.BRANCH_CAP);
    }

    /** With the given B-tree node capacities: tests use tiny ones to exercise every split. */
    Doc(long replicaId, int leafCap, int branchCap) {
        this.tree = new SpanTree(new SpanTree.Owner() {
            @Override
            public void moved(long id, int len, SpanTree.Leaf leaf) {
                int[] leafOf = agents[Ids.agent(id)].leafOf;
                int seq = Ids.seq(id);
                int number = leaf.number;
                for (int i = seq, end = seq + len; i < end; i++) leafOf[i] = number;
            }

            @Override
            public int astralIn(long id, int len) {
                return countAstral(agents[Ids.agent(id)].text, Ids.seq(id), len);
            }

            @Override
            public boolean hasAstral() {
                return hasAstral;
            }
        }, leafCap, branchCap);
        this.local = agent(replicaId);
    }

    private static long randomReplicaId() {
        long id;
        do {
            id = RANDOM.nextLong();
        } while (id == 0);
        return id;
    }

    /** This replica's id: the first half of the id of every character typed here. */
    public long replicaId() {
        return local.replica;
    }

    /** Length of the visible text in UTF-16 units. */
    public int length() {
        return tree.visibleLength();
    }

    /** The visible text. O(length). */
    public String text() {
        char[] out = new char[tree.visibleLength()];
        int n = 0;
        for (SpanTree.Leaf leaf = tree.first; leaf != null; leaf = leaf.next) {
            for (int i = 0; i < leaf.count; i++) {
                int len = leaf.lens[i];
                if (len > 0) {
                    long id = leaf.ids[i];
                    System.arraycopy(agents[Ids.agent(id)].text, Ids.seq(id), out, n, len);
                    n += len;
                }
            }
        }
        return new String(out);
    }

    @Override
    public String toString() {
        return text();
    }

    // ---------------------------------------------------------------- local edits

    /**
     * Inserts {@code text} at {@code pos}, at once, and returns the update that carries the
     * insertion to other replicas.
     *
     * @throws IndexOutOfBoundsException if pos is not within 0..length()
     * @throws IllegalArgumentException if the text holds an unpaired surrogate or pos splits a pair
     */
    public Update insert(int pos, String text) {
        int length = tree.visibleLength();
        if (pos < 0 || pos > length) throw new IndexOutOfBoundsException("insert position " + pos + " outside 0.." + length);
        if (text.isEmpty()) return Update.empty();
        char[] chars = text.toCharArray();
        if (checkWellFormed(chars)) hasAstral = true;
        if (typingStamp == stamp && pos == typingPos) return keepTyping(chars);
        if (hasAstral && pos > 0 && pos < length && splitsPair(pos)) throw new IllegalArgumentException("insert position " + pos + " splits a surrogate pair");

        stamp++;
        tree.locateVisible(pos);
        long left;
        long right;
        SpanTree.Leaf leaf = tree.atLeaf;
        int idx = tree.atIdx;
        if (tree.atOffset > 0) {
            long id = leaf.ids[idx];
            left = id + tree.atOffset - 1;
            right = id + tree.atOffset;
            tree.split(leaf, idx, tree.atOffset);
            leaf = tree.atLeaf;
            idx = tree.atIdx;
        } else {
            right = idx < leaf.count ? leaf.ids[idx] : Ids.NONE;
            left = lastIdBefore(leaf, idx);
        }
        int seq = local.insClock;
        integrateAt(leaf, idx, local, seq, chars, 0, chars.length, left, right, null);
        // The span that now ends with these characters is where the next keystroke goes.
        typingStamp = stamp;
        typingPos = pos + chars.length;
        typingLeaf = placedLeaf;
        typingIdx = placedIdx;
        typingRight = right;
        return Update.ofInsert(local.replica, seq, chars,
                replicaOf(left), Ids.seq(left), left == Ids.NONE, replicaOf(right), Ids.seq(right), right == Ids.NONE);
    }

    /**
     * The next keystroke right after the last one, with nothing else changed in between: the
     * span that ends with the last typed character just grows, no lookup needed. Same result
     * as the general path (left origin: the last typed character; right origin: the same as
     * the last keystroke's).
     */
    private Update keepTyping(char[] chars) {
        SpanTree.Leaf leaf = typingLeaf;
        int idx = typingIdx;
        int seq = local.insClock;
        int len = chars.length;
        long id = Ids.pack(local.index, seq);
        if (leaf.lens[idx] <= 0 || leaf.ids[idx] + leaf.lens[idx] != id) throw new IllegalStateException("typing cache out of step");
        local.ensureChars(seq + len);
        System.arraycopy(chars, 0, local.text, seq, len);
        local.insClock = seq + len;
        held.advanced(local);
        leaf.lens[idx] += len;
        int[] leafOf = local.leafOf;
        int number = leaf.number;
        for (int i = seq, end = seq + len; i < end; i++) leafOf[i] = number;
        tree.addCounts(leaf, len, len, hasAstral ? countAstral(chars, 0, len) : 0);
        logInsert(local, seq, len, id - 1, typingRight);
        typingPos += len;
        long right = typingRight;
        return Update.ofInsert(local.replica, seq, chars, local.replica, seq - 1, false,
                replicaOf(right), Ids.seq(right), right == Ids.NONE);
    }

    /**
     * Deletes {@code len} characters from {@code pos}, at once, and returns the update that
     * carries the deletion to other replicas.
     *
     * @throws IndexOutOfBoundsException if the range is not within the text
     * @throws IllegalArgumentException if either end of the range splits a surrogate pair
     */
    public Update delete(int pos, int len) {
        int length = tree.visibleLength();
        if (pos < 0 || len < 0 || pos > length - len) throw new IndexOutOfBoundsException("delete range " + pos + "+" + len + " outside 0.." + length);
        if (len == 0) return Update.empty();
        stamp++;
        if (hasAstral && ((pos > 0 && splitsPair(pos)) || (pos + len < length && splitsPair(pos + len)))) {
            throw new IllegalArgumentException("delete range " + pos + "+" + len + " splits a surrogate pair");
        }
        // Most deletions take one piece, which needs no Builder; it is kept here until a second
        // piece shows the range spans several.
        Update.Builder out = null;
        int firstSeq = local.delClock;
        int firstLen = 0;
        long firstTarget = Ids.NONE;
        tree.locateVisible(pos);
        SpanTree.Leaf leaf = tree.atLeaf;
        int idx = tree.atIdx;
        int offset = tree.atOffset;
        int remaining = len;
        while (remaining > 0) {
            if (idx >= leaf.count) {
                leaf = leaf.next;
                idx = 0;
                continue;
            }
            int spanLen = leaf.lens[idx];
            if (spanLen < 0) {
                idx++;
                continue;
            }
            if (offset > 0) {
                tree.split(leaf, idx, offset);
                leaf = tree.atLeaf;
                idx = tree.atIdx;
                spanLen -= offset;
                offset = 0;
            }
            if (spanLen > remaining) {
                tree.split(leaf, idx, remaining);
                // The left part, which we delete, stayed where it was unless the leaf split
                // moved both parts: find it again from the right part.
                SpanTree.Leaf rightLeaf = tree.atLeaf;
                int rightIdx = tree.atIdx;
                if (rightIdx > 0) {
                    leaf = rightLeaf;
                    idx = rightIdx - 1;
                } else {
                    leaf = rightLeaf.prev;
                    idx = leaf.count - 1;
                }
                spanLen = remaining;
            }
            long target = leaf.ids[idx];
            int seq = local.delClock;
            if (firstLen == 0) {
                firstLen = spanLen;
                firstTarget = target;
            } else {
                if (out == null) {
                    out = new Update.Builder();
                    out.addDelete(local.replica, firstSeq, firstLen, replicaOf(firstTarget), Ids.seq(firstTarget), false);
                }
                out.addDelete(local.replica, seq, spanLen, replicaOf(target), Ids.seq(target), false);
            }
            logDelete(local, seq, spanLen, target, false);
            idx = markDeleted(leaf, idx) + 1;
            leaf = tree.atLeaf;
            remaining -= spanLen;
        }
        return out != null ? out.build() : Update.ofDelete(local.replica, firstSeq, firstLen, replicaOf(firstTarget), Ids.seq(firstTarget));
    }

    /**
     * Inserts {@code text} right after the character {@code (replica, seq)} in the sequence,
     * whether that character is visible or a tombstone, and returns the update. This is where
     * undo puts deleted text back: right after its own tombstones, so it lands at its original
     * place even when other deleted or restored text sits in the same gap (an insert by visible
     * position would go after every tombstone of the gap).
     *
     * @throws IllegalArgumentException if the character is not here, the text holds an unpaired
     *     surrogate, or the character is the first half of a surrogate pair
     */
    Update insertAfter(long replica, int seq, String text) {
        Agent a = byReplica.get(replica);
        if (a == null || seq < 0 || seq >= a.insClock) throw new IllegalArgumentException("no character " + Long.toHexString(replica) + ":" + seq + " here");
        if (text.isEmpty()) return Update.empty();
        char[] chars = text.toCharArray();
        if (checkWellFormed(chars)) hasAstral = true;
        long left = Ids.pack(a.index, seq);
        if (Character.isHighSurrogate(a.text[seq])) throw new IllegalArgumentException("inserting after " + Long.toHexString(replica) + ":" + seq + " splits a surrogate pair");
        stamp++;
        locate(left);
        SpanTree.Leaf leaf = tree.atLeaf;
        int idx = tree.atIdx;
        int offset = tree.atOffset;
        long right;
        if (offset + 1 < Math.abs(leaf.lens[idx])) {
            right = left + 1;
            tree.split(leaf, idx, offset + 1);
            leaf = tree.atLeaf;
            idx = tree.atIdx;
        } else {
            idx++;
            right = idAt(leaf, idx);
        }
        int newSeq = local.insClock;
        integrateAt(leaf, idx, local, newSeq, chars, 0, chars.length, left, right, null);
        return Update.ofInsert(local.replica, newSeq, chars,
                replica, seq, false, replicaOf(right), Ids.seq(right), right == Ids.NONE);
    }

    /**
     * The ids of the visible characters {@code pos .. pos+len-1}, in document order, as runs of
     * consecutive ids with nothing between them in the sequence, tombstones included:
     * {@code {replica, seq, length}} each. For the undo manager, which restores each run right
     * after its last character.
     */
    List<long[]> idRuns(int pos, int len) {
        int length = tree.visibleLength();
        if (pos < 0 || len < 0 || pos > length - len) throw new IndexOutOfBoundsException("range " + pos + "+" + len + " outside 0.." + length);
        List<long[]> out = new ArrayList<>();
        if (len == 0) return out;
        tree.locateVisible(pos);
        SpanTree.Leaf leaf = tree.atLeaf;
        int idx = tree.atIdx;
        int offset = tree.atOffset;
        int remaining = len;
        long[] last = null;
        while (remaining > 0) {
            if (idx >= leaf.count) {
                leaf = leaf.next;
                idx = 0;
                continue;
            }
            int spanLen = leaf.lens[idx];
            if (spanLen > 0) {
                int take = Math.min(spanLen - offset, remaining);
                long id = leaf.ids[idx] + offset;
                long replica = agents[Ids.agent(id)].replica;
                int seq = Ids.seq(id);
                if (last != null && last[0] == replica && last[1] + last[2] == seq) last[2] += take;
                else out.add(last = new long[] {replica, seq, take});
                remaining -= take;
            } else {
                last = null; // a run stops at a tombstone: its ids need not be adjacent in the sequence
            }
            offset = 0;
            idx++;
        }
        return out;
    }

    /** Whether character {@code (replica, seq)} is here (visible or deleted). */
    boolean has(long replica, int seq) {
        Agent a = byReplica.get(replica);
        return a != null && seq >= 0 && seq < a.insClock;
    }

    /** The text of characters {@code seq .. seq+len-1} of {@code replica}, deleted ones included. */
    String textOf(long replica, int seq, int len) {
        Agent a = byReplica.get(replica);
        if (a == null || seq < 0 || len < 0 || seq > a.insClock - len) throw new IllegalArgumentException("no characters " + Long.toHexString(replica) + ":" + seq + "+" + len + " here");
        return new String(a.text, seq, len);
    }

    /**
     * The visible index of character {@code (replica, seq)}, or -1 when it is deleted or not
     * here.
     */
    int visibleIndexOf(long replica, int seq) {
        Agent a = byReplica.get(replica);
        if (a == null || seq < 0 || seq >= a.insClock) return -1;
        locate(Ids.pack(a.index, seq));
        SpanTree.Leaf leaf = tree.atLeaf;
        int idx = tree.atIdx;
        if (leaf.lens[idx] < 0) return -1;
        return tree.visibleIndex(leaf, idx) + tree.atOffset;
    }

    // ---------------------------------------------------------------- remote updates

    /**
     * Applies an update from another replica (or this one: applying anything twice is
     * harmless). Operations whose causes have not arrived are held (see {@link #heldRuns()})
     * and applied as soon as they do.
     *
     * @return the changes to the visible text, in order, for a view to patch itself with
     * @throws CrdtFormatException if the update breaks a rule no honest replica breaks, carries
     *     operations of a refused replica (see {@link #refusedReplicas()}), or would make the
     *     held operations exceed the limits of {@link #limitHeld}; the document is then unchanged
     */
    public List<Change> apply(Update update) {
        boolean wasEmpty = tree.totalLength() == 0;
        // Into an empty document, one insertion of the result says it all.
        ChangeList changes = wasEmpty ? null : new ChangeList();
        applyUpdate(update, changes);
        if (changes != null) return changes.finish();
        return tree.visibleLength() == 0 ? List.of() : List.of(new Change(0, 0, text()));
    }

    private void applyUpdate(Update up, ChangeList changes) {
        stamp++;
        Update.Ops update = up.ops();
        int agentsBefore = agentCount;
        int[] map = new int[update.agents.length];
        for (int i = 0; i < map.length; i++) map[i] = agent(update.agents[i]).index;
        try {
            validate(update, map);
            held.checkRefused(update, map);
            held.checkRoom(update, map, agents);
        } catch (CrdtFormatException e) {
            dropAgentsFrom(agentsBefore); // unchanged means no new replica either
            throw e;
        }
        if (update.surrogates) hasAstral = true; // from now on astral characters are counted
        for (int i = 0; i < update.insCount; i++) {
            tryInsert(agents[map[update.insAgent[i]]], update.insSeq[i], update.insLen[i],
                    remap(update.insLeft[i], map), remap(update.insRight[i], map), update.text, update.insTextStart[i], changes);
        }
        for (int i = 0; i < update.delCount; i++) {
            tryDelete(agents[map[update.delAgent[i]]], update.delSeq[i], update.delLen[i],
                    remap(update.delTarget[i], map), update.delBackward[i], changes);
        }
        // Held runs whose cause arrived (with this update, or with a local edit before it).
        for (HeldRuns.Run r; (r = held.nextReady()) != null; ) {
            if (r.isInsert) tryInsert(r.agent, r.seq, r.len, r.left, r.right, r.text, 0, changes);
            else tryDelete(r.agent, r.seq, r.len, r.left, r.backward, changes);
        }
    }

    private void dropAgentsFrom(int count) {
        for (int i = count; i < agentCount; i++) {
            byReplica.remove(agents[i].replica);
            agents[i] = null;
        }
        agentCount = count;
    }

    /** True when some received operations wait for operations that have not arrived: {@code heldRuns() > 0}. */
    public boolean hasPending() {
        return held.runs() > 0;
    }

    /**
     * Number of received runs held because their causes have not arrived (a run: characters
     * one replica typed in a row, or deletions it made in a row). They are not part of
     * {@link #version()}, {@link #updatesSince} or {@link #encode()}; {@link #heldUpdate()}
     * carries them.
     */
    public int heldRuns() {
        return held.runs();
    }

    /** Number of characters in the held insert runs (see {@link #heldRuns()}). */
    public long heldChars() {
        return held.chars();
    }

    /**
     * A count that grows whenever the held runs change (a run held, replaced by a longer one,
     * applied or refused): equal before and after an {@link #apply} that held nothing new, such
     * as a resend of held operations. The counts {@link #heldRuns()} and {@link #heldChars()}
     * can stay equal while the runs change.
     */
    public long heldChanges() {
        return held.changes();
    }

    /**
     * Bounds the held operations: an {@link #apply} after which more than {@code maxRuns} runs
     * or {@code maxChars} characters could be held is refused with {@link CrdtFormatException}
     * and changes nothing. The check is conservative: it counts every run of the update that
     * cannot apply when its turn comes, before held runs it would wake. Defaults: 10,000 runs
     * and 4 Mi characters. Runs held already stay held.
     *
     * @throws IllegalArgumentException if a limit is negative
     */
    public void limitHeld(int maxRuns, long maxChars) {
        held.limit(maxRuns, maxChars);
    }

    /**
     * Every held run in one update: what a store keeps beside {@link #encode()} (which saves
     * only what is applied), to {@link #apply} again after {@link #decode}. Empty when nothing
     * is held.
     */
    public Update heldUpdate() {
        return held.runs() == 0 ? Update.empty() : held.toUpdate();
    }

    /**
     * The replicas whose operations this document refuses, in the order it refused them: a
     * held run of theirs turned out invalid once its causes arrived (it would have split a
     * surrogate pair), so it was dropped with their later held runs, and every update that
     * carries that operation or later ones of the same kind (or depends on them) is refused
     * with {@link CrdtFormatException}. Not saved: a document decoded from a save refuses
     * nothing. Empty for an honest session.
     */
    public long[] refusedReplicas() {
        return held.refusedReplicas();
    }

    /**
     * How many times held runs were woken to be tried again (because a cause of theirs
     * arrived): when an {@link #apply} moves it, the document may have applied operations the
     * update did not carry, which a relay of the update alone would not pass on.
     */
    public long heldWakes() {
        return held.wakes;
    }

    private static long remap(long id, int[] map) {
        return id == Ids.NONE ? Ids.NONE : Ids.pack(map[Ids.agent(id)], Ids.seq(id));
    }

    /** Rejects, before anything changes, an update that would split a pair or rewrite text. */
    private void validate(Update.Ops u, int[] map) {
        boolean surrogates = hasAstral || u.surrogates;
        // The update's runs by (agent, seq), to find its characters without a scan per lookup.
        Integer[] byId = null;
        if (surrogates) {
            byId = new Integer[u.insCount];
            for (int i = 0; i < byId.length; i++) byId[i] = i;
            Arrays.sort(byId, (x, y) -> u.insAgent[x] != u.insAgent[y] ? Integer.compare(u.insAgent[x], u.insAgent[y]) : Integer.compare(u.insSeq[x], u.insSeq[y]));
        }
        long[][] deletedByUpdate = null;
        for (int i = 0; i < u.insCount; i++) {
            Agent a = agents[map[u.insAgent[i]]];
            int seq = u.insSeq[i];
            int known = Math.max(0, Math.min(a.insClock - seq, u.insLen[i]));
            for (int k = 0; k < known; k++) {
                char mine = a.text[seq + k];
                char theirs = u.text[u.insTextStart[i] + k];
                if (mine == theirs) continue;
                // The text of a deleted character may be unknown on either side (see UNKNOWN).
                if (mine == UNKNOWN || theirs == UNKNOWN) {
                    if (deletedHere(Ids.pack(a.index, seq + k))) continue;
                    if (deletedByUpdate == null) deletedByUpdate = deletedRanges(u);
                    if (contains(deletedByUpdate, Ids.pack(u.insAgent[i], seq + k))) continue;
                }
                throw new CrdtFormatException("update gives characters " + Long.toHexString(a.replica) + ":" + seq + " a different text than they have");
            }
            if (known < u.insLen[i] && held.conflicts(a, seq + known, u.text, u.insTextStart[i] + known, u.insLen[i] - known)) {
                throw new CrdtFormatException("update gives characters " + Long.toHexString(a.replica) + ":" + seq + " a different text than held ones have");
            }
            if (surrogates) {
                if (charIs(u, map, byId, u.insLeft[i], true)) throw new CrdtFormatException("insert run " + i + " would split a surrogate pair (left origin)");
                if (charIs(u, map, byId, u.insRight[i], false)) throw new CrdtFormatException("insert run " + i + " would split a surrogate pair (right origin)");
            }
        }
        if (surrogates) {
            for (int i = 0; i < u.delCount; i++) {
                long t = u.delTarget[i];
                int n = u.delLen[i] - 1;
                long lo = u.delBackward[i] ? t - n : t;
                long hi = u.delBackward[i] ? t : t + n;
                if (charIs(u, map, byId, lo, false) || charIs(u, map, byId, hi, true)) throw new CrdtFormatException("delete run " + i + " would split a surrogate pair");
            }
        }
    }

    private boolean deletedHere(long id) {
        locate(id);
        return tree.atLeaf.lens[tree.atIdx] < 0;
    }

    /**
     * The characters an update deletes, ids packed for the update: ranges sorted by first id,
     * as {first ids, running maximum of last ids}. Ids of a lower agent index are all smaller,
     * so one running maximum serves every agent.
     */
    private static long[][] deletedRanges(Update.Ops u) {
        long[][] ranges = new long[u.delCount][];
        for (int i = 0; i < u.delCount; i++) {
            long t = u.delTarget[i];
            long lo = u.delBackward[i] ? t - (u.delLen[i] - 1) : t;
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
    private boolean charIs(Update.Ops u, int[] map, Integer[] byId, long id, boolean high) {
        if (id == Ids.NONE) return false;
        Agent a = agents[map[Ids.agent(id)]];
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

    private boolean known(long id) {
        return id == Ids.NONE || Ids.seq(id) < agents[Ids.agent(id)].insClock;
    }

    /**
     * Integrates characters seq..seq+len-1 of {@code a} (text {@code text[textStart..]}) if
     * their causes are here, holds them if not (the part not here yet). A run that would split
     * a surrogate pair (only a held one can: {@code validate} checks the others) is refused.
     */
    private void tryInsert(Agent a, int seq, int len, long left, long right, char[] text, int textStart, ChangeList changes) {
        int clock = a.insClock;
        if (seq + len <= clock) return; // already here
        if (seq < clock) { // partly here: keep the new tail, whose left origin is the char before it
            int k = clock - seq;
            seq = clock;
            len -= k;
            textStart += k;
            left = Ids.pack(a.index, clock - 1);
        }
        if (seq > clock || !known(left) || !known(right)) {
            held.holdInsert(a, seq, len, left, right, text, textStart);
            return;
        }
        if (hasAstral) {
            if ((left != Ids.NONE && Character.isHighSurrogate(charAt(left))) || (right != Ids.NONE && Character.isLowSurrogate(charAt(right)))) {
                held.refuse(a, true, seq, "characters " + Long.toHexString(a.replica) + ":" + seq + " would split a surrogate pair");
                return;
            }
        }
        integrate(a, seq, text, textStart, len, left, right, changes);
    }

    private char charAt(long id) {
        return agents[Ids.agent(id)].text[Ids.seq(id)];
    }

    /**
     * Applies deletions seq..seq+len-1 of {@code a} (the first deleting {@code first}) if their
     * causes are here, holds them if not; refuses a held one that would split a surrogate pair.
     */
    private void tryDelete(Agent a, int seq, int len, long first, boolean backward, ChangeList changes) {
        int clock = a.delClock;
        if (seq + len <= clock) return;
        if (seq < clock) {
            int k = clock - seq;
            seq = clock;
            len -= k;
            first = backward ? first - k : first + k;
        }
        long lo = backward ? first - (len - 1) : first;
        long hi = lo + len - 1;
        if (seq > clock || !known(hi)) {
            held.holdDelete(a, seq, len, first, backward);
            return;
        }
        if (hasAstral && (Character.isLowSurrogate(charAt(lo)) || Character.isHighSurrogate(charAt(hi)))) {
            held.refuse(a, false, seq, "deletions " + Long.toHexString(a.replica) + ":" + seq + " would split a surrogate pair");
            return;
        }
        deleteRange(lo, len, changes);
        logDelete(a, seq, len, first, backward);
    }

    /** Marks the characters {@code lo .. lo+len-1} deleted (already deleted ones stay so). */
    private void deleteRange(long lo, int len, ChangeList changes) {
        Agent target = agents[Ids.agent(lo)];
        long end = lo + len;
        long id = lo;
        while (id < end) {
            SpanTree.Leaf leaf = tree.leaves.get(target.leafOf[Ids.seq(id)]);
            tree.locateIn(leaf, id);
            int idx = tree.atIdx;
            int offset = tree.atOffset;
            int spanLen = leaf.lens[idx];
            int abs = Math.abs(spanLen);
            int take = (int) Math.min(abs - offset, end - id);
            if (spanLen > 0) {
                if (offset > 0) {
                    tree.split(leaf, idx, offset);
                    leaf = tree.atLeaf;
                    idx = tree.atIdx;
                }
                if (take < abs - offset) {
                    tree.split(leaf, idx, take);
                    SpanTree.Leaf rightLeaf = tree.atLeaf;
                    int rightIdx = tree.atIdx;
                    if (rightIdx > 0) {
                        leaf = rightLeaf;
                        idx = rightIdx - 1;
                    } else {
                        leaf = rightLeaf.prev;
                        idx = leaf.count - 1;
                    }
                }
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
    private int markDeleted(SpanTree.Leaf leaf, int idx) {
        int len = leaf.lens[idx];
        int astral = hasAstral ? countAstral(agents[Ids.agent(leaf.ids[idx])].text, Ids.seq(leaf.ids[idx]), len) : 0;
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
        return next == prev + 1 && originLeft(next) == prev;
    }

    /**
     * Integrates characters {@code seq..seq+len-1} of {@code a}, whose origins are known, at the
     * place FugueMax gives them.
     */
    private void integrate(Agent a, int seq, char[] text, int textStart, int len, long left, long right, ChangeList changes) {
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
        integrateAt(leaf, idx, a, seq, text, textStart, len, left, right, changes);
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
            long oLeft = originLeft(o);
            long oRight = originRight(o);
            int oLeftPos = oLeft == Ids.NONE ? -1 : position(oLeft);
            if (oLeftPos < leftPos) break;
            if (oLeftPos == leftPos) {
                int oRightPos = oRight == Ids.NONE ? tree.totalLength() : position(oRight);
                if (oRightPos < rightPos) {
                    scanning = true;
                } else if (oRightPos == rightPos) {
                    if (Long.compareUnsigned(a.replica, agents[Ids.agent(o)].replica) < 0) break;
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
    private void integrateAt(SpanTree.Leaf leaf, int idx, Agent a, int seq, char[] text, int textStart, int len,
                             long left, long right, ChangeList changes) {
        // Prefer the end of the previous leaf to the start of this one, so the span typed just
        // before can grow.
        if (idx == 0 && leaf.prev != null) {
            leaf = leaf.prev;
            idx = leaf.count;
        }
        a.ensureChars(seq + len);
        System.arraycopy(text, textStart, a.text, seq, len);
        a.insClock = seq + len;
        held.advanced(a);
        int astral = 0;
        if (hasAstral) astral = countAstral(text, textStart, len);
        if (changes != null) changes.insert(tree.visibleIndex(leaf, idx), text, textStart, len);
        long id = Ids.pack(a.index, seq);
        int prev = idx - 1;
        if (prev >= 0 && leaf.lens[prev] > 0 && leaf.ids[prev] + leaf.lens[prev] == id && left == id - 1) {
            placedLeaf = leaf;
            placedIdx = prev;
            leaf.lens[prev] += len;
            int[] leafOf = a.leafOf;
            int number = leaf.number;
            for (int i = seq, end = seq + len; i < end; i++) leafOf[i] = number;
            tree.addCounts(leaf, len, len, astral);
        } else {
            tree.insertNew(leaf, idx, id, len, astral);
            placedLeaf = tree.atLeaf;
            placedIdx = tree.atIdx;
        }
        logInsert(a, seq, len, left, right);
    }

    private void logInsert(Agent a, int seq, int len, long left, long right) {
        if (a.runCount > 0) {
            int r = a.runs[a.runCount - 1];
            if (runSeq[r] + runLen[r] == seq && left == Ids.pack(a.index, seq - 1) && runRight[r] == right) {
                runLen[r] += len;
                return;
            }
        }
        if (runCount == runAgent.length) {
            int n = runCount * 2;
            runAgent = Arrays.copyOf(runAgent, n);
            runSeq = Arrays.copyOf(runSeq, n);
            runLen = Arrays.copyOf(runLen, n);
            runLeft = Arrays.copyOf(runLeft, n);
            runRight = Arrays.copyOf(runRight, n);
        }
        runAgent[runCount] = a.index;
        runSeq[runCount] = seq;
        runLen[runCount] = len;
        runLeft[runCount] = left;
        runRight[runCount] = right;
        a.addRun(runCount);
        runCount++;
    }

    private void logDelete(Agent a, int seq, int len, long target, boolean backward) {
        a.delClock = seq + len;
        held.advanced(a);
        if (a.delCount > 0) {
            int r = a.dels[a.delCount - 1];
            if (delSeq[r] + delLen[r] == seq && Ids.agent(delTarget[r]) == Ids.agent(target)) {
                int grows = Update.growsDeleteRun(Ids.seq(delTarget[r]), delLen[r], delBackward[r], Ids.seq(target), len, backward);
                if (grows != Update.NO) {
                    delBackward[r] = grows == Update.BACKWARD;
                    delLen[r] += len;
                    return;
                }
            }
        }
        if (delCount == delAgent.length) {
            int n = delCount * 2;
            delAgent = Arrays.copyOf(delAgent, n);
            delSeq = Arrays.copyOf(delSeq, n);
            delLen = Arrays.copyOf(delLen, n);
            delTarget = Arrays.copyOf(delTarget, n);
            delBackward = Arrays.copyOf(delBackward, n);
        }
        delAgent[delCount] = a.index;
        delSeq[delCount] = seq;
        delLen[delCount] = len;
        delTarget[delCount] = target;
        delBackward[delCount] = backward && len > 1;
        a.addDel(delCount);
        delCount++;
    }

    // ---------------------------------------------------------------- ids, origins, positions

    /** Finds character {@code id}: sets tree.atLeaf/atIdx/atOffset. */
    private void locate(long id) {
        tree.locateIn(tree.leaves.get(agents[Ids.agent(id)].leafOf[Ids.seq(id)]), id);
    }

    /** Index of character {@code id} among all characters, tombstones included. */
    private int position(long id) {
        locate(id);
        return tree.totalIndex(tree.atLeaf, tree.atIdx) + tree.atOffset;
    }

    /** Id of the first character of span {@code idx} of {@code leaf} (or the next leaf), or NONE at the end. */
    private static long idAt(SpanTree.Leaf leaf, int idx) {
        if (idx >= leaf.count) {
            leaf = leaf.next;
            idx = 0;
            if (leaf == null || leaf.count == 0) return Ids.NONE;
        }
        return leaf.ids[idx];
    }

    /** Id of the last character before span {@code idx} of {@code leaf}, or NONE at the start. */
    private static long lastIdBefore(SpanTree.Leaf leaf, int idx) {
        if (idx == 0) {
            leaf = leaf.prev;
            if (leaf == null) return Ids.NONE;
            idx = leaf.count;
        }
        return leaf.ids[idx - 1] + Math.abs(leaf.lens[idx - 1]) - 1;
    }

    /** The run of the log that holds character {@code id}. */
    private int runOf(long id) {
        Agent a = agents[Ids.agent(id)];
        int seq = Ids.seq(id);
        int last = lastRun;
        if (last < runCount && runAgent[last] == a.index && seq >= runSeq[last] && seq < runSeq[last] + runLen[last]) return last;
        lastRun = last = findRun(a, seq);
        return last;
    }

    private int findRun(Agent a, int seq) {
        int lo = 0;
        int hi = a.runCount - 1;
        while (lo < hi) {
            int mid = (lo + hi + 1) >>> 1;
            if (runSeq[a.runs[mid]] <= seq) lo = mid;
            else hi = mid - 1;
        }
        return a.runs[lo];
    }

    private long originLeft(long id) {
        int r = runOf(id);
        return Ids.seq(id) == runSeq[r] ? runLeft[r] : id - 1;
    }

    private long originRight(long id) {
        return runRight[runOf(id)];
    }

    private long replicaOf(long id) {
        return id == Ids.NONE ? 0 : agents[Ids.agent(id)].replica;
    }

    private Agent agent(long replica) {
        // Documents have few replicas: a scan beats boxing a Long for the map.
        if (agentCount <= 8) {
            for (int i = 0; i < agentCount; i++) if (agents[i].replica == replica) return agents[i];
        } else {
            Agent a = byReplica.get(replica);
            if (a != null) return a;
        }
        Agent a;
        if (agentCount == agents.length) agents = Arrays.copyOf(agents, agentCount * 2);
        a = new Agent(replica, agentCount);
        agents[agentCount++] = a;
        byReplica.put(replica, a);
        return a;
    }

    // ---------------------------------------------------------------- versions and sync

    /** What this document holds: per replica, its characters and deletions applied here. */
    public Version version() {
        long[] ids = new long[agentCount];
        int[] ins = new int[agentCount];
        int[] del = new int[agentCount];
        for (int i = 0; i < agentCount; i++) {
            ids[i] = agents[i].replica;
            ins[i] = agents[i].insClock;
            del[i] = agents[i].delClock;
        }
        return Version.of(ids, ins, del, agentCount);
    }

    /**
     * Everything this document holds that a replica at {@code version} lacks. Held runs (see
     * {@link #heldRuns()}) are not included: they are not part of {@link #version()}, and the
     * other replica could not apply them either.
     */
    public Update updatesSince(Version version) {
        return Update.of(opsSince(version, new int[agentCount]));
    }

    /**
     * The operations a replica at {@code version} lacks, as arrays, in log order (a causal
     * order). Fills {@code agentMap} with each agent's index in the result's agent table (-1:
     * not in it).
     */
    private Update.Ops opsSince(Version version, int[] agentMap) {
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
        int ins = 0;
        int chars = 0;
        for (int r = 0; r < runCount; r++) {
            int a = runAgent[r];
            int from = Math.max(runSeq[r], haveIns[a]);
            int end = runSeq[r] + runLen[r];
            if (from >= end) continue;
            ins++;
            chars += end - from;
            used[a] = true;
            if (from == runSeq[r] && runLeft[r] != Ids.NONE) used[Ids.agent(runLeft[r])] = true;
            if (runRight[r] != Ids.NONE) used[Ids.agent(runRight[r])] = true;
        }
        int dels = 0;
        for (int r = 0; r < delCount; r++) {
            int a = delAgent[r];
            if (Math.max(delSeq[r], haveDel[a]) >= delSeq[r] + delLen[r]) continue;
            dels++;
            used[a] = true;
            used[Ids.agent(delTarget[r])] = true;
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
        int[] insAgent = new int[ins];
        int[] insSeq = new int[ins];
        int[] insLen = new int[ins];
        long[] insLeft = new long[ins];
        long[] insRight = new long[ins];
        int[] insTextStart = new int[ins];
        char[] text = new char[chars];
        int i = 0;
        int t = 0;
        for (int r = 0; r < runCount; r++) {
            int a = runAgent[r];
            int seq = runSeq[r];
            int from = Math.max(seq, haveIns[a]);
            int end = seq + runLen[r];
            if (from >= end) continue;
            insAgent[i] = agentMap[a];
            insSeq[i] = from;
            insLen[i] = end - from;
            insLeft[i] = from == seq ? remap(runLeft[r], agentMap) : Ids.pack(agentMap[a], from - 1);
            insRight[i] = remap(runRight[r], agentMap);
            insTextStart[i] = t;
            System.arraycopy(agents[a].text, from, text, t, end - from);
            t += end - from;
            i++;
        }
        int[] dAgent = new int[dels];
        int[] dSeq = new int[dels];
        int[] dLen = new int[dels];
        long[] dTarget = new long[dels];
        boolean[] dBackward = new boolean[dels];
        i = 0;
        for (int r = 0; r < delCount; r++) {
            int a = delAgent[r];
            int seq = delSeq[r];
            int from = Math.max(seq, haveDel[a]);
            int end = seq + delLen[r];
            if (from >= end) continue;
            int k = from - seq;
            dAgent[i] = agentMap[a];
            dSeq[i] = from;
            dLen[i] = end - from;
            dTarget[i] = remap(delBackward[r] ? delTarget[r] - k : delTarget[r] + k, agentMap);
            dBackward[i] = delBackward[r] && end - from > 1;
            i++;
        }
        return new Update.Ops(Arrays.copyOf(table, n), ins, insAgent, insSeq, insLen, insLeft, insRight, insTextStart,
                text, dels, dAgent, dSeq, dLen, dTarget, dBackward);
    }

    /**
     * The whole document in the binary form of {@code crdt/FORMAT.md}: every operation it holds
     * plus the order of its characters, so {@link #decode} can rebuild it without integrating.
     * Works while runs are held, and leaves them out: keep {@link #heldUpdate()} beside it.
     */
    public byte[] encode() {
        int[] agentMap = new int[agentCount];
        Update.Ops history = opsSince(Version.EMPTY, agentMap);
        // Only the visible text, in document order: the text of deleted characters is dropped.
        Update.Ops ops = history.withText(text().toCharArray());
        ByteWriter body = Codec.writeOps(ops, ops.text.length + 64 + ops.insCount * 8 + ops.delCount * 8 + tree.leaves.size() * 64 * 4);
        // The order: every character, tombstones included, left to right, as pieces (see
        // Pieces), after the boundaries the pieces rule does not find by itself.
        Pieces pieces = new Pieces(history);
        int[] extraAgent = new int[16];
        int[] extraSeq = new int[16];
        int extras = 0;
        int runs = 0;
        long[] runIds = new long[spanCount()];
        int[] runLens = new int[runIds.length];
        for (SpanTree.Leaf leaf = tree.first; leaf != null; leaf = leaf.next) {
            for (int k = 0; k < leaf.count; k++) {
                long id = leaf.ids[k];
                int len = Math.abs(leaf.lens[k]);
                if (runs > 0 && runIds[runs - 1] + runLens[runs - 1] == id) {
                    runLens[runs - 1] += len;
                } else {
                    runIds[runs] = id;
                    runLens[runs++] = len;
                }
            }
        }
        for (int k = 0; k < runs; k++) {
            int a = agentMap[Ids.agent(runIds[k])];
            int seq = Ids.seq(runIds[k]);
            for (int at : new int[] {seq, seq + runLens[k]}) {
                if (!pieces.mark(a, at)) {
                    if (extras == extraAgent.length) {
                        extraAgent = Arrays.copyOf(extraAgent, extras * 2);
                        extraSeq = Arrays.copyOf(extraSeq, extras * 2);
                    }
                    extraAgent[extras] = a;
                    extraSeq[extras++] = at;
                }
            }
        }
        pieces.index();
        body.writeVarInt(extras);
        for (int k = 0; k < extras; k++) body.writeVarInt(extraAgent[k]);
        for (int k = 0; k < extras; k++) body.writeVarInt(extraSeq[k]);
        body.writeVarInt(pieces.count);
        int prev = -1;
        for (int k = 0; k < runs; k++) {
            int a = agentMap[Ids.agent(runIds[k])];
            int seq = Ids.seq(runIds[k]);
            int end = seq + runLens[k];
            for (int p = pieces.indexOf(a, seq); ; p++) {
                body.writeSignedVarLong((long) p - prev - 1);
                prev = p;
                if (pieces.end(a, p) >= end) break;
            }
        }
        return Codec.frame(Codec.KIND_DOCUMENT, body);
    }

    /**
     * Reads a document written by {@link #encode()}, as a new replica with a random id.
     *
     * @throws CrdtFormatException if the bytes are not a valid, complete document
     */
    public static Doc decode(byte[] bytes) {
        return decode(bytes, randomReplicaId());
    }

    /**
     * Reads a document written by {@link #encode()} and goes on editing it as
     * {@code replicaId}: how a replica reopens its own saved state. Also accepts an update
     * that builds a whole document from nothing ({@code updatesSince(Version.EMPTY)}).
     *
     * @throws CrdtFormatException if the bytes are not a valid, complete document
     */
    public static Doc decode(byte[] bytes, long replicaId) {
        Codec.Body body = Codec.openBody(bytes, Codec.DEFAULT_MAX_BODY);
        Update.Ops ops = Codec.readOps(body.reader(), body.kind() == Codec.KIND_DOCUMENT);
        Doc doc = new Doc(replicaId);
        if (body.kind() == Codec.KIND_DOCUMENT) {
            doc.load(ops, body.reader());
        } else {
            body.expectEnd();
            doc.applyUpdate(Update.of(ops), null);
        }
        if (doc.hasPending()) throw new CrdtFormatException("document refers to characters or deletions it does not contain");
        return doc;
    }

    /**
     * Builds this (new, empty) document from a complete history and the order of its
     * characters, checking that the two agree: every character placed exactly once, deleted
     * exactly when a deletion names it.
     */
    private void load(Update.Ops ops, ByteReader order) {
        int[] map = new int[ops.agents.length];
        for (int i = 0; i < map.length; i++) map[i] = agent(ops.agents[i]).index;
        if (ops.surrogates) hasAstral = true;
        Codec.checkGapFree(ops);
        // Only now, with every seq bounded by the characters the body counts (at most
        // Codec.MAX_CHARS), is anything allocated per character.
        Pieces pieces = new Pieces(ops);
        for (int i = 0; i < map.length; i++) agents[map[i]].ensureChars(pieces.clock[i]); // once, not per run
        for (int i = 0; i < ops.insCount; i++) {
            Agent a = agents[map[ops.insAgent[i]]];
            int seq = ops.insSeq[i];
            int len = ops.insLen[i];
            Arrays.fill(a.text, seq, seq + len, UNKNOWN); // visible text is placed below
            a.insClock = seq + len;
            logInsert(a, seq, len, remap(ops.insLeft[i], map), remap(ops.insRight[i], map));
        }
        for (int r = 0; r < runCount; r++) {
            if (!known(runLeft[r]) || !known(runRight[r])) throw new CrdtFormatException("document refers to characters it does not contain");
        }
        // Every character's leaf starts unknown (-1); deleted characters get marked -2 first.
        for (int i = 0; i < agentCount; i++) Arrays.fill(agents[i].leafOf, 0, agents[i].insClock, -1);
        for (int i = 0; i < ops.delCount; i++) {
            Agent a = agents[map[ops.delAgent[i]]];
            int seq = ops.delSeq[i];
            int len = ops.delLen[i];
            long first = remap(ops.delTarget[i], map);
            long lo = ops.delBackward[i] ? first - (len - 1) : first;
            Agent target = agents[Ids.agent(lo)];
            Arrays.fill(target.leafOf, Ids.seq(lo), Ids.seq(lo) + len, -2);
            logDelete(a, seq, len, first, ops.delBackward[i]);
        }
        int extras = order.readCount(2);
        int[] extraAgent = new int[extras];
        for (int k = 0; k < extras; k++) {
            extraAgent[k] = order.readVarInt();
            if (extraAgent[k] >= map.length) throw new CrdtFormatException("order boundary " + k + " names replica #" + extraAgent[k] + " but only " + map.length + " are listed");
        }
        for (int k = 0; k < extras; k++) pieces.mark(extraAgent[k], order.readVarInt());
        pieces.index();
        int count = order.readCount(1);
        if (count != pieces.count) throw new CrdtFormatException("the order lists " + count + " pieces, the operations make " + pieces.count);
        boolean[] used = new boolean[count];
        long placed = 0;
        int textAt = 0;
        long[] ids = new long[Math.max(16, count)];
        int[] lens = new int[ids.length];
        int spans = 0;
        long prev = -1;
        for (int k = 0; k < count; k++) {
            long p = prev + 1 + order.readSignedVarLong();
            if (p < 0 || p >= count || used[(int) p]) throw new CrdtFormatException("the order names piece " + p + " out of range or twice");
            used[(int) p] = true;
            prev = p;
            int ua = pieces.agentOf((int) p);
            Agent a = agents[map[ua]];
            int from0 = pieces.start(ua, (int) p);
            int to = pieces.end(ua, (int) p);
            int[] leafOf = a.leafOf;
            // Split the piece into spans where deleted turns to visible or back.
            for (int from = from0; from < to; ) {
                int mark = leafOf[from];
                int end = from;
                while (end < to && leafOf[end] == mark) leafOf[end++] = 0;
                boolean deleted = mark == -2;
                int n = end - from;
                if (!deleted) {
                    if (textAt + n > ops.text.length) throw new CrdtFormatException("the visible text is shorter than the visible characters");
                    System.arraycopy(ops.text, textAt, a.text, from, n);
                    textAt += n;
                    if (hasAstral && (Character.isLowSurrogate(a.text[from]) || Character.isHighSurrogate(a.text[end - 1]))) {
                        throw new CrdtFormatException("piece " + p + " splits a surrogate pair");
                    }
                }
                if (spans > 0 && ids[spans - 1] + Math.abs(lens[spans - 1]) == Ids.pack(a.index, from) && (lens[spans - 1] < 0) == deleted) {
                    lens[spans - 1] += deleted ? -n : n; // pieces in a row that continue each other
                } else {
                    if (spans == ids.length) {
                        ids = Arrays.copyOf(ids, spans * 2);
                        lens = Arrays.copyOf(lens, spans * 2);
                    }
                    ids[spans] = Ids.pack(a.index, from);
                    lens[spans++] = deleted ? -n : n;
                }
                from = end;
            }
            placed += to - from0;
        }
        order.expectEnd();
        long chars = 0;
        for (int i = 0; i < agentCount; i++) chars += agents[i].insClock;
        if (placed != chars) throw new CrdtFormatException("the order places " + placed + " of " + chars + " characters");
        if (textAt != ops.text.length) throw new CrdtFormatException("the visible text is longer than the visible spans");
        tree.bulkLoad(ids, lens, spans);
    }

    // ---------------------------------------------------------------- anchors

    /**
     * A sticky position for {@code pos}: it stays between the same characters while others
     * edit. With {@link Bias#LEFT} it holds on to the character before {@code pos}, with
     * {@link Bias#RIGHT} to the one after it.
     */
    public Anchor anchor(int pos, Bias bias) {
        int length = tree.visibleLength();
        if (pos < 0 || pos > length) throw new IndexOutOfBoundsException("anchor position " + pos + " outside 0.." + length);
        int charIndex = bias == Bias.LEFT ? pos - 1 : pos;
        if (charIndex < 0) return Anchor.START;
        if (charIndex >= length) return Anchor.END;
        tree.locateVisible(charIndex);
        long id = tree.atLeaf.ids[tree.atIdx] + tree.atOffset;
        return new Anchor(agents[Ids.agent(id)].replica, Ids.seq(id), bias);
    }

    /**
     * Where {@code anchor} is now. A deleted character still anchors: the position is where
     * its tombstone sits. Returns -1 if this replica has not received that character yet.
     */
    public int resolve(Anchor anchor) {
        if (anchor.isEdge()) return anchor.bias() == Bias.LEFT ? 0 : tree.visibleLength();
        Agent a = byReplica.get(anchor.replicaId());
        if (a == null || anchor.seq() >= a.insClock) return -1;
        locate(Ids.pack(a.index, anchor.seq()));
        SpanTree.Leaf leaf = tree.atLeaf;
        int idx = tree.atIdx;
        int before = tree.visibleIndex(leaf, idx);
        boolean visible = leaf.lens[idx] > 0;
        if (visible) before += tree.atOffset;
        return anchor.bias() == Bias.LEFT && visible ? before + 1 : before;
    }

    // ---------------------------------------------------------------- code points

    /**
     * The UTF-16 index of the {@code codePoints}-th code point, for text measured in code
     * points (such as the editing traces).
     */
    public int codePointToIndex(int codePoints) {
        int length = tree.visibleLength();
        if (!hasAstral) {
            if (codePoints < 0 || codePoints > length) throw new IndexOutOfBoundsException("code point " + codePoints + " outside 0.." + length);
            return codePoints;
        }
        int total = length - tree.root.astral;
        if (codePoints < 0 || codePoints > total) throw new IndexOutOfBoundsException("code point " + codePoints + " outside 0.." + total);
        if (codePoints == total) return length;
        int index = 0;
        SpanTree.Node node = tree.root;
        int cp = codePoints;
        while (node instanceof SpanTree.Branch b) {
            int i = 0;
            for (; i < b.count - 1; i++) {
                SpanTree.Node k = b.kids[i];
                int c = k.visible - k.astral;
                if (cp < c) break;
                cp -= c;
                index += k.visible;
            }
            node = b.kids[i];
        }
        SpanTree.Leaf leaf = (SpanTree.Leaf) node;
        for (int i = 0; i < leaf.count; i++) {
            int len = leaf.lens[i];
            if (len <= 0) continue;
            char[] text = agents[Ids.agent(leaf.ids[i])].text;
            int s = Ids.seq(leaf.ids[i]);
            for (int j = 0; j < len; j++) {
                if (cp == 0) return index;
                if (Character.isHighSurrogate(text[s + j])) {
                    j++;
                    index++;
                }
                index++;
                cp--;
            }
        }
        return index;
    }

    /** The number of code points before UTF-16 index {@code index}. */
    public int indexToCodePoint(int index) {
        int length = tree.visibleLength();
        if (index < 0 || index > length) throw new IndexOutOfBoundsException("index " + index + " outside 0.." + length);
        if (!hasAstral) return index;
        if (index == length) return length - tree.root.astral;
        int cp = 0;
        SpanTree.Node node = tree.root;
        int rest = index;
        while (node instanceof SpanTree.Branch b) {
            int i = 0;
            for (; i < b.count - 1; i++) {
                SpanTree.Node k = b.kids[i];
                if (rest < k.visible) break;
                rest -= k.visible;
                cp += k.visible - k.astral;
            }
            node = b.kids[i];
        }
        SpanTree.Leaf leaf = (SpanTree.Leaf) node;
        for (int i = 0; i < leaf.count && rest > 0; i++) {
            int len = leaf.lens[i];
            if (len <= 0) continue;
            char[] text = agents[Ids.agent(leaf.ids[i])].text;
            int s = Ids.seq(leaf.ids[i]);
            for (int j = 0; j < len && rest > 0; j++) {
                if (!Character.isLowSurrogate(text[s + j])) cp++;
                rest--;
            }
        }
        return cp;
    }

    // ---------------------------------------------------------------- helpers

    private boolean splitsPair(int pos) {
        tree.locateVisible(pos);
        char after = charAt(tree.atLeaf.ids[tree.atIdx] + tree.atOffset);
        return Character.isLowSurrogate(after);
    }

    /** Rejects unpaired surrogates; returns whether there are (paired) ones. */
    private static boolean checkWellFormed(char[] chars) {
        boolean any = false;
        for (int i = 0; i < chars.length; i++) {
            char c = chars[i];
            if (Character.isHighSurrogate(c)) {
                if (i + 1 < chars.length && Character.isLowSurrogate(chars[i + 1])) {
                    i++;
                    any = true;
                    continue;
                }
                throw new IllegalArgumentException("unpaired high surrogate at " + i);
            }
            if (Character.isLowSurrogate(c)) throw new IllegalArgumentException("unpaired low surrogate at " + i);
        }
        return any;
    }

    private static int countAstral(char[] text, int off, int len) {
        int n = 0;
        for (int i = off, end = off + len; i < end; i++) {
            if (Character.isHighSurrogate(text[i])) n++;
        }
        return n;
    }

    /** Internal invariants: cached counts, links, the id index. For tests. */
    void checkInvariants() {
        tree.checkInvariants();
        for (SpanTree.Leaf leaf = tree.first; leaf != null; leaf = leaf.next) {
            for (int i = 0; i < leaf.count; i++) {
                long id = leaf.ids[i];
                Agent a = agents[Ids.agent(id)];
                for (int k = 0; k < Math.abs(leaf.lens[i]); k++) {
                    if (a.leafOf[Ids.seq(id) + k] != leaf.number) throw new IllegalStateException("id index out of step at " + Long.toHexString(id + k));
                }
            }
        }
        int chars = 0;
        for (int i = 0; i < agentCount; i++) chars += agents[i].insClock;
        if (chars != tree.totalLength()) throw new IllegalStateException("tree holds " + tree.totalLength() + " characters, agents " + chars);
    }

    /**
     * Every character in document order, tombstones included, as "replica:seq" (replica in hex)
     * with "-" appended for a deleted one. For tests that compare against a naive model.
     */
    List<String> idSequence() {
        ArrayList<String> out = new ArrayList<>(tree.totalLength());
        for (SpanTree.Leaf leaf = tree.first; leaf != null; leaf = leaf.next) {
            for (int i = 0; i < leaf.count; i++) {
                long id = leaf.ids[i];
                String replica = Long.toHexString(agents[Ids.agent(id)].replica) + ":";
                String deleted = leaf.lens[i] < 0 ? "-" : "";
                for (int k = 0; k < Math.abs(leaf.lens[i]); k++) out.add(replica + (Ids.seq(id) + k) + deleted);
            }
        }
        return out;
    }

    /** Number of spans in the tree (tombstones included). For tests and benchmarks. */
    int spanCount() {
        int n = 0;
        for (SpanTree.Leaf leaf = tree.first; leaf != null; leaf = leaf.next) n += leaf.count;
        return n;
    }

    /** Collects changes, joining an insertion onto the one just before it. */
    private static final class ChangeList {
        final ArrayList<Change> list = new ArrayList<>(4);
        private int openIndex = -1; // the insertion still growing, not yet in the list
        private final StringBuilder openText = new StringBuilder();

        void insert(int index, char[] text, int off, int len) {
            if (openIndex >= 0 && index == openIndex + openText.length()) {
                openText.append(text, off, len);
                return;
            }
            flush();
            openIndex = index;
            openText.append(text, off, len);
        }

        void delete(int index, int len) {
            flush();
            list.add(new Change(index, len, ""));
        }

        List<Change> finish() {
            flush();
            return list;
        }

        private void flush() {
            if (openIndex >= 0) {
                list.add(new Change(openIndex, 0, openText.toString()));
                openIndex = -1;
                openText.setLength(0);
            }
        }
    }
}
