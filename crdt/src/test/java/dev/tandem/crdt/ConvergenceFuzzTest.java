package dev.tandem.crdt;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Seeded random editing on several replicas over a simulated network that delays, reorders,
 * duplicates and drops-until-resync, with replicas going offline and coming back. At the end
 * every replica must hold the same text and version, survive an encode/decode round trip, and
 * agree with the naive {@link ReferenceList} on the same operations. A failure names its seed:
 * rerun one with {@code -Dtandem.seed=N}.
 */
class ConvergenceFuzzTest {
    private static final String[] SNIPPETS = {"a", "b", "x", "hello", " ", "\n", "\uD83D\uDE00", "é", "👍🏽", "long paste of several words\n"};

    @Test
    void replicasConvergeUnderRandomDelivery() {
        String fixed = System.getProperty("tandem.seed");
        if (fixed != null) {
            run(Long.parseLong(fixed), 5, 400, true);
            return;
        }
        long base = System.nanoTime();
        for (int i = 0; i < 150; i++) {
            long seed = base + i;
            run(seed, 5, 300, i % 10 == 0);
        }
    }

    @Test
    void manySmallCasesMatchTheNaiveReference() {
        for (long seed = 1; seed <= 400; seed++) run(seed, 3, 30, true);
    }

    static final class Message {
        final int to;
        final Update update;

        Message(int to, Update update) {
            this.to = to;
            this.update = update;
        }
    }

    static void run(long seed, int replicas, int steps, boolean checkReference) {
        try {
            runUnchecked(seed, replicas, steps, checkReference);
        } catch (Throwable t) {
            AssertionError e = new AssertionError("seed " + seed + " (rerun with -Dtandem.seed=" + seed + "): " + t, t);
            throw e;
        }
    }

    private static void runUnchecked(long seed, int n, int steps, boolean checkReference) {
        Random rnd = new Random(seed);
        Doc[] docs = new Doc[n];
        boolean[] online = new boolean[n];
        for (int i = 0; i < n; i++) {
            long id = rnd.nextInt(4) == 0 ? i + 1 : rnd.nextLong();
            // Most replicas get tiny B-tree nodes so small documents still split leaves and branches.
            docs[i] = i == 0 ? new Doc(id) : new Doc(id, 4, 4);
            online[i] = true;
        }
        List<Message> inFlight = new ArrayList<>();
        // A view of replica 1 kept only from the changes apply() reports, like an editor's.
        StringBuilder view = new StringBuilder(docs[1].text());
        for (int step = 0; step < steps; step++) {
            int r = rnd.nextInt(n);
            int action = rnd.nextInt(100);
            if (action < 45) {
                Update u = randomEdit(rnd, docs[r]);
                if (r == 1) view.replace(0, view.length(), docs[1].text()); // local edits: the view made them
                if (u.isEmpty()) continue;
                // Sometimes the update travels as bytes, like on the wire.
                if (rnd.nextBoolean()) u = Update.decode(u.encode());
                for (int to = 0; to < n; to++) {
                    if (to != r && (online[r] || rnd.nextInt(4) == 0)) inFlight.add(new Message(to, u));
                }
            } else if (action < 80 && !inFlight.isEmpty()) {
                int k = rnd.nextInt(inFlight.size());
                Message m = inFlight.get(k);
                if (!online[m.to]) continue;
                List<Change> changes = docs[m.to].apply(m.update);
                if (m.to == 1) patch(view, changes, docs[1]);
                if (rnd.nextInt(10) != 0) inFlight.remove(k); // else: delivered twice later
            } else if (action < 85) {
                online[r] = !online[r];
            } else if (action < 92) {
                int other = rnd.nextInt(n);
                if (other != r && online[r] && online[other]) {
                    List<Change> toOther = docs[other].apply(docs[r].updatesSince(docs[other].version()));
                    List<Change> toR = docs[r].apply(docs[other].updatesSince(docs[r].version()));
                    if (other == 1) patch(view, toOther, docs[1]);
                    if (r == 1) patch(view, toR, docs[1]);
                }
            } else if (action < 95 && !inFlight.isEmpty()) {
                inFlight.remove(rnd.nextInt(inFlight.size())); // lost; a later sync repairs it
            } else if (action < 97) {
                // Restart from the saved document (deleted text is gone from it; operations it
                // held back are lost and come again with the next sync).
                String before = docs[r].text();
                docs[r] = Doc.decode(docs[r].encode(), docs[r].replicaId());
                assertEquals(before, docs[r].text(), "text after reopening replica " + r);
                if (r == 1) view.replace(0, view.length(), before);
            } else {
                docs[r].checkInvariants();
            }
        }
        for (Message m : inFlight) docs[m.to].apply(m.update);
        for (int round = 0; round < 2; round++) {
            for (int i = 0; i < n; i++) for (int j = 0; j < n; j++) if (i != j) sync(docs[i], docs[j]);
        }
        String text = docs[0].text();
        Version version = docs[0].version();
        for (int i = 0; i < n; i++) {
            docs[i].checkInvariants();
            assertEquals(text, docs[i].text(), "text of replica " + i);
            assertEquals(version, docs[i].version(), "version of replica " + i);
            if (docs[i].hasPending()) fail("replica " + i + " still holds pending operations");
            Doc copy = Doc.decode(docs[i].encode());
            assertEquals(text, copy.text(), "decoded text of replica " + i);
            assertEquals(version, copy.version(), "decoded version of replica " + i);
            copy.checkInvariants();
        }
        if (checkReference) {
            ReferenceList ref = new ReferenceList();
            ref.applyInOrder(docs[0].updatesSince(Version.EMPTY));
            assertEquals(ref.text(), text, "naive reference");
        }
    }

