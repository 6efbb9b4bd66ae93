package dev.tandem.crdt;

import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Deque;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.function.LongSupplier;

/**
 * Undo and redo of this replica's own edits, for an editor built on a {@link Doc}.
 *
 * <p>Make local edits through {@link #insert} and {@link #delete} (not on the document
 * directly) so they are recorded; remote updates go to {@link Doc#apply} as usual and are never
 * undone here. Edits less than {@code groupMillis} apart form one step; {@link #closeStep()}
 * ends a step early (a caret move, say). At most {@code maxSteps} steps are kept.
 *
 * <ul>
 *   <li>Undoing an insert deletes those of its characters that are still visible: text someone
 *       else typed inside it survives.</li>
 *   <li>Undoing a delete puts the deleted text back right after its own tombstones, so it lands
 *       at its original place. The restored characters are new characters (a CRDT never revives
 *       a tombstone); the manager remembers which character each one copies, so a later undo of
 *       the step that first typed the text deletes the copy too, through any number of undo/redo
 *       rounds.</li>
 *   <li>Every step keeps the selection before and after it as anchors: undo returns the
 *       selection to restore.</li>
 *   <li>A new local edit clears the redo stack; remote edits do not.</li>
 *   <li>Undo and redo produce ordinary updates that other replicas apply like any edit.</li>
 * </ul>
 *
 * <p>The stacks outlive a reconnect (they are ids, not positions) and a restart: {@link #encode()}
 * them beside the offline copy of the document and {@link #decode} them with the reloaded
 * document.
 *
 * <p>Not thread-safe: the thread that owns the document owns its undo manager.
 */
public final class UndoManager {
    /** Edits closer together than this form one undo step, by default. */
    public static final long DEFAULT_GROUP_MILLIS = 500;
    /** Steps kept by default. */
    public static final int DEFAULT_MAX_STEPS = 100;

    /** What {@link #undo()} and {@link #redo()} did: the update to send, and the selection to show. */
    public record Result(Update update, int anchor, int caret) {
    }

    private final Doc doc;
    private final long groupMillis;
    private final int maxSteps;
    private final LongSupplier clockMillis;
    private final Deque<Step> undos = new ArrayDeque<>(); // newest first
    private final Deque<Step> redos = new ArrayDeque<>();
    final Copies copies = new Copies();
    // The selection the caller last reported, if it reported one since the last edit.
    private Selection selection;
    // Whether the newest undo step still takes edits, and when it last took one.
    private boolean open;
    private long lastEditAt;

    /** An undo manager with the default grouping (500 ms), 100 steps and the system clock. */
    public UndoManager(Doc doc) {
        this(doc, DEFAULT_GROUP_MILLIS, DEFAULT_MAX_STEPS, System::currentTimeMillis);
    }

    /**
     * @param groupMillis edits closer together than this form one step (0: every edit is a step)
     * @param maxSteps steps kept, at least 1; the oldest are dropped
     * @param clockMillis the clock that measures {@code groupMillis}
     */
    public UndoManager(Doc doc, long groupMillis, int maxSteps, LongSupplier clockMillis) {
        if (groupMillis < 0) throw new IllegalArgumentException("groupMillis was " + groupMillis);
        if (maxSteps < 1) throw new IllegalArgumentException("maxSteps was " + maxSteps);
        this.doc = doc;
        this.groupMillis = groupMillis;
        this.maxSteps = maxSteps;
        this.clockMillis = clockMillis;
    }

    // ---------------------------------------------------------------- recording

    /**
     * Tells the manager where the selection is now ({@code anchor} is where it started,
     * {@code caret} where the caret is; equal when nothing is selected). The next step starts
     * with it as its "before" selection. Without it, a step starts with the caret where its first
     * edit happened.
     */
    public void select(int anchor, int caret) {
        selection = Selection.of(doc, anchor, caret);
    }

