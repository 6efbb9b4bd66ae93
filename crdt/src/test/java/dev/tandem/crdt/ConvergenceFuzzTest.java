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
 * order every character, tombstones included, exactly as the naive {@link ReferenceList} does
 * on the same operations. Every parameter of a run (replicas, steps, ids) comes from its seed:
 * a failure names its seed and test, and {@code -Dtandem.seed=N} reruns exactly that run.
 */
class ConvergenceFuzzTest {
    private static final String[] SNIPPETS = {"a", "b", "x", "hello", " ", "\n", "\uD83D\uDE00", "é", "👍🏽", "long paste of several words\n", "\uFFFF", "中文"};
    /** What a burst of keystrokes types, one code point per keystroke: BMP, astral, U+FFFF, NUL. */
    private static final String[] KEYS = {"a", "b", "c", "z", " ", "\n", "é", "中", "\uFFFF", "\uFFFE", "\u0000", "\uD83D\uDE00", "\uD834\uDD1E", "\uDBFF\uDFFF"};

    /** A test's seeds: the one given with -Dtandem.seed, else {@code count} of them from {@code first} (or the clock). */
    private static long[] seeds(int count, Long first) {
        String fixed = System.getProperty("tandem.seed");
        if (fixed != null) return new long[] {Long.parseLong(fixed)};
        long base = first != null ? first : System.nanoTime();
        long[] seeds = new long[count];
        for (int i = 0; i < count; i++) seeds[i] = base + i;
        return seeds;
    }

    @Test
    void replicasConvergeUnderRandomDelivery() {
        long[] seeds = seeds(150, null);
        System.out.println("ConvergenceFuzzTest.replicasConvergeUnderRandomDelivery: seeds " + seeds[0] + ".." + seeds[seeds.length - 1]);
        for (long seed : seeds) {
            // Every parameter from the seed, so that -Dtandem.seed=N reruns the same run.
            Random params = new Random(seed ^ 0x5DEECE66DL);
            run("replicasConvergeUnderRandomDelivery", seed, 2 + params.nextInt(4), 100 + params.nextInt(300));
        }
    }

    @Test
    void manySmallCasesMatchTheNaiveReference() {
        for (long seed : seeds(400, 1L)) {
            Random params = new Random(seed ^ 0x5DEECE66DL);
            run("manySmallCasesMatchTheNaiveReference", seed, 2 + params.nextInt(2), 10 + params.nextInt(40));
        }
    }

    static final class Message {
        final int to;
        final Update update;

        Message(int to, Update update) {
            this.to = to;
            this.update = update;
        }
    }

    static void run(String test, long seed, int replicas, int steps) {
        try {
            runUnchecked(seed, replicas, steps);
        } catch (Throwable t) {
            throw new AssertionError("seed=" + seed + " (" + replicas + " replicas, " + steps + " steps; rerun: ./mvnw -pl crdt test -Dtest=ConvergenceFuzzTest#"
                    + test + " -Dtandem.seed=" + seed + "): " + t, t);
        }
    }

    private static void runUnchecked(long seed, int n, int steps) {
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
                // Restart from the saved document (deleted text is gone from it), with the
                // operations it held back saved apart and applied again, as the hub does.
                String before = docs[r].text();
                Update heldOps = Update.decode(docs[r].heldUpdate().encode());
                docs[r] = Doc.decode(docs[r].encode(), docs[r].replicaId());
                assertEquals(0, docs[r].heldRuns());
                docs[r].apply(heldOps);
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
            assertEquals(docs[i].idSequence(), copy.idSequence(), "decoded order of replica " + i);
            copy.checkInvariants();
        }
        // The whole order, tombstones included, against the naive reference: a wrong order among
        // deleted characters does not show in the text but breaks later concurrent inserts.
        ReferenceList ref = new ReferenceList();
        ref.applyInOrder(docs[0].updatesSince(Version.EMPTY));
        assertEquals(ref.text(), text, "naive reference, text");
        List<String> ids = ref.idSequence();
        for (int i = 0; i < n; i++) assertEquals(ids, docs[i].idSequence(), "naive reference, ids of replica " + i);
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
                String c = KEYS[rnd.nextInt(KEYS.length)];
                burst.add(d.insert(pos, c));
                if (!backwards) pos += c.length();
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