    /** Applies reported changes to a plain string, as a view would, and checks the result. */
    private static void patch(StringBuilder view, List<Change> changes, Doc doc) {
        for (Change c : changes) {
            view.replace(c.index(), c.index() + c.deleted(), c.inserted());
        }
        assertEquals(doc.text(), view.toString(), "a view patched with the reported changes");
    }

    private static void sync(Doc a, Doc b) {
        b.apply(a.updatesSince(b.version()));
        a.apply(b.updatesSince(a.version()));
    }

    static Update randomEdit(Random rnd, Doc d) {
        int len = d.length();
        if (len > 0 && rnd.nextInt(3) == 0) {
            int pos = safe(d, rnd.nextInt(len));
            int max = Math.min(len - pos, rnd.nextInt(4) == 0 ? 20 : 3);
            int n = 1 + rnd.nextInt(Math.max(1, max));
            n = Math.min(n, len - pos);
            int end = safe(d, pos + n);
            if (end <= pos) return Update.empty();
            return d.delete(pos, end - pos);
        }
        int pos = safe(d, rnd.nextInt(len + 1));
        String s = SNIPPETS[rnd.nextInt(SNIPPETS.length)];
        if (rnd.nextInt(3) == 0) {
            // A burst of typing: several single edits merged into one update, like the client's batching.
            List<Update> burst = new ArrayList<>();
            boolean backwards = rnd.nextBoolean();
            for (int i = 0; i < 1 + rnd.nextInt(5); i++) {
                String c = String.valueOf((char) ('a' + rnd.nextInt(26)));
                burst.add(d.insert(pos, c));
                if (!backwards) pos++;
            }
            return Update.merge(burst);
        }
        return d.insert(pos, s);
    }

    /** Moves a position off the middle of a surrogate pair. */
    static int safe(Doc d, int pos) {
        if (pos <= 0 || pos >= d.length()) return pos;
        String t = d.text();
        return Character.isLowSurrogate(t.charAt(pos)) ? pos - 1 : pos;
    }
}