    /** Inserts through {@link Doc#insert} and records the insert. */
    public Update insert(int pos, String text) {
        if (text.isEmpty()) return doc.insert(pos, text);
        Selection before = selection != null ? selection : Selection.of(doc, pos, pos);
        Update update = doc.insert(pos, text);
        Step step = stepFor(before);
        Anchor first = doc.anchor(pos, Bias.RIGHT);
        step.addInserted(new Chars(first.replicaId(), first.seq(), text.length()));
        step.after = Selection.of(doc, pos + text.length(), pos + text.length());
        return update;
    }

    /** Deletes through {@link Doc#delete} and records what was deleted, text included. */
    public Update delete(int pos, int len) {
        if (len == 0) return doc.delete(pos, len);
        Selection before = selection != null ? selection : Selection.of(doc, pos + len, pos + len);
        List<Piece> pieces = piecesOf(pos, len);
        Update update = doc.delete(pos, len);
        Step step = stepFor(before);
        step.ops.add(new Deleted(pieces));
        step.after = Selection.of(doc, pos, pos);
        return update;
    }

    /**
     * Marks through {@link Doc#mark} and records what each part of the range had before, so
     * undo puts exactly that back.
     */
    public Update mark(int from, int to, String key, String value) {
        if (from == to) return doc.mark(from, to, key, value);
        Selection before = selection != null ? selection : Selection.of(doc, from, to);
        List<Segment> previous = segmentsOf(from, to, key);
        Update update = doc.mark(from, to, key, value);
        Step step = stepFor(before);
        step.ops.add(new Formatted(key, previous));
        step.after = Selection.of(doc, from, to);
        return update;
    }

    /** Sets a paragraph attribute through {@link Doc#setParagraph} and records the one it replaces. */
    public Update setParagraph(int pos, String key, String value) {
        Selection before = selection != null ? selection : Selection.of(doc, pos, pos);
        String previous = doc.paragraph(pos).get(key);
        Anchor lineBreak = lineBreakAnchor(pos);
        Update update = doc.setParagraph(pos, key, value);
        Step step = stepFor(before);
        step.ops.add(new Formatted(key, List.of(new Segment(lineBreak, lineBreak, previous))));
        step.after = Selection.of(doc, pos, pos);
        return update;
    }

    /** The line break that ends the paragraph holding {@code pos} (RIGHT anchor), or the document end. */
    private Anchor lineBreakAnchor(int pos) {
        String text = doc.textOf(pos, doc.length());
        int nl = text.indexOf('\n');
        return nl < 0 ? Anchor.END : doc.anchor(pos + nl, Bias.RIGHT);
    }

    /** What key {@code key} is on each part of {@code from .. to-1}, as segments of character anchors. */
    private List<Segment> segmentsOf(int from, int to, String key) {
        List<Segment> out = new ArrayList<>();
        int at = from;
        for (Doc.TextRun run : doc.runs(from, to)) {
            int end = at + run.text().length();
            out.add(new Segment(doc.anchor(at, Bias.RIGHT), doc.anchor(end, Bias.LEFT), run.marks().get(key)));
            at = end;
        }
        return out;
    }

    /** Ends the current step: the next edit starts a new one, however soon it comes. */
    public void closeStep() {
        open = false;
    }

    private Step stepFor(Selection before) {
        long now = clockMillis.getAsLong();
        redos.clear();
        selection = null;
        Step step = undos.peekFirst();
        if (step == null || !open || now - lastEditAt >= groupMillis || now < lastEditAt) {
            step = new Step(before);
            undos.addFirst(step);
            while (undos.size() > maxSteps) undos.removeLast();
            open = true;
        }
        lastEditAt = now;
        return step;
    }

    // ---------------------------------------------------------------- undo and redo

    public boolean canUndo() {
        return !undos.isEmpty();
    }

    public boolean canRedo() {
        return !redos.isEmpty();
    }

    /** Steps that {@link #undo()} can take back. */
    public int undoDepth() {
        return undos.size();
    }

    /** Steps that {@link #redo()} can do again. */
    public int redoDepth() {
        return redos.size();
    }

    /**
     * Takes back this replica's newest step that still changes something (a step whose text
     * others have deleted already is dropped), or returns empty when there is none.
     */
    public Optional<Result> undo() {
        return revert(undos, redos);
    }

