package dev.tandem.crdt;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class UpdateMergeTest {
    @Test
    void mergedUpdatesCarryEverythingOnce() {
        Doc a = new Doc(1);
        List<Update> edits = new ArrayList<>();
        Random rnd = new Random(5);
        for (int i = 0; i < 300; i++) edits.add(ConvergenceFuzzTest.randomEdit(rnd, a));
        Update merged = Update.merge(edits);
        Doc b = new Doc(2);
        b.apply(merged);
        assertEquals(a.text(), b.text());
        assertEquals(a.version(), b.version());
        assertEquals(a.updatesSince(Version.EMPTY).operationCount(), merged.operationCount());

        // Overlapping updates (a resend of what was already sent) merge to the same operations.
        Update twice = Update.merge(List.of(merged, Update.merge(edits.subList(100, 200)), merged));
        assertEquals(merged.operationCount(), twice.operationCount());
        Doc c = new Doc(3);
        c.apply(twice);
        assertEquals(a.text(), c.text());
    }

    @Test
    void updatesApplyInAnyOrder() {
        Doc a = new Doc(1);
        List<Update> edits = new ArrayList<>();
        Random rnd = new Random(9);
        for (int i = 0; i < 200; i++) edits.add(ConvergenceFuzzTest.randomEdit(rnd, a));
        for (int trial = 0; trial < 5; trial++) {
            List<Update> shuffled = new ArrayList<>(edits);
            Collections.shuffle(shuffled, new Random(trial));
            Doc b = new Doc(2);
            for (Update u : shuffled) b.apply(Update.decode(u.encode()));
            assertEquals(a.text(), b.text(), "order " + trial);
            assertTrue(!b.hasPending());
        }
    }

    @Test
    void aLongBatchInReverseOrderIsHeldThenApplied() {
        Doc a = new Doc(1);
        List<Update> edits = new ArrayList<>();
        for (int i = 0; i < 5000; i++) edits.add(a.insert(i % 7 == 0 ? 0 : a.length(), "x" + (i % 10)));
        Collections.reverse(edits);
        Doc b = new Doc(2);
        for (Update u : edits) b.apply(u);
        assertEquals(a.text(), b.text());
        assertTrue(!b.hasPending());
    }

    @Test
    void versionCoversExactlyTheOperations() {
        Doc a = new Doc(1);
        a.insert(0, "abc");
        Version before = a.version();
        Update u = Update.merge(List.of(a.insert(3, "de"), a.delete(0, 1)));
        Version v = u.version();
        assertEquals(5, v.inserts(1));
        assertEquals(1, v.deletes(1));
        assertTrue(a.version().covers(v));
        assertTrue(!before.covers(v));
        assertEquals(Version.EMPTY, Update.empty().version());
    }

    @Test
    void replicasAreReported() {
        Doc a = new Doc(7);
        Doc b = new Doc(8);
        b.apply(a.insert(0, "x"));
        Update u = b.insert(1, "y");
        assertEquals(1, u.replicas().length);
        assertEquals(8, u.replicas()[0]);
        assertEquals(2, b.updatesSince(Version.EMPTY).replicas().length);
        assertTrue(Update.empty().isEmpty());
    }
}
