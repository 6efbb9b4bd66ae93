package dev.tandem.crdt;

import dev.tandem.crdt.tools.Replay;
import dev.tandem.crdt.tools.Trace;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** textAt, diff and edit sessions: the past read off the present. */
class HistoryTest {

    // ---------------------------------------------------------------- textAt on the traces

    @ParameterizedTest
    @ValueSource(strings = {"automerge-paper.json.gz", "seph-blog1.json.gz", "sveltecomponent.json.gz"})
    void textAtEqualsReplayingASequentialTraceToThatPoint(String name) throws IOException {
        Trace t = TraceTest.load(name);
        int n = t.patchCount();
        List<Version> versions = new ArrayList<>();
        List<String> texts = new ArrayList<>();
        Doc doc = Replay.sequential(t, (d, p) -> {
            if (p % Math.max(1, n / 20) == 0 || p == n - 1) {
                versions.add(d.version());
                texts.add(d.text());
            }
        });
        assertTrue(versions.size() >= 20, versions.size() + " samples");
        for (int i = 0; i < versions.size(); i++) assertEquals(texts.get(i), doc.textAt(versions.get(i)), name + " sample " + i);
        // The same after a save and a reload: the deleted text is part of the document.
        Doc loaded = Doc.decode(doc.encode());
        for (int i = 0; i < versions.size(); i += 5) assertEquals(texts.get(i), loaded.textAt(versions.get(i)), name + " reloaded, sample " + i);
        assertEquals("", doc.textAt(Version.EMPTY));
    }

    @Test
    void textAtEqualsEachReplicasPastOnTheConcurrentTrace() throws IOException {
        Trace t = TraceTest.load("friendsforever.json.gz");
        int n = t.txnCount();
        List<Version> versions = new ArrayList<>();
        List<String> texts = new ArrayList<>();
        Doc[] docs = Replay.concurrent(t, (d, i) -> {
            if (i % Math.max(1, n / 20) == 0) {
                versions.add(d.version());
                texts.add(d.text());
            }
        });
        assertTrue(versions.size() >= 20, versions.size() + " samples");
        for (Doc d : docs) {
            for (int i = 0; i < versions.size(); i++) assertEquals(texts.get(i), d.textAt(versions.get(i)), "sample " + i);
        }
    }

    @Test
    void aVersionTheDocumentHasNotSeenIsRefused() {
        Doc a = new Doc(1);
        a.insert(0, "abc");
        Doc b = new Doc(2);
        b.insert(0, "x");
        assertThrows(IllegalArgumentException.class, () -> a.textAt(b.version()));
        assertThrows(IllegalArgumentException.class, () -> a.diff(Version.EMPTY, b.version()));
        Version later = a.version();
        a.insert(0, "z");
        assertThrows(IllegalArgumentException.class, () -> a.diff(a.version(), later), "from after to");
    }

    @Test
    void textAtShowsUnknownTextAsReplacementCharacters() throws IOException {
        Doc upgraded;
        try (var in = HistoryTest.class.getResourceAsStream("/golden/concurrent.tdoc")) {
            upgraded = Doc.decode(in.readAllBytes());
        }
        Doc original = CodecTest.golden(1);
        // A version before the deletion: "shared text" with its first character, unknown since v1.
        Doc b = new Doc(0x2222);
        Doc a = new Doc(0x1111);
        b.apply(a.insert(0, "shared text"));
        assertEquals("\uFFFDhared text", upgraded.textAt(b.version()));
        assertEquals("shared text", original.textAt(b.version()));
    }

    // ---------------------------------------------------------------- diff against a naive model

    /** One replica's state at some moment: its version, its text, and its characters in order. */
    private record Snapshot(Version version, String text, List<String> visibleIds) {}

    private static Snapshot snapshot(Doc d) {
        List<String> visible = new ArrayList<>();
        for (String id : d.idSequence()) if (!id.endsWith("-")) visible.add(id);
        return new Snapshot(d.version(), d.text(), visible);
    }

    @Test
    void diffMatchesANaiveComputationOnRandomSmallCases() {
        String fixed = System.getProperty("tandem.seed");
        long first = fixed != null ? Long.parseLong(fixed) : System.nanoTime() % 1_000_000;
        int cases = fixed != null ? 1 : 300;
        System.out.println("HistoryTest.diff: seeds " + first + ".." + (first + cases - 1) + " (rerun one: -Dtest=HistoryTest -Dtandem.seed=N)");
        for (long seed = first; seed < first + cases; seed++) diffCase(seed);
    }

