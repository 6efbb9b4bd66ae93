package dev.tandem.client;

import dev.tandem.sync.HubAddresses;

import java.net.URI;
import java.net.URISyntaxException;
import java.net.URLDecoder;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * A room on a hub: the hub's base address ({@code ws://host:port}) and the room's name. Also the
 * invite address people paste to join ({@code ws://host:port/rooms/NAME}).
 *
 * <p>A room served by several hubs has them all in {@code server}, in the short form of
 * {@link HubAddresses} ({@code ws://a:7070,b:7070}): one value to remember in the settings, show
 * in the title and put in invites; {@link dev.tandem.sync.SyncConfig#builder} reads it as the list.
 */
record RoomAddress(URI server, String room) {
    static final int MAX_ROOM_LENGTH = 64;

    RoomAddress {
        server = parseServer(server.toString());
        room = checkRoom(room);
    }

    /**
     * Parses what a user typed as the server: {@code ws://host:port}, {@code wss://...},
     * {@code host:port} (ws assumed), or a whole invite address (its path is dropped here; see
     * {@link #parseInvite}). Several hubs of one room, comma-separated ({@code a:7070, b:7070},
     * {@code wss://a:7443,wss://b:7443}), come back as one address in the short form; they must all
     * be ws:// or all wss://.
     */
    static URI parseServer(String text) {
        if (text == null || text.isBlank()) throw new IllegalArgumentException("server address is empty");
        String t = text.strip();
        if (!t.contains("://")) t = "ws://" + t;
        if (t.contains(",")) {
            List<URI> hubs = new ArrayList<>();
            for (URI hub : HubAddresses.parse(t)) hubs.add(parseOne(hub.toString(), text));
            return HubAddresses.join(hubs);
        }
        return parseOne(t, text);
    }

    /** One address with a scheme: scheme, host and port kept, the rest dropped. */
    private static URI parseOne(String t, String text) {
        URI uri;
        try {
            uri = new URI(t);
        } catch (URISyntaxException e) {
            throw new IllegalArgumentException("not a server address: " + text);
        }
        String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
        if (!scheme.equals("ws") && !scheme.equals("wss")) {
            throw new IllegalArgumentException("server address must start with ws:// or wss://, was: " + text);
        }
        if (uri.getHost() == null) throw new IllegalArgumentException("server address has no host: " + text);
        int port = uri.getPort();
        if (port == 0 || port > 65535) throw new IllegalArgumentException("bad port in server address: " + text);
        try {
            return new URI(scheme, null, uri.getHost(), port, null, null, null);
        } catch (URISyntaxException e) {
            throw new IllegalArgumentException("not a server address: " + text);
        }
    }

    /** Parses an invite address {@code ws://host:port/rooms/NAME}; null when it names no room. */
    static RoomAddress parseInvite(String text) {
        if (text == null) return null;
        String t = text.strip();
        int at = t.indexOf("/rooms/");
        if (at < 0) return null;
        String room = URLDecoder.decode(t.substring(at + "/rooms/".length()).replace("+", "%2B"), StandardCharsets.UTF_8);
        if (room.isBlank()) return null;
        try {
            return new RoomAddress(parseServer(t.substring(0, at)), room);
        } catch (IllegalArgumentException e) {
            return null;
        }
    }

    /** Longest invite link accepted from a command line (a desktop opens links from anywhere). */
    static final int MAX_LINK_LENGTH = 2048;

    /**
     * Parses an invite link given on the command line: {@code tandem://host:port/rooms/NAME} (the
     * URL scheme the installers register; {@code tandems://} for a {@code wss://} hub) or the
     * invite address itself ({@code ws://}, {@code wss://}). Throws with the reason when it is not one.
     */
    static RoomAddress parseLink(String link) {
        if (link.length() > MAX_LINK_LENGTH) throw new IllegalArgumentException("invite link is longer than " + MAX_LINK_LENGTH + " characters");
        String t = link.strip();
        String lower = t.toLowerCase(Locale.ROOT);
        if (lower.startsWith("tandem://")) t = "ws://" + t.substring("tandem://".length());
        else if (lower.startsWith("tandems://")) t = "wss://" + t.substring("tandems://".length());
        else if (!lower.startsWith("ws://") && !lower.startsWith("wss://")) {
            throw new IllegalArgumentException("not an invite link (tandem://HOST:PORT/rooms/NAME): " + link);
        }
        // A desktop may hand over the link with a trailing slash.
        if (t.endsWith("/")) t = t.substring(0, t.length() - 1);
        RoomAddress address = parseInvite(t);
        if (address == null) throw new IllegalArgumentException("not an invite link (tandem://HOST:PORT/rooms/NAME): " + link);
        return address;
    }

    /** The hub's rule (docs/protocol.md, "Room names"), checked here so the user hears it at once. */
    private static final Pattern ROOM = Pattern.compile("[A-Za-z0-9_-]([A-Za-z0-9 ._-]{0,62}[A-Za-z0-9_-])?");

    static String checkRoom(String room) {
        if (room == null || room.isBlank()) throw new IllegalArgumentException("room name is empty");
        String r = room.strip();
        if (r.length() > MAX_ROOM_LENGTH) throw new IllegalArgumentException("room name is longer than " + MAX_ROOM_LENGTH + " characters");
        if (!ROOM.matcher(r).matches()) {
            throw new IllegalArgumentException("room name may use letters A-Z, digits, '_', '-', and inside also space and '.'; was: " + r);
        }
        return r;
    }

    /** What to send someone so they can join: {@code ws://host:port/rooms/NAME}. */
    String invite() {
        return server + "/rooms/" + URLEncoder.encode(room, StandardCharsets.UTF_8).replace("+", "%20");
    }

    /** A file name unique to (server, room), readable enough to find by hand. */
    String storageName() {
        String slug = room.toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9._-]+", "_");
        if (slug.length() > 40) slug = slug.substring(0, 40);
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest((server + "\n" + room).getBytes(StandardCharsets.UTF_8));
            return slug + "-" + HexFormat.of().formatHex(digest, 0, 6);
        } catch (NoSuchAlgorithmException e) {
            throw new AssertionError("SHA-256 is always there", e);
        }
    }

    @Override
    public String toString() {
        return invite();
    }
}
