package dev.tandem.crdt;

import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.LongSupplier;

/**
 * One replica of a shared text document: a sequence CRDT in which concurrent edits made
 * anywhere, delivered in any order and any number of times, end in the same text everywhere.
 *
 * <p>Every inserted character gets an id (replica id, seq) and remembers its neighbours at the
 * time it was typed (its left and right origins); deleted characters stay as tombstones. Where
 * several replicas insert at the same place, the order follows FugueMax ("YjsMod", Weidner &amp;
 * Kleppmann, "The Art of the Fugue"), which never interleaves two people's concurrent typing,
 * forwards or backwards. Deleted characters keep their text and every run its time, so the past
 * can be read off the present ({@link #textAt}, {@link #diff}, {@link #sessions}). See
 * {@code crdt/FORMAT.md} for the model, the structures and the bytes.
 *
 * <p>Not thread-safe: one thread owns a {@code Doc}. Positions and lengths are UTF-16 code
 * units, as in {@link String} and JavaFX; no edit may split a surrogate pair.
 */
public final class Doc {
    private static final SecureRandom RANDOM = new SecureRandom();

    private final Agent local;
    // Every replica this document has met, by agent index (the first half of a packed id).
    Agent[] agents = new Agent[4];
    private final ReplicaIndex replicas = new ReplicaIndex();
    final SpanTree tree;
    // Whether an astral character (a surrogate pair) was ever met: only then are they counted.
    boolean hasAstral;

    final RunLog log = new RunLog(this);
    final Integration integration;
    // Received runs whose causes have not arrived yet (see HeldRuns), ids packed for this document.
    final HeldRuns held = new HeldRuns(i -> agents[i]);
    // Marks and paragraph attributes.
    final Formatting formatting = new Formatting(this);

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

    /** The largest leaf number an agent's id index keeps in a char (Agent.leafOf). */
    private final int narrowLeafNumbers;

