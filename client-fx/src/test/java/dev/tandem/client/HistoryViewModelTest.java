package dev.tandem.client;

import dev.tandem.crdt.Doc;
import dev.tandem.crdt.Formats;
import dev.tandem.crdt.Version;
import dev.tandem.sync.Author;
import dev.tandem.sync.NamedVersion;
import dev.tandem.sync.Peer;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

/** The history panel's model in plain Java, on real replicas: entries, names, a past version's content. */
class HistoryViewModelTest {
    private static final long ADA_LAPTOP = 0xa1, ADA_PHONE = 0xa2, BOB = 0xb0;

    /** Ada on two devices and Bob, all in the same second (so the order is by replica id). */
    private static Doc[] room() {
        Doc laptop = new Doc(ADA_LAPTOP), phone = new Doc(ADA_PHONE), bob = new Doc(BOB);
        laptop.insert(0, "one ");
        phone.apply(laptop.updatesSince(Version.EMPTY));
        phone.insert(4, "two ");
        bob.apply(phone.updatesSince(Version.EMPTY));
        bob.insert(8, "three");
        bob.mark(0, 3, Formats.BOLD, "true");
        laptop.apply(bob.updatesSince(laptop.version()));
        return new Doc[] {laptop, phone, bob};
    }

    private static AuthorNames names() {
        AuthorNames n = new AuthorNames();
        n.setAuthors(Map.of(ADA_LAPTOP, new Author(ADA_LAPTOP, "ada", "Ada"), ADA_PHONE, new Author(ADA_PHONE, "ada", "Ada L."),
                BOB, new Author(BOB, "bob", "Bob")));
        n.sawPeers(List.of(new Peer(BOB, "Bob", "#d62728", false, false, null, null, false)));
        return n;
    }

    @Test
    void aPersonsReplicasAreOneEntryAndNamesComeFromTheHubFirst() {
        Doc doc = room()[0];
        List<HistoryViewModel.Entry> entries = HistoryViewModel.entries(doc, names(), List.of());
        assertEquals(2, entries.size(), "Ada's two devices (one user id) are one entry: " + entries);
        HistoryViewModel.Entry ada = entries.get(0);
        assertEquals("Ada", ada.name());
        assertEquals(8, ada.inserted(), "both devices' text");
        assertEquals("Bob", entries.get(1).name());
        assertEquals("#d62728", entries.get(1).color(), "Bob's colour from presence");
        assertTrue(UserColors.PALETTE.contains(ada.color()), "Ada was never seen online: a palette colour");
        AuthorNames nobody = new AuthorNames();
        assertEquals(AuthorNames.SOMEONE, nobody.name(BOB), "a replica nobody named");
        nobody.sawPeers(List.of(new Peer(BOB, "Bob\u202E", "#d62728", false, false, null, null, false)));
        assertEquals("Bob", nobody.name(BOB), "the name announced in presence, cleaned");
    }

    @Test
    void namedVersionsAreEntriesOnlyOnceTheirTextIsHere() {
        Doc[] r = room();
        Doc doc = r[0];
        Version early = r[1].version();
        Instant at = Instant.now().plusSeconds(60);
        List<NamedVersion> named = List.of(new NamedVersion("Draft", early, "Ada", at),
                new NamedVersion("Future", Version.EMPTY.with(0xfff, 3, 0), "Eve", at));
        List<HistoryViewModel.Entry> entries = HistoryViewModel.entries(doc, names(), named);
        assertEquals(3, entries.size(), "the named version, and not the one naming text never received: " + entries);
        HistoryViewModel.Entry draft = entries.get(0);
        assertTrue(draft.named());
        assertEquals("Draft", draft.label());
        assertEquals("one two ", doc.textAt(draft.version()));
    }

    @Test
    void aPastVersionShowsInsertionsTintedAndDeletionsInPlace() {
        Doc[] r = room();
        Doc doc = r[0];
        Version before = doc.version();
        doc.delete(4, 4); // "two " goes
        doc.insert(4, "2 ");
        HistoryViewModel.Entry entry = new HistoryViewModel.Entry("p", "Ada", "#1f77b4", Instant.EPOCH, Instant.EPOCH, 2, 4,
                doc.version(), before, null);
        HistoryViewModel.Past past = HistoryViewModel.past(doc, entry, names());
        String shown = past.document().getText();
        assertTrue(shown.startsWith("one "), shown);
        assertTrue(shown.contains("two ") && shown.contains("2 ") && shown.endsWith("three"), shown);
        assertEquals(2, past.inserted());
        assertEquals(4, past.deleted());
        int two = shown.indexOf("two");
        assertTrue(past.document().getStyleOfChar(two).contains(HistoryViewModel.DELETED));
        int mine = shown.indexOf("2 ");
        assertTrue(past.document().getStyleOfChar(mine).contains(Tints.classFor(names().color(ADA_LAPTOP))));
        assertTrue(past.document().getStyleOfChar(1).contains("bold"), "formatted as then: " + past.document().getStyleOfChar(1));
        assertEquals(4, past.firstChange());
    }

    @Test
    void timesReadLikeAPersonWouldSayThem() {
        Instant now = Instant.parse("2026-12-02T14:00:00Z");
        assertEquals("just now", HistoryViewModel.relative(now.minusSeconds(20), now, ZoneOffset.UTC));
        assertEquals("12 min ago", HistoryViewModel.relative(now.minus(Duration.ofMinutes(12)), now, ZoneOffset.UTC));
        assertEquals("3 h ago", HistoryViewModel.relative(now.minus(Duration.ofHours(3)), now, ZoneOffset.UTC));
        assertEquals("30 Nov 09:15", HistoryViewModel.relative(Instant.parse("2026-11-30T09:15:00Z"), now, ZoneOffset.UTC));
        assertEquals("earlier", HistoryViewModel.relative(Instant.EPOCH, now, ZoneOffset.UTC));
    }
}