    /** Does the newest undone step again, or returns empty when there is none. */
    public Optional<Result> redo() {
        return revert(redos, undos);
    }

    private Optional<Result> revert(Deque<Step> from, Deque<Step> to) {
        open = false;
        selection = null;
        while (!from.isEmpty()) {
            Step step = from.removeFirst();
            Step inverse = new Step(step.after);
            inverse.after = step.before;
            List<Update> updates = new ArrayList<>();
            for (int i = step.ops.size() - 1; i >= 0; i--) {
                Op op = step.ops.get(i);
                if (op instanceof Inserted ins) {
                    List<Piece> removed = removeVisible(ins.chars, updates);
                    if (!removed.isEmpty()) inverse.ops.add(new Deleted(removed));
                } else if (op instanceof Deleted del) {
                    List<Chars> restored = restore(del.pieces, updates);
                    if (!restored.isEmpty()) inverse.ops.add(new Inserted(restored));
                } else {
                    Formatted f = (Formatted) op;
                    List<Segment> replaced = reformat(f, updates);
                    if (!replaced.isEmpty()) inverse.ops.add(new Formatted(f.key, replaced));
                }
            }
            if (updates.isEmpty()) continue; // nothing of it is left to change
            to.addFirst(inverse);
            while (to.size() > maxSteps) to.removeLast();
            int anchor = inverse.after.anchorIn(doc, copies);
            int caret = inverse.after.caretIn(doc, copies);
            return Optional.of(new Result(Update.merge(updates), anchor, caret));
        }
        return Optional.empty();
    }

    /**
     * Deletes the characters of {@code chars} and of their restored copies that are still
     * visible, and returns what it deleted, text included, for the inverse step.
     */
    private List<Piece> removeVisible(List<Chars> chars, List<Update> updates) {
        List<Chars> all = new ArrayList<>();
        for (Chars c : chars) copies.expand(c, all);
        // Visible positions, highest first, grouped into ranges and deleted from the end so
        // earlier positions stay valid.
        List<Integer> positions = new ArrayList<>();
        for (Chars c : all) {
            for (int k = 0; k < c.len; k++) {
                int at = doc.visibleIndexOf(c.replica, c.seq + k);
                if (at >= 0) positions.add(at);
            }
        }
        if (positions.isEmpty()) return List.of();
        positions.sort(null);
        List<Piece> removed = new ArrayList<>();
        int end = positions.size();
        while (end > 0) {
            int start = end - 1;
            while (start > 0 && positions.get(start - 1) == positions.get(start) - 1) start--;
            int pos = positions.get(start);
            int len = end - start;
            List<Piece> pieces = piecesOf(pos, len);
            updates.add(doc.delete(pos, len));
            removed.addAll(0, pieces);
            end = start;
        }
        return removed;
    }

    /** Puts deleted text back after its tombstones and returns the new characters. */
    private List<Chars> restore(List<Piece> pieces, List<Update> updates) {
        List<Chars> restored = new ArrayList<>();
        for (int i = pieces.size() - 1; i >= 0; i--) {
            Piece p = pieces.get(i);
            Chars c = p.chars;
            if (doc.visibleIndexOf(c.replica, c.seq) >= 0) continue; // defensive: nothing to restore
            Update u = doc.insertAfter(c.replica, c.seq + c.len - 1, p.text);
            Anchor first = firstOf(u);
            Chars copy = new Chars(doc.replicaId(), first.seq(), c.len);
            copies.add(c, copy.seq);
            restored.add(0, copy);
            updates.add(u);
            // With the formatting it had: marks over its parts, attributes of its line breaks,
            // and no mark it did not have (it may land inside a mark that grew over its place).
            int at = doc.visibleIndexOf(copy.replica, copy.seq);
            Map<String, String[]> wanted = new HashMap<>();
            for (MarkSpan m : p.marks) {
                if (Formats.kindOf(m.key) == Formats.Kind.PARAGRAPH) {
                    updates.add(doc.setParagraph(at + m.offset, m.key, m.value));
                } else {
                    String[] values = wanted.computeIfAbsent(m.key, k -> new String[c.len]);
                    Arrays.fill(values, m.offset, m.offset + m.len, m.value);
                }
            }
            for (Doc.TextRun run : doc.runs(at, at + c.len)) {
                for (String key : run.marks().keySet()) wanted.computeIfAbsent(key, k -> new String[c.len]);
            }
            for (Map.Entry<String, String[]> e : wanted.entrySet()) {
                String[] values = e.getValue();
                String[] have = new String[c.len];
                int k0 = 0;
                for (Doc.TextRun run : doc.runs(at, at + c.len)) {
                    Arrays.fill(have, k0, k0 + run.text().length(), run.marks().get(e.getKey()));
                    k0 += run.text().length();
                }
                for (int k = 0; k < c.len; ) {
                    int end = k + 1;
                    while (end < c.len && java.util.Objects.equals(values[end], values[k])) end++;
                    boolean differs = false;
                    for (int q = k; q < end && !differs; q++) differs = !java.util.Objects.equals(have[q], values[k]);
                    if (differs) updates.add(doc.mark(at + k, at + end, e.getKey(), values[k]));
                    k = end;
                }
            }
        }
        return restored;
    }

