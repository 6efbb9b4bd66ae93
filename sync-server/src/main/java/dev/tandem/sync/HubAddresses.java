package dev.tandem.sync;

import java.net.URI;
import java.net.URISyntaxException;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * The addresses of the hubs that serve a room, as one text: what the CLI, an invite and the
 * desktop's server field hold (docs/protocol.md, "Several hubs"). Two forms are read:
 * <ul>
 * <li>full addresses separated by commas: {@code ws://a:7070,wss://b:7443/tandem};</li>
 * <li>the short form, as in PostgreSQL's multi-host URLs: {@code wss://a:7070,b:7070/tandem},
 *     where only the first address names the scheme and a path after the last one applies to all.</li>
 * </ul>
 * Every address is {@code ws://} or {@code wss://} with a host; at most {@link #MAX} of them, no
 * address twice. The short form is also what {@link #join} writes, so a list of hubs sharing a
 * scheme and path fits wherever one {@link URI} is expected ({@link Invite#hub()},
 * {@link SyncConfig#builder(URI, String, dev.tandem.crdt.Doc)}). An IPv6 literal cannot stand in
 * the short form ({@link URI} does not parse it there); give such lists in the full form.
 *
 * <p>Stateless; every method may be called from any thread.
 */
public final class HubAddresses {
    /** Most addresses one client holds: a list is typed or pasted by people, 16 is plenty and keeps a bad one small. */
    public static final int MAX = 16;
    /** Longest text {@link #parse} reads: 16 long host names and their paths fit with room to spare. */
    static final int MAX_TEXT = 8192;

    private HubAddresses() {}

    /**
     * Reads a comma-separated list in either form (spaces around the commas are ignored).
     *
     * @throws IllegalArgumentException naming the address that is wrong and why
     */
    public static List<URI> parse(String text) {
        if (text == null || text.isBlank()) throw new IllegalArgumentException("no hub address given");
        if (text.length() > MAX_TEXT) throw new IllegalArgumentException("hub address list is longer than " + MAX_TEXT + " characters");
        String[] parts = text.strip().split(",", -1);
        if (parts.length > MAX) throw new IllegalArgumentException("at most " + MAX + " hub addresses, " + parts.length + " given");
        boolean shortForm = parts.length > 1;
        for (int i = 1; i < parts.length; i++) shortForm &= !parts[i].contains("://");
        List<URI> out = new ArrayList<>(parts.length);
        if (shortForm) {
            String first = parts[0].strip();
            int colon = first.indexOf("://");
            if (colon < 0) throw new IllegalArgumentException("hub address must start with ws:// or wss://, was " + first);
            String scheme = first.substring(0, colon);
            String last = parts[parts.length - 1].strip();
            int slash = last.indexOf('/');
            String path = slash < 0 ? "" : last.substring(slash);
            parts[parts.length - 1] = slash < 0 ? last : last.substring(0, slash);
            parts[0] = first.substring(colon + 3);
            for (String authority : parts) {
                String a = authority.strip();
                if (a.isEmpty()) throw new IllegalArgumentException("empty hub address in \"" + text.strip() + "\"");
                if (a.contains("/")) throw new IllegalArgumentException("in " + scheme + "://HOST:PORT,HOST:PORT/PATH only the last address may have a path, was " + a);
                out.add(one(scheme + "://" + a + path));
            }
        } else {
            for (String p : parts) {
                String a = p.strip();
                if (a.isEmpty()) throw new IllegalArgumentException("empty hub address in \"" + text.strip() + "\"");
                out.add(one(a));
            }
        }
        return check(out);
    }

    /**
     * Checks a list: 1..{@link #MAX} addresses, each {@code ws://} or {@code wss://} with a host
     * and no query or fragment, none twice. A single address in the short form stands for its list
     * ({@code ws://a:1,b:2} is two). Returns the list, unmodifiable.
     *
     * @throws IllegalArgumentException naming the address that is wrong and why
     */
    public static List<URI> check(List<URI> hubs) {
        if (hubs == null || hubs.isEmpty()) throw new IllegalArgumentException("no hub address given");
        List<URI> out = new ArrayList<>();
        for (URI hub : hubs) {
            if (hub == null) throw new IllegalArgumentException("a hub address is null");
            if (hub.getHost() == null && hub.getRawAuthority() != null && hub.getRawAuthority().contains(",")) {
                out.addAll(parse(hub.toString())); // the short form of several
            } else {
                out.add(one(hub.toString()));
            }
            if (out.size() > MAX) throw new IllegalArgumentException("at most " + MAX + " hub addresses, more given");
        }
        Set<URI> seen = new LinkedHashSet<>();
        for (URI u : out) {
            if (!seen.add(u)) throw new IllegalArgumentException("hub address " + u + " is listed twice");
        }
        return List.copyOf(out);
    }

    /** One address, checked; the scheme is lower-cased. */
    private static URI one(String text) {
        URI u;
        try {
            u = new URI(text);
        } catch (URISyntaxException e) {
            throw new IllegalArgumentException("not a hub address: " + text + " (" + e.getReason() + ")");
        }
        String scheme = u.getScheme() == null ? "" : u.getScheme().toLowerCase(Locale.ROOT);
        if (!scheme.equals("ws") && !scheme.equals("wss")) {
            throw new IllegalArgumentException("hub address must start with ws:// or wss://, was " + text);
        }
        if (u.getHost() == null) throw new IllegalArgumentException("hub address has no host: " + text);
        if (u.getPort() == 0 || u.getPort() > 65535) throw new IllegalArgumentException("bad port in hub address: " + text);
        if (u.getRawQuery() != null || u.getRawFragment() != null) {
            throw new IllegalArgumentException("a hub address has no ?query or #fragment: " + text);
        }
        try {
            return new URI(scheme, u.getRawUserInfo(), u.getHost(), u.getPort(), u.getPath(), null, null);
        } catch (URISyntaxException e) {
            throw new IllegalArgumentException("not a hub address: " + text, e);
        }
    }

    /**
     * The short form of {@code hubs}: the only address itself, or {@code scheme://a:1,b:2/path}.
     *
     * @throws IllegalArgumentException when the addresses do not share scheme and path (then no
     *     single {@link URI} can hold them; keep the list)
     */
    public static URI join(List<URI> hubs) {
        List<URI> list = check(hubs);
        if (list.size() == 1) return list.get(0);
        URI first = list.get(0);
        StringBuilder authorities = new StringBuilder();
        for (URI u : list) {
            if (!u.getScheme().equals(first.getScheme())) {
                throw new IllegalArgumentException("hub addresses given together must all be ws:// or all wss://: " + format(list));
            }
            if (!u.getRawPath().equals(first.getRawPath())) {
                throw new IllegalArgumentException("hub addresses given together must share their path: " + format(list));
            }
            if (!authorities.isEmpty()) authorities.append(',');
            authorities.append(u.getRawAuthority());
        }
        return URI.create(first.getScheme() + "://" + authorities + first.getRawPath());
    }

    /** The list as text {@link #parse} reads back, for messages and logs: full addresses separated by commas. */
    public static String format(List<URI> hubs) {
        StringBuilder b = new StringBuilder();
        for (URI u : hubs) {
            if (!b.isEmpty()) b.append(',');
            b.append(u);
        }
        return b.toString();
    }
}
