package dev.tandem.crdt;

import java.util.Arrays;
import java.util.List;

/**
 * A whole document in bytes and back (FORMAT.md, "Documents"): its history as the operations of
 * one update, then the order of its characters as {@link Pieces}, so that loading rebuilds the
 * tree without integrating anything.
 */
final class DocCodec {
    private DocCodec() {}

    private static final char UNPLACED_DELETED = 1;

    static byte[] encode(Doc doc) {
        int[] agentMap = new int[doc.agentCount()];
        Update.Ops history = doc.log.opsSince(Version.EMPTY, agentMap);
        // The text of every character, tombstones included, in document order: a deleted word
        // sits beside the one that replaced it, which deflate finds (smaller than visible and
        // deleted text in two columns: FORMAT.md, "text").
        char[] text = textInOrder(doc);
        ByteWriter body = new ByteWriter(text.length + 64 + history.insCount * 8 + history.delCount * 8 + doc.tree.leaves.size() * 64 * 4);
        List<FormatOp> formats = doc.formatting.ops;
        long[] table = FormatCodec.replicas(history.agents, formats);
        Codec.writeOps(body, history, table, text);
        ByteWriter orderSection = new ByteWriter(64 + doc.tree.leaves.size() * 64 * 2);
        // The order: every character, tombstones included, left to right, as pieces (see
        // Pieces), after the boundaries the pieces rule does not find by itself.
        Pieces pieces = new Pieces(history);
        int[] extraAgent = new int[16];
        int[] extraSeq = new int[16];
        int extras = 0;
        int runs = 0;
        long[] runIds = new long[doc.spanCount()];
        int[] runLens = new int[runIds.length];
        for (SpanTree.Leaf leaf = doc.tree.first; leaf != null; leaf = leaf.next) {
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
        ByteWriter order = orderSection;
        order.writeVarInt(extras);
        for (int k = 0; k < extras; k++) order.writeVarInt(extraAgent[k]);
        for (int k = 0; k < extras; k++) order.writeVarInt(extraSeq[k]);
        order.writeVarInt(pieces.count);
        int prev = -1;
        for (int k = 0; k < runs; k++) {
            int a = agentMap[Ids.agent(runIds[k])];
            int seq = Ids.seq(runIds[k]);
            int end = seq + runLens[k];
            for (int p = pieces.indexOf(a, seq); ; p++) {
                order.writeSignedVarLong((long) p - prev - 1);
                prev = p;
                if (pieces.end(a, p) >= end) break;
            }
        }
        Codec.section(body, Codec.SEC_ORDER, order);
        if (!formats.isEmpty()) Codec.section(body, Codec.SEC_FORMATS, FormatCodec.write(formats, table));
        return Codec.frame(Codec.KIND_DOCUMENT, body);
    }

    /** The known text of every character, deleted ones included, in document order. */
    private static char[] textInOrder(Doc doc) {
        char[] out = new char[doc.tree.totalLength()];
        int n = 0;
        for (SpanTree.Leaf leaf = doc.tree.first; leaf != null; leaf = leaf.next) {
            for (int i = 0; i < leaf.count; i++) {
                int len = Math.abs(leaf.lens[i]);
                long id = leaf.ids[i];
                Agent a = doc.agents[Ids.agent(id)];
                int seq = Ids.seq(id);
                if (a.unknown == null) {
                    System.arraycopy(a.text, seq, out, n, len);
                    n += len;
                } else {
                    for (int k = 0; k < len; k++) if (!a.unknown(seq + k)) out[n++] = a.text[seq + k];
                }
            }
        }
        return n == out.length ? out : Arrays.copyOf(out, n);
    }

    static Doc decode(byte[] bytes, long replicaId) {
        Codec.Body body = Codec.openBody(bytes, Codec.DEFAULT_MAX_BODY);
        Codec.Decoded decoded = Codec.read(body);
        Doc doc = new Doc(replicaId);
        if (body.kind() == Codec.KIND_DOCUMENT) {
            load(doc, decoded.ops(), decoded.v1(), decoded.order(), decoded.formats());
        } else {
            doc.applyUpdate(Update.of(decoded.ops(), decoded.formats()), null);
        }
        if (doc.hasPending()) throw new CrdtFormatException("document refers to characters or deletions it does not contain");
        return doc;
    }

    /**
     * Builds this (new, empty) document from a complete history and the order of its
     * characters, checking that the two agree: every character placed exactly once, deleted
     * exactly when a deletion names it, unknown text only on deleted characters. {@code ops.text}
     * is the known text of every character in document order, or for a {@code v1} document the
     * visible text only (its deleted text is all unknown).
     */
    private static void load(Doc doc, Update.Ops ops, boolean v1, ByteReader order, List<FormatOp> formats) {
        int[] map = new int[ops.agents.length];
        for (int i = 0; i < map.length; i++) map[i] = doc.agent(ops.agents[i]).index;
        if (ops.surrogates) doc.hasAstral = true;
        long now = doc.now();
        Codec.checkGapFree(ops, formats);
        // Only now, with every seq bounded by the characters the body counts (at most
        // Codec.MAX_CHARS), is anything allocated per character.
        Pieces pieces = new Pieces(ops);
        // Everything sized once, not grown run by run (gap-free runs: each replica's text is
        // exactly the characters its runs hold).
        doc.reserveFor(ops, map);
        for (int i = 0; i < ops.insCount; i++) {
            Agent a = doc.agents[map[ops.insAgent[i]]];
            int seq = ops.insSeq[i];
            int len = ops.insLen[i];
            a.insClock = seq + len;
            doc.log.logInsert(a, seq, len, Doc.remap(ops.insLeft[i], map), Doc.remap(ops.insRight[i], map), Math.min(ops.insTime[i], now));
        }
        for (int r = 0; r < doc.log.ins.count; r++) {
            if (!doc.known(doc.log.ins.left[r]) || !doc.known(doc.log.ins.right[r])) throw new CrdtFormatException("document refers to characters it does not contain");
        }
        // The id index (a new document's: chars, all zero: not placed) serves as scratch until
        // the tree is built: deleted characters are marked UNPLACED_DELETED first.
        for (int i = 0; i < ops.delCount; i++) {
            Agent a = doc.agents[map[ops.delAgent[i]]];
            int seq = ops.delSeq[i];
            int len = ops.delLen[i];
            long first = Doc.remap(ops.delTarget[i], map);
            long lo = Ids.lowestDeleted(first, len, ops.delBackward[i]);
            Agent target = doc.agents[Ids.agent(lo)];
            Arrays.fill(target.leafOf, Ids.seq(lo), Ids.seq(lo) + len, UNPLACED_DELETED);
            doc.logDelete(a, seq, len, first, ops.delBackward[i], Math.min(ops.delTime[i], now));
        }
        for (int k = 0; k < ops.unkStart.length; k++) {
            Agent a = doc.agents[map[Ids.agent(ops.unkStart[k])]];
            int seq = Ids.seq(ops.unkStart[k]);
            int end = seq + ops.unkLen[k];
            if (end > a.insClock) throw new CrdtFormatException("unknown range " + k + " names characters the document does not contain");
            for (int s = seq; s < end; s++) {
                if (a.leafOf[s] != UNPLACED_DELETED) throw new CrdtFormatException("unknown range " + k + " covers a visible character: only deleted text may be unknown");
            }
            a.markUnknown(seq, end);
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
            Agent a = doc.agents[map[ua]];
            int from0 = pieces.start(ua, (int) p);
            int to = pieces.end(ua, (int) p);
            char[] leafOf = a.leafOf;
            // Split the piece into spans where deleted turns to visible or back.
            for (int from = from0; from < to; ) {
                int mark = leafOf[from];
                int end = from;
                while (end < to && leafOf[end] == mark) end++; // (bulkLoad sets every entry afterwards)
                boolean deleted = mark == UNPLACED_DELETED;
                int n = end - from;
                if (deleted && v1) {
                    Arrays.fill(a.text, from, end, Update.FILLER); // v1: the text of deleted characters was dropped
                    a.markUnknown(from, end);
                } else if (a.unknown == null) { // (unknown ranges cover deleted characters only: checked above)
                    if (textAt + n > ops.text.length) throw new CrdtFormatException("the text is shorter than the characters that have text");
                    System.arraycopy(ops.text, textAt, a.text, from, n);
                    textAt += n;
                } else {
                    for (int s = from; s < end; s++) {
                        if (a.unknown(s)) {
                            a.text[s] = Update.FILLER;
                        } else {
                            if (textAt == ops.text.length) throw new CrdtFormatException("the text is shorter than the characters that have text");
                            a.text[s] = ops.text[textAt++];
                        }
                    }
                }
                if (doc.hasAstral && (Character.isLowSurrogate(a.text[from]) || Character.isHighSurrogate(a.text[end - 1]))) {
                    throw new CrdtFormatException("piece " + p + " splits a surrogate pair");
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
        for (int i = 0; i < doc.agentCount(); i++) chars += doc.agents[i].insClock;
        if (placed != chars) throw new CrdtFormatException("the order places " + placed + " of " + chars + " characters");
        if (textAt != ops.text.length) throw new CrdtFormatException("the text is longer than the characters that have text");
        doc.tree.bulkLoad(ids, lens, spans);
        // Formatting last: it needs the characters in place. Each replica's operations come in
        // seq order and checkGapFree placed them among its deletions.
        for (FormatOp f : formats) {
            if ((f.startSeq() != -1 && !doc.has(f.startReplica(), f.startSeq())) || (f.endSeq() != -1 && !doc.has(f.endReplica(), f.endSeq()))) {
                throw new CrdtFormatException("document formats characters it does not contain");
            }
            doc.formatting.integrate(doc.agent(f.replica()), f, null);
        }
    }
}
