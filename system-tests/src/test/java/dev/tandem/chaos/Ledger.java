package dev.tandem.chaos;

import dev.tandem.crdt.Anchor;
import dev.tandem.crdt.Bias;
import dev.tandem.crdt.Doc;
import dev.tandem.crdt.Update;

import java.util.ArrayList;
import java.util.BitSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The ground truth of a chaos run, kept outside the system under test: every update any client
 * made (in the order they were made, which is causal), and, per character id (replica, seq),
 * the character typed and whether some client deleted it. At the end the hub's document must
 * show exactly the typed characters nobody deleted, each once, with the right text.
 *
 * <p>Threads: owned by the chaos driver thread.
 */
final class Ledger {
    private final List<Update> updates = new ArrayList<>();
    private final Map<Long, StringBuilder> typed = new HashMap<>();
    private final Map<Long, BitSet> deleted = new HashMap<>();
    long inserts;
    long deletes;
    long charsInserted;
    long charsDeleted;

    /** Call right after {@code doc.insert(pos, text)} returned {@code u}. */
    void inserted(Doc doc, int pos, String text, Update u) {
        for (int k = 0; k < text.length(); k++) {
            Anchor a = doc.anchor(pos + k, Bias.RIGHT);
            StringBuilder chars = typed.computeIfAbsent(a.replicaId(), r -> new StringBuilder());
            if (a.seq() != chars.length()) {
                throw new IllegalStateException("character ids of replica " + Long.toHexString(a.replicaId())
                        + " are not consecutive: got seq " + a.seq() + ", expected " + chars.length());
            }
            chars.append(text.charAt(k));
        }
        updates.add(u);
        inserts++;
        charsInserted += text.length();
    }

    /** Call right before {@code doc.delete(pos, len)}: records the ids of the characters it removes. */
    void deleting(Doc doc, int pos, int len) {
        for (int k = 0; k < len; k++) {
            Anchor a = doc.anchor(pos + k, Bias.RIGHT);
            deleted.computeIfAbsent(a.replicaId(), r -> new BitSet()).set(a.seq());
        }
    }

    void deleted(Update u, int len) {
        updates.add(u);
        deletes++;
        charsDeleted += len;
    }

    /** Every update ever made, applied in order to a fresh document: what everyone must end with. */
    Doc expected() {
        Doc d = new Doc();
        for (Update u : updates) d.apply(u);
        return d;
    }

    /** Characters typed and not deleted by anyone: the length the final text must have. */
    long survivors() {
        long n = 0;
        for (Map.Entry<Long, StringBuilder> e : typed.entrySet()) {
            BitSet del = deleted.get(e.getKey());
            n += e.getValue().length() - (del == null ? 0 : del.cardinality());
        }
        return n;
    }

    /**
     * Checks {@code doc} character by character against the ledger: every visible character is
     * one somebody typed, with the text they typed, that nobody deleted, shown once; and every
     * typed, undeleted character is visible. Returns the problems (empty when all is well).
     */
    List<String> check(Doc doc, String who) {
        List<String> problems = new ArrayList<>();
        String text = doc.text();
        Map<Long, BitSet> seen = new HashMap<>();
        for (int p = 0; p < text.length(); p++) {
            Anchor a = doc.anchor(p, Bias.RIGHT);
            StringBuilder chars = typed.get(a.replicaId());
            String id = Long.toHexString(a.replicaId()) + ":" + a.seq();
            if (chars == null || a.seq() >= chars.length()) {
                problems.add(who + ": character " + id + " at " + p + " was never typed by any client");
            } else if (chars.charAt(a.seq()) != text.charAt(p)) {
                problems.add(who + ": character " + id + " at " + p + " is '" + text.charAt(p) + "', was typed as '" + chars.charAt(a.seq()) + "'");
            } else if (deleted.containsKey(a.replicaId()) && deleted.get(a.replicaId()).get(a.seq())) {
                problems.add(who + ": character " + id + " at " + p + " was deleted but is visible");
            }
            BitSet s = seen.computeIfAbsent(a.replicaId(), r -> new BitSet());
            if (s.get(a.seq())) problems.add(who + ": character " + id + " is visible twice");
            s.set(a.seq());
            if (problems.size() > 20) return problems;
        }
        for (Map.Entry<Long, StringBuilder> e : typed.entrySet()) {
            BitSet del = deleted.getOrDefault(e.getKey(), new BitSet());
            BitSet s = seen.getOrDefault(e.getKey(), new BitSet());
            for (int seq = 0; seq < e.getValue().length(); seq++) {
                if (!del.get(seq) && !s.get(seq)) {
                    problems.add(who + ": LOST: character " + Long.toHexString(e.getKey()) + ":" + seq + " '" + e.getValue().charAt(seq)
                            + "' was typed, never deleted, and is missing");
                    if (problems.size() > 20) return problems;
                }
            }
        }
        return problems;
    }
}
