package dev.tandem.chaos;

import dev.tandem.crdt.Doc;
import dev.tandem.crdt.Update;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The chaos run's judge must itself catch loss, resurrection and forgery, or the run proves nothing. */
class LedgerTest {

    @Test
    void aFaithfulReplicaPasses() {
        Ledger ledger = new Ledger();
        Doc a = new Doc(1);
        Doc b = new Doc(2);
        insert(ledger, a, 0, "hello");
        b.apply(ledger.expected().updatesSince(b.version()));
        insert(ledger, b, 5, " world");
        ledger.deleting(b, 0, 1);
        ledger.deleted(b.delete(0, 1), 1);
        Doc all = ledger.expected();
        assertEquals("ello world", all.text());
        assertEquals(List.of(), ledger.check(all, "all"));
        assertEquals(10, ledger.survivors());
    }

    @Test
    void aLostEditIsReported() {
        Ledger ledger = new Ledger();
        Doc a = new Doc(1);
        Update first = insert(ledger, a, 0, "kept");
        insert(ledger, a, 4, "LOST");
        Doc replica = new Doc(9);
        replica.apply(first); // the second edit never arrived
        List<String> problems = ledger.check(replica, "r");
        assertEquals(4, problems.size(), problems.toString());
        assertTrue(problems.get(0).contains("LOST"), problems.toString());
    }

    @Test
    void aResurrectedDeletionIsReported() {
        Ledger ledger = new Ledger();
        Doc a = new Doc(1);
        Update typed = insert(ledger, a, 0, "abc");
        ledger.deleting(a, 1, 1);
        ledger.deleted(a.delete(1, 1), 1);
        Doc replica = new Doc(9);
        replica.apply(typed); // the deletion never arrived
        List<String> problems = ledger.check(replica, "r");
        assertEquals(1, problems.size(), problems.toString());
        assertTrue(problems.get(0).contains("deleted but is visible"), problems.toString());
    }

    @Test
    void textNobodyTypedIsReported() {
        Ledger ledger = new Ledger();
        Doc a = new Doc(1);
        Update typed = insert(ledger, a, 0, "ok");
        Doc replica = new Doc(9);
        replica.apply(typed);
        replica.insert(1, "X"); // e.g. a forged update the hub should have refused
        List<String> problems = ledger.check(replica, "r");
        assertEquals(1, problems.size(), problems.toString());
        assertTrue(problems.get(0).contains("never typed"), problems.toString());
    }

    private static Update insert(Ledger ledger, Doc doc, int pos, String text) {
        Update u = doc.insert(pos, text);
        ledger.inserted(doc, pos, text, u);
        return u;
    }
}
