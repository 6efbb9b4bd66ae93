package dev.tandem.crdt.tools;

import dev.tandem.crdt.Doc;
import dev.tandem.crdt.Update;

import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;

/** Replays traces into documents. */
public final class Replay {
    private Replay() {}

    /** Applies one patch (code-point positions) as local edits. */
    static void patch(Doc doc, int pos, int del, String text) {
        int at = doc.codePointToIndex(pos);
        if (del > 0) {
            int end = doc.codePointToIndex(pos + del);
            doc.delete(at, end - at);
        }
        if (!text.isEmpty()) doc.insert(at, text);
    }

    /** Replays a sequential trace as local edits on one document: one call per patch. */
    public static Doc sequential(Trace t) {
        Doc doc = new Doc(1);
        if (!t.startContent.isEmpty()) doc.insert(0, t.startContent);
        int[] pos = t.patchPos;
        int[] del = t.patchDel;
        String[] text = t.patchText;
        for (int p = 0, n = t.patchCount(); p < n; p++) patch(doc, pos[p], del[p], text[p]);
        return doc;
    }

    /** Like {@link #sequential(Trace)}, telling {@code afterPatch} the patch index and the document after each patch. */
    public static Doc sequential(Trace t, java.util.function.ObjIntConsumer<Doc> afterPatch) {
        Doc doc = new Doc(1);
        if (!t.startContent.isEmpty()) doc.insert(0, t.startContent);
        for (int p = 0, n = t.patchCount(); p < n; p++) {
            patch(doc, t.patchPos[p], t.patchDel[p], t.patchText[p]);
            afterPatch.accept(doc, p);
        }
        return doc;
    }

    /**
     * Replays a concurrent trace with one replica per agent: before each transaction its agent's
     * replica receives every transaction in the causal history of its parents that it lacks (in
     * trace order, which is causal), then makes the transaction's edits locally. At the end every
     * replica receives everything. Returns the replicas.
     */
    public static Doc[] concurrent(Trace t) {
        return concurrent(t, (doc, i) -> { });
    }

    /** Like {@link #concurrent(Trace)}, telling {@code afterTxn} each transaction's index and its replica after it. */
    public static Doc[] concurrent(Trace t, java.util.function.ObjIntConsumer<Doc> afterTxn) {
        int agents = t.numAgents;
        Doc[] docs = new Doc[agents];
        BitSet[] applied = new BitSet[agents];
        for (int a = 0; a < agents; a++) {
            docs[a] = new Doc(a + 1);
            applied[a] = new BitSet(t.txnCount());
        }
        Update[] made = new Update[t.txnCount()];
        List<Update> txnEdits = new ArrayList<>();
        int[] stack = new int[t.txnCount()];
        int[] lacking = new int[t.txnCount()];
        boolean[] missing = new boolean[t.txnCount()];
        for (int i = 0, n = t.txnCount(); i < n; i++) {
            int a = t.txnAgent[i];
            Doc doc = docs[a];
            BitSet have = applied[a];
            // Causal history of the parents that this replica lacks.
            int top = 0;
            int found = 0;
            for (int parent : t.txnParents[i]) {
                if (!have.get(parent) && !missing[parent]) {
                    missing[parent] = true;
                    stack[top++] = parent;
                }
            }
            while (top > 0) {
                int x = stack[--top];
                lacking[found++] = x;
                for (int parent : t.txnParents[x]) {
                    if (!have.get(parent) && !missing[parent]) {
                        missing[parent] = true;
                        stack[top++] = parent;
                    }
                }
            }
            java.util.Arrays.sort(lacking, 0, found);
            for (int k = 0; k < found; k++) {
                int x = lacking[k];
                doc.apply(made[x]);
                have.set(x);
                missing[x] = false;
            }
            txnEdits.clear();
            for (int p = t.txnFirstPatch[i]; p < t.txnFirstPatch[i + 1]; p++) {
                int at = doc.codePointToIndex(t.patchPos[p]);
                if (t.patchDel[p] > 0) {
                    int end = doc.codePointToIndex(t.patchPos[p] + t.patchDel[p]);
                    txnEdits.add(doc.delete(at, end - at));
                }
                if (!t.patchText[p].isEmpty()) txnEdits.add(doc.insert(at, t.patchText[p]));
            }
            made[i] = txnEdits.size() == 1 ? txnEdits.get(0) : Update.merge(txnEdits);
            have.set(i);
            afterTxn.accept(doc, i);
        }
        for (int a = 0; a < agents; a++) {
            for (int x = applied[a].nextClearBit(0); x < t.txnCount(); x = applied[a].nextClearBit(x + 1)) {
                docs[a].apply(made[x]);
                applied[a].set(x);
            }
        }
        return docs;
    }
}