    // Seconds since the epoch, for the times of local edits and to clamp received ones; null:
    // CoarseClock (read directly: the hot path of typing reads it on every keystroke).
    private LongSupplier clock;

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
        // Tests with tiny nodes make many leaves: they also store leaf numbers as ints early,
        // so both forms of the id index are exercised (see Agent.leafOf).
        this.narrowLeafNumbers = leafCap == SpanTree.LEAF_CAP ? Character.MAX_VALUE : 16;
        this.tree = new SpanTree(new SpanTree.Owner() {
            @Override
            public void moved(long id, int len, SpanTree.Leaf leaf) {
                int seq = Ids.seq(id);
                agents[Ids.agent(id)].setLeaf(seq, seq + len, leaf.number);
            }

            @Override
            public int astralIn(long id, int len) {
                return CodePoints.countAstral(agents[Ids.agent(id)].text, Ids.seq(id), len);
            }

            @Override
            public boolean hasAstral() {
                return hasAstral;
            }
        }, leafCap, branchCap);
        this.integration = new Integration(this, tree, log);
        this.local = agent(replicaId);
    }

    static long randomReplicaId() {
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
        if (CodePoints.checkWellFormed(chars)) hasAstral = true;
        if (typingStamp == stamp && pos == typingPos) return keepTyping(chars);
        if (hasAstral && pos > 0 && pos < length && CodePoints.splitsPair(this, pos)) throw new IllegalArgumentException("insert position " + pos + " splits a surrogate pair");

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
            if (formatting.hasBeforeAnchors()) {
                // Normally the text goes after the tombstones before the p-th visible character.
                // Where marked text was deleted, that would put it inside the mark (a "ghost"
                // mark, Peritext issue #32): go before the first tombstone of the gap that holds
                // a mark end on its before side (Loro's rule: before any tombstone holding a
                // mark's start; a growing mark's end is one too, and then the text joins it).
                SpanTree.Leaf gl = leaf;
                int gi = idx;
                while (true) { // back to the gap's first tombstone span
                    SpanTree.Leaf pl = gl;
                    int pi = gi - 1;
                    if (pi < 0) {
                        pl = gl.prev;
                        if (pl == null || pl.count == 0) break;
                        pi = pl.count - 1;
                    }
                    if (pl.lens[pi] >= 0) break;
                    gl = pl;
                    gi = pi;
                }
                gap:
                while (!(gl == leaf && gi == idx)) {
                    if (gi >= gl.count) {
                        gl = gl.next;
                        gi = 0;
                        continue;
                    }
                    long first = gl.ids[gi];
                    int n = -gl.lens[gi];
                    for (int k = 0; k < n; k++) {
                        if (formatting.isBeforeAnchor(first + k)) {
                            if (k > 0) {
                                tree.split(gl, gi, k);
                                gl = tree.atLeaf;
                                gi = tree.atIdx;
                            }
                            leaf = gl;
                            idx = gi;
                            break gap;
                        }
                    }
                    gi++;
                }
            }
            right = idx < leaf.count ? leaf.ids[idx] : Ids.NONE;
            left = Integration.lastIdBefore(leaf, idx);
        }
        int seq = local.insClock;
        long time = now();
        integration.integrateAt(leaf, idx, local, seq, chars, 0, chars.length, left, right, time, null);
        // The span that now ends with these characters is where the next keystroke goes.
        typingStamp = stamp;
        typingPos = pos + chars.length;
        typingLeaf = integration.placedLeaf;
        typingIdx = integration.placedIdx;
        typingRight = right;
        return Update.ofInsert(local.replica, seq, chars,
                replicaOf(left), Ids.seq(left), left == Ids.NONE, replicaOf(right), Ids.seq(right), right == Ids.NONE, time);
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
        local.setLeaf(seq, seq + len, leaf.number);
        tree.addCounts(leaf, len, len, hasAstral ? CodePoints.countAstral(chars, 0, len) : 0);
        long time = now();
        log.logInsert(local, seq, len, id - 1, typingRight, time);
        typingPos += len;
        long right = typingRight;
        return Update.ofInsert(local.replica, seq, chars, local.replica, seq - 1, false,
                replicaOf(right), Ids.seq(right), right == Ids.NONE, time);
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
        long time = now();
        if (hasAstral && ((pos > 0 && CodePoints.splitsPair(this, pos)) || (pos + len < length && CodePoints.splitsPair(this, pos + len)))) {
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
            spanLen = Math.min(spanLen - offset, remaining);
            tree.isolate(leaf, idx, offset, spanLen);
            leaf = tree.atLeaf;
            idx = tree.atIdx;
            offset = 0;
            long target = leaf.ids[idx];
            int seq = local.delClock;
            if (firstLen == 0) {
                firstLen = spanLen;
                firstTarget = target;
            } else {
                if (out == null) {
                    out = new Update.Builder();
                    out.addDelete(local.replica, firstSeq, firstLen, replicaOf(firstTarget), Ids.seq(firstTarget), false, time);
                }
                out.addDelete(local.replica, seq, spanLen, replicaOf(target), Ids.seq(target), false, time);
            }
            logDelete(local, seq, spanLen, target, false, time);
            idx = integration.markDeleted(leaf, idx) + 1;
            leaf = tree.atLeaf;
            remaining -= spanLen;
        }
        return out != null ? out.build() : Update.ofDelete(local.replica, firstSeq, firstLen, replicaOf(firstTarget), Ids.seq(firstTarget), time);
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
        Agent a = agentOf(replica);
        if (a == null || seq < 0 || seq >= a.insClock) throw new IllegalArgumentException("no character " + Long.toHexString(replica) + ":" + seq + " here");
        if (text.isEmpty()) return Update.empty();
        char[] chars = text.toCharArray();
        if (CodePoints.checkWellFormed(chars)) hasAstral = true;
        long left = Ids.pack(a.index, seq);
        if (Character.isHighSurrogate(a.text[seq])) throw new IllegalArgumentException("inserting after " + Long.toHexString(replica) + ":" + seq + " splits a surrogate pair");
        stamp++;
        integration.locate(left);
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
            right = Integration.idAt(leaf, idx);
        }
        int newSeq = local.insClock;
        long time = now();
        integration.integrateAt(leaf, idx, local, newSeq, chars, 0, chars.length, left, right, time, null);
        return Update.ofInsert(local.replica, newSeq, chars,
                replica, seq, false, replicaOf(right), Ids.seq(right), right == Ids.NONE, time);
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

    /** The replica's entry, or null if this document never met it. */
    private Agent agentOf(long replica) {
        int i = replicas.find(replica);
        return i < 0 ? null : agents[i];
    }

    /** Whether character {@code (replica, seq)} is here (visible or deleted). */
    boolean has(long replica, int seq) {
        Agent a = agentOf(replica);
        return a != null && seq >= 0 && seq < a.insClock;
    }

    /** The text of characters {@code seq .. seq+len-1} of {@code replica}, deleted ones included. */
    String textOf(long replica, int seq, int len) {
        Agent a = agentOf(replica);
        if (a == null || seq < 0 || len < 0 || seq > a.insClock - len) throw new IllegalArgumentException("no characters " + Long.toHexString(replica) + ":" + seq + "+" + len + " here");
        return new String(a.text, seq, len);
    }

    /**
     * The visible index of character {@code (replica, seq)}, or -1 when it is deleted or not
     * here.
     */
    int visibleIndexOf(long replica, int seq) {
        Agent a = agentOf(replica);
        if (a == null || seq < 0 || seq >= a.insClock) return -1;
        integration.locate(Ids.pack(a.index, seq));
        SpanTree.Leaf leaf = tree.atLeaf;
        int idx = tree.atIdx;
        if (leaf.lens[idx] < 0) return -1;
        return tree.visibleIndex(leaf, idx) + tree.atOffset;
    }

    // ---------------------------------------------------------------- formatting

    /** A piece of visible text and the marks on all of it (key -> value, see {@link Formats}). */
    public record TextRun(String text, Map<String, String> marks) {
    }

    /**
     * Puts mark {@code key} with {@code value} on the visible text {@code from .. to-1} (a null
     * value removes the mark there), at once, and returns the update. How the mark grows when
     * text is typed at its ends, and which write wins when several overlap, is set by its key
     * (see {@link Formats}).
     *
     * @throws IndexOutOfBoundsException if the range is not within the text
     * @throws IllegalArgumentException if the key is not a mark of the schema, the value does
     *     not suit it, or an end of the range splits a surrogate pair
     */
    public Update mark(int from, int to, String key, String value) {
        int length = tree.visibleLength();
        if (from < 0 || to < from || to > length) throw new IndexOutOfBoundsException("mark range " + from + ".." + to + " outside 0.." + length);
        String problem = Formats.problem(key, value);
        if (problem != null) throw new IllegalArgumentException(problem);
        Formats.Kind kind = Formats.kindOf(key);
        if (kind == Formats.Kind.PARAGRAPH) throw new IllegalArgumentException(key + " is a paragraph attribute: use setParagraph");
        if (hasAstral && ((from > 0 && CodePoints.splitsPair(this, from)) || (to < length && CodePoints.splitsPair(this, to)))) {
            throw new IllegalArgumentException("mark range " + from + ".." + to + " splits a surrogate pair");
        }
        if (from == to) return Update.empty();
        Anchor start = anchor(from, Bias.RIGHT); // the first marked character, before side
        Anchor end;
        boolean endAfter;
        if (kind == Formats.Kind.GROWING_MARK) {
            end = anchor(to, Bias.RIGHT); // the character after the range, before side (or the end)
            endAfter = false;
        } else {
            end = anchor(to, Bias.LEFT); // the last marked character, after side
            endAfter = true;
        }
        FormatOp op = new FormatOp(local.replica, local.delClock, formatting.lamport + 1, key, value,
                start.replicaId(), start.seq(), false, end.replicaId(), end.seq(), endAfter);
        formatting.integrate(local, op, null);
        return Update.ofFormat(op);
    }

    /**
     * Sets paragraph attribute {@code key} ({@link Formats#BLOCK} or {@link Formats#INDENT}) of
     * the paragraph that holds position {@code pos} to {@code value} (null: back to normal), at
     * once, and returns the update.
     */
    public Update setParagraph(int pos, String key, String value) {
        int length = tree.visibleLength();
        if (pos < 0 || pos > length) throw new IndexOutOfBoundsException("position " + pos + " outside 0.." + length);
        String problem = Formats.problem(key, value);
        if (problem != null) throw new IllegalArgumentException(problem);
        if (Formats.kindOf(key) != Formats.Kind.PARAGRAPH) throw new IllegalArgumentException(key + " is a mark: use mark");
        long lineBreak = lineBreakAtOrAfter(pos);
        long replica = lineBreak == Ids.NONE ? 0 : agents[Ids.agent(lineBreak)].replica;
        int seq = lineBreak == Ids.NONE ? -1 : Ids.seq(lineBreak);
        FormatOp op = new FormatOp(local.replica, local.delClock, formatting.lamport + 1, key, value,
                replica, seq, false, 0, -1, false);
        formatting.integrate(local, op, null);
        return Update.ofFormat(op);
    }

    /**
     * The visible text {@code from .. to-1} as runs of equal marks, adjacent runs with the same
     * marks merged: what a view renders.
     */
    public List<TextRun> runs(int from, int to) {
        int length = tree.visibleLength();
        if (from < 0 || to < from || to > length) throw new IndexOutOfBoundsException("range " + from + ".." + to + " outside 0.." + length);
        return formatting.runs(from, to, from == to ? "" : textOf(from, to));
    }

    /** The attributes of the paragraph that holds position {@code pos} (key -> value). */
    public Map<String, String> paragraph(int pos) {
        int length = tree.visibleLength();
        if (pos < 0 || pos > length) throw new IndexOutOfBoundsException("position " + pos + " outside 0.." + length);
        if (formatting.isEmpty()) return Map.of();
        return formatting.paragraph(lineBreakAtOrAfter(pos));
    }

    /** The visible text {@code from .. to-1}. */
    String textOf(int from, int to) {
        char[] out = new char[to - from];
        if (out.length == 0) return "";
        tree.locateVisible(from);
        SpanTree.Leaf leaf = tree.atLeaf;
        int idx = tree.atIdx;
        int offset = tree.atOffset;
        int n = 0;
        while (n < out.length) {
            if (idx >= leaf.count) {
                leaf = leaf.next;
                idx = 0;
                continue;
            }
            int len = leaf.lens[idx];
            if (len > 0) {
                int take = Math.min(len - offset, out.length - n);
                long id = leaf.ids[idx] + offset;
                System.arraycopy(agents[Ids.agent(id)].text, Ids.seq(id), out, n, take);
                n += take;
            }
            offset = 0;
            idx++;
        }
        return new String(out);
    }

    /** The first visible line break at or after {@code pos} (packed), or NONE: the last paragraph. */
    private long lineBreakAtOrAfter(int pos) {
        if (pos >= tree.visibleLength()) return Ids.NONE;
        tree.locateVisible(pos);
        SpanTree.Leaf leaf = tree.atLeaf;
        int idx = tree.atIdx;
        int offset = tree.atOffset;
        for (; leaf != null; leaf = leaf.next, idx = 0) {
            for (; idx < leaf.count; idx++, offset = 0) {
                int len = leaf.lens[idx];
                if (len <= 0) continue;
                long id = leaf.ids[idx];
                char[] text = agents[Ids.agent(id)].text;
                int seq = Ids.seq(id);
                for (int k = offset; k < len; k++) if (text[seq + k] == '\n') return id + k;
            }
        }
        return Ids.NONE;
    }

    /** The visible index where the paragraph that holds visible character {@code pos} starts. */
    int paragraphStart(int pos) {
        int length = tree.visibleLength();
        if (length == 0) return 0;
        pos = Math.min(pos, length - 1);
        // Walk back from pos - 1 over visible text to the previous line break.
        int at = pos;
        while (at > 0) {
            int from = Math.max(0, at - 256);
            String chunk = textOf(from, at);
            int k = chunk.lastIndexOf('\n');
            if (k >= 0) return from + k + 1;
            at = from;
        }
        return 0;
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
        if (tree.visibleLength() == 0) return List.of();
        if (formatting.isEmpty()) return List.of(new Change(0, 0, text()));
        return List.of(new Change(0, 0, text()), Change.restyle(0, tree.visibleLength()));
    }

    void applyUpdate(Update up, ChangeList changes) {
        stamp++;
        Update.Ops update = up.ops();
        int agentsBefore = agentCount();
        int[] map = new int[update.agents.length];
        for (int i = 0; i < map.length; i++) map[i] = agent(update.agents[i]).index;
        try {
            Validation.validate(this, update, map);
            Validation.checkUnknown(this, update, map);
            checkFormats(up, update);
            held.checkRefused(update, map);
            held.checkRoom(update, map, agents);
        } catch (CrdtFormatException e) {
            dropAgentsFrom(agentsBefore); // unchanged means no new replica either
            throw e;
        }
        if (update.surrogates) hasAstral = true; // from now on astral characters are counted
        // Times in the future (a sender's clock ahead of ours) are clamped to our clock.
        long now = now();
        int[] clocksBefore = null;
        if (update.unkStart.length > 0) {
            clocksBefore = new int[map.length];
            for (int i = 0; i < map.length; i++) clocksBefore[i] = agents[map[i]].insClock;
        }
        reserveFor(update, map);
        for (int i = 0; i < update.insCount; i++) {
            Agent a = agents[map[update.insAgent[i]]];
            if (a.unknown != null) learnText(a, update, i);
            tryInsert(a, update.insSeq[i], update.insLen[i], remap(update.insLeft[i], map), remap(update.insRight[i], map),
                    Math.min(update.insTime[i], now), update.text, update.insTextStart[i], changes);
        }
        if (clocksBefore != null) {
            // Characters this update brought whose text it does not know (checkUnknown made
            // sure that each of them applied at once).
            for (int k = 0; k < update.unkStart.length; k++) {
                int ua = Ids.agent(update.unkStart[k]);
                Agent a = agents[map[ua]];
                int from = Math.max(Ids.seq(update.unkStart[k]), clocksBefore[ua]);
                int to = Math.min(Ids.seq(update.unkStart[k]) + update.unkLen[k], a.insClock);
                a.markUnknown(from, to);
            }
        }
        for (int i = 0; i < update.delCount; i++) {
            tryDelete(agents[map[update.delAgent[i]]], update.delSeq[i], update.delLen[i],
                    remap(update.delTarget[i], map), update.delBackward[i], Math.min(update.delTime[i], now), changes);
        }
        for (FormatOp f : up.formats()) formatting.offer(f, changes);
        // Held runs and formatting operations whose cause arrived (with this update, or with a
        // local edit before it). A formatting operation moves its replica's deletion count,
        // which may wake held deletions, and the other way round.
        do {
            for (HeldRuns.Run r; (r = held.nextReady()) != null; ) {
                if (r.isInsert) tryInsert(r.agent, r.seq, r.len, r.left, r.right, r.time, r.text, 0, changes);
                else tryDelete(r.agent, r.seq, r.len, r.left, r.backward, r.time, changes);
            }
        } while (formatting.retryPending(changes));
    }

    /**
     * Sizes the logs and each replica's text once for a whole update (a catch-up brings a whole
     * history) instead of growing them run by run. Bounded by what the update itself carries.
     */
    void reserveFor(Update.Ops u, int[] map) {
        log.ins.reserve(u.insCount);
        log.del.reserve(u.delCount);
        int[] chars = new int[map.length];
        int[] insRuns = new int[map.length];
        int[] delRuns = new int[map.length];
        for (int i = 0; i < u.insCount; i++) {
            chars[u.insAgent[i]] += u.insLen[i];
            insRuns[u.insAgent[i]]++;
        }
        for (int i = 0; i < u.delCount; i++) delRuns[u.delAgent[i]]++;
        for (int i = 0; i < map.length; i++) {
            Agent a = agents[map[i]];
            a.ensureChars(a.insClock + chars[i]);
            a.reserveRuns(insRuns[i], delRuns[i]);
        }
    }

    /**
     * Rejects malformed formatting operations, and more held ones than allowed, before anything
     * changes. An operation counts as held unless it is next in its replica's numbering once the
     * update's earlier deletions and formatting apply, and its characters are here or come with
     * the update (the check trusts the update's insert runs to apply, so a run held at once can
     * let one update's worth of formatting wait beyond the limit).
     */
    private void checkFormats(Update up, Update.Ops ops) {
        List<FormatOp> formats = up.formats();
        if (formats.isEmpty()) return;
        HashMap<Long, Integer> next = new HashMap<>(); // per replica: its next seq once the update's deletions apply
        HashMap<Long, Integer> chars = new HashMap<>(); // per replica: characters known once the update applies
        for (int i = 0; i < ops.insCount; i++) chars.merge(ops.agents[ops.insAgent[i]], ops.insSeq[i] + ops.insLen[i], Math::max);
        int wouldHold = formatting.pending.size();
        for (FormatOp f : formats) {
            String problem = f.problem();
            if (problem != null) throw new CrdtFormatException("formatting operation " + Long.toHexString(f.replica()) + ":" + f.seq() + ": " + problem);
            int clock = next.computeIfAbsent(f.replica(), r -> {
                int index = replicas.find(r);
                int c = index < 0 ? 0 : agents[index].delClock;
                for (int i = 0; i < ops.delCount; i++) {
                    if (ops.agents[ops.delAgent[i]] == r && ops.delSeq[i] <= c) c = Math.max(c, ops.delSeq[i] + ops.delLen[i]);
                }
                return c;
            });
            if (f.seq() < clock) continue; // here already
            if (f.seq() == clock && available(f.startReplica(), f.startSeq(), chars) && available(f.endReplica(), f.endSeq(), chars)) {
                next.put(f.replica(), clock + 1);
            } else {
                wouldHold++;
            }
        }
        if (wouldHold > Formatting.MAX_PENDING) throw new CrdtFormatException("more than " + Formatting.MAX_PENDING + " formatting operations would wait for their causes");
    }

    private boolean available(long replica, int seq, HashMap<Long, Integer> updateChars) {
        return seq == -1 || has(replica, seq) || seq < updateChars.getOrDefault(replica, 0);
    }

    private void dropAgentsFrom(int count) {
        for (int i = count; i < agentCount(); i++) agents[i] = null;
        replicas.truncate(count);
    }

    /** True when some received operations wait for operations that have not arrived: {@code heldRuns() > 0}. */
    public boolean hasPending() {
        return heldRuns() > 0;
    }

    /**
     * Number of received runs held because their causes have not arrived (a run: characters
     * one replica typed in a row, or deletions it made in a row). They are not part of
     * {@link #version()}, {@link #updatesSince} or {@link #encode()}; {@link #heldUpdate()}
     * carries them.
     */
    public int heldRuns() {
        return held.runs() + formatting.pending.size();
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
        return held.changes() + formatting.pendingChanges;
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
        Update runs = held.runs() == 0 ? Update.empty() : held.toUpdate();
        return formatting.pending.isEmpty() ? runs : Update.of(runs.ops(), formatting.pending);
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

    static long remap(long id, int[] map) {
        return id == Ids.NONE ? Ids.NONE : Ids.pack(map[Ids.agent(id)], Ids.seq(id));
    }

    boolean known(long id) {
        return id == Ids.NONE || Ids.seq(id) < agents[Ids.agent(id)].insClock;
    }

    /**
     * Integrates characters seq..seq+len-1 of {@code a} (text {@code text[textStart..]}) if
     * their causes are here, holds them if not (the part not here yet). A run that would split
     * a surrogate pair (only a held one can: {@code validate} checks the others) is refused.
     */
    private void tryInsert(Agent a, int seq, int len, long left, long right, long time, char[] text, int textStart, ChangeList changes) {
        int clock = a.insClock;
        if (seq + len <= clock) return; // already here
        if (seq < clock) { // partly here: keep the new tail, whose left origin is the char before it
            int k = clock - seq;
            left = Ids.tailLeft(left, a.index, seq, clock);
            seq = clock;
            len -= k;
            textStart += k;
        }
        if (seq > clock || !known(left) || !known(right)) {
            held.holdInsert(a, seq, len, left, right, time, text, textStart);
            return;
        }
        if (hasAstral) {
            if ((left != Ids.NONE && Character.isHighSurrogate(charAt(left))) || (right != Ids.NONE && Character.isLowSurrogate(charAt(right)))) {
                held.refuse(a, true, seq, "characters " + Long.toHexString(a.replica) + ":" + seq + " would split a surrogate pair");
                return;
            }
        }
        integration.integrate(a, seq, text, textStart, len, left, right, time, changes);
    }

    char charAt(long id) {
        return agents[Ids.agent(id)].text[Ids.seq(id)];
    }

    /**
     * Applies deletions seq..seq+len-1 of {@code a} (the first deleting {@code first}) if their
     * causes are here, holds them if not; refuses a held one that would split a surrogate pair.
     */
    private void tryDelete(Agent a, int seq, int len, long first, boolean backward, long time, ChangeList changes) {
        int clock = a.delClock;
        if (seq + len <= clock) return;
        if (seq < clock) {
            int k = clock - seq;
            seq = clock;
            len -= k;
            first = Ids.tailTarget(first, backward, k);
        }
        long lo = Ids.lowestDeleted(first, len, backward);
        long hi = lo + len - 1;
        if (seq > clock || !known(hi)) {
            held.holdDelete(a, seq, len, first, backward, time);
            return;
        }
        if (hasAstral && (Character.isLowSurrogate(charAt(lo)) || Character.isHighSurrogate(charAt(hi)))) {
            held.refuse(a, false, seq, "deletions " + Long.toHexString(a.replica) + ":" + seq + " would split a surrogate pair");
            return;
        }
        integration.deleteRange(lo, len, changes);
        logDelete(a, seq, len, first, backward, time);
    }

    private long replicaOf(long id) {
        return id == Ids.NONE ? 0 : agents[Ids.agent(id)].replica;
    }

    /** The agent of {@code replica}, added if this document has not met it. */
    Agent agent(long replica) {
        int i = replicas.intern(replica);
        if (i == agents.length) agents = Arrays.copyOf(agents, i * 2);
        if (agents[i] == null) agents[i] = new Agent(replica, i, narrowLeafNumbers);
        return agents[i];
    }

    // ---------------------------------------------------------------- versions and sync

    /** What this document holds: per replica, its characters and deletions applied here. */
    public Version version() {
        int agentCount = agentCount();
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
        Update.Ops ops = log.opsSince(version, new int[agentCount()]);
        return formatting.isEmpty() ? Update.of(ops) : Update.of(ops, formatting.since(version));
    }


    /**
     * The whole document in the binary form of {@code crdt/FORMAT.md}: every operation it holds
     * plus the order of its characters, so {@link #decode} can rebuild it without integrating.
     * Works while runs are held, and leaves them out: keep {@link #heldUpdate()} beside it.
     */
    public byte[] encode() {
        return DocCodec.encode(this);
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
        return DocCodec.decode(bytes, replicaId);
    }

    // ---------------------------------------------------------------- history

    /**
     * The text as it was at {@code version}: the characters whose insertion it holds and none of
     * whose deletions it does, in today's order. Read off the current sequence (tombstones keep
     * their text), in one pass; nothing is replayed. Characters whose text this document does
     * not know (deleted before it was upgraded from format v1) show as U+FFFD.
     *
     * @throws IllegalArgumentException if this document does not cover {@code version}
     */
    public String textAt(Version version) {
        return History.textAt(this, version);
    }

    /**
     * The formatted runs of the whole text as it was at {@code version} (see {@link #textAt}):
     * the marks that covered each character then.
     *
     * @throws IllegalArgumentException if this document has not seen {@code version}
     */
    public List<TextRun> runsAt(Version version) {
        return History.runsAt(this, version);
    }

    /**
     * The attributes of each paragraph of the text as it was at {@code version}, first to last
     * (one more than the line breaks then).
     *
     * @throws IllegalArgumentException if this document has not seen {@code version}
     */
    public List<Map<String, String>> paragraphsAt(Version version) {
        return History.paragraphsAt(this, version);
    }

    /**
     * What changed from {@code from} to the later {@code to}: the inserted ranges of the later
     * text and the removed text, each with the replica that made it, in document order, joined
     * into maximal runs (text inserted and removed in between does not show).
     *
     * @throws IllegalArgumentException if this document does not cover {@code to}, or {@code to}
     *     does not cover {@code from}
     */
    public List<Diff> diff(Version from, Version to) {
        return History.diff(this, from, to);
    }

    /**
     * The edit sessions of every replica, newest first: a replica's edits with no pause longer
     * than {@code gap} between them. Survives saves and reloads (times are part of the format);
     * held operations are not included.
     */
    public List<EditSession> sessions(Duration gap) {
        return History.sessions(this, gap);
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
        int index = replicas.find(anchor.replicaId());
        Agent a = index < 0 ? null : agents[index];
        if (a == null || anchor.seq() >= a.insClock) return -1;
        integration.locate(Ids.pack(a.index, anchor.seq()));
        SpanTree.Leaf leaf = tree.atLeaf;
        int idx = tree.atIdx;
        int before = tree.visibleIndex(leaf, idx);
        boolean visible = leaf.lens[idx] > 0;
        if (visible) before += tree.atOffset;
        return anchor.bias() == Bias.LEFT && visible ? before + 1 : before;
    }


    /**
     * The UTF-16 index of the {@code codePoints}-th code point, for text measured in code
     * points (such as the editing traces).
     */
    public int codePointToIndex(int codePoints) {
        return CodePoints.toIndex(this, codePoints);
    }

    /** The number of code points before UTF-16 index {@code index}. */
    public int indexToCodePoint(int index) {
        return CodePoints.toCodePoint(this, index);
    }

    // ---------------------------------------------------------------- helpers

    /** Sets {@code a}'s deletion clock past these deletions and logs them. */
    void logDelete(Agent a, int seq, int len, long target, boolean backward, long time) {
        a.delClock = seq + len;
        held.advanced(a);
        log.logDelete(a, seq, len, target, backward, time);
    }

    /**
     * Takes from insert run {@code i} of {@code u} the text of characters already here whose
     * text is unknown here (a document upgraded from format v1 meets a replica that kept it).
     */
    private void learnText(Agent a, Update.Ops u, int i) {
        int seq = u.insSeq[i];
        int end = Math.min(seq + u.insLen[i], a.insClock);
        for (int s = seq; s < end; s++) {
            if (a.unknown(s) && !u.unknown(Ids.pack(u.insAgent[i], s))) {
                a.text[s] = u.text[u.insTextStart[i] + s - seq];
                a.markKnown(s, s + 1);
                if (a.unknown == null) return;
            }
        }
    }

    /**
     * Sets the clock that stamps local edits and clamps received times: seconds since the
     * epoch. For tests; the default is the system clock, read at most every 250 ms.
     */
    void clock(LongSupplier secondsSinceEpoch) {
        this.clock = secondsSinceEpoch;
    }

    long now() {
        LongSupplier c = clock;
        return c == null ? CoarseClock.seconds() : c.getAsLong();
    }

    int agentCount() {
        return replicas.size();
    }

    void checkInvariants() {
        tree.checkInvariants();
        for (SpanTree.Leaf leaf = tree.first; leaf != null; leaf = leaf.next) {
            for (int i = 0; i < leaf.count; i++) {
                long id = leaf.ids[i];
                Agent a = agents[Ids.agent(id)];
                for (int k = 0; k < Math.abs(leaf.lens[i]); k++) {
                    if (a.leaf(Ids.seq(id) + k) != leaf.number) throw new IllegalStateException("id index out of step at " + Long.toHexString(id + k));
                }
            }
        }
        int chars = 0;
        for (int i = 0; i < agentCount(); i++) chars += agents[i].insClock;
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

}