    /**
     * Puts back what a formatting step replaced: each segment's value over its characters (or on
     * its paragraph), and returns what it replaced in turn, for the inverse step.
     */
    private List<Segment> reformat(Formatted f, List<Update> updates) {
        List<Segment> replaced = new ArrayList<>();
        boolean paragraph = Formats.kindOf(f.key) == Formats.Kind.PARAGRAPH;
        for (Segment seg : f.segments) {
            if (paragraph) {
                int pos;
                if (seg.start.isEdge()) {
                    pos = doc.length();
                } else {
                    pos = copies.visibleIndex(doc, seg.start);
                    if (pos < 0) continue; // the line break is gone, and its paragraph with it
                }
                String current = doc.paragraph(pos).get(f.key);
                if (java.util.Objects.equals(current, seg.value)) continue;
                Anchor lineBreak = lineBreakAnchor(pos);
                updates.add(doc.setParagraph(pos, f.key, seg.value));
                replaced.add(new Segment(lineBreak, lineBreak, current));
                continue;
            }
            int from = copies.resolve(doc, seg.start);
            int to = copies.resolve(doc, seg.end);
            if (to <= from) continue; // all of it deleted
            List<Segment> now = segmentsOf(from, to, f.key);
            boolean same = true;
            for (Segment n : now) same &= java.util.Objects.equals(n.value, seg.value);
            if (same) continue;
            replaced.addAll(now);
            updates.add(doc.mark(from, to, f.key, seg.value));
        }
        return replaced;
    }

    private Anchor firstOf(Update u) {
        Update.Ops ops = u.ops();
        return new Anchor(ops.agents[ops.insAgent[0]], ops.insSeq[0], Bias.RIGHT);
    }

    /**
     * The visible characters {@code pos .. pos+len-1}: their ids, text and formatting (the marks
     * on them, and the attributes of the paragraphs their line breaks end).
     */
    private List<Piece> piecesOf(int pos, int len) {
        List<Piece> pieces = new ArrayList<>();
        List<Doc.TextRun> runs = doc.runs(pos, pos + len);
        int at = 0; // offset in the range of the current piece
        for (long[] run : doc.idRuns(pos, len)) {
            Chars c = new Chars(run[0], (int) run[1], (int) run[2]);
            String text = doc.textOf(c.replica, c.seq, c.len);
            List<MarkSpan> marks = new ArrayList<>();
            int runStart = 0;
            for (Doc.TextRun r : runs) {
                int lo = Math.max(runStart, at);
                int hi = Math.min(runStart + r.text().length(), at + c.len);
                if (lo < hi) for (Map.Entry<String, String> e : r.marks().entrySet()) marks.add(new MarkSpan(lo - at, hi - lo, e.getKey(), e.getValue()));
                runStart += r.text().length();
            }
            for (int k = text.indexOf('\n'); k >= 0; k = text.indexOf('\n', k + 1)) {
                for (Map.Entry<String, String> e : doc.paragraph(pos + at + k).entrySet()) marks.add(new MarkSpan(k, 1, e.getKey(), e.getValue()));
            }
            pieces.add(new Piece(c, text, marks));
            at += c.len;
        }
        return pieces;
    }

