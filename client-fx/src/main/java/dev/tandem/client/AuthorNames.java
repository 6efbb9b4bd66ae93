package dev.tandem.client;

import dev.tandem.sync.Author;
import dev.tandem.sync.Peer;

import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Who is behind each replica id, for history and "Show authors": the hub's authorship map first
 * (it knows every replica bound in the room), else the name the replica announced in presence
 * (remembered after it leaves), else "someone". Colours are the ones people chose, seen in
 * presence for that replica or another replica of the same person; a person never seen gets a
 * steady colour from the palette. Names are cleaned ({@link DisplayNames}), colours made safe.
 *
 * <p>Threading: FX thread only; {@link #copy()} makes one another thread may own.
 */
final class AuthorNames {
    static final String SOMEONE = "someone";
    /** Replicas remembered from presence: bounded, a busy room cannot grow this without end. */
    private static final int MAX_REMEMBERED = 10_000;

    private Map<Long, Author> authors = Map.of();
    private final Map<Long, String> announced;
    private final Map<Long, String> colors;
    private final Map<String, String> personColors;

    AuthorNames() {
        announced = boundedMap();
        colors = boundedMap();
        personColors = new HashMap<>();
    }

    private AuthorNames(AuthorNames from) {
        authors = from.authors;
        announced = new HashMap<>(from.announced);
        colors = new HashMap<>(from.colors);
        personColors = new HashMap<>(from.personColors);
    }

    /** A copy as of now, for work on another thread (which then owns it). */
    AuthorNames copy() {
        return new AuthorNames(this);
    }

    private static <V> Map<Long, V> boundedMap() {
        return new LinkedHashMap<>(16, 0.75f, true) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<Long, V> eldest) {
                return size() > MAX_REMEMBERED;
            }
        };
    }

    void setAuthors(Map<Long, Author> authors) {
        this.authors = Map.copyOf(authors);
        refreshPersonColors();
    }

    /** Remembers the names and colours the people in the room announce. */
    void sawPeers(List<Peer> peers) {
        for (Peer p : peers) {
            announced.put(p.replicaId(), DisplayNames.clean(p.name()));
            colors.put(p.replicaId(), UserColors.safe(p.color()));
        }
        refreshPersonColors();
    }

    private void refreshPersonColors() {
        personColors.clear();
        for (Map.Entry<Long, String> e : colors.entrySet()) personColors.putIfAbsent(person(e.getKey()), e.getValue());
    }

    /** The name to show for {@code replica}. */
    String name(long replica) {
        Author a = authors.get(replica);
        if (a != null && a.name() != null && !a.name().isBlank()) return DisplayNames.clean(a.name());
        String seen = announced.get(replica);
        return seen != null ? seen : SOMEONE;
    }

    /**
     * The person behind {@code replica}, as a key: the same for every replica of one person (their
     * user id where the hub has one, else their name), unique for a replica nobody can name.
     */
    String person(long replica) {
        Author a = authors.get(replica);
        if (a != null && a.userId() != null) return "user:" + a.userId();
        String name = name(replica);
        return name.equals(SOMEONE) ? "replica:" + Long.toHexString(replica) : "name:" + name;
    }

    /** The {@code #rrggbb} colour to show {@code replica}'s text and entries in. */
    String color(long replica) {
        String c = colors.get(replica);
        if (c != null) return c;
        String person = person(replica);
        c = personColors.get(person);
        if (c != null) return c;
        return UserColors.PALETTE.get(Math.floorMod(person.hashCode(), UserColors.PALETTE.size()));
    }
}