    private static void diffCase(long seed) {
        Random rnd = new Random(seed);
        int replicas = 2 + rnd.nextInt(2);
        Doc[] docs = new Doc[replicas];
        for (int i = 0; i < replicas; i++) docs[i] = new Doc(i + 1);
        List<Update> all = new ArrayList<>();
        // Which replicas deleted each character id (the naive record of deletions).
        Map<String, Set<Long>> deletedBy = new HashMap<>();
        List<Snapshot> snaps = new ArrayList<>();
        for (int step = 0; step < 30; step++) {
            int r = rnd.nextInt(replicas);
            Doc d = docs[r];
            switch (rnd.nextInt(5)) {
                case 0, 1 -> all.add(d.insert(rnd.nextInt(d.length() + 1), "" + (char) ('a' + rnd.nextInt(26)) + (rnd.nextBoolean() ? "xy" : "")));
                case 2 -> {
                    if (d.length() == 0) continue;
                    int pos = rnd.nextInt(d.length());
                    int len = 1 + rnd.nextInt(Math.min(3, d.length() - pos));
                    List<String> before = snapshot(d).visibleIds();
                    for (int k = pos; k < pos + len; k++) deletedBy.computeIfAbsent(before.get(k), x -> new HashSet<>()).add(d.replicaId());
                    all.add(d.delete(pos, len));
                }
                default -> {
                    Doc other = docs[rnd.nextInt(replicas)];
                    d.apply(other.updatesSince(d.version()));
                }
            }
            snaps.add(snapshot(d));
        }
        Doc last = docs[0];
        for (Update u : all) last.apply(u);
        snaps.add(snapshot(last));
        List<String> order = last.idSequence();
        String what = "seed " + seed + " (rerun: -Dtest=HistoryTest -Dtandem.seed=" + seed + ")";
        for (int k = 0, tries = 0; k < 10 && tries < 1000; tries++) {
            // Two moments, the later one covering the earlier (of one replica's life, or after a sync).
            Snapshot from = snaps.get(rnd.nextInt(snaps.size()));
            Snapshot to = snaps.get(rnd.nextInt(snaps.size()));
            if (!to.version().covers(from.version())) continue;
            k++;
            assertEquals(from.text(), last.textAt(from.version()), what);
            assertEquals(to.text(), last.textAt(to.version()), what);
            // Naive: each character of the final order, visible in one snapshot or the other.
            Map<String, Character> charOf = new HashMap<>();
            for (Snapshot s : List.of(from, to)) for (int i = 0; i < s.visibleIds().size(); i++) charOf.put(s.visibleIds().get(i), s.text().charAt(i));
            Set<String> inFrom = new HashSet<>(from.visibleIds());
            Set<String> inTo = new HashSet<>(to.visibleIds());
            List<String> expected = new ArrayList<>();
            List<String> expectedIds = new ArrayList<>();
            int index = 0;
            for (String full : order) {
                String id = full.endsWith("-") ? full.substring(0, full.length() - 1) : full;
                boolean before = inFrom.contains(id);
                boolean after = inTo.contains(id);
                if (after != before) {
                    expected.add((after ? "+" : "-") + index + charOf.get(id));
                    expectedIds.add(id);
                }
                if (after) index++;
            }
            List<String> actual = new ArrayList<>();
            List<Long> actualReplica = new ArrayList<>();
            for (Diff part : last.diff(from.version(), to.version())) {
                for (int i = 0; i < part.text().length(); i++) {
                    int at = part.kind() == Diff.Kind.INSERTED ? part.index() + i : part.index();
                    actual.add((part.kind() == Diff.Kind.INSERTED ? "+" : "-") + at + part.text().charAt(i));
                    actualReplica.add(part.replica());
                }
            }
            String where = what + " diff from " + from.version() + " to " + to.version();
            assertEquals(expected, actual, where);
            // Who: the inserter owns the characters; the remover is a replica that deleted them.
            for (int i = 0; i < expectedIds.size(); i++) {
                String id = expectedIds.get(i);
                long owner = Long.parseUnsignedLong(id.substring(0, id.indexOf(':')), 16);
                if (expected.get(i).startsWith("+")) assertEquals(owner, actualReplica.get(i), where);
                else assertTrue(deletedBy.getOrDefault(id, Set.of()).contains(actualReplica.get(i)), where + ": " + id + " deleted by " + deletedBy.get(id) + ", diff says " + actualReplica.get(i));
            }
        }
    }

    // ---------------------------------------------------------------- sessions