    // ---------------------------------------------------------------- saving

    private static final int MAGIC = 'T';
    private static final int KIND = 'N';
    private static final int VERSION = 1;
    private static final int MAX_TEXT = 1 << 26;

    /**
     * The undo and redo stacks as bytes (see crdt/FORMAT.md, "Undo stacks"), to keep beside the
     * offline copy of the document.
     */
    public byte[] encode() {
        ByteWriter w = new ByteWriter(64);
        w.writeByte(MAGIC);
        w.writeByte(KIND);
        w.writeByte(VERSION);
        writeSteps(w, undos);
        writeSteps(w, redos);
        copies.write(w);
        return w.toByteArray();
    }

    /**
     * Reopens saved stacks for {@code doc}, the reloaded replica they were saved with (its
     * replica id must be the same). Grouping, step limit and clock as in the constructor.
     *
     * @throws CrdtFormatException if the bytes are not stacks this version wrote, or name
     *     characters the document does not have
     */
    public static UndoManager decode(byte[] bytes, Doc doc, long groupMillis, int maxSteps, LongSupplier clockMillis) {
        UndoManager m = new UndoManager(doc, groupMillis, maxSteps, clockMillis);
        ByteReader r = new ByteReader(bytes, 0, bytes.length);
        if (r.readByte() != MAGIC || r.readByte() != KIND) throw new CrdtFormatException("not undo stacks");
        int version = r.readByte();
        if (version != VERSION) throw new CrdtFormatException("undo stacks of version " + version + ", this reads " + VERSION);
        int[] textBudget = {MAX_TEXT};
        m.readSteps(r, m.undos, textBudget);
        m.readSteps(r, m.redos, textBudget);
        m.copies.read(r, doc);
        r.expectEnd();
        return m;
    }

    private static void writeSteps(ByteWriter w, Deque<Step> steps) {
        w.writeVarInt(steps.size());
        for (Step s : steps) {
            s.before.write(w);
            s.after.write(w);
            w.writeVarInt(s.ops.size());
            for (Op op : s.ops) {
                if (op instanceof Inserted ins) {
                    w.writeByte(0);
                    w.writeVarInt(ins.chars.size());
                    for (Chars c : ins.chars) c.write(w);
                } else if (op instanceof Deleted del) {
                    List<Piece> pieces = del.pieces;
                    w.writeByte(1);
                    w.writeVarInt(pieces.size());
                    for (Piece p : pieces) {
                        p.chars.write(w);
                        writeString(w, p.text);
                        w.writeVarInt(p.marks.size());
                        for (MarkSpan m : p.marks) {
                            w.writeVarInt(m.offset);
                            w.writeVarInt(m.len);
                            writeString(w, m.key);
                            writeNullable(w, m.value);
                        }
                    }
                } else {
                    Formatted f = (Formatted) op;
                    w.writeByte(2);
                    w.writeVarInt(f.segments.size());
                    writeString(w, f.key);
                    for (Segment seg : f.segments) {
                        Selection.writeAnchor(w, seg.start);
                        Selection.writeAnchor(w, seg.end);
                        writeNullable(w, seg.value);
                    }
                }
            }
        }
    }

