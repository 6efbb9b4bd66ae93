package dev.tandem.sync;

import dev.tandem.protocol.RoomNames;

import java.net.URI;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * Everything needed to join a room, as one string to paste (docs/hub.md "Invites"):
 * {@code wss://HOST:PORT/rooms/ROOM#token=JWT&sha256=FINGERPRINT}. The part after {@code #} is a
 * URL fragment, which is never sent to a server, so an invite opened by a browser by mistake does
 * not leak its token to the hub's logs. {@code sha256} (optional) is the SHA-256 of the hub's TLS
 * certificate (DER, 64 hex digits), for a hub whose certificate no public CA signed.
 *
 * <p>A room served by several hubs (docs/protocol.md, "Several hubs") names them all in the
 * short form of {@link HubAddresses}: {@code wss://A:7070,B:7070/rooms/ROOM#token=...}; the pin
 * then applies to each of them. An invite naming one hub reads and writes as it always did.
 *
 * @param hub {@code ws://} or {@code wss://} address of the hub, without the room path; several
 *     hubs as one address in the short form ({@code ws://a:7070,b:7070}, {@link HubAddresses#join})
 * @param room the room
 * @param token the access token, or null for a hub running {@code --auth none}
 * @param sha256 the pinned certificate fingerprint (lowercase hex), or null
 */
public record Invite(URI hub, String room, String token, String sha256) {
    private static final Pattern TOKEN = Pattern.compile("[A-Za-z0-9._~+/=-]{1,8192}");
    private static final Pattern SHA256 = Pattern.compile("[0-9a-f]{64}");

    public Invite {
        if (hub == null || (!"ws".equals(hub.getScheme()) && !"wss".equals(hub.getScheme())) || hub.getRawAuthority() == null) {
            throw new IllegalArgumentException("an invite's hub must be a ws:// or wss:// address, was " + hub);
        }
        try {
            // One canonical form (the short form for several), so format() writes what parse() reads back.
            hub = HubAddresses.join(java.util.List.of(hub));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("an invite's hub must be a ws:// or wss:// address: " + e.getMessage(), e);
        }
        String problem = RoomNames.problem(room);
        if (problem != null) throw new IllegalArgumentException(problem);
        if (token != null && !TOKEN.matcher(token).matches()) throw new IllegalArgumentException("the invite's token is not a JWT");
        if (sha256 != null) {
            sha256 = sha256.replace(":", "").toLowerCase(Locale.ROOT);
            if (!SHA256.matcher(sha256).matches()) throw new IllegalArgumentException("sha256 must be 64 hex digits");
        }
    }

    /** The hubs the invite names: one, or several (see the class comment). */
    public java.util.List<URI> hubs() {
        return HubAddresses.check(java.util.List.of(hub));
    }

    /** The string to paste. */
    public String format() {
        StringBuilder b = new StringBuilder(hub.getScheme()).append("://").append(hub.getRawAuthority()).append("/rooms/").append(RoomNames.encode(room));
        String sep = "#";
        if (token != null) {
            b.append(sep).append("token=").append(token);
            sep = "&";
        }
        if (sha256 != null) b.append(sep).append("sha256=").append(sha256);
        return b.toString();
    }

    /** Parses {@link #format()}'s output (surrounding spaces ignored); IllegalArgumentException naming what is wrong. */
    public static Invite parse(String s) {
        if (s == null || s.length() > 10_000) throw new IllegalArgumentException("not an invite");
        URI u;
        try {
            u = new URI(s.strip());
        } catch (java.net.URISyntaxException e) {
            throw new IllegalArgumentException("not an invite: " + e.getMessage(), e);
        }
        String path = u.getRawPath() == null ? "" : u.getRawPath();
        if (!path.startsWith("/rooms/")) throw new IllegalArgumentException("an invite's path is /rooms/ROOM");
        String room = RoomNames.decode(path.substring("/rooms/".length()));
        String token = null;
        String sha = null;
        if (u.getRawFragment() != null) {
            for (String part : u.getRawFragment().split("&")) {
                if (part.startsWith("token=") && token == null) token = part.substring(6);
                else if (part.startsWith("sha256=") && sha == null) sha = part.substring(7);
                else throw new IllegalArgumentException("unknown or repeated invite field: " + part.split("=", 2)[0]);
            }
        }
        return new Invite(URI.create(u.getScheme() + "://" + u.getRawAuthority()), room, token, sha);
    }
}