    @Test
    void sessionsGroupEachReplicasEditsByPauses() {
        AtomicLong now = new AtomicLong(1_000_000);
        Doc a = new Doc(1);
        a.clock(now::get);
        Doc b = new Doc(2);
        b.clock(now::get);
        a.insert(0, "hello");                  // a, t = 1,000,000
        now.addAndGet(90);
        a.insert(5, " world");                 // a, +90 s: a run of its own (runs span 60 s), same session
        String afterFirst = a.text();
        now.addAndGet(3600);
        b.apply(a.updatesSince(Version.EMPTY));
        b.insert(0, ">> ");                    // b, an hour later
        b.delete(3, 5);
        a.apply(b.updatesSince(a.version()));
        now.addAndGet(7200);
        a.delete(0, 3);                        // a again, two hours later
        String finalText = a.text();
        List<EditSession> s = a.sessions(Duration.ofMinutes(10));
        assertEquals(3, s.size(), s.toString());
        // Newest first.
        EditSession last = s.get(0);
        EditSession middle = s.get(1);
        EditSession firstSession = s.get(2);
        assertEquals(1, last.replica(), s.toString());
        assertEquals(Instant.ofEpochSecond(1_010_890), last.start(), s.toString());
        assertEquals(0, last.inserted());
        assertEquals(3, last.deleted());
        assertEquals(finalText, a.textAt(last.version()));
        assertEquals(2, middle.replica());
        assertEquals(3, middle.inserted());
        assertEquals(5, middle.deleted());
        assertEquals(">>  world", a.textAt(middle.version()));
        assertEquals(1, firstSession.replica());
        assertEquals(Instant.ofEpochSecond(1_000_000), firstSession.start());
        assertEquals(Instant.ofEpochSecond(1_000_090), firstSession.end());
        assertEquals(11, firstSession.inserted());
        assertEquals(afterFirst, a.textAt(firstSession.version()));
        // A shorter gap splits the first session; a longer one joins everything of a replica.
        assertEquals(4, a.sessions(Duration.ofSeconds(10)).size());
        assertEquals(2, a.sessions(Duration.ofDays(1)).size());
        // They survive a save and a reload, and a replica that got everything sees the same.
        assertEquals(s, Doc.decode(a.encode()).sessions(Duration.ofMinutes(10)));
        b.apply(a.updatesSince(b.version()));
        assertEquals(s, b.sessions(Duration.ofMinutes(10)));
    }
    @Test
    void aSessionsVersionHoldsTheFormattingMadeInIt_notOneMadeLater() {
        AtomicLong now = new AtomicLong(2_000_000);
        Doc a = new Doc(1);
        a.clock(now::get);
        Doc b = new Doc(2);
        b.clock(now::get);
        a.insert(0, "Title\nbody text");
        a.setParagraph(0, Formats.BLOCK, "h1");
        a.mark(6, 10, Formats.BOLD, "true");     // formatting has no time of its own
        now.addAndGet(3600);
        b.apply(a.updatesSince(Version.EMPTY));
        b.insert(b.length(), " more");
        b.mark(11, 15, Formats.ITALIC, "true");   // b's, an hour later
        now.addAndGet(3600);
        a.apply(b.updatesSince(a.version()));
        a.delete(0, 1);
        a.mark(0, 3, Formats.UNDERLINE, "true");  // a's, after its deletion, two hours later
        List<EditSession> s = a.sessions(Duration.ofMinutes(10));
        assertEquals(3, s.size(), s.toString());
        EditSession first = s.get(2);
        assertEquals(1, first.replica());
        List<Doc.TextRun> then = a.runsAt(first.version());
        assertEquals(List.of(new Doc.TextRun("Title\n", java.util.Map.of()), new Doc.TextRun("body", java.util.Map.of(Formats.BOLD, "true")),
                new Doc.TextRun(" text", java.util.Map.of())), then, "a's bold is in its session; b's italic is not yet");
        assertEquals("h1", a.paragraphsAt(first.version()).get(0).get(Formats.BLOCK));
        EditSession middle = s.get(1);
        assertTrue(a.runsAt(middle.version()).stream().anyMatch(r -> r.marks().containsKey(Formats.ITALIC)), "b's italic is in b's session");
        assertTrue(a.runsAt(middle.version()).stream().noneMatch(r -> r.marks().containsKey(Formats.UNDERLINE)), "a's later underline is not");
        assertEquals(a.runs(0, a.length()), a.runsAt(s.get(0).version()));
    }
}