    private void readSteps(ByteReader r, Deque<Step> into, int[] textBudget) {
        int steps = r.readCount(3);
        if (steps > maxSteps) throw new CrdtFormatException(steps + " steps saved, at most " + maxSteps + " kept");
        for (int i = 0; i < steps; i++) {
            Step s = new Step(Selection.read(r, doc));
            s.after = Selection.read(r, doc);
            int ops = r.readCount(2);
            for (int k = 0; k < ops; k++) {
                int kind = r.readByte();
                int n = r.readCount(3);
                if (kind == 0) {
                    List<Chars> chars = new ArrayList<>(n);
                    for (int j = 0; j < n; j++) chars.add(Chars.read(r, doc));
                    s.ops.add(new Inserted(chars));
                } else if (kind == 1) {
                    List<Piece> pieces = new ArrayList<>(n);
                    for (int j = 0; j < n; j++) {
                        Chars c = Chars.read(r, doc);
                        String text = readString(r, textBudget);
                        if (text.length() != c.len) throw new CrdtFormatException("undo text of " + text.length() + " units for " + c.len + " characters");
                        int m = r.readCount(4);
                        List<MarkSpan> marks = new ArrayList<>(m);
                        for (int q = 0; q < m; q++) {
                            int offset = r.readVarInt();
                            int len = r.readVarInt();
                            if (offset < 0 || len < 1 || offset > c.len - len) throw new CrdtFormatException("undo mark outside its text");
                            String key = readString(r, textBudget);
                            String value = readNullable(r, textBudget);
                            String problem = Formats.problem(key, value);
                            if (problem != null) throw new CrdtFormatException("undo stacks: " + problem);
                            marks.add(new MarkSpan(offset, len, key, value));
                        }
                        pieces.add(new Piece(c, text, marks));
                    }
                    s.ops.add(new Deleted(pieces));
                } else if (kind == 2) {
                    String key = readString(r, textBudget);
                    if (Formats.kindOf(key) == null) throw new CrdtFormatException("undo stacks: unknown formatting key");
                    List<Segment> segments = new ArrayList<>(n);
                    for (int j = 0; j < n; j++) {
                        Anchor start = Selection.readAnchor(r, doc);
                        Anchor end = Selection.readAnchor(r, doc);
                        String value = readNullable(r, textBudget);
                        String problem = Formats.problem(key, value);
                        if (problem != null) throw new CrdtFormatException("undo stacks: " + problem);
                        segments.add(new Segment(start, end, value));
                    }
                    s.ops.add(new Formatted(key, segments));
                } else {
                    throw new CrdtFormatException("unknown undo operation kind " + kind);
                }
            }
            into.addLast(s);
        }
    }

    private static void writeString(ByteWriter w, String text) {
        byte[] utf8 = text.getBytes(StandardCharsets.UTF_8);
        w.writeVarInt(utf8.length);
        w.writeBytes(utf8, 0, utf8.length);
    }

    /** A string or null: 0 for null, else 1 + the byte length, then the bytes. */
    private static void writeNullable(ByteWriter w, String text) {
        if (text == null) {
            w.writeVarInt(0);
            return;
        }
        byte[] utf8 = text.getBytes(StandardCharsets.UTF_8);
        w.writeVarInt(utf8.length + 1);
        w.writeBytes(utf8, 0, utf8.length);
    }

    /** Reads a string, counting its units against what the stacks may hold in all. */
    private static String readString(ByteReader r, int[] textBudget) {
        return readBytes(r, r.readCount(1), textBudget);
    }

    private static String readNullable(ByteReader r, int[] textBudget) {
        int n = r.readVarInt();
        if (n == 0) return null;
        if (n < 0 || n - 1 > r.remaining()) throw new CrdtFormatException("undo string longer than the bytes left");
        return readBytes(r, n - 1, textBudget);
    }

    private static String readBytes(ByteReader r, int bytes, int[] textBudget) {
        if (bytes > textBudget[0] * 4L) throw new CrdtFormatException("undo text too long");
        byte[] utf8 = new byte[bytes];
        r.readBytes(utf8, 0, bytes);
        String text = FormatCodec.strictUtf8(utf8, "undo text");
        textBudget[0] -= text.length();
        if (textBudget[0] < 0) throw new CrdtFormatException("undo text too long");
        return text;
    }

    // ---------------------------------------------------------------- the pieces

    /** Characters {@code seq .. seq+len-1} of {@code replica}. */
    record Chars(long replica, int seq, int len) {
        void write(ByteWriter w) {
            w.writeLong(replica);
            w.writeVarInt(seq);
            w.writeVarInt(len);
        }

        static Chars read(ByteReader r, Doc doc) {
            long replica = r.readLong();
            int seq = r.readVarInt();
            int len = r.readVarInt();
            if (seq < 0 || len < 1 || seq > Integer.MAX_VALUE - len) throw new CrdtFormatException("bad character range " + seq + "+" + len);
            if (!doc.has(replica, seq + len - 1)) throw new CrdtFormatException("undo stacks name characters " + Long.toHexString(replica) + ":" + seq + "+" + len + " the document does not have");
            return new Chars(replica, seq, len);
        }
    }

    /** Deleted characters, their text and the formatting they had. */
    record Piece(Chars chars, String text, List<MarkSpan> marks) {
    }

    /** Key {@code key} had {@code value} on units {@code offset .. offset+len-1} of a piece. */
    record MarkSpan(int offset, int len, String key, String value) {
    }

    /**
     * Key {@code key} had {@code value} (null: not set) from the character of {@code start} to
     * that of {@code end}; for a paragraph attribute both name the paragraph's line break.
     */
    record Segment(Anchor start, Anchor end, String value) {
    }

    private sealed interface Op permits Inserted, Deleted, Formatted {
    }

    /** A formatting change: what key {@code key} was on each part before it. */
    private record Formatted(String key, List<Segment> segments) implements Op {
    }

    /** Characters this step inserted. */
    private record Inserted(List<Chars> chars) implements Op {
    }

    /** Characters this step deleted, in document order. */
    private record Deleted(List<Piece> pieces) implements Op {
    }

    /** One undo step: its operations in the order they happened, and the selection around it. */
    private static final class Step {
        final List<Op> ops = new ArrayList<>();
        final Selection before;
        Selection after;

        Step(Selection before) {
            this.before = before;
            this.after = before;
        }

        /** Records inserted characters, growing the last insert when they continue it. */
        void addInserted(Chars c) {
            if (!ops.isEmpty() && ops.get(ops.size() - 1) instanceof Inserted ins) {
                Chars last = ins.chars.get(ins.chars.size() - 1);
                if (last.replica == c.replica && last.seq + last.len == c.seq) {
                    ins.chars.set(ins.chars.size() - 1, new Chars(c.replica, last.seq, last.len + c.len));
                    return;
                }
                ins.chars.add(c);
                return;
            }
            List<Chars> chars = new ArrayList<>();
            chars.add(c);
            ops.add(new Inserted(chars));
        }
    }

    /**
     * A selection as anchors. The start of a selection holds on to its first character and the
     * end to its last, so that both come back when the text is restored; a caret holds on to the
     * character before it.
     */
    record Selection(Anchor anchor, Anchor caret) {
        static Selection of(Doc doc, int anchor, int caret) {
            if (anchor == caret) {
                Anchor a = doc.anchor(caret, Bias.LEFT);
                return new Selection(a, a);
            }
            int lo = Math.min(anchor, caret);
            int hi = Math.max(anchor, caret);
            Anchor start = doc.anchor(lo, Bias.RIGHT);
            Anchor end = doc.anchor(hi, Bias.LEFT);
            return anchor < caret ? new Selection(start, end) : new Selection(end, start);
        }

        int anchorIn(Doc doc, Copies copies) {
            return copies.resolve(doc, anchor);
        }

        int caretIn(Doc doc, Copies copies) {
            return copies.resolve(doc, caret);
        }

        void write(ByteWriter w) {
            writeAnchor(w, anchor);
            writeAnchor(w, caret);
        }

        static Selection read(ByteReader r, Doc doc) {
            return new Selection(readAnchor(r, doc), readAnchor(r, doc));
        }

        static void writeAnchor(ByteWriter w, Anchor a) {
            w.writeByte(a.bias() == Bias.LEFT ? 0 : 1);
            w.writeLong(a.replicaId());
            w.writeVarInt(a.seq() + 1);
        }

        static Anchor readAnchor(ByteReader r, Doc doc) {
            int bias = r.readByte();
            if (bias > 1) throw new CrdtFormatException("bad anchor bias " + bias);
            long replica = r.readLong();
            int seq = r.readVarInt() - 1;
            if (seq < -1) throw new CrdtFormatException("bad anchor seq");
            if (seq >= 0 && !doc.has(replica, seq)) throw new CrdtFormatException("undo stacks name a character the document does not have");
            return new Anchor(replica, seq, bias == 0 ? Bias.LEFT : Bias.RIGHT);
        }
    }

    /**
     * Which characters undo or redo restored as copies of which: per original replica, ranges
     * {@code seq -> {len, copy seq}}; every copy is this replica's.
     */
    final class Copies {
        private final Map<Long, TreeMap<Integer, int[]>> byReplica = new HashMap<>();

        void add(Chars original, int copySeq) {
            byReplica.computeIfAbsent(original.replica, k -> new TreeMap<>()).put(original.seq, new int[] {original.len, copySeq});
        }

        /** {@code c} and every copy of its characters, copies of copies included, into {@code out}. */
        void expand(Chars c, List<Chars> out) {
            out.add(c);
            TreeMap<Integer, int[]> ranges = byReplica.get(c.replica);
            if (ranges == null) return;
            Integer from = ranges.floorKey(c.seq);
            Iterator<Map.Entry<Integer, int[]>> it = ranges.tailMap(from != null ? from : c.seq).entrySet().iterator();
            int end = c.seq + c.len;
            while (it.hasNext()) {
                Map.Entry<Integer, int[]> e = it.next();
                int start = e.getKey();
                if (start >= end) break;
                int len = e.getValue()[0];
                int lo = Math.max(start, c.seq);
                int hi = Math.min(start + len, end);
                if (lo >= hi) continue;
                expand(new Chars(doc.replicaId(), e.getValue()[1] + lo - start, hi - lo), out);
            }
        }

        /**
         * Where an anchor is now; an anchor on a deleted character follows it to its newest
         * visible copy, so a selection comes back with the text undo restored.
         */
        int resolve(Doc d, Anchor a) {
            return Math.max(d.resolve(follow(d, a)), 0);
        }

        /** The visible index of the character of {@code a} or of its newest visible copy, or -1. */
        int visibleIndex(Doc d, Anchor a) {
            Anchor at = follow(d, a);
            return at.isEdge() ? -1 : d.visibleIndexOf(at.replicaId(), at.seq());
        }

        /** {@code a}, moved to its character's newest copy while that character is deleted. */
        private Anchor follow(Doc d, Anchor a) {
            Anchor at = a;
            for (int guard = 0; guard < 1_000 && !at.isEdge() && d.visibleIndexOf(at.replicaId(), at.seq()) < 0; guard++) {
                TreeMap<Integer, int[]> ranges = byReplica.get(at.replicaId());
                Map.Entry<Integer, int[]> e = ranges == null ? null : ranges.floorEntry(at.seq());
                if (e == null || at.seq() >= e.getKey() + e.getValue()[0]) break;
                at = new Anchor(d.replicaId(), e.getValue()[1] + at.seq() - e.getKey(), at.bias());
            }
            return at;
        }

        void write(ByteWriter w) {
            int n = 0;
            for (TreeMap<Integer, int[]> m : byReplica.values()) n += m.size();
            w.writeVarInt(n);
            for (Map.Entry<Long, TreeMap<Integer, int[]>> r : byReplica.entrySet()) {
                for (Map.Entry<Integer, int[]> e : r.getValue().entrySet()) {
                    new Chars(r.getKey(), e.getKey(), e.getValue()[0]).write(w);
                    w.writeVarInt(e.getValue()[1]);
                }
            }
        }

        void read(ByteReader r, Doc d) {
            int n = r.readCount(11);
            for (int i = 0; i < n; i++) {
                Chars c = Chars.read(r, d);
                int copy = r.readVarInt();
                if (copy < 0 || copy > Integer.MAX_VALUE - c.len || !d.has(d.replicaId(), copy + c.len - 1)) throw new CrdtFormatException("undo stacks name a copy the document does not have");
                add(c, copy);
            }
        }
    }
}
